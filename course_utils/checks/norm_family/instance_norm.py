"""``check_instance_norm`` (notebook 07) for feature maps (N, C, H, W).
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_array, expect_raises, make_rng
from .._nearest import expect_array_named
from ._shared import FORBIDDEN, _common, _images, _norm

__all__ = ["check_instance_norm"]


# ---------------------------------------------------------------------------------------
# instance_norm
# ---------------------------------------------------------------------------------------


def check_instance_norm(student, seed=0, hidden=False):
    """Check ``instance_norm(x, eps=1e-5) -> ndarray`` for feature maps (N, C, H, W).

    Cases: random maps, float32, N = 1, C = 1, non-square maps, (N, C) = (H, W) (so that
    statistics without keepdims still broadcast), an eps argument, large offsets,
    non-contiguous input; a 3-D input (ValueError). With ``hidden=True``: more shapes, a
    cross-check with torch's ``F.instance_norm`` and
    the property that each image is normalized on its own.
    """
    seed, rng = make_rng(seed)
    cases = [
        ("random feature maps", _images(rng, 4, 3, 5, 5)),
        ("float32 feature maps", _images(rng, 3, 4, 4, 4, np.float32)),
        ("one image (N = 1)", _images(rng, 1, 3, 4, 5)),
        ("one channel (C = 1)", _images(rng, 4, 1, 3, 3)),
        ("non-square maps (H != W)", _images(rng, 2, 3, 2, 7)),
        ("(N, C) equal to (H, W)", _images(rng, 3, 4, 3, 4)),
        ("eps passed by keyword", _images(rng, 2, 2, 3, 3, scale=0.3), 0.5),
        ("large offsets (mean 1e6)", _images(rng, 2, 3, 4, 4, loc=1e6)),
        ("non-contiguous input x[:, ::2]", _images(rng, 2, 6, 4, 4)[:, ::2]),
    ]
    if hidden:
        cases += [("random feature maps", _images(rng, *s)) for s in ((8, 2, 6, 6), (2, 7, 3, 5))]
        cases += [("channels-last memory (an (N, H, W, C) array transposed)",
                   _images(rng, 3, 4, 5, 6).transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2))]
    for label, x, *rest in cases:
        eps = rest[0] if rest else 1e-5
        details = {"x.shape": x.shape, "dtype": x.dtype.name}
        if rest:
            details["eps"] = eps
        case = Case(label, seed, details)
        got = call_student(student, x, eps=eps, case=case, name="instance_norm",
                           forbidden=FORBIDDEN, arg_names=("x",))
        expected = ref.instance_norm(x, eps=eps)
        x64 = x.astype(np.float64)
        mistakes = [
            ("statistics over (N, H, W), axes (0, 2, 3): that is batch norm. Instance norm "
             "takes each image's channels on their own: axes (2, 3).",
             lambda: _norm(x64, (0, 2, 3), eps)),
            ("statistics over (C, H, W), axes (1, 2, 3): that is layer norm. Instance norm "
             "keeps one mean per image *and channel*: axes (2, 3).",
             lambda: _norm(x64, (1, 2, 3), eps)),
            ("statistics over H only (axis 2); average over both spatial axes (2, 3).",
             lambda: _norm(x64, 2, eps)),
            ("statistics over W only (axis 3); average over both spatial axes (2, 3).",
             lambda: _norm(x64, 3, eps)),
        ] + _common(x64, (2, 3), eps)
        expect_array_named(got, expected, case=case, what="instance_norm's output",
                           mistakes=mistakes)

    one = Case("wrong rank: one image (C, H, W) without the batch axis", seed,
               {"x.shape": (3, 4, 4)})
    expect_raises(student, rng.normal(size=(3, 4, 4)), case=one, name="instance_norm",
                  why="x must have 4 dimensions (N, C, H, W)")
    if hidden:
        import torch
        import torch.nn.functional as F

        x = _images(rng, 5, 3, 4, 4)
        case = Case("cross-check with torch.nn.functional.instance_norm", seed,
                    {"x.shape": x.shape})
        got = call_student(student, x, case=case, name="instance_norm")
        expect_array(got, F.instance_norm(torch.from_numpy(x)).numpy(), case=case,
                     what="instance_norm's output (compared with F.instance_norm)")
        case = Case("property: each image is normalized on its own", seed, {"x.shape": x.shape})
        full = np.asarray(call_student(student, x, case=case, name="instance_norm"))
        alone = call_student(student, x[2:3], case=case, name="instance_norm")
        expect_array(np.asarray(alone)[0], full[2], case=case,
                     what="instance_norm(x[2:3]) compared with image 2 of instance_norm(x)")
