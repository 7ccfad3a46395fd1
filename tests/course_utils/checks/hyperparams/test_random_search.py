"""Does check_random_search (notebook 08) accept every right search and name each mistake of
its catalogue?"""

import math

import numpy as np
import pytest

from course_utils import reference as ref
from course_utils.checks import check_random_search
from tests.helpers import accepted, mistakes_rejected

pytestmark = pytest.mark.nb08


# =========================================================================================
# random_search
# =========================================================================================

def _validate_space(space, n_trials):
    if n_trials < 1:
        raise ValueError("n_trials < 1")
    for low, high, kind in space.values():
        if kind not in ("log", "linear") or (kind == "log" and low <= 0) or high < low:
            raise ValueError("bad space")


def _draw_value(low, high, kind, rng):
    if kind == "log":
        return float(10 ** rng.uniform(math.log10(low), math.log10(high)))
    return float(rng.uniform(low, high))


def search_documented_order(objective, space, n_trials, rng):
    _validate_space(space, n_trials)
    results = []
    for _ in range(n_trials):
        params = {n: _draw_value(lo, hi, k, rng) for n, (lo, hi, k) in space.items()}
        results.append({"params": params, "score": objective(params)})
    return sorted(results, key=lambda r: r["score"])


def search_vectorized(objective, space, n_trials, rng):
    """All values of one dimension drawn at once: another order, the same distribution."""
    _validate_space(space, n_trials)
    columns = {}
    for name, (low, high, kind) in space.items():
        if kind == "log":
            columns[name] = np.exp(rng.uniform(np.log(low), np.log(high), n_trials))
        else:
            columns[name] = rng.uniform(low, high, n_trials)
    results = []
    for i in range(n_trials):
        params = {name: columns[name][i] for name in space}        # numpy floats are fine
        results.append({"params": params, "score": objective(params)})
    results.sort(key=lambda r: r["score"])
    return results


def search_index_sort(objective, space, n_trials, rng):
    _validate_space(space, n_trials)
    trials = [{n: _draw_value(lo, hi, k, rng) for n, (lo, hi, k) in space.items()}
              for _ in range(n_trials)]
    scores = [objective(p) for p in trials]
    return [{"params": trials[i], "score": scores[i]} for i in np.argsort(scores, kind="stable")]


test_right_searches_accepted = accepted(
    check_random_search, [search_documented_order, search_vectorized, search_index_sort], [0, 3,
    None],
    """Is every correct random search accepted, whatever order it draws in?""")


def test_documented_order_reproduces_the_reference_exactly():
    """Does following the documented draw order give exactly the reference's results?"""
    space = {"lr": (1e-4, 1.0, "log"), "momentum": (0.5, 0.99, "linear"),
             "wd": (1e-6, 1e-2, "log")}
    def objective(p):
        return (math.log10(p["lr"]) + 2) ** 2 + p["momentum"] + math.log10(p["wd"]) / 10
    ours = search_documented_order(objective, space, 25, np.random.default_rng(9))
    theirs = ref.random_search(objective, space, 25, np.random.default_rng(9))
    assert [r["params"] for r in ours] == [r["params"] for r in theirs]


def _search_with(draw, sort_key=lambda r: r["score"], calls=1, reuse_dict=False):
    def search(objective, space, n_trials, rng):
        _validate_space(space, n_trials)
        results, params = [], {}
        for _ in range(n_trials):
            if not reuse_dict:
                params = {}
            for name, (low, high, kind) in space.items():
                params[name] = draw(low, high, kind, rng)
            score = None
            for _ in range(calls):
                score = objective(params)
            results.append({"params": params, "score": score})
        return sorted(results, key=sort_key)
    return search


def _uniform_draw(low, high, kind, rng):
    return float(rng.uniform(low, high))


def _all_log_draw(low, high, kind, rng):
    return float(10 ** rng.uniform(math.log10(max(low, 1e-12)), math.log10(high)))


def _ln_draw(low, high, kind, rng):
    if kind == "log":
        return float(10 ** rng.uniform(math.log(low), math.log(high)))
    return float(rng.uniform(low, high))


def _global_draw(low, high, kind, rng):
    return _draw_value(low, high, kind, np.random)


def search_unsorted(objective, space, n_trials, rng):
    _validate_space(space, n_trials)
    out = []
    for _ in range(n_trials):
        p = {n: _draw_value(lo, hi, k, rng) for n, (lo, hi, k) in space.items()}
        out.append({"params": p, "score": objective(p)})
    return out


def search_draws_once(objective, space, n_trials, rng):
    _validate_space(space, n_trials)
    p = {n: _draw_value(lo, hi, k, rng) for n, (lo, hi, k) in space.items()}
    return [{"params": dict(p), "score": objective(p)} for _ in range(n_trials)]


def search_no_validation(objective, space, n_trials, rng):
    out = []
    for _ in range(n_trials):
        p = {n: (_draw_value(lo, hi, k, rng) if k == "log" else float(rng.uniform(lo, hi)))
             for n, (lo, hi, k) in space.items()}
        out.append({"params": p, "score": objective(p)})
    return sorted(out, key=lambda r: r["score"])


def search_array_values(objective, space, n_trials, rng):
    _validate_space(space, n_trials)
    out = []
    for _ in range(n_trials):
        p = {n: np.array([_draw_value(lo, hi, k, rng)]) for n, (lo, hi, k) in space.items()}
        out.append({"params": p, "score": objective(p)})
    return sorted(out, key=lambda r: r["score"])


def search_returns_scores(objective, space, n_trials, rng):
    results = search_documented_order(objective, space, n_trials, rng)
    return [{"params": r["params"], "loss": r["score"]} for r in results]


def search_stub(objective, space, n_trials, rng):
    raise NotImplementedError()


SEARCH_MISTAKES = [
    (_search_with(_uniform_draw), "uniform instead of log-uniform"),
    (_search_with(_all_log_draw), "sampled on a log scale"),
    (_search_with(_ln_draw), "wrong logarithm base"),
    (_search_with(_global_draw), "same seed gave different params"),
    (_search_with(_draw_value, sort_key=lambda r: -r["score"]), "highest score first"),
    (_search_with(_draw_value, calls=2), "called 2"),
    (_search_with(_draw_value, reuse_dict=True), "a new dict for every trial"),
    (search_unsorted, "not sorted"),
    (search_draws_once, "every trial has the same params"),
    (search_no_validation, "should raise ValueError"),
    (search_array_values, "must be a single float"),
    (search_returns_scores, "exactly the keys 'params' and 'score'"),
    (search_stub, "not written yet"),
]


test_search_mistakes_rejected = mistakes_rejected(
    check_random_search, SEARCH_MISTAKES,
    """Is each wrong random search rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(SEARCH_MISTAKES)])
