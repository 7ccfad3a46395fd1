"""``check_batchnorm_inference`` (notebook 05) and its catalogue of named mistakes: the
batch's statistics instead of the running ones, a missing eps, gamma and beta swapped.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, expect_array, expect_raises, make_rng
from ._shared import FORBIDDEN, INFERENCE_FIX, _batch, _call

__all__ = ["check_batchnorm_inference"]


# ---------------------------------------------------------------------------------------
# batchnorm_inference
# ---------------------------------------------------------------------------------------


def _inference_mistakes(x, gamma, beta, rm, rv, eps):
    x, gamma, beta, rm, rv = (np.asarray(a, np.float64) for a in (x, gamma, beta, rm, rv))
    mistakes = []
    if x.shape[0] >= 2:
        mistakes.append((
            "the batch's own statistics were used; at inference normalize with running_mean "
            "and running_var, so that each example's output does not depend on its batch.",
            lambda: gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta))
    mistakes += [
        ("divided by the running variance instead of its square root.",
         lambda: gamma * (x - rm) / (rv + eps) + beta),
        ("running_var was treated as a standard deviation; it is a variance: divide by "
         "sqrt(running_var + eps).", lambda: gamma * (x - rm) / (rv + eps) + beta),
        ("eps was added outside the square root: use sqrt(running_var + eps).",
         lambda: gamma * (x - rm) / (np.sqrt(rv) + eps) + beta),
        ("the eps argument was ignored (the default 1e-5 was used).",
         lambda: gamma * (x - rm) / np.sqrt(rv + 1e-5) + beta),
        ("eps was left out.", lambda: gamma * (x - rm) / np.sqrt(rv) + beta),
        ("gamma and beta are swapped: out = gamma * x_hat + beta.",
         lambda: beta * (x - rm) / np.sqrt(rv + eps) + gamma),
        ("beta was not added.", lambda: gamma * (x - rm) / np.sqrt(rv + eps)),
        ("gamma was not applied.", lambda: (x - rm) / np.sqrt(rv + eps) + beta),
        ("the running mean was not subtracted.", lambda: gamma * x / np.sqrt(rv + eps) + beta),
    ]
    return mistakes


def check_batchnorm_inference(student, seed=0, hidden=False):
    """Check ``batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5)``.

    Cases: random batches, float32, a single example (N = 1, which must work), D = 1, eps by
    keyword, a small running variance (eps matters), large offsets, non-contiguous x; a
    gamma of the wrong length raises ValueError. ``hidden=True`` adds shapes and the property
    that an example's output does not depend on the rest of its batch.
    """
    seed, rng = make_rng(seed)
    cases = []
    args = ("x", "gamma", "beta", "running_mean", "running_var")

    def add(label, x, eps=1e-5, rv=None, rm=None):
        d = x.shape[1]
        gamma = rng.uniform(0.5, 2, d).astype(x.dtype)
        beta = rng.uniform(-1, 1, d).astype(x.dtype)
        rm = rng.normal(size=d).astype(x.dtype) if rm is None else rm
        rv = rng.uniform(0.5, 3, d).astype(x.dtype) if rv is None else rv
        details = {"x.shape": x.shape, "dtype": x.dtype.name}
        if eps != 1e-5:
            details["eps"] = eps
        cases.append((Case(label, seed, details), x, gamma, beta, rm, rv, eps))

    add("random batch", _batch(rng, 8, 5))
    add("float32 batch", _batch(rng, 10, 3, np.float32))
    add("a single example (N = 1)", _batch(rng, 1, 4))
    add("one feature (D = 1)", _batch(rng, 6, 1))
    add("eps passed by keyword", _batch(rng, 5, 3), eps=0.3)
    add("small running variance, where eps matters", _batch(rng, 5, 3, scale=np.full(3, 1e-3)),
        rv=np.full(3, 2e-6))
    add("large offsets (running mean 1e6)", _batch(rng, 6, 2, loc=np.full(2, 1e6)),
        rm=np.full(2, 1e6) + rng.normal(size=2))
    add("non-contiguous x (x[:, ::2])", _batch(rng, 7, 6)[:, ::2])
    if hidden:
        add("random batch", _batch(rng, 33, 9))
        add("a single float32 example", _batch(rng, 1, 5, np.float32))

    for case, x, gamma, beta, rm, rv, eps in cases:
        out = _call(student, x, gamma, beta, rm, rv, eps=eps, case=case,
                    name="batchnorm_inference", forbidden=FORBIDDEN, arg_names=args,
                    fix=INFERENCE_FIX)
        expected = ref.batchnorm_inference(x, gamma, beta, rm, rv, eps=eps)
        expect_array(out, expected, case=case, what="out",
                     mistakes=_inference_mistakes(x, gamma, beta, rm, rv, eps))

    case = Case("gamma of the wrong length", seed, {"x.shape": (4, 3), "gamma.shape": (2,)})
    expect_raises(student, np.ones((4, 3)), np.ones(2), np.zeros(3), np.zeros(3), np.ones(3),
                  case=case, name="batchnorm_inference",
                  why="gamma needs one value per feature")
    if hidden:
        x = _batch(rng, 12, 4)
        gamma, beta = rng.uniform(0.5, 2, 4), rng.normal(size=4)
        rm, rv = rng.normal(size=4), rng.uniform(0.5, 2, 4)
        case = Case("property: an example's output does not depend on its batch", seed,
                    {"x.shape": x.shape})
        whole = _call(student, x, gamma, beta, rm, rv, case=case, name="batchnorm_inference",
                      arg_names=args, fix=INFERENCE_FIX)
        alone = _call(student, x[3:4], gamma, beta, rm, rv, case=case,
                      name="batchnorm_inference", arg_names=args, fix=INFERENCE_FIX)
        expect_array(alone, np.asarray(whole)[3:4], case=case,
                     what="out for example 3 alone (vs inside the batch)")
