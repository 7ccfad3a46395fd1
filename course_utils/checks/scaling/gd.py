"""``check_gd_linear_regression`` (notebook 01) with its catalogue of named mistakes
(gradient descent written the wrong ways students write it), the length of the loss
history, runs that blow up, and the properties every right run has.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import (
    Case,
    call_student,
    distinct,
    expect_array,
    expect_close,
    expect_raises,
    expect_tuple,
    fail,
    make_rng,
    tolerance,
)
from ._shared import FORBIDDEN, _data

__all__ = ["check_gd_linear_regression"]


# ---------------------------------------------------------------------------------------
# gd_linear_regression
# ---------------------------------------------------------------------------------------


def _gd(X, y, lr, n_steps, *, record="before", grad_scale="mean", loss_scale=0.5,
        update_b=True, sequential=False, factor=1.0):
    """Gradient descent written the wrong ways students write it (float64)."""
    X, y = X.astype(np.float64), y.astype(np.float64)
    n = X.shape[0]
    w, b = np.zeros(X.shape[1]), 0.0
    div = n if grad_scale == "mean" else 1.0

    def loss(w, b):
        r = X @ w + b - y
        return loss_scale * np.mean(r**2)

    losses = []
    for _ in range(n_steps):
        if record == "before":
            losses.append(loss(w, b))
        r = X @ w + b - y
        w = w - lr * factor * (X.T @ r) / div
        if update_b:
            if sequential:
                r = X @ w + b - y
            b = b - lr * factor * r.sum() / div
        if record == "after":
            losses.append(loss(w, b))
    return w, b, np.array(losses)


def _gd_mistakes(X, y, lr, n_steps, part):
    """Candidate wrong answers for the ``part`` (0: w, 1: b, 2: losses) of the result."""
    def pick(**kw):
        return lambda: _gd(X, y, lr, n_steps, **kw)[part]
    return [
        ("the loss was recorded after each step; losses[k] is the loss *before* step k "
         "(losses[0] is the loss at w = 0, b = 0).", pick(record="after")),
        ("the gradient is summed over the examples instead of averaged: the loss is a mean, "
         "so its gradient is X.T @ r / N and mean(r).", pick(grad_scale="sum")),
        ("the gradient has an extra factor 2: the 0.5 in 0.5 * mean(r**2) cancels the 2 from "
         "the square, so dL/dw = X.T @ r / N.", pick(factor=2.0)),
        ("the loss is missing the factor 0.5: the loss is 0.5 * mean((X @ w + b - y)**2).",
         pick(loss_scale=1.0)),
        ("b is never updated: the bias also descends its gradient, mean(r).",
         pick(update_b=False)),
        ("b was updated with a residual recomputed after w changed; compute r once per step "
         "and update w and b from the same r.", pick(sequential=True)),
    ]


def _gd_cases(seed, rng, hidden):
    """(case, X, y, lr, n_steps) with lr below 1 / (largest curvature), so GD converges."""
    cases = []

    def add(label, X, n_steps, noise=0.1, lr_fraction=0.8, **details):
        n, d = X.shape
        X64 = X.astype(np.float64)
        w_true = rng.normal(size=d)
        y = (X64 @ w_true + rng.normal() + noise * rng.standard_normal(n)).astype(X.dtype)
        A = np.hstack([X64, np.ones((n, 1))])
        lam_max = np.linalg.eigvalsh(A.T @ A / n).max()
        lr = float(lr_fraction / lam_max)
        details = {"X.shape": X.shape, "dtype": X.dtype.name, "lr": f"{lr:.3g}",
                   "n_steps": n_steps, **details}
        cases.append((Case(label, seed, details), X, y, lr, n_steps))

    add("random data", _data(rng, 20, 3, scale=np.ones(3)), 25)
    add("float32 data", _data(rng, 24, 3, np.float32, scale=np.ones(3)), 20)
    add("one feature (D = 1)", _data(rng, 10, 1, scale=np.ones(1)), 15)
    add("two examples (N = 2)", _data(rng, 2, 2), 10)
    add("a single step (n_steps = 1)", _data(rng, 8, 3), 1)
    add("raw features with offsets and different scales", _data(rng, 30, 3), 40)
    add("non-contiguous input X[:, ::2]", _data(rng, 16, 6, scale=np.ones(6))[:, ::2], 12)
    if hidden:
        for n, d, steps in ((5, 4, 30), (60, 2, 50), (40, 9, 35)):
            add("random data", _data(rng, n, d), steps)
        add("large offsets (mean 100)", _data(rng, 20, 2, loc=np.full(2, 100.0)), 30)
        add("float32, one feature", _data(rng, 12, 1, np.float32), 25)
    return cases


def _lstsq(X, y):
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    return sol[:-1], sol[-1]


def check_gd_linear_regression(student, seed=0, hidden=False):
    """Check ``gd_linear_regression(X, y, lr, n_steps) -> (w, b, losses)``.

    Compares the whole trajectory's result with the reference: w, b and every recorded loss
    (``losses[k]`` before step k, ``len(losses) == n_steps``). Cases: random data, float32,
    D = 1, N = 2, one step, raw features, non-contiguous input; ValueError when y does not
    have one value per row. With ``hidden=True``: more shapes, large offsets, and the
    properties (the losses never increase at this step size; many steps reach the
    least-squares solution).
    """
    seed, rng = make_rng(seed)
    for case, X, y, lr, n_steps in _gd_cases(seed, rng, hidden):
        result = call_student(student, X, y, lr, n_steps, case=case,
                              name="gd_linear_regression", forbidden=FORBIDDEN,
                              arg_names=("X", "y"))
        w, b, losses = expect_tuple(result, 3, case=case, name="gd_linear_regression",
                                    what="(w, b, losses)")
        _check_history_length(losses, n_steps, case)
        exp_w, exp_b, exp_losses = ref.gd_linear_regression(X, y, lr, n_steps)
        _check_diverged(w, losses, exp_w, case)
        expect_array(w, exp_w, case=case, what="w", mistakes=_gd_mistakes(X, y, lr, n_steps, 0))
        r, a = tolerance(X.dtype)
        expect_close(b, exp_b, case=case, what="b", rtol=r, atol=a * max(1.0, abs(exp_b)),
                     mistakes=_gd_mistakes(X, y, lr, n_steps, 1))
        expect_array(losses, exp_losses, case=case, what="losses",
                     mistakes=_gd_mistakes(X, y, lr, n_steps, 2))
    X = _data(rng, 6, 2)
    expect_raises(student, X, np.zeros(5), 0.1, 3,
                  case=Case("y with 5 values for 6 rows of X", seed),
                  name="gd_linear_regression", why="y needs one value per row of X")
    if hidden:
        _gd_properties(student, seed, rng)


def _check_history_length(losses, n_steps, case):
    try:
        length = len(losses)
    except TypeError:
        fail(case, f"losses should be an array of {n_steps} values, got "
                   f"{type(losses).__name__}.")
    if length == n_steps + 1:
        fail(case, f"losses has {length} values, one too many: record the loss before each of "
                   f"the {n_steps} steps (losses[k] is the loss before step k), and not again "
                   "after the last one.")
    if length == n_steps - 1 and n_steps > 0:
        fail(case, f"losses has {length} values, one too few: record the loss before every "
                   f"step, the first one included ({n_steps} values).")


def _check_diverged(w, losses, exp_w, case):
    """Name a run that blew up (NaN, inf, or weights a thousand times too large)."""
    try:
        w = np.asarray(w, dtype=np.float64)
        losses = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError):
        return
    blown = not (np.all(np.isfinite(w)) and np.all(np.isfinite(losses)))
    if not blown and w.shape == exp_w.shape and w.size:
        blown = float(np.abs(w).max()) > 1e3 * (1.0 + float(np.abs(exp_w).max()))
    if blown:
        fail(case, "gradient descent diverged (w or the losses are huge, inf or NaN), although "
                   "at this step size the correct update converges. Likely mistakes: the "
                   "gradient is summed over the examples instead of averaged (each step N "
                   "times too large), or the gradient is added instead of subtracted.")


def _gd_properties(student, seed, rng):
    X = _data(rng, 40, 3, loc=rng.uniform(-0.5, 0.5, 3), scale=np.ones(3))
    y = X @ rng.normal(size=3) + 0.5 + 0.2 * rng.standard_normal(40)
    A = np.hstack([X, np.ones((40, 1))])
    lr = 1.0 / np.linalg.eigvalsh(A.T @ A / 40).max()
    case = Case("property: at a stable step size the loss never increases", seed,
                {"X.shape": X.shape, "lr": f"{lr:.3g}", "n_steps": 60})
    _, _, losses = call_student(student, X, y, lr, 60, case=case, name="gd_linear_regression")
    losses = np.asarray(losses, dtype=np.float64)
    rises = np.flatnonzero(np.diff(losses) > 1e-12 * max(1.0, float(losses[0])))
    if rises.size:
        k = int(rises[0])
        before, after, _ = distinct(losses[k], losses[k + 1])
        fail(case, f"the loss went up from step {k} to step {k + 1} ({before} -> "
                   f"{after}); with lr at most 1 / (largest curvature) each step "
                   "of gradient descent lowers the loss.")
    case = Case("property: many steps reach the least-squares solution", seed,
                {"X.shape": X.shape, "lr": f"{lr:.3g}", "n_steps": 1000})
    w, b, _ = call_student(student, X, y, lr, 1000, case=case, name="gd_linear_regression")
    w_star, b_star = _lstsq(X, y)
    expect_array(np.asarray(w), w_star, case=case, what="w after 1000 steps (vs. least squares)",
                 rtol=1e-5, atol=1e-6)
    expect_close(b, b_star, case=case, what="b after 1000 steps (vs. least squares)",
                 rtol=1e-5, atol=1e-6)
