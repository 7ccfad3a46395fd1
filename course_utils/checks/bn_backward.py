"""Checks for notebook 04: gradient checking tools and the batch norm backward pass.

``check_relative_error``, ``check_numerical_gradient``, ``check_batchnorm_backward`` (staged)
and ``check_batchnorm_backward_alt`` (closed form). The backward checks build the cache with
the course's reference forward pass, so they do not depend on a student's notebook 03.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from ._core import (
    Case, call_student, expect_array, expect_close, expect_raises, expect_tuple, fail, make_rng,
    tolerance,
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
    ]


def check_relative_error(student, seed=0, hidden=False):
    """Check ``relative_error(a, b) -> float``: ``max(|a - b| / max(1e-8, |a| + |b|))``.

    Cases: close arrays, entries of very different sizes (where the max must be taken entry
    by entry), negative entries, equal arrays, two zero arrays (the 1e-8 floor), scalars,
    float32, and arrays of different shapes (ValueError).
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
        got = call_student(student, a, b, case=case, name="relative_error", arg_names=("a", "b"))
        if isinstance(got, np.ndarray) and got.ndim > 0:
            fail(case, f"relative_error returned an array of shape {got.shape}; return one "
                       "number, the largest relative error (np.max(...), then float(...)).")
        expect_close(got, ref.relative_error(a, b), case=case, what="relative_error(a, b)",
                     mistakes=_relative_error_mistakes(a, b), rtol=1e-6, atol=1e-12)

    case = Case("arrays of different shapes", seed, {"a.shape": (4, 3), "b.shape": (3,)})
    expect_raises(student, np.ones((4, 3)), np.full(3, 2.0), case=case, name="relative_error",
                  why="a and b must have the same shape; broadcasting them would compare the "
                      "wrong entries")


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


def _numgrad_mistakes(f, x, dout, h):
    ones = np.ones_like(np.asarray(dout, dtype=np.float64))
    mistakes = [
        ("the gradient is all zeros: f never saw the perturbed values. Perturb x itself "
         "(x.flatten(), and x.reshape(-1) of a non-contiguous array, make copies) and pass "
         "that x to f; np.ndindex(*x.shape) gives every index.", lambda: np.zeros(np.shape(x))),
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
    keyword (large, so that forward differences and a fixed step show), float32. After each
    call, x and dout must hold exactly what they held before.
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
        expected = _central(f, x, dout, 1e-5 if h is None else h)
        expect_array(grad, expected, case=case, what="the numerical gradient",
                     mistakes=_numgrad_mistakes(f, x, dout, 1e-5 if h is None else h),
                     rtol=1e-5, atol=1e-7)

    # float32: the result keeps x's dtype (f computes in float64, a large h keeps it accurate)
    f = fs["exp(x) / 3, elementwise"]
    x = rng.uniform(-1, 1, size=(3, 2)).astype(np.float32)
    dout = rng.normal(size=(3, 2))
    case = Case("float32 x", seed, {"f": "exp(x) / 3, elementwise", "x.shape": (3, 2),
                                    "dtype": "float32", "h": 1e-2})
    grad = _call_numgrad(student, f, x, dout, case, h=1e-2)
    expect_array(grad, _central(f, x, dout, 1e-2).astype(np.float32), case=case,
                 what="the numerical gradient", rtol=1e-3, atol=1e-4)


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
    if hidden:
        for n, d in ((3, 7), (64, 2), (31, 17)):
            add("random batch", _batch(rng, n, d))
        add("float32, small variance", _batch(rng, 20, 3, np.float32, scale=np.full(3, 1e-2)))
        add("negative gamma", _batch(rng, 8, 3), gamma=np.array([-1.5, 0.7, -0.2]))
    return cases


EPS_MISTAKE = ("eps was left out of the standard deviation or added outside the square root: "
               "use sqrt(var + eps), the std the forward pass divided by (cache['std'] holds "
               "it).")


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
    ]
    dbeta = [
        ("dbeta is a mean over the batch; it should be sum(dout, axis=0).",
         lambda: dout.mean(0)),
        ("dbeta was multiplied by gamma; d(out)/d(beta) = 1.", lambda: dout.sum(0) * gamma),
    ]
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


def _check_backward(student, name, seed, hidden):
    seed, rng = make_rng(seed)
    for case, dout, cache in _backward_cases(seed, rng, hidden):
        result = call_student(student, dout, cache, case=case, name=name, forbidden=FORBIDDEN,
                              arg_names=("dout", "cache"))
        got = expect_tuple(result, 3, case=case, name=name, what="(dx, dgamma, dbeta)")
        expected = ref.batchnorm_backward_alt(dout.astype(np.float64), _cache64(cache))
        mistakes = _backward_mistakes(dout, cache)
        dtype = dout.dtype
        r, a = tolerance(dtype)
        for what, g, e in zip(("dbeta", "dgamma", "dx"), got[::-1], expected[::-1]):
            expect_array(g, e.astype(dtype), case=case, what=what, dtype=dtype,
                         mistakes=mistakes[what], rtol=r, atol=a * 5)
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
    dx, _, _ = call_student(student, dout, cache, case=case, name=name, forbidden=FORBIDDEN)
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
    non-contiguous dout, gamma = 1. ``hidden=True`` adds shapes and properties (sum of dx is
    zero per feature; dx linear in dout; agreement with finite differences).
    """
    _check_backward(student, "batchnorm_backward", seed, hidden)


def check_batchnorm_backward_alt(student, seed=0, hidden=False):
    """Check the closed-form ``batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)``.

    Same cases as :func:`check_batchnorm_backward`: both must give the same numbers.
    """
    _check_backward(student, "batchnorm_backward_alt", seed, hidden)
