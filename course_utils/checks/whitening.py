"""Checks for notebook 02: ``covariance``, ``zca_whitening_matrix``, ``bias_drift`` and
``fraction_near_linear``."""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from ._core import (
    Case, CheckFailure, call_student, diagnose, expect_array, expect_raises, expect_tuple,
    expected_got, fail, make_rng, tolerance,
)

__all__ = ["check_covariance", "check_zca_whitening_matrix", "check_bias_drift",
           "check_fraction_near_linear"]

#: The one-line library versions of the exercises.
COV_FORBIDDEN = {"numpy": {"cov", "corrcoef"}, "torch": {"cov", "corrcoef"}}
ZCA_FORBIDDEN = {"torch": {"cov"}}


def _cloud(rng, n, d, dtype=np.float64, loc=None, spread=1.0):
    """Correlated data: standard normal rows stretched (by 0.3 to 3) and rotated, plus offsets.

    The covariance is ``spread**2 * R^T diag(s**2) R``: correlated, and conditioned well
    enough (condition number at most 100) that eps hardly matters when N > D.
    """
    loc = rng.uniform(-3, 3, size=d) if loc is None else loc
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    mix = (rng.uniform(0.3, 3.0, size=d)[:, None] * rotation) * spread
    return (loc + rng.standard_normal((n, d)) @ mix).astype(dtype)


def _details(X, **more):
    return {"X.shape": X.shape, "dtype": X.dtype.name, **more}


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


# ---------------------------------------------------------------------------------------
# bias_drift
# ---------------------------------------------------------------------------------------


def _drift(u, t, lr, n_steps, *, center=True, grad="sum", sign=-1.0, loss="sum", half=True,
           initial=True, true_gradient=False):
    """The Section 2 loop written the ways students write it (float64)."""
    u, t = np.asarray(u, np.float64), np.asarray(t, np.float64)
    b = 0.0
    bs, losses = [], []

    def state(b):
        x = u + b
        x_hat = x - x.mean() if center else x
        err = x_hat - t
        value = np.sum(err**2) if loss == "sum" else np.mean(err**2)
        return x_hat, (0.5 if half else 1.0) * value

    if initial:
        bs.append(b)
        losses.append(state(b)[1])
    for _ in range(n_steps):
        x_hat, _ = state(b)
        err = x_hat - t
        g = 0.0 if true_gradient else (np.sum(err) if grad == "sum" else np.mean(err))
        b = b + sign * lr * g
        bs.append(b)
        losses.append(state(b)[1])
    return np.array(bs), np.array(losses)


def _drift_mistakes(u, t, lr, n_steps, part):
    def pick(**kw):
        return lambda: _drift(u, t, lr, n_steps, **kw)[part]
    return [
        ("b never moves: this is the true gradient, which counts mean(x)'s dependence on b "
         "and is exactly 0. The exercise (like the paper's Section 2) asks for the gradient "
         "that ignores it: b -= lr * sum(x_hat - t).", pick(true_gradient=True)),
        ("b moves the wrong way: gradient descent subtracts, b -= lr * sum(x_hat - t).",
         pick(sign=1.0)),
        ("the update uses mean(x_hat - t); the loss is a sum, so its gradient is "
         "sum(x_hat - t).", pick(grad="mean")),
        ("the loss uses a mean; the paper's example sums: 0.5 * sum((x_hat - t) ** 2).",
         pick(loss="mean")),
        ("the loss is missing the factor 0.5: 0.5 * sum((x_hat - t) ** 2).", pick(half=False)),
        ("x_hat = x: the mean was not subtracted. The example is about a normalization "
         "x_hat = x - mean(x) that the gradient step does not see.", pick(center=False)),
    ]


def _drift_cases(seed, rng, hidden):
    cases = []

    def add(label, u, t, lr, n_steps):
        details = {"u.shape": u.shape, "dtype": u.dtype.name,
                   "t": "scalar" if np.ndim(t) == 0 else f"shape {np.shape(t)}",
                   "lr": lr, "n_steps": n_steps}
        cases.append((Case(label, seed, details), u, t, lr, n_steps))

    def targets(n, dtype=np.float64):
        return (rng.normal(size=n) + rng.choice([-1, 1]) * rng.uniform(0.3, 1.0)).astype(dtype)

    add("random inputs and targets", rng.normal(size=6), targets(6), 0.1, 10)
    add("float32 inputs", rng.normal(size=8).astype(np.float32), targets(8, np.float32), 0.05, 12)
    add("a scalar target t", rng.normal(2, 1, size=5), float(rng.uniform(0.5, 2)), 0.2, 8)
    add("two inputs (N = 2)", rng.normal(size=2), targets(2), 0.1, 5)
    add("a single step (n_steps = 1)", rng.normal(size=4), targets(4), 0.3, 1)
    add("inputs with a large offset (mean 1e3)", rng.normal(1e3, 1, size=7), targets(7), 0.1, 6)
    add("non-contiguous u[::2]", rng.normal(size=14)[::2], targets(7), 0.1, 6)
    if hidden:
        add("many steps", rng.normal(size=10), targets(10), 0.05, 200)
        add("no steps (n_steps = 0)", rng.normal(size=5), targets(5), 0.1, 0)
        add("targets that sum to zero (b stays put)", rng.normal(size=6),
            np.array([1.0, -1.0, 0.5, -0.5, 2.0, -2.0]), 0.1, 10)
    return cases


def _check_histories(result, n_steps, case):
    b_hist, loss_hist = expect_tuple(result, 2, case=case, name="bias_drift",
                                     what="(b_history, loss_history)")
    for name, hist in (("b_history", b_hist), ("loss_history", loss_hist)):
        try:
            length = len(hist)
        except TypeError:
            fail(case, f"{name} should be an array of n_steps + 1 = {n_steps + 1} values, got "
                       f"{type(hist).__name__}.")
        if length == n_steps:
            fail(case, f"{name} has {length} values, one too few: it holds the value before "
                       f"the first step and after each of the {n_steps} steps "
                       f"(n_steps + 1 = {n_steps + 1} values).")
        if length == n_steps + 2:
            fail(case, f"{name} has {length} values, one too many: the value before the first "
                       f"step, then one after each step ({n_steps + 1} values).")
    return b_hist, loss_hist


def check_bias_drift(student, seed=0, hidden=False):
    """Check ``bias_drift(u, t, lr, n_steps) -> (b_history, loss_history)``.

    Both histories have ``n_steps + 1`` values (before the first step and after each).
    Cases: random u and t, float32, a scalar t, N = 2, one step, a large offset in u,
    non-contiguous input. With ``hidden=True``: many steps, no steps, targets summing to 0,
    and the properties (the loss stays constant; b moves by ``lr * sum(t)`` per step).
    """
    seed, rng = make_rng(seed)
    for case, u, t, lr, n_steps in _drift_cases(seed, rng, hidden):
        result = call_student(student, u, t, lr, n_steps, case=case, name="bias_drift",
                              arg_names=("u", "t"))
        b_hist, loss_hist = _check_histories(result, n_steps, case)
        exp_b, exp_loss = ref.bias_drift(u, t, lr, n_steps)
        expect_array(b_hist, exp_b, case=case, what="b_history",
                     mistakes=_drift_mistakes(u, t, lr, n_steps, 0))
        expect_array(loss_hist, exp_loss, case=case, what="loss_history",
                     mistakes=_drift_mistakes(u, t, lr, n_steps, 1))
    if hidden:
        u = rng.normal(size=9)
        t = rng.normal(size=9) + 0.7
        lr, n_steps = 0.02, 50
        case = Case("property: flat loss, b moving by lr * sum(t) every step", seed,
                    {"u.shape": u.shape, "lr": lr, "n_steps": n_steps})
        b_hist, loss_hist = _check_histories(
            call_student(student, u, t, lr, n_steps, case=case, name="bias_drift"), n_steps, case)
        expect_array(np.diff(np.asarray(b_hist, dtype=np.float64)),
                     np.full(n_steps, lr * t.sum()), case=case, what="the change of b per step")
        loss_hist = np.asarray(loss_hist, dtype=np.float64)
        expect_array(loss_hist, np.full(n_steps + 1, loss_hist[0]), case=case,
                     what="the loss over the steps (compared with its first value)")


# ---------------------------------------------------------------------------------------
# fraction_near_linear
# ---------------------------------------------------------------------------------------


def _gap(z):
    z = np.asarray(z, dtype=np.float64)
    return np.abs(0.5 * (1 + np.tanh(z / 2)) - (0.5 + z / 4))


def _fraction_mistakes(z, tol):
    z = np.asarray(z, dtype=np.float64)
    s = 0.5 * (1 + np.tanh(z / 2))
    return [
        ("the tangent line has slope 1/2; the sigmoid's slope at 0 is sigmoid(0) * (1 - "
         "sigmoid(0)) = 1/4, so the line is 0.5 + z / 4.",
         lambda: np.mean(np.abs(s - (0.5 + z / 2)) < tol)),
        ("the line 0.5 + z (slope 1) was used; the sigmoid's slope at 0 is 1/4.",
         lambda: np.mean(np.abs(s - (0.5 + z)) < tol)),
        ("the line z / 4 (without the 0.5 offset) was used: sigmoid(0) = 0.5.",
         lambda: np.mean(np.abs(s - z / 4) < tol)),
        ("tanh was compared with the line instead of the sigmoid.",
         lambda: np.mean(np.abs(np.tanh(z) - (0.5 + z / 4)) < tol)),
        ("the absolute value is missing: |sigmoid(z) - (0.5 + z / 4)| < tol.",
         lambda: np.mean(s - (0.5 + z / 4) < tol)),
        ("this is a count, not a fraction: divide by the number of entries (or use np.mean).",
         lambda: float(np.sum(np.abs(s - (0.5 + z / 4)) < tol))),
        ("this is the fraction *outside* the linear regime (1 minus the answer).",
         lambda: np.mean(np.abs(s - (0.5 + z / 4)) >= tol)),
        ("the default tol was used instead of the tol argument.",
         lambda: np.mean(np.abs(s - (0.5 + z / 4)) < 0.01)),
    ]


def _fraction_cases(seed, rng, hidden):
    cases = []

    def add(label, z, tol=0.01):
        details = {"z.shape": z.shape, "dtype": z.dtype.name}
        if tol != 0.01:
            details["tol"] = tol
        cases.append((Case(label, seed, details), z, tol))

    add("unit-normal inputs", rng.standard_normal(2000))
    add("float32 unit-normal inputs", rng.standard_normal(1000).astype(np.float32))
    add("wider inputs (std 3)", 3 * rng.standard_normal(1500))
    add("tol passed by keyword (tol = 0.05)", rng.standard_normal(1000), 0.05)
    add("a 2-D array of inputs", rng.standard_normal((30, 40)))
    add("all inputs near 0 (the answer is 1)", rng.uniform(-0.3, 0.3, size=50))
    add("very large inputs (|z| up to 1000)", rng.choice([-1, 1], 40) * rng.uniform(5, 1000, 40))
    add("a single input", np.array([0.1]))
    if hidden:
        add("shifted inputs (mean 2)", 2 + rng.standard_normal(1200))
        add("float32, tol = 0.001", rng.standard_normal(800).astype(np.float32), 0.001)
        add("a (N, C, H, W) array", rng.standard_normal((4, 3, 5, 5)))
    return cases


def check_fraction_near_linear(student, seed=0, hidden=False):
    """Check ``fraction_near_linear(z, tol=0.01) -> float``.

    Entries within rounding of the boundary ``|gap| = tol`` may fall either way, so the
    answer is accepted anywhere between the fractions with those entries out and in.
    Cases: unit-normal inputs, float32, std 3, a tol argument, a 2-D array, all near 0, very
    large |z| (where exp overflows if computed naively), one input; ValueError for an empty
    z. With ``hidden=True``: shifted inputs, a small tol, a 4-D array, and the property
    that the fraction shrinks as the inputs spread out.
    """
    seed, rng = make_rng(seed)
    for case, z, tol in _fraction_cases(seed, rng, hidden):
        got = call_student(student, z, tol=tol, case=case, name="fraction_near_linear",
                           arg_names=("z",))
        _expect_fraction(got, z, tol, case)
    expect_raises(student, np.array([]), case=Case("an empty z", seed),
                  name="fraction_near_linear", why="the fraction of no entries is undefined")
    if hidden:
        z = rng.standard_normal(3000)
        case = Case("property: the fraction shrinks as the inputs spread out", seed,
                    {"z.shape": z.shape, "scales": "1, 2, 4"})
        values = [float(call_student(student, s * z, case=case, name="fraction_near_linear"))
                  for s in (1.0, 2.0, 4.0)]
        if not values[0] > values[1] > values[2]:
            fail(case, f"the fractions for z, 2z and 4z are {values}; spreading the inputs "
                       "out pushes more of them into the curved tails, so they should shrink.")


def _expect_fraction(got, z, tol, case):
    if type(got).__module__.startswith("torch"):
        fail(case, "the result is a torch tensor; return a Python float.")
    if isinstance(got, np.ndarray) and got.size != 1:
        fail(case, f"the result should be one number (a fraction), got an array of shape "
                   f"{got.shape}. Average the True/False values with np.mean.")
    try:
        value = float(np.asarray(got).reshape(()))
    except (TypeError, ValueError):
        fail(case, f"the result should be a number, got {type(got).__name__}: {got!r:.80}")
    if not np.isfinite(value):
        fail(case, f"the result is {value}; a fraction is a number between 0 and 1.")
    gap = _gap(z)
    margin = 1e-6 if np.asarray(z).dtype == np.float32 else 1e-12
    low = float(np.mean(gap < tol - margin * max(1.0, tol)))
    high = float(np.mean(gap < tol + margin * max(1.0, tol)))
    if low - 1e-12 <= value <= high + 1e-12:
        return
    expected = ref.fraction_near_linear(z, tol)
    note = diagnose(np.asarray(value), _fraction_mistakes(z, tol), 1e-9, 1e-12,
                    np.asarray(expected))
    fail(case, f"the fraction is wrong: {expected_got(expected, value)} "
               f"({np.asarray(z).size} entries, tol {tol:g}).{note}")
