"""``check_narrow_space`` (notebook 08) and its catalogue of named mistakes: the new space
spans the ``top_k`` best results, whatever the order of the results it is given.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_raises, fail, make_rng
from ._shared import _number, _unchanged

__all__ = ["check_narrow_space"]


# ---------------------------------------------------------------------------------------
# narrow_space
# ---------------------------------------------------------------------------------------


def _fake_results(rng, space, n):
    results = []
    for _ in range(n):
        params = {}
        for name, (low, high, kind) in space.items():
            if kind == "log":
                params[name] = float(10 ** rng.uniform(np.log10(low), np.log10(high)))
            else:
                params[name] = float(rng.uniform(low, high))
        results.append({"params": params, "score": float(rng.uniform(0.1, 3.0))})
    return sorted(results, key=lambda r: r["score"])


def _span(results, space, k):
    return {name: (min(float(r["params"][name]) for r in results[:k]),
                   max(float(r["params"][name]) for r in results[:k]), kind)
            for name, (_, _, kind) in space.items()}


def _narrow_cases(seed, rng, hidden):
    space3 = {"lr": (1e-5, 1e1, "log"), "weight_decay": (1e-6, 1e-2, "log"),
              "momentum": (0.0, 0.99, "linear")}
    space2 = {"lr": (1e-3, 1.0, "log"), "dropout": (0.0, 0.9, "linear")}
    cases = []

    def add(label, space, results, top_k, **details):
        details = {"n results": len(results), "top_k": top_k, **details}
        cases.append((Case(label, seed, details), space, results, top_k))

    add("sorted results, default top_k = 5", space3, _fake_results(rng, space3, 20), None)
    add("top_k = 3 by keyword", space2, _fake_results(rng, space2, 12), 3)
    shuffled = _fake_results(rng, space2, 15)
    order = rng.permutation(len(shuffled))
    add("results in any order (not sorted)", space2, [shuffled[i] for i in order], 4)
    add("top_k = 1: the best trial alone", space2, _fake_results(rng, space2, 6), 1)
    add("top_k larger than the number of results", space3, _fake_results(rng, space3, 3), 10)
    if hidden:
        big = _fake_results(rng, space3, 60)
        order = rng.permutation(len(big))
        add("many results, unsorted", space3, [big[i] for i in order], 8)
    return cases


def _narrow_mistakes(results, space, k):
    by_score = sorted(results, key=lambda r: r["score"])
    worst = sorted(results, key=lambda r: -r["score"])
    return [
        ("the worst top_k trials were used: the score is a loss, lower is better.",
         _span(worst, space, k)),
        ("the first top_k results were used without sorting them by score; results may come "
         "in any order.", _span(results, space, k)),
        ("the top_k argument was ignored (the default 5 was used).", _span(by_score, space, 5)),
        ("all the results were spanned, not only the top_k best.",
         _span(by_score, space, len(results))),
        ("the old space was returned unchanged.", dict(space)),
    ]


def _same_space(got, expected):
    try:
        return all(abs(float(got[n][0]) - e[0]) <= 1e-9 * abs(e[0]) + 1e-15
                   and abs(float(got[n][1]) - e[1]) <= 1e-9 * abs(e[1]) + 1e-15
                   for n, e in expected.items())
    except Exception:
        return False


def check_narrow_space(student, seed=0, hidden=False):
    """Check ``narrow_space(results, space, top_k=5) -> dict``.

    For each name, the new ``(low, high, kind)`` must be the smallest and largest value
    among the top_k lowest-score trials (whatever order the results come in), with the
    kind kept, so the new range lies inside the old one. Inputs must stay unchanged.
    """
    seed, rng = make_rng(seed)
    for case, space, results, top_k in _narrow_cases(seed, rng, hidden):
        before_results, before_space = copy.deepcopy(results), copy.deepcopy(space)
        kwargs = {} if top_k is None else {"top_k": top_k}
        got = call_student(student, results, space, case=case, name="narrow_space",
                           arg_names=("results", "space"), **kwargs)
        _unchanged(before_results, results, case, "narrow_space", "results")
        _unchanged(before_space, space, case, "narrow_space", "space")
        k = 5 if top_k is None else top_k
        expected = ref.narrow_space(results, space, top_k=k)
        if not isinstance(got, dict):
            fail(case, f"narrow_space should return a dict {{name: (low, high, kind)}}, got "
                       f"{type(got).__name__}.")
        if set(got) != set(space):
            fail(case, f"the new space has the names {sorted(got)}; it should have the same "
                       f"names as the old one, {sorted(space)}.")
        for name, (low, high, kind) in expected.items():
            entry = got[name]
            if not isinstance(entry, (tuple, list)) or len(entry) != 3:
                fail(case, f"new space[{name!r}] should be a tuple (low, high, kind), got "
                           f"{entry!r:.80}.")
            if entry[2] != kind:
                fail(case, f"new space[{name!r}] has kind {entry[2]!r}; keep the old kind "
                           f"{kind!r} (a log-scale parameter stays on a log scale).")
            g_low = _number(entry[0], case, f"new space[{name!r}][0] (low)")
            g_high = _number(entry[1], case, f"new space[{name!r}][1] (high)")
            old_low, old_high, _ = space[name]
            if g_low > g_high:
                fail(case, f"new space[{name!r}] has low {g_low:.6g} > high {g_high:.6g}: "
                           "low is the smallest value, high the largest.")
            if g_low < old_low * (1 - 1e-12) or g_high > old_high * (1 + 1e-12):
                fail(case, f"new space[{name!r}] = ({g_low:.6g}, {g_high:.6g}) reaches outside "
                           f"the old range ({old_low:g}, {old_high:g}); coarse-to-fine only "
                           "narrows.")
            close = (math.isclose(g_low, low, rel_tol=1e-9, abs_tol=1e-15)
                     and math.isclose(g_high, high, rel_tol=1e-9, abs_tol=1e-15))
            if not close:
                hint = ""
                for label, candidate in _narrow_mistakes(results, space, k):
                    if _same_space(got, candidate):
                        hint = f"\nLikely mistake: {label}"
                        break
                fail(case, f"new space[{name!r}] is ({g_low:.6g}, {g_high:.6g}); expected "
                           f"({low:.6g}, {high:.6g}), the smallest and largest {name} among "
                           f"the {min(k, len(results))} lowest-score trials.{hint}")

    bad_space = {"lr": (1e-3, 1.0, "log")}
    some = [{"params": {"lr": 0.01}, "score": 1.0}, {"params": {"lr": 0.1}, "score": 0.5}]
    expect_raises(student, [], bad_space, case=Case("no results", seed), name="narrow_space",
                  why="there is nothing to narrow around")
    expect_raises(student, some, bad_space, top_k=0, case=Case("top_k = 0", seed),
                  name="narrow_space", why="top_k must be at least 1")
