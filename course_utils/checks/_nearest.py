"""Name the mistake whose output is *closest* to what the student returned.

``expect_array`` names the first mistake in its list whose output matches the student's
within a loose tolerance. Some mistakes differ from each other by less than that tolerance
while differing from the right answer by more than the check's own: leaving eps out,
adding it outside the square root, and the right formula are all within about eps / var of
each other. Trying the mistakes nearest first names the one the student actually made.
The ranking is computed only when a comparison has already failed.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._core import CheckFailure, Mistakes, expect_array


def nearest_first(got, mistakes: Mistakes) -> list:
    """``mistakes`` reordered by the largest difference of their output from ``got``.

    Each candidate is computed once; the result holds its value, so ``expect_array`` does
    not compute it again. Candidates that fail, or whose shape differs, keep their order
    after the others.
    """
    try:
        target = np.asarray(got, dtype=np.float64)
    except Exception:
        return list(mistakes)
    ranked = []
    for index, (label, make) in enumerate(mistakes):
        distance, value = np.inf, None
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                value = np.asarray(make(), dtype=np.float64)
            if value.shape == target.shape and value.size and np.all(np.isfinite(value)):
                distance = float(np.max(np.abs(value - target)))
        except Exception:
            value = None
        ranked.append((distance, index, label, value))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [(label, (lambda v=value: v) if value is not None else mistakes[index][1])
            for _, index, label, value in ranked]


def expect_array_named(got, expected, *, mistakes: Mistakes = (), **kwargs) -> None:
    """``expect_array``, naming the nearest matching mistake when the comparison fails."""
    try:
        expect_array(got, expected, **kwargs)
    except CheckFailure:
        expect_array(got, expected, mistakes=nearest_first(got, mistakes), **kwargs)
        raise
