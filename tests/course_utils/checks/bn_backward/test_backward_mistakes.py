"""Do the backward checks of notebook 04 name the step a staged pass got wrong, and tell code
written for another course's cache what the cache holds?"""

import numpy as np
import pytest

from course_utils.checks import CheckFailure, check_batchnorm_backward, check_batchnorm_backward_alt
from tests.helpers import rejected

pytestmark = pytest.mark.nb04

_rejected = rejected


# ---- a staged pass wrong at one step: the message names the step ---------------------------

def staged_student(wrong=None, m_of=lambda dout: dout.shape[0]):
    """A staged backward pass as a student writes it, with one step done ``wrong``."""
    def batchnorm_backward(dout, cache):
        x_hat, var, gamma, eps = cache["x_hat"], cache["var"], cache["gamma"], cache["eps"]
        xmu = cache["x"] - cache["mean"]
        m = m_of(dout)
        eps = 1e-5 if wrong == "fixed eps" else eps
        std = np.sqrt(var + eps)
        istd = 1.0 / std
        dbeta = np.sum(dout, axis=0)
        dgamma = np.sum(dout * x_hat, axis=0)
        dx_hat = dout if wrong == "gamma forgotten" else dout * gamma
        if wrong == "x_hat for xmu":
            distd = np.sum(dx_hat * x_hat, axis=0)
        elif wrong == "istd not summed":
            distd = dx_hat * xmu
        elif wrong == "istd mean":
            distd = np.mean(dx_hat * xmu, axis=0)
        elif wrong == "istd axis 1":
            distd = np.sum(dx_hat * xmu, axis=1)
        else:
            distd = np.sum(dx_hat * xmu, axis=0)
        dxmu1 = dx_hat if wrong == "istd factor lost" else dx_hat * istd
        if wrong == "1/std not squared":
            dstd = -distd / std
        elif wrong == "1/std sign":
            dstd = distd / std**2
        else:
            dstd = -1.0 / std**2 * distd
        if wrong == "sqrt without 1/2":
            dvar = dstd / std
        elif wrong == "sqrt without eps":
            dvar = 0.5 / np.sqrt(var) * dstd
        elif wrong == "sqrt inverted":
            dvar = 2 * std * dstd
        else:
            dvar = 0.5 / np.sqrt(var + eps) * dstd
        if wrong == "mean without 1/m":
            dsq = np.ones_like(dout) * dvar
        elif wrong == "mean over m - 1":
            dsq = np.ones_like(dout) * dvar / (m - 1)
        else:
            dsq = np.ones_like(dout) * dvar / m
        dxmu2 = (xmu if wrong == "square without 2" else 2 * xmu) * dsq
        if wrong == "second path replaces":
            dxmu = dxmu2
        elif wrong == "second path dropped":
            dxmu = dxmu1
        else:
            dxmu = dxmu1 + dxmu2
        if wrong == "dmu sign":
            dmu = np.sum(dxmu, axis=0)
        elif wrong == "dmu mean":
            dmu = -np.mean(dxmu, axis=0)
        elif wrong == "dmu axis 1":
            dmu = -np.sum(dxmu, axis=1)
        elif wrong == "dmu first path only":  # the term that sums xmu is 0: this is right
            dmu = -np.sum(dxmu1, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
        else:
            dmu = -np.sum(dxmu, axis=0)
        if wrong == "mean path dropped":
            dx = dxmu
        elif wrong == "dx sign":
            dx = -dxmu + dmu / m
        elif wrong == "dx without 1/m":
            dx = dxmu + dmu
        elif wrong == "dx over m - 1":
            dx = dxmu + dmu / (m - 1)
        else:
            dx = dxmu + np.ones_like(dout) * dmu / m
        return dx, dgamma, dbeta
    return batchnorm_backward


STAGE_MISTAKES = [
    ("gamma forgotten", "step 1 (out = gamma * x_hat + beta): gamma was forgotten"),
    ("x_hat for xmu", "step 2 (x_hat = xmu * istd): d istd sums dx_hat * x_hat"),
    ("istd not summed", "step 2 (x_hat = xmu * istd): d istd was not summed over the batch"),
    ("istd mean", "step 2 (x_hat = xmu * istd): d istd is a mean over the batch"),
    ("istd factor lost", "step 2 (x_hat = xmu * istd): the first path into xmu lost its factor"),
    ("1/std not squared", "step 3 (istd = 1 / std): d(1/std)/d(std) is -1/std**2, not -1/std"),
    ("1/std sign", "step 3 (istd = 1 / std): the minus sign"),
    ("sqrt without 1/2", "step 4 (std = sqrt(var + eps)): the factor 1/2"),
    ("sqrt without eps", "step 4 (std = sqrt(var + eps)): eps was left out of this step"),
    ("sqrt inverted", "step 4 (std = sqrt(var + eps)): the derivative of the square root was "
                      "inverted"),
    ("mean without 1/m", "step 5 (var = mean of sq): the 1/m of the mean is missing"),
    ("mean over m - 1", "step 5 (var = mean of sq): d sq divides by m - 1"),
    ("square without 2", "step 6 (sq = xmu ** 2): the factor 2"),
    ("second path replaces", "step 6 (sq = xmu ** 2): the second path replaced the first"),
    ("second path dropped", "step 6 (sq = xmu ** 2): the variance path was dropped"),
    ("dmu sign", "step 7 (xmu = x - mu): d mu has the wrong sign"),
    ("dx sign", "step 7 (xmu = x - mu): the first path into x has the wrong sign"),
    ("fixed eps", "instead of cache['eps']"),
    ("dmu mean", "step 7 (xmu = x - mu): d mu is a mean over the batch"),
    ("mean path dropped", "step 8 (mu = mean of x): the mean path was dropped"),
    ("dx without 1/m", "step 8 (mu = mean of x): the 1/m of the mean is missing"),
    ("dx over m - 1", "step 8 (mu = mean of x): dx adds d mu / (m - 1)"),
]


def test_the_staged_student_is_right_when_nothing_is_wrong():
    """Is the template the step mistakes are made from itself a right backward pass?"""
    check_batchnorm_backward(staged_student(), seed=3, hidden=True)


def test_a_mean_step_without_the_zero_variance_term_is_accepted():
    """Is d mu without the paper's term dvar * mean(-2 xmu) (it is 0) accepted as right?"""
    check_batchnorm_backward(staged_student("dmu first path only"), seed=4, hidden=True)


@pytest.mark.parametrize("wrong, words", STAGE_MISTAKES, ids=[w for w, _ in STAGE_MISTAKES])
def test_a_staged_pass_wrong_at_one_step_is_told_which_step(wrong, words):
    """Does the staged check name the step a wrong staged pass went wrong at, and what to fix?"""
    _rejected(check_batchnorm_backward, staged_student(wrong), words)


@pytest.mark.parametrize("wrong", ["istd axis 1", "dmu axis 1"])
def test_a_sum_over_the_features_is_named(wrong):
    """A sum over axis=1 crashes on a (8, 5) batch: does the message suggest the axis?"""
    message = _rejected(check_batchnorm_backward, staged_student(wrong),
                        ["could not be broadcast", "sum over the wrong axis", "axis=0"])
    assert "random batch" in message


@pytest.mark.parametrize("wrong, step", [("istd axis 1", "step 2"), ("dmu axis 1", "step 7")])
def test_a_sum_over_the_features_of_a_square_batch_names_the_step(wrong, step):
    """On a square batch a sum over axis=1 keeps its shape: is the step named there?"""
    import course_utils.checks.bn_backward.backward as cb

    seed, rng = cb.make_rng(0)
    square = [c for c in cb._backward_cases(seed, rng, hidden=False) if "square" in c[0].label]
    assert square, "the visible cases have no square batch"
    (case, dout, cache), = square
    with pytest.raises(CheckFailure) as info:
        cb._check_one_backward(staged_student(wrong), "batchnorm_backward", case, dout, cache)
    assert f"{step} " in str(info.value) and "summed over axis=1" in str(info.value)


def test_m_taken_as_the_number_of_features_is_named():
    """Does a backward pass with m = dout.shape[1] (features, not examples) get told so?"""
    for check in (check_batchnorm_backward, check_batchnorm_backward_alt):
        _rejected(check, staged_student(m_of=lambda dout: dout.shape[1]),
                  "m is the batch size, N = dout.shape[0]")


def test_m_minus_one_everywhere_is_named():
    """Does a backward pass that divides by m - 1 throughout get told the forward divides by m?"""
    _rejected(check_batchnorm_backward, staged_student(m_of=lambda dout: dout.shape[0] - 1),
              "m - 1 was used where the batch size m belongs")


# ---- code written for another cache -------------------------------------------------------

def tuple_cache_staged(dout, cache):
    """A staged pass written for a cache that is a 7-tuple (another course's layout)."""
    normalized, scale, centred, inv_std, std, variance, eps = cache
    n = dout.shape[0]
    d_shift = dout.sum(axis=0)
    d_scale = (dout * normalized).sum(axis=0)
    d_norm = scale * dout
    d_inv_std = (d_norm * centred).sum(axis=0)
    d_var = -0.5 * d_inv_std / std**3
    d_centred = d_norm * inv_std + 2.0 * centred * d_var / n
    d_mean = -d_centred.sum(axis=0)
    return d_centred + d_mean / n, d_scale, d_shift


def eight_names_cache(dout, cache):
    """Unpacks the dict into eight names: they get its keys, strings."""
    x, x_hat, mean, var, std, gamma, beta, eps = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    return dout * gamma / std, dgamma, dbeta


def other_key_names(dout, cache):
    """A dict cache with another course's key names."""
    x_norm, ivar = cache["x_norm"], cache["ivar"]
    m = dout.shape[0]
    dbeta = dout.sum(0)
    dgamma = (dout * x_norm).sum(0)
    dx = cache["gamma"] * ivar / m * (m * dout - dbeta - x_norm * dgamma)
    return dx, dgamma, dbeta


def centred_key(dout, cache):
    xmu = cache["xmu"]
    return xmu, xmu.sum(0), xmu.sum(0)


def indexed_cache(dout, cache):
    x_hat, gamma = cache[1], cache[5]
    return dout * gamma, (dout * x_hat).sum(0), dout.sum(0)


@pytest.mark.parametrize("student, words", [
    (tuple_cache_staged, ["too many values to unpack", "unpacked like a tuple",
                          "'x_hat', 'mean', 'var', 'std'", "cache['x_hat']"]),
    (eight_names_cache, ["strings where numbers belong", "that gave its keys"]),
    (other_key_names, ["KeyError: 'x_norm'", "no key 'x_norm'", "cache['x_hat'] here"]),
    (centred_key, ["no key 'xmu'", "cache['x'] - cache['mean'] here"]),
    (indexed_cache, ["KeyError: 1", "indexed like a tuple (cache[1])"]),
], ids=["7-tuple", "8 names", "x_norm", "xmu", "cache[1]"])
def test_code_written_for_another_cache_is_told_what_the_cache_holds(student, words):
    """Does code that reads the cache another way learn this notebook's keys, not a traceback?"""
    for check in (check_batchnorm_backward, check_batchnorm_backward_alt):
        _rejected(check, student, words)
