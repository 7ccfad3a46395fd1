"""Do the notebook 02 checks reject the mistakes students make and accept any right answer?"""

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure, check_bias_drift, check_covariance, check_fraction_near_linear,
    check_zca_whitening_matrix,
)

from tests.helpers import accepted

pytestmark = pytest.mark.nb02


def _rejects(check, student, words, seed=0):
    with pytest.raises(CheckFailure) as info:
        check(student, seed=seed, hidden=True)
    message = str(info.value)
    assert message.startswith("case '"), message
    for w in [words] if isinstance(words, str) else words:
        assert w in message, message
    return message


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


# ---- bias_drift ----------------------------------------------------------------------------

def drift_right(u, t, lr, n_steps):
    u = np.asarray(u)
    b = 0.0
    bs, losses = [], []
    for _ in range(n_steps + 1):
        x = u + b
        x_hat = x - x.mean()
        bs.append(b)
        losses.append(0.5 * np.sum((x_hat - t) ** 2))
        b = b - lr * np.sum(x_hat - t)
    return np.array(bs, dtype=u.dtype), np.array(losses, dtype=u.dtype)


def drift_closed_form(u, t, lr, n_steps):
    """Knows the answer: b_k = k * lr * sum(t), the loss never changes (float64 inside)."""
    u64 = np.asarray(u, dtype=np.float64)
    t64 = np.broadcast_to(np.asarray(t, dtype=np.float64), u64.shape)
    b = lr * t64.sum() * np.arange(n_steps + 1)
    loss = np.full(n_steps + 1, 0.5 * np.sum((u64 - u64.mean() - t64) ** 2))
    return b.astype(np.asarray(u).dtype), loss.astype(np.asarray(u).dtype)


def drift_torch(u, t, lr, n_steps):
    """torch autograd with the mean detached: the gradient that ignores mean(x)'s dependence."""
    ut = torch.from_numpy(np.ascontiguousarray(u))
    tt = torch.as_tensor(t, dtype=ut.dtype)
    b = torch.zeros((), dtype=ut.dtype, requires_grad=True)
    bs, losses = [], []
    for k in range(n_steps + 1):
        x = ut + b
        loss = 0.5 * ((x - x.mean().detach() - tt) ** 2).sum()
        bs.append(b.item())
        losses.append(loss.item())
        if k < n_steps:
            loss.backward()
            with torch.no_grad():
                b -= lr * b.grad
            b.grad = None
    return np.array(bs, dtype=u.dtype), np.array(losses, dtype=u.dtype)


test_right_bias_drift_accepted = accepted(
    check_bias_drift, [drift_right, drift_closed_form, drift_torch], [0, 7, None],
    """Is any correct bias_drift accepted (a loop, the closed form, torch autograd)?""")


def _drift(update="sum", sign=-1.0, loss="sum", half=0.5, center=True, initial=True,
           extra=False, true_gradient=False):
    def bias_drift(u, t, lr, n_steps):
        u = np.asarray(u)
        b = 0.0
        bs, losses = [], []

        def record(b):
            x = u + b
            x_hat = x - x.mean() if center else x
            err = (x_hat - t) ** 2
            bs.append(b)
            losses.append(half * (err.sum() if loss == "sum" else err.mean()))

        if initial:
            record(b)
        for _ in range(n_steps):
            x = u + b
            x_hat = x - x.mean() if center else x
            g = np.sum(x_hat - t) if update == "sum" else np.mean(x_hat - t)
            if true_gradient:
                g = np.sum((x_hat - t) * (1 - 1))  # d x_hat / d b = 1 - d mean / d b = 0
            b = b + sign * lr * g
            record(b)
        if extra:
            record(b)
        return np.array(bs, dtype=u.dtype), np.array(losses, dtype=u.dtype)
    return bias_drift


DRIFT_MISTAKES = [
    (_drift(true_gradient=True), "true gradient"),
    (_drift(sign=1.0), "wrong way"),
    (_drift(update="mean"), "update uses mean(x_hat - t)"),
    (_drift(loss="mean"), "the loss uses a mean"),
    (_drift(half=1.0), "missing the factor 0.5"),
    (_drift(center=False), "mean was not subtracted"),
    (_drift(initial=False), "one too few"),
    (_drift(extra=True), "one too many"),
    (lambda u, t, lr, n_steps: drift_right(u, t, lr, n_steps)[0], "(b_history, loss_history)"),
    (lambda u, t, lr, n_steps: ref.bias_drift(u, t, lr, n_steps), "course_utils.reference"),
]


@pytest.mark.parametrize("student, words", DRIFT_MISTAKES,
                         ids=[str(w) for _, w in DRIFT_MISTAKES])
def test_bias_drift_mistakes_rejected(student, words):
    """Is each bias-drift mistake rejected with a message that names it?"""
    _rejects(check_bias_drift, student, words)


def test_bias_drift_in_place_rejected():
    """Is a bias_drift that adds b into u in place rejected?"""
    def in_place(u, t, lr, n_steps):
        u = np.asarray(u)
        bs, losses, b = [], [], 0.0
        for k in range(n_steps + 1):
            x_hat = u - u.mean()
            bs.append(b)
            losses.append(0.5 * np.sum((x_hat - t) ** 2))
            step = -lr * np.sum(x_hat - t)
            u += step
            b += step
        return np.array(bs, dtype=u.dtype), np.array(losses, dtype=u.dtype)
    _rejects(check_bias_drift, in_place, "in place")


# ---- fraction_near_linear ------------------------------------------------------------------

def _nonempty(z):
    z = np.asarray(z)
    if z.size == 0:
        raise ValueError("z is empty")
    return z


def frac_right(z, tol=0.01):
    z = _nonempty(z)
    s = 1 / (1 + np.exp(-z))  # overflows (with a warning) for z < -709: still right
    return float(np.mean(np.abs(s - (0.5 + z / 4)) < tol))


def frac_loops_float32(z, tol=0.01):
    z = _nonempty(z).ravel()
    inside = 0
    for v in z:
        s = 0.5 * (1 + np.tanh(np.float32(v) / 2))
        inside += abs(s - (0.5 + v / 4)) < tol
    return inside / len(z)


def frac_numpy_scalar(z, tol=0.01):
    z = _nonempty(z)
    return np.count_nonzero(np.abs(0.5 * (1 + np.tanh(z / 2)) - 0.5 - z / 4) < tol) / z.size


test_right_fraction_accepted = accepted(
    check_fraction_near_linear, [frac_right, frac_loops_float32, frac_numpy_scalar], [0, 11, None],
    """Is any correct fraction_near_linear accepted (float32 inside, numpy scalars too)?""")


def _frac(gap):
    def fraction_near_linear(z, tol=0.01):
        z = _nonempty(z).astype(np.float64)
        return float(np.mean(gap(z, 1 / (1 + np.exp(-z)), tol)))
    return fraction_near_linear


FRAC_MISTAKES = [
    (_frac(lambda z, s, tol: np.abs(s - (0.5 + z / 2)) < tol), "slope 1/2"),
    (_frac(lambda z, s, tol: np.abs(s - (0.5 + z)) < tol), "slope 1"),
    (_frac(lambda z, s, tol: np.abs(s - z / 4) < tol), "without the 0.5"),
    (_frac(lambda z, s, tol: np.abs(np.tanh(z) - (0.5 + z / 4)) < tol), "tanh"),
    (_frac(lambda z, s, tol: s - (0.5 + z / 4) < tol), "absolute value is missing"),
    (_frac(lambda z, s, tol: np.abs(s - (0.5 + z / 4)) >= tol), "outside"),
    (_frac(lambda z, s, tol: np.abs(s - (0.5 + z / 4)) < 0.01), "default tol"),
    (lambda z, tol=0.01: float(np.sum(np.abs(1 / (1 + np.exp(-_nonempty(z))) - 0.5
                                             - _nonempty(z) / 4) < tol)), "count"),
    (lambda z, tol=0.01: np.abs(1 / (1 + np.exp(-_nonempty(z))) - 0.5 - _nonempty(z) / 4) < tol,
     "one number"),
    (lambda z, tol=0.01: frac_right(z, tol) if np.size(z) else 0.0, "should raise ValueError"),
]


@pytest.mark.parametrize("student, words", FRAC_MISTAKES,
                         ids=[str(w) for _, w in FRAC_MISTAKES])
def test_fraction_mistakes_rejected(student, words):
    """Is each mistake about the sigmoid's linear regime rejected with a message naming it?"""
    _rejects(check_fraction_near_linear, student, words)


def test_fraction_wrong_in_the_seventh_digit_reads_as_two_different_numbers():
    """Off by 1e-7, does the message show two different fractions (not "0.5705, got 0.5705")
    and how far apart they are?"""
    message = _rejects(check_fraction_near_linear, lambda z, tol=0.01: frac_right(z, tol) + 1e-7,
                       "the fraction is wrong")
    expected, got = message.split("expected ", 1)[1].split(" (")[0].split(", got ")
    assert expected != got and abs(float(got) - float(expected) - 1e-7) < 1e-9, message
    assert "relative difference" in message, message
    assert "Likely mistake" not in message, message  # the default tol is right here: no hint


def _memorised():
    import course_utils.checks.whitening.fraction_near_linear as cw
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    return {(z.tobytes(), tol): ref.fraction_near_linear(z, tol)
            for _, z, tol in cw._fraction_cases(seed, rng, hidden=False)}


_MEMO = _memorised()


def frac_hard_coded(z, tol=0.01):
    z = _nonempty(z)
    return _MEMO.get((z.tobytes(), tol), 0.5)


def test_hard_coded_answers_pass_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    check_fraction_near_linear(frac_hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_fraction_near_linear(frac_hard_coded, seed=999, hidden=True)


# ---- the reference and the model answers, at many seeds ------------------------------------

SEEDS = [0, 1, 2, 3, 7, 11, 2024, None, None, None]
CHECKS = {"covariance": check_covariance, "zca_whitening_matrix": check_zca_whitening_matrix,
          "bias_drift": check_bias_drift, "fraction_near_linear": check_fraction_near_linear}


@pytest.mark.parametrize("name", list(CHECKS))
@pytest.mark.parametrize("source", ["reference", "model answer"])
def test_reference_and_model_answers_pass_at_every_seed(name, source):
    """Do a pasted copy of the reference and notebook 02's model answers pass every check, at
    fixed and fresh seeds (float32 cases included)?"""
    from tests.pasted import model_answers, pasted_reference

    space = (pasted_reference("whitening") if source == "reference"
             else model_answers("02_whitening_pitfalls"))
    for seed in SEEDS:
        CHECKS[name](space[name], seed=seed, hidden=True)
