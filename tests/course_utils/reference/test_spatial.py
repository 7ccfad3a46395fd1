"""Does the notebook 06 reference (spatial batch norm, folding) agree with PyTorch?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.fusion import fuse_conv_bn_weights

from course_utils import reference as ref

pytestmark = pytest.mark.nb06


@st.composite
def feature_maps(draw, dtype=np.float64):
    """(N, C, H, W) with per-channel offsets and scales, effective batch N * H * W >= 2."""
    n, c = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    if n * h * w < 2:
        n = 2
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    loc = rng.uniform(-10, 10, (1, c, 1, 1))
    scale = np.exp(rng.uniform(np.log(0.05), np.log(20), (1, c, 1, 1)))
    return (loc + scale * rng.standard_normal((n, c, h, w))).astype(dtype)


def _torch_bn2d(x, gamma, beta, eps):
    """torch.nn.BatchNorm2d in training mode, float64, with the given gamma and beta."""
    bn = torch.nn.BatchNorm2d(x.shape[1], eps=eps).double().train()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    return bn


@settings(max_examples=60, deadline=None)
@given(x=feature_maps(), seed=st.integers(0, 1000), eps=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_forward_agrees_with_torch_batchnorm2d_in_training_mode(x, seed, eps):
    """Does spatial_batchnorm_forward equal BatchNorm2d (training mode) for random shapes?"""
    rng = np.random.default_rng(seed)
    c = x.shape[1]
    gamma, beta = rng.uniform(0.1, 3, c), rng.normal(size=c)
    out, cache = ref.spatial_batchnorm_forward(x, gamma, beta, eps=eps)
    expected = _torch_bn2d(x, gamma, beta, eps)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(cache["mean"], x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(cache["var"], x.var(axis=(0, 2, 3)))


@settings(max_examples=60, deadline=None)
@given(x=feature_maps(), seed=st.integers(0, 1000))
def test_backward_agrees_with_torch_autograd(x, seed):
    """Do dx, dgamma, dbeta equal autograd through BatchNorm2d in training mode?"""
    rng = np.random.default_rng(seed)
    c = x.shape[1]
    gamma, beta = rng.uniform(0.1, 3, c), rng.normal(size=c)
    dout = rng.normal(size=x.shape)
    _, cache = ref.spatial_batchnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = ref.spatial_batchnorm_backward(dout, cache)

    bn = _torch_bn2d(x, gamma, beta, 1e-5)
    xt = torch.from_numpy(x).requires_grad_()
    bn(xt).backward(torch.from_numpy(dout))
    scale = max(1.0, np.abs(xt.grad.numpy()).max())
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-7, atol=1e-9 * scale)
    np.testing.assert_allclose(dgamma, bn.weight.grad.numpy(), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(dbeta, bn.bias.grad.numpy(), rtol=1e-8, atol=1e-9)


def test_backward_agrees_with_finite_differences():
    """Is dx the gradient of sum(out * dout), checked by central differences?"""
    rng = np.random.default_rng(3)
    x = rng.normal(1, 2, size=(2, 3, 2, 3))
    gamma, beta, dout = rng.uniform(0.5, 2, 3), rng.normal(size=3), rng.normal(size=x.shape)
    _, cache = ref.spatial_batchnorm_forward(x, gamma, beta)
    dx, _, _ = ref.spatial_batchnorm_backward(dout, cache)
    numeric = np.zeros_like(x)
    h = 1e-6
    for idx in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        f_plus = (ref.spatial_batchnorm_forward(plus, gamma, beta)[0] * dout).sum()
        f_minus = (ref.spatial_batchnorm_forward(minus, gamma, beta)[0] * dout).sum()
        numeric[idx] = (f_plus - f_minus) / (2 * h)
    np.testing.assert_allclose(dx, numeric, rtol=1e-5, atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(x=feature_maps())
def test_forward_is_the_2d_case_on_the_rows(x):
    """Is the spatial forward the 2-D forward on x.transpose(0, 2, 3, 1).reshape(-1, C)?

    Equal up to rounding: the spatial pass sums over the axes (0, 2, 3) in place, in another
    order than the rows' sums."""
    c = x.shape[1]
    gamma, beta = np.linspace(0.5, 2, c), np.linspace(-1, 1, c)
    out, cache = ref.spatial_batchnorm_forward(x, gamma, beta)
    rows = x.transpose(0, 2, 3, 1).reshape(-1, c)
    out_rows, cache_rows = ref.batchnorm_forward(rows, gamma, beta)
    n, _, h, w = x.shape
    np.testing.assert_allclose(out, out_rows.reshape(n, h, w, c).transpose(0, 3, 1, 2),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(cache["var"], cache_rows["var"], rtol=1e-12, atol=1e-300)


@settings(max_examples=30, deadline=None)
@given(x=feature_maps(dtype=np.float32))
def test_float32_stays_float32(x):
    """Is a float32 input normalized and differentiated in float32?"""
    c = x.shape[1]
    out, cache = ref.spatial_batchnorm_forward(x, np.ones(c), np.zeros(c))
    dx, dgamma, dbeta = ref.spatial_batchnorm_backward(np.ones_like(x), cache)
    assert {a.dtype for a in (out, cache["x_hat"], dx, dgamma, dbeta)} == {np.dtype(np.float32)}


def test_documented_cache_keys_and_meaning():
    """Does the cache hold the documented keys, x_hat with the input's shape?"""
    x = np.random.default_rng(0).normal(2, 3, (3, 4, 5, 2))
    _, cache = ref.spatial_batchnorm_forward(x, np.full(4, 2.0), np.full(4, -1.0), eps=1e-3)
    assert set(cache) == {"x", "x_hat", "mean", "var", "std", "gamma", "beta", "eps"}
    assert cache["x_hat"].shape == x.shape and cache["x"] is not None
    mean, var = x.mean((0, 2, 3), keepdims=True), x.var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(cache["x_hat"], (x - mean) / np.sqrt(var + 1e-3))
    np.testing.assert_allclose(cache["std"], np.sqrt(var.ravel() + 1e-3))
    assert cache["eps"] == 1e-3


@pytest.mark.parametrize("shape", [(7, 4), (3, 4, 2, 5)])
def test_shared_compact_backward_agrees_with_torch(shape):
    """Does the arithmetic shared by the 2-D and spatial passes equal torch's gradients?"""
    from course_utils.reference import _kernels

    rng = np.random.default_rng(5)
    x, dout = rng.normal(2, 3, shape), rng.normal(size=shape)
    gamma = rng.uniform(0.5, 2, shape[1])
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    _, _, _, std, x_hat = _kernels.normalize(x, gamma, np.zeros(shape[1]), 1e-5, axes)
    dx, dgamma, dbeta = _kernels.compact_backward(dout, x_hat, gamma, std, axes)
    xt, gt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(gamma).requires_grad_()
    F.batch_norm(xt, None, None, gt, torch.zeros(shape[1], dtype=torch.float64), training=True,
                 eps=1e-5).backward(torch.from_numpy(dout))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dgamma, gt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dbeta, dout.sum(axis=axes), rtol=1e-12)


@st.composite
def layer_weights(draw):
    """A convolution (1-D or 2-D) or linear weight, (C_out, C_in, *kernel)."""
    c_out, c_in = draw(st.integers(1, 8)), draw(st.integers(1, 6))
    kernel = draw(st.sampled_from([(), (3,), (1, 1), (3, 3), (5, 3)]))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).normal(size=(c_out, c_in, *kernel))


@settings(max_examples=60, deadline=None)
@given(w=layer_weights(), has_bias=st.booleans(), seed=st.integers(0, 1000),
       eps=st.sampled_from([1e-5, 1e-3]))
def test_fold_agrees_with_torch_fuse_conv_bn_weights(w, has_bias, seed, eps):
    """Does fold_batchnorm equal torch.nn.utils.fusion.fuse_conv_bn_weights (bias None too)?"""
    rng = np.random.default_rng(seed)
    c = w.shape[0]
    b = rng.normal(size=c) if has_bias else None
    gamma, beta = rng.uniform(0.2, 3, c), rng.normal(size=c)
    mean, var = rng.normal(0, 5, c), rng.uniform(0.01, 4, c)
    got_w, got_b = ref.fold_batchnorm(w, b, gamma, beta, mean, var, eps=eps)
    t = torch.from_numpy
    exp_w, exp_b = fuse_conv_bn_weights(t(w), None if b is None else t(b), t(mean), t(var),
                                        eps, t(gamma), t(beta))
    np.testing.assert_allclose(got_w, exp_w.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_b, exp_b.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_folded_convolution_equals_conv_then_bn_in_eval_mode():
    """Does the folded convolution give what conv + BatchNorm2d (eval) give?"""
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 5, 3, padding=1).double()
    bn = torch.nn.BatchNorm2d(5).double()
    with torch.no_grad():  # statistics and affine parameters far from their defaults
        bn.running_mean.copy_(torch.randn(5) * 3)
        bn.running_var.copy_(torch.rand(5) * 4 + 0.1)
        bn.weight.copy_(torch.rand(5) + 0.5)
        bn.bias.copy_(torch.randn(5))
    bn.eval()
    x = torch.randn(4, 3, 8, 8, dtype=torch.float64)
    expected = bn(conv(x)).detach().numpy()
    w, b = ref.fold_batchnorm(*(p.detach().numpy() for p in (
        conv.weight, conv.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var)))
    got = F.conv2d(x, torch.from_numpy(w), torch.from_numpy(b), padding=1).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_fold_float32_and_inputs_untouched():
    """Does a float32 layer fold to float32, leaving every input unchanged?"""
    rng = np.random.default_rng(2)
    args = [rng.normal(size=(4, 2, 3, 3)).astype(np.float32)] + [
        rng.uniform(0.5, 2, 4).astype(np.float32) for _ in range(5)]
    copies = [a.copy() for a in args]
    w, b = ref.fold_batchnorm(*args)
    assert w.dtype == b.dtype == np.float32
    for before, after in zip(copies, args):
        np.testing.assert_array_equal(before, after)
    _, b_none = ref.fold_batchnorm(args[0], None, *args[2:])
    np.testing.assert_allclose(b_none, args[3] - args[4] * args[2] / np.sqrt(args[5] + 1e-5),
                               rtol=1e-6)


def test_spatial_inputs_are_not_modified():
    """Do the forward and backward passes leave their inputs (and the cache) untouched?"""
    rng = np.random.default_rng(1)
    x, gamma, beta = rng.normal(size=(2, 3, 2, 2)), np.ones(3), np.zeros(3)
    copies = [a.copy() for a in (x, gamma, beta)]
    _, cache = ref.spatial_batchnorm_forward(x, gamma, beta)
    for before, after in zip(copies, (x, gamma, beta)):
        np.testing.assert_array_equal(before, after)
    dout = rng.normal(size=x.shape)
    dout_copy, x_hat_copy = dout.copy(), cache["x_hat"].copy()
    ref.spatial_batchnorm_backward(dout, cache)
    np.testing.assert_array_equal(dout, dout_copy)
    np.testing.assert_array_equal(cache["x_hat"], x_hat_copy)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.spatial_batchnorm_forward(np.ones((1, 3, 1, 1)), np.ones(3), np.zeros(3)),
     "effective batch"),
    (lambda: ref.spatial_batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3)),
     "4 dimensions"),
    (lambda: ref.spatial_batchnorm_forward(np.ones((2, 3, 2, 2)), np.ones(2), np.zeros(3)),
     "gamma must have shape (3,)"),
    (lambda: ref.spatial_batchnorm_backward(
        np.ones((1, 3, 2, 2)),
        ref.spatial_batchnorm_forward(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(3))[1]),
     "dout has shape (1, 3, 2, 2)"),
    (lambda: ref.spatial_batchnorm_backward(np.ones((2, 3, 2, 2)), {"x_hat": 1}), "cache"),
    (lambda: ref.fold_batchnorm(np.ones(4), None, *[np.ones(4)] * 4), "C_out, C_in"),
    (lambda: ref.fold_batchnorm(np.ones((4, 2)), np.ones(3), *[np.ones(4)] * 4),
     "bias must have shape (4,)"),
    (lambda: ref.fold_batchnorm(np.ones((4, 2)), None, np.ones(5), *[np.ones(4)] * 3),
     "gamma must have shape (4,)"),
    (lambda: ref.fold_batchnorm(np.ones((2, 2)), None, np.ones(2), np.ones(2), np.ones(2),
                                np.array([1.0, -1.0])), "negative"),
])
def test_impossible_input_raises_value_error(call, words):
    """Is impossible input met with a ValueError that says what was wrong?"""
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value), str(info.value)
