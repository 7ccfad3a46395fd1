"""``check_batchnorm_backward`` (staged) and ``check_batchnorm_backward_alt`` (closed form),
notebook 04: the cases (the cache from the reference forward pass), the comparison with
the catalogue in ``backward_mistakes``, and the properties every right backward pass has.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import (
    Case,
    CheckFailure,
    call_student,
    expect_array,
    expect_tuple,
    make_rng,
    tolerance,
)
from ._shared import FORBIDDEN, _batch, _unlike
from .backward_mistakes import _backward_mistakes, _cache_hint, _stage_mistakes
from .numerical_gradient import _central

__all__ = ["check_batchnorm_backward", "check_batchnorm_backward_alt"]


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
