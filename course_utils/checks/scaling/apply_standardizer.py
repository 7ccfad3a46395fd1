"""``check_apply_standardizer`` (notebook 01) with its catalogue of named mistakes:
statistics fitted on a training split applied to other data, a zero std taken as 1.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref
from course_utils.reference.scaling import _rounding_constant as _zero_up_to_rounding

from .._core import Case, call_student, expect_array, expect_raises, fail, make_rng
from ._shared import (
    FORBIDDEN,
    _columns_close,
    _data,
    _details,
    _rounding_value,
    _small_values,
    _values_words,
)

__all__ = ["check_apply_standardizer"]


def _apply_mistakes(X, mean, std):
    X, mean, std = (a.astype(np.float64) for a in (X, mean, std))
    safe = np.where(std == 0, 1.0, std)
    own_sd = X.std(0) if X.shape[0] > 1 else np.ones(X.shape[1])
    return [
        ("X was standardized with its own mean and std. That leaks the test data's "
         "statistics into the transform: use the mean and std passed in (fitted on the "
         "training split).",
         lambda: (X - X.mean(0)) / np.where(own_sd == 0, 1.0, own_sd)),
        ("X's own std was used with the given mean; use the std passed in.",
         lambda: (X - mean) / np.where(own_sd == 0, 1.0, own_sd)),
        ("X's own mean was used with the given std; use the mean passed in.",
         lambda: (X - X.mean(0)) / safe),
        ("multiplied by std instead of dividing.", lambda: (X - mean) * std),
        ("divided by std**2 (a variance) instead of std.",
         lambda: (X - mean) / np.where(std == 0, 1.0, std**2)),
        ("the mean was not subtracted.", lambda: X / safe),
        ("this undoes a standardization (X * std + mean) instead of applying one.",
         lambda: X * std + mean),
        ("a zero std was replaced by something other than 1 (e.g. eps); the specification "
         "treats a zero std as 1.", lambda: (X - mean) / np.where(std == 0, 1e-8, std)),
    ]


def _apply_cases(seed, rng, hidden):
    """(case, X_test, mean, std): statistics fitted on a training split, applied to others."""
    cases = []

    def add(label, X_train, X_test, fit=None):
        mean, std = ref.fit_standardizer(X_train) if fit is None else fit
        cases.append((Case(label, seed, {"X.shape": X_test.shape, "dtype": X_test.dtype.name,
                                         "fitted on": X_train.shape}), X_test, mean, std))

    def split(n_train, n_test, d, dtype=np.float64, shift=0.0, loc=None, scale=None):
        loc = rng.uniform(-5, 5, d) if loc is None else loc
        scale = np.exp(rng.uniform(np.log(0.3), np.log(20), d)) if scale is None else scale
        X = _data(rng, n_train + n_test, d, dtype, loc=loc, scale=scale)
        X_test = X[n_train:] + np.asarray(shift * scale, dtype=dtype)
        return X[:n_train], X_test

    add("test data from the same distribution", *split(20, 8, 4))
    add("test data shifted away from the training data", *split(20, 6, 3, shift=2.0))
    add("float32 data", *split(30, 10, 3, np.float32))
    add("one test example (N = 1)", *split(15, 1, 4))
    add("one feature (D = 1)", *split(12, 5, 1))
    X_train, X_test = split(10, 6, 3)
    X_train[:, 1] = 4.0
    add("a column that is constant in the training data (std 0)", X_train, X_test)
    X_train, X_test = split(25, 7, 3, loc=np.full(3, 1e6), scale=np.ones(3))
    add("large offsets (mean 1e6)", X_train, X_test)
    X_train, X_test = split(14, 10, 8)
    add("non-contiguous test input X[:, ::2]", X_train[:, ::2], X_test[:, ::2])
    if hidden:
        add("test data scaled up", *split(40, 12, 5, shift=-1.0))
        add("float32, one test example", *split(20, 1, 6, np.float32))
        X_train, X_test = split(9, 9, 4, np.float32)
        X_train[:, 0] = -1.0
        add("float32, constant training column", X_train, X_test)
    for label, dtype, magnitude, col in [
            ("a std that is a rounding error (fitted on a constant column of order 0.1)",
             np.float64, 0.1, 1),
            ("float32, a std that is a rounding error (fitted on a constant column of order 1e3)",
             np.float32, 1e3, 0)] + ([
            ("a std that is a rounding error (fitted on a constant column of order 1e9)",
             np.float64, 1e9, 2),
            ("float32, a std that is a rounding error (fitted on a constant column of order 1e-4)",
             np.float32, 1e-4, 1)] if hidden else []):
        X_train, fit = _fitted_without_care(rng, 10, 3, col, magnitude, dtype)
        X_test = _data(rng, 5, 3, dtype)
        X_test[:, col] = X_train[0, col] * dtype(rng.uniform(1.5, 3.0))  # e.g. 0.2 after 0.1s
        add(label, X_train, X_test, fit)
    X_train, X_test = np.split(_small_values(rng, 18, 3), [12])
    add("small values that vary (a real std of about 1e-10)", X_train, X_test)
    return cases


def _fitted_without_care(rng, n, d, col, magnitude, dtype):
    """Training data with a constant column, and the (mean, std) numpy computes for it.

    numpy's std of that column is the rounding error of its mean (1.4e-17 for ten 0.1s):
    the value is drawn until that error is neither 0 nor more than 4 units of rounding.
    """
    X = _data(rng, n, d, dtype)
    eps = np.finfo(dtype).eps
    for _ in range(500):
        X[:, col] = _rounding_value(rng, magnitude, dtype)
        std = X.std(axis=0)
        if 0 < std[col] <= 4 * eps * abs(float(X[0, col])):
            break
    return X, (X.mean(axis=0), std)


def check_apply_standardizer(student, seed=0, hidden=False):
    """Check ``apply_standardizer(X, mean, std) -> ndarray``: ``(X - mean) / std``, zero std as 1.

    The statistics come from a training split; X is test data, sometimes shifted, sometimes
    a single example. Cases: float32, D = 1, N = 1, a zero std, a std that is zero up to
    rounding (1.4e-17 for a constant column of 0.1s, as numpy computes it: treated as 1 too),
    a real but small std (small values), large offsets, non-contiguous input; ValueError
    when mean or std does not have one value per column.
    """
    seed, rng = make_rng(seed)
    for case, X, mean, std in _apply_cases(seed, rng, hidden):
        got = call_student(student, X, mean, std, case=case, name="apply_standardizer",
                           forbidden=FORBIDDEN, arg_names=("X", "mean", "std"))
        if isinstance(got, np.ndarray) and got.shape == X.shape:
            for j in np.flatnonzero(std == 0):
                if not np.all(np.isfinite(got[:, j])):
                    fail(case, f"the result has NaN or inf in column {j}, where std is 0 (the "
                               "column was constant in the training data). Treat a zero std as "
                               "1: that column is then only centered.")
        expected = ref.apply_standardizer(X, mean, std)
        _apply_rounding_report(got, expected, X, mean, std, case)
        expect_array(got, expected, case=case, what="the result",
                     mistakes=_apply_mistakes(X, mean, std))
    X = _data(rng, 4, 3)
    mean, std = ref.fit_standardizer(_data(rng, 6, 3))
    expect_raises(student, X, mean[:2], std[:2],
                  case=Case("mean and std with 2 values for 3 columns", seed),
                  name="apply_standardizer", why="mean and std need one value per column of X")
    if hidden:
        X = _data(rng, 30, 4)
        case = Case("property: with X's own statistics it equals standardize(X)", seed,
                    _details(X))
        got = call_student(student, X, *ref.fit_standardizer(X), case=case,
                           name="apply_standardizer")
        expect_array(got, ref.standardize(X), case=case, what="the result")


def _apply_rounding_report(got, expected, X, mean, std, case):
    """Name a std that is zero up to rounding divided by, and a small real std ignored."""
    if (not isinstance(got, np.ndarray) or got.shape != expected.shape
            or not np.issubdtype(got.dtype, np.floating) or not np.all(np.isfinite(got))):
        return
    X64, mean64, std64 = (np.asarray(a, dtype=np.float64) for a in (X, mean, std))
    rounding = np.flatnonzero(_zero_up_to_rounding(std, mean, np.asarray(X).dtype) & (std64 != 0))
    others = np.setdiff1d(np.arange(X64.shape[1]), rounding)
    wrong = [j for j in others if not _columns_close(got, expected, [j], np.asarray(X).dtype)]
    if wrong:
        centered = X64 - mean64
        if all(np.allclose(got[:, j], centered[:, j], rtol=1e-5,
                           atol=1e-5 * float(np.abs(centered[:, j]).max())) for j in wrong):
            j = wrong[0]
            fail(case, f"std[{j}] = {std64[j]:.2g} is a real spread (the training values were "
                       f"near {abs(mean64[j]):.2g}), but it was treated as zero: the column was "
                       "only centered. A fixed threshold such as `std < 1e-8` calls every "
                       "small-valued column constant: compare std with the magnitude of the "
                       "mean, std <= 10 * eps * |mean| (eps = np.finfo(X.dtype).eps).")
        return
    for j in rounding:
        if _columns_close(got, expected, [j], np.asarray(X).dtype):
            continue
        fail(case, f"column {j}: std[{j}] = {std64[j]:.2g} comes from a column that was "
                   f"constant in training (mean {mean64[j]:.6g}): it is the rounding error of "
                   "that mean, not a spread, and dividing by it gave "
                   f"{_values_words(got[:, j])}. Treat a std that is zero up to rounding as 1, "
                   "std <= 10 * eps * |mean| (eps = np.finfo(X.dtype).eps): `std == 0` misses "
                   "it.")
