"""Do the notebook 08 checks reject the mistakes students make and accept any right answer?

Every "student" here is written independently of ``course_utils.reference`` (the checks
reject calls into it).
"""

import math

import numpy as np
import pytest

from course_utils import reference as ref
from course_utils.checks import (CheckFailure, check_early_stopping_epoch, check_log_uniform,
                                 check_lr_at, check_narrow_space, check_random_search,
                                 check_train_val_split)

from tests.helpers import accepted, mistakes_rejected, rejected

pytestmark = pytest.mark.nb08


_rejected = rejected


# =========================================================================================
# train_val_split
# =========================================================================================

def _validate_split(X, y, val_fraction):
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError("X and y lengths differ")
    if not 0 < val_fraction < 1:
        raise ValueError("val_fraction must be in (0, 1)")
    return X, y


def _n_val(n, f, rounding=round):
    return min(max(int(rounding(f * n)), 1), n - 1)


def split_permutation(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[perm[k:]], y[perm[k:]], X[perm[:k]], y[perm[:k]]


def split_shuffle_indices_ceil(X, y, val_fraction=0.2, seed=0):
    """rng.shuffle on an index array, validation at the end, ceil for its size."""
    X, y = _validate_split(X, y, val_fraction)
    idx = np.arange(len(X))
    np.random.default_rng(seed).shuffle(idx)
    k = _n_val(len(X), val_fraction, math.ceil)
    return X[idx[:-k]], y[idx[:-k]], X[idx[-k:]], y[idx[-k:]]


def split_random_mask(X, y, val_fraction=0.2, seed=0):
    """A random choice of validation rows, both parts kept in their original order."""
    X, y = _validate_split(X, y, val_fraction)
    rng = np.random.default_rng(seed)
    val = rng.choice(len(X), size=_n_val(len(X), val_fraction, math.floor), replace=False)
    mask = np.zeros(len(X), bool)
    mask[val] = True
    return X[~mask], y[~mask], X[mask], y[mask]


def split_train_size_first(X, y, val_fraction=0.2, seed=0):
    """n_train = int((1 - val_fraction) * n): floating point can give one more for validation."""
    X, y = _validate_split(X, y, val_fraction)
    n_train = min(max(int((1 - val_fraction) * len(X)), 1), len(X) - 1)
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:n_train]], y[idx[:n_train]], X[idx[n_train:]], y[idx[n_train:]]


test_right_splits_accepted = accepted(
    check_train_val_split, [split_permutation, split_shuffle_indices_ceil, split_random_mask,
    split_train_size_first], [0, 1, None],
    """Is every correct split accepted, whatever rounding, order or shuffling method it uses?""")


def split_no_shuffle(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    k = _n_val(len(X), val_fraction)
    return X[:-k], y[:-k], X[-k:], y[-k:]


def split_two_permutations(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    rng = np.random.default_rng(seed)
    px, py = rng.permutation(len(X)), rng.permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[px[k:]], y[py[k:]], X[px[:k]], y[py[:k]]


def split_overlap(X, y, val_fraction=0.2, seed=0):
    """Validation drawn from the data, training on all of it."""
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[perm], y[perm], X[perm[:k]], y[perm[:k]]


def split_with_replacement(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    rng = np.random.default_rng(seed)
    k = _n_val(len(X), val_fraction)
    val = rng.integers(0, len(X), size=k)
    train = np.setdiff1d(np.arange(len(X)), val)
    return X[train], y[train], X[val], y[val]


def split_swapped_fraction(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[perm[:k]], y[perm[:k]], X[perm[k:]], y[perm[k:]]


def split_global_rng(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[perm[k:]], y[perm[k:]], X[perm[:k]], y[perm[:k]]


def split_fixed_seed(X, y, val_fraction=0.2, seed=0):
    return split_permutation(X, y, val_fraction, seed=42)


def split_no_validation(X, y, val_fraction=0.2, seed=0):
    X, y = np.asarray(X), np.asarray(y)
    perm = np.random.default_rng(seed).permutation(len(X))
    k = min(max(int(round(val_fraction * len(X))), 1), len(X) - 1) if len(X) > 1 else 0
    return X[perm[k:]], y[perm[k:]], X[perm[:k]], y[perm[:k]]


def split_lists(X, y, val_fraction=0.2, seed=0):
    return tuple(part.tolist() for part in split_permutation(X, y, val_fraction, seed))


def split_shuffles_in_place(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    X[:] = X[perm]
    y[:] = y[perm]
    k = _n_val(len(X), val_fraction)
    return X[k:].copy(), y[k:].copy(), X[:k].copy(), y[:k].copy()


def split_float64(X, y, val_fraction=0.2, seed=0):
    parts = split_permutation(X, y, val_fraction, seed)
    return parts[0].astype(np.float64), parts[1], parts[2].astype(np.float64), parts[3]


def split_sklearn(X, y, val_fraction=0.2, seed=0):
    from sklearn.model_selection import train_test_split

    _validate_split(X, y, val_fraction)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=val_fraction, random_state=seed)
    return X_tr, y_tr, X_va, y_va


def split_sklearn_order(X, y, val_fraction=0.2, seed=0):
    X_tr, y_tr, X_va, y_va = split_permutation(X, y, val_fraction, seed)
    return X_tr, X_va, y_tr, y_va


def split_stub(X, y, val_fraction=0.2, seed=0):
    raise NotImplementedError()


SPLIT_MISTAKES = [
    (split_no_shuffle, "not shuffled"),
    (split_two_permutations, "shuffled differently"),
    (split_overlap, "in both the training and the validation set"),
    (split_with_replacement, "appears twice"),
    (split_swapped_fraction, "It looks swapped"),
    (split_global_rng, "reproducible"),
    (split_fixed_seed, "seed argument seems to be ignored"),
    (split_no_validation, "should raise ValueError"),
    (split_lists, "should be a numpy ndarray"),
    (split_shuffles_in_place, "in place"),
    (split_float64, "dtype float64, expected float32"),
    (split_sklearn, "sklearn's train_test_split"),
    (split_sklearn_order, "scikit-learn's order"),
    (split_stub, "not written yet"),
]


test_split_mistakes_rejected_with_their_name = mistakes_rejected(
    check_train_val_split, SPLIT_MISTAKES,
    """Is each wrong split rejected, with a message that names the mistake?""",
    ids=[w for _, w in SPLIT_MISTAKES])


# =========================================================================================
# log_uniform
# =========================================================================================

def _log_args(low, high):
    if low <= 0 or high < low:
        raise ValueError("need 0 < low <= high")


def log_uniform_log10(low, high, size, rng):
    _log_args(low, high)
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=size)


def log_uniform_natural(low, high, size, rng):
    """np.exp with np.log: the same distribution in another base."""
    _log_args(low, high)
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))


def log_uniform_reversed(low, high, size, rng):
    """Exponent from the top down: other numbers, the same distribution."""
    _log_args(low, high)
    u = rng.random(size)
    return np.clip(high / (high / low) ** u, low, high)


def log_uniform_loop(low, high, size, rng):
    _log_args(low, high)
    shape = (size,) if isinstance(size, int) else tuple(size)
    out = np.empty(int(np.prod(shape)))
    for i in range(out.size):
        out[i] = 10 ** (math.log10(low) + rng.random() * (math.log10(high) - math.log10(low)))
    return out.reshape(shape)


test_right_log_uniform_accepted = accepted(
    check_log_uniform, [log_uniform_log10, log_uniform_natural, log_uniform_reversed,
    log_uniform_loop], [0, 5, None],
    """Is any log-uniform sampler accepted, whatever its base or draw order?""")


LOG_MISTAKES = [
    (lambda low, high, size, rng: (_log_args(low, high), rng.uniform(low, high, size))[1],
     "uniform instead of log-uniform"),
    (lambda low, high, size, rng: (_log_args(low, high),
                                   10 ** rng.uniform(np.log(low), np.log(high), size))[1],
     "wrong logarithm base"),
    (lambda low, high, size, rng: (_log_args(low, high),
                                   np.exp(rng.uniform(np.log10(low), np.log10(high), size)))[1],
     "wrong logarithm base"),
    (lambda low, high, size, rng: (_log_args(low, high), 10 ** rng.uniform(low, high, size))[1],
     "drawn uniformly between low and high themselves"),
    (lambda low, high, size, rng: (_log_args(low, high),
                                   10 ** np.random.uniform(np.log10(low), np.log10(high), size))[1],
     "same seed gave different values"),
    (lambda low, high, size, rng: log_uniform_log10(low, high, size, np.random.default_rng(0)),
     "rng argument is ignored"),
    (lambda low, high, size, rng: 10.0 ** rng.uniform(np.log10(low), np.log10(high), size),
     "should raise ValueError"),
    (lambda low, high, size, rng: log_uniform_log10(low, high, size, rng).tolist(),
     "numpy array"),
    (lambda low, high, size, rng: log_uniform_log10(low, high, size, rng).ravel(),
     "expected (20, 3)"),
]


test_log_uniform_mistakes_rejected = mistakes_rejected(
    check_log_uniform, LOG_MISTAKES,
    """Is each wrong sampler rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(LOG_MISTAKES)])


def test_uniform_sampling_is_named_by_the_distribution_test_too():
    """Does a uniform sampler with its own draw order still get named (not just 'wrong')?"""
    def shuffled_uniform(low, high, size, rng):
        _log_args(low, high)
        return high - rng.random(size) * (high - low)
    _rejected(check_log_uniform, shuffled_uniform, "not log-uniform")


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


# =========================================================================================
# narrow_space
# =========================================================================================

def narrow_right(results, space, top_k=5):
    if top_k < 1 or not results:
        raise ValueError("need results and top_k >= 1")
    best = sorted(results, key=lambda r: r["score"])[:top_k]
    return {name: (min(r["params"][name] for r in best), max(r["params"][name] for r in best),
                   kind) for name, (_, _, kind) in space.items()}


def narrow_numpy(results, space, top_k=5):
    if top_k < 1 or len(results) == 0:
        raise ValueError("need results and top_k >= 1")
    order = np.argsort([r["score"] for r in results], kind="stable")[:top_k]
    out = {}
    for name, spec in space.items():
        values = np.array([results[i]["params"][name] for i in order])
        out[name] = [values.min(), values.max(), spec[2]]             # a list is fine too
    return out


test_right_narrow_space_accepted = accepted(
    check_narrow_space, [narrow_right, narrow_numpy], [0, 8, None],
    """Is a correct narrow_space accepted (tuples or lists, Python or numpy numbers)?""")


def _narrow_with(select, kind=None, swap=False):
    def narrow(results, space, top_k=5):
        if top_k < 1 or not results:
            raise ValueError("bad input")
        chosen = select(results, top_k)
        out = {}
        for name, (_, _, k) in space.items():
            lo = min(r["params"][name] for r in chosen)
            hi = max(r["params"][name] for r in chosen)
            out[name] = (hi, lo, k) if swap else (lo, hi, kind or k)
        return out
    return narrow


def narrow_sorts_in_place(results, space, top_k=5):
    if top_k < 1 or not results:
        raise ValueError("bad input")
    results.sort(key=lambda r: r["score"])
    return narrow_right(results, space, top_k)


def narrow_old_space(results, space, top_k=5):
    if top_k < 1 or not results:
        raise ValueError("bad input")
    return dict(space)


NARROW_MISTAKES = [
    (_narrow_with(lambda res, k: sorted(res, key=lambda r: -r["score"])[:k]), "worst top_k"),
    (_narrow_with(lambda res, k: res[:k]), "without sorting them by score"),
    (_narrow_with(lambda res, k: sorted(res, key=lambda r: r["score"])[:5]),
     "top_k argument was ignored"),
    (_narrow_with(lambda res, k: res), "all the results were spanned"),
    (_narrow_with(lambda res, k: sorted(res, key=lambda r: r["score"])[:k], kind="linear"),
     "keep the old kind"),
    (_narrow_with(lambda res, k: sorted(res, key=lambda r: r["score"])[:k], swap=True),
     "low is the smallest value"),
    (narrow_sorts_in_place, "changed its input `results`"),
    (narrow_old_space, "old space was returned unchanged"),
    (lambda results, space, top_k=5: narrow_right(results, space, top_k) if results else {},
     "should raise ValueError"),
]


test_narrow_mistakes_rejected = mistakes_rejected(
    check_narrow_space, NARROW_MISTAKES,
    """Is each wrong narrowing rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(NARROW_MISTAKES)])


# =========================================================================================
# lr_at
# =========================================================================================

def _lr_validate(kind, t, every):
    if kind not in ("step", "linear", "inverse_sqrt"):
        raise ValueError(f"unknown kind {kind}")
    if t < 0 or every < 1:
        raise ValueError("bad t or every")


def lr_right(kind, lr0, t, total_steps, drop=0.1, every=10):
    _lr_validate(kind, t, every)
    if kind == "step":
        return lr0 * drop ** (t // every)
    if kind == "linear":
        return lr0 * max(0.0, 1 - t / total_steps)
    return lr0 / math.sqrt(t + 1)


def lr_numpy(kind, lr0, t, total_steps, drop=0.1, every=10):
    """numpy scalars and np.clip: also right."""
    _lr_validate(kind, t, every)
    table = {"step": lambda: lr0 * np.power(drop, np.floor_divide(t, every)),
             "linear": lambda: lr0 * np.clip(1 - t / total_steps, 0, None),
             "inverse_sqrt": lambda: lr0 * (t + 1) ** -0.5}
    return table[kind]()


test_right_lr_at_accepted = accepted(
    check_lr_at, [lr_right, lr_numpy], [0, 4, None],
    """Is a correct schedule accepted, with Python or numpy numbers?""")


def _lr_with(step=None, linear=None, inverse=None):
    """A right lr_at with one schedule replaced by a wrong formula."""
    def lr_at(kind, lr0, t, total_steps, drop=0.1, every=10):
        _lr_validate(kind, t, every)
        if kind == "step":
            return step(lr0, t, total_steps, drop, every) if step else lr0 * drop ** (t // every)
        if kind == "linear":
            return linear(lr0, t, total_steps) if linear else lr0 * max(0.0, 1 - t / total_steps)
        return inverse(lr0, t) if inverse else lr0 / math.sqrt(t + 1)
    return lr_at


def lr_no_kind_check(kind, lr0, t, total_steps, drop=0.1, every=10):
    if t < 0 or every < 1:
        raise ValueError("bad")
    if kind == "step":
        return lr0 * drop ** (t // every)
    if kind == "linear":
        return lr0 * max(0.0, 1 - t / total_steps)
    return lr0 / math.sqrt(t + 1)                      # anything else: inverse_sqrt


LR_MISTAKES = [
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * drop ** t), "decays every step"),
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * drop ** ((t + 1) // every)),
     "one step early"),
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * drop ** (t / every)),
     "smooth exponential"),
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * drop ** (t // 10)),
     "`every` argument was ignored"),
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * 0.1 ** (t // every)),
     "`drop` argument was ignored"),
    (_lr_with(inverse=lambda lr0, t: lr0 / math.sqrt(t)), "divides by zero at t = 0"),
    (_lr_with(inverse=lambda lr0, t: lr0 / np.sqrt(np.float64(t))), "divides by zero at t = 0"),
    (_lr_with(inverse=lambda lr0, t: lr0 / (t + 1)), "without the square root"),
    (_lr_with(linear=lambda lr0, t, T: lr0 * (1 - t / T)), "went below 0"),
    (_lr_with(linear=lambda lr0, t, T: lr0 * max(0.0, 1 - (t + 1) / T)), "off by one"),
    (lr_no_kind_check, "should raise ValueError"),
    (lambda kind, lr0, t, total_steps, drop=0.1, every=10: np.array(
        [lr_right(kind, lr0, t, total_steps, drop, every)]), "single number"),
]


test_lr_mistakes_rejected = mistakes_rejected(
    check_lr_at, LR_MISTAKES,
    """Is each wrong schedule rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(LR_MISTAKES)])


# =========================================================================================
# early_stopping_epoch
# =========================================================================================

def _es_validate(val_losses, patience):
    if len(val_losses) == 0 or patience < 1:
        raise ValueError("bad input")


def es_wait_counter(val_losses, patience):
    """Keras-style: a counter of epochs without improvement."""
    _es_validate(val_losses, patience)
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best_epoch


def es_prefix_argmin(val_losses, patience):
    """Find where training stops, then the best of what was seen."""
    _es_validate(val_losses, patience)
    losses = np.asarray(val_losses, dtype=float)
    for stop in range(len(losses)):
        best = int(np.argmin(losses[:stop + 1]))
        if stop - best >= patience:
            return best
    return int(np.argmin(losses))


test_right_early_stopping_accepted = accepted(
    check_early_stopping_epoch, [es_wait_counter, es_prefix_argmin], [0, 6, None],
    """Is a correct early stopping accepted, counter-based or prefix-based?""")


def _es_patience(shift):
    def es(val_losses, patience):
        _es_validate(val_losses, patience)
        return es_wait_counter(val_losses, patience + shift) if patience + shift >= 1 else 0
    return es


def es_stop_epoch(val_losses, patience):
    _es_validate(val_losses, patience)
    best, best_epoch = math.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return epoch
    return len(val_losses) - 1


def es_sorts_in_place(val_losses, patience):
    _es_validate(val_losses, patience)
    answer = es_wait_counter(list(val_losses), patience)
    if isinstance(val_losses, list):
        val_losses.sort()
    return answer


ES_MISTAKES = [
    (es_stop_epoch, "where training stopped"),
    (lambda v, p: (_es_validate(v, p), int(np.argmin(v)))[1], "ignoring patience"),
    (_es_patience(+1), "one epoch too late"),
    (_es_patience(-1), "one epoch too early"),
    (lambda v, p: es_wait_counter(v, p) + 1, "epochs count from 0"),
    (lambda v, p: float(es_wait_counter(v, p)), "should return an int"),
    (es_sorts_in_place, "changed its input `val_losses`"),
    (lambda v, p: es_wait_counter(v, max(p, 1)) if len(v) else 0, "should raise ValueError"),
]


test_early_stopping_mistakes_rejected = mistakes_rejected(
    check_early_stopping_epoch, ES_MISTAKES,
    """Is each wrong early stopping rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(ES_MISTAKES)])


def test_best_plus_patience_is_named():
    """Does returning best + patience (where training stopped) get its own explanation?"""
    def best_plus_patience(v, p):
        _es_validate(v, p)
        return es_wait_counter(v, p) + p
    message = _rejected(check_early_stopping_epoch, best_plus_patience, "returned")
    assert "training stopped" in message, message


# =========================================================================================
# Memorised answers and reproducible failures
# =========================================================================================

def _memorised_early_stopping():
    import course_utils.checks.hyperparams.early_stopping as ch
    from course_utils.checks._core import make_rng

    _, rng = make_rng(0)
    return {tuple(np.round(np.asarray(losses, float), 6)): ref.early_stopping_epoch(losses, p)
            for _, losses, p, _ in ch._es_cases(rng, hidden=False)}


_ES_MEMO = _memorised_early_stopping()


def es_hard_coded(val_losses, patience):
    _es_validate(val_losses, patience)
    return _ES_MEMO.get(tuple(np.round(np.asarray(val_losses, float), 6)), 0)


def test_hard_coded_early_stopping_passes_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's fresh curves?"""
    check_early_stopping_epoch(es_hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_early_stopping_epoch(es_hard_coded, seed=31, hidden=True)


def test_failure_reports_a_seed_that_reproduces_it():
    """Does a failure with a fresh seed name the seed, and fail again with it?"""
    wrong = _search_with(_uniform_draw)
    with pytest.raises(CheckFailure) as info:
        check_random_search(wrong, seed=None)
    seed = int(str(info.value).split("seed ")[1].split(",")[0].split(")")[0])
    with pytest.raises(CheckFailure):
        check_random_search(wrong, seed=seed)


# =========================================================================================
# lr_at returns a Python float; early_stopping_epoch keeps the earliest of equal losses
# =========================================================================================

def lr_float_subclass(kind, lr0, t, total_steps, drop=0.1, every=10):
    """numpy's float64 subclasses float: a rate that is one is a Python float."""
    return np.float64(lr_right(kind, lr0, t, total_steps, drop, every))


@pytest.mark.parametrize("seed", [0, None])
def test_numpy_float64_counts_as_a_python_float(seed):
    """Is a rate returned as np.float64 (a subclass of float) accepted?"""
    check_lr_at(lr_float_subclass, seed=seed, hidden=True)


def _lr_returning(wrap):
    def lr_at(kind, lr0, t, total_steps, drop=0.1, every=10):
        return wrap(lr_right(kind, lr0, t, total_steps, drop, every))
    return lr_at


def lr_int_zero(kind, lr0, t, total_steps, drop=0.1, every=10):
    """Right everywhere, but the linear schedule's 0 after total_steps is the int 0."""
    _lr_validate(kind, t, every)
    if kind == "linear" and t >= total_steps:
        return 0
    return lr_right(kind, lr0, t, total_steps, drop, every)


def lr_swapped_signature(kind, lr0, t, total_steps, every=10, drop=0.1):
    _lr_validate(kind, t, every)
    return lr_right(kind, lr0, t, total_steps, drop=drop, every=every)


def lr_swapped_signature_unchecked(kind, lr0, t, total_steps, every=10, drop=0.1):
    if kind == "step":
        return lr0 * drop ** (t // every)
    return lr_right(kind, lr0, t, total_steps, drop=drop, every=every)


def lr_refuses_numpy_integers(kind, lr0, t, total_steps, drop=0.1, every=10):
    if not isinstance(t, int):
        raise ValueError(f"t must be an int, got {type(t).__name__}")
    return lr_right(kind, lr0, t, total_steps, drop, every)


LR_TYPE_MISTAKES = [
    (_lr_returning(np.asarray), "0-d numpy array"),
    (_lr_returning(lambda v: np.array(v).reshape(())), "0-d numpy array"),
    (_lr_returning(np.float32), "numpy float32"),
    (lr_int_zero, "integer 0"),
    (_lr_returning(lambda v: __import__("fractions").Fraction(v)), "Python float"),
    (lr_swapped_signature, "passed by position"),
    (lr_swapped_signature_unchecked, "passed by position"),
    (lr_refuses_numpy_integers, "t a numpy integer"),
]


test_lr_at_must_be_a_python_float_and_take_the_signatures_order = mistakes_rejected(
    check_lr_at, LR_TYPE_MISTAKES,
    """Is a rate that is not a Python float, or a signature in another order, rejected by name?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(LR_TYPE_MISTAKES)])


def test_a_zero_d_array_is_refused_in_the_visible_test_too():
    """Does the visible test (seed 0, not hidden) already refuse a 0-d array?"""
    _rejected(check_lr_at, _lr_returning(np.asarray), "0-d numpy array", hidden=False)


def es_non_strict(val_losses, patience):
    """`<=`: an equal loss counts as an improvement, so the latest tie is kept."""
    _es_validate(val_losses, patience)
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best_epoch


def es_tie_restarts_patience(val_losses, patience):
    """Keeps the earliest tie, but an equal loss resets the counter."""
    _es_validate(val_losses, patience)
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        elif loss == best:
            wait = 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best_epoch


def es_latest_of_ties(val_losses, patience):
    """Stops at the right epoch, then picks the last epoch with the lowest loss seen."""
    _es_validate(val_losses, patience)
    losses = list(map(float, val_losses))
    stop = len(losses) - 1
    for epoch in range(len(losses)):
        if epoch - int(np.argmin(losses[:epoch + 1])) >= patience:
            stop = epoch
            break
    seen = np.asarray(losses[:stop + 1])
    return int(np.flatnonzero(seen == seen.min())[-1])


def es_pandas_style_idxmin(val_losses, patience):
    """The best of the seen epochs by a reversed argmin: the latest of equal losses."""
    _es_validate(val_losses, patience)
    answer = es_wait_counter(val_losses, patience)
    seen = np.asarray(val_losses, float)[:min(answer + patience, len(val_losses) - 1) + 1]
    return int(len(seen) - 1 - np.argmin(seen[::-1]))


ES_TIE_MISTAKES = [
    (es_non_strict, "`<=` instead of `<`"),
    (es_tie_restarts_patience, "restarted the patience count"),
    (es_latest_of_ties, "the latest epoch was returned"),
    (es_pandas_style_idxmin, "the latest epoch was returned"),
]


@pytest.mark.parametrize("student, words", ES_TIE_MISTAKES,
                         ids=[w for _, w in ES_TIE_MISTAKES])
def test_equal_losses_keep_the_earliest_epoch(student, words):
    """Is an early stopping that mishandles equal losses rejected, naming the mistake?"""
    message = _rejected(check_early_stopping_epoch, student, words, hidden=False)
    assert "strictly below the best" in message, message


@pytest.mark.parametrize("losses, patience, expected", [
    ([1.0, 0.6, 0.8, 0.6, 0.9, 1.0, 1.1], 3, 1),      # two equal best losses
    ([1.0, 0.6, 0.7, 0.6, 0.8, 0.5, 0.9], 3, 1),      # a tie inside the patience window
    ([0.9, 0.9, 0.9, 0.9, 0.5, 0.4], 3, 0),           # ties at the start
    ([0.7] * 6, 2, 0),                                # all equal
])
def test_the_tie_cases_say_what_the_spec_says(losses, patience, expected):
    """Do the checks' tie cases expect what the spec says (the earliest of equal losses)?"""
    assert ref.early_stopping_epoch(losses, patience) == expected
    assert es_wait_counter(losses, patience) == es_prefix_argmin(losses, patience) == expected


@pytest.mark.parametrize("seed", [None, None, None, 12])
def test_the_reference_passes_every_check_at_fresh_seeds(seed):
    """Does the course's own reference, graded like a student's paste, pass every check?"""
    from tests.reference_copies import reference_copy

    copy = reference_copy("hyperparams")
    for name, check in [("train_val_split", check_train_val_split),
                        ("log_uniform", check_log_uniform), ("random_search", check_random_search),
                        ("narrow_space", check_narrow_space), ("lr_at", check_lr_at),
                        ("early_stopping_epoch", check_early_stopping_epoch)]:
        check(copy[name], seed=seed, hidden=True)
