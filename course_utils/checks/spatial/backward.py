"""``check_spatial_batchnorm_backward`` (notebook 06) with its catalogue of named mistakes
(a reshape that mixes channels, the wrong count m, a term of dx left out) and the
properties every right backward pass has.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_array, expect_raises, expect_tuple, fail, make_rng
from .._nearest import expect_array_named
from ._shared import (
    _NO_KEEPDIMS,
    FORBIDDEN,
    _call,
    _images,
    _per_channel,
    _rows,
    _torch_batchnorm2d,
    _unrows,
)

__all__ = ["check_spatial_batchnorm_backward"]


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
