"""``check_numerical_gradient`` (notebook 04) and its catalogue of named mistakes: one-sided
differences, a diagonal-only Jacobian, outputs kept and subtracted afterwards, an input
left perturbed. The test functions are written here, not taken from the reference.
"""

from __future__ import annotations

import numpy as np

from .._core import Case, CheckFailure, call_student, expect_array, fail, make_rng
from ._shared import _batch, _unlike

__all__ = ["check_numerical_gradient"]


# ---------------------------------------------------------------------------------------
# numerical_gradient
# ---------------------------------------------------------------------------------------


def _bn_like(x):
    """Batch-normalize the columns of x (no gamma, beta): every output depends on every row."""
    x = np.asarray(x, dtype=np.float64)
    xmu = x - x.mean(axis=0)
    return xmu / np.sqrt((xmu**2).mean(axis=0) + 1e-5)


def _make_functions(rng):
    """Test functions f, each written here (not in the reference), with their labels."""
    w = rng.normal(size=(4, 3))
    v = rng.normal(size=5)
    return {
        "tanh(x @ W), output (N, 3) for x (N, 4)": lambda x: np.tanh(np.asarray(x) @ w),
        "batch-normalized columns": _bn_like,
        "sin(x) * x**2, elementwise": lambda x: np.sin(x) * np.asarray(x) ** 2,
        "outer(x, v) for a vector x": lambda x: np.outer(np.sin(x), v),
        "exp(x) / 3, elementwise": lambda x: np.exp(np.asarray(x, dtype=np.float64)) / 3,
        "x**3 summed over the last axis": lambda x: (np.asarray(x, dtype=np.float64) ** 3).sum(-1),
    }


def _central(f, x, dout, h):
    """The check's own central differences, on a float64 copy of x."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        p = np.sum(f(x) * dout)
        x[idx] = old - h
        q = np.sum(f(x) * dout)
        x[idx] = old
        grad[idx] = (p - q) / (2 * h)
    return grad


def _one_sided(f, x, dout, h, sign=1):
    x = np.array(x, dtype=np.float64)
    base = np.sum(f(x) * dout)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + sign * h
        grad[idx] = sign * (np.sum(f(x) * dout) - base) / h
        x[idx] = old
    return grad


def _diagonal_only(f, x, dout, h):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        p = f(x)[idx]
        x[idx] = old - h
        q = f(x)[idx]
        x[idx] = old
        grad[idx] = (p - q) / (2 * h) * dout[idx]
    return grad


def _kept_outputs(f, x, dout, h, copy_plus=False, copy_minus=False):
    """A central difference that keeps the arrays f returned and subtracts them afterwards.

    Right when f returns a new array each call; wrong when f's output aliases x (f returns x,
    a view of it) or a buffer f reuses: the kept array then changes with the next
    perturbation or call. ``copy_plus``/``copy_minus``: only that output was copied.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        plus = np.array(plus) if copy_plus else plus
        x[idx] = old - h
        minus = f(x)
        minus = np.array(minus) if copy_minus else minus
        x[idx] = old
        grad[idx] = np.sum((np.asarray(plus) - np.asarray(minus)) * dout) / (2 * h)
    return grad


def _numgrad_mistakes(f, x, dout, h, aliasing=None):
    ones = np.ones_like(np.asarray(dout, dtype=np.float64))
    mistakes = []
    if aliasing is not None:
        kept = (f"{aliasing}, so an array kept from f(x + h) or f(x - h) is not a "
                "snapshot: it changes when x (or the next call) changes, and the difference "
                "of the two is no longer f(x + h) - f(x - h). Reduce each output to a number "
                "right away, `plus = np.sum(f(x) * dout)`, or keep a copy, `f(x).copy()`, "
                "before you change x again.")
        mistakes += [
            ("the outputs of f were kept and subtracted afterwards, but here f returns " + kept,
             lambda: _kept_outputs(f, x, dout, h)),
            ("only one of the two outputs of f was copied before x changed again; here f "
             "returns " + kept, lambda: _kept_outputs(f, x, dout, h, copy_plus=True)),
            ("only one of the two outputs of f was copied before x changed again; here f "
             "returns " + kept, lambda: _kept_outputs(f, x, dout, h, copy_minus=True)),
        ]
    zeros = ("the gradient is all zeros: f never saw the perturbed values. Perturb x itself "
             "(x.flatten(), and x.reshape(-1) of a non-contiguous array, make copies) and "
             "pass that x to f; np.ndindex(*x.shape) gives every index.")
    unweighted = _central(f, x, ones, h)
    if np.allclose(unweighted, 0, atol=1e-7 * max(1.0, float(np.abs(unweighted).max()))):
        zeros += (" Or dout was left out, or multiplied in only after the difference: for "
                  "this f, sum(f(x)) does not depend on x (each batch-normalized column sums "
                  "to 0), so only weighting every output by dout, np.sum(f(x) * dout), gives "
                  "a gradient.")
    mistakes += [
        (zeros, lambda: np.zeros(np.shape(x))),
        ("a forward difference (f(x + h) - f(x)) / h was used; central differences "
         "(f(x + h) - f(x - h)) / (2h) are far more accurate (error of order h**2, not h).",
         lambda: _one_sided(f, x, dout, h)),
        ("a backward difference (f(x) - f(x - h)) / h was used; use central differences.",
         lambda: _one_sided(f, x, dout, h, sign=-1)),
        ("the difference was divided by h instead of 2h: the two evaluations are 2h apart.",
         lambda: 2 * _central(f, x, dout, h)),
        ("dout was ignored: this is the gradient of sum(f(x)), not of sum(f(x) * dout). "
         "Weight the outputs by dout before summing.",
         lambda: _central(f, x, ones, h)),
        ("the h argument was ignored (a fixed step was used); use the h you are given.",
         lambda: _central(f, x, dout, 1e-5)),
        ("np.mean was taken where the loss is a sum: L = np.sum(f(x) * dout), not its mean "
         "(the mean divides the gradient by the number of outputs).",
         lambda: _central(f, x, dout, h) / max(1, np.size(dout))),
    ]
    if np.shape(dout) == np.shape(x):
        mistakes.append((
            "only output i was differentiated for input i (grad[i] = df[i]/dx[i] * dout[i]). "
            "Here every output depends on every input: differentiate sum(f(x) * dout) as a "
            "whole.", lambda: _diagonal_only(f, x, dout, h)))
    return mistakes


def check_numerical_gradient(student, seed=0, hidden=False):
    """Check ``numerical_gradient(f, x, dout, h=1e-5) -> ndarray``.

    Cases: functions whose outputs mix all inputs (matrix product, batch normalization),
    an output of another shape than x, a vector x, a non-contiguous x, an h passed by
    keyword (large, so that forward differences and a fixed step show), float32; then
    functions whose output aliases x (x itself, a transposed view; hidden: a reshaped view,
    a slice, a reused output buffer), where keeping f's outputs while x changes gives a wrong
    gradient. After each call, x and dout must hold exactly what they held before.
    """
    seed, rng = make_rng(seed)
    fs = _make_functions(rng)
    cases = []

    def add(label, fname, x, dout_shape=None, h=None):
        f = fs[fname]
        out_shape = np.shape(f(x)) if dout_shape is None else dout_shape
        dout = rng.normal(size=out_shape)
        details = {"f": fname, "x.shape": np.shape(x), "dtype": np.asarray(x).dtype.name}
        if h is not None:
            details["h"] = h
        cases.append((Case(label, seed, details), f, x, dout, h))

    add("matrix product", "tanh(x @ W), output (N, 3) for x (N, 4)", rng.normal(size=(5, 4)))
    add("batch normalization: every output depends on every input", "batch-normalized columns",
        _batch(rng, 6, 3))
    add("h passed by keyword", "sin(x) * x**2, elementwise", rng.uniform(-2, 2, size=(3, 4)),
        h=1e-2)
    add("large h passed by keyword", "exp(x) / 3, elementwise", rng.uniform(-1, 1, size=(2, 3)),
        h=0.1)
    add("a vector x", "outer(x, v) for a vector x", rng.normal(size=4))
    wide = _batch(rng, 5, 7)
    add("non-contiguous x (x[:, ::2])", "batch-normalized columns", wide[:, ::2])
    if hidden:
        add("a 3-D x", "x**3 summed over the last axis", rng.normal(size=(2, 3, 2)), h=1e-3)
        add("batch normalization", "batch-normalized columns", _batch(rng, 9, 2))
        add("matrix product, h passed by keyword", "tanh(x @ W), output (N, 3) for x (N, 4)",
            rng.normal(size=(3, 4)), h=1e-3)

    for case, f, x, dout, h in cases:
        kwargs = {} if h is None else {"h": h}
        grad = _call_numgrad(student, f, x, dout, case, **kwargs)
        step = 1e-5 if h is None else h
        expected = _central(f, x, dout, step)
        expect_array(grad, expected, case=case, what="the numerical gradient",
                     mistakes=_unlike(_numgrad_mistakes(f, x, dout, step), expected, 1e-5, 1e-7),
                     rtol=1e-5, atol=1e-7)

    # f whose output aliases x or a buffer it reuses: a gradient that keeps f's outputs while
    # x changes is wrong here (and only here). Last, so that everything else has passed.
    w = rng.normal(size=(4, 3))
    aliases = [("f returns x itself", "x itself (f(x) = x, as np.asarray(x) does)",
                _identity, rng.normal(size=(3, 4))),
               ("f returns a transposed view of x", "a view of x (f(x) = x.T)",
                _transposed, rng.normal(size=(4, 3)))]
    if hidden:
        aliases += [("f returns a reshaped view of x", "a view of x (f(x) = x.reshape(-1))",
                     _flattened, rng.normal(size=(2, 3))),
                    ("f returns a slice of x", "a view of x (f(x) = x[::-1, 1:])",
                     _sliced, rng.normal(size=(3, 3))),
                    ("f reuses one output buffer", "the same output array on every call "
                     "(it writes tanh(x @ W) into a buffer it reuses, as layers that "
                     "preallocate their output do)", _Buffered(w), rng.normal(size=(3, 4)))]
    for label, aliasing, f, x in aliases:
        dout = rng.normal(size=np.shape(f(x.copy())))
        case = Case(label, seed, {"x.shape": x.shape, "f(x).shape": dout.shape})
        grad = _call_numgrad(student, f, x, dout, case)
        expected = _central(f, x, dout, 1e-5)
        _expect_with_note(
            grad, expected, case=case, what="the numerical gradient",
            mistakes=_unlike(_numgrad_mistakes(f, x, dout, 1e-5, aliasing=aliasing), expected,
                             1e-5, 1e-7),
            rtol=1e-5, atol=1e-7,
            note=f"In this case f returns {aliasing}; your function passed the cases where "
                 "f returns a new array, so look for an output of f kept while x changes.")

    # float32: the result keeps x's dtype (f computes in float64, a large h keeps it accurate)
    f = fs["exp(x) / 3, elementwise"]
    x = rng.uniform(-1, 1, size=(3, 2)).astype(np.float32)
    dout = rng.normal(size=(3, 2))
    case = Case("float32 x", seed, {"f": "exp(x) / 3, elementwise", "x.shape": (3, 2),
                                    "dtype": "float32", "h": 1e-2})
    grad = _call_numgrad(student, f, x, dout, case, h=1e-2)
    expect_array(grad, _central(f, x, dout, 1e-2).astype(np.float32), case=case,
                 what="the numerical gradient", rtol=1e-3, atol=1e-4)


def _identity(x):
    return x


def _transposed(x):
    return x.T


def _flattened(x):
    return x.reshape(-1)


def _sliced(x):
    return x[::-1, 1:]


class _Buffered:
    """f(x) = tanh(x @ W), written into one array it reuses (so every call returns it)."""

    def __init__(self, w):
        self.w = w
        self.out = None

    def __call__(self, x):
        shape = (np.shape(x)[0], self.w.shape[1])
        if self.out is None or self.out.shape != shape:
            self.out = np.empty(shape)
        np.matmul(np.asarray(x, dtype=np.float64), self.w, out=self.out)
        return np.tanh(self.out, out=self.out)


def _expect_with_note(got, expected, *, note, **kwargs):
    """expect_array, with ``note`` added to a failure that names no likely mistake."""
    try:
        expect_array(got, expected, **kwargs)
    except CheckFailure as exc:
        message = str(exc)
        if "Likely mistake" in message:
            raise
        raise CheckFailure(message + "\n" + note) from None


def _private_copy(x):
    """A copy of x with the same memory layout (a non-contiguous x stays non-contiguous)."""
    if x.flags.c_contiguous:
        return x.copy()
    base = np.zeros(x.shape[:-1] + (2 * x.shape[-1] + 1,), dtype=x.dtype)
    view = base[..., : 2 * x.shape[-1] : 2]
    view[...] = x
    return view


def _call_numgrad(student, f, x, dout, case, **kwargs):
    """Call the student with copies of x and dout; they may perturb x but must restore it."""
    x_arg, dout_arg = _private_copy(x), np.array(dout)
    grad = call_student(lambda: student(f, x_arg, dout_arg, **kwargs), case=case,
                        name="numerical_gradient")
    if not np.array_equal(x_arg, x):
        changed = int(np.sum(x_arg != x))
        fail(case, f"x was not restored after perturbation: {changed} of its {x.size} "
                   "entries differ from what they were before the call. Save the entry "
                   "(old = x[i]), perturb it, evaluate f, and put back exactly `x[i] = old`. "
                   "(Undoing with x[i] -= h does not restore it exactly: rounding.)")
    if not np.array_equal(dout_arg, dout):
        fail(case, "numerical_gradient changed dout in place; leave it as it is.")
    return grad
