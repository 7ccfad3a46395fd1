"""``check_normalize`` (notebook 07): statistics over the ``axes`` it is given.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_array, expect_raises, make_rng
from .._nearest import expect_array_named
from ._shared import FORBIDDEN, _common, _images, _norm, _vectors

__all__ = ["check_normalize"]


# ---------------------------------------------------------------------------------------
# normalize
# ---------------------------------------------------------------------------------------


def check_normalize(student, seed=0, hidden=False):
    """Check ``normalize(x, axes, eps=1e-5) -> ndarray``.

    Cases: (N, D) batches over axis 0 and axis 1, feature maps over the axes of batch,
    layer and instance norm, negative and unordered axes, all axes, float32, a square
    matrix, an eps argument, large offsets, non-contiguous input; an axis out of range
    (ValueError). With ``hidden=True``: more shapes (a 5-D grouped array, a 1-D vector),
    a cross-check with torch's batch_norm, and the properties of the output (mean 0 and
    variance var / (var + eps) per slice).
    """
    seed, rng = make_rng(seed)
    cases = [
        ("(N, D) batch, axes=(0,): batch norm's statistics", _vectors(rng, 8, 5), (0,)),
        ("square (N, D) batch with N = D, axes=(1,)", _vectors(rng, 5, 5), (1,)),
        ("(N, D) batch, axes=(1,): layer norm's statistics", _vectors(rng, 6, 7), (1,)),
        ("feature maps, axes=(0, 2, 3): batch norm", _images(rng, 4, 3, 5, 5), (0, 2, 3)),
        ("feature maps, axes=(1, 2, 3): layer norm", _images(rng, 3, 4, 3, 2), (1, 2, 3)),
        ("feature maps, axes=(2, 3): instance norm", _images(rng, 2, 3, 4, 4), (2, 3)),
        ("negative axes (-2, -1)", _images(rng, 2, 3, 3, 5), (-2, -1)),
        ("axes out of order (3, 0, 2)", _images(rng, 3, 2, 4, 3), (3, 0, 2)),
        ("all axes of a 3-D array", rng.normal(2, 3, size=(3, 4, 5)), (0, 1, 2)),
        ("float32 feature maps, axes=(0, 2, 3)", _images(rng, 4, 3, 3, 3, np.float32),
         (0, 2, 3)),
        ("eps passed by keyword", _images(rng, 2, 2, 3, 3, scale=0.3), (2, 3), 0.5),
        ("large offsets (mean 1e6)", _vectors(rng, 6, 4, loc=1e6), (0,)),
        ("non-contiguous input x[:, ::2]", _images(rng, 3, 6, 4, 4)[:, ::2], (0, 2, 3)),
    ]
    if hidden:
        cases += [
            ("grouped 5-D array (N, G, C/G, H, W), axes=(2, 3, 4)",
             rng.normal(1, 2, size=(2, 3, 2, 4, 4)), (2, 3, 4)),
            ("a 1-D vector, axes=(0,)", rng.normal(5, 2, size=9), (0,)),
            ("float32 (N, D), axes=(1,), small variance",
             _vectors(rng, 7, 6, np.float32, loc=rng.uniform(-0.05, 0.05, (7, 1)),
                      scale=np.full((7, 1), 0.01)), (1,)),
            ("feature maps, axes=(0, 2, 3)", _images(rng, 8, 5, 6, 6), (0, 2, 3)),
        ]
    for label, x, axes, *rest in cases:
        eps = rest[0] if rest else 1e-5
        details = {"x.shape": x.shape, "axes": axes, "dtype": x.dtype.name}
        if rest:
            details["eps"] = eps
        case = Case(label, seed, details)
        got = call_student(student, x, axes, eps=eps, case=case, name="normalize",
                           forbidden=FORBIDDEN, arg_names=("x", "axes"))
        expected = ref.normalize(x, axes, eps=eps)
        x64 = x.astype(np.float64)
        pos = tuple(a % x.ndim for a in axes)
        complement = tuple(a for a in range(x.ndim) if a not in pos)
        mistakes = []
        if complement:
            mistakes.append(("the statistics were taken over the *other* axes: `axes` lists "
                             "the axes to average over, the rest keep their own statistics.",
                             lambda: _norm(x64, complement, eps)))
        if len(axes) > 1:
            mistakes.append(("only the first of the axes was used; average over all of them "
                             "at once: x.mean(axis=axes, keepdims=True).",
                             lambda: _norm(x64, axes[0], eps)))
        expect_array_named(got, expected, case=case, what="the normalized array",
                           mistakes=mistakes + _common(x64, axes, eps))

    bad = Case("an axis out of range: axes=(2,) for an (N, D) array", seed, {"x.shape": (4, 3)})
    expect_raises(student, rng.normal(size=(4, 3)), (2,), case=bad, name="normalize",
                  why="a 2-D array has no axis 2")
    if hidden:
        import torch
        import torch.nn.functional as F

        x = _images(rng, 6, 3, 4, 5)
        case = Case("cross-check with torch.nn.functional.batch_norm (training mode)", seed,
                    {"x.shape": x.shape, "axes": (0, 2, 3)})
        got = call_student(student, x, (0, 2, 3), case=case, name="normalize")
        expected = F.batch_norm(torch.from_numpy(x), None, None, training=True).numpy()
        expect_array(got, expected, case=case, what="the normalized array (compared with torch)")
        x = _images(rng, 5, 3, 4, 4)
        case = Case("property: mean 0 and variance var / (var + eps) over the axes", seed,
                    {"x.shape": x.shape, "axes": (0, 2, 3), "eps": 0.1})
        got = np.asarray(call_student(student, x, (0, 2, 3), eps=0.1, case=case,
                                      name="normalize"))
        var = x.var((0, 2, 3))
        expect_array(got.mean((0, 2, 3)), np.zeros(3), case=case, what="mean over the axes",
                     atol=1e-9)
        expect_array(got.var((0, 2, 3)), var / (var + 0.1), case=case,
                     what="variance over the axes")
