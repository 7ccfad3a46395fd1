"""Do check_standardize and check_fit_standardizer (notebook 01) accept any right answer and
name each mistake of their catalogue?"""

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from course_utils.checks import check_fit_standardizer, check_standardize
from tests.helpers import accepted
from tests.helpers import rejected as _rejects

from .test_min_max import _matrix, _tiny

pytestmark = pytest.mark.nb01


# ---- standardize ---------------------------------------------------------------------------

def std_right(X):
    X = _matrix(X)
    mean, std = X.mean(0), X.std(0)
    constant = X.max(0) - X.min(0) <= _tiny(X, np.abs(X).max(0))
    std[constant] = 1
    return np.where(constant, 0, (X - mean) / std)


def std_loops(X):
    X = _matrix(X)
    n, d = X.shape
    eps = np.finfo(X.dtype).eps
    out = np.zeros_like(X)
    for j in range(d):
        m = sum(X[:, j]) / n
        s = np.sqrt(sum((X[i, j] - m) ** 2 for i in range(n)) / n)
        if max(X[:, j]) - min(X[:, j]) > 10 * eps * max(abs(X[:, j])):
            out[:, j] = (X[:, j] - m) / s
    return out


def std_float64_inside(X):
    X = _matrix(X)
    X64 = X.astype(np.float64)
    std = X64.std(axis=0, keepdims=True)
    varies = np.ptp(X64, axis=0, keepdims=True) > _tiny(X, np.abs(X64).max(0, keepdims=True))
    return np.where(varies, (X64 - X64.mean(0)) / np.where(varies, std, 1), 0).astype(X.dtype)


def std_variance_bound(X):
    """scikit-learn's test for a constant feature (a bound on the variance's rounding error,
    Chan, Golub & LeVeque), with the eps of the data's own dtype."""
    X = _matrix(X)
    n, eps = X.shape[0], np.finfo(X.dtype).eps
    mean, var = X.mean(0), X.var(0)
    constant = var <= n * eps * var + (n * mean * eps) ** 2
    return np.where(constant, 0, (X - mean) / np.sqrt(np.where(constant, 1, var)))


test_right_standardize_accepted = accepted(
    check_standardize, [std_right, std_loops, std_float64_inside, std_variance_bound], [0, 2, 3, 4,
    None, None],
    """Is any correct standardize accepted, however it is written?""")


def _std(body):
    def standardize(X):
        return body(_matrix(X))
    return standardize


def _safe(s):
    return np.where(s == 0, 1, s)


def _std_exact(X):
    """The std tested with == 0 (the model answer before rounding was considered)."""
    return (X - X.mean(0)) / _safe(X.std(0))


def _std_max_min(X):
    constant = X.max(0) == X.min(0)
    return np.where(constant, 0, (X - X.mean(0)) / np.where(constant, 1, X.std(0)))


def _std_threshold(X, threshold):
    std = X.std(0)
    flat = std < threshold
    return np.where(flat, 0, (X - X.mean(0)) / np.where(flat, 1, std))


STD_MISTAKES = [
    (_std(lambda X: (X - X.mean(0)) / _safe(X.std(0, ddof=1))), "sample standard deviation"),
    (_std(lambda X: (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True)), "per row"),
    (_std(lambda X: (X - X.mean()) / X.std()), "whole array"),
    (_std(lambda X: X / _safe(X.std(0))), "mean was not subtracted"),
    (_std(lambda X: (X - X.mean(0)) / _safe(X.var(0))), "variance instead of the standard"),
    (_std(lambda X: (X - X.mean(0)) / X.std(0)), ["constant", "0 / 0"]),
    (_std(lambda X: (X - X.mean(0)) / np.sqrt(np.abs((X**2).mean(0) - X.mean(0) ** 2)
                                              + 1e-300)), "mean(X**2) - mean(X)**2"),
    (_std(lambda X: X - X.mean(0)), "only the mean was subtracted"),
    (_std(lambda X: std_right(X.astype(np.float64))), "dtype float64"),
    (_std(_std_exact), ["constant up to rounding", "-1 in every row", "rounding error",
                        "`std == 0` or `max == min` misses"]),
    (_std(_std_max_min), ["constant up to rounding", "differ in their last digit only"]),
    (_std(lambda X: _std_threshold(X, 1e-8)), ["constant up to rounding",
                                               "scales with the values and the dtype"]),
    (_std(lambda X: _std_threshold(X, 10 * np.finfo(X.dtype).eps)), "constant up to rounding"),
    (_std(lambda X: np.where(std_right(X) == 0, 0, _std_threshold(X, 1e-8))),
     ["varies", "too loose", "std < 1e-8"]),
    (_std(lambda X: np.where(np.isclose(X.max(0), X.min(0)), 0, std_right(X))),
     ["varies", "too loose", "np.isclose"]),
    (lambda X: StandardScaler().fit_transform(_matrix(X)), "sklearn's fit_transform"),
    (lambda X: torch.nn.functional.batch_norm(torch.from_numpy(np.ascontiguousarray(X)), None,
                                              None, training=True, eps=1e-12).numpy(),
     "torch's batch_norm"),
    (lambda X: std_right(X) if np.ndim(X) == 2 else X, "should raise ValueError"),
]


@pytest.mark.parametrize("student, words", STD_MISTAKES, ids=[str(w) for _, w in STD_MISTAKES])
def test_standardize_mistakes_rejected(student, words):
    """Is each standardization mistake rejected with a message that names it?"""
    _rejects(check_standardize, student, words)


def test_standardize_in_place_rejected():
    """Is a standardize that changes X in place rejected?"""
    def in_place(X):
        X = _matrix(X)
        X -= X.mean(0)
        X /= _safe(X.std(0))
        return X
    _rejects(check_standardize, in_place, "changed its input `X` in place")


# ---- fit_standardizer / apply_standardizer -------------------------------------------------

def fit_right(X):
    X = _matrix(X)
    std = X.std(axis=0)
    std[np.ptp(X, axis=0) <= _tiny(X, np.abs(X).max(0))] = 0
    return X.mean(axis=0), std


def fit_loops(X):
    X = _matrix(X)
    n, d = X.shape
    eps = np.finfo(X.dtype).eps
    mean, std = np.zeros(d, X.dtype), np.zeros(d, X.dtype)
    for j in range(d):
        mean[j] = X[:, j].sum() / n
        if X[:, j].max() - X[:, j].min() > 10 * eps * np.abs(X[:, j]).max():
            std[j] = np.sqrt(((X[:, j] - mean[j]) ** 2).sum() / n)
    return mean, std


test_right_fit_standardizer_accepted = accepted(
    check_fit_standardizer, [fit_right, fit_loops], [0, 1, 2, None, None],
    """Is a correct fit_standardizer accepted?""")


FIT_MISTAKES = [
    (lambda X: (_matrix(X).mean(0), _matrix(X).std(0, ddof=1)), "sample standard deviation"),
    (lambda X: (_matrix(X).mean(0), _matrix(X).var(0)), "this is the variance"),
    (lambda X: (_matrix(X).mean(0), _safe(_matrix(X).std(0))), "replaced by 1"),
    (lambda X: (_matrix(X).mean(0), _matrix(X).std(0)),
     ["std[", "constant up to rounding", "return exactly 0 there", "10 * eps * max|x|"]),
    (lambda X: (lambda m, s: (m, np.where(s < 1e-8, 0, s)))(*fit_right(X)),
     ["std[", "is 0, but column", "varies", "std < 1e-8"]),
    (lambda X: (_matrix(X).mean(1), _matrix(X).std(1)), "per row"),
    (lambda X: _matrix(X).mean(0), "should return (mean, std)"),
    (lambda X: (lambda s: (s.mean_, np.sqrt(s.var_)))(StandardScaler().fit(_matrix(X))),
     "sklearn's fit"),
]


@pytest.mark.parametrize("student, words", FIT_MISTAKES, ids=[str(w) for _, w in FIT_MISTAKES])
def test_fit_mistakes_rejected(student, words):
    """Is each fitting mistake rejected with a message that names it?"""
    _rejects(check_fit_standardizer, student, words)
