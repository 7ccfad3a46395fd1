"""Checks for notebook 08: ``train_val_split``, ``log_uniform``, ``random_search``,
``narrow_space``, ``lr_at`` and ``early_stopping_epoch``.

Where the course's contract leaves a choice open (which examples go to validation, the
order of random draws), the checks test the properties every right answer has rather
than the reference's exact numbers: every example in exactly one part, rows still paired
with their labels, values inside the range, the right distribution, scores equal to the
objective, sorted lowest first, and the same result for the same seed.
"""

from __future__ import annotations

import copy
import math
import warnings
from numbers import Integral, Real

import numpy as np

from course_utils import reference as ref

from ._core import (CheckFailure, Case, call_student, expect_close, expect_raises, expect_tuple,
                    fail, make_rng)

__all__ = ["check_train_val_split", "check_log_uniform", "check_random_search",
           "check_narrow_space", "check_lr_at", "check_early_stopping_epoch"]

#: Library functions that would do an exercise for the student.
FORBIDDEN = {"sklearn": {"train_test_split"},
             "scipy": {"rvs"}}


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def _number(got, case, what):
    """A real scalar (Python or numpy), not an array, a tensor, a bool or a string."""
    if type(got).__module__.startswith("torch"):
        fail(case, f"{what} is a torch tensor; return a Python float.")
    if isinstance(got, np.ndarray) and got.ndim > 0:
        fail(case, f"{what} should be a single number, got an array of shape {got.shape}.")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (Real, np.ndarray)):
        fail(case, f"{what} should be a number, got {type(got).__name__}: {got!r:.80}")
    return float(got)


def _unchanged(before, after, case, name, arg):
    """Deep equality of a list/dict input before and after the student's call."""
    if before != after:
        fail(case, f"{name} changed its input `{arg}` (sorted it, popped from it or edited it "
                   "in place). Graded functions never modify their inputs: use sorted(...) "
                   "or work on a copy.")


def _fmt(v):
    return f"{v:.6g}" if isinstance(v, float) else repr(v)


# ---------------------------------------------------------------------------------------
# train_val_split
# ---------------------------------------------------------------------------------------


def _identifiable(rng, shape, dtype):
    """Random examples whose rows are all different, so each can be traced back."""
    return rng.standard_normal(shape).astype(dtype)


def _row_index(X):
    return {np.ascontiguousarray(row).tobytes(): i for i, row in enumerate(X)}


def _trace(part, index, X, case, what):
    """The original index of every row of ``part``."""
    found = []
    for k, row in enumerate(part):
        i = index.get(np.ascontiguousarray(row, dtype=X.dtype).tobytes())
        if i is None:
            fail(case, f"row {k} of {what} is not a row of X: the split must return the "
                       "examples themselves, unchanged (no scaling, no copies of other rows).")
        found.append(i)
    return np.array(found, dtype=int)


def _split_cases(seed, rng, hidden):
    cases = []

    def add(label, X, y, frac, by_keyword=True, **details):
        details = {"X.shape": X.shape, "dtype": X.dtype.name, "val_fraction": frac, **details}
        cases.append((Case(label, seed, details), X, y, frac, by_keyword))

    n = 50
    add("random data, labels sorted by class", _identifiable(rng, (n, 3), np.float64),
        np.repeat(np.arange(5), 10), 0.2)
    add("float32 images of shape (1, 4, 4)", _identifiable(rng, (40, 1, 4, 4), np.float32),
        rng.integers(0, 10, 40), 0.25)
    add("val_fraction given by position", _identifiable(rng, (30, 2), np.float64),
        np.arange(30) % 3, 0.3, by_keyword=False)
    add("two examples (N = 2)", _identifiable(rng, (2, 3), np.float64), np.array([0, 1]), 0.5)
    wide = _identifiable(rng, (25, 8), np.float64)
    add("non-contiguous X[:, ::2]", wide[:, ::2], rng.integers(0, 3, 25), 0.2)
    if hidden:
        add("one-hot targets y of shape (n, 3)", _identifiable(rng, (33, 4), np.float64),
            np.eye(3)[rng.integers(0, 3, 33)], 0.15)
        add("larger data", _identifiable(rng, (200, 5), np.float32), rng.integers(0, 10, 200),
            0.1)
        add("most of it for validation", _identifiable(rng, (20, 2), np.float64),
            np.arange(20), 0.7)
    return cases


def _one_split(student, X, y, frac, by_keyword, seed_arg, case):
    if by_keyword:
        result = call_student(student, X, y, val_fraction=frac, seed=seed_arg, case=case,
                              name="train_val_split", forbidden=FORBIDDEN, arg_names=("X", "y"))
    else:
        result = call_student(student, X, y, frac, seed_arg, case=case, name="train_val_split",
                              forbidden=FORBIDDEN, arg_names=("X", "y"))
    parts = expect_tuple(result, 4, case=case, name="train_val_split",
                         what="(X_train, y_train, X_val, y_val)")
    names = ("X_train", "y_train", "X_val", "y_val")
    shapes = [np.shape(p)[1:] for p in parts]
    if (X.shape[1:] != y.shape[1:] and shapes[1] == X.shape[1:] and shapes[2] == y.shape[1:]):
        fail(case, "the four arrays come back in scikit-learn's order (X_train, X_val, y_train, "
                   "y_val); this function returns (X_train, y_train, X_val, y_val).")
    for part, what, like in zip(parts, names, (X, y, X, y)):
        if not isinstance(part, np.ndarray):
            fail(case, f"{what} should be a numpy ndarray, got {type(part).__name__}.")
        if part.shape[1:] != like.shape[1:]:
            fail(case, f"{what} has shape {part.shape}; its rows should keep the shape "
                       f"{like.shape[1:]} of the rows of {'X' if what[0] == 'X' else 'y'}.")
        if part.dtype != like.dtype:
            fail(case, f"{what} has dtype {part.dtype}, expected {like.dtype} (the input's).")
    return parts


def check_train_val_split(student, seed=0, hidden=False):
    """Check ``train_val_split(X, y, val_fraction=0.2, seed=0) -> (X_train, y_train, X_val, y_val)``.

    Every example must land in exactly one part, still paired with its own label; the
    validation part must hold ``round(val_fraction * n)`` examples (floor or ceil accepted),
    chosen at random (not the first or last rows); the same seed must give the same split
    and different seeds different splits. Impossible input raises ValueError.
    """
    seed, rng = make_rng(seed)
    for case, X, y, frac, by_keyword in _split_cases(seed, rng, hidden):
        n = len(X)
        split_seed = int(rng.integers(0, 2**31 - 1))
        X_tr, y_tr, X_va, y_va = _one_split(student, X, y, frac, by_keyword, split_seed, case)
        if len(X_tr) != len(y_tr) or len(X_va) != len(y_va):
            fail(case, f"X_train has {len(X_tr)} rows but y_train {len(y_tr)}, X_val "
                       f"{len(X_va)} but y_val {len(y_va)}: each X part needs its labels.")
        # round(val_fraction * n), within one example either way (floor, ceil, or n minus
        # the rounded training size all pass), never an empty part
        allowed = {min(max(k, 1), n - 1) for k in range(n + 1) if abs(k - frac * n) <= 1 + 1e-9}
        if len(X_va) not in allowed:
            hint = ""
            if abs((n - len(X_va)) - frac * n) <= 1 + 1e-9:
                hint = (" It looks swapped: val_fraction is the share that goes to "
                        "validation, the rest is for training.")
            elif len(X_tr) + len(X_va) != n:
                hint = f" The two parts hold {len(X_tr) + len(X_va)} rows in all, not n = {n}."
            fail(case, f"X_val has {len(X_va)} rows; with n = {n} and val_fraction = {frac} "
                       f"it should have round(val_fraction * n) = "
                       f"{min(max(round(frac * n), 1), n - 1)} (one more or less is "
                       f"accepted).{hint}")
        index = _row_index(X)
        tr, va = _trace(X_tr, index, X, case, "X_train"), _trace(X_va, index, X, case, "X_val")
        both = np.intersect1d(tr, va)
        if both.size:
            fail(case, f"{both.size} example(s) (e.g. example {both[0]} of X) are in both the "
                       "training and the validation set. Validation must be data the model "
                       "never trained on: split one permutation into two disjoint parts.")
        for idx, what in ((tr, "the training set"), (va, "the validation set")):
            if len(np.unique(idx)) != len(idx):
                fail(case, f"an example appears twice in {what}: draw without replacement "
                           "(a permutation), not with rng.choice(..., replace=True) or "
                           "rng.integers.")
        if len(tr) + len(va) != n:
            fail(case, f"{n - len(tr) - len(va)} example(s) are in neither part: every example "
                       "should be used, either for training or for validation.")
        for idx, ys, what in ((tr, y_tr, "y_train"), (va, y_va, "y_val")):
            if not np.array_equal(ys, y[idx]):
                k = int(np.flatnonzero(np.any((ys != y[idx]).reshape(len(idx), -1), axis=1))[0])
                fail(case, f"{what}[{k}] is not the label of the example in the same row of "
                           f"X_{what[2:]} (that is example {idx[k]} of X): X and y were shuffled "
                           "differently. Use ONE permutation and index both X and y with it.")
        if n >= 20 and (set(va) == set(range(len(va))) or set(va) == set(range(n - len(va), n))):
            where = "first" if 0 in set(va) else "last"
            fail(case, f"the validation set is the {where} {len(va)} rows of X: the split was "
                       "not shuffled. When the data are sorted (here the labels are sorted by "
                       "class) validation would hold only some classes. Shuffle with a "
                       "permutation drawn from np.random.default_rng(seed) first.")

    # the same seed gives the same split, another seed another split
    X = _identifiable(rng, (60, 2), np.float64)
    y = np.arange(60)
    case = Case("the same seed twice", seed, {"X.shape": X.shape, "seed argument": 7})
    first = _one_split(student, X, y, 0.2, True, 7, case)
    again = _one_split(student, X, y, 0.2, True, 7, case)
    if not all(np.array_equal(a, b) for a, b in zip(first, again)):
        fail(case, "two calls with seed=7 gave different splits. The split must be reproducible: "
                   "build the generator from the seed argument, np.random.default_rng(seed), "
                   "instead of using np.random's global state.")
    case = Case("two different seeds", seed, {"X.shape": X.shape, "seed arguments": (7, 8)})
    other = _one_split(student, X, y, 0.2, True, 8, case)
    if np.array_equal(np.sort(first[3]), np.sort(other[3])):
        fail(case, "seed=7 and seed=8 gave the same validation set: the seed argument seems to "
                   "be ignored (a fixed seed inside the function?).")

    bad = [("val_fraction = 0", 0.0), ("val_fraction = 1", 1.0), ("val_fraction = 1.5", 1.5),
           ("val_fraction = -0.2", -0.2)]
    X, y = np.ones((10, 2)), np.arange(10)
    for label, frac in bad:
        expect_raises(student, X, y, val_fraction=frac, case=Case(label, seed),
                      name="train_val_split",
                      why="the validation share must be strictly between 0 and 1")
    expect_raises(student, np.ones((10, 2)), np.arange(9), case=Case("X has 10 rows, y 9", seed),
                  name="train_val_split", why="X and y must have one row per example each")


# ---------------------------------------------------------------------------------------
# log_uniform
# ---------------------------------------------------------------------------------------


def _log_mistakes(low, high, size, seed):
    def fresh():
        return np.random.default_rng(seed)
    return [
        ("uniform instead of log-uniform sampling: rng.uniform(low, high) puts almost every "
         "value in the top decade. Draw the exponent uniformly: 10 ** rng.uniform(log10(low), "
         "log10(high)).", lambda: fresh().uniform(low, high, size)),
        ("wrong logarithm base: the exponent was drawn between np.log(low) and np.log(high) "
         "(natural logs) but raised as 10 ** (...). Use np.log10 with 10 **, or np.log with "
         "np.exp, never a mix.", lambda: 10.0 ** fresh().uniform(np.log(low), np.log(high), size)),
        ("wrong logarithm base: the exponent was drawn between log10(low) and log10(high) but "
         "raised with np.exp. Use 10 ** (...) with np.log10.",
         lambda: np.exp(fresh().uniform(np.log10(low), np.log10(high), size))),
        ("the exponent was drawn uniformly between low and high themselves; draw it between "
         "log10(low) and log10(high).", lambda: 10.0 ** fresh().uniform(low, high, size)),
    ]


def _matches(got, make):
    """Does a mistake's output equal what came back? Computed quietly (no warnings)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            candidate = np.asarray(make(), dtype=np.float64)
        except Exception:
            return False
    return candidate.shape == np.shape(got) and bool(np.allclose(got, candidate, rtol=1e-9,
                                                                  atol=0))


def _expected_shape(size):
    return (size,) if isinstance(size, Integral) else tuple(size)


def _log_values(student, low, high, size, rng, case):
    got = call_student(student, low, high, size, rng, case=case, name="log_uniform",
                       forbidden=FORBIDDEN, arg_names=("low", "high", "size", "rng"))
    shape = _expected_shape(size)
    if type(got).__module__.startswith("torch"):
        fail(case, "log_uniform returned a torch tensor; return a numpy array.")
    if not isinstance(got, np.ndarray):
        fail(case, f"log_uniform should return a numpy array of shape {shape}, got "
                   f"{type(got).__name__}.")
    if got.shape != shape:
        fail(case, f"log_uniform returned shape {got.shape}, expected {shape} (the size "
                   "argument, passed on to the generator).")
    if not np.issubdtype(got.dtype, np.floating):
        fail(case, f"log_uniform returned dtype {got.dtype}; return floats (float64).")
    if not np.all(np.isfinite(got)):
        fail(case, "log_uniform returned NaN or inf. Is the logarithm taken of a positive low?")
    return got.astype(np.float64)


def check_log_uniform(student, seed=0, hidden=False):
    """Check ``log_uniform(low, high, size, rng) -> ndarray``.

    The values must lie in [low, high], have the requested shape, come from the generator
    passed in (same seed, same values; other seed, other values) and be log-uniform: each
    decade gets the same share. A student following the reference's single draw
    ``10 ** rng.uniform(log10 low, log10 high, size)`` matches it exactly; any other exact
    log-uniform sampler is accepted through the distribution test.
    """
    seed, rng = make_rng(seed)
    specs = [("four decades", 1e-4, 1.0, 2000), ("size given as a tuple", 1e-6, 1e-2, (20, 3)),
             ("less than one decade", 0.5, 2.0, 50), ("one value", 10.0, 1e4, 1)]
    if hidden:
        specs += [("large values", 1e3, 1e9, 500), ("tiny values", 1e-12, 1e-9, 300)]
    for label, low, high, size in specs:
        draw_seed = int(rng.integers(0, 2**31 - 1))
        case = Case(label, seed, {"low": low, "high": high, "size": size, "rng seed": draw_seed})
        got = _log_values(student, low, high, size, np.random.default_rng(draw_seed), case)
        expected = ref.log_uniform(low, high, size, np.random.default_rng(draw_seed))
        if np.allclose(got, expected, rtol=1e-9, atol=0):
            continue  # the documented single draw: exactly the reference's numbers
        tol = 1e-9 * high
        if got.min() < low - 1e-9 * low or got.max() > high + tol:
            outside = got[(got < low - 1e-9 * low) | (got > high + tol)][0]
            message = (f"a value ({outside:.6g}) lies outside [low, high] = [{low:g}, {high:g}].")
            for name, make in _log_mistakes(low, high, size, draw_seed):
                if _matches(got, make):
                    message += f"\nLikely mistake: {name}"
                    break
            fail(case, message)
        for name, make in _log_mistakes(low, high, size, draw_seed):
            if _matches(got, make):
                fail(case, f"the values are not log-uniform.\nLikely mistake: {name}")

    # the distribution: each of the 6 decades from 1e-5 to 10 gets a sixth of the draws
    n = 20000
    draw_seed = int(rng.integers(0, 2**31 - 1))
    case = Case("distribution of 20,000 draws over [1e-5, 10]", seed, {"rng seed": draw_seed})
    got = _log_values(student, 1e-5, 10.0, n, np.random.default_rng(draw_seed), case)
    if got.min() < 1e-5 * (1 - 1e-9) or got.max() > 10.0 * (1 + 1e-9):
        fail(case, "values fall outside [1e-5, 10]." + _named_log_mistake(got, 1e-5, 10.0, n,
                                                                       draw_seed))
    shares = np.histogram(np.log10(got), bins=6, range=(-5, 1))[0] / n
    if np.max(np.abs(shares - 1 / 6)) > 0.02:
        pretty = ", ".join(f"{s:.3f}" for s in shares)
        fail(case, f"each decade (1e-5..1e-4, ..., 1..10) should get about 1/6 = 0.167 of the "
                   f"draws; got shares [{pretty}]. The values are not log-uniform."
                   + _named_log_mistake(got, 1e-5, 10.0, n, draw_seed, always=True))

    # it must use the generator it is given
    case = Case("two generators with the same seed", seed, {"seed": 11})
    a = _log_values(student, 1e-3, 1.0, 20, np.random.default_rng(11), case)
    b = _log_values(student, 1e-3, 1.0, 20, np.random.default_rng(11), case)
    if not np.array_equal(a, b):
        fail(case, "two generators with the same seed gave different values: draw from the "
                   "rng argument (rng.uniform(...)), not from np.random or a new generator.")
    case = Case("two generators with different seeds", seed, {"seeds": (11, 12)})
    c = _log_values(student, 1e-3, 1.0, 20, np.random.default_rng(12), case)
    if np.array_equal(a, c):
        fail(case, "generators with different seeds gave the same values: the rng argument is "
                   "ignored (a fixed seed inside the function?).")

    g = np.random.default_rng(0)
    for label, low, high, why in [("low = 0", 0.0, 1.0, "log10(0) is minus infinity"),
                                  ("low < 0", -1e-3, 1.0, "a negative number has no logarithm"),
                                  ("high < low", 1e-1, 1e-3, "the range is empty")]:
        expect_raises(student, low, high, 5, g, case=Case(label, seed, {"low": low, "high": high}),
                      name="log_uniform", why=why)


def _named_log_mistake(got, low, high, size, draw_seed, always=False):
    for name, make in _log_mistakes(low, high, size, draw_seed):
        if _matches(got, make):
            return f"\nLikely mistake: {name}"
    if always and np.mean(got > high / 10) > 0.5:
        return "\nLikely mistake: uniform instead of log-uniform sampling (most values in the top decade)."
    return ""


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


# ---------------------------------------------------------------------------------------
# lr_at
# ---------------------------------------------------------------------------------------


def _lr_mistakes(kind, lr0, t, total, drop, every):
    if kind == "step":
        return [
            ("a step schedule that decays every step: the rate is multiplied by drop once "
             "every `every` steps, lr0 * drop ** (t // every), not lr0 * drop ** t.",
             lambda: lr0 * drop ** t),
            ("the drop comes one step early: use t // every, not (t + 1) // every.",
             lambda: lr0 * drop ** ((t + 1) // every)),
            ("the drop comes too early: t // every rounds down, math.ceil(t / every) rounds up.",
             lambda: lr0 * drop ** math.ceil(t / every)),
            ("a smooth exponential decay, drop ** (t / every): the step schedule holds the rate "
             "constant between drops, use the integer division t // every.",
             lambda: lr0 * drop ** (t / every)),
            ("drop was multiplied, not raised to a power: lr0 * drop ** (t // every).",
             lambda: lr0 * drop * (t // every)),
            ("the `every` argument was ignored (10 was used).", lambda: lr0 * drop ** (t // 10)),
            ("the `drop` argument was ignored (0.1 was used).",
             lambda: lr0 * 0.1 ** (t // every)),
        ]
    if kind == "linear":
        return [
            ("the rate went below 0 after total_steps; clamp it: max(0, 1 - t / total_steps).",
             lambda: lr0 * (1 - t / total)),
            ("off by one: the rate should be lr0 at t = 0 and reach 0 at t = total_steps, "
             "lr0 * (1 - t / total_steps).", lambda: lr0 * max(0.0, 1 - (t + 1) / total)),
            ("divided by total_steps - 1: the rate reaches 0 at t = total_steps, "
             "lr0 * (1 - t / total_steps).", lambda: lr0 * max(0.0, 1 - t / (total - 1))),
            ("the schedule rises instead of falling: lr0 * (1 - t / total_steps).",
             lambda: lr0 * t / total),
        ]
    return [
        ("used sqrt(t) rather than sqrt(t + 1): at t = 0 that divides by zero.",
         lambda: lr0 / math.sqrt(t)),
        ("divided by t + 1 without the square root.", lambda: lr0 / (t + 1)),
        ("multiplied by sqrt(t + 1) instead of dividing.", lambda: lr0 * math.sqrt(t + 1)),
    ]


def _lr_cases(rng, hidden):
    """(label, kind, lr0, t, total_steps, drop, every, how): ``how`` says how drop and every
    are passed: "keywords", "position" (in the order of the signature) or "defaults"."""
    lr0 = float(np.round(rng.uniform(0.05, 0.5), 3))
    total = int(rng.integers(40, 120))
    every = int(rng.integers(3, 9))
    drop = float(np.round(rng.uniform(0.2, 0.7), 2))
    cases = [
        ("step, t = 0", "step", lr0, 0, total, drop, every, "keywords"),
        ("step, just before the first drop (t = every - 1)", "step", lr0, every - 1, total, drop,
         every, "keywords"),
        ("step, at the first drop (t = every)", "step", lr0, every, total, drop, every,
         "keywords"),
        ("step, after two drops", "step", lr0, 2 * every + 1, total, drop, every, "keywords"),
        ("step, with the default drop=0.1 and every=10", "step", lr0, 25, total, 0.1, 10,
         "defaults"),
        ("step, drop and every passed by position", "step", lr0, 2 * every, total, drop, every,
         "position"),
        ("step, t a numpy integer (as np.arange gives it)", "step", lr0, np.int64(3 * every),
         total, drop, every, "keywords"),
        ("linear, t = 0", "linear", lr0, 0, total, drop, every, "keywords"),
        ("linear, half way", "linear", lr0, total // 2, total, drop, every, "keywords"),
        ("linear, t = total_steps", "linear", lr0, total, total, drop, every, "keywords"),
        ("linear, after total_steps (the rate stays 0)", "linear", lr0, total + 7, total, drop,
         every, "keywords"),
        ("inverse_sqrt, t = 0", "inverse_sqrt", lr0, 0, total, drop, every, "keywords"),
        ("inverse_sqrt, t = 3", "inverse_sqrt", lr0, 3, total, drop, every, "keywords"),
        ("inverse_sqrt, t = 99", "inverse_sqrt", lr0, 99, total, drop, every, "keywords"),
    ]
    if hidden:
        for _ in range(6):
            kind = ("step", "linear", "inverse_sqrt")[int(rng.integers(0, 3))]
            t = int(rng.integers(0, total))
            cases.append((f"{kind}, random t", kind, float(rng.uniform(1e-3, 2)), t, total,
                          float(rng.uniform(0.1, 0.9)), int(rng.integers(1, 12)), "keywords"))
        cases.append(("step, every = 1 decays every step", "step", lr0, 4, total, 0.5, 1,
                      "keywords"))
        cases.append(("linear, t a numpy integer past total_steps", "linear", lr0,
                      np.int64(total + 1), total, drop, every, "keywords"))
    return cases


def _python_float(got, case, what):
    """The contract asks for a Python float: a float (numpy's float64 is one) and nothing else.

    ``np.float64`` subclasses ``float``: ``isinstance(x, float)`` holds, it prints, compares
    and serializes as a float, so it is accepted. A 0-d array, a float32, an int or a tensor
    is not a float and is refused with the fix (``float(...)``).
    """
    if type(got).__module__.startswith("torch"):
        fail(case, f"{what} is a torch tensor; return a Python float: float(...).")
    if isinstance(got, np.ndarray):
        if got.ndim == 0:
            fail(case, f"{what} is a 0-d numpy array ({got!r:.60}), not a Python float "
                       "(np.asarray or np.array of a number gives one): return float(...) of "
                       "the result.")
        fail(case, f"{what} should be a single number (a Python float), got an array of "
                   f"shape {got.shape}.")
    if isinstance(got, (bool, np.bool_)):
        fail(case, f"{what} should be a Python float, got the bool {got!r}.")
    if isinstance(got, float):
        return float(got)
    if isinstance(got, np.floating):
        fail(case, f"{what} is a numpy {got.dtype} ({got!r:.60}), not a Python float (a "
                   f"{got.dtype} also rounds the rate to fewer digits); return float(...).")
    if isinstance(got, (Integral, np.integer)):
        fail(case, f"{what} is the integer {got!r}; the rate is a Python float even when it "
                   "is a whole number: return float(...) (for example 0.0, not 0).")
    fail(case, f"{what} should be a Python float, got {type(got).__name__}: {got!r:.80}")


_SIGNATURE_HINT = ("\nLikely mistake: drop and every are passed by position here, in the order "
                   "of the signature lr_at(kind, lr0, t, total_steps, drop=0.1, every=10); "
                   "check that your def lists them in that order.")


def check_lr_at(student, seed=0, hidden=False):
    """Check ``lr_at(kind, lr0, t, total_steps, drop=0.1, every=10) -> float``.

    The three schedules at t = 0, around the first drop, half way, at and after
    total_steps, with the defaults, with keywords and by position, with t a numpy integer;
    the result must be a Python float (``np.float64``, a float subclass, is one; a 0-d
    array, a float32 or an int is not); ValueError for an unknown kind, a negative t and
    ``every < 1`` for the step schedule.
    """
    seed, rng = make_rng(seed)
    for label, kind, lr0, t, total, drop, every, how in _lr_cases(rng, hidden):
        details = {"kind": kind, "lr0": lr0, "t": t, "total_steps": total}
        if how != "defaults":
            details.update(drop=drop, every=every)
        case = Case(label, seed, details)
        args = (kind, lr0, t, total) + ((drop, every) if how == "position" else ())
        kwargs = {"drop": drop, "every": every} if how == "keywords" else {}
        hint = _SIGNATURE_HINT if how == "position" else ""
        try:
            got = call_student(student, *args, case=case, name="lr_at", **kwargs)
        except AssertionError as exc:
            if "ZeroDivisionError" in str(exc) and kind == "inverse_sqrt":
                fail(case, f"{exc}\nLikely mistake: a schedule that divides by zero at t = 0. "
                           "Steps count from 0, so use lr0 / sqrt(t + 1).")
            if hint:
                raise CheckFailure(f"{exc}{hint}") from None
            raise
        value = _python_float(got, case, "the learning rate")
        expected = ref.lr_at(kind, lr0, t, total, drop=drop, every=every)
        if not math.isfinite(value):
            extra = (" A schedule that divides by zero at t = 0: use lr0 / sqrt(t + 1)."
                     if kind == "inverse_sqrt" and t == 0 else "")
            fail(case, f"the learning rate is {value}, expected {expected:.6g}.{extra}{hint}")
        if hint and not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12):
            fail(case, f"the learning rate is wrong: expected {expected:.6g}, got "
                       f"{value:.6g}.{hint}")
        expect_close(value, expected, case=case, what="the learning rate",
                     mistakes=_lr_mistakes(kind, lr0, t, total, drop, every), rtol=1e-9,
                     atol=1e-12)

    for label, args, kwargs, why in [
            ("unknown kind 'cosine'", ("cosine", 0.1, 5, 100), {}, "unknown schedule kind"),
            ("negative step t = -1", ("step", 0.1, -1, 100), {}, "steps count from 0"),
            ("step schedule with every = 0", ("step", 0.1, 5, 100), {"every": 0},
             "dropping every 0 steps is impossible")]:
        expect_raises(student, *args, case=Case(label, seed), name="lr_at", why=why, **kwargs)


# ---------------------------------------------------------------------------------------
# early_stopping_epoch
# ---------------------------------------------------------------------------------------


def _stopping_epoch(losses, patience):
    """Where training stops (or the last epoch), as a mistaken answer would return it."""
    best = 0
    for e in range(1, len(losses)):
        if losses[e] < losses[best]:
            best = e
        elif e - best >= patience:
            return e
    return len(losses) - 1


def _patience_shifted(losses, patience, shift):
    """The answer with patience one larger or smaller (None when that is below 1)."""
    return ref.early_stopping_epoch(losses, patience + shift) if patience + shift >= 1 else None


def _es_non_strict(losses, patience):
    """A loss equal to the best counts as an improvement (``<=``): the latest tie is kept."""
    best = 0
    for e in range(1, len(losses)):
        if losses[e] <= losses[best]:
            best = e
        elif e - best >= patience:
            break
    return best


def _es_tie_restarts_patience(losses, patience):
    """The best epoch is the earliest of equal losses, but a tie restarts the count."""
    best, wait = 0, 0
    for e in range(1, len(losses)):
        if losses[e] < losses[best]:
            best, wait = e, 0
        elif losses[e] == losses[best]:
            wait = 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best


def _es_latest_tie(losses, patience):
    """Stops where it should, then returns the last epoch with the lowest loss seen."""
    best = ref.early_stopping_epoch(losses, patience)
    seen = losses[:min(best + patience, len(losses) - 1) + 1]
    return max(e for e, v in enumerate(seen) if v == losses[best])


_TIE = ("improvement means strictly below the best so far, so of equal losses the earliest "
        "epoch is kept, and an epoch that only equals the best is an epoch without "
        "improvement.")


def _es_mistakes(losses, patience):
    best = ref.early_stopping_epoch(losses, patience)
    return [
        ("a loss equal to the best so far was counted as an improvement (`<=` instead of "
         "`<`): " + _TIE, lambda: _es_non_strict(losses, patience)),
        ("a loss equal to the best so far restarted the patience count: " + _TIE,
         lambda: _es_tie_restarts_patience(losses, patience)),
        ("of equal best losses the latest epoch was returned: " + _TIE,
         lambda: _es_latest_tie(losses, patience)),
        ("returned the epoch where training stopped, not the best one: restore the weights of "
         "the best epoch.", lambda: _stopping_epoch(losses, patience)),
        ("returned the best epoch + patience: that is where training stopped; keep the weights "
         "of the best epoch itself.", lambda: best + patience),
        ("ignoring patience: the best epoch of the whole list is one training would never have "
         "reached, since it stopped after `patience` epochs without improvement.",
         lambda: int(np.argmin(losses))),
        ("patience off by one: training stopped one epoch too late (it waited for patience + 1 "
         "epochs without improvement).", lambda: _patience_shifted(losses, patience, +1)),
        ("patience off by one: training stopped one epoch too early (after patience - 1 epochs "
         "without improvement).", lambda: _patience_shifted(losses, patience, -1)),
        ("epochs count from 0: return the index into val_losses.", lambda: best + 1),
    ]


def _noisy_curve(rng, n):
    """A validation curve that falls, bottoms out and rises, with noise (no ties)."""
    e = np.arange(n)
    bottom = rng.uniform(0.3, 0.7) * n
    curve = 0.5 + 2.0 * np.exp(-e / (0.2 * n)) + 0.002 * np.maximum(e - bottom, 0) ** 1.5
    return [float(v) for v in curve + rng.normal(0, 0.03, n)]


def _es_cases(rng, hidden):
    cases = [
        ("falls, then rises", [1.0, 0.8, 0.7, 0.75, 0.8, 0.9, 1.0], 3, "list"),
        ("a lower minimum after training has stopped", [1.0, 0.5, 0.6, 0.7, 0.8, 0.4, 0.3], 3,
         "list"),
        ("new best exactly `patience` epochs after the last one",
         [1.0, 0.6, 0.7, 0.8, 0.5, 0.9, 1.0, 1.1, 1.2], 3, "list"),
        ("new best one epoch after training stopped", [1.0, 0.6, 0.7, 0.8, 0.9, 0.5, 1.0, 1.1],
         3, "list"),
        ("still improving at the last epoch", [2.0, 1.5, 1.2, 1.0, 0.9], 2, "list"),
        ("a single epoch", [0.7], 5, "list"),
        ("patience = 1", [1.0, 0.9, 0.95, 0.5, 0.4], 1, "list"),
        ("a noisy validation curve (ndarray)", _noisy_curve(rng, 40), 4, "array"),
        ("a noisy validation curve (float32 ndarray)", _noisy_curve(rng, 30), 6, "float32"),
        # equal losses: improvement is strictly below the best, the earliest tie is kept
        ("two equal best losses: the earliest is kept", [1.0, 0.6, 0.8, 0.6, 0.9, 1.0, 1.1], 3,
         "list"),
        ("a loss equal to the best inside the patience window (not an improvement)",
         [1.0, 0.6, 0.7, 0.6, 0.8, 0.5, 0.9], 3, "list"),
        ("equal losses at the start", [0.9, 0.9, 0.9, 0.9, 0.5, 0.4], 3, "list"),
        ("every loss equal", [0.7] * 6, 2, "list"),
        ("patience longer than the run", [1.0, 0.8, 0.9, 0.7, 0.75], 10, "list"),
        ("a tuple of losses", (1.2, 0.9, 1.0, 0.8, 0.85, 0.95, 1.1), 2, "tuple"),
    ]
    if hidden:
        for _ in range(8):
            n = int(rng.integers(5, 80))
            cases.append(("random noisy curve", _noisy_curve(rng, n), int(rng.integers(1, 10)),
                          "array"))
        for _ in range(4):
            # rounded to two decimals, as a logged loss often is: ties near the bottom
            n = int(rng.integers(15, 60))
            curve = [round(v, 2) for v in _noisy_curve(rng, n)]
            cases.append(("random curve rounded to 2 decimals (ties)", curve,
                          int(rng.integers(1, 8)), "list"))
    return cases


def check_early_stopping_epoch(student, seed=0, hidden=False):
    """Check ``early_stopping_epoch(val_losses, patience) -> int``.

    Curves built so that the usual mistakes give different answers: returning where
    training stopped instead of the best epoch, taking the best of the whole list
    (ignoring patience), patience off by one either way, counting epochs from 1, and equal
    losses (improvement is strictly below the best: of equal losses the earliest epoch is
    kept, and a tie does not restart the patience), at the start, inside the patience
    window, everywhere. Lists, tuples and arrays; ValueError for an empty list and
    patience < 1.
    """
    seed, rng = make_rng(seed)
    for label, losses, patience, form in _es_cases(rng, hidden):
        if form == "array":
            arg = np.array(losses)
        elif form == "tuple":
            arg = tuple(losses)
        elif form == "float32":
            arg = np.array(losses, dtype=np.float32)
            losses = [float(v) for v in arg]
        else:
            arg = list(losses)
        before = copy.deepcopy(arg) if isinstance(arg, (list, tuple)) else arg.copy()
        shown = [round(v, 3) for v in losses[:12]] + (["..."] if len(losses) > 12 else [])
        case = Case(label, seed, {"val_losses": shown, "patience": patience})
        got = call_student(student, arg, patience, case=case, name="early_stopping_epoch",
                           arg_names=("val_losses", "patience"))
        if isinstance(arg, list):
            _unchanged(before, arg, case, "early_stopping_epoch", "val_losses")
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (Integral, np.integer)):
            fail(case, f"early_stopping_epoch should return an int (an epoch index), got "
                       f"{type(got).__name__}: {got!r:.60}.")
        expected = ref.early_stopping_epoch(losses, patience)
        if int(got) != expected:
            named = []
            for text, make in _es_mistakes(losses, patience):
                try:
                    if make() == int(got):
                        named.append(text)
                except Exception:  # pragma: no cover
                    continue
            hint = ("\nLikely mistake: " + "\nOr: ".join(named)) if named else ""
            fail(case, f"returned epoch {int(got)}, expected {expected} (the best epoch seen "
                       f"before {patience} epoch(s) in a row without improvement stop "
                       f"training).{hint}")

    expect_raises(student, [], 3, case=Case("no epochs", seed), name="early_stopping_epoch",
                  why="an empty list has no best epoch")
    expect_raises(student, [1.0, 0.9, 0.8], 0, case=Case("patience = 0", seed),
                  name="early_stopping_epoch", why="patience must be at least 1 epoch")
