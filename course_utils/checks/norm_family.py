"""Checks for notebook 07: ``normalize``, ``layer_norm``, ``instance_norm``, ``group_norm``."""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from ._core import Case, call_student, expect_array, expect_raises, make_rng
from ._nearest import expect_array_named

__all__ = ["check_normalize", "check_layer_norm", "check_instance_norm", "check_group_norm"]

#: Library functions that would do the exercises for the student.
FORBIDDEN = {"torch": {"batch_norm", "native_batch_norm", "_batch_norm_impl_index",
                       "layer_norm", "native_layer_norm", "instance_norm", "group_norm",
                       "native_group_norm", "rms_norm"}}


def _images(rng, n, c, h, w, dtype=np.float64, loc=None, scale=None):
    """Feature maps with offsets and scales that differ per example and per channel."""
    loc = rng.uniform(-3, 3, size=(n, c, 1, 1)) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=(n, c, 1, 1)) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, c, h, w))).astype(dtype)


def _vectors(rng, n, d, dtype=np.float64, loc=None, scale=None):
    """A batch of vectors whose examples and features all have their own offset and scale."""
    loc = rng.uniform(-3, 3, size=(n, 1)) + rng.uniform(-3, 3, size=d) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=(n, 1)) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


def _norm(x, axes, eps, ddof=0):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True, ddof=ddof) + eps)


def _no_keepdims(x, axes, eps):
    """What (x - x.mean(axes)) / sqrt(x.var(axes) + eps) gives when it happens to broadcast."""
    return (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + eps)


def _common(x, axes, eps):
    """Mistakes any member of the family can make, for statistics over ``axes``."""
    return [
        ("the unbiased variance (ddof=1) was used; normalization uses the biased one "
         "(divide by the number of values that share a mean).",
         lambda: _norm(x, axes, eps, ddof=1)),
        ("eps was added outside the square root: use sqrt(var + eps).",
         lambda: (x - x.mean(axes, keepdims=True)) / (x.std(axes, keepdims=True) + eps)),
        ("divided by the variance instead of the standard deviation (missing square root).",
         lambda: (x - x.mean(axes, keepdims=True)) / (x.var(axes, keepdims=True) + eps)),
        ("the mean and variance were computed without keepdims=True, so they broadcast "
         "against the wrong axes.", lambda: _no_keepdims(x, axes, eps)),
        ("one mean and variance over the whole array.", lambda: _norm(x, None, eps)),
        ("the eps argument was ignored: the default 1e-5 was used instead.",
         lambda: _norm(x, axes, 1e-5)),
    ]


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


# ---------------------------------------------------------------------------------------
# layer_norm
# ---------------------------------------------------------------------------------------


def _affine_mistakes(x, gamma, beta, axes, eps, per_channel):
    """gamma and beta applied the wrong way round, or not at all."""
    g = gamma.reshape(per_channel)
    b = beta.reshape(per_channel)
    return [
        ("gamma and beta are swapped: out = gamma * x_hat + beta.",
         lambda: b * _norm(x, axes, eps) + g),
        ("gamma and beta were not applied: the output is x_hat alone. Layer norm learns a "
         "scale and a shift per feature: out = gamma * x_hat + beta.",
         lambda: _norm(x, axes, eps)),
        ("beta was not added: out = gamma * x_hat + beta.", lambda: g * _norm(x, axes, eps)),
        ("gamma was not applied: out = gamma * x_hat + beta.", lambda: _norm(x, axes, eps) + b),
    ]


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
