"""Notebook 06: batch normalization for convolutions, and folding it into the convolution.

Ioffe & Szegedy (2015), Section 3.2. A convolution applies the same filter at every position,
so batch norm keeps one mean, one variance, one gamma and one beta per *channel*, with the
statistics taken over the batch and over every position of the feature map. For x of shape
(N, C, H, W) that is the (N * H * W, C) case of the 2-D forward pass (notebook 03): the
effective mini-batch is m' = m * p * q = N * H * W.

    rows = x.transpose(0, 2, 3, 1).reshape(-1, C)       move C last, then flatten
    out  = batchnorm_forward(rows, gamma, beta)          the 2-D case
    out  = out.reshape(N, H, W, C).transpose(0, 3, 1, 2) and back

is the way notebook 06 teaches it. The functions here compute the same numbers over the
axes (0, 2, 3) directly, with the 2-D pass's arithmetic (``_kernels``), which spares
copying the images into rows and back.

At inference the statistics are fixed, so BN is an affine map per channel and can be folded
into the convolution (or linear layer) before it:

    s  = gamma / sqrt(running_var + eps)                 (C_out,)
    W' = W * s[:, None, ...]                             each output channel's filter scaled
    b' = (b - running_mean) * s + beta
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, param_vector, positive_eps
from ._kernels import compact_backward, normalize

__all__ = ["spatial_batchnorm_forward", "spatial_batchnorm_backward", "fold_batchnorm"]

_IMAGES = "(N, C, H, W): N images, C channels, H x W positions"
CHANNEL_STATS = (0, 2, 3)  # a channel's statistics: over the batch and every position


def spatial_batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch norm of a batch of feature maps, one gamma and beta per channel.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        N * H * W >= 2 (the effective batch).
    gamma, beta : ndarray of shape (C,)
    eps : float, added to the variance inside the square root

    Returns
    -------
    out : ndarray of shape (N, C, H, W), dtype of ``x``
    cache : dict
        The keys of notebook 03's cache, with the image shape kept:

        ========  ============  =================================================
        key       shape         meaning
        ========  ============  =================================================
        "x"       (N, C, H, W)  the input
        "x_hat"   (N, C, H, W)  normalized input
        "mean"    (C,)          per-channel mean over (N, H, W)
        "var"     (C,)          per-channel biased variance (divide by N * H * W)
        "std"     (C,)          sqrt(var + eps)
        "gamma"   (C,)          scale
        "beta"    (C,)          shift
        "eps"     float         the eps used
        ========  ============  =================================================

        A student's cache must hold at least ``x_hat``, ``mean``, ``var``, ``gamma`` and
        ``eps``; ``spatial_batchnorm_backward`` reads only those.

    Raises
    ------
    ValueError
        If x is not 4-D, N * H * W < 2, or gamma/beta are not of shape (C,).
    """
    x = as_float_array(x, "x", ndim=4, shape_hint=_IMAGES)
    n, c, h, w = x.shape
    if n * h * w < 2:
        raise ValueError(f"x has shape {x.shape}: the effective batch N * H * W = {n * h * w}; "
                         "per-channel batch statistics need at least 2 values")
    gamma = param_vector(gamma, c, "gamma", x.dtype)
    beta = param_vector(beta, c, "beta", x.dtype)
    eps = positive_eps(eps)
    out, mean, var, std, x_hat = normalize(x, gamma, beta, eps, axes=CHANNEL_STATS)
    cache = {"x": x, "x_hat": x_hat, "mean": mean, "var": var, "std": std,
             "gamma": gamma, "beta": beta, "eps": eps}
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """Gradients of the spatial batch norm with respect to x, gamma and beta.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H, W), upstream gradient
    cache : dict from :func:`spatial_batchnorm_forward` (reads "x_hat", "var", "gamma", "eps")

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dgamma, dbeta : ndarray of shape (C,)

        dbeta  = sum over (N, H, W) of dout
        dgamma = sum over (N, H, W) of dout * x_hat
        dx     = gamma / (m' * std) * (m' * dout - dbeta - x_hat * dgamma),  m' = N * H * W
    """
    if not isinstance(cache, dict) or not {"x_hat", "var", "gamma", "eps"} <= set(cache):
        raise ValueError("cache must be the dict spatial_batchnorm_forward returns "
                         "(with 'x_hat', 'var', 'gamma' and 'eps')")
    x_hat = as_float_array(cache["x_hat"], "cache['x_hat']", ndim=4, shape_hint=_IMAGES)
    dout = as_float_array(dout, "dout", ndim=4, shape_hint=_IMAGES)
    if dout.shape != x_hat.shape:
        raise ValueError(f"dout has shape {dout.shape} but the cached input has shape "
                         f"{x_hat.shape}; the upstream gradient has the shape of the output")
    c = x_hat.shape[1]
    gamma = param_vector(cache["gamma"], c, "cache['gamma']", dout.dtype)
    var = param_vector(cache["var"], c, "cache['var']", dout.dtype)
    std = np.sqrt(var + dout.dtype.type(positive_eps(cache["eps"])))
    return compact_backward(dout, x_hat, gamma, std, axes=CHANNEL_STATS)


def fold_batchnorm(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    """Fold an inference-mode batch norm into the convolution or linear layer before it.

    ``BN(conv(x; weight, bias))`` with fixed running statistics equals
    ``conv(x; weight', bias')`` with

        s       = gamma / sqrt(running_var + eps)          (C_out,)
        weight' = weight * s, along the output channels   (C_out, ...)
        bias'   = (bias - running_mean) * s + beta         (C_out,)

    Agrees with ``torch.nn.utils.fusion.fuse_conv_bn_weights``.

    Parameters
    ----------
    weight : ndarray of shape (C_out, C_in, *kernel) or (C_out, C_in)
        A convolution's or a linear layer's weight; axis 0 is the output channel.
    bias : ndarray of shape (C_out,) or None (no bias: treated as 0)
    gamma, beta, running_mean, running_var : ndarray of shape (C_out,)
    eps : float

    Returns
    -------
    weight, bias : new arrays of shapes (C_out, ...) and (C_out,), dtype of ``weight``

    Raises
    ------
    ValueError
        If weight has fewer than 2 dimensions, a per-channel vector is not of shape
        (C_out,), or running_var has a negative entry.
    """
    weight = as_float_array(weight, "weight")
    if weight.ndim < 2:
        raise ValueError(f"weight must be (C_out, C_in, ...) like a convolution's or a linear "
                         f"layer's weight, got shape {weight.shape}")
    c_out, dtype = weight.shape[0], weight.dtype
    bias = np.zeros(c_out, dtype) if bias is None else param_vector(bias, c_out, "bias", dtype)
    gamma, beta, mean, var = (param_vector(v, c_out, name, dtype) for v, name in (
        (gamma, "gamma"), (beta, "beta"), (running_mean, "running_mean"),
        (running_var, "running_var")))
    if np.any(var < 0):
        raise ValueError("running_var has a negative entry; a variance is never negative")
    scale = gamma / np.sqrt(var + dtype.type(positive_eps(eps)))
    folded_weight = weight * scale.reshape((c_out,) + (1,) * (weight.ndim - 1))
    folded_bias = (bias - mean) * scale + beta
    return folded_weight, folded_bias
