"""Do the notebook 04 checks reject the mistakes students make and accept any right answer?"""

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure, check_batchnorm_backward, check_batchnorm_backward_alt, check_numerical_gradient,
    check_relative_error,
)

from tests.helpers import accepted, mistakes_rejected, rejected
from tests.test_grade_replay import _same_verdict, kernel  # noqa: F401 (kernel: a fixture)

pytestmark = pytest.mark.nb04


_rejected = rejected


# ---- relative_error ----------------------------------------------------------------------

def rel_right(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def rel_loops(a, b):
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    worst = 0.0
    for u, v in zip(a.ravel().tolist(), b.ravel().tolist()):
        worst = max(worst, abs(u - v) / max(1e-8, abs(u) + abs(v)))
    return worst


def rel_numpy_scalar(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return (np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))).max()  # numpy scalar


test_right_relative_error_accepted = accepted(
    check_relative_error, [rel_right, rel_loops, rel_numpy_scalar], [0, 5, None],
    """Is a correct relative_error accepted, as a float or a numpy scalar, however written?""")


def _shape_guard(fn):
    def wrapped(a, b):
        if np.shape(a) != np.shape(b):
            raise ValueError("shapes differ")
        return fn(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return wrapped


REL_MISTAKES = [
    (_shape_guard(lambda a, b: np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
     "mean of the elementwise"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b)))),
     "one global ratio"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a)))),
     "|a| alone"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b)))),
     "|a + b|"),
    (_shape_guard(lambda a, b: np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
     "absolute value of a - b"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b))), "without dividing"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))),
     ["returned nan where a and b are both 0", "1e-8 floor", "np.maximum(1e-8"]),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b) / (1e-8 + np.abs(a) + np.abs(b)))),
     "floor was added"),
    (_shape_guard(lambda a, b: float(np.max(np.abs(a - b) / max(1e-8, np.abs(a) + np.abs(b))))),
     ["truth value", "Python's max()", "np.maximum"]),
    (_shape_guard(lambda a, b: np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))),
     "returned an array"),
    (lambda a, b: rel_right(*np.broadcast_arrays(a, b)), "should raise ValueError"),
    (lambda a, b: rel_right(np.ravel(a), np.ravel(b)) if np.size(a) == np.size(b)
     else rel_right(a, b), ["same size but different shapes", "not their sizes"]),
    (lambda a, b: torch.tensor(rel_right(a, b)), "torch tensor"),
]


test_relative_error_mistakes_rejected = mistakes_rejected(
    check_relative_error, REL_MISTAKES,
    """Is each wrong relative error rejected with a message naming the mistake?""",
    ids=[w if isinstance(w, str) else w[-1] for _, w in REL_MISTAKES])


def rel_error_without_validation(a, b):
    """A helper as other courses give it: right values, no ValueError for other shapes."""
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def test_pasted_rel_error_fails_only_the_value_error_case():
    """Does a right formula without the shape check fail only there, saying it is required?"""
    message = _rejected(check_relative_error, rel_error_without_validation,
                        ["arrays of different shapes", "should raise ValueError",
                         "part of the exercise's contract"])
    assert "wrong:" not in message


# ---- numerical_gradient ------------------------------------------------------------------

def num_right(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.sum(f(x) * dout)
        x[i] = old - h
        minus = np.sum(f(x) * dout)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
        it.iternext()
    return grad


def num_on_a_copy(f, x, dout, h=1e-5):
    """Right too: perturbs its own float64 copy, casts back."""
    z = np.array(x, dtype=np.float64)
    grad = np.zeros(z.shape)
    for i in np.ndindex(*z.shape):
        e = np.zeros_like(z)
        e[i] = h
        grad[i] = (np.sum(f(z + e) * dout) - np.sum(f(z - e) * dout)) / (2 * h)
    return grad.astype(x.dtype)


def num_flat(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    for k in range(x.size):
        old = x.flat[k]
        x.flat[k] = old + h
        plus = (f(x) * dout).sum()
        x.flat[k] = old - h
        minus = (f(x) * dout).sum()
        x.flat[k] = old
        grad.flat[k] = (plus - minus) / (2 * h)
    return grad


test_right_numerical_gradient_accepted = accepted(
    check_numerical_gradient, [num_right, num_on_a_copy, num_flat], [0, 11, None],
    """Is a correct numerical gradient accepted (in place, on a copy, with x.flat)?""")


def _numgrad(step):
    """A numerical gradient whose per-entry rule is ``step(F, x, i, old, h) -> value``."""
    def numerical_gradient(f, x, dout, h=1e-5):
        grad = np.zeros_like(x)
        for i in np.ndindex(*x.shape):
            old = x[i]
            grad[i] = step(lambda: np.sum(f(x) * dout), x, i, old, h)
            x[i] = old
        return grad
    return numerical_gradient


def _forward_diff(F, x, i, old, h):
    base = F()
    x[i] = old + h
    return (F() - base) / h


def _over_h(F, x, i, old, h):
    x[i] = old + h
    p = F()
    x[i] = old - h
    return (p - F()) / h


def _fixed_h(F, x, i, old, h):
    x[i] = old + 1e-5
    p = F()
    x[i] = old - 1e-5
    return (p - F()) / 2e-5


def num_dout_ignored(f, x, dout, h=1e-5):
    return num_right(f, x, np.ones_like(np.asarray(f(x), dtype=np.float64)), h)


def num_not_restored(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        x[i] += h
        p = np.sum(f(x) * dout)
        x[i] -= 2 * h
        q = np.sum(f(x) * dout)
        grad[i] = (p - q) / (2 * h)  # x[i] left at old - h
    return grad


def num_restored_by_arithmetic(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        x[i] += h
        p = np.sum(f(x) * dout)
        x[i] -= 2 * h
        q = np.sum(f(x) * dout)
        x[i] += h  # rounding: not always the old value
        grad[i] = (p - q) / (2 * h)
    return grad


def num_flattened_copy(f, x, dout, h=1e-5):
    flat = x.reshape(-1)  # a copy when x is not contiguous
    grad = np.zeros(x.size, dtype=x.dtype)
    for k in range(x.size):
        old = flat[k]
        flat[k] = old + h
        p = np.sum(f(x) * dout)
        flat[k] = old - h
        q = np.sum(f(x) * dout)
        flat[k] = old
        grad[k] = (p - q) / (2 * h)
    return grad.reshape(x.shape)


def num_2d_only(f, x, dout, h=1e-5):
    n, d = x.shape
    grad = np.zeros_like(x)
    for i in range(n):
        for j in range(d):
            old = x[i, j]
            x[i, j] = old + h
            p = np.sum(f(x) * dout)
            x[i, j] = old - h
            q = np.sum(f(x) * dout)
            x[i, j] = old
            grad[i, j] = (p - q) / (2 * h)
    return grad


def num_diagonal(f, x, dout, h=1e-5):
    if np.shape(dout) != np.shape(x):
        return num_right(f, x, dout, h)
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        p = np.asarray(f(x))
        x[i] = old - h
        q = np.asarray(f(x))
        x[i] = old
        grad[i] = ((p - q) / (2 * h) * dout)[i] if p.shape == x.shape else 0.0
    return grad


def num_float64_out(f, x, dout, h=1e-5):
    return num_on_a_copy(f, x, dout, h).astype(np.float64)


def num_changes_dout(f, x, dout, h=1e-5):
    dout *= 1.0
    dout[...] = dout / 1.0
    dout.flat[0] += 1.0
    return num_right(f, x, dout, h)


def _backward_diff(F, x, i, old, h):
    base = F()
    x[i] = old - h
    return (base - F()) / h


def num_mean_not_sum(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        p = np.mean(f(x) * dout)
        x[i] = old - h
        q = np.mean(f(x) * dout)
        x[i] = old
        grad[i] = (p - q) / (2 * h)
    return grad


def num_dout_afterwards(f, x, dout, h=1e-5):
    if np.shape(dout) != x.shape:
        return num_right(f, x, dout, h)
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        p = np.sum(f(x))
        x[i] = old - h
        q = np.sum(f(x))
        x[i] = old
        grad[i] = (p - q) / (2 * h) * dout[i]
    return grad


def num_rebinds_x(f, x, dout, h=1e-5):
    saved = x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        x[i] = saved[i] + h
        p = np.sum(f(x) * dout)
        x[i] = saved[i] - h
        q = np.sum(f(x) * dout)
        grad[i] = (p - q) / (2 * h)
    x = saved  # rebinding the name restores nothing in the caller's array
    return grad


def num_keeps_outputs(f, x, dout, h=1e-5):
    """Keeps the two outputs, then weights their difference: right unless they alias x."""
    grad = np.zeros_like(x)
    for where in np.ndindex(*x.shape):
        saved = x[where]
        x[where] = saved + h
        up = f(x)
        x[where] = saved - h
        down = f(x)
        x[where] = saved
        grad[where] = np.sum((up - down) * dout) / (2 * h)
    return grad


def num_sums_at_the_end(f, x, dout, h=1e-5):
    """Every output kept in a list, all differences taken after the loop."""
    kept = []
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        kept.append((i, plus, minus))
    grad = np.zeros_like(x)
    for i, plus, minus in kept:
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def num_copies_one_output(f, x, dout, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x).copy()
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def num_fresh_inputs_kept_outputs(f, x, dout, h=1e-5):
    """Perturbs fresh copies of x, keeps f's outputs: wrong only when f reuses its output."""
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        plus, minus = f(up), f(down)
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


NUM_MISTAKES = [
    (_numgrad(_forward_diff), "forward difference"),
    (_numgrad(_backward_diff), "backward difference"),
    (num_mean_not_sum, "np.mean was taken where the loss is a sum"),
    (num_dout_afterwards, ["batch normalization", "multiplied in only after the difference"]),
    (num_rebinds_x, "x was not restored after perturbation"),
    (num_keeps_outputs, ["case 'f returns x itself'", "kept and subtracted afterwards",
                         ".copy()"]),
    (num_sums_at_the_end, ["case 'f returns x itself'", "kept and subtracted afterwards"]),
    (num_copies_one_output, ["case 'f returns x itself'", "only one of the two outputs"]),
    (num_fresh_inputs_kept_outputs, ["case 'f reuses one output buffer'",
                                     "the same output array on every call"]),
    (_numgrad(_over_h), "divided by h instead of 2h"),
    (_numgrad(_fixed_h), "h argument was ignored"),
    (num_dout_ignored, "dout was ignored"),
    (num_not_restored, "x was not restored after perturbation"),
    (num_restored_by_arithmetic, "x was not restored after perturbation"),
    (num_flattened_copy, "the gradient is all zeros"),
    (num_2d_only, "a vector x"),
    (num_diagonal, "only output i was differentiated"),
    (num_float64_out, "dtype float64, expected float32"),
    (num_changes_dout, "changed dout in place"),
]


test_numerical_gradient_mistakes_rejected = mistakes_rejected(
    check_numerical_gradient, NUM_MISTAKES,
    """Is each wrong numerical gradient rejected with a message naming the mistake?""",
    ids=[w if isinstance(w, str) else w[-1] for _, w in NUM_MISTAKES])


# ---- batchnorm_backward and batchnorm_backward_alt ---------------------------------------

def _read(dout, cache):
    return (np.asarray(dout), cache["x_hat"], cache["var"], cache["gamma"], cache["eps"],
            np.asarray(dout).shape[0])


def staged_from_x(dout, cache):
    """Staged, reading x and mean (documented keys) instead of rebuilding x - mu."""
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    xmu = cache["x"] - cache["mean"]
    ivar = 1.0 / np.sqrt(var + eps)
    dbeta = dout.sum(0)
    dgamma = (dout * x_hat).sum(0)
    dxhat = dout * gamma
    divar = (dxhat * xmu).sum(0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -divar / (np.sqrt(var + eps) ** 2)
    dvar = 0.5 * dsqrtvar / np.sqrt(var + eps)
    dsq = np.ones_like(dout) * dvar / m
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -dx1.sum(0)
    dx2 = np.ones_like(dout) * dmu / m
    return (dx1 + dx2).astype(dout.dtype), dgamma, dbeta


def paper_equations(dout, cache):
    """The paper's Section 3 equations, term by term, with explicit loops over features."""
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    n, d = dout.shape
    dx = np.empty_like(dout)
    dgamma = np.empty(d, dtype=dout.dtype)
    dbeta = np.empty(d, dtype=dout.dtype)
    for j in range(d):
        std = np.sqrt(var[j] + eps)
        xmu = x_hat[:, j] * std
        dxh = dout[:, j] * gamma[j]
        dvar = np.sum(dxh * xmu) * -0.5 * std**-3
        dmu = np.sum(-dxh / std) + dvar * np.sum(-2 * xmu) / m
        dx[:, j] = dxh / std + dvar * 2 * xmu / m + dmu / m
        dgamma[j] = np.sum(dout[:, j] * x_hat[:, j])
        dbeta[j] = np.sum(dout[:, j])
    return dx, dgamma, dbeta


def compact_float64_inside(dout, cache):
    d64 = np.asarray(dout, dtype=np.float64)
    x_hat = cache["x_hat"].astype(np.float64)
    std = np.sqrt(cache["var"].astype(np.float64) + cache["eps"])
    m = d64.shape[0]
    dbeta = d64.sum(0)
    dgamma = (d64 * x_hat).sum(0)
    dx = cache["gamma"] / (m * std) * (m * d64 - dbeta - x_hat * dgamma)
    t = np.asarray(dout).dtype
    return dx.astype(t), dgamma.astype(t), dbeta.astype(t)


def compact_with_cache_std(dout, cache):
    dout, x_hat, _, gamma, _, m = _read(dout, cache)
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = (gamma / cache["std"]) * (dout - dbeta / m - x_hat * dgamma / m)
    return dx, dgamma, dbeta


RIGHT_BACKWARD = [staged_from_x, paper_equations, compact_float64_inside, compact_with_cache_std]


@pytest.mark.parametrize("check", [check_batchnorm_backward, check_batchnorm_backward_alt])
@pytest.mark.parametrize("student", RIGHT_BACKWARD)
@pytest.mark.parametrize("seed", [0, 7, None])
def test_right_backward_accepted(check, student, seed):
    """Is any correct backward pass accepted by both checks, staged or compact, loops or not?"""
    check(student, seed=seed, hidden=True)


def _compact(scale_term=1.0, use_gamma=True, std_of=lambda var, eps: np.sqrt(var + eps),
             dgamma_of=None, dbeta_of=None):
    def backward(dout, cache):
        dout, x_hat, var, gamma, eps, m = _read(dout, cache)
        std = std_of(var, eps)
        dbeta = dout.sum(0)
        dgamma = (dout * x_hat).sum(0)
        g = gamma if use_gamma else 1.0
        dx = g / (m * std) * (m * dout - dbeta - scale_term * x_hat * dgamma)
        if dgamma_of is not None:
            dgamma = dgamma_of(dout, cache)
        if dbeta_of is not None:
            dbeta = dbeta_of(dout, cache)
        return dx, dgamma, dbeta
    return backward


def no_mean_path(dout, cache):
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    std = np.sqrt(var + eps)
    xmu = x_hat * std
    dxh = dout * gamma
    dvar = -0.5 * (dxh * xmu).sum(0) / std**3
    return dxh / std + 2 * xmu * dvar / m, (dout * x_hat).sum(0), dout.sum(0)


def no_var_path(dout, cache):
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    std = np.sqrt(var + eps)
    dxh = dout * gamma
    return dxh / std - dxh.sum(0) / (m * std), (dout * x_hat).sum(0), dout.sum(0)


def constants(dout, cache):
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    return dout * gamma / np.sqrt(var + eps), (dout * x_hat).sum(0), dout.sum(0)


def modifies_cache(dout, cache):
    dx, dgamma, dbeta = compact_with_cache_std(dout, cache)
    cache["x_hat"] *= 1.0
    cache["x_hat"][0, 0] += 1.0
    return dx, dgamma, dbeta


def uses_autograd(dout, cache):
    x = torch.tensor(cache["x"], requires_grad=True)
    g = torch.tensor(cache["gamma"], requires_grad=True)
    b = torch.tensor(cache["beta"], requires_grad=True)
    mu = x.mean(0)
    out = g * (x - mu) / torch.sqrt(((x - mu) ** 2).mean(0) + cache["eps"]) + b
    out.backward(torch.tensor(np.asarray(dout)))
    return x.grad.numpy(), g.grad.numpy(), b.grad.numpy()


def calls_reference(dout, cache):
    return ref.batchnorm_backward(dout, cache)


def stub(dout, cache):
    raise NotImplementedError()


def returns_two(dout, cache):
    return compact_with_cache_std(dout, cache)[:2]


def dgamma_axis1(dout, cache):
    dx, _, dbeta = compact_with_cache_std(dout, cache)
    return dx, (np.asarray(dout) * cache["x_hat"]).sum(1), dbeta


def upcasts(dout, cache):
    dx, dgamma, dbeta = compact_float64_inside(dout, cache)
    return dx.astype(np.float64), dgamma.astype(np.float64), dbeta.astype(np.float64)


BACKWARD_MISTAKES = [
    (no_mean_path, "mean path was dropped"),
    (no_var_path, "variance path was dropped"),
    (constants, "treated as constants"),
    (_compact(use_gamma=False), "gamma was forgotten in dx"),
    (_compact(std_of=lambda v, e: np.sqrt(v)), "eps was left out"),
    (_compact(std_of=lambda v, e: np.sqrt(v) + e), "or added outside the square root"),
    (_compact(scale_term=-1.0), {
        check_batchnorm_backward: "step 3 (istd = 1 / std): the minus sign",
        check_batchnorm_backward_alt: "sign of the variance term"}),
    (_compact(dgamma_of=lambda d, c: d.sum(0)), "x_hat was left out"),
    (_compact(dgamma_of=lambda d, c: (d * c["x"]).sum(0)), "the input x"),
    (_compact(dgamma_of=lambda d, c: (d * c["x_hat"]).mean(0)), "dgamma is a mean"),
    (_compact(dbeta_of=lambda d, c: d.mean(0)), "dbeta is a mean"),
    (_compact(dbeta_of=lambda d, c: d.sum(0) * c["gamma"]), "dbeta was multiplied by gamma"),
    (dgamma_axis1, "dgamma has shape"),
    (lambda d, c: (lambda dx, dg, db: (dx, db, dg))(*compact_with_cache_std(d, c)),
     "dgamma and dbeta were swapped"),
    (lambda d, c: compact_with_cache_std(d, c)[::-1], "three gradients are in the wrong order"),
    (_compact(std_of=lambda v, e: np.sqrt(v + 1e-5)), ["large eps", "instead of cache['eps']"]),
    (_compact(std_of=lambda v, e: np.sqrt(v * 8 / 7 + e)), "the unbiased variance (ddof=1"),
    (modifies_cache, "changed its input `cache` in place"),
    (uses_autograd, "torch's backward"),
    (calls_reference, "course_utils.reference"),
    (stub, "not written yet"),
    (returns_two, "should return (dx, dgamma, dbeta)"),
    (upcasts, "dtype float64, expected float32"),
]


@pytest.mark.parametrize("check", [check_batchnorm_backward, check_batchnorm_backward_alt])
@pytest.mark.parametrize("student, words", BACKWARD_MISTAKES,
                         ids=[w if isinstance(w, str) else "sign" for _, w in BACKWARD_MISTAKES])
def test_backward_mistakes_rejected(check, student, words):
    """Is each wrong backward pass rejected, with a message that names the mistake?"""
    _rejected(check, student, words[check] if isinstance(words, dict) else words)


# ---- a staged pass wrong at one step: the message names the step ---------------------------

def staged_student(wrong=None, m_of=lambda dout: dout.shape[0]):
    """A staged backward pass as a student writes it, with one step done ``wrong``."""
    def batchnorm_backward(dout, cache):
        x_hat, var, gamma, eps = cache["x_hat"], cache["var"], cache["gamma"], cache["eps"]
        xmu = cache["x"] - cache["mean"]
        m = m_of(dout)
        eps = 1e-5 if wrong == "fixed eps" else eps
        std = np.sqrt(var + eps)
        istd = 1.0 / std
        dbeta = np.sum(dout, axis=0)
        dgamma = np.sum(dout * x_hat, axis=0)
        dx_hat = dout if wrong == "gamma forgotten" else dout * gamma
        if wrong == "x_hat for xmu":
            distd = np.sum(dx_hat * x_hat, axis=0)
        elif wrong == "istd not summed":
            distd = dx_hat * xmu
        elif wrong == "istd mean":
            distd = np.mean(dx_hat * xmu, axis=0)
        elif wrong == "istd axis 1":
            distd = np.sum(dx_hat * xmu, axis=1)
        else:
            distd = np.sum(dx_hat * xmu, axis=0)
        dxmu1 = dx_hat if wrong == "istd factor lost" else dx_hat * istd
        if wrong == "1/std not squared":
            dstd = -distd / std
        elif wrong == "1/std sign":
            dstd = distd / std**2
        else:
            dstd = -1.0 / std**2 * distd
        if wrong == "sqrt without 1/2":
            dvar = dstd / std
        elif wrong == "sqrt without eps":
            dvar = 0.5 / np.sqrt(var) * dstd
        elif wrong == "sqrt inverted":
            dvar = 2 * std * dstd
        else:
            dvar = 0.5 / np.sqrt(var + eps) * dstd
        if wrong == "mean without 1/m":
            dsq = np.ones_like(dout) * dvar
        elif wrong == "mean over m - 1":
            dsq = np.ones_like(dout) * dvar / (m - 1)
        else:
            dsq = np.ones_like(dout) * dvar / m
        dxmu2 = (xmu if wrong == "square without 2" else 2 * xmu) * dsq
        if wrong == "second path replaces":
            dxmu = dxmu2
        elif wrong == "second path dropped":
            dxmu = dxmu1
        else:
            dxmu = dxmu1 + dxmu2
        if wrong == "dmu sign":
            dmu = np.sum(dxmu, axis=0)
        elif wrong == "dmu mean":
            dmu = -np.mean(dxmu, axis=0)
        elif wrong == "dmu axis 1":
            dmu = -np.sum(dxmu, axis=1)
        elif wrong == "dmu first path only":  # the term that sums xmu is 0: this is right
            dmu = -np.sum(dxmu1, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
        else:
            dmu = -np.sum(dxmu, axis=0)
        if wrong == "mean path dropped":
            dx = dxmu
        elif wrong == "dx sign":
            dx = -dxmu + dmu / m
        elif wrong == "dx without 1/m":
            dx = dxmu + dmu
        elif wrong == "dx over m - 1":
            dx = dxmu + dmu / (m - 1)
        else:
            dx = dxmu + np.ones_like(dout) * dmu / m
        return dx, dgamma, dbeta
    return batchnorm_backward


STAGE_MISTAKES = [
    ("gamma forgotten", "step 1 (out = gamma * x_hat + beta): gamma was forgotten"),
    ("x_hat for xmu", "step 2 (x_hat = xmu * istd): d istd sums dx_hat * x_hat"),
    ("istd not summed", "step 2 (x_hat = xmu * istd): d istd was not summed over the batch"),
    ("istd mean", "step 2 (x_hat = xmu * istd): d istd is a mean over the batch"),
    ("istd factor lost", "step 2 (x_hat = xmu * istd): the first path into xmu lost its factor"),
    ("1/std not squared", "step 3 (istd = 1 / std): d(1/std)/d(std) is -1/std**2, not -1/std"),
    ("1/std sign", "step 3 (istd = 1 / std): the minus sign"),
    ("sqrt without 1/2", "step 4 (std = sqrt(var + eps)): the factor 1/2"),
    ("sqrt without eps", "step 4 (std = sqrt(var + eps)): eps was left out of this step"),
    ("sqrt inverted", "step 4 (std = sqrt(var + eps)): the derivative of the square root was "
                      "inverted"),
    ("mean without 1/m", "step 5 (var = mean of sq): the 1/m of the mean is missing"),
    ("mean over m - 1", "step 5 (var = mean of sq): d sq divides by m - 1"),
    ("square without 2", "step 6 (sq = xmu ** 2): the factor 2"),
    ("second path replaces", "step 6 (sq = xmu ** 2): the second path replaced the first"),
    ("second path dropped", "step 6 (sq = xmu ** 2): the variance path was dropped"),
    ("dmu sign", "step 7 (xmu = x - mu): d mu has the wrong sign"),
    ("dx sign", "step 7 (xmu = x - mu): the first path into x has the wrong sign"),
    ("fixed eps", "instead of cache['eps']"),
    ("dmu mean", "step 7 (xmu = x - mu): d mu is a mean over the batch"),
    ("mean path dropped", "step 8 (mu = mean of x): the mean path was dropped"),
    ("dx without 1/m", "step 8 (mu = mean of x): the 1/m of the mean is missing"),
    ("dx over m - 1", "step 8 (mu = mean of x): dx adds d mu / (m - 1)"),
]


def test_the_staged_student_is_right_when_nothing_is_wrong():
    """Is the template the step mistakes are made from itself a right backward pass?"""
    check_batchnorm_backward(staged_student(), seed=3, hidden=True)


def test_a_mean_step_without_the_zero_variance_term_is_accepted():
    """Is d mu without the paper's term dvar * mean(-2 xmu) (it is 0) accepted as right?"""
    check_batchnorm_backward(staged_student("dmu first path only"), seed=4, hidden=True)


@pytest.mark.parametrize("wrong, words", STAGE_MISTAKES, ids=[w for w, _ in STAGE_MISTAKES])
def test_a_staged_pass_wrong_at_one_step_is_told_which_step(wrong, words):
    """Does the staged check name the step a wrong staged pass went wrong at, and what to fix?"""
    _rejected(check_batchnorm_backward, staged_student(wrong), words)


@pytest.mark.parametrize("wrong", ["istd axis 1", "dmu axis 1"])
def test_a_sum_over_the_features_is_named(wrong):
    """A sum over axis=1 crashes on a (8, 5) batch: does the message suggest the axis?"""
    message = _rejected(check_batchnorm_backward, staged_student(wrong),
                        ["could not be broadcast", "sum over the wrong axis", "axis=0"])
    assert "random batch" in message


@pytest.mark.parametrize("wrong, step", [("istd axis 1", "step 2"), ("dmu axis 1", "step 7")])
def test_a_sum_over_the_features_of_a_square_batch_names_the_step(wrong, step):
    """On a square batch a sum over axis=1 keeps its shape: is the step named there?"""
    import course_utils.checks.bn_backward.backward as cb

    seed, rng = cb.make_rng(0)
    square = [c for c in cb._backward_cases(seed, rng, hidden=False) if "square" in c[0].label]
    assert square, "the visible cases have no square batch"
    (case, dout, cache), = square
    with pytest.raises(CheckFailure) as info:
        cb._check_one_backward(staged_student(wrong), "batchnorm_backward", case, dout, cache)
    assert f"{step} " in str(info.value) and "summed over axis=1" in str(info.value)


def test_m_taken_as_the_number_of_features_is_named():
    """Does a backward pass with m = dout.shape[1] (features, not examples) get told so?"""
    for check in (check_batchnorm_backward, check_batchnorm_backward_alt):
        _rejected(check, staged_student(m_of=lambda dout: dout.shape[1]),
                  "m is the batch size, N = dout.shape[0]")


def test_m_minus_one_everywhere_is_named():
    """Does a backward pass that divides by m - 1 throughout get told the forward divides by m?"""
    _rejected(check_batchnorm_backward, staged_student(m_of=lambda dout: dout.shape[0] - 1),
              "m - 1 was used where the batch size m belongs")


# ---- code written for another cache -------------------------------------------------------

def tuple_cache_staged(dout, cache):
    """A staged pass written for a cache that is a 7-tuple (another course's layout)."""
    normalized, scale, centred, inv_std, std, variance, eps = cache
    n = dout.shape[0]
    d_shift = dout.sum(axis=0)
    d_scale = (dout * normalized).sum(axis=0)
    d_norm = scale * dout
    d_inv_std = (d_norm * centred).sum(axis=0)
    d_var = -0.5 * d_inv_std / std**3
    d_centred = d_norm * inv_std + 2.0 * centred * d_var / n
    d_mean = -d_centred.sum(axis=0)
    return d_centred + d_mean / n, d_scale, d_shift


def eight_names_cache(dout, cache):
    """Unpacks the dict into eight names: they get its keys, strings."""
    x, x_hat, mean, var, std, gamma, beta, eps = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    return dout * gamma / std, dgamma, dbeta


def other_key_names(dout, cache):
    """A dict cache with another course's key names."""
    x_norm, ivar = cache["x_norm"], cache["ivar"]
    m = dout.shape[0]
    dbeta = dout.sum(0)
    dgamma = (dout * x_norm).sum(0)
    dx = cache["gamma"] * ivar / m * (m * dout - dbeta - x_norm * dgamma)
    return dx, dgamma, dbeta


def centred_key(dout, cache):
    xmu = cache["xmu"]
    return xmu, xmu.sum(0), xmu.sum(0)


def indexed_cache(dout, cache):
    x_hat, gamma = cache[1], cache[5]
    return dout * gamma, (dout * x_hat).sum(0), dout.sum(0)


@pytest.mark.parametrize("student, words", [
    (tuple_cache_staged, ["too many values to unpack", "unpacked like a tuple",
                          "'x_hat', 'mean', 'var', 'std'", "cache['x_hat']"]),
    (eight_names_cache, ["strings where numbers belong", "that gave its keys"]),
    (other_key_names, ["KeyError: 'x_norm'", "no key 'x_norm'", "cache['x_hat'] here"]),
    (centred_key, ["no key 'xmu'", "cache['x'] - cache['mean'] here"]),
    (indexed_cache, ["KeyError: 1", "indexed like a tuple (cache[1])"]),
], ids=["7-tuple", "8 names", "x_norm", "xmu", "cache[1]"])
def test_code_written_for_another_cache_is_told_what_the_cache_holds(student, words):
    """Does code that reads the cache another way learn this notebook's keys, not a traceback?"""
    for check in (check_batchnorm_backward, check_batchnorm_backward_alt):
        _rejected(check, student, words)


def test_visible_backward_check_catches_the_dropped_paths_without_hidden_cases():
    """Do the visible cases alone already catch the classic dropped-path mistakes?"""
    for student in (no_mean_path, no_var_path, constants):
        with pytest.raises(CheckFailure):
            check_batchnorm_backward(student, seed=0)


def _memorise_visible_backward():
    """The visible test's answers (seed 0), keyed by dout, as a student could copy them out."""
    import course_utils.checks.bn_backward.backward as cb
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    return {dout.tobytes(): compact_float64_inside(dout, cache)
            for _, dout, cache in cb._backward_cases(seed, rng, hidden=False)}


_MEMO = _memorise_visible_backward()


def hard_coded_backward(dout, cache):
    d = np.asarray(dout)
    zeros = (np.zeros_like(d), np.zeros(d.shape[1], d.dtype), np.zeros(d.shape[1], d.dtype))
    return tuple(np.copy(a) for a in _MEMO.get(d.tobytes(), zeros))


def test_hard_coded_backward_passes_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    check_batchnorm_backward(hard_coded_backward, seed=0)
    with pytest.raises(CheckFailure):
        check_batchnorm_backward(hard_coded_backward, seed=2024, hidden=True)


# ---- the same verdicts through the hardened grader -----------------------------------------
# The grader runs the checks in its own process and the student's function in the kernel; the
# check's f stays in the grader and arrays cross as shared copies (autograder/wire.py). An
# output of f that aliases x must alias the kernel's x too, or the new cases would not bite.

THROUGH_THE_GRADER = {
    "numgrad_right_with_copies": ("check_numerical_gradient", """
        def numgrad_right_with_copies(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            for where in np.ndindex(*x.shape):
                saved = x[where]
                x[where] = saved + h
                up = np.array(f(x), copy=True)
                x[where] = saved - h
                down = np.array(f(x), copy=True)
                x[where] = saved
                grad[where] = np.sum((up - down) * dout) / (2 * h)
            return grad
        """, "passed"),
    "numgrad_keeps_outputs": ("check_numerical_gradient", """
        def numgrad_keeps_outputs(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            for where in np.ndindex(*x.shape):
                saved = x[where]
                x[where] = saved + h
                up = f(x)
                x[where] = saved - h
                down = f(x)
                x[where] = saved
                grad[where] = np.sum((up - down) * dout) / (2 * h)
            return grad
        """, "kept and subtracted afterwards"),
    "numgrad_sums_at_the_end": ("check_numerical_gradient", """
        def numgrad_sums_at_the_end(f, x, dout, h=1e-5):
            kept = []
            for i in np.ndindex(*x.shape):
                old = x[i]
                x[i] = old + h
                plus = f(x)
                x[i] = old - h
                minus = f(x)
                x[i] = old
                kept.append((i, plus, minus))
            grad = np.zeros_like(x)
            for i, plus, minus in kept:
                grad[i] = np.sum((plus - minus) * dout) / (2 * h)
            return grad
        """, "kept and subtracted afterwards"),
    "numgrad_fresh_inputs": ("check_numerical_gradient", """
        def numgrad_fresh_inputs(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            for i in np.ndindex(*x.shape):
                up, down = x.copy(), x.copy()
                up[i] += h
                down[i] -= h
                plus, minus = f(up), f(down)
                grad[i] = np.sum((plus - minus) * dout) / (2 * h)
            return grad
        """, "the same output array on every call"),
    "rel_no_floor": ("check_relative_error", """
        def rel_no_floor(a, b):
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            if a.shape != b.shape:
                raise ValueError("shapes differ")
            return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
        """, "1e-8 floor"),
    "bn_tuple_cache": ("check_batchnorm_backward", """
        def bn_tuple_cache(dout, cache):
            normalized, scale, centred, inv_std, std, variance, eps = cache
            return dout, dout.sum(0), dout.sum(0)
        """, "unpacked like a tuple"),
    "bn_key_names": ("check_batchnorm_backward", """
        def bn_key_names(dout, cache):
            x_norm = cache["x_norm"]
            return dout, dout.sum(0), dout.sum(0)
        """, "cache['x_hat'] here"),
    "bn_step_six": ("check_batchnorm_backward", """
        def bn_step_six(dout, cache):
            x_hat, var, gamma, eps = cache["x_hat"], cache["var"], cache["gamma"], cache["eps"]
            xmu = cache["x"] - cache["mean"]
            m = dout.shape[0]
            std = np.sqrt(var + eps)
            dx_hat = dout * gamma
            dvar = np.sum(dx_hat * xmu, axis=0) * -0.5 / std**3
            dxmu = dx_hat / std + xmu * dvar / m
            dx = dxmu - np.sum(dxmu, axis=0) / m
            return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)
        """, "step 6 (sq = xmu ** 2): the factor 2"),
}


@pytest.mark.parametrize("name", sorted(THROUGH_THE_GRADER))
def test_new_cases_judge_the_same_through_the_grader(kernel, name):  # noqa: F811
    """Is each new case's verdict (aliasing f, floor, cache, step) the same in the kernel?"""
    check, source, words = THROUGH_THE_GRADER[name]
    verdict = _same_verdict(kernel, source, name, f"{check}({name}, seed=5, hidden=True)")
    assert words in verdict, verdict
