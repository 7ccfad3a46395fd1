"""Does the notebook 01 reference agree with scikit-learn, closed forms and torch autograd?"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from course_utils import reference as ref
from tests.strategies import batches

pytestmark = pytest.mark.nb01


@st.composite
def data_with_constant_columns(draw, dtype=np.float64):
    """A batch where some columns may be constant (integer values, as real data often has)."""
    X = draw(batches(dtype=dtype)).copy()
    for j in range(X.shape[1]):
        if draw(st.booleans()) and draw(st.booleans()):
            X[:, j] = draw(st.integers(-50, 50))
    return X


@settings(max_examples=60, deadline=None)
@given(X=data_with_constant_columns(), low=st.floats(-5, 0), width=st.floats(0.5, 10))
def test_min_max_scale_agrees_with_sklearn(X, low, width):
    """Does min_max_scale equal MinMaxScaler(feature_range=(low, high)), constant columns too?"""
    high = low + width
    expected = MinMaxScaler(feature_range=(low, high)).fit_transform(X)
    np.testing.assert_allclose(ref.min_max_scale(X, low, high), expected, rtol=1e-9,
                               atol=1e-9 * max(1.0, abs(low), abs(high)))


def test_min_max_scale_constant_column_maps_to_low():
    """Does a constant column land on low, and the others span [low, high] exactly?"""
    X = np.array([[1.0, 3.0], [2.0, 3.0], [5.0, 3.0]])
    out = ref.min_max_scale(X, -1.0, 4.0)
    np.testing.assert_array_equal(out[:, 1], [-1.0, -1.0, -1.0])
    np.testing.assert_allclose(out[:, 0], [-1.0, 0.25, 4.0])


@settings(max_examples=60, deadline=None)
@given(X=data_with_constant_columns())
def test_standardize_agrees_with_sklearn(X):
    """Does standardize equal StandardScaler().fit_transform (population std, constant -> 0)?"""
    np.testing.assert_allclose(ref.standardize(X), StandardScaler().fit_transform(X),
                               rtol=1e-9, atol=1e-9)


def test_standardize_constant_column_is_exactly_zero_even_when_its_mean_rounds():
    """Is a constant column of 0.1 (whose computed mean is not exactly 0.1) mapped to 0?"""
    X = np.column_stack([np.full(7, 0.1), np.arange(7.0)])
    out = ref.standardize(X)
    np.testing.assert_array_equal(out[:, 0], np.zeros(7))
    assert abs(out[:, 1].mean()) < 1e-12 and abs(out[:, 1].std() - 1) < 1e-12


@settings(max_examples=60, deadline=None)
@given(train=data_with_constant_columns(), seed=st.integers(0, 10**6))
def test_fit_and_apply_agree_with_sklearn_on_test_data(train, seed):
    """Do fit_standardizer + apply_standardizer equal StandardScaler fitted on train only?"""
    rng = np.random.default_rng(seed)
    test = rng.normal(size=(5, train.shape[1])) * 3 + 1
    scaler = StandardScaler().fit(train)
    mean, std = ref.fit_standardizer(train)
    np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(std, np.sqrt(scaler.var_), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ref.apply_standardizer(test, mean, std), scaler.transform(test),
                               rtol=1e-9, atol=1e-9)


def test_fit_standardizer_keeps_a_zero_std_and_apply_treats_it_as_one():
    """Is a constant training column's std 0, and is the test column then only centered?"""
    train = np.array([[1.0, 4.0], [3.0, 4.0]])
    mean, std = ref.fit_standardizer(train)
    np.testing.assert_array_equal(std, [1.0, 0.0])
    out = ref.apply_standardizer(np.array([[2.0, 6.0]]), mean, std)
    np.testing.assert_array_equal(out, [[0.0, 2.0]])


def test_ten_copies_of_a_tenth_survive_fit_and_apply():
    """The case numpy gets wrong: is a test value of 0.2 after ten training 0.1s centered
    (0.1), where dividing by numpy's std of the column (1.4e-17) would give 7e15?"""
    train = np.column_stack([np.full(10, 0.1), np.arange(10.0)])
    assert train.std(axis=0)[0] > 0  # numpy's std of the constant column is rounding error
    mean, std = ref.fit_standardizer(train)
    assert std[0] == 0.0
    out = ref.apply_standardizer(np.array([[0.2, 4.5]]), mean, std)
    np.testing.assert_allclose(out, [[0.1, 0.0]], atol=1e-15)
    naive = ref.apply_standardizer(np.array([[0.2, 4.5]]), train.mean(0), train.std(0))
    np.testing.assert_allclose(naive, out, atol=1e-15)  # apply's own tolerance catches it too
    np.testing.assert_array_equal(ref.standardize(train)[:, 0], np.zeros(10))


def _constant_up_to_rounding(dtype, magnitude, rng, neighbours):
    value = dtype(rng.uniform(1, 3) * magnitude)
    if not neighbours:
        return np.full(12, value, dtype=dtype)
    steps = [np.nextafter(value, dtype(-np.inf)), value, np.nextafter(value, dtype(np.inf))]
    return rng.choice(np.array(steps, dtype=dtype), size=12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("magnitude", [1e-12, 1e-3, 0.1, 1e3, 1e9])
@pytest.mark.parametrize("neighbours", [False, True])
def test_columns_constant_up_to_rounding_are_constant(dtype, magnitude, neighbours):
    """Does a column of one value, or of a value and its neighbouring floats, map to low
    (min-max) and 0 (standardize), with a fitted std of exactly 0, in either dtype and at
    any magnitude?"""
    rng = np.random.default_rng(int(magnitude * 1e12) % 1000 + neighbours)
    X = rng.normal(3, 2, (12, 3)).astype(dtype)
    X[:, 1] = _constant_up_to_rounding(dtype, magnitude, rng, neighbours)
    np.testing.assert_array_equal(ref.min_max_scale(X, -1.0, 2.0)[:, 1], np.full(12, -1.0))
    np.testing.assert_array_equal(ref.standardize(X)[:, 1], np.zeros(12))
    mean, std = ref.fit_standardizer(X)
    assert std[1] == 0 and std.dtype == dtype
    # a std fitted without care (numpy's) is zero up to rounding for apply_standardizer
    out = ref.apply_standardizer(X, X.mean(0), X.std(0))
    assert np.all(np.abs(out[:, 1]) <= 10 * np.finfo(dtype).eps * magnitude * 3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_small_values_that_vary_are_not_constant(dtype):
    """Are columns of values near 1e-10 that vary standardized like any other (as
    StandardScaler does), not treated as constant by an absolute threshold?"""
    rng = np.random.default_rng(5)
    X = (rng.normal(0, 1, (20, 3)) * 1e-11 + 3e-10).astype(dtype)
    out = ref.standardize(X)
    np.testing.assert_allclose(out.std(axis=0), np.ones(3), rtol=1e-4)
    np.testing.assert_allclose(out, StandardScaler().fit_transform(X.astype(np.float64)),
                               rtol=1e-3, atol=1e-3)
    lo = ref.min_max_scale(X)
    np.testing.assert_allclose(lo.min(axis=0), 0)
    np.testing.assert_allclose(lo.max(axis=0), 1)
    mean, std = ref.fit_standardizer(X)
    assert np.all(std > 0)


def test_apply_standardizer_zero_means_zero_up_to_ten_units_of_rounding():
    """Is a std of at most 10 * eps * |mean| treated as 1, and one a little above divided by?"""
    eps = np.finfo(np.float64).eps
    mean = np.array([1e6, 1e6, -2.0])
    std = np.array([9 * eps * 1e6, 20 * eps * 1e6, 0.0])
    X = np.array([[1e6 + 1.0, 1e6 + 1.0, 0.0]])
    out = ref.apply_standardizer(X, mean, std)
    np.testing.assert_allclose(out[0, [0, 2]], [1.0, 2.0], rtol=1e-9)
    np.testing.assert_allclose(out[0, 1], 1.0 / std[1], rtol=1e-6)


@pytest.mark.parametrize("func", ["min_max_scale", "standardize", "fit_standardizer"])
def test_float32_in_float32_out(func):
    """Does a float32 input give float32 results close to the float64 ones?"""
    X = np.random.default_rng(0).normal(3, 2, (20, 4))
    got = getattr(ref, func)(X.astype(np.float32))
    want = getattr(ref, func)(X)
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def _hessian(X):
    A = np.hstack([X, np.ones((len(X), 1))])
    return A, A.T @ A / len(X)


@settings(max_examples=40, deadline=None)
@given(X=batches(min_n=3, max_d=5), seed=st.integers(0, 10**6), n_steps=st.integers(1, 40))
def test_gd_trajectory_matches_the_closed_form_of_each_step(X, seed, n_steps):
    """Is every recorded loss what the closed form theta_k - theta* = (I - lr H)^k (theta_0 -
    theta*) predicts, and do w and b end where it says?"""
    rng = np.random.default_rng(seed)
    y = X @ rng.normal(size=X.shape[1]) + rng.normal() + rng.normal(size=len(X))
    A, H = _hessian(X)
    lr = 0.9 / np.linalg.eigvalsh(H).max()
    theta_star = np.linalg.lstsq(A, y, rcond=None)[0]
    w, b, losses = ref.gd_linear_regression(X, y, lr, n_steps)
    assert losses.shape == (n_steps,)
    M = np.eye(len(H)) - lr * H
    # the minimum-norm least-squares solution is a fixed point of the iteration; from zero,
    # theta_k - theta* = M^k (0 - theta*) holds even when H is singular
    for k in (0, n_steps - 1):
        theta_k = theta_star - np.linalg.matrix_power(M, k) @ theta_star
        expected = 0.5 * np.mean((A @ theta_k - y) ** 2)
        np.testing.assert_allclose(losses[k], expected, rtol=1e-7, atol=1e-9 * (1 + expected))
    theta_n = theta_star - np.linalg.matrix_power(M, n_steps) @ theta_star
    scale = 1 + np.abs(theta_star).max()
    np.testing.assert_allclose(np.append(w, b), theta_n, rtol=1e-6, atol=1e-8 * scale)


def test_gd_converges_to_least_squares():
    """After many steps on standardized features, are w and b the least-squares solution?"""
    rng = np.random.default_rng(3)
    X = ref.standardize(rng.normal(5, 3, (80, 3)))
    y = X @ np.array([1.0, -2.0, 0.5]) + 4.0 + 0.1 * rng.normal(size=80)
    w, b, losses = ref.gd_linear_regression(X, y, 0.5, 400)
    A = np.hstack([X, np.ones((80, 1))])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(w, sol[:3], atol=1e-9)
    assert abs(b - sol[3]) < 1e-9
    assert np.all(np.diff(losses) <= 1e-15)


def test_gd_first_step_agrees_with_torch_autograd():
    """Is one step of the reference one torch SGD step on 0.5 * mean squared error?"""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=12)
    w, b, losses = ref.gd_linear_regression(X, y, 0.3, 1)
    wt = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    bt = torch.zeros((), dtype=torch.float64, requires_grad=True)
    loss = 0.5 * ((torch.from_numpy(X) @ wt + bt - torch.from_numpy(y)) ** 2).mean()
    loss.backward()
    np.testing.assert_allclose(losses[0], loss.item(), rtol=1e-14)
    np.testing.assert_allclose(w, -0.3 * wt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b, -0.3 * bt.grad.item(), rtol=1e-12)


def test_gd_float32_and_lengths():
    """Does float32 stay float32, and does n_steps = 0 give zeros and no losses?"""
    X = np.random.default_rng(2).normal(size=(10, 2)).astype(np.float32)
    y = X.sum(1)
    w, b, losses = ref.gd_linear_regression(X, y, 0.1, 5)
    assert w.dtype == np.float32 and losses.dtype == np.float32 and losses.shape == (5,)
    assert isinstance(b, float)
    w0, b0, l0 = ref.gd_linear_regression(X, y, 0.1, 0)
    np.testing.assert_array_equal(w0, np.zeros(2))
    assert b0 == 0.0 and l0.shape == (0,)


def test_inputs_are_not_modified():
    """Does every reference function leave its inputs untouched?"""
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=6)
    mean, std = rng.normal(size=3), rng.uniform(0, 1, size=3)
    copies = [a.copy() for a in (X, y, mean, std)]
    ref.min_max_scale(X, -1, 1)
    ref.standardize(X)
    ref.fit_standardizer(X)
    ref.apply_standardizer(X, mean, std)
    ref.gd_linear_regression(X, y, 0.1, 3)
    for before, after in zip(copies, (X, y, mean, std)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.min_max_scale(np.ones(3)), "2 dimensions"),
    (lambda: ref.min_max_scale(np.ones((3, 2)), 1.0, 1.0), "low must be smaller"),
    (lambda: ref.standardize(np.ones((0, 2))), "at least 1"),
    (lambda: ref.fit_standardizer(np.ones(4)), "2 dimensions"),
    (lambda: ref.apply_standardizer(np.ones((2, 3)), np.zeros(2), np.ones(3)), "mean must have"),
    (lambda: ref.apply_standardizer(np.ones((2, 3)), np.zeros(3), -np.ones(3)), "negative"),
    (lambda: ref.gd_linear_regression(np.ones((4, 2)), np.ones(3), 0.1, 2), "y has 3 values"),
    (lambda: ref.gd_linear_regression(np.ones((4, 2)), np.ones(4), 0.0, 2), "lr must be"),
    (lambda: ref.gd_linear_regression(np.ones((4, 2)), np.ones(4), 0.1, -1), "n_steps"),
])
def test_impossible_input_raises_value_error(call, words):
    """Is impossible input met with a ValueError that says what was wrong?"""
    with pytest.raises(ValueError, match=words):
        call()
