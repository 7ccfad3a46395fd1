"""``check_zca_whitening_matrix`` (notebook 02) with its catalogue of named mistakes: W must
be symmetric (PCA whitening is named whatever its eigenvector order and signs).
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import (
    Case,
    CheckFailure,
    call_student,
    expect_array,
    expect_raises,
    expect_tuple,
    fail,
    make_rng,
    tolerance,
)
from ._shared import ZCA_FORBIDDEN, _cloud, _details

__all__ = ["check_zca_whitening_matrix"]


# ---------------------------------------------------------------------------------------
# zca_whitening_matrix
# ---------------------------------------------------------------------------------------


def _zca_mistakes(X, eps):
    X = X.astype(np.float64)
    n = X.shape[0]
    c = X - X.mean(0)
    C = c.T @ c / n
    lam, U = np.linalg.eigh(C)
    lam = np.maximum(lam, 0)

    def sym(scale, U=U):
        return (U * scale) @ U.T

    lam_u, U_u = np.linalg.eigh(c.T @ c / (n - 1))
    lam_raw, U_raw = np.linalg.eigh(X.T @ X / n)
    return [
        ("the eigenvectors were taken as the rows of U. np.linalg.eigh returns them as its "
         "columns (U[:, k] goes with lam[k]), so W = U diag(1 / sqrt(lam + eps)) U^T; "
         "U^T diag(...) U, or a sum over the rows U[k], is symmetric too but does not whiten.",
         lambda: (U.T * (1 / np.sqrt(lam + eps))) @ U),
        ("eps was added outside the square root: use 1 / sqrt(lam + eps), not "
         "1 / (sqrt(lam) + eps).", lambda: sym(1 / (np.sqrt(lam) + eps))),
        ("the eps argument was ignored: the default 1e-5 was used.",
         lambda: sym(1 / np.sqrt(lam + 1e-5))),
        ("eps was left out: 1 / sqrt(lam) instead of 1 / sqrt(lam + eps).",
         lambda: sym(1 / np.sqrt(lam))),
        ("the square root is missing: U diag(1 / (lam + eps)) U^T is the inverse of the "
         "covariance, not its inverse square root.", lambda: sym(1 / (lam + eps))),
        ("the covariance divided by N - 1; use the population covariance (divide by N).",
         lambda: sym(1 / np.sqrt(np.maximum(lam_u, 0) + eps), U_u)),
        ("the covariance was taken of uncentered data (X.T @ X / N); subtract the mean first.",
         lambda: sym(1 / np.sqrt(np.maximum(lam_raw, 0) + eps), U_raw)),
        ("this normalizes each feature on its own (diag(1 / sqrt(var + eps))), which is what "
         "batch norm does; whitening also decorrelates the features, so W uses the whole "
         "covariance matrix.", lambda: np.diag(1 / np.sqrt(X.var(0) + eps))),
        ("the squared singular values of the centered data were used as eigenvalues without "
         "dividing by N: the covariance's eigenvalues are s**2 / N.",
         lambda: sym(1 / np.sqrt(lam * n + eps))),
        ("W whitens with the covariance itself (U diag(sqrt(lam + eps)) U^T): the exponent "
         "should be -1/2, not +1/2.", lambda: sym(np.sqrt(lam + eps))),
    ]


def _zca_cases(seed, rng, hidden):
    cases = []

    def add(label, X, eps=1e-5):
        cases.append((Case(label, seed, _details(X, **({} if eps == 1e-5 else {"eps": eps}))),
                      X, eps))

    add("random correlated data", _cloud(rng, 50, 3))
    add("float32 data", _cloud(rng, 200, 4, np.float32))
    add("eps passed by keyword (eps = 0.1)", _cloud(rng, 30, 3), 0.1)
    add("one feature (D = 1)", _cloud(rng, 12, 1))
    add("fewer examples than features (N = 5, D = 8): singular covariance", _cloud(rng, 5, 8))
    add("large offsets (mean 1e3)", _cloud(rng, 40, 3, loc=np.full(3, 1e3)))
    add("non-contiguous input X[:, ::2]", _cloud(rng, 60, 8)[:, ::2])
    if hidden:
        for n, d in ((20, 2), (100, 6), (3, 5)):
            add("random correlated data", _cloud(rng, n, d))
        add("float32, eps = 0.01", _cloud(rng, 120, 3, np.float32), 0.01)
        add("Fortran-ordered input", np.asfortranarray(_cloud(rng, 40, 5)))
    return cases


def _symmetric(W, rtol, atol):
    scale = max(1.0, float(np.abs(W).max()))
    return np.allclose(W, W.T, rtol=rtol, atol=atol * scale * 10)


def check_zca_whitening_matrix(student, seed=0, hidden=False):
    """Check ``zca_whitening_matrix(X, eps=1e-5) -> (mean, W)``.

    W must be the symmetric ``U diag(1 / sqrt(lam + eps)) U^T``; a W that whitens but is not
    symmetric is recognised as PCA whitening. Cases: correlated data, float32, an eps
    argument, D = 1, N < D (singular covariance, where eps keeps W finite), large offsets,
    non-contiguous input; ValueError for a 1-D X. With ``hidden=True``: more shapes and the
    property that ``(X - mean) @ W`` has covariance close to the identity.
    """
    seed, rng = make_rng(seed)
    for case, X, eps in _zca_cases(seed, rng, hidden):
        result = call_student(student, X, eps=eps, case=case, name="zca_whitening_matrix",
                              forbidden=ZCA_FORBIDDEN, arg_names=("X",))
        mean, W = expect_tuple(result, 2, case=case, name="zca_whitening_matrix",
                               what="(mean, W)")
        exp_mean, exp_W = ref.zca_whitening_matrix(X, eps=eps)
        X64 = X.astype(np.float64)
        expect_array(mean, exp_mean, case=case, what="mean", mistakes=[
            ("the mean was taken per row (axis=1); one mean per feature (axis=0).",
             lambda: X64.mean(1))])
        if isinstance(W, np.ndarray) and W.shape == exp_W.shape and np.all(np.isfinite(W)):
            _pca_or_asymmetric(W, X64, eps, case, *tolerance(X.dtype))
        if isinstance(W, np.ndarray) and W.shape == exp_W.shape and not np.all(np.isfinite(W)):
            if "singular" in case.label:
                fail(case, "W contains NaN or inf. With fewer examples than features the "
                           "covariance has zero eigenvalues (rank at most N - 1), so 1 / "
                           "sqrt(lam) divides by zero: eps inside the square root keeps it "
                           "finite (and eigenvalues that rounding makes slightly negative "
                           "should be clipped at 0).")
        r, a = tolerance(X.dtype)
        try:
            expect_array(W, exp_W, case=case, what="W", mistakes=_zca_mistakes(X, eps),
                         rtol=r * 5, atol=a * 5)
        except CheckFailure as failure:
            if "singular" in case.label and "Likely mistake" not in str(failure):
                raise CheckFailure(
                    f"{failure}\nLikely mistake: with fewer examples than features some "
                    "eigenvalues are 0 up to rounding (1e-17, or slightly negative), and "
                    "1 / sqrt(lam) turns that rounding noise into huge numbers. Put eps inside "
                    "the square root, 1 / sqrt(lam + eps), and clip negative eigenvalues at "
                    "0.") from None
            raise
    expect_raises(student, np.arange(6.0), case=Case("a 1-D X", seed, {"X.shape": (6,)}),
                  name="zca_whitening_matrix", why="X must be 2-D, (N, D)")
    if hidden:
        X = _cloud(rng, 400, 4, spread=3.0)
        case = Case("property: (X - mean) @ W has covariance close to the identity", seed,
                    _details(X))
        mean, W = call_student(student, X, case=case, name="zca_whitening_matrix")
        Z = (X - np.asarray(mean)) @ np.asarray(W)
        C = Z.T @ Z / len(Z)
        expect_array(C, np.eye(4), case=case, what="the covariance of the whitened data",
                     rtol=1e-4, atol=1e-4)


def _pca_or_asymmetric(W, X, eps, case, rtol, atol):
    """Name PCA whitening (or any non-symmetric W) whatever its eigenvector order and signs."""
    if _symmetric(W.astype(np.float64), rtol, atol):
        return
    c = X - X.mean(0)
    C = c.T @ c / len(X) + eps * np.eye(X.shape[1])
    W = W.astype(np.float64)
    whitens = np.allclose(W.T @ C @ W, np.eye(len(C)), rtol=1e-3, atol=1e-3)
    if whitens:
        fail(case, "W whitens the data but is not symmetric: this is PCA whitening, "
                   "U diag(1 / sqrt(lam + eps)), which also rotates the data onto the "
                   "eigenvectors. ZCA rotates back: W = U diag(1 / sqrt(lam + eps)) U^T. It is "
                   "the one whitening that keeps the data as close as possible to the original "
                   "(the whitened features still line up with the old ones).")
    fail(case, "W is not symmetric. ZCA's W = U diag(1 / sqrt(lam + eps)) U^T is: check that "
               "you multiply by U on the left and by U.T on the right, with U's columns the "
               "eigenvectors (np.linalg.eigh returns them as columns).")
