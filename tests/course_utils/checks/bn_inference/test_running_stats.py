"""Do the checks of update_running_stats and population_statistics (notebook 05) accept
any right answer and name each mistake of their catalogue?"""

import numpy as np
import pytest

from course_utils.checks import (
    CheckFailure,
    check_population_statistics,
    check_update_running_stats,
)
from tests.helpers import accepted, mistakes_rejected, rejected

pytestmark = pytest.mark.nb05

_rejected = rejected


# ---- update_running_stats ----------------------------------------------------------------

def _needs_batch(m):
    if m < 2:
        raise ValueError("m must be at least 2")


def update_right(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    _needs_batch(m)
    unbiased = batch_var * m / (m - 1)
    return ((1 - momentum) * running_mean + momentum * batch_mean,
            (1 - momentum) * running_var + momentum * unbiased)


def update_lerp(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    """Right too: written as a step towards the batch value."""
    _needs_batch(m)
    new_mean = running_mean + momentum * (batch_mean - running_mean)
    new_var = running_var + momentum * (batch_var * (m / (m - 1)) - running_var)
    return new_mean, new_var


def update_loops(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    _needs_batch(m)
    new_mean = np.empty_like(running_mean)
    new_var = np.empty_like(running_var)
    for j in range(len(running_mean)):
        new_mean[j] = (1 - momentum) * running_mean[j] + momentum * batch_mean[j]
        new_var[j] = (1 - momentum) * running_var[j] + momentum * batch_var[j] * m / (m - 1)
    return new_mean, new_var


test_right_update_accepted = accepted(
    check_update_running_stats, [update_right, update_lerp, update_loops], [0, 4, None],
    """Is a correct running-statistics update accepted, however written?""")


def _update(mean_rule, var_rule):
    def update_running_stats(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
        _needs_batch(m)
        return (mean_rule(running_mean, batch_mean, m, momentum),
                var_rule(running_var, batch_var, m, momentum))
    return update_running_stats


def _pt(r, b, m, mom):
    return (1 - mom) * r + mom * b


def _pt_var(r, b, m, mom):
    return (1 - mom) * r + mom * b * m / (m - 1)


def update_in_place(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    _needs_batch(m)
    running_mean *= 1 - momentum
    running_mean += momentum * batch_mean
    running_var *= 1 - momentum
    running_var += momentum * batch_var * m / (m - 1)
    return running_mean, running_var


def update_no_check(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    with np.errstate(all="ignore"):
        t = np.asarray(batch_var).dtype.type
        unbiased = batch_var * t(m) / t(m - 1)
    return (1 - momentum) * running_mean + momentum * batch_mean, \
        (1 - momentum) * running_var + momentum * unbiased


UPDATE_MISTAKES = [
    (_update(lambda r, b, m, mom: mom * r + (1 - mom) * b, _pt_var), "Keras's"),
    (_update(_pt, lambda r, b, m, mom: mom * r + (1 - mom) * b * m / (m - 1)), "Keras's"),
    (_update(_pt, _pt), "was not corrected"),
    (_update(_pt, lambda r, b, m, mom: (1 - mom) * r + mom * b * (m - 1) / m), "inverted"),
    (_update(_pt, lambda r, b, m, mom: _pt(r, b, m, mom) * m / (m - 1)), "whole average"),
    (_update(lambda r, b, m, mom: _pt(r, b, m, 0.1), _pt_var), "momentum argument was ignored"),
    (_update(lambda r, b, m, mom: _pt(r, b * m / (m - 1), m, mom), _pt_var),
     "only the variance is biased"),
    (_update(lambda r, b, m, mom: b, _pt_var), "replaced by the batch mean"),
    (_update(lambda r, b, m, mom: r, _pt_var), "running mean was not updated"),
    (update_in_place, "changed its input `running_mean` in place"),
    (update_no_check, "should raise ValueError"),
    (_update(lambda r, b, m, mom: _pt(r, b, m, mom).astype(np.float64), _pt_var),
     "dtype float64, expected float32"),
]


test_update_mistakes_rejected = mistakes_rejected(
    check_update_running_stats, UPDATE_MISTAKES,
    """Is each wrong update rejected with a message naming the mistake?""",
    ids=[w for _, w in UPDATE_MISTAKES])


def test_in_place_hint_does_not_reuse_the_batch_size_m():
    """Does the in-place hint say what to write, without `running_mean - m` (m is the batch
    size in that very function)?"""
    message = _rejected(check_update_running_stats, update_in_place,
                        ["new_mean = (1 - momentum) * running_mean + momentum * batch_mean",
                         "not `running_mean *= 1 - momentum`"])
    assert "- m`" not in message, message


# ---- population_statistics ---------------------------------------------------------------

def _validated(means, vars_, m):
    means, vars_ = np.asarray(means), np.asarray(vars_)
    if means.ndim != 2 or means.shape != vars_.shape:
        raise ValueError("batch_means and batch_vars must both be (K, D)")
    _needs_batch(m)
    return means, vars_


def population_right(batch_means, batch_vars, m):
    means, vars_ = _validated(batch_means, batch_vars, m)
    return means.mean(axis=0), m / (m - 1) * vars_.mean(axis=0)


def population_float64_inside(batch_means, batch_vars, m):
    means, vars_ = _validated(batch_means, batch_vars, m)
    k = means.shape[0]
    mean = means.astype(np.float64).sum(0) / k
    var = vars_.astype(np.float64).sum(0) / k * m / (m - 1)
    return mean.astype(means.dtype), var.astype(vars_.dtype)


test_right_population_statistics_accepted = accepted(
    check_population_statistics, [population_right, population_float64_inside], [0, 9, None],
    """Is a correct Algorithm 2 accepted?""")


def _population(mean_rule, var_rule):
    def population_statistics(batch_means, batch_vars, m):
        means, vars_ = _validated(batch_means, batch_vars, m)
        return mean_rule(means, m), var_rule(means, vars_, m)
    return population_statistics


def _mean(means, m):
    return means.mean(0)


def population_in_place(batch_means, batch_vars, m):
    means, vars_ = _validated(batch_means, batch_vars, m)
    vars_ *= m / (m - 1)
    return means.mean(0), vars_.mean(0)


POPULATION_MISTAKES = [
    (_population(_mean, lambda mu, v, m: v.mean(0)), "correction is missing"),
    (_population(_mean, lambda mu, v, m: v.mean(0) * (m - 1) / m), "inverted"),
    (_population(_mean, lambda mu, v, m: v.mean(0) * len(v) / (len(v) - 1)),
     "not the number of batches"),
    (_population(_mean, lambda mu, v, m: mu.var(0)), "variance of the batch means"),
    (_population(_mean, lambda mu, v, m: v.mean(0) + mu.var(0)), "pooled data"),
    (_population(lambda mu, m: mu.mean(0) * m / (m - 1), lambda mu, v, m: v.mean(0) * m / (m - 1)),
     "only the variance is corrected"),
    (_population(lambda mu, m: mu.sum(0), lambda mu, v, m: v.mean(0) * m / (m - 1)), "summed"),
    (_population(lambda mu, m: mu.mean(1), lambda mu, v, m: v.mean(1) * m / (m - 1)), "shape"),
    (lambda bm, bv, m: population_right(np.atleast_2d(bm), np.atleast_2d(bv), m),
     "should raise ValueError"),
    (population_in_place, ["changed its input `batch_vars` in place",
                           "not `batch_vars *= m / (m - 1)`"]),
]


test_population_mistakes_rejected = mistakes_rejected(
    check_population_statistics, POPULATION_MISTAKES,
    """Is each wrong Algorithm 2 rejected with a message naming the mistake?""",
    ids=[w if isinstance(w, str) else w[0] for _, w in POPULATION_MISTAKES])


def _memorise_visible_population():
    """The visible test's answers (seed 0), keyed by the input, as a student could copy them."""
    # the check calls the student through _shared._call, which finds call_student there
    import course_utils.checks.bn_inference._shared as shared
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    memo = {}
    original = shared.call_student

    def spy(fn, *args, **kwargs):
        result = original(fn, *args, **kwargs)
        memo[np.asarray(args[0]).tobytes()] = tuple(np.copy(r) for r in result)
        return result

    shared.call_student = spy
    try:
        check_population_statistics(population_right, seed=0)
    finally:
        shared.call_student = original
    return memo


def test_hard_coded_population_passes_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    memo = _memorise_visible_population()

    def hard_coded(batch_means, batch_vars, m):
        _validated(batch_means, batch_vars, m)
        d = np.shape(batch_means)[1]
        return memo.get(np.asarray(batch_means).tobytes(), (np.zeros(d), np.zeros(d)))

    check_population_statistics(hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_population_statistics(hard_coded, seed=5050, hidden=True)
