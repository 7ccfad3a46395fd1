"""Does the notebook 02 reference agree with numpy, torch, scipy and the paper's algebra?"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import fractional_matrix_power
from scipy.optimize import brentq
from scipy.special import expit

from course_utils import reference as ref
from tests.strategies import batches

pytestmark = pytest.mark.nb02


@settings(max_examples=60, deadline=None)
@given(X=batches())
def test_covariance_agrees_with_numpy_and_torch(X):
    """Is covariance np.cov(X, rowvar=False, bias=True), and torch.cov with correction=0?"""
    C = ref.covariance(X)
    scale = max(1.0, np.abs(C).max())
    np.testing.assert_allclose(C, np.atleast_2d(np.cov(X, rowvar=False, bias=True)),
                               rtol=1e-9, atol=1e-12 * scale)
    np.testing.assert_allclose(C, np.atleast_2d(torch.cov(torch.from_numpy(X.T),
                                                          correction=0).numpy()),
                               rtol=1e-9, atol=1e-12 * scale)


def test_covariance_keeps_precision_at_large_offsets():
    """With a mean of 1e6, is the covariance still right (the one-pass formula is not)?"""
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(50, 3))
    C = ref.covariance(noise + 1e6)
    np.testing.assert_allclose(C, ref.covariance(noise), rtol=1e-7, atol=1e-8)
    one_pass = (noise + 1e6).T @ (noise + 1e6) / 50 - np.outer(noise.mean(0) + 1e6,
                                                               noise.mean(0) + 1e6)
    assert np.abs(one_pass - ref.covariance(noise)).max() > 1e-4  # why the reference centers


@settings(max_examples=40, deadline=None)
@given(X=batches(min_n=3), eps=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_zca_matrix_is_the_inverse_square_root_of_the_regularized_covariance(X, eps):
    """Is W symmetric and equal to (C + eps I)^(-1/2), computed by scipy another way?"""
    mean, W = ref.zca_whitening_matrix(X, eps=eps)
    C = np.cov(X, rowvar=False, bias=True).reshape(X.shape[1], X.shape[1])
    expected = np.real(fractional_matrix_power(C + eps * np.eye(len(C)), -0.5))
    np.testing.assert_allclose(mean, X.mean(0))
    np.testing.assert_array_equal(W, W.T)
    np.testing.assert_allclose(W, expected, rtol=1e-6, atol=1e-8 * np.abs(expected).max())
    np.testing.assert_allclose(W @ (C + eps * np.eye(len(C))) @ W, np.eye(len(C)), atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), d=st.integers(1, 8))
def test_zca_whitened_data_has_identity_covariance(seed, d):
    """With many more examples than features, is the covariance of (X - mean) @ W close to I?"""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    mix = Q * rng.uniform(0.3, 5.0, size=d)  # rotation and stretch: correlated, well conditioned
    X = rng.normal(size=(500, d)) @ mix + rng.normal(size=d) * 10
    mean, W = ref.zca_whitening_matrix(X)
    Z = (X - mean) @ W
    np.testing.assert_allclose(np.cov(Z, rowvar=False, bias=True).reshape(d, d), np.eye(d),
                               atol=1e-3)


def test_zca_with_fewer_examples_than_features_stays_finite():
    """Is W finite when the covariance is singular (rank at most N - 1 < D)?"""
    X = np.random.default_rng(1).normal(size=(4, 10))
    assert np.linalg.matrix_rank(ref.covariance(X)) == 3
    _, W = ref.zca_whitening_matrix(X)
    assert np.all(np.isfinite(W))
    np.testing.assert_allclose(np.linalg.eigvalsh(W).max(), 1 / np.sqrt(1e-5), rtol=1e-6)


def test_zca_float32():
    """Does float32 give float32 results close to float64?"""
    X = np.random.default_rng(2).normal(size=(100, 3))
    m32, W32 = ref.zca_whitening_matrix(X.astype(np.float32))
    m64, W64 = ref.zca_whitening_matrix(X)
    assert m32.dtype == W32.dtype == np.float32
    np.testing.assert_allclose(W32, W64, rtol=1e-5, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 20), seed=st.integers(0, 10**6), n_steps=st.integers(0, 60),
       lr=st.floats(0.001, 1.0), scalar_t=st.booleans())
def test_bias_drift_matches_the_papers_algebra(n, seed, n_steps, lr, scalar_t):
    """Does b move by lr * sum(t) per step while the loss stays
    0.5 * sum((u - mean(u) - t)**2)?"""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=n) * 3
    t = float(rng.normal()) if scalar_t else rng.normal(size=n)
    b_hist, loss_hist = ref.bias_drift(u, t, lr, n_steps)
    assert b_hist.shape == loss_hist.shape == (n_steps + 1,)
    t_sum = t * n if scalar_t else t.sum()
    np.testing.assert_allclose(b_hist, lr * t_sum * np.arange(n_steps + 1),
                               rtol=1e-9, atol=1e-9 * (1 + abs(lr * t_sum * n_steps)))
    flat = 0.5 * np.sum((u - u.mean() - t) ** 2)
    np.testing.assert_allclose(loss_hist, np.full(n_steps + 1, flat), rtol=1e-9, atol=1e-9)


def test_bias_drift_step_is_torch_gradient_with_the_mean_detached():
    """Is the step the autograd gradient when mean(x) is detached, and is the true gradient 0?"""
    rng = np.random.default_rng(3)
    u, t, lr = rng.normal(size=8), rng.normal(size=8) + 1, 0.1
    b_hist, _ = ref.bias_drift(u, t, lr, 1)
    ut, tt = torch.from_numpy(u), torch.from_numpy(t)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    x = ut + b
    (0.5 * ((x - x.mean().detach() - tt) ** 2).sum()).backward()
    np.testing.assert_allclose(b_hist[1], -lr * b.grad.item(), rtol=1e-12)
    b.grad = None
    x = ut + b
    (0.5 * ((x - x.mean() - tt) ** 2).sum()).backward()
    assert abs(b.grad.item()) < 1e-12


def _linear_band(tol):
    """The |z| below which the sigmoid is within tol of its tangent (the gap grows with |z|)."""
    return brentq(lambda z: (0.5 + z / 4) - expit(z) - tol, 1e-9, 1e3)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), scale=st.floats(0.1, 10), tol=st.sampled_from([1e-3, 0.01,
                                                                                   0.05, 0.2]))
def test_fraction_near_linear_is_the_share_inside_the_linear_band(seed, scale, tol):
    """Is the fraction the share of |z| below the band edge found by root finding on scipy's
    expit (up to entries within rounding of the edge)?"""
    z = np.random.default_rng(seed).normal(size=500) * scale
    edge = _linear_band(tol)
    inside = np.abs(z) < edge
    near_edge = np.abs(np.abs(z) - edge) < 1e-9
    got = ref.fraction_near_linear(z, tol)
    assert isinstance(got, float)
    assert inside.mean() - near_edge.mean() <= got <= inside.mean() + near_edge.mean()


def test_fraction_near_linear_under_unit_normal_inputs():
    """Is the fraction for N(0, 1) inputs close to P(|Z| < edge) (about 0.575 at tol 0.01)?"""
    from scipy.special import erf

    z = np.random.default_rng(5).normal(size=400_000)
    exact = erf(_linear_band(0.01) / np.sqrt(2))
    assert abs(exact - 0.575) < 0.002
    assert abs(ref.fraction_near_linear(z) - exact) < 0.003


def test_fraction_near_linear_survives_huge_inputs_and_float32():
    """Do |z| = 1e4 and float32 inputs work without overflow warnings?"""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ref.fraction_near_linear(np.array([-1e4, 1e4, 0.0])) == pytest.approx(1 / 3)
        assert ref.fraction_near_linear(np.zeros(3, np.float32)) == 1.0


def test_inputs_are_not_modified():
    """Does every reference function leave its inputs untouched?"""
    rng = np.random.default_rng(6)
    X, u, t = rng.normal(size=(6, 3)), rng.normal(size=5), rng.normal(size=5)
    copies = [a.copy() for a in (X, u, t)]
    ref.covariance(X)
    ref.zca_whitening_matrix(X)
    ref.bias_drift(u, t, 0.1, 3)
    ref.fraction_near_linear(u)
    for before, after in zip(copies, (X, u, t)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.covariance(np.ones(3)), "2 dimensions"),
    (lambda: ref.covariance(np.ones((1, 3))), "at least 2"),
    (lambda: ref.zca_whitening_matrix(np.ones((4, 2)), eps=0), "eps must be positive"),
    (lambda: ref.bias_drift(np.ones((2, 2)), 1.0, 0.1, 2), "1 dimensions"),
    (lambda: ref.bias_drift(np.ones(3), np.ones(4), 0.1, 2), "t must be"),
    (lambda: ref.bias_drift(np.ones(3), 1.0, 0.1, -2), "n_steps"),
    (lambda: ref.fraction_near_linear(np.array([])), "empty"),
    (lambda: ref.fraction_near_linear(np.ones(3), tol=0), "tol must be positive"),
])
def test_impossible_input_raises_value_error(call, words):
    """Is impossible input met with a ValueError that says what was wrong?"""
    with pytest.raises(ValueError, match=words):
        call()
