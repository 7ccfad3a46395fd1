"""Does check_zca_whitening_matrix (notebook 02) accept any right answer and name each mistake
of its catalogue?"""

import numpy as np
import pytest
import torch

from course_utils.checks import check_zca_whitening_matrix
from tests.helpers import accepted
from tests.helpers import rejected as _rejects

from .test_covariance import _batch, cov_right

pytestmark = pytest.mark.nb02


# ---- zca_whitening_matrix ------------------------------------------------------------------

def zca_right(X, eps=1e-5):
    X = _batch(X)
    mean = X.mean(0)
    lam, U = np.linalg.eigh(cov_right(X))
    W = U @ np.diag(1 / np.sqrt(np.clip(lam, 0, None) + eps)) @ U.T
    return mean, W


def zca_svd_float64(X, eps=1e-5):
    """Through the SVD of the centered data: lam = s**2 / N, float64 inside."""
    X = _batch(X)
    X64 = X.astype(np.float64)
    c = X64 - X64.mean(0)
    _, s, Vt = np.linalg.svd(c, full_matrices=True)
    lam = np.zeros(X.shape[1])
    lam[: len(s)] = s**2 / len(X)
    W = Vt.T @ np.diag(1 / np.sqrt(lam + eps)) @ Vt
    return X64.mean(0).astype(X.dtype), W.astype(X.dtype)


def zca_np_cov(X, eps=1e-5):
    """np.cov is allowed here (the covariance exercise came before)."""
    X = _batch(X)
    C = np.atleast_2d(np.cov(X, rowvar=False, bias=True))
    lam, U = np.linalg.eigh(C + eps * np.eye(len(C)))
    return X.mean(0), ((U / np.sqrt(np.abs(lam))) @ U.T).astype(X.dtype)  # np.cov gives float64


test_right_zca_accepted = accepted(
    check_zca_whitening_matrix, [zca_right, zca_svd_float64, zca_np_cov], [0, 3, None],
    """Is any correct ZCA whitening matrix accepted, however it is computed?""")


def _zca(scale_fn, cov=cov_right):
    def zca_whitening_matrix(X, eps=1e-5):
        X = _batch(X)
        lam, U = np.linalg.eigh(cov(X))
        return X.mean(0), (U * scale_fn(np.clip(lam, 0, None), eps)) @ U.T
    return zca_whitening_matrix


def zca_pca(X, eps=1e-5):
    X = _batch(X)
    lam, U = np.linalg.eigh(cov_right(X))
    return X.mean(0), U * (1 / np.sqrt(np.clip(lam, 0, None) + eps))


def zca_pca_flipped(X, eps=1e-5):
    """PCA whitening with eigenvectors in descending order and flipped signs."""
    X = _batch(X)
    lam, U = np.linalg.eigh(cov_right(X))
    lam, U = lam[::-1], -U[:, ::-1]
    return X.mean(0), U / np.sqrt(np.clip(lam, 0, None) + eps)


def zca_per_feature(X, eps=1e-5):
    X = _batch(X)
    return X.mean(0), np.diag(1 / np.sqrt(X.var(0) + eps))


def zca_no_eps_no_clip(X, eps=1e-5):
    X = _batch(X)
    lam, U = np.linalg.eigh(cov_right(X))
    return X.mean(0), (U / np.sqrt(np.abs(lam))) @ U.T


def zca_rows(X, eps=1e-5):
    """The eigenvectors read as the rows of U: W = U^T diag U, symmetric but not whitening."""
    X = _batch(X)
    lam, U = np.linalg.eigh(cov_right(X))
    return X.mean(0), U.T @ np.diag(1 / np.sqrt(np.clip(lam, 0, None) + eps)) @ U


def zca_rows_loop(X, eps=1e-5):
    """The same mistake as a sum of outer products over U[k], the rows."""
    X = _batch(X)
    lam, U = np.linalg.eigh(cov_right(X))
    W = np.zeros((X.shape[1], X.shape[1]), dtype=X.dtype)
    for k in range(len(lam)):
        W += np.outer(U[k], U[k]) / np.sqrt(max(lam[k], 0) + eps)
    return X.mean(0), W


ZCA_MISTAKES = [
    (zca_rows, ["eigenvectors were taken as the rows of U", "columns"]),
    (zca_rows_loop, "eigenvectors were taken as the rows of U"),
    (zca_pca, "PCA whitening"),
    (zca_pca_flipped, "PCA whitening"),
    (_zca(lambda lam, eps: 1 / (np.sqrt(lam) + eps)), "eps was added outside the square root"),
    (_zca(lambda lam, eps: 1 / np.sqrt(lam + 1e-5)), "eps argument was ignored"),
    (_zca(lambda lam, eps: 1 / (lam + eps)), "square root is missing"),
    (_zca(lambda lam, eps: 1 / np.sqrt(lam + eps),
          cov=lambda X: np.cov(X, rowvar=False).reshape(X.shape[1], -1)), "divided by N - 1"),
    (_zca(lambda lam, eps: 1 / np.sqrt(lam + eps), cov=lambda X: X.T @ X / len(X)),
     "uncentered"),
    (_zca(lambda lam, eps: np.sqrt(lam + eps)), "exponent should be -1/2"),
    (zca_per_feature, "normalizes each feature on its own"),
    (zca_no_eps_no_clip, "eps"),
    (lambda X, eps=1e-5: zca_right(X, eps)[1], "should return (mean, W)"),
    (lambda X, eps=1e-5: (zca_right(X, eps)[0], torch.from_numpy(zca_right(X, eps)[1])),
     "torch tensor"),
]


@pytest.mark.parametrize("student, words", ZCA_MISTAKES,
                         ids=[f"{i}-{w}" for i, (_, w) in enumerate(ZCA_MISTAKES)])
def test_zca_mistakes_rejected(student, words):
    """Is each whitening mistake rejected with a message that names it?"""
    _rejects(check_zca_whitening_matrix, student, words)
