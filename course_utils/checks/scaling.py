"""Checks for notebook 01: ``min_max_scale``, ``standardize``, ``fit_standardizer``,
``apply_standardizer`` and ``gd_linear_regression``."""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from course_utils.reference.scaling import _constant_columns as _rounding_constant_columns
from course_utils.reference.scaling import _rounding_constant as _zero_up_to_rounding

from ._core import (
    Case, _close, call_student, distinct, expect_array, expect_close, expect_raises,
    expect_tuple, fail, make_rng, tolerance,
)

__all__ = ["check_min_max_scale", "check_standardize", "check_fit_standardizer",
           "check_apply_standardizer", "check_gd_linear_regression"]

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


# ---------------------------------------------------------------------------------------
# min_max_scale
# ---------------------------------------------------------------------------------------


def _min_max_mistakes(X, low, high):
    X = X.astype(np.float64)
    lo, hi = X.min(0), X.max(0)
    span = np.where(hi == lo, 1.0, hi - lo)
    unit = (X - lo) / span
    const = hi == lo
    return [
        ("low and high were ignored: the columns were scaled to [0, 1], not to [low, high]. "
         "Stretch the unit interval: low + (high - low) * (X - min) / (max - min).",
         lambda: unit),
        ("the result spans [low, low + high]: the width of the target range is high - low, "
         "so use low + (high - low) * u, not low + high * u.", lambda: low + high * unit),
        ("the shift by low is missing: the result spans [0, high - low]; use "
         "low + (high - low) * u.", lambda: (high - low) * unit),
        ("statistics were taken per row (axis=1, per example); min-max scaling works per "
         "column (axis=0, per feature).",
         lambda: low + (high - low) * (X - X.min(1, keepdims=True))
         / (X.max(1, keepdims=True) - X.min(1, keepdims=True))),
        ("one minimum and maximum over the whole array; each column needs its own (axis=0).",
         lambda: low + (high - low) * (X - X.min()) / (X.max() - X.min())),
        ("divided by max instead of (max - min).",
         lambda: low + (high - low) * (X - lo) / np.where(hi == 0, 1, hi)),
        ("this is standardization ((X - mean) / std), not min-max scaling.",
         lambda: (X - X.mean(0)) / np.where(X.std(0) == 0, 1, X.std(0))),
        ("a constant column was mapped to 0; the specification maps it to low.",
         lambda: np.where(const, 0.0, low + (high - low) * unit)),
        ("a constant column was mapped to the middle (low + high) / 2; the specification "
         "maps it to low.", lambda: np.where(const, (low + high) / 2, low + (high - low) * unit)),
        ("a constant column was mapped to high; the specification maps it to low.",
         lambda: np.where(const, high, low + (high - low) * unit)),
    ]


def _min_max_cases(seed, rng, hidden):
    cases = []

    def add(label, X, low=None, high=None):
        extra = {} if low is None else {"low": low, "high": high}
        cases.append((Case(label, seed, _details(X, **extra)), X, low, high))

    add("random data, default range [0, 1]", _data(rng, 8, 4))
    add("range [-1, 1] by keyword", _data(rng, 10, 3), -1.0, 1.0)
    add("range [2, 5]", _data(rng, 7, 3), 2.0, 5.0)
    add("float32 data", _data(rng, 12, 4, np.float32), -1.0, 1.0)
    add("one feature (D = 1)", _data(rng, 6, 1))
    add("two examples (N = 2)", _data(rng, 2, 3), -2.0, 3.0)
    add("a constant column, default range", _with_constant(rng, 6, 3, 1, 7.0))
    add("a constant column, range [-1, 1]", _with_constant(rng, 9, 4, 2, -3.0), -1.0, 1.0)
    add("large offsets (values near 1e6)", _data(rng, 9, 3, loc=np.full(3, 1e6)), 0.0, 10.0)
    add("non-contiguous input X[:, ::2]", _data(rng, 9, 8)[:, ::2])
    add("a column equal up to rounding (neighbouring floats of order 0.1)",
        _near_constant(rng, 8, 3, 1, 0.1), -1.0, 1.0)
    add("float32, a column equal up to rounding (values of order 1e3)",
        _near_constant(rng, 10, 3, 2, 1e3, np.float32))
    add("small values that vary (about 1e-10)", _small_values(rng, 9, 3), -1.0, 2.0)
    if hidden:
        for n, d in ((3, 7), (50, 2), (31, 12)):
            add("random data", _data(rng, n, d), float(rng.uniform(-3, 0)),
                float(rng.uniform(0.5, 4)))
        add("a column equal up to rounding (values of order 1e9)",
            _near_constant(rng, 12, 4, 0, 1e9))
        add("float32, a column equal up to rounding (values of order 1e-6)",
            _near_constant(rng, 7, 2, 1, 1e-6, np.float32), 2.0, 5.0)
        add("float32, small values that vary (about 1e-10)",
            _small_values(rng, 11, 3, np.float32), -1.0, 1.0)
        add("float32, a constant column", _with_constant(rng, 8, 3, 0, 2.0, np.float32), -1.0, 1.0)
        add("every column constant", np.full((5, 3), 4.0), 1.0, 2.0)
        add("Fortran-ordered input", np.asfortranarray(_data(rng, 11, 5)))
    return cases


def check_min_max_scale(student, seed=0, hidden=False):
    """Check ``min_max_scale(X, low=0.0, high=1.0) -> ndarray``.

    Cases: random data, the default range and other ranges, float32, D = 1, N = 2, constant
    columns (they map to ``low``), columns equal up to rounding (neighbouring floats: also
    ``low``), small values that vary, large offsets, non-contiguous input; ValueError for a
    1-D X and for low >= high. With ``hidden=True``: more shapes and the properties (every
    non-constant column spans exactly [low, high]; rescaling a column changes nothing).
    """
    seed, rng = make_rng(seed)
    for case, X, low, high in _min_max_cases(seed, rng, hidden):
        if low is None:
            got = call_student(student, X, case=case, name="min_max_scale", forbidden=FORBIDDEN,
                               arg_names=("X",))
            low_, high_ = 0.0, 1.0
        else:
            got = call_student(student, X, low=low, high=high, case=case, name="min_max_scale",
                               forbidden=FORBIDDEN, arg_names=("X",))
            low_, high_ = low, high
        _constant_column_nan(got, X, case, "the result", f"low ({low_:g})")
        expected = ref.min_max_scale(X, low_, high_)
        _rounding_report(got, expected, X, case, "the result", f"low ({low_:g})",
                         flat=lambda j: np.allclose(got[:, j], low_),
                         conventions=(0.0, (low_ + high_) / 2, high_), spread="max - min")
        expect_array(got, expected, case=case, what="the result",
                     mistakes=_min_max_mistakes(X, low_, high_))

    X = _data(rng, 5, 2)
    expect_raises(student, X[:, 0], case=Case("a 1-D X", seed, {"X.shape": (5,)}),
                  name="min_max_scale", why="X must be 2-D, (N, D)")
    expect_raises(student, X, low=1.0, high=1.0, case=Case("low == high", seed),
                  name="min_max_scale", why="the target range [low, high] is empty")
    expect_raises(student, X, low=2.0, high=-1.0, case=Case("low > high", seed),
                  name="min_max_scale", why="low must be smaller than high")
    if hidden:
        _min_max_properties(student, seed, rng)


def _min_max_properties(student, seed, rng):
    X = _data(rng, 40, 5)
    case = Case("property: each column spans exactly [low, high]", seed, _details(X))
    out = np.asarray(call_student(student, X, low=-2.0, high=3.0, case=case,
                                  name="min_max_scale"))
    expect_array(out.min(0), np.full(5, -2.0), case=case, what="the column minima")
    expect_array(out.max(0), np.full(5, 3.0), case=case, what="the column maxima")
    case = Case("property: rescaling and shifting a column does not change the result", seed,
                _details(X))
    a, c = rng.uniform(0.1, 10, 5), rng.uniform(-100, 100, 5)
    out2 = call_student(student, X * a + c, low=-2.0, high=3.0, case=case, name="min_max_scale")
    expect_array(out2, out, case=case, what="the result for X * a + c (vs. for X)")


# ---------------------------------------------------------------------------------------
# standardize
# ---------------------------------------------------------------------------------------


def _standardize_mistakes(X):
    X = X.astype(np.float64)
    mu, sd = X.mean(0), X.std(0)
    safe = np.where(sd == 0, 1.0, sd)
    return [
        ("the sample standard deviation (ddof=1, divide by N - 1) was used; standardization "
         "here uses the population std (divide by N, numpy's default ddof=0).",
         lambda: (X - mu) / np.where(sd == 0, 1.0, X.std(0, ddof=1))),
        ("statistics were taken per row (axis=1, per example); standardize each column "
         "(axis=0, per feature, over the examples).",
         lambda: (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True)),
        ("one mean and std over the whole array; each column needs its own (axis=0).",
         lambda: (X - X.mean()) / X.std()),
        ("the mean was not subtracted: (X - mean) / std, not X / std.", lambda: X / safe),
        ("divided by the variance instead of the standard deviation (missing square root).",
         lambda: (X - mu) / np.where(sd == 0, 1.0, sd**2)),
        ("the variance was computed as mean(X**2) - mean(X)**2, which loses all precision "
         "when the mean is large; subtract the mean first, then square.",
         lambda: (X - mu) / np.sqrt(np.maximum((X**2).mean(0) - mu**2, 1e-300))),
        ("this is min-max scaling, not standardization.",
         lambda: (X - X.min(0)) / np.where(X.max(0) == X.min(0), 1, X.max(0) - X.min(0))),
        ("only the mean was subtracted; also divide by the std.", lambda: X - mu),
    ]


def _standardize_cases(seed, rng, hidden):
    cases = []

    def add(label, X):
        cases.append((Case(label, seed, _details(X)), X))

    add("random data", _data(rng, 8, 4))
    add("float32 data", _data(rng, 16, 3, np.float32))
    add("one feature (D = 1)", _data(rng, 7, 1))
    add("two examples (N = 2)", _data(rng, 2, 4))
    add("a constant column", _with_constant(rng, 6, 3, 1, 5.0))
    add("large offsets (mean 1e6)", _data(rng, 12, 3, loc=np.full(3, 1e6), scale=np.ones(3)))
    add("non-contiguous input X[:, ::2]", _data(rng, 9, 8)[:, ::2])
    add("a constant column whose computed std is a rounding error (values of order 0.1)",
        _rounding_constant(rng, 10, 3, 1, 0.1))
    add("float32, a constant column whose computed std is a rounding error (values of order 1e3)",
        _rounding_constant(rng, 12, 3, 0, 1e3, np.float32))
    add("a column equal up to rounding (neighbouring floats of order 1e6)",
        _near_constant(rng, 9, 3, 2, 1e6))
    add("small values that vary (about 1e-10)", _small_values(rng, 8, 3))
    if hidden:
        for n, d in ((3, 6), (64, 2), (33, 15)):
            add("random data", _data(rng, n, d))
        add("a constant column whose computed std is a rounding error (values of order 1e10)",
            _rounding_constant(rng, 20, 4, 3, 1e10))
        add("float32, a constant column whose computed std is a rounding error (values near "
            "1e-5)", _rounding_constant(rng, 16, 2, 1, 1e-5, np.float32))
        add("float32, a column equal up to rounding (neighbouring floats of order 10)",
            _near_constant(rng, 10, 3, 0, 10.0, np.float32))
        add("float32, small values that vary (about 1e-10)",
            _small_values(rng, 9, 4, np.float32))
        add("float32, a constant column", _with_constant(rng, 10, 4, 3, -2.0, np.float32))
        add("tiny spread (std 1e-4)", _data(rng, 9, 3, scale=np.full(3, 1e-4)))
        add("Fortran-ordered input", np.asfortranarray(_data(rng, 11, 5)))
    return cases


def check_standardize(student, seed=0, hidden=False):
    """Check ``standardize(X) -> ndarray``: ``(X - mean) / std`` per column, population std.

    Cases: random data, float32, D = 1, N = 2, a constant column (maps to 0), large offsets,
    non-contiguous input, columns constant up to rounding (a computed std of 1e-17 is not a
    spread: they map to 0 too), small values that vary (not constant); ValueError for a 1-D
    X. With ``hidden=True``: more shapes and the
    properties (each column has mean 0 and variance 1; shifting and rescaling a column
    changes nothing).
    """
    seed, rng = make_rng(seed)
    for case, X in _standardize_cases(seed, rng, hidden):
        got = call_student(student, X, case=case, name="standardize", forbidden=FORBIDDEN,
                           arg_names=("X",))
        _constant_column_nan(got, X, case, "the result", "0")
        expected = ref.standardize(X)
        _rounding_report(got, expected, X, case, "the result", "0",
                         flat=lambda j: np.allclose(got[:, j], 0.0))
        expect_array(got, expected, case=case, what="the result",
                     mistakes=_standardize_mistakes(X))
    expect_raises(student, np.arange(5.0), case=Case("a 1-D X", seed, {"X.shape": (5,)}),
                  name="standardize", why="X must be 2-D, (N, D)")
    if hidden:
        X = _data(rng, 50, 6)
        case = Case("property: each column has mean 0 and variance 1", seed, _details(X))
        out = np.asarray(call_student(student, X, case=case, name="standardize"))
        expect_array(out.mean(0), np.zeros(6), case=case, what="the column means")
        expect_array(out.var(0), np.ones(6), case=case, what="the column variances (ddof=0)")
        case = Case("property: shifting and rescaling a column does not change the result",
                    seed, _details(X))
        a, c = rng.uniform(0.1, 10, 6), rng.uniform(-100, 100, 6)
        out2 = call_student(student, X * a + c, case=case, name="standardize")
        expect_array(out2, out, case=case, what="the result for X * a + c (vs. for X)")


# ---------------------------------------------------------------------------------------
# fit_standardizer / apply_standardizer
# ---------------------------------------------------------------------------------------


def check_fit_standardizer(student, seed=0, hidden=False):
    """Check ``fit_standardizer(X) -> (mean, std)``: per column, population std.

    A constant column has std exactly 0 (``apply_standardizer`` deals with it), a column
    constant up to rounding included: its computed std (1e-17) is rounding error, not a
    spread. Small values that vary keep their small std.
    """
    seed, rng = make_rng(seed)
    cases = [(Case(label, seed, _details(X)), X) for label, X in [
        ("random training data", _data(rng, 10, 4)),
        ("float32 training data", _data(rng, 16, 3, np.float32)),
        ("one feature (D = 1)", _data(rng, 6, 1)),
        ("two examples (N = 2)", _data(rng, 2, 3)),
        ("a constant column", _with_constant(rng, 7, 3, 0, 3.0)),
        ("large offsets (mean 1e6)", _data(rng, 12, 2, loc=np.full(2, 1e6), scale=np.ones(2))),
        ("non-contiguous input X[:, ::2]", _data(rng, 9, 6)[:, ::2]),
        ("a constant column whose computed std is a rounding error (values of order 0.1)",
         _rounding_constant(rng, 10, 3, 2, 0.1)),
        ("float32, a constant column whose computed std is a rounding error (values of order 1e4)",
         _rounding_constant(rng, 14, 2, 0, 1e4, np.float32)),
        ("a column equal up to rounding (neighbouring floats of order 1e8)",
         _near_constant(rng, 8, 3, 1, 1e8)),
        ("small values that vary (about 1e-10)", _small_values(rng, 10, 3)),
    ]]
    if hidden:
        cases += [(Case("random training data", seed, _details(X)), X)
                  for X in (_data(rng, 3, 8), _data(rng, 60, 2), _data(rng, 25, 11, np.float32))]
        cases += [(Case(label, seed, _details(X)), X) for label, X in [
            ("a constant column whose computed std is a rounding error (values of order 1e12)",
             _rounding_constant(rng, 18, 3, 1, 1e12)),
            ("float32, a column equal up to rounding (values of order 1e-3)",
             _near_constant(rng, 9, 2, 0, 1e-3, np.float32)),
            ("float32, small values that vary (about 1e-10)",
             _small_values(rng, 12, 3, np.float32)),
        ]]
    for case, X in cases:
        result = call_student(student, X, case=case, name="fit_standardizer",
                              forbidden=FORBIDDEN, arg_names=("X",))
        mean, std = expect_tuple(result, 2, case=case, name="fit_standardizer",
                                 what="(mean, std)")
        exp_mean, exp_std = ref.fit_standardizer(X)
        X64 = X.astype(np.float64)
        r, a = tolerance(X.dtype)
        atol = a * min(1.0, float(np.abs(X64).max()))  # small values: an absolute 1e-9 says nothing
        expect_array(mean, exp_mean, case=case, what="mean", atol=atol, mistakes=[
            ("the mean was taken per row (axis=1); fit one mean per column (axis=0).",
             lambda: X64.mean(1))])
        constant = _rounding_constant_columns(X)
        std_mistakes = [
            ("the sample standard deviation (ddof=1) was used; use the population std "
             "(divide by N, ddof=0).", lambda: np.where(constant, 0, X64.std(0, ddof=1))),
            ("this is the variance; return the standard deviation (its square root).",
             lambda: np.where(constant, 0, X64.var(0))),
            ("the std was taken per row (axis=1); fit one std per column (axis=0).",
             lambda: X64.std(1)),
            ("the std of a constant column was replaced by 1 (or eps). Return it as 0: "
             "apply_standardizer is the one that treats a zero std as 1.",
             lambda: np.where(constant, 1.0, X64.std(0))),
        ]
        _fit_rounding_report(std, exp_std, X, case)
        expect_array(std, exp_std, case=case, what="std", atol=atol, mistakes=std_mistakes)
    expect_raises(student, np.arange(4.0), case=Case("a 1-D X", seed, {"X.shape": (4,)}),
                  name="fit_standardizer", why="X must be 2-D, (N, D)")


def _fit_rounding_report(std, exp_std, X, case):
    """A constant column's std must be 0, and a small varying column's must not be."""
    if (not isinstance(std, np.ndarray) or std.shape != exp_std.shape
            or not np.issubdtype(std.dtype, np.floating)):
        return
    X64 = np.asarray(X, dtype=np.float64)
    magnitude = np.abs(X64).max(axis=0)
    eps = np.finfo(np.asarray(X).dtype).eps
    for j in _constant_columns(X):
        value = float(std[j])
        if value != 0 and np.isfinite(value) and abs(value) <= 1e3 * eps * magnitude[j]:
            fail(case, f"std[{j}] is {value:.3g}, but column {j} is constant up to rounding "
                       f"({_spread_words(X, j)}). That number is rounding error (the computed "
                       "mean of equal values is not exactly that value), not a spread: return "
                       f"exactly 0 there, so that apply_standardizer sees a zero. {RULE[0].upper()}"
                       f"{RULE[1:]}.")
    for j in np.flatnonzero(exp_std > 0):
        if float(std[j]) == 0 and magnitude[j] < 1:
            fail(case, f"std[{j}] is 0, but column {j} varies (std {float(exp_std[j]):.2g}, "
                       f"values near {magnitude[j]:.2g}). A fixed threshold such as "
                       "`std < 1e-8` calls every small-valued column constant: compare the "
                       "spread with the column's own magnitude.")


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


# ---------------------------------------------------------------------------------------
# gd_linear_regression
# ---------------------------------------------------------------------------------------


def _gd(X, y, lr, n_steps, *, record="before", grad_scale="mean", loss_scale=0.5,
        update_b=True, sequential=False, factor=1.0):
    """Gradient descent written the wrong ways students write it (float64)."""
    X, y = X.astype(np.float64), y.astype(np.float64)
    n = X.shape[0]
    w, b = np.zeros(X.shape[1]), 0.0
    div = n if grad_scale == "mean" else 1.0

    def loss(w, b):
        r = X @ w + b - y
        return loss_scale * np.mean(r**2)

    losses = []
    for _ in range(n_steps):
        if record == "before":
            losses.append(loss(w, b))
        r = X @ w + b - y
        w = w - lr * factor * (X.T @ r) / div
        if update_b:
            if sequential:
                r = X @ w + b - y
            b = b - lr * factor * r.sum() / div
        if record == "after":
            losses.append(loss(w, b))
    return w, b, np.array(losses)


def _gd_mistakes(X, y, lr, n_steps, part):
    """Candidate wrong answers for the ``part`` (0: w, 1: b, 2: losses) of the result."""
    def pick(**kw):
        return lambda: _gd(X, y, lr, n_steps, **kw)[part]
    return [
        ("the loss was recorded after each step; losses[k] is the loss *before* step k "
         "(losses[0] is the loss at w = 0, b = 0).", pick(record="after")),
        ("the gradient is summed over the examples instead of averaged: the loss is a mean, "
         "so its gradient is X.T @ r / N and mean(r).", pick(grad_scale="sum")),
        ("the gradient has an extra factor 2: the 0.5 in 0.5 * mean(r**2) cancels the 2 from "
         "the square, so dL/dw = X.T @ r / N.", pick(factor=2.0)),
        ("the loss is missing the factor 0.5: the loss is 0.5 * mean((X @ w + b - y)**2).",
         pick(loss_scale=1.0)),
        ("b is never updated: the bias also descends its gradient, mean(r).",
         pick(update_b=False)),
        ("b was updated with a residual recomputed after w changed; compute r once per step "
         "and update w and b from the same r.", pick(sequential=True)),
    ]


def _gd_cases(seed, rng, hidden):
    """(case, X, y, lr, n_steps) with lr below 1 / (largest curvature), so GD converges."""
    cases = []

    def add(label, X, n_steps, noise=0.1, lr_fraction=0.8, **details):
        n, d = X.shape
        X64 = X.astype(np.float64)
        w_true = rng.normal(size=d)
        y = (X64 @ w_true + rng.normal() + noise * rng.standard_normal(n)).astype(X.dtype)
        A = np.hstack([X64, np.ones((n, 1))])
        lam_max = np.linalg.eigvalsh(A.T @ A / n).max()
        lr = float(lr_fraction / lam_max)
        details = {"X.shape": X.shape, "dtype": X.dtype.name, "lr": f"{lr:.3g}",
                   "n_steps": n_steps, **details}
        cases.append((Case(label, seed, details), X, y, lr, n_steps))

    add("random data", _data(rng, 20, 3, scale=np.ones(3)), 25)
    add("float32 data", _data(rng, 24, 3, np.float32, scale=np.ones(3)), 20)
    add("one feature (D = 1)", _data(rng, 10, 1, scale=np.ones(1)), 15)
    add("two examples (N = 2)", _data(rng, 2, 2), 10)
    add("a single step (n_steps = 1)", _data(rng, 8, 3), 1)
    add("raw features with offsets and different scales", _data(rng, 30, 3), 40)
    add("non-contiguous input X[:, ::2]", _data(rng, 16, 6, scale=np.ones(6))[:, ::2], 12)
    if hidden:
        for n, d, steps in ((5, 4, 30), (60, 2, 50), (40, 9, 35)):
            add("random data", _data(rng, n, d), steps)
        add("large offsets (mean 100)", _data(rng, 20, 2, loc=np.full(2, 100.0)), 30)
        add("float32, one feature", _data(rng, 12, 1, np.float32), 25)
    return cases


def _lstsq(X, y):
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    return sol[:-1], sol[-1]


def check_gd_linear_regression(student, seed=0, hidden=False):
    """Check ``gd_linear_regression(X, y, lr, n_steps) -> (w, b, losses)``.

    Compares the whole trajectory's result with the reference: w, b and every recorded loss
    (``losses[k]`` before step k, ``len(losses) == n_steps``). Cases: random data, float32,
    D = 1, N = 2, one step, raw features, non-contiguous input; ValueError when y does not
    have one value per row. With ``hidden=True``: more shapes, large offsets, and the
    properties (the losses never increase at this step size; many steps reach the
    least-squares solution).
    """
    seed, rng = make_rng(seed)
    for case, X, y, lr, n_steps in _gd_cases(seed, rng, hidden):
        result = call_student(student, X, y, lr, n_steps, case=case,
                              name="gd_linear_regression", forbidden=FORBIDDEN,
                              arg_names=("X", "y"))
        w, b, losses = expect_tuple(result, 3, case=case, name="gd_linear_regression",
                                    what="(w, b, losses)")
        _check_history_length(losses, n_steps, case)
        exp_w, exp_b, exp_losses = ref.gd_linear_regression(X, y, lr, n_steps)
        _check_diverged(w, losses, exp_w, case)
        expect_array(w, exp_w, case=case, what="w", mistakes=_gd_mistakes(X, y, lr, n_steps, 0))
        r, a = tolerance(X.dtype)
        expect_close(b, exp_b, case=case, what="b", rtol=r, atol=a * max(1.0, abs(exp_b)),
                     mistakes=_gd_mistakes(X, y, lr, n_steps, 1))
        expect_array(losses, exp_losses, case=case, what="losses",
                     mistakes=_gd_mistakes(X, y, lr, n_steps, 2))
    X = _data(rng, 6, 2)
    expect_raises(student, X, np.zeros(5), 0.1, 3,
                  case=Case("y with 5 values for 6 rows of X", seed),
                  name="gd_linear_regression", why="y needs one value per row of X")
    if hidden:
        _gd_properties(student, seed, rng)


def _check_history_length(losses, n_steps, case):
    try:
        length = len(losses)
    except TypeError:
        fail(case, f"losses should be an array of {n_steps} values, got "
                   f"{type(losses).__name__}.")
    if length == n_steps + 1:
        fail(case, f"losses has {length} values, one too many: record the loss before each of "
                   f"the {n_steps} steps (losses[k] is the loss before step k), and not again "
                   "after the last one.")
    if length == n_steps - 1 and n_steps > 0:
        fail(case, f"losses has {length} values, one too few: record the loss before every "
                   f"step, the first one included ({n_steps} values).")


def _check_diverged(w, losses, exp_w, case):
    """Name a run that blew up (NaN, inf, or weights a thousand times too large)."""
    try:
        w = np.asarray(w, dtype=np.float64)
        losses = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError):
        return
    blown = not (np.all(np.isfinite(w)) and np.all(np.isfinite(losses)))
    if not blown and w.shape == exp_w.shape and w.size:
        blown = float(np.abs(w).max()) > 1e3 * (1.0 + float(np.abs(exp_w).max()))
    if blown:
        fail(case, "gradient descent diverged (w or the losses are huge, inf or NaN), although "
                   "at this step size the correct update converges. Likely mistakes: the "
                   "gradient is summed over the examples instead of averaged (each step N "
                   "times too large), or the gradient is added instead of subtracted.")


def _gd_properties(student, seed, rng):
    X = _data(rng, 40, 3, loc=rng.uniform(-0.5, 0.5, 3), scale=np.ones(3))
    y = X @ rng.normal(size=3) + 0.5 + 0.2 * rng.standard_normal(40)
    A = np.hstack([X, np.ones((40, 1))])
    lr = 1.0 / np.linalg.eigvalsh(A.T @ A / 40).max()
    case = Case("property: at a stable step size the loss never increases", seed,
                {"X.shape": X.shape, "lr": f"{lr:.3g}", "n_steps": 60})
    _, _, losses = call_student(student, X, y, lr, 60, case=case, name="gd_linear_regression")
    losses = np.asarray(losses, dtype=np.float64)
    rises = np.flatnonzero(np.diff(losses) > 1e-12 * max(1.0, float(losses[0])))
    if rises.size:
        k = int(rises[0])
        before, after, _ = distinct(losses[k], losses[k + 1])
        fail(case, f"the loss went up from step {k} to step {k + 1} ({before} -> "
                   f"{after}); with lr at most 1 / (largest curvature) each step "
                   "of gradient descent lowers the loss.")
    case = Case("property: many steps reach the least-squares solution", seed,
                {"X.shape": X.shape, "lr": f"{lr:.3g}", "n_steps": 1000})
    w, b, _ = call_student(student, X, y, lr, 1000, case=case, name="gd_linear_regression")
    w_star, b_star = _lstsq(X, y)
    expect_array(np.asarray(w), w_star, case=case, what="w after 1000 steps (vs. least squares)",
                 rtol=1e-5, atol=1e-6)
    expect_close(b, b_star, case=case, what="b after 1000 steps (vs. least squares)",
                 rtol=1e-5, atol=1e-6)

