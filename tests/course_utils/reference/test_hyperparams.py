"""Does the notebook 08 reference do what its docstrings say, and agree with independent
implementations (scipy's distributions, torch's learning-rate schedulers, a simulated
training loop)?"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from course_utils import reference as ref

pytestmark = pytest.mark.nb08


# ---- train_val_split ---------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 300), frac=st.floats(0.01, 0.99), seed=st.integers(0, 2**31 - 1),
       extra=st.sampled_from([(), (3,), (1, 2, 2)]))
def test_split_is_a_partition_that_keeps_pairs(n, frac, seed, extra):
    """Is every example in exactly one part, still paired with its label, in the right share?"""
    X = np.arange(n * int(np.prod(extra, dtype=int)), dtype=np.float32).reshape((n,) + extra)
    y = np.arange(n) * 7
    X_tr, y_tr, X_va, y_va = ref.train_val_split(X, y, val_fraction=frac, seed=seed)
    ids_tr = X_tr.reshape(len(X_tr), -1)[:, 0] // max(1, int(np.prod(extra, dtype=int)))
    ids_va = X_va.reshape(len(X_va), -1)[:, 0] // max(1, int(np.prod(extra, dtype=int)))
    assert sorted(np.concatenate([ids_tr, ids_va]).astype(int)) == list(range(n))
    np.testing.assert_array_equal(y_tr, ids_tr.astype(int) * 7)
    np.testing.assert_array_equal(y_va, ids_va.astype(int) * 7)
    assert len(X_va) == min(max(round(frac * n), 1), n - 1)
    assert X_tr.dtype == X.dtype and X_tr.shape[1:] == extra


def test_split_follows_its_documented_permutation():
    """Is the split exactly the documented one: the first n_val of rng.permutation(n)?"""
    X = np.random.default_rng(0).normal(size=(50, 4))
    y = np.arange(50)
    X_tr, y_tr, X_va, y_va = ref.train_val_split(X, y, val_fraction=0.3, seed=12)
    perm = np.random.default_rng(12).permutation(50)
    np.testing.assert_array_equal(y_va, perm[:15])
    np.testing.assert_array_equal(y_tr, perm[15:])
    np.testing.assert_array_equal(X_va, X[perm[:15]])


def test_split_is_deterministic_and_seed_dependent():
    """Does the same seed give the same split, another seed another one?"""
    X, y = np.arange(100.0).reshape(50, 2), np.arange(50)
    a = ref.train_val_split(X, y, seed=3)
    b = ref.train_val_split(X, y, seed=3)
    c = ref.train_val_split(X, y, seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[3], c[3])


def test_split_does_not_touch_its_inputs():
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20)
    copies = X.copy(), y.copy()
    ref.train_val_split(X, y)
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])


@pytest.mark.parametrize("kwargs, words", [
    ({"val_fraction": 0.0}, "strictly between 0 and 1"),
    ({"val_fraction": 1.0}, "strictly between 0 and 1"),
    ({"val_fraction": -0.5}, "strictly between 0 and 1"),
    ({"val_fraction": 2}, "strictly between 0 and 1"),
])
def test_split_rejects_impossible_fractions(kwargs, words):
    with pytest.raises(ValueError, match=words):
        ref.train_val_split(np.ones((10, 2)), np.arange(10), **kwargs)


def test_split_rejects_mismatched_and_tiny_inputs():
    with pytest.raises(ValueError, match="must match"):
        ref.train_val_split(np.ones((10, 2)), np.arange(9))
    with pytest.raises(ValueError, match="at least 2"):
        ref.train_val_split(np.ones((1, 2)), np.arange(1))


# ---- log_uniform -------------------------------------------------------------------------

@pytest.mark.parametrize("low, high", [(1e-4, 1.0), (1e-9, 1e-6), (3.0, 5000.0), (0.5, 2.0)])
def test_log_uniform_matches_scipy_loguniform(low, high):
    """Is the sample distributed like scipy.stats.loguniform (Kolmogorov-Smirnov)?"""
    x = ref.log_uniform(low, high, 20000, np.random.default_rng(1))
    assert x.shape == (20000,) and x.dtype == np.float64
    assert x.min() >= low and x.max() <= high
    assert stats.kstest(x, stats.loguniform(low, high).cdf).pvalue > 1e-3


def test_log_uniform_is_the_documented_single_draw():
    """Is it exactly 10 ** rng.uniform(log10 low, log10 high, size), leaving rng where that leaves it?"""
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    got = ref.log_uniform(1e-3, 10.0, (4, 5), g1)
    expected = 10.0 ** g2.uniform(-3, 1, size=(4, 5))
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    assert g1.random() == g2.random()


def test_log_uniform_with_equal_bounds_returns_the_bound():
    np.testing.assert_array_equal(ref.log_uniform(0.01, 0.01, 3, np.random.default_rng(0)),
                                  np.full(3, 0.01))


@pytest.mark.parametrize("low, high, words", [(0.0, 1.0, "low > 0"), (-1.0, 1.0, "low > 0"),
                                              (1.0, 0.1, "must not be below"),
                                              (1e-3, math.inf, "finite")])
def test_log_uniform_rejects_impossible_ranges(low, high, words):
    with pytest.raises(ValueError, match=words):
        ref.log_uniform(low, high, 3, np.random.default_rng(0))


# ---- random_search -----------------------------------------------------------------------

SPACE = {"lr": (1e-5, 1.0, "log"), "momentum": (0.0, 0.99, "linear"),
         "weight_decay": (1e-7, 1e-2, "log")}


def _objective(p):
    return (math.log10(p["lr"]) + 2.5) ** 2 + (p["momentum"] - 0.9) ** 2


def test_random_search_follows_the_documented_draw_order():
    """Trial by trial, name by name, one scalar draw: does an independent loop reproduce it?"""
    rng = np.random.default_rng(21)
    expected = []
    for _ in range(15):
        params = {}
        for name, (low, high, kind) in SPACE.items():
            if kind == "log":
                params[name] = 10 ** rng.uniform(math.log10(low), math.log10(high))
            else:
                params[name] = rng.uniform(low, high)
        expected.append(params)
    got = ref.random_search(_objective, SPACE, 15, np.random.default_rng(21))
    by_score = sorted(expected, key=_objective)
    for g, e in zip(got, by_score):
        assert g["params"].keys() == e.keys()
        for k in e:
            assert math.isclose(g["params"][k], e[k], rel_tol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**31 - 1))
def test_random_search_contract(n, seed):
    """Sorted lowest first, scores = objective(params), values in range, one call per trial."""
    calls = []

    def objective(p):
        calls.append(dict(p))
        return _objective(p)

    results = ref.random_search(objective, SPACE, n, np.random.default_rng(seed))
    assert len(results) == n == len(calls)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores)
    for r in results:
        assert r["score"] == _objective(r["params"]) and isinstance(r["score"], float)
        for name, (low, high, _) in SPACE.items():
            assert low <= r["params"][name] <= high


def test_random_search_distributions():
    """Are log dimensions log-uniform and linear ones uniform (Kolmogorov-Smirnov)?"""
    results = ref.random_search(lambda p: 0.0, SPACE, 3000, np.random.default_rng(0))
    lr = np.array([r["params"]["lr"] for r in results])
    mom = np.array([r["params"]["momentum"] for r in results])
    assert stats.kstest(lr, stats.loguniform(1e-5, 1.0).cdf).pvalue > 1e-3
    assert stats.kstest(mom, stats.uniform(0.0, 0.99).cdf).pvalue > 1e-3


def test_random_search_keeps_ties_in_trial_order():
    results = ref.random_search(lambda p: 1.0, {"a": (0.0, 1.0, "linear")}, 5,
                                np.random.default_rng(3))
    rng = np.random.default_rng(3)
    assert [r["params"]["a"] for r in results] == [rng.uniform(0.0, 1.0) for _ in range(5)]


@pytest.mark.parametrize("space, n, words", [
    (SPACE, 0, "positive integer"),
    ({"lr": (1e-3, 1.0, "exp")}, 3, "unknown kind"),
    ({"lr": (0.0, 1.0, "log")}, 3, "low > 0"),
    ({"lr": (1.0, 0.1, "log")}, 3, "must not be below"),
    ({"m": (1.0, 0.0, "linear")}, 3, "low <= high"),
    ({}, 3, "non-empty"),
])
def test_random_search_rejects_impossible_input_before_any_trial(space, n, words):
    calls = []
    with pytest.raises(ValueError, match=words):
        ref.random_search(lambda p: calls.append(p) or 0.0, space, n, np.random.default_rng(0))
    assert calls == []


# ---- narrow_space ------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 30), top_k=st.integers(1, 40), seed=st.integers(0, 2**31 - 1))
def test_narrow_space_spans_the_best_trials(n, top_k, seed):
    """Does each range span exactly the top_k best values, inside the old range, kind kept?"""
    rng = np.random.default_rng(seed)
    results = ref.random_search(lambda p: float(rng.uniform()), SPACE, n, rng)
    shuffled = [results[i] for i in rng.permutation(n)]
    before = [dict(r, params=dict(r["params"])) for r in shuffled]
    new = ref.narrow_space(shuffled, SPACE, top_k=top_k)
    assert shuffled == before                                 # inputs untouched
    best = sorted(shuffled, key=lambda r: r["score"])[:top_k]
    for name, (low, high, kind) in SPACE.items():
        values = [r["params"][name] for r in best]
        assert new[name] == (min(values), max(values), kind)
        assert low <= new[name][0] <= new[name][1] <= high


def test_narrow_space_result_can_be_searched_again():
    """Can random_search run in the narrowed space (log kinds stay positive)?"""
    coarse = ref.random_search(_objective, SPACE, 20, np.random.default_rng(0))
    fine = ref.narrow_space(coarse, SPACE, top_k=1)
    again = ref.random_search(_objective, fine, 3, np.random.default_rng(1))
    assert all(r["params"] == coarse[0]["params"] for r in again)


@pytest.mark.parametrize("results, top_k, words", [
    ([], 3, "empty"),
    ([{"params": {"lr": 0.1}, "score": 1.0}], 0, "positive integer"),
    ([{"params": {"lr": 0.1}, "score": 1.0}], 2.5, "positive integer"),
    ([{"params": {"wd": 0.1}, "score": 1.0}], 1, "no value for 'lr'"),
])
def test_narrow_space_rejects_impossible_input(results, top_k, words):
    with pytest.raises(ValueError, match=words):
        ref.narrow_space(results, {"lr": (1e-3, 1.0, "log")}, top_k=top_k)


# ---- lr_at -------------------------------------------------------------------------------

def _torch_rates(scheduler_factory, n, lr0):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr0)
    sched = scheduler_factory(opt)
    rates = []
    for _ in range(n):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


@settings(max_examples=25, deadline=None)
@given(lr0=st.floats(1e-4, 10), every=st.integers(1, 15), drop=st.floats(0.05, 1.0))
def test_step_schedule_agrees_with_torch_steplr(lr0, every, drop):
    """Is "step" what torch.optim.lr_scheduler.StepLR gives, step by step?"""
    expected = _torch_rates(lambda o: torch.optim.lr_scheduler.StepLR(o, every, gamma=drop),
                            60, lr0)
    got = [ref.lr_at("step", lr0, t, 60, drop=drop, every=every) for t in range(60)]
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(lr0=st.floats(1e-4, 10), total=st.integers(1, 80))
def test_linear_schedule_agrees_with_torch_linearlr(lr0, total):
    """Is "linear" what torch's LinearLR (from factor 1 to 0 over total_steps) gives, and 0 after?"""
    expected = _torch_rates(lambda o: torch.optim.lr_scheduler.LinearLR(
        o, start_factor=1.0, end_factor=0.0, total_iters=total), total + 10, lr0)
    got = [ref.lr_at("linear", lr0, t, total) for t in range(total + 10)]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-12 * lr0)


def test_inverse_sqrt_schedule_values():
    """lr0 / sqrt(t + 1): lr0 at t = 0 (no division by zero), lr0/2 at t = 3, lr0/10 at t = 99."""
    assert ref.lr_at("inverse_sqrt", 0.4, 0, 100) == 0.4
    assert ref.lr_at("inverse_sqrt", 0.4, 3, 100) == pytest.approx(0.2)
    assert ref.lr_at("inverse_sqrt", 0.4, 99, 100) == pytest.approx(0.04)
    assert isinstance(ref.lr_at("step", 1, 5, 10), float)


@pytest.mark.parametrize("args, kwargs, words", [
    (("cosine", 0.1, 3, 10), {}, "unknown schedule"),
    (("step", 0.1, -1, 10), {}, "counts steps from 0"),
    (("step", 0.1, 3, 10), {"every": 0}, "every must be"),
    (("linear", 0.1, 3, 0), {}, "total_steps"),
    (("step", 0.1, 3, 10), {"drop": 0.0}, "drop must be"),
])
def test_lr_at_rejects_impossible_input(args, kwargs, words):
    with pytest.raises(ValueError, match=words):
        ref.lr_at(*args, **kwargs)


# ---- early_stopping_epoch ----------------------------------------------------------------

def _simulate_training(val_losses, patience):
    """A training loop with early stopping, as frameworks run it: one epoch at a time, a
    counter of epochs without improvement, a copy of the best weights (here: the epoch)."""
    best_loss, best_epoch, bad_epochs = math.inf, None, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best_loss:
            best_loss, best_epoch, bad_epochs = loss, epoch, 0
        else:
            bad_epochs += 1
            if bad_epochs == patience:
                break
    return best_epoch


@settings(max_examples=200, deadline=None)
@given(losses=st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=60),
       patience=st.integers(1, 10))
def test_early_stopping_agrees_with_a_simulated_training_loop(losses, patience):
    """Does it agree with an epoch-by-epoch loop with a counter, ties and all?"""
    assert ref.early_stopping_epoch(losses, patience) == _simulate_training(losses, patience)


@settings(max_examples=100, deadline=None)
@given(losses=st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=60),
       patience=st.integers(1, 10))
def test_early_stopping_returns_the_best_epoch_seen(losses, patience):
    """Is the answer the (first) minimum of the epochs seen up to the stop?"""
    best = ref.early_stopping_epoch(losses, patience)
    stop = min(best + patience, len(losses) - 1)
    seen = losses[:stop + 1]
    assert losses[best] == min(seen) and best == seen.index(min(seen))


def test_early_stopping_never_sees_a_later_minimum():
    assert ref.early_stopping_epoch([1.0, 0.5, 0.6, 0.7, 0.8, 0.1], 3) == 1
    assert ref.early_stopping_epoch([1.0, 0.5, 0.6, 0.7, 0.4], 3) == 4
    assert ref.early_stopping_epoch(np.array([3.0, 2.0, 1.0], dtype=np.float32), 1) == 2


@pytest.mark.parametrize("losses, patience, words", [
    ([], 2, "non-empty"), ([[1.0, 2.0]], 2, "1-D"), ([1.0, 0.5], 0, "positive integer"),
    ([1.0, 0.5], 1.5, "positive integer")])
def test_early_stopping_rejects_impossible_input(losses, patience, words):
    with pytest.raises(ValueError, match=words):
        ref.early_stopping_epoch(losses, patience)
