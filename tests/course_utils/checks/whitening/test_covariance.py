"""Does check_covariance (notebook 02) accept any right answer and name each mistake of its
catalogue?"""

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import check_covariance
from tests.helpers import accepted
from tests.helpers import rejected as _rejects

pytestmark = pytest.mark.nb02


def _batch(X):
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError("X must be (N, D) with N >= 2")
    return X


# ---- covariance ----------------------------------------------------------------------------

def cov_right(X):
    X = _batch(X)
    c = X - X.mean(axis=0)
    return c.T @ c / X.shape[0]


def cov_loops(X):
    X = _batch(X)
    n, d = X.shape
    mean = [sum(X[:, j]) / n for j in range(d)]
    C = np.zeros((d, d), dtype=X.dtype)
    for i in range(d):
        for j in range(d):
            C[i, j] = sum((X[k, i] - mean[i]) * (X[k, j] - mean[j]) for k in range(n)) / n
    return C


def cov_einsum_float64(X):
    X = _batch(X)
    c = X.astype(np.float64) - X.astype(np.float64).mean(0, keepdims=True)
    return (np.einsum("ni,nj->ij", c, c) / len(c)).astype(X.dtype)


test_right_covariance_accepted = accepted(
    check_covariance, [cov_right, cov_loops, cov_einsum_float64], [0, 1, None],
    """Is any correct covariance accepted, however it is written?""")


def _cov(body):
    def covariance(X):
        return body(_batch(X))
    return covariance


COV_MISTAKES = [
    (_cov(lambda X: (X - X.mean(0)).T @ (X - X.mean(0)) / (len(X) - 1)), "divided by N - 1"),
    (_cov(lambda X: X.T @ X / len(X)), "mean was not subtracted"),
    (_cov(lambda X: (X - X.mean(0)) @ (X - X.mean(0)).T / len(X)), "X @ X.T"),
    (_cov(lambda X: np.diag(X.var(0))), "only the diagonal"),
    (_cov(lambda X: (X - X.mean(0)).T @ (X - X.mean(0)) / X.shape[1]), "divided by D"),
    (_cov(lambda X: X.T @ X / len(X) - np.outer(X.mean(0), X.mean(0))),
     ["large offsets", "center first"]),
    (_cov(lambda X: np.cov(X, rowvar=False, bias=True)), "numpy's cov"),
    (_cov(lambda X: torch.cov(torch.from_numpy(np.ascontiguousarray(X.T)), correction=0)
          .numpy()), "torch's cov"),
    (_cov(lambda X: cov_right(X.astype(np.float64))), "dtype float64, expected float32"),
    (lambda X: cov_right(np.atleast_2d(X).reshape(-1, np.shape(X)[-1]))
     if np.ndim(X) == 2 else np.zeros((1, 1)), "should raise ValueError"),
    (_cov(lambda X: ref.covariance(X)), "course_utils.reference"),
]


@pytest.mark.parametrize("student, words", COV_MISTAKES, ids=[str(w) for _, w in COV_MISTAKES])
def test_covariance_mistakes_rejected(student, words):
    """Is each covariance mistake rejected with a message that names it?"""
    _rejects(check_covariance, student, words)


def test_covariance_single_example_must_raise():
    """Is a covariance of one example (all zeros) rejected: it should raise ValueError?"""
    def no_check(X):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError("2-D")
        c = X - X.mean(0)
        return c.T @ c / len(X)
    _rejects(check_covariance, no_check, ["a single example", "should raise ValueError"])
