"""Notebook 02: what whitening is, and the paper's two arguments for BN's simpler design.

Whitening makes the features of ``X`` (N, D) zero-mean, unit-variance *and* decorrelated:
its covariance becomes the identity. With the population covariance

    C = E[x x^T] - E[x] E[x]^T = (X - mean).T @ (X - mean) / N  =  U diag(lam) U^T,

ZCA whitening multiplies the centered rows by the symmetric matrix

    W = C^(-1/2) = U diag(1 / sqrt(lam + eps)) U^T.

Ioffe & Szegedy (2015), Section 2: a normalization that gradient descent does not see lets a
bias drift without bound (``bias_drift``). Section 3: normalized sigmoid inputs sit mostly in
the sigmoid's linear regime (``fraction_near_linear``), hence BN's gamma and beta.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, positive_eps, require_batch

__all__ = ["covariance", "zca_whitening_matrix", "bias_drift", "fraction_near_linear"]

_SHAPE = "(N, D): N examples by D features"


def covariance(X):
    """Population covariance of the columns of ``X``: ``E[xx^T] - E[x]E[x]^T``.

    Computed as ``(X - mean).T @ (X - mean) / N`` (the same matrix, without the
    cancellation that subtracting two large numbers causes when the mean is large).

    Parameters
    ----------
    X : ndarray of shape (N, D), N >= 2

    Returns
    -------
    ndarray of shape (D, D), symmetric, dtype of ``X``. Divides by N, not N - 1
    (``np.cov(X, rowvar=False, bias=True)``).
    """
    X = as_float_array(X, "X", ndim=2, shape_hint=_SHAPE)
    require_batch(X, "X")
    centered = X - X.mean(axis=0)
    return (centered.T @ centered) / X.dtype.type(X.shape[0])


def zca_whitening_matrix(X, eps=1e-5):
    """The ZCA whitening transform of ``X``: ``(X - mean) @ W`` has covariance close to I.

    ``W = U diag(1 / sqrt(lam + eps)) U^T`` from the eigendecomposition of the population
    covariance ``C = U diag(lam) U^T``. ``W`` is symmetric (PCA whitening,
    ``U diag(1 / sqrt(lam + eps))``, is not) and equals ``(C + eps I)^(-1/2)``. Eigenvalues
    that rounding makes slightly negative are taken as 0. Computed in float64.

    Returns
    -------
    mean : ndarray of shape (D,)
    W : ndarray of shape (D, D), symmetric
        Both in the dtype of ``X``.
    """
    X = as_float_array(X, "X", ndim=2, shape_hint=_SHAPE)
    require_batch(X, "X")
    eps = positive_eps(eps)
    X64 = X.astype(np.float64)
    mean = X64.mean(axis=0)
    lam, U = np.linalg.eigh(covariance(X64))
    scale = 1.0 / np.sqrt(np.maximum(lam, 0.0) + eps)
    W = (U * scale) @ U.T
    W = 0.5 * (W + W.T)  # exactly symmetric
    return mean.astype(X.dtype), W.astype(X.dtype)


def bias_drift(u, t, lr, n_steps):
    """The paper's Section 2 example: a bias that normalization makes drift forever.

    ``x = u + b``, ``x_hat = x - mean(x)``, loss ``0.5 * sum((x_hat - t) ** 2)``. Each step
    uses the gradient that *ignores* that ``mean(x)`` depends on ``b``:
    ``b -= lr * sum(x_hat - t)``. Since ``x_hat`` does not depend on ``b`` at all, the loss
    never changes while ``b`` moves by ``lr * sum(t)`` every step.

    Parameters
    ----------
    u : ndarray of shape (N,), N >= 2, the layer's input over the training set
    t : float or ndarray of shape (N,), the targets for ``x_hat``
    lr : float > 0
    n_steps : int >= 0

    Returns
    -------
    b_history, loss_history : ndarray of shape (n_steps + 1,), dtype of ``u``
        Values before the first step, then after each step.
    """
    u = as_float_array(u, "u", ndim=1, shape_hint="(N,): one value per training example")
    if u.shape[0] < 2:
        raise ValueError(f"u has {u.shape[0]} value(s); a mean over the data needs at least 2")
    t = as_float_array(t, "t")
    if t.ndim > 1 or (t.ndim == 1 and t.shape != u.shape):
        raise ValueError(f"t must be a number or have shape {u.shape} like u, got {t.shape}")
    if not float(lr) > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps}")
    dtype = u.dtype
    t = t.astype(dtype, copy=False)
    lr = dtype.type(lr)
    b = dtype.type(0)
    b_history = np.empty(int(n_steps) + 1, dtype=dtype)
    loss_history = np.empty(int(n_steps) + 1, dtype=dtype)
    for k in range(int(n_steps) + 1):
        x = u + b
        x_hat = x - x.mean()
        b_history[k] = b
        loss_history[k] = 0.5 * np.sum((x_hat - t) ** 2)
        if k < n_steps:
            b = b - lr * np.sum(x_hat - t)  # the mean's dependence on b is ignored
    return b_history, loss_history


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def fraction_near_linear(z, tol=0.01):
    """The fraction of entries of ``z`` where the sigmoid is within ``tol`` of its tangent.

    The tangent at 0 is ``0.5 + z / 4`` (sigmoid(0) = 1/2, sigmoid'(0) = 1/4). Counts the
    entries with ``|sigmoid(z) - (0.5 + z / 4)| < tol``, computed in float64.

    Parameters
    ----------
    z : array-like of any shape, at least one entry
    tol : float > 0

    Returns
    -------
    float in [0, 1]
    """
    z = as_float_array(z, "z").astype(np.float64)
    if z.size == 0:
        raise ValueError("z is empty: the fraction of no entries is undefined")
    tol = float(tol)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    gap = np.abs(_sigmoid(z) - (0.5 + z / 4.0))
    return float(np.mean(gap < tol))
