"""``check_spatial_batchnorm_forward`` (notebook 06) with its catalogue of named mistakes
(statistics over the wrong axes, a reshape that mixes channels, no keepdims), the cache it
must return, and the properties every right forward pass has.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, expect_array, expect_close, expect_raises, expect_tuple, fail, make_rng
from .._nearest import expect_array_named
from ._shared import (
    _NO_KEEPDIMS,
    CACHE_KEYS,
    FORBIDDEN,
    _call,
    _images,
    _norm,
    _per_channel,
    _rows,
    _student_out,
    _torch_batchnorm2d,
)

__all__ = ["check_spatial_batchnorm_forward"]


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
