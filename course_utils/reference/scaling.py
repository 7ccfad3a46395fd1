"""Notebook 01: scaling inputs, and why it makes gradient descent faster.

Per column of ``X`` of shape (N, D) (rows are examples, columns are features):

    min-max scaling   X' = low + (high - low) * (X - min) / (max - min)   into [low, high]
    standardization   X' = (X - mean) / std          population std (divide by N)

Statistics are *fitted* on the training split (``fit_standardizer``) and *applied* to any
data (``apply_standardizer``), never re-estimated on test data.

``gd_linear_regression`` is plain full-batch gradient descent on

    L(w, b) = 0.5 * mean((X @ w + b - y) ** 2),
    dL/dw = X.T @ r / N,   dL/db = mean(r),   r = X @ w + b - y.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array

__all__ = ["min_max_scale", "standardize", "fit_standardizer", "apply_standardizer",
           "gd_linear_regression"]

_SHAPE = "(N, D): N examples by D features"


def _examples(X, name="X", minimum=1):
    X = as_float_array(X, name, ndim=2, shape_hint=_SHAPE)
    if X.shape[0] < minimum:
        raise ValueError(f"{name} has {X.shape[0]} rows; at least {minimum} example(s) needed")
    return X


def min_max_scale(X, low=0.0, high=1.0):
    """Scale each column of ``X`` linearly onto ``[low, high]``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    low, high : float, low < high

    Returns
    -------
    ndarray of shape (N, D), dtype of ``X``. Each column's minimum maps to ``low`` and its
    maximum to ``high``. A constant column (max == min) maps to ``low``.

    Raises
    ------
    ValueError
        If X is not 2-D or has no rows, or if ``low >= high``.
    """
    X = _examples(X)
    low, high = float(low), float(high)
    if not low < high:
        raise ValueError(f"low must be smaller than high, got low={low}, high={high}")
    col_min, col_max = X.min(axis=0), X.max(axis=0)
    span = col_max - col_min
    constant = span == 0
    span = np.where(constant, 1, span)  # constant column: (X - min) is 0, so it lands on low
    unit = (X - col_min) / span
    return (low + (high - low) * unit).astype(X.dtype, copy=False)


def fit_standardizer(X):
    """The per-column mean and population standard deviation of the training data ``X``.

    Returns
    -------
    mean, std : ndarray of shape (D,), dtype of ``X``. ``std`` divides by N (``ddof=0``);
    it is exactly 0 for a constant column (``apply_standardizer`` then treats it as 1).
    """
    X = _examples(X)
    mean = X.mean(axis=0)
    std = np.sqrt(((X - mean) ** 2).mean(axis=0))
    constant = X.max(axis=0) == X.min(axis=0)
    std = np.where(constant, 0, std).astype(X.dtype, copy=False)  # no 1e-17 rounding residue
    return mean, std


def apply_standardizer(X, mean, std):
    """``(X - mean) / std`` with statistics fitted elsewhere (usually on the training split).

    A zero ``std`` (a column that was constant in the training data) is treated as 1, so
    the column is only centered and nothing is divided by zero.

    Parameters
    ----------
    X : ndarray of shape (N, D), e.g. test data
    mean, std : ndarray of shape (D,), from ``fit_standardizer`` on the training data

    Returns
    -------
    ndarray of shape (N, D), dtype of ``X``.
    """
    X = _examples(X)
    d = X.shape[1]
    mean = as_float_array(mean, "mean")
    std = as_float_array(std, "std")
    for name, v in (("mean", mean), ("std", std)):
        if v.shape != (d,):
            raise ValueError(f"{name} must have shape ({d},), one value per column of X, "
                             f"got {v.shape}")
    if np.any(std < 0):
        raise ValueError("std must not be negative")
    safe = np.where(std == 0, 1, std)
    return ((X - mean) / safe).astype(X.dtype, copy=False)


def standardize(X):
    """Standardize each column of ``X`` with its own statistics: ``(X - mean) / std``.

    Population std (divide by N). A constant column maps to 0. Every other column of the
    result has mean 0 and (population) variance 1.
    """
    X = _examples(X)
    mean, std = fit_standardizer(X)
    out = apply_standardizer(X, mean, std)
    out[:, std == 0] = 0  # exactly 0, even where the mean of a constant column rounds
    return out


def gd_linear_regression(X, y, lr, n_steps):
    """Full-batch gradient descent for linear regression, from ``w = 0``, ``b = 0``.

    Minimizes ``0.5 * mean((X @ w + b - y) ** 2)``. Each step computes the residual
    ``r = X @ w + b - y`` once and updates both parameters with it:
    ``w -= lr * X.T @ r / N`` and ``b -= lr * mean(r)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    lr : float > 0, the step size
    n_steps : int >= 0, the number of updates

    Returns
    -------
    w : ndarray of shape (D,), dtype of ``X``
    b : float
    losses : ndarray of shape (n_steps,), dtype of ``X``. ``losses[k]`` is the loss
        *before* step k, so ``losses[0]`` is the loss at w = 0, b = 0.
    """
    X = _examples(X)
    y = as_float_array(y, "y", ndim=1, shape_hint="(N,): one target per row of X")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} values but X has {X.shape[0]} rows")
    if not float(lr) > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps}")
    dtype = X.dtype
    y = y.astype(dtype, copy=False)
    lr = dtype.type(lr)
    n = X.shape[0]
    w = np.zeros(X.shape[1], dtype=dtype)
    b = dtype.type(0)
    losses = np.empty(int(n_steps), dtype=dtype)
    for k in range(int(n_steps)):
        r = X @ w + b - y
        losses[k] = 0.5 * np.mean(r**2)
        w = w - lr * (X.T @ r) / n
        b = b - lr * np.mean(r)
    return w, float(b), losses
