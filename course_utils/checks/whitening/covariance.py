"""``check_covariance`` (notebook 02) with its catalogue of named mistakes and the
properties of every population covariance.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, CheckFailure, call_student, expect_array, expect_raises, fail, make_rng
from ._shared import COV_FORBIDDEN, _cloud, _details

__all__ = ["check_covariance"]


# ---------------------------------------------------------------------------------------
# covariance
# ---------------------------------------------------------------------------------------


def _cov_mistakes(X):
    X = X.astype(np.float64)
    n = X.shape[0]
    c = X - X.mean(0)
    return [
        ("divided by N - 1 (the sample covariance, np.cov's default); the population "
         "covariance divides by N (np.cov(X, rowvar=False, bias=True)).",
         lambda: c.T @ c / (n - 1)),
        ("the mean was not subtracted: E[xx^T] alone is the second moment; the covariance "
         "is E[xx^T] - E[x]E[x]^T.", lambda: X.T @ X / n),
        ("the product is X @ X.T, an (N, N) matrix of examples; the covariance of the "
         "features is X.T @ X (D, D) on centered data.", lambda: c @ c.T / n),
        ("rows were treated as the variables (np.cov's default rowvar=True); here rows are "
         "examples: pass rowvar=False, or use X.T @ X.", lambda: np.cov(X, bias=True)),
        ("rows were treated as the variables and N - 1 used.", lambda: np.cov(X)),
        ("divided by D (the number of features) instead of N (the number of examples).",
         lambda: c.T @ c / X.shape[1]),
        ("only the diagonal (the variances) was kept; the covariance also has the "
         "off-diagonal terms Cov[x_i, x_j].", lambda: np.diag(X.var(0))),
    ]


def _cov_cases(seed, rng, hidden):
    cases = [
        ("random correlated data", _cloud(rng, 10, 4)),
        ("float32 data", _cloud(rng, 16, 3, np.float32)),
        ("one feature (D = 1)", _cloud(rng, 7, 1)),
        ("two examples (N = 2)", _cloud(rng, 2, 3)),
        ("fewer examples than features (N = 5, D = 8)", _cloud(rng, 5, 8)),
        ("large offsets (mean 1e6)", _cloud(rng, 12, 3, loc=np.full(3, 1e6))),
        ("non-contiguous input X[:, ::2]", _cloud(rng, 9, 8)[:, ::2]),
    ]
    if hidden:
        cases += [("random correlated data", _cloud(rng, n, d)) for n, d in ((3, 2), (60, 5),
                                                                          (25, 12))]
        cases += [("float32, large spread", _cloud(rng, 20, 4, np.float32, spread=30.0)),
                  ("Fortran-ordered input", np.asfortranarray(_cloud(rng, 11, 6)))]
    return [(Case(label, seed, _details(X)), X) for label, X in cases]


def check_covariance(student, seed=0, hidden=False):
    """Check ``covariance(X) -> (D, D)``, the population covariance of the columns of X.

    Cases: random correlated data, float32, D = 1, N = 2, N < D, large offsets,
    non-contiguous input; ValueError for a 1-D X and for a single example. ``np.cov`` is
    off limits (it is how you check yourself afterwards). With ``hidden=True``: more shapes
    and the properties (symmetric, positive semi-definite, ``cov(X @ A) = A.T cov(X) A``).
    """
    seed, rng = make_rng(seed)
    for case, X in _cov_cases(seed, rng, hidden):
        got = call_student(student, X, case=case, name="covariance", forbidden=COV_FORBIDDEN,
                           arg_names=("X",))
        try:
            expect_array(got, ref.covariance(X), case=case, what="the covariance",
                         mistakes=_cov_mistakes(X))
        except CheckFailure as failure:
            if "large offsets" in case.label and "Likely mistake" not in str(failure):
                raise CheckFailure(
                    f"{failure}\nLikely mistake: E[xx^T] - E[x]E[x]^T was computed as written. "
                    "With a mean near 1e6 both terms are near 1e12 and their difference (about "
                    "1) drowns in rounding. It is the same matrix as "
                    "(X - mean).T @ (X - mean) / N: center first, then multiply.") from None
            raise
    expect_raises(student, np.arange(5.0), case=Case("a 1-D X", seed, {"X.shape": (5,)}),
                  name="covariance", why="X must be 2-D, (N, D)")
    expect_raises(student, np.ones((1, 3)), case=Case("a single example", seed,
                                                      {"X.shape": (1, 3)}),
                  name="covariance", why="the covariance of one example is meaningless")
    if hidden:
        _cov_properties(student, seed, rng)


def _cov_properties(student, seed, rng):
    X = _cloud(rng, 30, 5)
    case = Case("property: symmetric and positive semi-definite", seed, _details(X))
    C = np.asarray(call_student(student, X, case=case, name="covariance"), dtype=np.float64)
    expect_array(C.T, C, case=case, what="the transpose of the covariance")
    lam_min = float(np.linalg.eigvalsh(C).min())
    if lam_min < -1e-9 * max(1.0, float(np.abs(C).max())):
        fail(case, f"the covariance has a negative eigenvalue ({lam_min:.3g}); a covariance "
                   "is positive semi-definite (w^T C w is a variance, never negative).")
    A = rng.normal(size=(5, 3))
    case = Case("property: cov(X @ A) = A.T @ cov(X) @ A", seed, {"X.shape": X.shape,
                                                                 "A.shape": A.shape})
    got = call_student(student, X @ A, case=case, name="covariance")
    expect_array(got, A.T @ C @ A, case=case, what="the covariance of X @ A")
