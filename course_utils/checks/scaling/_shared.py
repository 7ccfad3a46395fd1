"""What the checks of notebook 01 share: data sets with per-column offsets and scales,
constant and nearly constant columns (up to rounding, as the reference decides it), and
the messages that name a tolerance mistake when the rest of an answer is right.
"""

from __future__ import annotations

import numpy as np

from course_utils.reference.scaling import _constant_columns as _rounding_constant_columns

from .._core import _close, distinct, fail, tolerance

#: Library scalers that would do the exercise for the student.
FORBIDDEN = {"sklearn": {"fit", "fit_transform", "transform", "scale", "minmax_scale",
                         "partial_fit"},
             "torch": {"batch_norm", "layer_norm"}}


def _data(rng, n, d, dtype=np.float64, loc=None, scale=None):
    """A data set with per-column offsets and scales, so per-column statistics matter."""
    loc = rng.uniform(-5, 5, size=d) if loc is None else loc
    scale = np.exp(rng.uniform(np.log(0.3), np.log(20), size=d)) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


def _with_constant(rng, n, d, col, value, dtype=np.float64):
    """Random data whose column ``col`` is constant (an integer, so its mean is exact)."""
    X = _data(rng, n, d, dtype)
    X[:, col] = value
    return X


def _details(X, **more):
    return {"X.shape": X.shape, "dtype": X.dtype.name, **more}


def _constant_columns(X):
    """The columns of X that are constant up to rounding, as the reference decides it."""
    return np.flatnonzero(_rounding_constant_columns(np.asarray(X)))


def _constant_column_nan(got, X, case, what, should):
    """A NaN or inf in a constant column gets its own message (0 / 0), not a generic one."""
    if not isinstance(got, np.ndarray) or got.shape != np.shape(X):
        return
    for j in _constant_columns(X):
        if not np.all(np.isfinite(got[:, j])):
            fail(case, f"{what} has NaN or inf in column {j}, which is constant in X (every "
                       f"value {np.asarray(X)[0, j]:g}). Its spread is 0, so dividing by it "
                       f"gives 0 / 0. A constant column must map to {should}: handle a zero "
                       "spread before dividing (e.g. divide by 1 where it is 0).")


# ---------------------------------------------------------------------------------------
# Columns that are constant up to rounding, and small columns that are not
# ---------------------------------------------------------------------------------------

#: The rule every message below teaches (the reference's, ``ROUNDING_UNITS`` = 10).
RULE = ("call a column constant when its spread is rounding error, max - min <= 10 * eps * "
        "max|x| with eps = np.finfo(X.dtype).eps, a tolerance that scales with the values "
        "and the dtype")


def _rounding_value(rng, magnitude, dtype):
    """A value of about ``magnitude`` with a full mantissa, so that sums of it round."""
    return dtype(rng.uniform(1.0, 3.0) * magnitude)


def _rounding_constant(rng, n, d, col, magnitude, dtype=np.float64):
    """Random data whose column ``col`` repeats one value whose computed std is not 0.

    Ten copies of 0.1 have a computed mean that is not exactly 0.1, so ``X.std(axis=0)``
    of that column is the mean's rounding error (1.4e-17), not 0. The value is drawn until
    numpy's own std of the column is such a rounding error.
    """
    X = _data(rng, n, d, dtype)
    for _ in range(200):
        X[:, col] = _rounding_value(rng, magnitude, dtype)
        if X.std(axis=0)[col] > 0:
            break
    return X


def _near_constant(rng, n, d, col, magnitude, dtype=np.float64):
    """Random data whose column ``col`` holds a value and its neighbouring floats.

    The values are at most two units in the last place apart (as 0.1 + 0.2 and 0.3 are one
    apart): rounding, not a spread. ``max == min`` misses such a column.
    """
    X = _data(rng, n, d, dtype)
    value = _rounding_value(rng, magnitude, dtype)
    up = np.nextafter(value, dtype(np.inf))
    down = np.nextafter(value, dtype(-np.inf))
    column = rng.choice(np.array([down, value, up], dtype=dtype), size=n)
    column[:2] = down, up  # never all equal
    X[:, col] = column
    return X


def _small_values(rng, n, d, dtype=np.float64, magnitude=1e-10):
    """Data whose values are all tiny (about ``magnitude``) but vary: nothing is constant."""
    loc = rng.uniform(-5, 5, size=d) * magnitude
    scale = rng.uniform(0.3, 2.0, size=d) * magnitude
    return _data(rng, n, d, dtype, loc=loc, scale=scale)


def _columns_close(got, expected, columns, dtype):
    if not len(columns):
        return True
    r, a = tolerance(dtype)
    return _close(got[:, columns].astype(np.float64), expected[:, columns].astype(np.float64),
                  r, a)


def _spread_words(X, j):
    col = np.asarray(X, dtype=np.float64)[:, j]
    if col.max() == col.min():
        return f"every value {col[0]:.6g}"
    low, high, _ = distinct(col.min(), col.max())
    return (f"values {low} to {high}, max - min = {col.max() - col.min():.2g}, a unit or two "
            "in the last digit")


def _values_words(col):
    col = np.asarray(col, dtype=np.float64)
    if col.max() == col.min():
        return f"{col[0]:.3g} in every row"
    return f"values from {col.min():.3g} to {col.max():.3g}"


def _rounding_report(got, expected, X, case, what, should, flat, conventions=(), spread="std"):
    """Name the two tolerance mistakes when the rest of ``got`` is right.

    - a column constant up to rounding (``_constant_columns``) that did not map to
      ``should``: ``std == 0`` or ``max == min`` missed it, and rounding was divided by
      rounding;
    - a varying column that came back as if constant (``flat(j)`` says so): a fixed
      threshold such as ``std < 1e-8`` called small values constant.

    Returns quietly when the other columns are wrong too (another mistake; ``expect_array``
    names it) or when a constant column took one of the ``conventions`` (the diagnoses of
    ``expect_array`` name those).
    """
    if (not isinstance(got, np.ndarray) or got.shape != expected.shape
            or not np.issubdtype(got.dtype, np.floating) or not np.all(np.isfinite(got))):
        return
    X = np.asarray(X)
    constant = _constant_columns(X)
    varying = np.setdiff1d(np.arange(X.shape[1]), constant)
    wrong = [j for j in varying if not _columns_close(got, expected, [j], X.dtype)]
    if wrong:
        if all(flat(j) for j in wrong):
            j = wrong[0]
            col = X[:, j].astype(np.float64)
            fail(case, f"column {j} varies (std {col.std():.2g}, values near "
                       f"{np.abs(col).max():.2g}) but was treated as constant: the test for "
                       "'constant' is too loose. A fixed threshold such as `std < 1e-8` calls "
                       "every small-valued column constant, np.isclose (rtol 1e-5) every column "
                       "that varies by less than 1e-5 of its values. Only a spread of a few "
                       f"units of rounding is no spread: {RULE}.")
        return
    for j in constant:
        if _columns_close(got, expected, [j], X.dtype):
            continue
        col = got[:, j].astype(np.float64)
        if any(np.allclose(col, v) for v in conventions):
            return
        if spread == "std":
            cause = ("the computed mean of equal values is not exactly that value"
                     if X[:, j].max() == X[:, j].min() else "the values differ in their last "
                     "digit only")
            why = (f"Its computed std ({float(X.std(axis=0)[j]):.2g}) is not a spread but "
                   f"rounding error ({cause}), and dividing by it blows rounding up. "
                   "`std == 0` or `max == min`")
        else:
            why = ("Its max - min is rounding error, not a spread, and dividing by it stretches "
                   "that error over the whole range [low, high]. `max == min`")
        fail(case, f"{what}: column {j} of X is constant up to rounding ({_spread_words(X, j)})"
                   f" and must map to {should}, but came back as {_values_words(col)}. {why} "
                   f"misses such a column: {RULE}.")
