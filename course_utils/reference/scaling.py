"""Notebook 01: scaling inputs, and why it makes gradient descent faster.

Per column of ``X`` of shape (N, D) (rows are examples, columns are features):

    min-max scaling   X' = low + (high - low) * (X - min) / (max - min)   into [low, high]
    standardization   X' = (X - mean) / std          population std (divide by N)

Statistics are *fitted* on the training split (``fit_standardizer``) and *applied* to any
data (``apply_standardizer``), never re-estimated on test data.

A *constant* column is one whose values are equal up to rounding: its spread is at most
``10 * eps`` times its magnitude (``eps = np.finfo(X.dtype).eps``, 2.2e-16 in float64,
1.2e-7 in float32; see :func:`_rounding_constant`). Such a column maps to ``low``
(min-max) or 0 (standardization), and its fitted std is exactly 0. Testing ``std == 0``
instead is not enough: ten copies of 0.1 have a computed mean that is not exactly 0.1, and
so a computed std of about 1.4e-17, the rounding error of that mean; dividing by it turns
rounding into numbers like 7e15.

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


#: How many units of rounding (eps) of a column's magnitude still count as no spread at all.
ROUNDING_UNITS = 10


def _rounding_constant(spread, magnitude, dtype):
    """Where ``spread`` (max - min, or a std) is only rounding error of values of ``magnitude``.

    A float carries a relative precision of ``eps``: two computations of the same number
    may differ by a few ``eps * |value|``. A spread no larger than ``ROUNDING_UNITS`` such
    units is no information about the data (for an exactly constant column, max - min is 0
    and the computed std is the rounding error of the mean).
    """
    eps = np.finfo(dtype).eps
    return np.asarray(spread) <= ROUNDING_UNITS * eps * np.abs(magnitude)


def _constant_columns(X):
    """The columns of X whose values are equal up to rounding (max and min are exact)."""
    col_min, col_max = X.min(axis=0), X.max(axis=0)
    magnitude = np.maximum(np.abs(col_min), np.abs(col_max))
    return _rounding_constant(col_max - col_min, magnitude, X.dtype)


def min_max_scale(X, low=0.0, high=1.0):
    """Scale each column of ``X`` linearly onto ``[low, high]``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    low, high : float, low < high

    Returns
    -------
    ndarray of shape (N, D), dtype of ``X``. Each column's minimum maps to ``low`` and its
    maximum to ``high``. A constant column (max == min, up to rounding: see
    :func:`_rounding_constant`) maps to ``low``.

    Raises
    ------
    ValueError
        If X is not 2-D or has no rows, or if ``low >= high``.
    """
    X = _examples(X)
    low, high = float(low), float(high)
    if not low < high:
        raise ValueError(f"low must be smaller than high, got low={low}, high={high}")
    col_min = X.min(axis=0)
    constant = _constant_columns(X)
    span = np.where(constant, 1, X.max(axis=0) - col_min)
    unit = np.where(constant, 0, (X - col_min) / span)  # constant column: lands on low
    return (low + (high - low) * unit).astype(X.dtype, copy=False)


def fit_standardizer(X):
    """The per-column mean and population standard deviation of the training data ``X``.

    Returns
    -------
    mean, std : ndarray of shape (D,), dtype of ``X``. ``std`` divides by N (``ddof=0``);
    it is exactly 0 for a constant column, constant up to rounding included (not the
    rounding error of the mean, 1e-17; ``apply_standardizer`` then treats it as 1).
    """
    X = _examples(X)
    mean = X.mean(axis=0)
    std = np.sqrt(((X - mean) ** 2).mean(axis=0))
    std = np.where(_constant_columns(X), 0, std).astype(X.dtype, copy=False)
    return mean, std


def apply_standardizer(X, mean, std):
    """``(X - mean) / std`` with statistics fitted elsewhere (usually on the training split).

    A zero ``std`` (a column that was constant in the training data) is treated as 1, so
    the column is only centered and nothing is divided by zero. "Zero" means zero up to
    rounding: a std of at most ``10 * eps * |mean|`` (``eps`` of X's dtype), the size of the
    rounding error a mean of that magnitude carries, as a std computed without care for a
    constant column returns (1.4e-17 for ten copies of 0.1).

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
    zero = _rounding_constant(std, mean, X.dtype)
    safe = np.where(zero, 1, std)
    return ((X - mean) / safe).astype(X.dtype, copy=False)


def standardize(X):
    """Standardize each column of ``X`` with its own statistics: ``(X - mean) / std``.

    Population std (divide by N). A constant column (up to rounding) maps to 0. Every
    other column of the result has mean 0 and (population) variance 1.
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
