"""Does check_numerical_gradient (notebook 04) accept any right answer and name each mistake
of its catalogue?"""

import numpy as np
import pytest

from course_utils.checks import check_numerical_gradient
from tests.helpers import accepted, mistakes_rejected

pytestmark = pytest.mark.nb04


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
