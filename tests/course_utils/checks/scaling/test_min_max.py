"""Does check_min_max_scale (notebook 01) accept any right answer and name each mistake of its
catalogue?"""

import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler

from course_utils import reference as ref
from course_utils.checks import check_min_max_scale
from tests.helpers import accepted
from tests.helpers import rejected as _rejects

pytestmark = pytest.mark.nb01


def _matrix(X):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError("X must be (N, D)")
    return X


# ---- min_max_scale -------------------------------------------------------------------------

def _range(low, high):
    if not low < high:
        raise ValueError("low must be smaller than high")


def _tiny(X, magnitude):
    """Ten units of rounding of values of ``magnitude``: the course's "no spread at all"."""
    return 10 * np.finfo(X.dtype).eps * np.abs(magnitude)


def mm_right(X, low=0.0, high=1.0):
    X = _matrix(X)
    _range(low, high)
    lo, hi = X.min(0), X.max(0)
    span = hi - lo
    constant = span <= _tiny(X, np.maximum(abs(lo), abs(hi)))
    span[constant] = 1
    return np.where(constant, low, low + (high - low) * (X - lo) / span)


def mm_loops(X, low=0.0, high=1.0):
    X = _matrix(X)
    _range(low, high)
    eps = np.finfo(X.dtype).eps
    out = np.empty_like(X)
    for j in range(X.shape[1]):
        col = X[:, j]
        lo, hi = min(col), max(col)
        flat = hi - lo <= 10 * eps * max(abs(lo), abs(hi))
        for i in range(X.shape[0]):
            out[i, j] = low if flat else low + (high - low) * (col[i] - lo) / (hi - lo)
    return out


def mm_float64_inside(X, low=0.0, high=1.0):
    X = _matrix(X)
    _range(low, high)
    X64 = X.astype(np.float64)
    lo, hi = X64.min(0, keepdims=True), X64.max(0, keepdims=True)
    varies = hi - lo > _tiny(X, np.abs(X64).max(0, keepdims=True))  # the data's own eps
    unit = np.divide(X64 - lo, hi - lo, out=np.zeros_like(X64), where=varies)
    return (unit * (high - low) + low).astype(X.dtype)


test_right_min_max_scale_accepted = accepted(
    check_min_max_scale, [mm_right, mm_loops, mm_float64_inside], [0, 1, 2, 3, None, None],
    """Is any correct min_max_scale accepted, however it is written?""")


def _mm(body):
    def min_max_scale(X, low=0.0, high=1.0):
        X = _matrix(X)
        _range(low, high)
        return body(X, low, high)
    return min_max_scale


def _unit(X):
    span = X.max(0) - X.min(0)
    constant = span <= _tiny(X, np.abs(X).max(0))
    return np.where(constant, 0, (X - X.min(0)) / np.where(constant, 1, span))


def _mm_exact(X, low, high):
    """The spread tested with == 0: right for exact constants, blind to rounding."""
    span = X.max(0) - X.min(0)
    return low + (high - low) * (X - X.min(0)) / np.where(span == 0, 1, span)


def mm_sklearn(X, low=0.0, high=1.0):
    _range(low, high)
    return MinMaxScaler(feature_range=(low, high)).fit_transform(_matrix(X))


MM_MISTAKES = [
    (_mm(lambda X, lo, hi: _unit(X)), "low and high were ignored"),
    (_mm(lambda X, lo, hi: lo + hi * _unit(X)), "width of the target range is high - low"),
    (_mm(lambda X, lo, hi: lo + (hi - lo) * (X - X.min(1, keepdims=True))
         / (X.max(1, keepdims=True) - X.min(1, keepdims=True))), "per row"),
    (_mm(lambda X, lo, hi: lo + (hi - lo) * (X - X.min()) / (X.max() - X.min())),
     "whole array"),
    (_mm(lambda X, lo, hi: lo + (hi - lo) * (X - X.min(0)) / (X.max(0) - X.min(0))),
     ["constant", "0 / 0"]),
    (_mm(lambda X, lo, hi: np.where(X.max(0) == X.min(0), 0.0, lo + (hi - lo) * _unit(X))),
     "constant column was mapped to 0"),
    (_mm(lambda X, lo, hi: np.where(X.max(0) == X.min(0), (lo + hi) / 2, lo + (hi - lo)
                                    * _unit(X))), "middle"),
    (_mm(lambda X, lo, hi: (X - X.mean(0)) / np.where(X.std(0) == 0, 1, X.std(0))),
     "this is standardization"),
    (_mm(lambda X, lo, hi: (lo + (hi - lo) * _unit(X.astype(np.float64)))), "dtype float64"),
    (lambda X, low=0.0, high=1.0: mm_right(X, low, high) if np.ndim(X) == 2 and low < high
     else np.zeros(3), "should raise ValueError"),
    (_mm(_mm_exact), ["constant up to rounding", "`max == min` misses such a column",
                      "10 * eps * max|x|"]),
    (_mm(lambda X, lo, hi: np.where((X.max(0) - X.min(0)) < 1e-8, lo, _mm_exact(X, lo, hi))),
     ["constant up to rounding", "scales with the values and the dtype"]),
    (_mm(lambda X, lo, hi: np.where((X.max(0) - X.min(0)) < 1e-8, lo, lo + (hi - lo)
                                    * _unit(X))), ["varies", "too loose", "std < 1e-8"]),
    (mm_sklearn, "sklearn's fit_transform"),
    (lambda X, low=0.0, high=1.0: ref.min_max_scale(X, low, high), "course_utils.reference"),
    (lambda X, low=0.0, high=1.0: (_ for _ in ()).throw(NotImplementedError()),
     "not written yet"),
]


@pytest.mark.parametrize("student, words", MM_MISTAKES, ids=[str(w) for _, w in MM_MISTAKES])
def test_min_max_mistakes_rejected(student, words):
    """Is each min-max mistake rejected with a message that names it?"""
    _rejects(check_min_max_scale, student, words)
