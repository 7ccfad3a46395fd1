"""Checks for notebook 03: ``batchnorm_forward`` and ``identity_params``."""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from ._core import (
    Case, call_student, expect_array, expect_close, expect_raises, expect_tuple, fail, make_rng,
    tolerance,
)

__all__ = ["check_batchnorm_forward", "check_identity_params"]

#: Library functions that would do the exercise for the student.
FORBIDDEN = {"torch": {"batch_norm", "native_batch_norm", "_batch_norm_impl_index",
                       "layer_norm", "instance_norm", "group_norm"}}

CACHE_KEYS = ("x_hat", "mean", "var", "gamma", "eps")


def _batch(rng, n, d, dtype=np.float64, loc=None, scale=None):
    """A batch with per-feature offsets and scales, so per-feature statistics matter."""
    loc = rng.uniform(-3, 3, size=d) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=d) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


def _forward_cases(seed, rng, hidden):
    """(case, x, gamma, beta, eps) tuples: random, float32, edges, eps that matters."""
    cases = []

    def add(label, x, eps=1e-5, gamma=None, beta=None, **details):
        d = x.shape[1]
        gamma = rng.uniform(0.5, 2.0, size=d).astype(x.dtype) if gamma is None else gamma
        beta = rng.uniform(-1.0, 1.0, size=d).astype(x.dtype) if beta is None else beta
        details = {"x.shape": x.shape, "dtype": x.dtype.name, **details}
        if eps != 1e-5:
            details["eps"] = eps
        cases.append((Case(label, seed, details), x, gamma, beta, eps))

    add("random batch", _batch(rng, 8, 5))
    add("float32 batch", _batch(rng, 16, 4, np.float32))
    add("one feature (D = 1)", _batch(rng, 6, 1))
    add("two examples (N = 2)", _batch(rng, 2, 3))
    add("small variance, where eps matters", _batch(rng, 10, 3, scale=np.full(3, 1e-3)))
    add("eps passed by keyword", _batch(rng, 7, 3), eps=0.5)
    add("large offsets (mean 1e6)", _batch(rng, 12, 3, loc=np.full(3, 1e6)))
    wide = _batch(rng, 9, 8)
    add("non-contiguous input x[:, ::2]", wide[:, ::2])
    add("gamma = 1, beta = 0", _batch(rng, 5, 4), gamma=np.ones(4), beta=np.zeros(4))
    if hidden:
        for n, d in ((3, 7), (64, 2), (31, 17)):
            add("random batch", _batch(rng, n, d))
        add("float32, small variance", _batch(rng, 20, 3, np.float32, scale=np.full(3, 1e-2)))
        add("Fortran-ordered input", np.asfortranarray(_batch(rng, 11, 6)))
    return cases


def _forward_mistakes(x, gamma, beta, eps):
    """What common wrong implementations return for this input."""
    x = x.astype(np.float64)
    mu = x.mean(0)
    var = x.var(0)
    return [
        ("the unbiased variance (ddof=1, divide by m - 1) was used to normalize; batch norm "
         "normalizes with the biased variance (divide by m).",
         lambda: gamma * (x - mu) / np.sqrt(x.var(0, ddof=1) + eps) + beta),
        ("eps was added outside the square root: use sqrt(var + eps), not sqrt(var) + eps.",
         lambda: gamma * (x - mu) / (np.sqrt(var) + eps) + beta),
        ("eps was left out (or the default used instead of the eps argument).",
         lambda: gamma * (x - mu) / np.sqrt(var) + beta),
        ("the eps argument was ignored: the default 1e-5 was used instead.",
         lambda: gamma * (x - mu) / np.sqrt(var + 1e-5) + beta),
        ("divided by the variance instead of the standard deviation (missing square root).",
         lambda: gamma * (x - mu) / (var + eps) + beta),
        ("statistics were taken per row (axis=1, per example); batch norm takes them per "
         "column (axis=0, per feature, across the batch).",
         lambda: gamma * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps)
         + beta),
        ("one mean and variance over the whole array; batch norm keeps one per feature (axis=0).",
         lambda: gamma * (x - x.mean()) / np.sqrt(x.var() + eps) + beta),
        ("gamma and beta are swapped: out = gamma * x_hat + beta.",
         lambda: beta * (x - mu) / np.sqrt(var + eps) + gamma),
        ("beta was not added.", lambda: gamma * (x - mu) / np.sqrt(var + eps)),
        ("gamma was not applied.", lambda: (x - mu) / np.sqrt(var + eps) + beta),
        ("the output is x_hat alone: scale by gamma and shift by beta.",
         lambda: (x - mu) / np.sqrt(var + eps)),
        ("the variance was computed as mean(x**2) - mean(x)**2, which loses all precision when "
         "the mean is large; subtract the mean first, then square.",
         lambda: gamma * (x - mu) / np.sqrt(np.maximum((x**2).mean(0) - mu**2, 0) + eps) + beta),
    ]


def _check_cache(cache, expected, case, x, eps):
    if not isinstance(cache, dict):
        fail(case, f"the cache should be a dict, got {type(cache).__name__}.")
    missing = [k for k in CACHE_KEYS if k not in cache]
    if missing:
        fail(case, f"the cache is missing key(s) {missing}; it must hold at least "
                   f"{list(CACHE_KEYS)} (notebook 04's backward pass reads them).")
    x64 = x.astype(np.float64)
    var_mistakes = [
        ("cache['var'] holds the standard deviation; store the (biased) variance.",
         lambda: np.sqrt(x64.var(0))),
        ("cache['var'] holds sqrt(var + eps); store the variance itself.",
         lambda: np.sqrt(x64.var(0) + eps)),
        ("cache['var'] is the unbiased variance; store the biased one (divide by m).",
         lambda: x64.var(0, ddof=1)),
        ("cache['var'] includes eps; store var and keep eps separately.",
         lambda: x64.var(0) + eps),
    ]
    for key, mistakes in (("x_hat", ()), ("mean", ()), ("var", var_mistakes), ("gamma", ())):
        expect_array(cache[key], expected[key], case=case, what=f"cache['{key}']",
                     mistakes=mistakes)
    expect_close(cache["eps"], eps, case=case, what="cache['eps']")


def check_batchnorm_forward(student, seed=0, hidden=False):
    """Check a student's ``batchnorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)``.

    Cases: random batches, float32, D = 1, N = 2, a small variance where eps matters, an eps
    argument, large offsets, non-contiguous input, and a batch of one (ValueError). With
    ``hidden=True``: more shapes and the properties of the output (per-feature mean beta,
    invariance to shifting and scaling each feature).
    """
    seed, rng = make_rng(seed)
    for case, x, gamma, beta, eps in _forward_cases(seed, rng, hidden):
        result = call_student(student, x, gamma, beta, eps=eps, case=case,
                              name="batchnorm_forward", forbidden=FORBIDDEN,
                              arg_names=("x", "gamma", "beta"))
        out, cache = expect_tuple(result, 2, case=case, name="batchnorm_forward",
                                  what="(out, cache)")
        expected, expected_cache = ref.batchnorm_forward(x, gamma, beta, eps=eps)
        expect_array(out, expected, case=case, what="out",
                     mistakes=_forward_mistakes(x, gamma.astype(np.float64),
                                                beta.astype(np.float64), eps))
        _check_cache(cache, expected_cache, case, x, eps)

    one = Case("batch of one example", seed, {"x.shape": (1, 3)})
    expect_raises(student, np.ones((1, 3)), np.ones(3), np.zeros(3), case=one,
                  name="batchnorm_forward",
                  why="batch statistics of a single example are meaningless: its variance is 0")
    if hidden:
        _forward_properties(student, seed, rng)


def _forward_properties(student, seed, rng):
    """Properties any correct forward pass has, whatever the implementation."""
    n, d = 32, 6
    x = _batch(rng, n, d)
    gamma = rng.uniform(0.5, 2.0, d)
    beta = rng.uniform(-1, 1, d)
    case = Case("property: per-feature mean of out equals beta", seed, {"x.shape": (n, d)})
    out, _ = call_student(student, x, gamma, beta, case=case, name="batchnorm_forward")
    expect_array(np.asarray(out).mean(0), beta, case=case, what="mean of out over the batch")

    case = Case("property: shifting and rescaling the batch does not change out", seed,
                {"x.shape": (n, d)})
    shift = rng.uniform(-50, 50, d)
    scale = float(rng.uniform(2, 5))
    # with eps rescaled too (eps * scale**2), batch norm is exactly invariant
    out1, _ = call_student(student, x, gamma, beta, eps=1e-3, case=case, name="batchnorm_forward")
    out2, _ = call_student(student, x * scale + shift, gamma, beta, eps=1e-3 * scale**2,
                           case=case, name="batchnorm_forward")
    expect_array(out2, np.asarray(out1), case=case,
                 what="out for x * scale + shift (compared with out for x)")


def check_identity_params(student, seed=0, hidden=False):
    """Check ``identity_params(x, eps=1e-5) -> (gamma, beta)``.

    The returned parameters must make the reference ``batchnorm_forward`` give back x.
    """
    seed, rng = make_rng(seed)
    cases = [
        (Case("random batch", seed, {"x.shape": (8, 5)}), _batch(rng, 8, 5), 1e-5),
        (Case("float32 batch", seed, {"x.shape": (10, 3)}), _batch(rng, 10, 3, np.float32), 1e-5),
        (Case("one feature (D = 1)", seed, {"x.shape": (6, 1)}), _batch(rng, 6, 1), 1e-5),
        (Case("eps passed by keyword, small variance", seed, {"x.shape": (9, 4), "eps": 0.01}),
         _batch(rng, 9, 4, scale=np.full(4, 0.05)), 0.01),
    ]
    if hidden:
        cases += [(Case("random batch", seed, {"x.shape": (n, d)}), _batch(rng, n, d), 1e-5)
                  for n, d in ((2, 3), (40, 9))]
    for case, x, eps in cases:
        result = call_student(student, x, eps=eps, case=case, name="identity_params",
                              forbidden=FORBIDDEN, arg_names=("x",))
        gamma, beta = expect_tuple(result, 2, case=case, name="identity_params",
                                   what="(gamma, beta)")
        exp_gamma, exp_beta = ref.identity_params(x, eps=eps)
        x64 = x.astype(np.float64)
        gamma_mistakes = [
            ("gamma should be sqrt(var + eps), the same denominator batch norm divides by; "
             "it looks like eps was left out.", lambda: x64.std(0)),
            ("gamma is the variance; it should be the standard deviation sqrt(var + eps).",
             lambda: x64.var(0) + eps),
            ("gamma uses the unbiased variance; batch norm divided by the biased one.",
             lambda: np.sqrt(x64.var(0, ddof=1) + eps)),
            ("gamma = 1 undoes nothing: the normalization divided by sqrt(var + eps).",
             lambda: np.ones(x.shape[1])),
        ]
        beta_mistakes = [("beta = 0 undoes nothing: the normalization subtracted the mean.",
                          lambda: np.zeros(x.shape[1]))]
        expect_array(gamma, exp_gamma, case=case, what="gamma", mistakes=gamma_mistakes)
        expect_array(beta, exp_beta, case=case, what="beta", mistakes=beta_mistakes)
        # the point of the exercise: these parameters make batch norm the identity
        out, _ = ref.batchnorm_forward(x, gamma, beta, eps=eps)
        r, a = tolerance(x.dtype)
        expect_array(out, x, case=case, what="batchnorm_forward(x, gamma, beta) with your "
                     "parameters", rtol=r * 10, atol=a * 10)
