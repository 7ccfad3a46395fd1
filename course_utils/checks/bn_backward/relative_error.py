"""``check_relative_error`` (notebook 04) and its catalogue of named mistakes: a missing
floor in the denominator, a mean where the definition takes the maximum, and the like.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, CheckFailure, call_student, expect_close, expect_raises, fail, make_rng
from ._shared import _unlike

__all__ = ["check_relative_error"]


# ---------------------------------------------------------------------------------------
# relative_error
# ---------------------------------------------------------------------------------------


def _relative_error_mistakes(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    diff = np.abs(a - b)
    return [
        ("the mean of the elementwise relative errors was returned; the definition takes the "
         "largest one (max), so that one bad entry is not averaged away.",
         lambda: np.mean(diff / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
        ("one global ratio max|a - b| / max(|a| + |b|) was returned; the definition divides "
         "entry by entry, then takes the max.",
         lambda: diff.max() / max(1e-8, float((np.abs(a) + np.abs(b)).max()))),
        ("the denominator is |a| alone; use |a| + |b| (symmetric in a and b).",
         lambda: np.max(diff / np.maximum(1e-8, np.abs(a)))),
        ("the denominator is |a + b|, not |a| + |b|: with entries of opposite sign (or "
         "negative ones) it is too small.",
         lambda: np.max(diff / np.maximum(1e-8, np.abs(a + b)))),
        ("the absolute value of a - b was forgotten: the largest *signed* ratio was returned.",
         lambda: np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
        ("the absolute difference max|a - b| was returned, without dividing.",
         lambda: diff.max()),
        ("the 1e-8 floor was left out: divide by np.maximum(1e-8, np.abs(a) + np.abs(b)), "
         "not by |a| + |b| alone (for tiny entries the floor is what makes the error small).",
         lambda: np.max(diff / (np.abs(a) + np.abs(b)))),
        ("the floor was added (|a| + |b| + 1e-8) instead of taken as a maximum: use "
         "np.maximum(1e-8, np.abs(a) + np.abs(b)).",
         lambda: np.max(diff / (1e-8 + np.abs(a) + np.abs(b)))),
    ]


def _relative_error_nan(case, got, a, b):
    """NaN or inf where the definition gives a finite number: name the missing floor."""
    try:
        value = float(got)
    except (TypeError, ValueError):
        return
    if np.isfinite(value):
        return
    denominator = np.abs(np.asarray(a, dtype=np.float64)) + np.abs(np.asarray(b, dtype=np.float64))
    if np.any(denominator == 0):
        fail(case, f"relative_error returned {value} where a and b are both 0 (0 / 0). The "
                   "1e-8 floor is there for exactly this: divide entry by entry by "
                   "np.maximum(1e-8, np.abs(a) + np.abs(b)), so that two zeros compare as "
                   "equal (relative error 0). (Python's max(1e-8, ...) does not work on "
                   "arrays; np.maximum does.)")


def _call_relative_error(student, a, b, case):
    try:
        return call_student(student, a, b, case=case, name="relative_error",
                            arg_names=("a", "b"))
    except CheckFailure as exc:
        message = str(exc)
        if "truth value of an array" in message:
            raise CheckFailure(message + "\nLikely mistake: Python's max() (or `if`) was used "
                               "on an array; for the entrywise floor use "
                               "np.maximum(1e-8, np.abs(a) + np.abs(b)).") from None
        raise


def check_relative_error(student, seed=0, hidden=False):
    """Check ``relative_error(a, b) -> float``: ``max(|a - b| / max(1e-8, |a| + |b|))``.

    Cases: close arrays, entries of very different sizes (where the max must be taken entry
    by entry), negative entries, equal arrays, two zero arrays (the 1e-8 floor: NaN there
    is named), scalars, float32, and arrays of different shapes (ValueError, part of the
    exercise's contract).
    """
    seed, rng = make_rng(seed)
    cases = []

    def add(label, a, b):
        a_arr = np.asarray(a)
        cases.append((Case(label, seed, {"shape": a_arr.shape, "dtype": a_arr.dtype.name}), a, b))

    a = rng.normal(size=(6, 4))
    add("two close arrays", a, a + 1e-6 * rng.normal(size=a.shape))
    small = rng.uniform(1e-3, 2e-3, size=5)
    big = rng.uniform(50, 100, size=5)
    a = np.concatenate([small, big])
    b = np.concatenate([small * rng.uniform(1.2, 1.5, 5), big + rng.uniform(0.5, 1, 5)])
    add("entries of very different sizes", a, b)
    a = -rng.uniform(1, 2, size=(3, 3))
    b = a * (1 + rng.uniform(1e-4, 1e-3, size=a.shape))
    b[0, 0] = -a[0, 0] * 0.5
    add("negative entries and a sign change", a, b)
    a = rng.normal(size=7)
    add("equal arrays", a, a.copy())
    add("two zero arrays (the 1e-8 floor)", np.zeros((2, 3)), np.zeros((2, 3)))
    x = float(rng.uniform(1, 2))
    add("two Python floats", x, x * 1.001)
    a = rng.normal(size=(4, 5)).astype(np.float32)
    add("float32 arrays", a, (a * 1.01).astype(np.float32))
    if hidden:
        for shape in ((1,), (3, 4, 2), (50,)):
            a = rng.normal(size=shape)
            add("random arrays", a, a + rng.normal(scale=1e-3, size=shape))
        a = rng.normal(size=8) * 1e-12
        add("tiny values, where the floor dominates", a, a * 3)

    for case, a, b in cases:
        got = _call_relative_error(student, a, b, case)
        if isinstance(got, np.ndarray) and got.ndim > 0:
            fail(case, f"relative_error returned an array of shape {got.shape}; return one "
                       "number, the largest relative error (np.max(...), then float(...)).")
        _relative_error_nan(case, got, a, b)
        expected = ref.relative_error(a, b)
        expect_close(got, expected, case=case, what="relative_error(a, b)",
                     mistakes=_unlike(_relative_error_mistakes(a, b), expected, 1e-6, 1e-12),
                     rtol=1e-6, atol=1e-12)

    case = Case("arrays of different shapes", seed, {"a.shape": (4, 3), "b.shape": (3,)})
    expect_raises(student, np.ones((4, 3)), np.full(3, 2.0), case=case, name="relative_error",
                  why="a and b must have the same shape; broadcasting them would compare the "
                      "wrong entries. Raising it is part of the exercise's contract: "
                      "`if a.shape != b.shape: raise ValueError(...)` after np.asarray")
    case = Case("arrays of the same size but different shapes", seed,
                {"a.shape": (2, 3), "b.shape": (3, 2)})
    expect_raises(student, np.ones((2, 3)), np.full((3, 2), 2.0), case=case,
                  name="relative_error",
                  why="a (2, 3) and a (3, 2) array have the same number of entries, but not "
                      "the same shape: compare a.shape with b.shape, not their sizes, and do "
                      "not flatten them first")
