"""Do the notebook 03 checks reject the mistakes students make and accept any right answer?"""

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import CheckFailure, check_batchnorm_forward, check_identity_params
from tests.helpers import accepted

pytestmark = pytest.mark.nb03


def _validated(x):
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError("x must be (N, D) with N >= 2")
    return x


def _forward(normalize):
    """A forward pass whose normalization step is ``normalize(x, eps) -> (x_hat, mean, var)``."""
    def batchnorm_forward(x, gamma, beta, eps=1e-5):
        x = _validated(x)
        x_hat, mean, var = normalize(x, eps)
        out = gamma * x_hat + beta
        return out, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}
    return batchnorm_forward


def _right(x, eps):
    mean = x.mean(0)
    var = ((x - mean) ** 2).mean(0)
    return (x - mean) / np.sqrt(var + eps), mean, var


# ---- right answers, written differently ------------------------------------------------

def loops(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    n, d = x.shape
    out = np.empty_like(x)
    x_hat = np.empty_like(x)
    mean = np.empty(d, dtype=x.dtype)
    var = np.empty(d, dtype=x.dtype)
    for j in range(d):
        mean[j] = sum(x[i, j] for i in range(n)) / n
        var[j] = sum((x[i, j] - mean[j]) ** 2 for i in range(n)) / n
        for i in range(n):
            x_hat[i, j] = (x[i, j] - mean[j]) / np.sqrt(var[j] + eps)
            out[i, j] = gamma[j] * x_hat[i, j] + beta[j]
    return out, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}


def float64_inside(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    x64 = x.astype(np.float64)
    x_hat, mean, var = _right(x64, eps)
    out = (gamma * x_hat + beta).astype(x.dtype)
    return out, {"x_hat": x_hat.astype(x.dtype), "mean": mean.astype(x.dtype),
                 "var": var.astype(x.dtype), "gamma": gamma, "eps": eps, "extra": "fine"}


def with_np_var(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    mean, var = np.mean(x, axis=0, keepdims=True), np.var(x, axis=0, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    out = np.asarray(gamma * x_hat + beta, dtype=x.dtype)
    return out, {"x_hat": x_hat, "mean": mean.ravel(), "var": var.ravel(), "gamma": gamma,
                 "eps": eps}


test_right_forward_passes_accepted = accepted(
    check_batchnorm_forward, [loops, float64_inside, with_np_var, _forward(_right)], [0, 1, None],
    """Is any correct forward pass accepted, however it is written?""")


# ---- the catalogue of mistakes -----------------------------------------------------------

def _unbiased(x, eps):
    return (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps), x.mean(0), x.var(0, ddof=1)


def _eps_outside(x, eps):
    return (x - x.mean(0)) / (np.sqrt(x.var(0)) + eps), x.mean(0), x.var(0)


def _no_eps(x, eps):
    return (x - x.mean(0)) / np.sqrt(x.var(0)), x.mean(0), x.var(0)


def _default_eps(x, eps):
    return (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), x.mean(0), x.var(0)


def _no_sqrt(x, eps):
    return (x - x.mean(0)) / (x.var(0) + eps), x.mean(0), x.var(0)


def _per_row(x, eps):
    m, v = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    return (x - m) / np.sqrt(v + eps), x.mean(0), x.var(0)


def _global(x, eps):
    return (x - x.mean()) / np.sqrt(x.var() + eps), x.mean(0), x.var(0)


def _one_pass(x, eps):
    var = (x**2).mean(0) - x.mean(0) ** 2
    return (x - x.mean(0)) / np.sqrt(var + eps), x.mean(0), var


def _std_in_cache(x, eps):
    x_hat, mean, var = _right(x, eps)
    return x_hat, mean, np.sqrt(var)


def _upcast(x, eps):
    x_hat, mean, var = _right(x.astype(np.float64), eps)
    return x_hat, mean, var


def swapped(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    x_hat, mean, var = _right(x, eps)
    return beta * x_hat + gamma, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma,
                                   "eps": eps}


def no_beta(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    x_hat, mean, var = _right(x, eps)
    return gamma * x_hat, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}


def in_place(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    mean = x.mean(0)
    x -= mean
    var = (x**2).mean(0)
    x_hat = x / np.sqrt(var + eps)
    return gamma * x_hat + beta, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma,
                                  "eps": eps}


def stub(x, gamma, beta, eps=1e-5):
    raise NotImplementedError()


def crashes(x, gamma, beta, eps=1e-5):
    return x @ gamma.reshape(1, -1), {}


def returns_out_only(x, gamma, beta, eps=1e-5):
    return _forward(_right)(x, gamma, beta, eps)[0]


def returns_list(x, gamma, beta, eps=1e-5):
    out, cache = _forward(_right)(x, gamma, beta, eps)
    return out.tolist(), cache


def returns_tensor(x, gamma, beta, eps=1e-5):
    out, cache = _forward(_right)(x, gamma, beta, eps)
    return torch.from_numpy(out), cache


def returns_nan(x, gamma, beta, eps=1e-5):
    out, cache = _forward(_right)(x, gamma, beta, eps)
    out = out.copy()
    out[0, 0] = np.nan
    return out, cache


def missing_cache_key(x, gamma, beta, eps=1e-5):
    out, cache = _forward(_right)(x, gamma, beta, eps)
    del cache["var"]
    return out, cache


def calls_reference(x, gamma, beta, eps=1e-5):
    return ref.batchnorm_forward(x, gamma, beta, eps)


def calls_torch(x, gamma, beta, eps=1e-5):
    out = torch.nn.functional.batch_norm(torch.from_numpy(x), None, None,
                                         torch.from_numpy(np.asarray(gamma)),
                                         torch.from_numpy(np.asarray(beta)), training=True,
                                         eps=eps)
    return out.numpy(), _forward(_right)(x, gamma, beta, eps)[1]


def no_validation(x, gamma, beta, eps=1e-5):
    x_hat, mean, var = _right(np.asarray(x), eps)
    return gamma * x_hat + beta, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma,
                                  "eps": eps}


def _memorise_visible_answers():
    """The answers to the visible test (seed 0), as a student could copy them out."""
    import course_utils.checks.bn_forward as cb
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    return {x.tobytes(): ref.batchnorm_forward(x, g, b, e)
            for _, x, g, b, e in cb._forward_cases(seed, rng, hidden=False)}


_MEMO = _memorise_visible_answers()


def hard_coded(x, gamma, beta, eps=1e-5):
    """Returns memorised answers; raises ValueError otherwise, like a validating function."""
    if np.asarray(x).shape[0] < 2:
        raise ValueError("batch of one")
    out, cache = _MEMO.get(np.asarray(x).tobytes(), (np.zeros_like(x), {}))
    return out.copy(), dict(cache)


MISTAKES = [
    (_forward(_unbiased), "unbiased variance"),
    (_forward(_eps_outside), "eps was added outside the square root"),
    (_forward(_no_eps), "eps was left out"),
    (_forward(_default_eps), "eps argument was ignored"),
    (_forward(_no_sqrt), "missing square root"),
    (_forward(_per_row), "per row"),
    (_forward(_global), "whole array"),
    (_forward(_one_pass), "mean(x**2) - mean(x)**2"),
    (_forward(_std_in_cache), "cache['var'] holds the standard deviation"),
    (_forward(_upcast), "dtype float64, expected float32"),
    (swapped, "gamma and beta are swapped"),
    (no_beta, "beta was not added"),
    (in_place, "changed its input `x` in place"),
    (stub, "not written yet"),
    (crashes, "raised ValueError"),
    (returns_out_only, "should return (out, cache)"),
    (returns_list, "should be a numpy ndarray"),
    (returns_tensor, "torch tensor"),
    (returns_nan, "NaN"),
    (missing_cache_key, "missing key(s) ['var']"),
    (calls_reference, "course_utils.reference"),
    (calls_torch, "torch's batch_norm"),
    (no_validation, "should raise ValueError"),
]


@pytest.mark.parametrize("student, words", MISTAKES, ids=[w for _, w in MISTAKES])
def test_mistake_rejected_with_a_message_that_names_it(student, words):
    """Is each common mistake rejected, with a message that names the case and the mistake?"""
    with pytest.raises(CheckFailure) as info:
        check_batchnorm_forward(student, seed=0, hidden=True)
    message = str(info.value)
    assert words in message, message
    assert message.startswith("case '"), message


def test_hard_coded_answers_pass_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    check_batchnorm_forward(hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_batchnorm_forward(hard_coded, seed=3141, hidden=True)


def test_failure_is_reproducible_from_its_seed():
    """Does a failure with a fresh seed report the seed, and fail again with it?"""
    with pytest.raises(CheckFailure) as info:
        check_batchnorm_forward(_forward(_unbiased), seed=None)
    seed = int(str(info.value).split("seed ")[1].split(",")[0].split(")")[0])
    with pytest.raises(CheckFailure):
        check_batchnorm_forward(_forward(_unbiased), seed=seed)


# ---- identity_params ---------------------------------------------------------------------

def identity_right(x, eps=1e-5):
    x = np.asarray(x)
    return np.sqrt(x.var(0) + eps).astype(x.dtype), x.mean(0).astype(x.dtype)


def identity_loops(x, eps=1e-5):
    n, d = x.shape
    gamma, beta = np.zeros(d, x.dtype), np.zeros(d, x.dtype)
    for j in range(d):
        beta[j] = sum(x[:, j]) / n
        gamma[j] = np.sqrt(sum((x[:, j] - beta[j]) ** 2) / n + eps)
    return gamma, beta


@pytest.mark.parametrize("student", [identity_right, identity_loops])
def test_right_identity_params_accepted(student):
    """Is a correct identity_params accepted?"""
    check_identity_params(student, seed=0, hidden=True)
    check_identity_params(student, seed=None, hidden=True)


IDENTITY_MISTAKES = [
    (lambda x, eps=1e-5: (x.std(0), x.mean(0)), "eps was left out"),
    (lambda x, eps=1e-5: (x.var(0) + eps, x.mean(0)), "gamma is the variance"),
    (lambda x, eps=1e-5: (np.sqrt(x.var(0, ddof=1) + eps), x.mean(0)), "unbiased"),
    (lambda x, eps=1e-5: (np.ones(x.shape[1]), np.zeros(x.shape[1])), "undoes nothing"),
    (lambda x, eps=1e-5: (np.sqrt(x.var(0) + eps), np.zeros(x.shape[1])), "beta = 0"),
    (lambda x, eps=1e-5: (x.mean(0), np.sqrt(x.var(0) + eps)), "gamma is wrong"),
]


@pytest.mark.parametrize("student, words", IDENTITY_MISTAKES, ids=[w for _, w in IDENTITY_MISTAKES])
def test_identity_mistakes_rejected(student, words):
    """Are wrong identity parameters rejected with a message naming the mistake?"""
    with pytest.raises(CheckFailure) as info:
        check_identity_params(student, seed=0)
    assert words in str(info.value), str(info.value)


# ---- messages that tell close numbers apart ------------------------------------------------

def _numbers_in(message, after):
    """The two numbers of "expected A, got B" that follow ``after`` in a message."""
    import re

    tail = message.split(after, 1)[1]
    found = re.search(r"expected (\S+), got (\S+?)[ ,.)]", tail)
    assert found, message
    return found.group(1), found.group(2)


def test_output_wrong_beyond_the_sixth_digit_reads_as_two_different_numbers():
    """When out is off by 4e-6 (so the numbers may agree to six digits), does the message
    show two different numbers, and no mistake that does not fit?"""
    def slightly_off(x, gamma, beta, eps=1e-5):
        out, cache = _forward(_right)(x, gamma, beta, eps)
        return out + 4e-6, cache
    with pytest.raises(CheckFailure) as info:
        check_batchnorm_forward(slightly_off, seed=0)
    message = str(info.value)
    expected, got = _numbers_in(message, "largest error")
    assert expected != got, message
    if f"{float(expected):.6g}" == f"{float(got):.6g}":
        assert "relative difference" in message, message
    assert "Likely mistake" not in message, message


# ---- the reference and the model answers, at many seeds ------------------------------------

SEEDS = [0, 1, 2, 3, 7, 11, 2024, None, None, None]
CHECKS = {"batchnorm_forward": check_batchnorm_forward, "identity_params": check_identity_params}


@pytest.mark.parametrize("name", list(CHECKS))
@pytest.mark.parametrize("source", ["reference", "model answer"])
def test_reference_and_model_answers_pass_at_every_seed(name, source):
    """Do a pasted copy of the reference and notebook 03's model answers pass every check, at
    fixed and fresh seeds (float32 cases included)?"""
    from tests.pasted import model_answers, pasted_reference

    space = (pasted_reference("bn_forward") if source == "reference"
             else model_answers("03_bn_forward"))
    for seed in SEEDS:
        CHECKS[name](space[name], seed=seed, hidden=True)
