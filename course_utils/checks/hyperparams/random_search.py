"""``check_random_search`` (notebook 08): every trial's parameters drawn from the space,
scores equal to the objective's, the results sorted lowest first, the same result for the
same seed.
"""

from __future__ import annotations

import copy
import math
from numbers import Real

import numpy as np

from .._core import Case, call_student, expect_raises, fail, make_rng
from ._shared import FORBIDDEN, _number, _unchanged

__all__ = ["check_random_search"]


# ---------------------------------------------------------------------------------------
# random_search
# ---------------------------------------------------------------------------------------


class _Objective:
    """A deterministic objective that records every call (a copy of the params it got)."""

    def __init__(self, space):
        self.space = space
        self.calls: list[dict] = []

    def value(self, params):
        total = 0.0
        for i, (name, (low, high, kind)) in enumerate(self.space.items()):
            v = float(params[name])
            if kind == "log":
                v = max(v, 1e-300)  # a value outside the range is reported later, not here
                pos = (math.log10(v) - math.log10(low)) / max(math.log10(high / low), 1e-12)
            else:
                pos = (v - low) / max(high - low, 1e-12)
            total += (1.0 / (i + 1)) * (pos - 0.37 - 0.11 * i) ** 2
        return total

    def __call__(self, params):
        if not isinstance(params, dict):
            raise TypeError(f"the objective expects a dict of parameters, got "
                            f"{type(params).__name__}")
        if set(params) != set(self.space):
            raise KeyError(f"the objective expects the parameters {sorted(self.space)}, got "
                           f"{sorted(params)}")
        for name, v in params.items():
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (Real, np.floating)):
                shape = f" of shape {v.shape}" if isinstance(v, np.ndarray) else ""
                raise TypeError(f"the objective got params[{name!r}] = a "
                                f"{type(v).__name__}{shape}; each parameter must be a single "
                                "float (float(...) or a scalar draw, not size=1)")
        self.calls.append(dict(params))
        return self.value(params)


def _search_spaces(hidden):
    spaces = [
        ("learning rate and weight decay, both log", {
            "lr": (1e-4, 1.0, "log"), "weight_decay": (1e-6, 1e-2, "log")}, 12),
        ("a log and a linear dimension", {
            "lr": (1e-3, 10.0, "log"), "momentum": (0.5, 0.99, "linear")}, 10),
        ("one linear dimension, one trial", {"dropout": (0.0, 0.8, "linear")}, 1),
        ("three dimensions", {"lr": (1e-5, 1e-1, "log"), "width": (16.0, 256.0, "linear"),
                              "weight_decay": (1e-7, 1e-3, "log")}, 7),
    ]
    if hidden:
        spaces += [("many trials", {"a": (2.0, 3.0, "linear"), "b": (1e-2, 1e2, "log")}, 40)]
    return spaces


def _search_results(student, space, n_trials, rng, case):
    objective = _Objective(space)
    space_before = copy.deepcopy(space)
    results = call_student(student, objective, space, n_trials, rng, case=case,
                           name="random_search", forbidden=FORBIDDEN,
                           arg_names=("objective", "space", "n_trials", "rng"))
    _unchanged(space_before, space, case, "random_search", "space")
    if not isinstance(results, list):
        fail(case, f"random_search should return a list of dicts, got {type(results).__name__}.")
    if len(results) != n_trials:
        fail(case, f"random_search returned {len(results)} results for n_trials = {n_trials}: "
                   "one result per trial.")
    for k, r in enumerate(results):
        if not isinstance(r, dict) or set(r) != {"params", "score"}:
            got = sorted(r) if isinstance(r, dict) else type(r).__name__
            fail(case, f"result {k} should be a dict with exactly the keys 'params' and "
                       f"'score', got {got}.")
        if not isinstance(r["params"], dict) or set(r["params"]) != set(space):
            got = sorted(r["params"]) if isinstance(r["params"], dict) else r["params"]
            fail(case, f"result {k}['params'] should be a dict with the names of the space, "
                       f"{sorted(space)}; got {got}.")
        for name, (low, high, kind) in space.items():
            v = _number(r["params"][name], case, f"result {k}['params'][{name!r}]")
            if not (low * (1 - 1e-9) - 1e-12 <= v <= high * (1 + 1e-9) + 1e-12):
                hint = ""
                if kind == "log" and v > 0 and (
                        math.log(low) <= math.log10(v) <= math.log(high)
                        or math.log10(low) <= math.log(v) <= math.log10(high)):
                    hint = (" Likely mistake: wrong logarithm base (an exponent drawn between "
                            "natural logs but raised as 10 ** ..., or the other way round).")
                elif kind == "log" and math.log10(low) <= v <= math.log10(high):
                    hint = " It looks like the exponent itself: return 10 ** exponent."
                fail(case, f"result {k}: {name} = {v:.6g} lies outside its range "
                           f"[{low:g}, {high:g}] ({kind}).{hint}")
        _number(r["score"], case, f"result {k}['score']")
    return results, objective


def _check_scores(results, objective, n_trials, case):
    if len(objective.calls) != n_trials:
        fail(case, f"the objective was called {len(objective.calls)} times for n_trials = "
                   f"{n_trials}: call it exactly once per trial (training runs are expensive) "
                   "and store the score it returns.")
    for k, r in enumerate(results):
        expected = objective.value(r["params"])
        if not math.isclose(float(r["score"]), expected, rel_tol=1e-9, abs_tol=1e-12):
            fail(case, f"result {k}: score {float(r['score']):.6g} is not objective(params) = "
                       f"{expected:.6g} for its params {r['params']}. Store the score of each "
                       "trial's own params (a new dict for every trial).")
    called = sorted(tuple(sorted((k, float(v)) for k, v in c.items())) for c in objective.calls)
    returned = sorted(tuple(sorted((k, float(v)) for k, v in r["params"].items()))
                      for r in results)
    if called != returned:
        fail(case, "the params in the results are not the ones the objective was called with. "
                   "Keep, for each trial, the dict you evaluated (do not draw again, and do "
                   "not reuse one dict across trials).")
    scores = [float(r["score"]) for r in results]
    if any(b < a for a, b in zip(scores, scores[1:])):
        if all(b <= a for a, b in zip(scores, scores[1:])):
            fail(case, "results are sorted highest score first. The score is a loss: lower is "
                       "better, so sort ascending (best first).")
        fail(case, f"results are not sorted by score (got scores "
                   f"{[round(s, 4) for s in scores[:6]]}...). Sort them lowest (best) first, "
                   "e.g. sorted(results, key=lambda r: r['score']).")
    if n_trials >= 2:
        first = {k: float(v) for k, v in results[0]["params"].items()}
        if all({k: float(v) for k, v in r["params"].items()} == first for r in results):
            fail(case, "every trial has the same params: draw new values for each trial (and "
                       "build a new dict for each; a dict reused across trials holds only the "
                       "last values).")


def check_random_search(student, seed=0, hidden=False):
    """Check ``random_search(objective, space, n_trials, rng) -> list[dict]``.

    With a deterministic objective and seeded generators: one result per trial, each
    ``{"params": {...}, "score": objective(params)}`` with every value inside its range,
    the objective called exactly once per trial, results sorted lowest score first, the
    same results for the same seed, log dimensions log-uniform and linear ones uniform.
    The order of the random draws is not checked (the reference documents one).
    """
    seed, rng = make_rng(seed)
    for label, space, n_trials in _search_spaces(hidden):
        draw_seed = int(rng.integers(0, 2**31 - 1))
        case = Case(label, seed, {"n_trials": n_trials, "rng seed": draw_seed})
        results, objective = _search_results(student, space, n_trials,
                                             np.random.default_rng(draw_seed), case)
        _check_scores(results, objective, n_trials, case)
        again, _ = _search_results(student, space, n_trials, np.random.default_rng(draw_seed),
                                   case)
        if [r["params"] for r in again] != [r["params"] for r in results]:
            fail(case, "two searches with generators of the same seed gave different params: "
                       "draw every value from the rng argument.")

    # distributions: a log dimension is log-uniform, a linear one uniform
    space = {"lr": (1e-6, 1.0, "log"), "units": (1.0, 1001.0, "linear")}
    n_trials = 400 if hidden else 200
    draw_seed = int(rng.integers(0, 2**31 - 1))
    case = Case("distribution over many trials", seed,
                {"space": space, "n_trials": n_trials, "rng seed": draw_seed})
    results, objective = _search_results(student, space, n_trials,
                                         np.random.default_rng(draw_seed), case)
    _check_scores(results, objective, n_trials, case)
    lrs = np.array([float(r["params"]["lr"]) for r in results])
    units = np.array([float(r["params"]["units"]) for r in results])
    low_share = float(np.mean(lrs < 1e-3))
    if not 0.35 <= low_share <= 0.65:
        fail(case, f"'lr' has kind 'log' on [1e-6, 1]: about half the values should be below "
                   f"1e-3 (three of the six decades), got {low_share:.0%}. Likely mistake: "
                   "uniform instead of log-uniform sampling for a 'log' dimension.")
    low_share = float(np.mean(units < 501.0))
    if not 0.35 <= low_share <= 0.65:
        fail(case, f"'units' has kind 'linear' on [1, 1001]: about half the values should be "
                   f"below 501, got {low_share:.0%}. Likely mistake: a 'linear' dimension was "
                   "sampled on a log scale; use rng.uniform(low, high) for it.")
    case = Case("two generators with different seeds", seed, {"seeds": (5, 6)})
    a, _ = _search_results(student, space, 5, np.random.default_rng(5), case)
    b, _ = _search_results(student, space, 5, np.random.default_rng(6), case)
    if sorted(r["score"] for r in a) == sorted(r["score"] for r in b):
        fail(case, "generators with different seeds gave the same trials: draw from the rng "
                   "argument, not from a generator made inside the function.")

    ok = {"lr": (1e-3, 1.0, "log")}
    bad = [("n_trials = 0", ok, 0, "a search needs at least one trial"),
           ("unknown kind 'exp'", {"lr": (1e-3, 1.0, "exp")}, 3,
            "the kind must be 'log' or 'linear'"),
           ("log dimension with low = 0", {"lr": (0.0, 1.0, "log")}, 3,
            "a log scale needs low > 0")]
    for label, space, n_trials, why in bad:
        expect_raises(student, _Objective(ok), space, n_trials, np.random.default_rng(0),
                      case=Case(label, seed), name="random_search", why=why)
