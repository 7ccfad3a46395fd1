"""Checks for notebook 04: gradient checking tools and the batch norm backward pass.

``check_relative_error``, ``check_numerical_gradient``, ``check_batchnorm_backward`` (staged)
and ``check_batchnorm_backward_alt`` (closed form). The backward checks build the cache with
the course's reference forward pass, so they do not depend on a student's notebook 03.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from ._core import (
    Case, CheckFailure, call_student, expect_array, expect_close, expect_raises, expect_tuple,
    fail, make_rng, tolerance,
)

__all__ = ["check_relative_error", "check_numerical_gradient", "check_batchnorm_backward",
           "check_batchnorm_backward_alt"]

#: Library functions that would do the exercise for the student (autograd, torch's BN kernels).
FORBIDDEN = {"torch": {"backward", "grad", "batch_norm", "native_batch_norm",
                       "batch_norm_backward", "native_batch_norm_backward",
                       "cudnn_batch_norm_backward"}}


def _batch(rng, n, d, dtype=np.float64, loc=None, scale=None):
    """A batch with per-feature offsets and scales, so per-feature statistics matter."""
    loc = rng.uniform(-3, 3, size=d) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=d) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


class _RightHere(Exception):
    """A mistake whose output is the right answer in this case (diagnose skips it)."""


def _unlike(mistakes, expected, rtol, atol):
    """The mistakes, each skipped where its output is (close to) the right answer.

    A wrong formula can coincide with the right one for some inputs (|a + b| = |a| + |b|
    when both are positive; m = D for a square batch): where it would pass the check itself
    (``rtol``, ``atol``: the check's tolerances), naming it would mislead. The candidates
    are still computed only when a check fails (diagnose calls them).
    """
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0

    def unless_right(make):
        def candidate():
            value = np.asarray(make(), dtype=np.float64)
            if value.shape == expected.shape and np.allclose(value, expected, rtol=rtol,
                                                             atol=atol * scale):
                raise _RightHere
            return value
        return candidate

    return [(label, unless_right(make)) for label, make in mistakes]


# ---------------------------------------------------------------------------------------
# relative_error
# ---------------------------------------------------------------------------------------


def _relative_error_mistakes(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    diff = np.abs(a - b)
    return [
        ("the mean of the elementwise relative errors was returned; the definition takes the "
         "largest one (max), so that one bad entry is not averaged away.",
         lambda: np.mean(diff / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
        ("one global ratio max|a - b| / max(|a| + |b|) was returned; the definition divides "
         "entry by entry, then takes the max.",
         lambda: diff.max() / max(1e-8, float((np.abs(a) + np.abs(b)).max()))),
        ("the denominator is |a| alone; use |a| + |b| (symmetric in a and b).",
         lambda: np.max(diff / np.maximum(1e-8, np.abs(a)))),
        ("the denominator is |a + b|, not |a| + |b|: with entries of opposite sign (or "
         "negative ones) it is too small.",
         lambda: np.max(diff / np.maximum(1e-8, np.abs(a + b)))),
        ("the absolute value of a - b was forgotten: the largest *signed* ratio was returned.",
         lambda: np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
        ("the absolute difference max|a - b| was returned, without dividing.",
         lambda: diff.max()),
        ("the 1e-8 floor was left out: divide by np.maximum(1e-8, np.abs(a) + np.abs(b)), "
         "not by |a| + |b| alone (for tiny entries the floor is what makes the error small).",
         lambda: np.max(diff / (np.abs(a) + np.abs(b)))),
        ("the floor was added (|a| + |b| + 1e-8) instead of taken as a maximum: use "
         "np.maximum(1e-8, np.abs(a) + np.abs(b)).",
         lambda: np.max(diff / (1e-8 + np.abs(a) + np.abs(b)))),
    ]


def _relative_error_nan(case, got, a, b):
    """NaN or inf where the definition gives a finite number: name the missing floor."""
    try:
        value = float(got)
    except (TypeError, ValueError):
        return
    if np.isfinite(value):
        return
    denominator = np.abs(np.asarray(a, dtype=np.float64)) + np.abs(np.asarray(b, dtype=np.float64))
    if np.any(denominator == 0):
        fail(case, f"relative_error returned {value} where a and b are both 0 (0 / 0). The "
                   "1e-8 floor is there for exactly this: divide entry by entry by "
                   "np.maximum(1e-8, np.abs(a) + np.abs(b)), so that two zeros compare as "
                   "equal (relative error 0). (Python's max(1e-8, ...) does not work on "
                   "arrays; np.maximum does.)")


def _call_relative_error(student, a, b, case):
    try:
        return call_student(student, a, b, case=case, name="relative_error",
                            arg_names=("a", "b"))
    except CheckFailure as exc:
        message = str(exc)
        if "truth value of an array" in message:
            raise CheckFailure(message + "\nLikely mistake: Python's max() (or `if`) was used "
                               "on an array; for the entrywise floor use "
                               "np.maximum(1e-8, np.abs(a) + np.abs(b)).") from None
        raise


def check_relative_error(student, seed=0, hidden=False):
    """Check ``relative_error(a, b) -> float``: ``max(|a - b| / max(1e-8, |a| + |b|))``.

    Cases: close arrays, entries of very different sizes (where the max must be taken entry
    by entry), negative entries, equal arrays, two zero arrays (the 1e-8 floor: NaN there
    is named), scalars, float32, and arrays of different shapes (ValueError, part of the
    exercise's contract).
    """
    seed, rng = make_rng(seed)
    cases = []

    def add(label, a, b):
        a_arr = np.asarray(a)
        cases.append((Case(label, seed, {"shape": a_arr.shape, "dtype": a_arr.dtype.name}), a, b))

    a = rng.normal(size=(6, 4))
    add("two close arrays", a, a + 1e-6 * rng.normal(size=a.shape))
    small = rng.uniform(1e-3, 2e-3, size=5)
    big = rng.uniform(50, 100, size=5)
    a = np.concatenate([small, big])
    b = np.concatenate([small * rng.uniform(1.2, 1.5, 5), big + rng.uniform(0.5, 1, 5)])
    add("entries of very different sizes", a, b)
    a = -rng.uniform(1, 2, size=(3, 3))
    b = a * (1 + rng.uniform(1e-4, 1e-3, size=a.shape))
    b[0, 0] = -a[0, 0] * 0.5
    add("negative entries and a sign change", a, b)
    a = rng.normal(size=7)
    add("equal arrays", a, a.copy())
    add("two zero arrays (the 1e-8 floor)", np.zeros((2, 3)), np.zeros((2, 3)))
    x = float(rng.uniform(1, 2))
    add("two Python floats", x, x * 1.001)
    a = rng.normal(size=(4, 5)).astype(np.float32)
    add("float32 arrays", a, (a * 1.01).astype(np.float32))
    if hidden:
        for shape in ((1,), (3, 4, 2), (50,)):
            a = rng.normal(size=shape)
            add("random arrays", a, a + rng.normal(scale=1e-3, size=shape))
        a = rng.normal(size=8) * 1e-12
        add("tiny values, where the floor dominates", a, a * 3)

    for case, a, b in cases:
        got = _call_relative_error(student, a, b, case)
        if isinstance(got, np.ndarray) and got.ndim > 0:
            fail(case, f"relative_error returned an array of shape {got.shape}; return one "
                       "number, the largest relative error (np.max(...), then float(...)).")
        _relative_error_nan(case, got, a, b)
        expected = ref.relative_error(a, b)
        expect_close(got, expected, case=case, what="relative_error(a, b)",
                     mistakes=_unlike(_relative_error_mistakes(a, b), expected, 1e-6, 1e-12),
                     rtol=1e-6, atol=1e-12)

    case = Case("arrays of different shapes", seed, {"a.shape": (4, 3), "b.shape": (3,)})
    expect_raises(student, np.ones((4, 3)), np.full(3, 2.0), case=case, name="relative_error",
                  why="a and b must have the same shape; broadcasting them would compare the "
                      "wrong entries. Raising it is part of the exercise's contract: "
                      "`if a.shape != b.shape: raise ValueError(...)` after np.asarray")
    case = Case("arrays of the same size but different shapes", seed,
                {"a.shape": (2, 3), "b.shape": (3, 2)})
    expect_raises(student, np.ones((2, 3)), np.full((3, 2), 2.0), case=case,
                  name="relative_error",
                  why="a (2, 3) and a (3, 2) array have the same number of entries, but not "
                      "the same shape: compare a.shape with b.shape, not their sizes, and do "
                      "not flatten them first")


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


# ---------------------------------------------------------------------------------------
# batchnorm_backward and batchnorm_backward_alt
# ---------------------------------------------------------------------------------------


def _backward_cases(seed, rng, hidden):
    """(case, dout, cache) tuples; the cache comes from the reference forward pass."""
    cases = []

    def add(label, x, eps=1e-5, gamma=None, dout=None, **details):
        d = x.shape[1]
        gamma = rng.uniform(0.5, 2.0, size=d).astype(x.dtype) if gamma is None else gamma
        beta = rng.uniform(-1.0, 1.0, size=d).astype(x.dtype)
        _, cache = ref.batchnorm_forward(x, gamma, beta, eps=eps)
        dout = rng.normal(size=x.shape).astype(x.dtype) if dout is None else dout
        details = {"x.shape": x.shape, "dtype": x.dtype.name, **details}
        if eps != 1e-5:
            details["eps"] = eps
        cases.append((Case(label, seed, details), dout, cache))

    add("random batch", _batch(rng, 8, 5))
    add("float32 batch", _batch(rng, 16, 4, np.float32))
    add("one feature (D = 1)", _batch(rng, 6, 1))
    add("two examples (N = 2)", _batch(rng, 2, 3))
    add("small variance, where eps matters", _batch(rng, 10, 3, scale=np.full(3, 2e-3)))
    add("large eps (0.5) in the forward pass", _batch(rng, 7, 3), eps=0.5)
    add("large offsets (mean 1e6)", _batch(rng, 12, 3, loc=np.full(3, 1e6)))
    wide = rng.normal(size=(9, 8))
    add("non-contiguous dout (dout[:, ::2])", _batch(rng, 9, 4), dout=wide[:, ::2])
    add("gamma = 1", _batch(rng, 5, 4), gamma=np.ones(4))
    add("square batch (N = D), where a sum over the wrong axis keeps the right shape",
        _batch(rng, 6, 6))
    if hidden:
        for n, d in ((3, 7), (64, 2), (31, 17)):
            add("random batch", _batch(rng, n, d))
        add("float32, small variance", _batch(rng, 20, 3, np.float32, scale=np.full(3, 1e-2)))
        add("negative gamma", _batch(rng, 8, 3), gamma=np.array([-1.5, 0.7, -0.2]))
    return cases


EPS_FIXED = ("eps was taken as 1e-5 instead of cache['eps'], the eps this forward pass "
             "used (here it is not 1e-5): read it from the cache, or use cache['std'].")
EPS_MISTAKE = ("eps was left out of the standard deviation or added outside the square root: "
               "use sqrt(var + eps), the std the forward pass divided by (cache['std'] holds "
               "it).")


#: The staged pass as the notebook numbers it (the red numbers of draw_bn_graph).
STEPS = {
    1: "step 1 (out = gamma * x_hat + beta)",
    2: "step 2 (x_hat = xmu * istd)",
    3: "step 3 (istd = 1 / std)",
    4: "step 4 (std = sqrt(var + eps))",
    5: "step 5 (var = mean of sq)",
    6: "step 6 (sq = xmu ** 2)",
    7: "step 7 (xmu = x - mu)",
    8: "step 8 (mu = mean of x)",
}


def _staged(dout, cache, wrong=None, m=None, eps=None):
    """dx of the staged pass, with one step done wrong (``wrong``: a key of STAGE_MISTAKES).

    Every step in float64, one line per node of the graph, so that a student's staged pass
    that goes wrong at one node matches exactly one of these. ``m`` replaces the batch size,
    ``eps`` the cache's eps in the std the backward pass computes (xmu stays the true one).
    """
    dout = np.asarray(dout, dtype=np.float64)
    x_hat = cache["x_hat"].astype(np.float64)
    var = cache["var"].astype(np.float64)
    gamma = cache["gamma"].astype(np.float64)
    true_eps = float(cache["eps"])
    m = dout.shape[0] if m is None else m
    std = np.sqrt(var + (true_eps if eps is None else eps))
    istd = 1 / std
    xmu = x_hat * np.sqrt(var + true_eps)

    def batch_sum(v, step):  # over the batch, or done wrong at this step
        if wrong == f"{step}-axis":
            return v.sum(axis=1)
        return v.mean(axis=0) if wrong == f"{step}-mean" else v.sum(axis=0)

    # 1: out = gamma * x_hat + beta
    dx_hat = dout if wrong == "1-gamma" else dout * gamma
    # 2: x_hat = xmu * istd
    prod = dx_hat * (x_hat if wrong == "2-xhat" else xmu)
    distd = prod if wrong == "2-unsummed" else batch_sum(prod, 2)
    dxmu1 = dx_hat if wrong == "2-istd" else dx_hat * istd
    # 3: istd = 1 / std
    dstd = -distd / (std if wrong == "3-square" else std**2)
    if wrong == "3-sign":
        dstd = -dstd
    # 4: std = sqrt(var + eps)
    if wrong == "4-half":
        dvar = dstd / std
    elif wrong == "4-eps":
        dvar = dstd / (2 * np.sqrt(var))
    elif wrong == "4-inverted":
        dvar = dstd * 2 * std
    else:
        dvar = dstd / (2 * std)
    # 5: var = mean(sq)
    per_example = {"5-m": 1, "5-unbiased": m - 1}.get(wrong, m)
    dsq = np.ones_like(dout) * dvar / per_example
    # 6: sq = xmu ** 2, the second path into xmu
    dxmu2 = (1 if wrong == "6-two" else 2) * xmu * dsq
    dxmu = {"6-replaced": dxmu2, "6-dropped": dxmu1}.get(wrong, dxmu1 + dxmu2)
    # 7: xmu = x - mu
    dmu = -batch_sum(dxmu, 7)
    if wrong == "7-sign":
        dmu = -dmu
    dx = -dxmu if wrong == "7-xsign" else dxmu
    # 8: mu = mean(x), the second path into x
    if wrong == "8-dropped":
        return dx
    return dx + dmu / {"8-m": 1, "8-unbiased": m - 1}.get(wrong, m)


#: (key of _staged, step, what went wrong there and what it should be)
STAGE_MISTAKES = [
    ("1-gamma", 1, "gamma was forgotten in dx: dx_hat = gamma * dout, not dout."),
    ("2-xhat", 2, "d istd sums dx_hat * x_hat; it should sum dx_hat * xmu (the other factor "
                  "of x_hat = xmu * istd is xmu, not x_hat)."),
    ("2-unsummed", 2, "d istd was not summed over the batch: istd is one number per feature "
                      "used by all m examples, so d istd = sum(dx_hat * xmu, axis=0), "
                      "shape (D,)."),
    ("2-mean", 2, "d istd is a mean over the batch; a value used by all m examples collects "
                  "the sum of their gradients: d istd = sum(dx_hat * xmu, axis=0)."),
    ("2-axis", 2, "d istd was summed over axis=1 (the features); sum over the batch, axis=0."),
    ("2-istd", 2, "the first path into xmu lost its factor istd: dxmu = dx_hat * istd."),
    ("3-square", 3, "d(1/std)/d(std) is -1/std**2, not -1/std: d std = -d istd / std**2."),
    ("3-sign", 3, "the minus sign of d(1/std)/d(std) = -1/std**2 was lost: "
                  "d std = -d istd / std**2."),
    ("4-half", 4, "the factor 1/2 of d sqrt(u)/du = 1 / (2 sqrt(u)) is missing: "
                  "d var = d std / (2 * std)."),
    ("4-eps", 4, "eps was left out of this step's derivative: d var = d std / (2 sqrt(var + "
                 "eps)), the same std the forward pass divided by."),
    ("4-inverted", 4, "the derivative of the square root was inverted: d sqrt(u)/du is "
                      "1 / (2 sqrt(u)), so d var = d std / (2 * std), not d std * 2 * std."),
    ("5-m", 5, "the 1/m of the mean is missing: var = (1/m) sum(sq), so d sq = d var / m."),
    ("5-unbiased", 5, "d sq divides by m - 1; the forward pass normalizes with the biased "
                      "variance (divide by m), so d sq = d var / m."),
    ("6-two", 6, "the factor 2 of d(xmu**2)/d(xmu) = 2 xmu is missing: "
                 "dxmu += 2 * xmu * d sq."),
    ("6-replaced", 6, "the second path replaced the first instead of adding to it: "
                      "dxmu = dxmu (from step 2) + 2 * xmu * d sq."),
    ("6-dropped", 6, "the variance path was dropped: var depends on every x_i through sq, so "
                     "dxmu gets a second term, 2 * xmu * d sq, added to the one from step 2."),
    ("7-sign", 7, "d mu has the wrong sign: xmu = x - mu, so d mu = -sum(dxmu, axis=0)."),
    ("7-xsign", 7, "the first path into x has the wrong sign: d(x - mu)/dx = +1, so dx = dxmu "
                   "(the minus belongs to d mu)."),
    ("7-mean", 7, "d mu is a mean over the batch; mu is used by all m examples, so it collects "
                  "the sum: d mu = -sum(dxmu, axis=0)."),
    ("7-axis", 7, "d mu was summed over axis=1 (the features); sum over the batch, axis=0."),
    ("8-dropped", 8, "the mean path was dropped: mu depends on every x_i, so dx gets a second "
                     "term, d mu / m, added to dxmu."),
    ("8-m", 8, "the 1/m of the mean is missing: mu = (1/m) sum(x), so dx = dxmu + d mu / m."),
    ("8-unbiased", 8, "dx adds d mu / (m - 1); the mean divides by m: dx = dxmu + d mu / m."),
]


def _stage_mistakes(dout, cache):
    """Named candidates: the staged pass done wrong at one step (or m taken as D)."""
    out = [(f"{STEPS[step]}: {what}", lambda key=key: _staged(dout, cache, wrong=key))
           for key, step, what in STAGE_MISTAKES]
    d = np.shape(dout)[1]
    out.append(("m is the batch size, N = dout.shape[0] (the rows), not the number of "
                "features dout.shape[1]: in Algorithm 1, m counts the examples of the "
                "mini-batch.", lambda: _staged(dout, cache, m=d)))
    out.append(("m - 1 was used where the batch size m belongs: the forward pass divides by "
                "m (biased variance), so every 1/m of the backward pass is 1/m too.",
                lambda: _staged(dout, cache, m=np.shape(dout)[0] - 1)))
    out.append((EPS_FIXED, lambda: _staged(dout, cache, eps=1e-5)))
    return out


def _backward_mistakes(dout, cache):
    """What common wrong backward passes return: {"dx": [(label, make)], "dgamma": ..., ...}."""
    dout = dout.astype(np.float64)
    x_hat = cache["x_hat"].astype(np.float64)
    var = cache["var"].astype(np.float64)
    gamma = cache["gamma"].astype(np.float64)
    eps = float(cache["eps"])
    m = dout.shape[0]
    std = np.sqrt(var + eps)
    xmu = x_hat * std
    dxh = dout * gamma
    dvar = -0.5 * (dxh * xmu).sum(0) / std**3

    def closed(scale, g, s, d_out=dout):
        return g / (m * s) * (m * d_out - d_out.sum(0) - scale * x_hat * (d_out * x_hat).sum(0))

    dx = [
        ("the mean path was dropped from dx: mu depends on every x_i, so dx also gets "
         "dmu / m (dmu = -sum(dx_hat) / std).", lambda: dxh / std + 2 * xmu * dvar / m),
        ("the variance path was dropped from dx: var depends on every x_i, so dx also gets "
         "dvar * 2 (x_i - mu) / m.", lambda: dxh / std - dxh.sum(0) / (m * std)),
        ("the batch statistics were treated as constants (dx = gamma * dout / std): mean and "
         "variance both depend on x, and their paths must be added.", lambda: dxh / std),
        ("gamma was forgotten in dx: dx_hat = dout * gamma, not dout.",
         lambda: closed(1, 1.0, std)),
        (EPS_MISTAKE, lambda: closed(1, gamma, np.sqrt(var))),
        (EPS_MISTAKE, lambda: closed(1, gamma, np.sqrt(var) + eps)),
        ("the sign of the variance term is flipped: dx = gamma / (m std) * (m dout - sum(dout) "
         "- x_hat * sum(dout * x_hat)).", lambda: closed(-1, gamma, std)),
        ("the unbiased variance (ddof=1, divided by m - 1) went into std; the forward pass "
         "normalized with the biased one, cache['var'] (divided by m): use "
         "sqrt(cache['var'] + eps), which is cache['std'].",
         lambda: closed(1, gamma, np.sqrt(var * m / (m - 1) + eps))),
        (EPS_FIXED, lambda: closed(1, gamma, np.sqrt(var + 1e-5))),
        ("dx was divided by the variance instead of the standard deviation.",
         lambda: closed(1, gamma, var + eps)),
    ]
    dgamma = [
        ("dgamma should be sum(dout * x_hat) over the batch; it looks like x_hat was left out.",
         lambda: dout.sum(0)),
        ("dgamma multiplies dout by the input x; it should use the normalized x_hat.",
         lambda: (dout * (cache["x"].astype(np.float64) if "x" in cache else xmu)).sum(0)),
        ("dgamma is a mean over the batch; the gradient of a sum of losses is a sum.",
         lambda: (dout * x_hat).mean(0)),
        ("dgamma includes gamma: d(gamma * x_hat)/d(gamma) is x_hat alone.",
         lambda: (dout * x_hat).sum(0) * gamma),
        ("dgamma was summed over axis=1 (the features); gamma is one number per feature, "
         "so sum over the batch: sum(dout * x_hat, axis=0).", lambda: (dout * x_hat).sum(1)),
    ]
    dbeta = [
        ("dgamma and dbeta were swapped: return (dx, dgamma, dbeta), in this order.",
         lambda: (dout * x_hat).sum(0)),
        ("the three gradients are in the wrong order: return (dx, dgamma, dbeta).",
         lambda: closed(1, gamma, std)),
        ("dbeta is a mean over the batch; it should be sum(dout, axis=0).",
         lambda: dout.mean(0)),
        ("dbeta was multiplied by gamma; d(out)/d(beta) = 1.", lambda: dout.sum(0) * gamma),
        ("dbeta was summed over axis=1 (the features); sum over the batch: "
         "sum(dout, axis=0).", lambda: dout.sum(1)),
    ]
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


#: What this notebook's cache holds (the course's batchnorm_forward), and what code written for
#: another cache usually reads instead.
CACHE_KEYS = ("x", "x_hat", "mean", "var", "std", "gamma", "beta", "eps")
CACHE_ALIASES = {
    "cache['x_hat']": ("xhat", "x_norm", "x_normalized", "xnorm", "normalized", "xn"),
    "cache['mean']": ("mu", "sample_mean", "batch_mean", "mu_b", "mean_b"),
    "cache['var']": ("sample_var", "batch_var", "sigma2", "variance", "var_b"),
    "cache['std']": ("sqrtvar", "sqrt_var", "sigma", "stddev", "std_b"),
    "1 / cache['std']": ("ivar", "istd", "inv_std", "invstd", "inv_var", "rstd"),
    "cache['x'] - cache['mean']": ("xmu", "xc", "x_centered", "x_minus_mean", "x_mu",
                                   "centered"),
}


def _cache_hint(message: str) -> str:
    """A hint for a crash that comes from reading the cache another course's way."""
    contract = ("This notebook's cache is the dict the course's batchnorm_forward returns, "
                "with the keys " + ", ".join(f"'{k}'" for k in CACHE_KEYS) + " (see the "
                "exercise's text); read what you need by name, e.g. "
                "`x_hat, var = cache['x_hat'], cache['var']`.")
    if "raised KeyError: " in message:
        key = message.split("raised KeyError: ", 1)[1].split(" at line ")[0].strip()
        name = key.strip("'\"")
        if key.lstrip("-").isdigit():
            return (f"\nLikely mistake: the cache was indexed like a tuple (cache[{key}]), "
                    "as in code written for a cache that is a tuple. " + contract)
        for use, aliases in CACHE_ALIASES.items():
            if name.lower() in aliases:
                return (f"\nLikely mistake: the cache has no key {key}; what that name holds "
                        f"elsewhere is {use} here. " + contract)
        return f"\nLikely mistake: the cache has no key {key}. " + contract
    if "values to unpack" in message:
        return ("\nLikely mistake: the cache was unpacked like a tuple (`a, b, ... = cache`), "
                "as in code written for a cache that is a tuple; unpacking a dict gives its "
                "keys. " + contract)
    if "could not be broadcast" in message:
        return ("\nLikely mistake: a sum over the wrong axis, or a missing one? Every value "
                "that is one number per feature (d istd, d var, d mu, dgamma, dbeta) is a sum "
                "over the batch, axis=0, of shape (D,).")
    if "'str'" in message or "<U" in message:
        return ("\nLikely mistake: strings where numbers belong. If the cache was unpacked "
                "like a tuple (`a, b, ... = cache`), that gave its keys, not its values. "
                + contract)
    return ""


def _call_backward(student, dout, cache, case, name):
    try:
        return call_student(student, dout, cache, case=case, name=name, forbidden=FORBIDDEN,
                            arg_names=("dout", "cache"))
    except CheckFailure as exc:
        message = str(exc)
        hint = _cache_hint(message)
        if hint:
            raise CheckFailure(message + hint) from None
        raise


def _check_one_backward(student, name, case, dout, cache):
    result = _call_backward(student, dout, cache, case, name)
    got = expect_tuple(result, 3, case=case, name=name, what="(dx, dgamma, dbeta)")
    expected = ref.batchnorm_backward_alt(dout.astype(np.float64), _cache64(cache))
    mistakes = _backward_mistakes(dout, cache)
    staged = _stage_mistakes(dout, cache)
    # the staged pass is judged step by step first; the closed form by its terms first
    mistakes["dx"] = (staged + mistakes["dx"] if name == "batchnorm_backward"
                      else mistakes["dx"] + staged)
    dtype = dout.dtype
    r, a = tolerance(dtype)
    for what, g, e in zip(("dbeta", "dgamma", "dx"), got[::-1], expected[::-1]):
        expect_array(g, e.astype(dtype), case=case, what=what, dtype=dtype,
                     mistakes=_unlike(mistakes[what], e, r, a * 5), rtol=r, atol=a * 5)


def _check_backward(student, name, seed, hidden):
    seed, rng = make_rng(seed)
    for case, dout, cache in _backward_cases(seed, rng, hidden):
        _check_one_backward(student, name, case, dout, cache)
    if hidden:
        _backward_properties(student, name, seed, rng)


def _cache64(cache):
    return {k: (v.astype(np.float64) if isinstance(v, np.ndarray) else v) for k, v in cache.items()}


def _backward_properties(student, name, seed, rng):
    """Properties any correct backward pass has, however it is written."""
    x = _batch(rng, 24, 5)
    gamma = rng.uniform(0.5, 2, 5)
    _, cache = ref.batchnorm_forward(x, gamma, rng.normal(size=5))
    dout = rng.normal(size=x.shape)

    case = Case("property: sum of dx over the batch is 0 (shifting a feature changes nothing)",
                seed, {"x.shape": x.shape})
    dx, _, _ = _call_backward(student, dout, cache, case, name)
    dx = np.asarray(dx)
    expect_array(dx.sum(axis=0), np.zeros(5), case=case, what="sum(dx, axis=0)",
                 atol=1e-9 * max(1.0, float(np.abs(dx).max())))

    case = Case("property: dx is linear in dout", seed, {"x.shape": x.shape})
    dx3, _, _ = call_student(student, 3 * dout, cache, case=case, name=name, forbidden=FORBIDDEN)
    expect_array(np.asarray(dx3), 3 * dx, case=case, what="dx for 3 * dout (vs 3 * dx for dout)")

    case = Case("property: dx agrees with finite differences of the forward pass", seed,
                {"x.shape": (5, 3)})
    x = _batch(rng, 5, 3)
    gamma, beta = rng.uniform(0.5, 2, 3), rng.normal(size=3)
    _, cache = ref.batchnorm_forward(x, gamma, beta)
    dout = rng.normal(size=x.shape)
    dx, _, _ = call_student(student, dout, cache, case=case, name=name, forbidden=FORBIDDEN)
    numeric = _central(lambda z: ref.batchnorm_forward(z, gamma, beta)[0], x, dout, 1e-5)
    expect_array(dx, numeric, case=case, what="dx (vs central differences)", rtol=1e-5,
                 atol=1e-7)


def check_batchnorm_backward(student, seed=0, hidden=False):
    """Check the staged ``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``.

    The cache comes from ``course_utils.reference.batchnorm_forward`` (keys ``x``, ``x_hat``,
    ``mean``, ``var``, ``std``, ``gamma``, ``beta``, ``eps``). Cases: random batches,
    float32, D = 1, N = 2, small variance (eps matters), large eps, large offsets,
    non-contiguous dout, gamma = 1, a square batch (where a sum over the wrong axis keeps
    its shape). ``hidden=True`` adds shapes and properties (sum of dx is zero per feature;
    dx linear in dout; agreement with finite differences).

    A wrong dx that matches the staged pass done wrong at one node of the graph is named by
    its step (``STEPS``, the numbering of the notebook and of ``draw_bn_graph``); code that
    reads the cache another way (a tuple, other key names) is told what the cache holds.
    """
    _check_backward(student, "batchnorm_backward", seed, hidden)


def check_batchnorm_backward_alt(student, seed=0, hidden=False):
    """Check the closed-form ``batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)``.

    Same cases as :func:`check_batchnorm_backward`: both must give the same numbers. A wrong
    dx is named by the closed form's terms first, then by the step of the derivation that
    would give it.
    """
    _check_backward(student, "batchnorm_backward_alt", seed, hidden)
