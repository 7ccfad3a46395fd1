"""``check_standardize`` and ``check_fit_standardizer`` (notebook 01) with their catalogue
of named mistakes: population std, per column, and a constant column's std that is 0.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref
from course_utils.reference.scaling import _constant_columns as _rounding_constant_columns

from .._core import (
    Case,
    call_student,
    expect_array,
    expect_raises,
    expect_tuple,
    fail,
    make_rng,
    tolerance,
)
from ._shared import (
    FORBIDDEN,
    RULE,
    _constant_column_nan,
    _constant_columns,
    _data,
    _details,
    _near_constant,
    _rounding_constant,
    _rounding_report,
    _small_values,
    _spread_words,
    _with_constant,
)

__all__ = ["check_standardize", "check_fit_standardizer"]


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
