"""Notebook 07: batch, layer, instance and group normalization as one operation.

Each member subtracts a mean and divides by a standard deviation (biased variance, eps
inside the square root); they differ only in *which* values share one mean and variance.
For feature maps x of shape (N, C, H, W) (Wu & He 2018, Section 3.1, Figure 2):

    batch norm      axes (0, 2, 3)   one statistic per channel, across the batch
    layer norm      axes (1, 2, 3)   one statistic per example
    instance norm   axes (2, 3)      one statistic per example and channel
    group norm      (N, G, C/G, H, W), axes (2, 3, 4): per example and group of
                    C/G consecutive channels

Layer norm on a batch of vectors (N, D) (Ba, Kiros & Hinton 2016, Section 3) takes each
example's statistics across its D features: axis 1. Across the batch, axis 0, is batch norm.
"""

from __future__ import annotations

import operator

import numpy as np

from ._validate import as_float_array, param_vector, positive_eps

__all__ = ["normalize", "layer_norm", "instance_norm", "group_norm"]

_IMAGES = "(N, C, H, W): N images, C channels, H x W positions"


def _axes(axes, ndim: int) -> tuple[int, ...]:
    """``axes`` as a tuple of distinct non-negative ints below ``ndim``."""
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    try:
        axes = tuple(operator.index(a) for a in axes)
    except TypeError:
        raise ValueError(f"axes must be a tuple of ints, got {axes!r}") from None
    if not axes:
        raise ValueError("axes is empty: say which axes share one mean and variance")
    bad = [a for a in axes if not -ndim <= a < ndim]
    if bad:
        raise ValueError(f"axis {bad[0]} is out of range for an array with {ndim} dimensions")
    axes = tuple(a % ndim for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axes {axes} repeats an axis")
    return axes


def normalize(x, axes, eps=1e-5):
    """``(x - mean) / sqrt(var + eps)`` with the mean and biased variance over ``axes``.

    Parameters
    ----------
    x : ndarray of any shape
    axes : tuple of ints (negative ones count from the end)
        The values that share one mean and one variance are those that differ only along
        these axes: ``axes=(0,)`` on (N, D) is batch norm, ``(1,)`` layer norm.
    eps : float

    Returns
    -------
    ndarray of the shape and dtype of ``x``. No gamma, no beta.

    Raises
    ------
    ValueError
        If ``axes`` is empty, repeats an axis or names one that ``x`` does not have.
    """
    x = as_float_array(x, "x")
    axes = _axes(axes, x.ndim)
    eps = positive_eps(eps)
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = (centred**2).mean(axis=axes, keepdims=True)
    return centred / np.sqrt(var + x.dtype.type(eps))


def layer_norm(x, gamma, beta, eps=1e-5):
    """Layer normalization of a batch of vectors: each example across its own features.

    out = gamma * normalize(x, axes=(1,)) + beta, with gamma and beta per feature.
    Works for a single example (N = 1): nothing depends on the rest of the batch.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma, beta : ndarray of shape (D,)

    Raises
    ------
    ValueError
        If x is not 2-D, or gamma/beta are not of shape (D,).
    """
    x = as_float_array(x, "x", ndim=2, shape_hint="(N, D): N examples by D features")
    d = x.shape[1]
    gamma = param_vector(gamma, d, "gamma", x.dtype)
    beta = param_vector(beta, d, "beta", x.dtype)
    return gamma * normalize(x, (1,), eps) + beta


def instance_norm(x, eps=1e-5):
    """Instance normalization without affine parameters (PyTorch's default).

    Each (example, channel) feature map is normalized over its H x W positions: axes (2, 3).

    Raises
    ------
    ValueError
        If x is not 4-D, or H * W < 2 (one value per map has no spread; PyTorch refuses too).
    """
    x = as_float_array(x, "x", ndim=4, shape_hint=_IMAGES)
    if x.shape[2] * x.shape[3] < 2:
        raise ValueError(f"x has shape {x.shape}: instance norm needs at least 2 positions "
                         "(H * W >= 2) per feature map")
    return normalize(x, (2, 3), eps)


def group_norm(x, gamma, beta, num_groups, eps=1e-5):
    """Group normalization (Wu & He 2018, Section 3.1).

    The C channels are split into ``num_groups`` groups of C / G *consecutive* channels
    (channels 0..C/G-1 form group 0); each example's group is normalized over its channels
    and positions. gamma and beta are per channel. G = 1 is layer norm over (C, H, W);
    G = C is instance norm.

        xg  = x.reshape(N, G, C // G, H, W)
        out = normalize(xg, axes=(2, 3, 4)).reshape(N, C, H, W) * gamma[c] + beta[c]

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    gamma, beta : ndarray of shape (C,)
    num_groups : int, a divisor of C

    Raises
    ------
    ValueError
        If x is not 4-D, num_groups is not a positive divisor of C, a group holds a single
        value (C / G * H * W < 2), or gamma/beta are not of shape (C,).
    """
    x = as_float_array(x, "x", ndim=4, shape_hint=_IMAGES)
    n, c, h, w = x.shape
    try:
        g = operator.index(num_groups)
    except TypeError:
        raise ValueError(f"num_groups must be an int, got {num_groups!r}") from None
    if g < 1 or c % g:
        raise ValueError(f"num_groups = {g} does not divide the {c} channels into equal "
                         f"groups; choose a divisor of {c}")
    if (c // g) * h * w < 2:
        raise ValueError(f"x has shape {x.shape}: each of the {g} groups holds one value; a "
                         "group needs at least 2 values to have a spread (PyTorch refuses too)")
    gamma = param_vector(gamma, c, "gamma", x.dtype)
    beta = param_vector(beta, c, "beta", x.dtype)
    normed = normalize(x.reshape(n, g, c // g, h, w), (2, 3, 4), eps).reshape(n, c, h, w)
    return gamma.reshape(1, c, 1, 1) * normed + beta.reshape(1, c, 1, 1)
