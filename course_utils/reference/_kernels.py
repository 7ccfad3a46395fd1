"""The batch norm arithmetic shared by the 2-D pass (notebooks 03, 04) and the spatial one (06).

Both normalize per channel over every other axis: ``axes = (0,)`` for x of shape (N, D),
``axes = (0, 2, 3)`` for images (N, C, H, W), where the statistics of a channel are taken
over the batch and every position (m = N * H * W). Working over the axes directly, rather
than moving the channels last and reshaping, saves copying the images twice per pass.

Written for speed as well as clarity (``make bench`` times them against torch): each
function makes as few full-size temporaries as the arithmetic allows, and sums of products
go through ``np.einsum``, which never builds the product array.
"""

from __future__ import annotations

import numpy as np


def per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    """A (C,) vector shaped to broadcast along axis 1 of an ndim-D array: (C,), (C, 1, 1)."""
    return v.reshape((-1,) + (1,) * (ndim - 2))


def sum_of_products(a: np.ndarray, b: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``(a * b).sum(axis=axes)``, without the (a * b) temporary."""
    letters = "abcdefgh"[:a.ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    return np.einsum(f"{letters},{letters}->{kept}", a, b)


def normalize(x, gamma, beta, eps: float, axes: tuple[int, ...]):
    """Training-mode forward pass: (out, mean, var, std, x_hat), statistics of shape (C,).

        mean  = mean of x over axes              var = mean of (x - mean)**2 (biased, / m)
        x_hat = (x - mean) / sqrt(var + eps)     out = gamma * x_hat + beta
    """
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    x_hat = x - per_channel(mean, x.ndim)           # x - mean, normalized in place below
    var = sum_of_products(x_hat, x_hat, axes) / m
    std = np.sqrt(var + x.dtype.type(eps))
    x_hat *= per_channel(1 / std, x.ndim)              # a product is cheaper than a quotient
    out = x_hat * per_channel(gamma, x.ndim)
    out += per_channel(beta, x.ndim)
    return out, mean, var, std, x_hat


def compact_backward(dout, x_hat, gamma, std, axes: tuple[int, ...]):
    """The closed-form backward pass: (dx, dgamma, dbeta), with m values per channel.

        dbeta  = sum of dout over axes           dgamma = sum of dout * x_hat over axes
        dx     = gamma / (m * std) * (m * dout - dbeta - x_hat * dgamma)
    computed as gamma / std * (dout - dbeta / m - x_hat * dgamma / m), in place.
    """
    m = dout.size // dout.shape[1]
    x_hat = np.asarray(x_hat, dtype=dout.dtype)     # the gradients come in dout's dtype
    dbeta = dout.sum(axis=axes)
    dgamma = sum_of_products(dout, x_hat, axes)
    dx = x_hat * per_channel(-dgamma / m, dout.ndim)
    dx += dout
    dx -= per_channel(dbeta / m, dout.ndim)
    dx *= per_channel(gamma / std, dout.ndim)
    return dx, dgamma, dbeta
