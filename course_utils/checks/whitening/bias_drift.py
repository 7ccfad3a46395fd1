"""``check_bias_drift`` (notebook 02) with its catalogue of named mistakes: the Section 2
loop of the paper written the ways students write it.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_array, expect_tuple, fail, make_rng

__all__ = ["check_bias_drift"]


# ---------------------------------------------------------------------------------------
# bias_drift
# ---------------------------------------------------------------------------------------


def _drift(u, t, lr, n_steps, *, center=True, grad="sum", sign=-1.0, loss="sum", half=True,
           initial=True, true_gradient=False):
    """The Section 2 loop written the ways students write it (float64)."""
    u, t = np.asarray(u, np.float64), np.asarray(t, np.float64)
    b = 0.0
    bs, losses = [], []

    def state(b):
        x = u + b
        x_hat = x - x.mean() if center else x
        err = x_hat - t
        value = np.sum(err**2) if loss == "sum" else np.mean(err**2)
        return x_hat, (0.5 if half else 1.0) * value

    if initial:
        bs.append(b)
        losses.append(state(b)[1])
    for _ in range(n_steps):
        x_hat, _ = state(b)
        err = x_hat - t
        g = 0.0 if true_gradient else (np.sum(err) if grad == "sum" else np.mean(err))
        b = b + sign * lr * g
        bs.append(b)
        losses.append(state(b)[1])
    return np.array(bs), np.array(losses)


def _drift_mistakes(u, t, lr, n_steps, part):
    def pick(**kw):
        return lambda: _drift(u, t, lr, n_steps, **kw)[part]
    return [
        ("b never moves: this is the true gradient, which counts mean(x)'s dependence on b "
         "and is exactly 0. The exercise (like the paper's Section 2) asks for the gradient "
         "that ignores it: b -= lr * sum(x_hat - t).", pick(true_gradient=True)),
        ("b moves the wrong way: gradient descent subtracts, b -= lr * sum(x_hat - t).",
         pick(sign=1.0)),
        ("the update uses mean(x_hat - t); the loss is a sum, so its gradient is "
         "sum(x_hat - t).", pick(grad="mean")),
        ("the loss uses a mean; the paper's example sums: 0.5 * sum((x_hat - t) ** 2).",
         pick(loss="mean")),
        ("the loss is missing the factor 0.5: 0.5 * sum((x_hat - t) ** 2).", pick(half=False)),
        ("x_hat = x: the mean was not subtracted. The example is about a normalization "
         "x_hat = x - mean(x) that the gradient step does not see.", pick(center=False)),
    ]


def _drift_cases(seed, rng, hidden):
    cases = []

    def add(label, u, t, lr, n_steps):
        details = {"u.shape": u.shape, "dtype": u.dtype.name,
                   "t": "scalar" if np.ndim(t) == 0 else f"shape {np.shape(t)}",
                   "lr": lr, "n_steps": n_steps}
        cases.append((Case(label, seed, details), u, t, lr, n_steps))

    def targets(n, dtype=np.float64):
        return (rng.normal(size=n) + rng.choice([-1, 1]) * rng.uniform(0.3, 1.0)).astype(dtype)

    add("random inputs and targets", rng.normal(size=6), targets(6), 0.1, 10)
    add("float32 inputs", rng.normal(size=8).astype(np.float32), targets(8, np.float32), 0.05, 12)
    add("a scalar target t", rng.normal(2, 1, size=5), float(rng.uniform(0.5, 2)), 0.2, 8)
    add("two inputs (N = 2)", rng.normal(size=2), targets(2), 0.1, 5)
    add("a single step (n_steps = 1)", rng.normal(size=4), targets(4), 0.3, 1)
    add("inputs with a large offset (mean 1e3)", rng.normal(1e3, 1, size=7), targets(7), 0.1, 6)
    add("non-contiguous u[::2]", rng.normal(size=14)[::2], targets(7), 0.1, 6)
    if hidden:
        add("many steps", rng.normal(size=10), targets(10), 0.05, 200)
        add("no steps (n_steps = 0)", rng.normal(size=5), targets(5), 0.1, 0)
        add("targets that sum to zero (b stays put)", rng.normal(size=6),
            np.array([1.0, -1.0, 0.5, -0.5, 2.0, -2.0]), 0.1, 10)
    return cases


def _check_histories(result, n_steps, case):
    b_hist, loss_hist = expect_tuple(result, 2, case=case, name="bias_drift",
                                     what="(b_history, loss_history)")
    for name, hist in (("b_history", b_hist), ("loss_history", loss_hist)):
        try:
            length = len(hist)
        except TypeError:
            fail(case, f"{name} should be an array of n_steps + 1 = {n_steps + 1} values, got "
                       f"{type(hist).__name__}.")
        if length == n_steps:
            fail(case, f"{name} has {length} values, one too few: it holds the value before "
                       f"the first step and after each of the {n_steps} steps "
                       f"(n_steps + 1 = {n_steps + 1} values).")
        if length == n_steps + 2:
            fail(case, f"{name} has {length} values, one too many: the value before the first "
                       f"step, then one after each step ({n_steps + 1} values).")
    return b_hist, loss_hist


def check_bias_drift(student, seed=0, hidden=False):
    """Check ``bias_drift(u, t, lr, n_steps) -> (b_history, loss_history)``.

    Both histories have ``n_steps + 1`` values (before the first step and after each).
    Cases: random u and t, float32, a scalar t, N = 2, one step, a large offset in u,
    non-contiguous input. With ``hidden=True``: many steps, no steps, targets summing to 0,
    and the properties (the loss stays constant; b moves by ``lr * sum(t)`` per step).
    """
    seed, rng = make_rng(seed)
    for case, u, t, lr, n_steps in _drift_cases(seed, rng, hidden):
        result = call_student(student, u, t, lr, n_steps, case=case, name="bias_drift",
                              arg_names=("u", "t"))
        b_hist, loss_hist = _check_histories(result, n_steps, case)
        exp_b, exp_loss = ref.bias_drift(u, t, lr, n_steps)
        expect_array(b_hist, exp_b, case=case, what="b_history",
                     mistakes=_drift_mistakes(u, t, lr, n_steps, 0))
        expect_array(loss_hist, exp_loss, case=case, what="loss_history",
                     mistakes=_drift_mistakes(u, t, lr, n_steps, 1))
    if hidden:
        u = rng.normal(size=9)
        t = rng.normal(size=9) + 0.7
        lr, n_steps = 0.02, 50
        case = Case("property: flat loss, b moving by lr * sum(t) every step", seed,
                    {"u.shape": u.shape, "lr": lr, "n_steps": n_steps})
        b_hist, loss_hist = _check_histories(
            call_student(student, u, t, lr, n_steps, case=case, name="bias_drift"), n_steps, case)
        expect_array(np.diff(np.asarray(b_hist, dtype=np.float64)),
                     np.full(n_steps, lr * t.sum()), case=case, what="the change of b per step")
        loss_hist = np.asarray(loss_hist, dtype=np.float64)
        expect_array(loss_hist, np.full(n_steps + 1, loss_hist[0]), case=case,
                     what="the loss over the steps (compared with its first value)")
