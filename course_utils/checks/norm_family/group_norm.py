"""``check_group_norm`` (notebook 07) with its catalogue of named mistakes.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_array, expect_raises, make_rng
from .._nearest import expect_array_named
from ._shared import FORBIDDEN, _common, _images, _norm

__all__ = ["check_group_norm"]


# ---------------------------------------------------------------------------------------
# group_norm
# ---------------------------------------------------------------------------------------


def _group_mistakes(x, gamma, beta, g, eps):
    n, c, h, w = x.shape
    k = c // g
    gc, bc = gamma.reshape(1, c, 1, 1), beta.reshape(1, c, 1, 1)
    right = _norm(x.reshape(n, g, k, h, w), (2, 3, 4), eps).reshape(x.shape)

    def interleaved():
        xi = x.reshape(n, k, g, h, w)
        return gc * _norm(xi, (1, 3, 4), eps).reshape(x.shape) + bc

    return [
        ("the groups were taken as interleaved channels (channel i in group i % G, from "
         "x.reshape(N, C // G, G, H, W)); a group is C // G *consecutive* channels: "
         "x.reshape(N, G, C // G, H, W).", interleaved),
        ("gamma and beta were applied once per group (gamma[g] for the whole group); they "
         "have one entry per channel: reshape them to (1, C, 1, 1) and apply them after "
         "reshaping back to (N, C, H, W).",
         lambda: np.repeat(gamma[:g], k).reshape(1, c, 1, 1) * right
         + np.repeat(beta[:g], k).reshape(1, c, 1, 1)),
        ("gamma and beta were applied once per group (the first channel's value for the "
         "whole group); they have one entry per channel, shape (1, C, 1, 1).",
         lambda: np.repeat(gamma[::k], k).reshape(1, c, 1, 1) * right
         + np.repeat(beta[::k], k).reshape(1, c, 1, 1)),
        ("gamma and beta were broadcast along the last axis (W), not the channels: reshape "
         "them to (1, C, 1, 1).", lambda: gamma * right + beta),
        ("num_groups was ignored: statistics over all of (C, H, W) is layer norm (G = 1).",
         lambda: gc * _norm(x, (1, 2, 3), eps) + bc),
        ("statistics per channel, axes (2, 3): that is instance norm (G = C).",
         lambda: gc * _norm(x, (2, 3), eps) + bc),
        ("statistics over (N, H, W): that is batch norm; group norm never mixes examples.",
         lambda: gc * _norm(x, (0, 2, 3), eps) + bc),
        ("statistics over the group's channels but not its positions: average over "
         "axes (2, 3, 4) of the (N, G, C // G, H, W) array.",
         lambda: gc * _norm(x.reshape(n, g, k, h, w), 2, eps).reshape(x.shape) + bc),
        ("x.reshape(G, -1) makes each group span several examples: a group is C // G "
         "channels of *one* example, x.reshape(N, G, C // G, H, W) (or (N * G, -1)).",
         lambda: gc * _norm(x.reshape(g, -1), 1, eps).reshape(x.shape) + bc),
    ] + [(label, (lambda f=f: gc * f().reshape(x.shape) + bc))
         for label, f in _common(x.reshape(n, g, k, h, w), (2, 3, 4), eps)] \
      + [("gamma and beta are swapped: out = gamma * x_hat + beta.", lambda: bc * right + gc),
         ("gamma and beta were not applied: the output is x_hat alone; group norm learns a "
          "scale and a shift per channel: out = gamma * x_hat + beta.", lambda: right),
         ("beta was not added.", lambda: gc * right),
         ("gamma was not applied.", lambda: right + bc)]


def check_group_norm(student, seed=0, hidden=False):
    """Check ``group_norm(x, gamma, beta, num_groups, eps=1e-5) -> ndarray``.

    Cases: groups of 2 and 4 channels, G = 1 (layer norm over (C, H, W)), G = C (instance
    norm), float32, N = 1, W = C (so gamma broadcast along W still runs), an eps argument,
    large offsets, non-contiguous input; a num_groups that does not divide C and a 3-D
    input (ValueError). With ``hidden=True``: more shapes, a cross-check with torch's
    ``F.group_norm`` for every group count of 12 channels, and the property that each
    image is normalized on its own.
    """
    seed, rng = make_rng(seed)
    cases = [
        ("6 channels in 3 groups of 2", _images(rng, 4, 6, 3, 6), 3),
        ("8 channels in 2 groups of 4", _images(rng, 2, 8, 4, 4), 2),
        ("one group (G = 1): layer norm over (C, H, W)", _images(rng, 3, 4, 3, 3), 1),
        ("one channel per group (G = C): instance norm", _images(rng, 3, 4, 3, 3), 4),
        ("float32 feature maps", _images(rng, 3, 8, 2, 5, np.float32), 4),
        ("one image (N = 1)", _images(rng, 1, 6, 4, 4), 2),
        ("width equal to the number of channels (W = C)", _images(rng, 2, 4, 3, 4), 2),
        ("eps passed by keyword", _images(rng, 2, 4, 3, 3, scale=0.3), 2, 0.5),
        ("large offsets (mean 1e6)", _images(rng, 2, 6, 3, 3, loc=1e6), 3),
        ("non-contiguous input x[:, ::2]", _images(rng, 2, 12, 3, 3)[:, ::2], 3),
    ]
    if hidden:
        cases += [("random feature maps", _images(rng, 8, 16, 4, 4), 4),
                  ("random feature maps", _images(rng, 2, 9, 5, 3), 3),
                  ("float32, one group", _images(rng, 3, 6, 4, 4, np.float32), 1),
                  ("num_groups given as a numpy integer", _images(rng, 2, 6, 3, 3),
                   np.int64(2))]
    for label, x, g, *rest in cases:
        eps = rest[0] if rest else 1e-5
        c = x.shape[1]
        gamma = rng.uniform(0.5, 2.0, c).astype(x.dtype)
        beta = rng.uniform(-1, 1, c).astype(x.dtype)
        details = {"x.shape": x.shape, "num_groups": int(g), "dtype": x.dtype.name}
        if rest:
            details["eps"] = eps
        case = Case(label, seed, details)
        got = call_student(student, x, gamma, beta, g, eps=eps, case=case, name="group_norm",
                           forbidden=FORBIDDEN, arg_names=("x", "gamma", "beta"))
        expected = ref.group_norm(x, gamma, beta, g, eps=eps)
        mistakes = _group_mistakes(*(a.astype(np.float64) for a in (x, gamma, beta)), int(g),
                                   eps)
        expect_array_named(got, expected, case=case, what="group_norm's output",
                           mistakes=mistakes)

    x = rng.normal(size=(2, 6, 3, 3))
    bad = Case("num_groups = 4 does not divide C = 6", seed, {"x.shape": x.shape})
    expect_raises(student, x, np.ones(6), np.zeros(6), 4, case=bad, name="group_norm",
                  why="6 channels cannot be split into 4 equal groups")
    rank = Case("wrong rank: one image (C, H, W) without the batch axis", seed,
                {"x.shape": (6, 3, 3)})
    expect_raises(student, x[0], np.ones(6), np.zeros(6), 2, case=rank, name="group_norm",
                  why="x must have 4 dimensions (N, C, H, W)")
    if hidden:
        import torch
        import torch.nn.functional as F

        x = _images(rng, 4, 12, 3, 3)
        gamma, beta = rng.uniform(0.5, 2, 12), rng.uniform(-1, 1, 12)
        t = torch.from_numpy
        for g in (1, 2, 3, 4, 6, 12):
            case = Case("cross-check with torch.nn.functional.group_norm", seed,
                        {"x.shape": x.shape, "num_groups": g})
            got = call_student(student, x, gamma, beta, g, case=case, name="group_norm")
            expect_array(got, F.group_norm(t(x), g, t(gamma), t(beta)).numpy(), case=case,
                         what="group_norm's output (compared with F.group_norm)",
                         mistakes=_group_mistakes(x, gamma, beta, g, 1e-5))
        x = _images(rng, 4, 6, 3, 3)
        gamma, beta = rng.uniform(0.5, 2, 6), rng.uniform(-1, 1, 6)
        case = Case("property: each image is normalized on its own", seed, {"x.shape": x.shape})
        full = np.asarray(call_student(student, x, gamma, beta, 3, case=case,
                                       name="group_norm"))
        alone = call_student(student, x[1:2], gamma, beta, 3, case=case, name="group_norm")
        expect_array(np.asarray(alone)[0], full[1], case=case,
                     what="group_norm(x[1:2]) compared with image 1 of group_norm(x)")
