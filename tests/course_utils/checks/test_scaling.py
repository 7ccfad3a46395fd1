"""Do the notebook 01 checks reject the mistakes students make and accept any right answer?"""

import numpy as np
import pytest
import torch
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure, check_apply_standardizer, check_fit_standardizer, check_gd_linear_regression,
    check_min_max_scale, check_standardize,
)

from tests.helpers import accepted

pytestmark = pytest.mark.nb01


def _matrix(X):
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError("X must be (N, D)")
    return X


def _rejects(check, student, words, seed=0):
    with pytest.raises(CheckFailure) as info:
        check(student, seed=seed, hidden=True)
    message = str(info.value)
    assert message.startswith("case '"), message
    for w in [words] if isinstance(words, str) else words:
        assert w in message, message
    return message


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


# ---- gd_linear_regression ------------------------------------------------------------------

def _xy(X, y):
    X, y = _matrix(X), np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError("y needs one value per row of X")
    return X, y


def gd_right(X, y, lr, n_steps):
    X, y = _xy(X, y)
    n = len(y)
    w, b, losses = np.zeros(X.shape[1], X.dtype), 0.0, []
    for _ in range(n_steps):
        r = X @ w + b - y
        losses.append(0.5 * np.mean(r**2))
        w = w - lr * X.T @ r / n
        b = b - lr * r.mean()
    return w, b, np.array(losses, dtype=X.dtype)


def gd_augmented(X, y, lr, n_steps):
    """Bias as a column of ones, gradient as one matrix product, float64 inside."""
    X, y = _xy(X, y)
    A = np.hstack([X.astype(np.float64), np.ones((len(y), 1))])
    theta = np.zeros(A.shape[1])
    losses = np.empty(n_steps)
    for k in range(n_steps):
        r = A @ theta - y
        losses[k] = r @ r / (2 * len(y))
        theta -= lr / len(y) * (A.T @ r)
    return theta[:-1].astype(X.dtype), float(theta[-1]), losses.astype(X.dtype)


test_right_gd_accepted = accepted(
    check_gd_linear_regression, [gd_right, gd_augmented], [0, 5, None],
    """Is a correct gradient descent accepted, however it is written?""")


def _gd_variant(record="before", div="mean", half=0.5, update_b=True, sequential=False,
                factor=1.0, extra_loss=False, sign=-1.0):
    def gd_linear_regression(X, y, lr, n_steps):
        X, y = _xy(X, y)
        n = len(y) if div == "mean" else 1
        w, b, losses = np.zeros(X.shape[1], X.dtype), 0.0, []
        for _ in range(n_steps):
            r = X @ w + b - y
            if record == "before":
                losses.append(half * np.mean(r**2))
            w = w + sign * lr * factor * X.T @ r / n
            if update_b:
                if sequential:
                    r = X @ w + b - y
                b = b + sign * lr * factor * r.sum() / n
            if record == "after":
                losses.append(half * np.mean((X @ w + b - y) ** 2))
        if extra_loss:
            losses.append(half * np.mean((X @ w + b - y) ** 2))
        return w, b, np.array(losses, dtype=X.dtype)
    return gd_linear_regression


def gd_torch(X, y, lr, n_steps):
    X, y = _xy(X, y)
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(y)
    w = torch.zeros(X.shape[1], dtype=Xt.dtype, requires_grad=True)
    b = torch.zeros((), dtype=Xt.dtype, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(n_steps):
        opt.zero_grad()
        loss = 0.5 * torch.nn.functional.mse_loss(Xt @ w + b, yt)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return w.detach().numpy(), b.item(), np.array(losses, dtype=X.dtype)


GD_MISTAKES = [
    (_gd_variant(record="after"), "loss was recorded after each step"),
    (_gd_variant(extra_loss=True), "one too many"),
    (_gd_variant(div="sum"), ["diverged", "summed over the examples"]),
    (_gd_variant(factor=2.0), "extra factor 2"),
    (_gd_variant(half=1.0), "missing the factor 0.5"),
    (_gd_variant(update_b=False), "b is never updated"),
    (_gd_variant(sequential=True), "recomputed after w changed"),
    (_gd_variant(sign=1.0), "diverged"),
    (lambda X, y, lr, n_steps: _gd_variant()(X, y, lr, n_steps)[:2], "should return (w, b, "),
    (lambda X, y, lr, n_steps: gd_right(X, np.broadcast_to(y, (len(y),)), lr, n_steps)
     if np.shape(X)[0] == np.shape(y)[0] else gd_right(X, y[:1].repeat(len(X)), lr, n_steps),
     "should raise ValueError"),
]


@pytest.mark.parametrize("student, words", GD_MISTAKES, ids=[str(w) for _, w in GD_MISTAKES])
def test_gd_mistakes_rejected(student, words):
    """Is each gradient-descent mistake rejected with a message that names it?"""
    _rejects(check_gd_linear_regression, student, words)


def test_gd_float64_losses_for_float32_data_rejected():
    """Is a float32 problem answered with float64 losses told about the dtype?"""
    def wrong_dtype(X, y, lr, n_steps):
        w, b, losses = gd_right(X, y, lr, n_steps)
        return w, b, losses.astype(np.float64)
    _rejects(check_gd_linear_regression, wrong_dtype, "dtype float64, expected float32")


def test_gd_with_torch_autograd_is_a_right_answer():
    """torch autograd is not a shortcut here (no single built-in does the exercise): accepted?"""
    check_gd_linear_regression(gd_torch, seed=0)


def _memorised_answers():
    import course_utils.checks.scaling.min_max as cs
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    memo = {}
    for _, X, low, high in cs._min_max_cases(seed, rng, hidden=False):
        memo[X.tobytes()] = ref.min_max_scale(X, 0.0 if low is None else low,
                                              1.0 if high is None else high)
    return memo


_MEMO = _memorised_answers()


def hard_coded(X, low=0.0, high=1.0):
    _range(low, high)
    X = _matrix(X)
    return _MEMO.get(X.tobytes(), np.zeros_like(X)).copy()


def test_hard_coded_answers_pass_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    check_min_max_scale(hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_min_max_scale(hard_coded, seed=4242, hidden=True)


def test_failure_is_reproducible_from_its_seed():
    """Does a failure with a fresh seed report the seed, and fail again with it?"""
    wrong = STD_MISTAKES[0][0]
    with pytest.raises(CheckFailure) as info:
        check_standardize(wrong, seed=None)
    seed = int(str(info.value).split("seed ")[1].split(",")[0].split(")")[0])
    with pytest.raises(CheckFailure):
        check_standardize(wrong, seed=seed)


# ---- the reference and the model answers, at many seeds ------------------------------------

SEEDS = [0, 1, 2, 3, 7, 11, 2024, None, None, None]
CHECKS = {"min_max_scale": check_min_max_scale, "standardize": check_standardize,
          "fit_standardizer": check_fit_standardizer,
          "apply_standardizer": check_apply_standardizer,
          "gd_linear_regression": check_gd_linear_regression}


@pytest.mark.parametrize("name", list(CHECKS))
@pytest.mark.parametrize("source", ["reference", "model answer"])
def test_reference_and_model_answers_pass_at_every_seed(name, source):
    """Do a pasted copy of the reference and notebook 01's model answers pass every check, at
    fixed and fresh seeds (float32 cases included)?"""
    from tests.pasted import model_answers, pasted_reference

    space = (pasted_reference("scaling") if source == "reference"
             else model_answers("01_standardization_vs_normalization"))
    for seed in SEEDS:
        CHECKS[name](space[name], seed=seed, hidden=True)
