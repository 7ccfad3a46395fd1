"""``check_layer_norm`` (notebook 07) for x of shape (N, D).
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_array, expect_raises, make_rng
from .._nearest import expect_array_named
from ._shared import FORBIDDEN, _affine_mistakes, _common, _norm, _vectors

__all__ = ["check_layer_norm"]


def check_layer_norm(student, seed=0, hidden=False):
    """Check ``layer_norm(x, gamma, beta, eps=1e-5) -> ndarray`` for x of shape (N, D).

    Cases: random batches, float32, a single example (N = 1), D = 1, a square batch (so that
    statistics over the wrong axis or without keepdims still broadcast), a small variance,
    an eps argument, large offsets, non-contiguous input; a 1-D input and a gamma of the
    wrong length (ValueError). With ``hidden=True``: more shapes, a cross-check with
    torch's ``F.layer_norm`` and the property that each
    example is normalized on its own (its output does not depend on the rest of the batch).
    """
    seed, rng = make_rng(seed)
    cases = [
        ("random batch", _vectors(rng, 8, 5)),
        ("float32 batch", _vectors(rng, 16, 4, np.float32)),
        ("one example (N = 1): layer norm needs no batch", _vectors(rng, 1, 6)),
        ("one feature (D = 1)", _vectors(rng, 5, 1)),
        ("square batch (N = D)", _vectors(rng, 6, 6)),
        ("small variance, where eps matters",
         _vectors(rng, 4, 5, loc=rng.uniform(-3, 3, (4, 1)), scale=np.full((4, 1), 1e-3))),
        ("eps passed by keyword", _vectors(rng, 3, 4), 0.5),
        ("large offsets (mean 1e6)", _vectors(rng, 5, 4, loc=1e6)),
        ("non-contiguous input x[:, ::2]", _vectors(rng, 4, 10)[:, ::2]),
    ]
    if hidden:
        cases += [("random batch", _vectors(rng, n, d)) for n, d in ((2, 9), (33, 16))]
        cases += [("float32, small variance",
                   _vectors(rng, 6, 8, np.float32, loc=rng.uniform(-0.05, 0.05, (6, 1)),
                            scale=np.full((6, 1), 0.01))),
                  ("Fortran-ordered input", np.asfortranarray(_vectors(rng, 7, 3)))]
    for label, x, *rest in cases:
        eps = rest[0] if rest else 1e-5
        d = x.shape[1]
        gamma = rng.uniform(0.5, 2.0, d).astype(x.dtype)
        beta = rng.uniform(-1, 1, d).astype(x.dtype)
        details = {"x.shape": x.shape, "dtype": x.dtype.name}
        if rest:
            details["eps"] = eps
        case = Case(label, seed, details)
        got = call_student(student, x, gamma, beta, eps=eps, case=case, name="layer_norm",
                           forbidden=FORBIDDEN, arg_names=("x", "gamma", "beta"))
        expected = ref.layer_norm(x, gamma, beta, eps=eps)
        x64, g64, b64 = (a.astype(np.float64) for a in (x, gamma, beta))
        mistakes = [
            ("the statistics were taken per feature, across the batch (axis=0): that is batch "
             "norm. Layer norm normalizes each example across its own features (axis=1). "
             "(A Korean study note, seed 004, mixes these two up too.)",
             lambda: g64 * _norm(x64, 0, eps) + b64),
        ] + [(label_, (lambda f=f: g64 * f() + b64)) for label_, f in _common(x64, 1, eps)]
        mistakes += _affine_mistakes(x64, g64, b64, 1, eps, (1, -1))
        if x.shape[0] == d:  # a square batch: gamma and beta as columns still broadcast
            mistakes.append(("gamma and beta were applied per example (as a column, "
                             "gamma[:, None]); they have one entry per *feature* and "
                             "broadcast along the rows as they are, shape (D,).",
                             lambda: g64[:, None] * _norm(x64, 1, eps) + b64[:, None]))
        expect_array_named(got, expected, case=case, what="layer_norm's output",
                           mistakes=mistakes)

    vec = Case("wrong rank: one example as a 1-D vector (D,)", seed, {"x.shape": (5,)})
    expect_raises(student, rng.normal(size=5), np.ones(5), np.zeros(5), case=vec,
                  name="layer_norm", why="x must be a batch of shape (N, D)")
    bad = Case("gamma with D + 1 entries", seed, {"x.shape": (4, 3), "gamma.shape": (4,)})
    expect_raises(student, rng.normal(size=(4, 3)), np.ones(4), np.zeros(3), case=bad,
                  name="layer_norm", why="gamma needs one entry per feature")
    if hidden:
        import torch
        import torch.nn.functional as F

        x = _vectors(rng, 6, 5)
        gamma, beta = rng.uniform(0.5, 2, 5), rng.uniform(-1, 1, 5)
        case = Case("cross-check with torch.nn.functional.layer_norm", seed, {"x.shape": x.shape})
        got = call_student(student, x, gamma, beta, case=case, name="layer_norm")
        t = torch.from_numpy
        expect_array(got, F.layer_norm(t(x), (5,), t(gamma), t(beta)).numpy(), case=case,
                     what="layer_norm's output (compared with F.layer_norm)")
        case = Case("property: each example is normalized on its own", seed,
                    {"x.shape": x.shape})
        full = np.asarray(call_student(student, x, gamma, beta, case=case, name="layer_norm"))
        for i in (0, 3):
            alone = call_student(student, x[i:i + 1], gamma, beta, case=case, name="layer_norm")
            expect_array(np.asarray(alone)[0], full[i], case=case,
                         what=f"layer_norm(x[{i}:{i + 1}]) compared with row {i} of layer_norm(x)")
