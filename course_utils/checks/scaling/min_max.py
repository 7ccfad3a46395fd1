"""``check_min_max_scale`` (notebook 01) with its catalogue of named mistakes and the
properties every right answer has.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_array, expect_raises, make_rng
from ._shared import (
    FORBIDDEN,
    _constant_column_nan,
    _data,
    _details,
    _near_constant,
    _rounding_report,
    _small_values,
    _with_constant,
)

__all__ = ["check_min_max_scale"]


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
