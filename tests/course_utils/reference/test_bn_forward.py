"""Does the reference forward pass (notebook 03) agree with PyTorch and with its own contract?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import reference as ref
from tests.strategies import batches

pytestmark = pytest.mark.nb03


@settings(max_examples=60, deadline=None)
@given(x=batches(), seed=st.integers(0, 1000), eps=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_forward_agrees_with_torch_batch_norm(x, seed, eps):
    """Does batchnorm_forward equal torch's training-mode batch_norm for random shapes?"""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    gamma, beta = rng.uniform(0.1, 3, d), rng.normal(size=d)
    out, cache = ref.batchnorm_forward(x, gamma, beta, eps=eps)
    expected = F.batch_norm(torch.from_numpy(x), None, None, torch.from_numpy(gamma),
                            torch.from_numpy(beta), training=True, eps=eps).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(cache["mean"], x.mean(0))
    np.testing.assert_allclose(cache["var"], torch.from_numpy(x).var(0, unbiased=False).numpy())


@settings(max_examples=30, deadline=None)
@given(x=batches(dtype=np.float32))
def test_forward_float32_stays_float32_and_close_to_float64(x):
    """Is a float32 batch normalized in float32, within float32 rounding of float64?"""
    d = x.shape[1]
    out, cache = ref.batchnorm_forward(x, np.ones(d), np.zeros(d))
    assert out.dtype == np.float32 and cache["x_hat"].dtype == np.float32
    out64, _ = ref.batchnorm_forward(x.astype(np.float64), np.ones(d), np.zeros(d))
    np.testing.assert_allclose(out, out64, rtol=1e-3, atol=1e-4)


def test_documented_cache_keys_and_meaning():
    """Does the cache hold every documented key with its documented value?"""
    x = np.random.default_rng(0).normal(2, 3, (10, 4))
    gamma, beta = np.full(4, 2.0), np.full(4, -1.0)
    _, cache = ref.batchnorm_forward(x, gamma, beta, eps=1e-3)
    assert set(cache) == {"x", "x_hat", "mean", "var", "std", "gamma", "beta", "eps"}
    np.testing.assert_allclose(cache["std"], np.sqrt(x.var(0) + 1e-3))
    np.testing.assert_allclose(cache["x_hat"], (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3))
    assert cache["eps"] == 1e-3


def test_four_five_six():
    """Does {4, 5, 6} normalize to about {-1.2247, 0, 1.2247} (not {-0.01, 0, 0.01})?"""
    out, _ = ref.batchnorm_forward(np.array([[4.0], [5.0], [6.0]]), np.ones(1), np.zeros(1))
    np.testing.assert_allclose(out.ravel(), [-1.2247357, 0.0, 1.2247357], atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(x=batches())
def test_identity_params_make_batch_norm_the_identity(x):
    """Do identity_params' gamma and beta give x back?"""
    gamma, beta = ref.identity_params(x)
    out, _ = ref.batchnorm_forward(x, gamma, beta)
    np.testing.assert_allclose(out, x, rtol=1e-9, atol=1e-9 * np.abs(x).max())


def test_inputs_are_not_modified():
    """Does the reference leave its inputs untouched?"""
    x = np.random.default_rng(1).normal(size=(6, 3))
    gamma, beta = np.ones(3), np.zeros(3)
    copies = [a.copy() for a in (x, gamma, beta)]
    ref.batchnorm_forward(x, gamma, beta)
    ref.identity_params(x)
    for before, after in zip(copies, (x, gamma, beta)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("x, gamma, beta, words", [
    (np.ones((1, 3)), np.ones(3), np.zeros(3), "at least 2"),
    (np.ones((4,)), np.ones(4), np.zeros(4), "2 dimensions"),
    (np.ones((4, 3)), np.ones(2), np.zeros(3), "gamma must have shape (3,)"),
    (np.ones((4, 3)), np.ones(3), np.zeros((3, 1)), "beta must have shape (3,)"),
])
def test_impossible_input_raises_value_error(x, gamma, beta, words):
    """Is impossible input met with a ValueError that says what was wrong?"""
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        ref.batchnorm_forward(x, gamma, beta)
