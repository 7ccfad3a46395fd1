"""Checks for notebook 06: ``spatial_batchnorm_forward``, ``spatial_batchnorm_backward``,
``fold_batchnorm``."""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from ._core import (
    Case, CheckFailure, call_student, expect_array, expect_close, expect_raises, expect_tuple, fail, make_rng,
    tolerance,
)
from ._nearest import expect_array_named

__all__ = ["check_spatial_batchnorm_forward", "check_spatial_batchnorm_backward",
           "check_fold_batchnorm"]

#: Library functions that would do the exercises for the student.
FORBIDDEN = {"torch": {"batch_norm", "native_batch_norm", "_batch_norm_impl_index",
                       "native_batch_norm_backward", "batch_norm_backward",
                       "layer_norm", "instance_norm", "group_norm",
                       "fuse_conv_bn_weights", "fuse_conv_bn_eval", "fuse_linear_bn_weights",
                       "fuse_linear_bn_eval"}}

CACHE_KEYS = ("x_hat", "mean", "var", "gamma", "eps")


def _images(rng, n, c, h, w, dtype=np.float64, loc=None, scale=None):
    """Feature maps with per-channel offsets and scales, so per-channel statistics matter."""
    loc = rng.uniform(-3, 3, size=c) if loc is None else np.broadcast_to(loc, (c,))
    scale = rng.uniform(0.5, 3.0, size=c) if scale is None else np.broadcast_to(scale, (c,))
    x = loc.reshape(1, c, 1, 1) + scale.reshape(1, c, 1, 1) * rng.standard_normal((n, c, h, w))
    return x.astype(dtype)


def _rows(x):
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def _unrows(rows, shape):
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _per_channel(v):
    return np.asarray(v).reshape(1, -1, 1, 1)


def _norm(x, axes, eps, ddof=0):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True, ddof=ddof) + eps)


# ---------------------------------------------------------------------------------------
# spatial_batchnorm_forward
# ---------------------------------------------------------------------------------------


def _forward_cases(seed, rng, hidden):
    """(case, x, gamma, beta, eps): random maps, float32, edges, eps that matters."""
    cases = []

    def add(label, x, eps=1e-5, **details):
        c = x.shape[1]
        gamma = rng.uniform(0.5, 2.0, size=c).astype(x.dtype)
        beta = rng.uniform(-1.0, 1.0, size=c).astype(x.dtype)
        details = {"x.shape": x.shape, "dtype": x.dtype.name, **details}
        if eps != 1e-5:
            details["eps"] = eps
        cases.append((Case(label, seed, details), x, gamma, beta, eps))

    add("random feature maps", _images(rng, 4, 3, 5, 3))
    add("float32 feature maps", _images(rng, 6, 4, 3, 3, np.float32))
    add("one channel (C = 1)", _images(rng, 5, 1, 4, 4))
    add("one image (N = 1): the effective batch is H * W", _images(rng, 1, 3, 4, 5))
    add("1 x 1 maps (H = W = 1): the fully connected case", _images(rng, 6, 4, 1, 1))
    add("width equal to the number of channels (W = C)", _images(rng, 3, 4, 2, 4))
    add("small variance, where eps matters", _images(rng, 3, 2, 3, 3, scale=1e-3))
    add("eps passed by keyword", _images(rng, 2, 3, 3, 2), eps=0.5)
    add("large offsets (mean 1e6)", _images(rng, 3, 2, 4, 4, loc=1e6))
    add("non-contiguous input x[:, ::2]", _images(rng, 3, 6, 3, 4)[:, ::2])
    if hidden:
        for shape in ((2, 5, 7, 3), (8, 2, 2, 2), (3, 7, 6, 6)):
            add("random feature maps", _images(rng, *shape))
        # offsets small next to the spread, so float32 can resolve it (mean/std ~ 5)
        add("float32, small variance", _images(rng, 4, 3, 5, 5, np.float32, loc=0.05, scale=1e-2))
        add("channels-last memory (an (N, H, W, C) array transposed)",
            _images(rng, 3, 4, 5, 6).transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2))
    return cases


_NO_KEEPDIMS = (
    "the per-channel vectors (mean, variance, or sums) were used with shape (C,), without "
    "keepdims=True or a reshape to (1, C, 1, 1): against an (N, C, H, W) array a (C,) vector "
    "lines up with the last axis, W, not with the channels (it runs without an error only "
    "when W = C).")


def _call(student, *args, **kwargs):
    """``call_student``; a broadcasting error between (N, C, H, W) and (C,) gets its hint."""
    try:
        return call_student(student, *args, **kwargs)
    except CheckFailure as failure:
        c = np.shape(args[0])[1] if np.ndim(args[0]) == 4 else None
        if c is not None and "could not be broadcast" in str(failure) and f"({c},)" in str(
                failure):
            raise CheckFailure(f"{failure}\nLikely mistake: {_NO_KEEPDIMS}") from None
        raise


def _along_w(x, gamma, beta, eps, g=None, b=None):
    """The forward pass with its (C,) statistics broadcast along W (no keepdims)."""
    mean = x.mean(axis=(0, 2, 3))
    var = ((x - mean) ** 2).mean(axis=(0, 2, 3))
    x_hat = (x - mean) / np.sqrt(var + eps)
    return (gamma if g is None else g) * x_hat + (beta if b is None else b)


def _forward_mistakes(x, gamma, beta, eps):
    """What common wrong forward passes return for this input (in float64)."""
    x = x.astype(np.float64)
    n, c, h, w = x.shape
    g, b = _per_channel(gamma), _per_channel(beta)

    def bn_rows(rows):
        return gamma * _norm(rows, 0, eps) + beta

    no_transpose = ("x.reshape(-1, C) without moving the channel axis last first: each column "
                    "then mixes channels. Use x.transpose(0, 2, 3, 1).reshape(-1, C).")
    not_undone = ("the rows were reshaped straight back to (N, C, H, W): undo the transpose "
                  "too, out.reshape(N, H, W, C).transpose(0, 3, 1, 2).")
    channel_rows = x.transpose(1, 0, 2, 3).reshape(c, -1)      # (C, N*H*W), one row a channel
    channels_not_undone = (
        "x.transpose(1, 0, 2, 3).reshape(C, -1) gives one row per channel, but the result was "
        "reshaped straight back to (N, C, H, W): reshape it to (C, N, H, W) and transpose(1, 0, "
        "2, 3) back.")
    mistakes = [
        (no_transpose, lambda: bn_rows(x.reshape(-1, c)).reshape(x.shape)),
        (no_transpose, lambda: g * _norm(x.reshape(-1, c), 0, eps).reshape(x.shape) + b),
        (not_undone, lambda: bn_rows(_rows(x)).reshape(x.shape)),
        (not_undone, lambda: g * _norm(_rows(x), 0, eps).reshape(x.shape) + b),
        (channels_not_undone, lambda: (gamma.reshape(c, 1) * _norm(channel_rows, 1, eps)
                                       + beta.reshape(c, 1)).reshape(x.shape)),
        (channels_not_undone, lambda: g * _norm(channel_rows, 1, eps).reshape(x.shape) + b),
        (_NO_KEEPDIMS, lambda: _along_w(x, gamma, beta, eps, g, b)),
        (_NO_KEEPDIMS, lambda: _along_w(x, gamma, beta, eps)),
        ("statistics per activation (axis 0 only, one mean per channel *and position*): that "
         "is the fully connected version. For convolutions the statistics run over (N, H, W), "
         "one per channel (paper, Section 3.2).",
         lambda: g * _norm(x, 0, eps) + b),
        ("statistics over (N, H) only: the mean and variance must run over axes (0, 2, 3).",
         lambda: g * _norm(x, (0, 2), eps) + b),
        ("statistics per image and channel, axes (2, 3): that is instance norm, not batch norm.",
         lambda: g * _norm(x, (2, 3), eps) + b),
        ("statistics per image, axes (1, 2, 3): that is layer norm, not batch norm.",
         lambda: g * _norm(x, (1, 2, 3), eps) + b),
        ("one mean and variance over the whole array; batch norm keeps one per channel.",
         lambda: g * _norm(x, None, eps) + b),
        ("the unbiased variance (divide by N*H*W - 1) was used to normalize; batch norm uses "
         "the biased one (divide by the effective batch m' = N*H*W).",
         lambda: g * _norm(x, (0, 2, 3), eps, ddof=1) + b),
        ("eps was added outside the square root: use sqrt(var + eps).",
         lambda: g * (x - x.mean((0, 2, 3), keepdims=True))
         / (np.sqrt(x.var((0, 2, 3), keepdims=True)) + eps) + b),
        ("divided by the variance instead of the standard deviation (missing square root).",
         lambda: g * (x - x.mean((0, 2, 3), keepdims=True))
         / (x.var((0, 2, 3), keepdims=True) + eps) + b),
        ("gamma and beta were broadcast along the last axis (W), not the channels: reshape "
         "them to (1, C, 1, 1) to multiply an (N, C, H, W) array.",
         lambda: gamma * _norm(x, (0, 2, 3), eps) + beta),
        ("gamma and beta are swapped: out = gamma * x_hat + beta.",
         lambda: b * _norm(x, (0, 2, 3), eps) + g),
        ("the output is x_hat alone: scale by gamma and shift by beta.",
         lambda: _norm(x, (0, 2, 3), eps)),
        ("beta was not added: out = gamma * x_hat + beta.",
         lambda: g * _norm(x, (0, 2, 3), eps)),
        ("gamma was not applied: out = gamma * x_hat + beta.",
         lambda: _norm(x, (0, 2, 3), eps) + b),
        ("the eps argument was ignored: the default 1e-5 was used instead.",
         lambda: g * _norm(x, (0, 2, 3), 1e-5) + b),
    ]
    return mistakes


def _check_cache(cache, expected, case, x, eps):
    if not isinstance(cache, dict):
        fail(case, f"the cache should be a dict, got {type(cache).__name__}.")
    missing = [k for k in CACHE_KEYS if k not in cache]
    if missing:
        fail(case, f"the cache is missing key(s) {missing}; it must hold at least "
                   f"{list(CACHE_KEYS)} (spatial_batchnorm_backward reads them).")
    x_hat = np.asarray(cache["x_hat"])
    if x_hat.shape == (x.shape[0] * x.shape[2] * x.shape[3], x.shape[1]):
        fail(case, f"cache['x_hat'] has the 2-D shape {x_hat.shape} of the rows; store it with "
                   f"the input's shape {x.shape} (reshape and transpose it back), as the "
                   "documented cache says.")
    x64 = x.astype(np.float64)
    var = x64.var((0, 2, 3))
    var_mistakes = [
        ("cache['var'] holds the standard deviation; store the (biased) variance.",
         lambda: np.sqrt(var)),
        ("cache['var'] holds sqrt(var + eps); store the variance itself.",
         lambda: np.sqrt(var + eps)),
        ("cache['var'] is the unbiased variance; store the biased one (divide by N*H*W).",
         lambda: x64.var((0, 2, 3), ddof=1)),
        ("cache['var'] includes eps; store var and keep eps separately.", lambda: var + eps),
    ]
    for key, mistakes in (("x_hat", ()), ("mean", ()), ("var", var_mistakes), ("gamma", ())):
        expect_array(cache[key], expected[key], case=case, what=f"cache['{key}']",
                     mistakes=mistakes)
    expect_close(cache["eps"], eps, case=case, what="cache['eps']")


def check_spatial_batchnorm_forward(student, seed=0, hidden=False):
    """Check ``spatial_batchnorm_forward(x, gamma, beta, eps=1e-5) -> (out, cache)``.

    Cases: random feature maps, float32, C = 1, N = 1, 1 x 1 maps, W = C (so that gamma
    broadcast along the wrong axis shows), a small variance, an eps argument, large
    offsets, non-contiguous input; an effective batch of one and a 2-D input (ValueError).
    With ``hidden=True``: more shapes, a cross-check with ``torch.nn.BatchNorm2d`` in
    training mode, and two properties of the output: each channel's mean is beta, and a
    channel's output does not depend on the other channels.
    """
    seed, rng = make_rng(seed)
    name = "spatial_batchnorm_forward"
    for case, x, gamma, beta, eps in _forward_cases(seed, rng, hidden):
        result = _call(student, x, gamma, beta, eps=eps, case=case, name=name,
                       forbidden=FORBIDDEN, arg_names=("x", "gamma", "beta"))
        out, cache = expect_tuple(result, 2, case=case, name=name, what="(out, cache)")
        expected, expected_cache = ref.spatial_batchnorm_forward(x, gamma, beta, eps=eps)
        expect_array_named(out, expected, case=case, what="out",
                           mistakes=_forward_mistakes(x, gamma.astype(np.float64),
                                                      beta.astype(np.float64), eps))
        _check_cache(cache, expected_cache, case, x, eps)

    one = Case("effective batch of one (N = H = W = 1)", seed, {"x.shape": (1, 3, 1, 1)})
    expect_raises(student, np.ones((1, 3, 1, 1)), np.ones(3), np.zeros(3), case=one, name=name,
                  why="a single value per channel has no batch statistics")
    flat = Case("wrong rank: an (N, D) matrix instead of (N, C, H, W) maps", seed,
                {"x.shape": (4, 3)})
    expect_raises(student, rng.normal(size=(4, 3)), np.ones(3), np.zeros(3), case=flat,
                  name=name, why="x must have 4 dimensions (N, C, H, W)")
    if hidden:
        _forward_properties(student, seed, rng)


def _torch_batchnorm2d(x, gamma, beta, eps=1e-5):
    """torch.nn.BatchNorm2d in training mode, float64, with the given gamma and beta."""
    import torch

    bn = torch.nn.BatchNorm2d(x.shape[1], eps=eps).double().train()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(np.asarray(gamma, dtype=np.float64)))
        bn.bias.copy_(torch.from_numpy(np.asarray(beta, dtype=np.float64)))
    return bn


def _student_out(student, x, gamma, beta, case):
    """The ``out`` of the student's ``(out, cache)``, or a CheckFailure saying what came back."""
    out, _ = expect_tuple(call_student(student, x, gamma, beta, case=case,
                                       name="spatial_batchnorm_forward"), 2, case=case,
                          name="spatial_batchnorm_forward", what="(out, cache)")
    return out


def _forward_properties(student, seed, rng):
    import torch

    x = _images(rng, 5, 4, 3, 6)
    gamma, beta = rng.uniform(0.5, 2, 4), rng.uniform(-1, 1, 4)
    case = Case("cross-check with torch.nn.BatchNorm2d in training mode", seed,
                {"x.shape": x.shape})
    out = _student_out(student, x, gamma, beta, case)
    expected = _torch_batchnorm2d(x, gamma, beta)(torch.from_numpy(x)).detach().numpy()
    expect_array(out, expected, case=case, what="out (compared with BatchNorm2d)")

    x = _images(rng, 4, 3, 6, 5)
    gamma, beta = rng.uniform(0.5, 2, 3), rng.uniform(-1, 1, 3)
    case = Case("property: each channel's mean over (N, H, W) equals beta", seed,
                {"x.shape": x.shape})
    out = _student_out(student, x, gamma, beta, case)
    expect_array(np.asarray(out).mean(axis=(0, 2, 3)), beta, case=case,
                 what="per-channel mean of out")
    case = Case("property: a channel's output does not depend on the other channels", seed,
                {"x.shape": x.shape})
    other = x.copy()
    other[:, 1:] = rng.normal(size=other[:, 1:].shape) * 10 + 5
    out2 = _student_out(student, other, gamma, beta, case)
    expect_array(np.asarray(out2)[:, 0], np.asarray(out)[:, 0], case=case,
                 what="channel 0 of out after changing channels 1 and 2")


# ---------------------------------------------------------------------------------------
# spatial_batchnorm_backward
# ---------------------------------------------------------------------------------------


def _backward_mistakes(dout, cache):
    """Wrong dx that common mistakes give, computed from the (reference) cache in float64."""
    d = dout.astype(np.float64)
    x_hat = np.asarray(cache["x_hat"], dtype=np.float64)
    gamma = np.asarray(cache["gamma"], dtype=np.float64)
    std = np.sqrt(np.asarray(cache["var"], dtype=np.float64) + cache["eps"])
    n, c, h, w = d.shape
    axes = (0, 2, 3)
    g, s = _per_channel(gamma), _per_channel(std)

    def rows_backward(drows, xrows):
        m = drows.shape[0]
        return gamma / (m * std) * (m * drows - drows.sum(0) - xrows * (drows * xrows).sum(0))

    def with_m(m):
        return g / (m * s) * (m * d - d.sum(axes, keepdims=True)
                              - x_hat * (d * x_hat).sum(axes, keepdims=True))

    rows_of = {"transposed": _rows, "plain": lambda a: a.reshape(-1, c)}
    mixed = [(rows_of[a], rows_of[b], back) for a, b in (("plain", "transposed"),
                                                        ("transposed", "plain"))
             for back in ("undone", "straight")]

    def mixed_dx(rows_d, rows_x, back):
        dx_rows = rows_backward(rows_d(d), rows_x(x_hat))
        return _unrows(dx_rows, d.shape) if back == "undone" else dx_rows.reshape(d.shape)

    return [
        (f"dx uses m = N = {n} (the number of images); the statistics were taken over the "
         f"effective batch m' = N * H * W = {n * h * w} values per channel.",
         lambda: with_m(n)),
        (f"dx uses m = dout.size = N * C * H * W = {n * c * h * w}, which counts the channels "
         f"too; each channel's statistics are over m' = N * H * W = {n * h * w} values.",
         lambda: with_m(n * c * h * w)),
        (_NO_KEEPDIMS, lambda: gamma / (n * h * w * std) * (
            n * h * w * d - d.sum(axes) - x_hat * (d * x_hat).sum(axes))),
        ("dout.reshape(-1, C) without moving the channel axis last first: use "
         "dout.transpose(0, 2, 3, 1).reshape(-1, C), and the same for x_hat.",
         lambda: rows_backward(d.reshape(-1, c), x_hat.reshape(-1, c)).reshape(d.shape)),
        ("the rows of dx were reshaped straight back to (N, C, H, W): undo the transpose too.",
         lambda: rows_backward(_rows(d), _rows(x_hat)).reshape(d.shape)),
    ] + [
        (_NO_TRANSPOSE_BACKWARD, (lambda rd=rd, rx=rx, back=back: mixed_dx(rd, rx, back)))
        for rd, rx, back in mixed
    ] + [
        ("dx = gamma * dout / std ignores that the mean and variance depend on x.",
         lambda: g * d / s),
        ("dx is missing the x_hat * sum(dout * x_hat) term (the variance's dependence on x).",
         lambda: g / s * (d - d.mean(axes, keepdims=True))),
        ("dx is missing the sum(dout) term (the mean's dependence on x).",
         lambda: g / s * (d - x_hat * (d * x_hat).mean(axes, keepdims=True))),
        ("dx was computed per activation (sums over axis 0 only), as for a fully connected "
         "layer; the sums run over (N, H, W).",
         lambda: g / s * (d - d.mean(0, keepdims=True)
                          - x_hat * (d * x_hat).mean(0, keepdims=True))),
        ("std was taken as sqrt(var), without eps.",
         lambda: g / (n * h * w * np.sqrt(_per_channel(cache["var"]))) * (
             n * h * w * d - d.sum(axes, keepdims=True)
             - x_hat * (d * x_hat).sum(axes, keepdims=True))),
        ("gamma was left out of dx: dx = gamma / (m' * std) * (...).",
         lambda: 1 / (n * h * w * s) * (n * h * w * d - d.sum(axes, keepdims=True)
                                        - x_hat * (d * x_hat).sum(axes, keepdims=True))),
    ]


_NO_TRANSPOSE_BACKWARD = (
    "dout (or x_hat) was turned into rows with reshape(-1, C) without moving the channel axis "
    "last first, so each column mixes channels: use a.transpose(0, 2, 3, 1).reshape(-1, C) "
    "for both, and bring dx back with .reshape(N, H, W, C).transpose(0, 3, 1, 2).")


def _sum_mistakes(dout, cache):
    """Wrong dgamma and dbeta of the rows mistakes: a column of reshape(-1, C) mixes channels."""
    d = dout.astype(np.float64)
    x_hat = np.asarray(cache["x_hat"], dtype=np.float64)
    c = d.shape[1]
    plain = lambda a: a.reshape(-1, c)  # noqa: E731
    dbeta = [(_NO_TRANSPOSE_BACKWARD, lambda: plain(d).sum(0)),
             ("dbeta = sum(dout * x_hat) is dgamma's formula; dbeta = sum(dout).",
              lambda: (d * x_hat).sum((0, 2, 3)))]
    dgamma = [(_NO_TRANSPOSE_BACKWARD, lambda: (plain(d) * plain(x_hat)).sum(0)),
              (_NO_TRANSPOSE_BACKWARD, lambda: (plain(d) * _rows(x_hat)).sum(0)),
              (_NO_TRANSPOSE_BACKWARD, lambda: (_rows(d) * plain(x_hat)).sum(0)),
              ("dgamma = sum(dout) is dbeta's formula; dgamma = sum(dout * x_hat).",
               lambda: d.sum((0, 2, 3))),
              ("dgamma used x instead of x_hat: dgamma = sum(dout * x_hat).",
               lambda: (d * np.asarray(cache["x"], dtype=np.float64)).sum((0, 2, 3)))]
    return dgamma, dbeta


def _backward_cases(seed, rng, hidden):
    cases = []

    def add(label, x, eps=1e-5, dout=None, **details):
        c = x.shape[1]
        gamma = rng.uniform(0.5, 2.0, size=c).astype(x.dtype)
        beta = rng.uniform(-1.0, 1.0, size=c).astype(x.dtype)
        _, cache = ref.spatial_batchnorm_forward(x, gamma, beta, eps=eps)
        dout = rng.normal(size=x.shape).astype(x.dtype) if dout is None else dout
        details = {"dout.shape": x.shape, "dtype": x.dtype.name, **details}
        if eps != 1e-5:
            details["eps"] = eps
        cases.append((Case(label, seed, details), dout, cache))

    add("random feature maps", _images(rng, 4, 3, 5, 5))
    add("float32 feature maps", _images(rng, 6, 4, 3, 3, np.float32))
    add("one channel (C = 1)", _images(rng, 5, 1, 4, 4))
    add("one image (N = 1)", _images(rng, 1, 3, 4, 5))
    add("1 x 1 maps (H = W = 1)", _images(rng, 6, 4, 1, 1))
    add("width equal to the number of channels (W = C)", _images(rng, 3, 4, 2, 4))
    add("eps that matters (eps = 0.5)", _images(rng, 2, 3, 3, 2, scale=0.5), eps=0.5)
    add("non-contiguous dout", _images(rng, 3, 2, 4, 4),
        dout=rng.normal(size=(3, 4, 4, 4))[:, ::2])
    if hidden:
        for shape in ((2, 5, 7, 3), (8, 2, 2, 2), (3, 7, 6, 6)):
            add("random feature maps", _images(rng, *shape))
        add("float32, large offsets", _images(rng, 4, 3, 3, 3, np.float32, loc=100.0))
    return cases


def _expect_channel_vector(got, expected, case, what, c, mistakes=()):
    """One value per channel; a (C, H, W) or keepdims shape gets a message of its own."""
    if isinstance(got, np.ndarray) and got.shape != (c,):
        if got.size == c:
            fail(case, f"{what} has shape {got.shape}, expected ({c},): one value per channel, "
                       "without keepdims (or reshape it to (C,)).")
        if got.ndim >= 2:
            fail(case, f"{what} has shape {got.shape}, expected ({c},): sum over all of "
                       "(N, H, W), axis=(0, 2, 3), so that there is one value per channel.")
    expect_array_named(got, expected, case=case, what=what, mistakes=mistakes)


def check_spatial_batchnorm_backward(student, seed=0, hidden=False):
    """Check ``spatial_batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``.

    The cache comes from the course's reference ``spatial_batchnorm_forward`` (documented in
    the notebook), so this check does not depend on the student's forward pass. Cases as
    for the forward pass; a dout whose shape differs from the cached input's (ValueError).
    With ``hidden=True``: more shapes, a cross-check with autograd through
    ``torch.nn.BatchNorm2d``, and the properties sum(dx) = 0 and
    sum(dx * x_hat) = 0 per channel.
    """
    seed, rng = make_rng(seed)
    name = "spatial_batchnorm_backward"
    for case, dout, cache in _backward_cases(seed, rng, hidden):
        result = _call(student, dout, cache, case=case, name=name, forbidden=FORBIDDEN,
                       arg_names=("dout", "cache"))
        dx, dgamma, dbeta = expect_tuple(result, 3, case=case, name=name,
                                         what="(dx, dgamma, dbeta)")
        exp_dx, exp_dgamma, exp_dbeta = ref.spatial_batchnorm_backward(dout, cache)
        c = dout.shape[1]
        dgamma_mistakes, dbeta_mistakes = _sum_mistakes(dout, cache)
        _expect_channel_vector(dbeta, exp_dbeta, case, "dbeta", c, mistakes=dbeta_mistakes)
        _expect_channel_vector(dgamma, exp_dgamma, case, "dgamma", c, mistakes=dgamma_mistakes)
        expect_array_named(dx, exp_dx, case=case, what="dx",
                           mistakes=_backward_mistakes(dout, cache))

    x = _images(rng, 2, 3, 4, 4)
    _, cache = ref.spatial_batchnorm_forward(x, np.ones(3), np.zeros(3))
    bad = Case("dout of a different shape than the cached input", seed,
               {"dout.shape": (1, 3, 4, 4), "x_hat.shape": x.shape})
    expect_raises(student, np.ones((1, 3, 4, 4)), cache, case=bad, name=name,
                  why="dout must have the shape of the forward pass's output")
    if hidden:
        _backward_properties(student, seed, rng)


def _backward_properties(student, seed, rng):
    import torch

    x = _images(rng, 3, 4, 5, 2)
    gamma, beta = rng.uniform(0.5, 2, 4), rng.uniform(-1, 1, 4)
    _, cache = ref.spatial_batchnorm_forward(x, gamma, beta)
    dout = rng.normal(size=x.shape)
    case = Case("cross-check with autograd through torch.nn.BatchNorm2d (training mode)", seed,
                {"dout.shape": x.shape})
    dx, dgamma, dbeta = expect_tuple(call_student(student, dout, cache, case=case,
                                                  name="spatial_batchnorm_backward"), 3,
                                     case=case, name="spatial_batchnorm_backward",
                                     what="(dx, dgamma, dbeta)")
    bn = _torch_batchnorm2d(x, gamma, beta)
    x_t = torch.from_numpy(x).requires_grad_()
    bn(x_t).backward(torch.from_numpy(dout))
    expect_array(dx, x_t.grad.numpy(), case=case, what="dx (compared with autograd)")
    expect_array(dgamma, bn.weight.grad.numpy(), case=case, what="dgamma (compared with autograd)")
    expect_array(dbeta, bn.bias.grad.numpy(), case=case, what="dbeta (compared with autograd)")

    x = _images(rng, 5, 3, 4, 6)
    # eps = 1e-12: sum(dx * x_hat) = 0 holds exactly only as eps -> 0 (then sum(x_hat**2) = m)
    _, cache = ref.spatial_batchnorm_forward(x, rng.uniform(0.5, 2, 3), rng.uniform(-1, 1, 3),
                                             eps=1e-12)
    dout = rng.normal(size=x.shape)
    case = Case("property: sum of dx over (N, H, W) is 0 for every channel", seed,
                {"dout.shape": x.shape, "eps": 1e-12})
    dx, _, _ = call_student(student, dout, cache, case=case, name="spatial_batchnorm_backward")
    scale = float(np.abs(dx).max()) if np.size(dx) else 1.0
    expect_array(np.asarray(dx).sum((0, 2, 3)), np.zeros(3), case=case,
                 what="sum of dx over (N, H, W)", atol=1e-9 * max(1.0, scale * x.size))
    case = Case("property: sum of dx * x_hat over (N, H, W) is 0 for every channel", seed,
                {"dout.shape": x.shape, "eps": 1e-12})
    expect_array((np.asarray(dx) * cache["x_hat"]).sum((0, 2, 3)), np.zeros(3), case=case,
                 what="sum of dx * x_hat", atol=1e-9 * max(1.0, scale * x.size))


# ---------------------------------------------------------------------------------------
# fold_batchnorm
# ---------------------------------------------------------------------------------------


def _fold_cases(seed, rng, hidden):
    """(case, weight, bias, gamma, beta, running_mean, running_var, eps)."""
    cases = []

    def add(label, shape, dtype=np.float64, bias=True, eps=1e-5, mean_scale=1.0,
            weight=None, **details):
        c_out = shape[0]
        w = rng.normal(size=shape).astype(dtype) if weight is None else weight
        b = rng.normal(size=c_out).astype(dtype) if bias else None
        gamma = rng.uniform(0.5, 2.0, c_out).astype(dtype)
        beta = rng.uniform(-1, 1, c_out).astype(dtype)
        mean = (rng.normal(size=c_out) * mean_scale).astype(dtype)
        var = rng.uniform(0.2, 3.0, c_out).astype(dtype)
        details = {"weight.shape": tuple(w.shape), "bias": "array" if bias else "None",
                   "dtype": np.dtype(dtype).name, **details}
        if eps != 1e-5:
            details["eps"] = eps
        cases.append((Case(label, seed, details), w, b, gamma, beta, mean, var, eps))

    add("convolution weight (C_out, C_in, 3, 3) with a bias", (4, 4, 3, 3))
    add("convolution without a bias (bias=None, treated as 0)", (5, 2, 3, 3), bias=False)
    add("linear layer weight (C_out, C_in)", (6, 4))
    add("more input than output channels (C_in > C_out)", (3, 5, 3, 3))
    add("float32 weights", (4, 2, 3, 3), dtype=np.float32)
    add("one output channel (C_out = 1)", (1, 3, 5, 5))
    add("1-D convolution weight (C_out, C_in, k)", (4, 2, 5))
    add("large running mean", (3, 2, 3, 3), mean_scale=1e3)
    add("eps passed by keyword", (3, 2, 1, 1), eps=0.1)
    add("non-contiguous weight w[:, ::2]", (4, 3, 3, 3),
        weight=rng.normal(size=(4, 6, 3, 3))[:, ::2])
    if hidden:
        add("linear layer, C_in = C_out, no bias", (5, 5), bias=False)
        add("float32 convolution without a bias", (8, 4, 3, 3), dtype=np.float32, bias=False)
        for shape in ((16, 8, 1, 1), (2, 7, 3, 3)):
            add("random convolution weight", shape)
    return cases


def _fold_mistakes(w, b, gamma, beta, mean, var, eps):
    w = w.astype(np.float64)
    b = np.zeros(w.shape[0]) if b is None else b.astype(np.float64)
    gamma, beta, mean, var = (np.asarray(v, dtype=np.float64) for v in (gamma, beta, mean, var))
    std = np.sqrt(var + eps)
    scale = gamma / std

    def along(v, axis):
        shape = [1] * w.ndim
        shape[axis] = -1
        return v.reshape(shape)

    no_eps = ("eps was left out: s = gamma / sqrt(running_var + eps), and eps matters when "
              "a channel's running variance is small.")
    weight_mistakes = [
        (no_eps, lambda: w * along(gamma / np.sqrt(var), 0)),
        ("gamma was left out of the scale: s = gamma / sqrt(running_var + eps).",
         lambda: w * along(1 / std, 0)),
        ("the eps argument was ignored: the default 1e-5 was used instead.",
         lambda: w * along(gamma / np.sqrt(var + 1e-5), 0)),
        ("the scale was applied to the input channels (axis 1); each *output* channel's "
         "filter is scaled: weight * s.reshape(C_out, 1, ..., 1).",
         lambda: w * along(scale, 1)),
        ("eps was added outside the square root: s = gamma / sqrt(running_var + eps).",
         lambda: w * along(gamma / (np.sqrt(var) + eps), 0)),
        ("divided by the variance instead of the standard deviation (missing square root).",
         lambda: w * along(gamma / (var + eps), 0)),
        ("the scale is upside down: s = gamma / sqrt(running_var + eps), not its inverse.",
         lambda: w * along(std / gamma, 0)),
        ("the weight was multiplied by gamma alone; divide by sqrt(running_var + eps) too.",
         lambda: w * along(gamma, 0)),
        ("the weight was left unchanged: the BN scale s = gamma / sqrt(var + eps) folds into it.",
         lambda: w),
    ]
    bias_mistakes = [
        (no_eps, lambda: (b - mean) * gamma / np.sqrt(var) + beta),
        ("gamma was left out of the bias: bias' = (bias - running_mean) * s + beta with "
         "s = gamma / sqrt(running_var + eps).", lambda: (b - mean) / std + beta),
        ("the bias was not scaled at all: bias' = (bias - running_mean) * s + beta.",
         lambda: b - mean + beta),
        ("the eps argument was ignored: the default 1e-5 was used instead.",
         lambda: (b - mean) * gamma / np.sqrt(var + 1e-5) + beta),
        ("the old bias was forgotten: the folded bias is (bias - running_mean) * s + beta.",
         lambda: beta - mean * scale),
        ("the old bias was not scaled: it passes through BN too, so it is multiplied by s.",
         lambda: b + beta - mean * scale),
        ("the running mean was not subtracted: bias' = (bias - running_mean) * s + beta.",
         lambda: b * scale + beta),
        ("the running mean was added instead of subtracted.",
         lambda: (b + mean) * scale + beta),
        ("beta was not added: bias' = (bias - running_mean) * s + beta.",
         lambda: (b - mean) * scale),
        ("eps was added outside the square root: s = gamma / sqrt(running_var + eps).",
         lambda: (b - mean) * gamma / (np.sqrt(var) + eps) + beta),
        ("the mean was subtracted after scaling: bias' = (bias - running_mean) * s + beta.",
         lambda: b * scale - mean + beta),
    ]
    return weight_mistakes, bias_mistakes


def check_fold_batchnorm(student, seed=0, hidden=False):
    """Check ``fold_batchnorm(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5)``.

    Cases: convolution weights with and without a bias (None means 0), a linear layer's
    weight, C_in = C_out (so a fold over the wrong axis shows), float32, C_out = 1, a 1-D
    convolution, a large running mean, an eps argument, non-contiguous weights; per-channel
    vectors of the wrong length (ValueError). With ``hidden=True``: more shapes, a
    cross-check with ``torch.nn.utils.fusion.fuse_conv_bn_weights``, and the folded layer
    run on data must equal the layer followed by inference-mode BN.
    """
    seed, rng = make_rng(seed)
    name = "fold_batchnorm"
    for case, w, b, gamma, beta, mean, var, eps in _fold_cases(seed, rng, hidden):
        result = call_student(student, w, b, gamma, beta, mean, var, eps=eps, case=case,
                              name=name, forbidden=FORBIDDEN,
                              arg_names=("weight", "bias", "gamma", "beta", "running_mean",
                                         "running_var"))
        got_w, got_b = expect_tuple(result, 2, case=case, name=name, what="(weight, bias)")
        exp_w, exp_b = ref.fold_batchnorm(w, b, gamma, beta, mean, var, eps=eps)
        w_mistakes, b_mistakes = _fold_mistakes(w, b, gamma, beta, mean, var, eps)
        if isinstance(got_w, np.ndarray) and got_w.ndim != w.ndim and got_w.size != w.size:
            fail(case, f"the folded weight has shape {got_w.shape}, expected {w.shape}: the "
                       f"scale must be reshaped to (C_out,) + (1,) * (weight.ndim - 1), so it "
                       "works for a 2-D linear weight as well as a 4-D convolution weight.")
        expect_array_named(got_w, exp_w, case=case, what="the folded weight",
                           mistakes=w_mistakes)
        if got_b is None:
            fail(case, "the folded bias is None. Even without an old bias (bias=None, i.e. 0) "
                       "the folded layer needs a bias: beta - running_mean * s.")
        expect_array_named(got_b, exp_b, case=case, what="the folded bias",
                           mistakes=b_mistakes)

    c_out = 4
    w = rng.normal(size=(c_out, 2, 3, 3))
    good = [rng.normal(size=c_out) for _ in range(3)] + [rng.uniform(0.5, 2, c_out)]
    bad_gamma = Case("gamma with C_out + 1 entries", seed, {"weight.shape": w.shape,
                                                             "gamma.shape": (c_out + 1,)})
    expect_raises(student, w, good[0], np.ones(c_out + 1), *good[1:], case=bad_gamma, name=name,
                  why="gamma needs one entry per output channel")
    bad_bias = Case("bias with C_out - 1 entries", seed, {"weight.shape": w.shape,
                                                          "bias.shape": (c_out - 1,)})
    expect_raises(student, w, np.ones(c_out - 1), *good, case=bad_bias, name=name,
                  why="bias needs one entry per output channel")
    if hidden:
        _fold_properties(student, seed, rng)


def _fold_properties(student, seed, rng):
    """Running the folded layer equals the layer followed by batch norm in inference mode."""
    import torch
    from torch.nn.utils.fusion import fuse_conv_bn_weights

    c_out = 6
    w, b = rng.normal(size=(c_out, 3, 3, 3)), rng.normal(size=c_out)
    vectors = [rng.uniform(0.5, 2, c_out), rng.normal(size=c_out), rng.normal(size=c_out) * 3,
               rng.uniform(0.2, 3, c_out)]     # gamma, beta, running mean, running var
    case = Case("cross-check with torch.nn.utils.fusion.fuse_conv_bn_weights", seed,
                {"weight.shape": w.shape})
    got_w, got_b = expect_tuple(call_student(student, w, b, *vectors, case=case,
                                             name="fold_batchnorm"), 2, case=case,
                                name="fold_batchnorm", what="(weight, bias)")
    t = torch.from_numpy
    exp_w, exp_b = fuse_conv_bn_weights(t(w), t(b), t(vectors[2]), t(vectors[3]), 1e-5,
                                        t(vectors[0]), t(vectors[1]))
    expect_array(got_w, exp_w.detach().numpy(), case=case, what="the folded weight")
    expect_array(got_b, exp_b.detach().numpy(), case=case, what="the folded bias")

    c_in, c_out, eps = 5, 4, 1e-5
    w, b = rng.normal(size=(c_out, c_in)), rng.normal(size=c_out)
    gamma, beta = rng.uniform(0.5, 2, c_out), rng.normal(size=c_out)
    mean, var = rng.normal(size=c_out) * 3, rng.uniform(0.2, 3, c_out)
    x = rng.normal(size=(16, c_in))
    case = Case("property: x @ W'.T + b' equals BN_inference(x @ W.T + b) for a linear layer",
                seed, {"x.shape": x.shape, "weight.shape": w.shape})
    got_w, got_b = expect_tuple(call_student(student, w, b, gamma, beta, mean, var,
                                             case=case, name="fold_batchnorm"), 2, case=case,
                                name="fold_batchnorm", what="(weight, bias)")
    expected = gamma * (x @ w.T + b - mean) / np.sqrt(var + eps) + beta
    try:
        got = x @ np.asarray(got_w, dtype=np.float64).T + np.asarray(got_b, dtype=np.float64)
    except Exception as exc:  # wrong shapes: say so rather than crash
        fail(case, f"the folded layer could not be run: {type(exc).__name__}: {exc}")
    r, a = tolerance(np.float64)
    expect_array(got, expected, case=case, what="the folded layer's output", rtol=r, atol=a)
