"""Does the reference backward pass (notebook 04) agree with autograd and finite differences?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import reference as ref
from tests.strategies import batches

pytestmark = pytest.mark.nb04


def _torch_grads(x, gamma, beta, dout, eps):
    xt = torch.tensor(x, requires_grad=True)
    gt = torch.tensor(gamma, requires_grad=True)
    bt = torch.tensor(beta, requires_grad=True)
    out = F.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
    out.backward(torch.from_numpy(dout))
    return xt.grad.numpy(), gt.grad.numpy(), bt.grad.numpy()


@settings(max_examples=60, deadline=None)
@given(x=batches(), seed=st.integers(0, 1000), eps=st.sampled_from([1e-5, 1e-3, 0.1]),
       which=st.sampled_from(["staged", "compact"]))
def test_backward_agrees_with_torch_autograd(x, seed, eps, which):
    """Do both backward passes give torch autograd's dx, dgamma and dbeta for random shapes?"""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    gamma, beta = rng.uniform(-2, 2, d), rng.normal(size=d)
    dout = rng.normal(size=x.shape)
    _, cache = ref.batchnorm_forward(x, gamma, beta, eps=eps)
    backward = ref.batchnorm_backward if which == "staged" else ref.batchnorm_backward_alt
    got = backward(dout, cache)
    for g, e, name in zip(got, _torch_grads(x, gamma, beta, dout, eps), ("dx", "dgamma", "dbeta")):
        scale = max(1.0, np.abs(e).max())
        np.testing.assert_allclose(g, e, rtol=1e-7, atol=1e-9 * scale, err_msg=name)


@settings(max_examples=30, deadline=None)
@given(x=batches(max_n=8, max_d=4), seed=st.integers(0, 1000))
def test_backward_agrees_with_finite_differences(x, seed):
    """Does dx (and dgamma, dbeta) match central differences of the reference forward pass?"""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    gamma, beta = rng.uniform(0.5, 2, d), rng.normal(size=d)
    dout = rng.normal(size=x.shape)
    _, cache = ref.batchnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = ref.batchnorm_backward(dout, cache)
    h = 1e-6 * max(1.0, np.abs(x).max())
    num_dx = ref.numerical_gradient(lambda z: ref.batchnorm_forward(z, gamma, beta)[0],
                                    x.copy(), dout, h=h)
    num_dg = ref.numerical_gradient(lambda g: ref.batchnorm_forward(x, g, beta)[0],
                                    gamma.copy(), dout)
    num_db = ref.numerical_gradient(lambda b: ref.batchnorm_forward(x, gamma, b)[0],
                                    beta.copy(), dout)
    assert ref.relative_error(dgamma, num_dg) < 1e-6
    assert ref.relative_error(dbeta, num_db) < 1e-6
    # the entries of dx can be tiny differences of large terms: compare on the gradient's scale
    np.testing.assert_allclose(dx, num_dx, atol=1e-5 * max(1.0, np.abs(dx).max()))


@settings(max_examples=40, deadline=None)
@given(x=batches(), seed=st.integers(0, 1000))
def test_staged_and_compact_agree(x, seed):
    """Do the staged and the closed-form backward passes give the same numbers?"""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    _, cache = ref.batchnorm_forward(x, rng.uniform(-2, 2, d), rng.normal(size=d))
    dout = rng.normal(size=x.shape)
    for a, b in zip(ref.batchnorm_backward(dout, cache), ref.batchnorm_backward_alt(dout, cache)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11 * max(1.0, np.abs(b).max()))


@settings(max_examples=40, deadline=None)
@given(x=batches(min_n=3), seed=st.integers(0, 1000))
def test_gradient_sums(x, seed):
    """Is sum(dx) zero per feature, and sum(dx * x_hat) equal to its eps-sized exact value?"""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    gamma = rng.uniform(0.5, 2, d)
    _, cache = ref.batchnorm_forward(x, gamma, np.zeros(d))
    dout = rng.normal(size=x.shape)
    dx, dgamma, _ = ref.batchnorm_backward_alt(dout, cache)
    scale = np.abs(dx).max()
    np.testing.assert_allclose(dx.sum(0), 0, atol=1e-11 * max(1.0, scale) * x.shape[0])
    # exactly: sum(dx * x_hat) = gamma * dgamma * eps / ((var + eps) * std): zero only if eps = 0
    var, eps = cache["var"], cache["eps"]
    exact = gamma * dgamma * eps / ((var + eps) * np.sqrt(var + eps))
    np.testing.assert_allclose((dx * cache["x_hat"]).sum(0), exact,
                               atol=1e-10 * max(1.0, scale) * x.shape[0])


@settings(max_examples=20, deadline=None)
@given(x=batches(dtype=np.float32))
def test_float32_in_float32_out(x):
    """Does a float32 cache give float32 gradients, close to the float64 ones?"""
    d = x.shape[1]
    _, cache32 = ref.batchnorm_forward(x, np.ones(d), np.zeros(d))
    _, cache64 = ref.batchnorm_forward(x.astype(np.float64), np.ones(d), np.zeros(d))
    dout = np.random.default_rng(0).normal(size=x.shape)
    for backward in (ref.batchnorm_backward, ref.batchnorm_backward_alt):
        got = backward(dout.astype(np.float32), cache32)
        want = backward(dout, cache64)
        for g, w in zip(got, want):
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-3 * max(1.0, np.abs(w).max()))


def test_relative_error_definition():
    """Is relative_error max(|a - b| / max(1e-8, |a| + |b|)), 0 for two zeros, a float?"""
    a = np.array([1e-3, 100.0, -2.0])
    b = np.array([2e-3, 101.0, 2.0])
    got = ref.relative_error(a, b)
    assert isinstance(got, float)
    assert got == pytest.approx(1.0)  # the sign change: |(-2) - 2| / (2 + 2)
    assert ref.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert ref.relative_error(1.0, 1.5) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="same shape"):
        ref.relative_error(np.ones((2, 3)), np.ones(3))


def test_numerical_gradient_restores_x_and_is_central():
    """Does numerical_gradient put x back bit for bit and have error of order h**2?"""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3))
    before = x.copy()
    dout = rng.normal(size=(4, 3))
    grad = ref.numerical_gradient(np.exp, x, dout, h=1e-2)
    np.testing.assert_array_equal(x, before)
    exact = np.exp(x) * dout
    # central differences of exp: error h**2 / 6 * exp(x) relative
    np.testing.assert_allclose(grad, exact, rtol=2e-5)
    assert np.max(np.abs(grad - exact) / np.abs(exact)) > 1e-7  # not exact: it is numerical


def test_numerical_gradient_perturbs_a_non_contiguous_x_itself():
    """Does a strided view of x get every entry perturbed (no hidden copy)?"""
    base = np.random.default_rng(0).normal(size=(5, 9))
    x = base[:, ::2]
    dout = np.ones((5, 5))
    grad = ref.numerical_gradient(lambda z: z**2, x, dout)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8)


def test_inputs_are_not_modified():
    """Do the backward passes leave dout and the cache untouched?"""
    rng = np.random.default_rng(1)
    _, cache = ref.batchnorm_forward(rng.normal(size=(6, 3)), np.ones(3), np.zeros(3))
    dout = rng.normal(size=(6, 3))
    snapshot = {k: np.copy(v) for k, v in cache.items()}
    d_before = dout.copy()
    for backward in (ref.batchnorm_backward, ref.batchnorm_backward_alt):
        backward(dout, cache)
        np.testing.assert_array_equal(dout, d_before)
        for k, v in snapshot.items():
            np.testing.assert_array_equal(cache[k], v)


@pytest.mark.parametrize("dout, cache, words", [
    (np.ones((4, 3)), {"x_hat": np.ones((5, 3)), "var": np.ones(3), "gamma": np.ones(3),
                       "eps": 1e-5}, "must match"),
    (np.ones((4, 3)), {"x_hat": np.ones((4, 3))}, "missing"),
    (np.ones(4), {}, "2 dimensions"),
    (np.ones((4, 3)), [1, 2], "dict"),
])
def test_impossible_input_raises_value_error(dout, cache, words):
    """Is a mismatched dout or a wrong cache met with a ValueError that says what was wrong?"""
    for backward in (ref.batchnorm_backward, ref.batchnorm_backward_alt):
        with pytest.raises(ValueError, match=words):
            backward(dout, cache)


@pytest.mark.parametrize("f, dout_of", [
    (lambda z: z, lambda x: np.arange(x.size, dtype=float).reshape(x.shape)),
    (lambda z: z.T, lambda x: np.arange(x.size, dtype=float).reshape(x.shape[::-1])),
    (lambda z: z.reshape(-1), lambda x: np.arange(x.size, dtype=float)),
    (lambda z: z[::-1, 1:], lambda x: np.arange(x[::-1, 1:].size, dtype=float).reshape(
        x[::-1, 1:].shape)),
], ids=["x itself", "transposed view", "reshaped view", "slice"])
def test_numerical_gradient_is_right_when_f_returns_a_view_of_x(f, dout_of):
    """When f's output aliases x, is the gradient still dout put back in place, x restored?"""
    x = np.random.default_rng(2).normal(size=(3, 4))
    before = x.copy()
    dout = dout_of(x)
    grad = ref.numerical_gradient(f, x, dout)
    np.testing.assert_array_equal(x, before)
    # the gradient of sum(view(x) * dout) puts each dout entry where its view took x from
    exact = np.zeros_like(x)
    f(exact)[...] = dout
    np.testing.assert_allclose(grad, exact, rtol=1e-7, atol=1e-9 * dout.max())
