"""Does check_apply_standardizer (notebook 01) accept any right answer and name each mistake
of its catalogue?"""

import numpy as np
import pytest

from course_utils.checks import check_apply_standardizer
from tests.helpers import accepted
from tests.helpers import rejected as _rejects

from .test_min_max import _matrix, _tiny
from .test_standardize import _safe, std_right

pytestmark = pytest.mark.nb01


def _checked(X, mean, std):
    X = _matrix(X)
    if np.shape(mean) != (X.shape[1],) or np.shape(std) != (X.shape[1],):
        raise ValueError("mean and std need one value per column")
    return X, np.asarray(mean), np.asarray(std)


def _zero(X, mean, std):
    """A std that is zero up to rounding: at most ten units of rounding of the mean."""
    return std <= _tiny(X, mean)


def apply_right(X, mean, std):
    X, mean, std = _checked(X, mean, std)
    return (X - mean) / np.where(_zero(X, mean, std), 1, std)


def apply_loops(X, mean, std):
    X, mean, std = _checked(X, mean, std)
    eps = np.finfo(X.dtype).eps
    out = np.empty_like(X)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            zero = std[j] <= 10 * eps * abs(mean[j])
            out[i, j] = (X[i, j] - mean[j]) / (1 if zero else std[j])
    return out


def apply_unvalidated(X, mean, std):
    """No explicit validation: numpy's broadcasting error is the ValueError."""
    return (X - mean) / np.where(_zero(X, mean, std), 1, std)


test_right_apply_standardizer_accepted = accepted(
    check_apply_standardizer, [apply_right, apply_loops, apply_unvalidated], [0, 1, 2, None, None],
    """Is a correct apply_standardizer accepted?""")


def _apply(body):
    def apply_standardizer(X, mean, std):
        X, mean, std = _checked(X, mean, std)
        return body(X, mean, std)
    return apply_standardizer


APPLY_MISTAKES = [
    (_apply(lambda X, m, s: std_right(X)), "with its own mean and std"),
    (_apply(lambda X, m, s: (X - m) / s), "Treat a zero std as 1"),
    (_apply(lambda X, m, s: (X - m) * s), "multiplied by std"),
    (_apply(lambda X, m, s: (X - m) / _safe(s) ** 2), "std**2"),
    (_apply(lambda X, m, s: X / _safe(s)), "mean was not subtracted"),
    (_apply(lambda X, m, s: X * s + m), "undoes a standardization"),
    (_apply(lambda X, m, s: (X - m) / np.where(s == 0, 1e-8, s)),
     "a zero std was replaced by something other than 1"),
    (_apply(lambda X, m, s: (X - m) / _safe(s)),
     ["rounding error of that mean", "in every row", "`std == 0` misses it"]),
    (_apply(lambda X, m, s: (X - m) / np.where(s < 1e-8, 1, s)), "rounding error of that mean"),
    (_apply(lambda X, m, s: (X - m) / np.where(_zero(X, m, s) | (s < 1e-8), 1, s)),
     ["is a real spread", "treated as zero", "std < 1e-8"]),
]


@pytest.mark.parametrize("student, words", APPLY_MISTAKES,
                         ids=[str(w) for _, w in APPLY_MISTAKES])
def test_apply_mistakes_rejected(student, words):
    """Is each mistake in applying fitted statistics rejected with a message naming it?"""
    _rejects(check_apply_standardizer, student, words)
