"""Notebook 04: the backward pass of batch normalization, and checking gradients numerically.

Ioffe & Szegedy (2015), Section 3 (the chain-rule equations after Algorithm 1). The forward
pass is ``course_utils.reference.batchnorm_forward``; its ``cache`` (keys ``x``, ``x_hat``,
``mean``, ``var`` (biased), ``std`` = sqrt(var + eps), ``gamma``, ``beta``, ``eps``) is what
the backward functions here read. With ``dout`` = dL/d(out) of shape (N, D), m = N:

    dbeta  = sum(dout, axis=0)
    dgamma = sum(dout * x_hat, axis=0)
    dx     = gamma / (m * std) * (m * dout - sum(dout) - x_hat * sum(dout * x_hat))

``batchnorm_backward`` walks the computational graph node by node;
``batchnorm_backward_alt`` is the closed form. Both give the same numbers.
"""

from __future__ import annotations

import numpy as np

from ._kernels import compact_backward
from ._validate import as_float_array

__all__ = ["relative_error", "numerical_gradient", "batchnorm_backward",
           "batchnorm_backward_alt"]


def relative_error(a, b):
    """The largest elementwise relative error ``max(|a - b| / max(1e-8, |a| + |b|))``.

    Parameters
    ----------
    a, b : array_like of the same shape (scalars too)

    Returns
    -------
    float
        0 when a and b are equal (both zero included: the floor 1e-8 avoids 0 / 0).

    Raises
    ------
    ValueError
        If a and b have different shapes.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, dout, h=1e-5):
    """Central-difference gradient of ``sum(f(x) * dout)`` with respect to every entry of x.

    ``grad[i] = (sum(f(x + h e_i) * dout) - sum(f(x - h e_i) * dout)) / (2 h)``. Each entry
    of ``x`` is perturbed in place, one at a time, and put back exactly (the saved value is
    restored, not ``x[i] - h``, which rounding would not undo).

    Parameters
    ----------
    f : callable taking an array shaped like x, returning an array shaped like dout
    x : ndarray, any shape
    dout : ndarray of the shape of f(x): the upstream gradient dL/df
    h : float, the step

    Returns
    -------
    grad : ndarray of x's shape and dtype
    """
    if not isinstance(x, np.ndarray):
        raise ValueError(f"x must be a numpy array (it is perturbed in place), got "
                         f"{type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a floating-point array (an integer array cannot hold "
                         f"x + h), got dtype {x.dtype}")
    h = float(h)
    if not h > 0:
        raise ValueError(f"h must be positive, got {h}")
    dout = np.asarray(dout)
    grad = np.zeros(x.shape, dtype=x.dtype)
    for index in np.ndindex(*x.shape):
        old = x[index]
        x[index] = old + h
        plus = np.sum(np.asarray(f(x), dtype=np.float64) * dout)
        x[index] = old - h
        minus = np.sum(np.asarray(f(x), dtype=np.float64) * dout)
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad


def _read_cache(dout, cache):
    dout = as_float_array(dout, "dout", ndim=2, shape_hint="(N, D), like the forward output")
    if not isinstance(cache, dict):
        raise ValueError(f"cache must be the dict batchnorm_forward returned, got "
                         f"{type(cache).__name__}")
    missing = [k for k in ("x_hat", "var", "gamma", "eps") if k not in cache]
    if missing:
        raise ValueError(f"cache is missing {missing}; pass the cache batchnorm_forward returned")
    x_hat = np.asarray(cache["x_hat"])
    if x_hat.shape != dout.shape:
        raise ValueError(f"dout has shape {dout.shape} but the cache's x_hat has shape "
                         f"{x_hat.shape}; they must match")
    return dout, cache


def batchnorm_backward(dout, cache):
    """Backward pass of ``batchnorm_forward``, stage by stage along the computational graph.

    The forward graph, per feature:
    ``mu = mean(x)``; ``xmu = x - mu``; ``var = mean(xmu**2)``; ``std = sqrt(var + eps)``;
    ``istd = 1 / std``; ``x_hat = xmu * istd``; ``out = gamma * x_hat + beta``.
    Each line below is one node's local derivative times the gradient arriving from above;
    where a value feeds two nodes (``xmu``, and ``x`` itself), the gradients add.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
        Upstream gradient dL/d(out).
    cache : dict
        From ``batchnorm_forward``.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dgamma, dbeta : ndarray of shape (D,)
        All in dout's dtype.
    """
    dout, cache = _read_cache(dout, cache)
    x_hat, var, gamma = cache["x_hat"], cache["var"], cache["gamma"]
    m = dout.shape[0]
    std = np.sqrt(var + dout.dtype.type(cache["eps"]))
    istd = 1 / std
    xmu = x_hat * std                                   # recover x - mu from the cache

    dbeta = dout.sum(axis=0)                            # out = gamma * x_hat + beta
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    distd = (dx_hat * xmu).sum(axis=0)                  # x_hat = xmu * istd
    dxmu = dx_hat * istd
    dstd = -distd / std**2                              # istd = 1 / std
    dvar = dstd / (2 * std)                             # std = sqrt(var + eps)
    dxmu = dxmu + 2 * xmu * dvar / m                    # var = mean(xmu ** 2)
    dmu = -dxmu.sum(axis=0)                             # xmu = x - mu
    dx = dxmu + dmu / m                                 # mu = mean(x)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of ``batchnorm_forward`` in closed form.

    ``dx = gamma / (m * sqrt(var + eps)) * (m * dout - sum(dout) - x_hat * sum(dout * x_hat))``
    (sums over the batch axis), which is what the staged pass simplifies to.

    Parameters and returns as for :func:`batchnorm_backward`.
    """
    dout, cache = _read_cache(dout, cache)
    x_hat, var, gamma = cache["x_hat"], cache["var"], cache["gamma"]
    std = np.sqrt(var + dout.dtype.type(cache["eps"]))
    return compact_backward(dout, x_hat, gamma, std, axes=(0,))
