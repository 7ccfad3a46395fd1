"""Notebook 03: the training-mode forward pass of batch normalization (Algorithm 1).

Ioffe & Szegedy (2015), Section 3, Algorithm 1. For a mini-batch ``x`` of shape (N, D),
N = m examples and D features, each feature is normalized with the statistics of the batch:

    mu      = mean(x, axis=0)                      (D,)
    var     = mean((x - mu) ** 2, axis=0)          (D,)   biased: divide by m
    x_hat   = (x - mu) / sqrt(var + eps)           (N, D)
    out     = gamma * x_hat + beta                 (N, D)
"""

from __future__ import annotations

import numpy as np

from ._kernels import normalize
from ._validate import as_float_array, param_vector, positive_eps, require_batch

__all__ = ["batchnorm_forward", "identity_params"]


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Batch-normalize ``x`` with its own batch statistics (training mode).

    Parameters
    ----------
    x : ndarray of shape (N, D)
        A mini-batch: N examples (rows), D features (columns). N >= 2.
    gamma, beta : ndarray of shape (D,)
        Per-feature scale and shift.
    eps : float
        Added to the variance inside the square root.

    Returns
    -------
    out : ndarray of shape (N, D), dtype of ``x``
    cache : dict
        What the backward pass (notebook 04) needs. The course documents these keys:

        ========  ===========  ==================================================
        key       shape        meaning
        ========  ===========  ==================================================
        "x"       (N, D)       the input
        "x_hat"   (N, D)       normalized input, (x - mean) / std
        "mean"    (D,)         batch mean
        "var"     (D,)         biased batch variance (divided by N)
        "std"     (D,)         sqrt(var + eps)
        "gamma"   (D,)         scale
        "beta"    (D,)         shift
        "eps"     float        the eps used
        ========  ===========  ==================================================

        A student's cache must hold at least ``x_hat``, ``mean``, ``var``, ``gamma`` and
        ``eps``.

    Raises
    ------
    ValueError
        If x is not 2-D, has fewer than two rows, or gamma/beta are not of shape (D,).
    """
    x = as_float_array(x, "x", ndim=2, shape_hint="(N, D): N examples by D features")
    require_batch(x)
    d = x.shape[1]
    gamma = param_vector(gamma, d, "gamma", x.dtype)
    beta = param_vector(beta, d, "beta", x.dtype)
    eps = positive_eps(eps)

    out, mean, var, std, x_hat = normalize(x, gamma, beta, eps, axes=(0,))  # see the top
    cache = {
        "x": x, "x_hat": x_hat, "mean": mean, "var": var, "std": std,
        "gamma": gamma, "beta": beta, "eps": eps,
    }
    return out, cache


def identity_params(x, eps=1e-5):
    """The gamma and beta that make ``batchnorm_forward(x, gamma, beta, eps)`` return x.

    Undoing the normalization: gamma = sqrt(var + eps) and beta = mean, with the biased
    batch variance. This is the paper's argument (Section 3) that BN can represent the
    identity, so inserting it never removes what a layer could express.

    Returns
    -------
    gamma, beta : ndarray of shape (D,), dtype of ``x``
    """
    x = as_float_array(x, "x", ndim=2, shape_hint="(N, D): N examples by D features")
    require_batch(x)
    eps = positive_eps(eps)
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    return np.sqrt(var + x.dtype.type(eps)), mean
