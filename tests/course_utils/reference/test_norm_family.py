"""Does the notebook 07 reference (BN, LN, IN, GN as one operation) agree with PyTorch?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import reference as ref
from tests.strategies import batches

pytestmark = pytest.mark.nb07


@st.composite
def feature_maps(draw, min_hw=1, channels=None, dtype=np.float64):
    """(N, C, H, W) with offsets and scales per example and channel."""
    n = draw(st.integers(1, 5))
    c = draw(st.integers(1, 8)) if channels is None else channels
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    if h * w < min_hw:
        h = min_hw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    loc = rng.uniform(-10, 10, (n, c, 1, 1))
    scale = np.exp(rng.uniform(np.log(0.05), np.log(20), (n, c, 1, 1)))
    return (loc + scale * rng.standard_normal((n, c, h, w))).astype(dtype)


@st.composite
def grouped_maps(draw):
    """Feature maps and a group count that divides their channels."""
    groups, per_group = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    return draw(feature_maps(min_hw=1 if per_group > 1 else 2,
                             channels=groups * per_group)), groups


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


@settings(max_examples=60, deadline=None)
@given(x=feature_maps(min_hw=2), axes=st.sampled_from(
    [(0,), (1,), (2, 3), (0, 2, 3), (1, 2, 3), (0, 1, 2, 3), (-1,), (3, 1)]),
       eps=st.sampled_from([1e-5, 0.1]))
def test_normalize_agrees_with_torch_mean_and_biased_var(x, axes, eps):
    """Is normalize(x, axes) (x - mean) / sqrt(var + eps) with torch's biased var over axes?"""
    xt = t(x)
    mean = xt.mean(dim=axes, keepdim=True)
    var = xt.var(dim=axes, unbiased=False, keepdim=True)
    expected = ((xt - mean) / torch.sqrt(var + eps)).numpy()
    np.testing.assert_allclose(ref.normalize(x, axes, eps=eps), expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(x=feature_maps(min_hw=1), eps=st.sampled_from([1e-5, 1e-3]))
def test_normalize_over_batch_axes_is_torch_batch_norm(x, eps):
    """Is normalize over (0, 2, 3) torch's training-mode batch_norm without affine?"""
    if x.shape[0] * x.shape[2] * x.shape[3] < 2:
        x = np.concatenate([x, x[::-1] + 1.0])
    expected = F.batch_norm(t(x), None, None, training=True, eps=eps).numpy()
    np.testing.assert_allclose(ref.normalize(x, (0, 2, 3), eps=eps), expected,
                               rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(x=batches(min_n=1), seed=st.integers(0, 1000), eps=st.sampled_from([1e-5, 1e-3]))
def test_layer_norm_agrees_with_torch(x, seed, eps):
    """Does layer_norm equal F.layer_norm over the last axis, with per-feature gamma, beta?"""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    gamma, beta = rng.uniform(0.1, 3, d), rng.normal(size=d)
    expected = F.layer_norm(t(x), (d,), t(gamma), t(beta), eps=eps).numpy()
    np.testing.assert_allclose(ref.layer_norm(x, gamma, beta, eps=eps), expected,
                               rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(x=feature_maps(min_hw=2), eps=st.sampled_from([1e-5, 1e-3]))
def test_instance_norm_agrees_with_torch(x, eps):
    """Does instance_norm equal F.instance_norm (no affine, no running statistics)?"""
    expected = F.instance_norm(t(x), eps=eps).numpy()
    np.testing.assert_allclose(ref.instance_norm(x, eps=eps), expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(xg=grouped_maps(), seed=st.integers(0, 1000), eps=st.sampled_from([1e-5, 1e-3]))
def test_group_norm_agrees_with_torch_for_random_group_counts(xg, seed, eps):
    """Does group_norm equal F.group_norm for random shapes and every group count?"""
    x, groups = xg
    rng = np.random.default_rng(seed)
    c = x.shape[1]
    gamma, beta = rng.uniform(0.1, 3, c), rng.normal(size=c)
    expected = F.group_norm(t(x), groups, t(gamma), t(beta), eps=eps).numpy()
    np.testing.assert_allclose(ref.group_norm(x, gamma, beta, groups, eps=eps), expected,
                               rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(x=feature_maps(min_hw=2))
def test_group_norm_with_one_group_is_layer_norm_over_chw(x):
    """Is GN with G = 1 layer norm over (C, H, W) (torch's F.layer_norm on x.shape[1:])?"""
    c = x.shape[1]
    got = ref.group_norm(x, np.ones(c), np.zeros(c), 1)
    np.testing.assert_allclose(got, F.layer_norm(t(x), x.shape[1:]).numpy(), rtol=1e-9,
                               atol=1e-9)
    np.testing.assert_allclose(got, ref.normalize(x, (1, 2, 3)), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(x=feature_maps(min_hw=2))
def test_group_norm_with_c_groups_is_instance_norm(x):
    """Is GN with G = C instance norm?"""
    c = x.shape[1]
    np.testing.assert_allclose(ref.group_norm(x, np.ones(c), np.zeros(c), c),
                               ref.instance_norm(x), rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(x=feature_maps(min_hw=2, channels=6, dtype=np.float32))
def test_float32_stays_float32(x):
    """Does every member of the family keep float32 as float32, close to float64?"""
    outs = [ref.normalize(x, (0, 2, 3)), ref.instance_norm(x),
            ref.group_norm(x, np.ones(6), np.zeros(6), 3),
            ref.layer_norm(x.reshape(x.shape[0], -1), np.ones(x[0].size), np.zeros(x[0].size))]
    assert {o.dtype for o in outs} == {np.dtype(np.float32)}
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(outs[2], ref.group_norm(x64, np.ones(6), np.zeros(6), 3),
                               rtol=1e-3, atol=1e-3)


def test_layer_norm_is_per_example_and_batch_norm_per_feature():
    """Fact 8: does layer norm use each example's statistics (not each feature's)?"""
    x = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 60.0]])
    out = ref.layer_norm(x, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)   # per example
    assert not np.allclose(out.mean(axis=0), 0)                   # not per feature
    single = ref.layer_norm(x[1:], np.ones(3), np.zeros(3))
    np.testing.assert_array_equal(single[0], out[1])              # no batch needed


def test_groups_are_consecutive_channels():
    """Are the groups channels 0..C/G-1, C/G..2C/G-1, ... (not interleaved)?"""
    x = np.zeros((1, 4, 1, 2))
    x[0, 0], x[0, 1] = [0.0, 2.0], [4.0, 6.0]      # group 0: channels 0 and 1
    x[0, 2], x[0, 3] = [100.0, 102.0], [104.0, 106.0]
    out = ref.group_norm(x, np.ones(4), np.zeros(4), 2)
    np.testing.assert_allclose(out[0, :2].ravel(), out[0, 2:].ravel())


def test_inputs_are_not_modified():
    """Does every function leave its inputs untouched?"""
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=(2, 4, 3, 3)), rng.normal(size=(3, 4))
    g, b = np.ones(4), np.zeros(4)
    copies = [a.copy() for a in (x, v, g, b)]
    ref.normalize(x, (0, 2, 3))
    ref.layer_norm(v, g, b)
    ref.instance_norm(x)
    ref.group_norm(x, g, b, 2)
    for before, after in zip(copies, (x, v, g, b)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.normalize(np.ones((3, 2)), (2,)), "out of range"),
    (lambda: ref.normalize(np.ones((3, 2)), ()), "empty"),
    (lambda: ref.normalize(np.ones((3, 2)), (0, -2)), "repeats"),
    (lambda: ref.normalize(np.ones((3, 2)), ("a",)), "tuple of ints"),
    (lambda: ref.layer_norm(np.ones(3), np.ones(3), np.zeros(3)), "2 dimensions"),
    (lambda: ref.layer_norm(np.ones((2, 3)), np.ones(4), np.zeros(3)), "gamma must have shape"),
    (lambda: ref.instance_norm(np.ones((3, 4, 4))), "4 dimensions"),
    (lambda: ref.instance_norm(np.ones((3, 4, 1, 1))), "H * W >= 2"),
    (lambda: ref.group_norm(np.ones((2, 6, 3, 3)), np.ones(6), np.zeros(6), 4),
     "does not divide the 6 channels"),
    (lambda: ref.group_norm(np.ones((2, 6, 3, 3)), np.ones(6), np.zeros(6), 0),
     "does not divide"),
    (lambda: ref.group_norm(np.ones((2, 6, 3, 3)), np.ones(6), np.zeros(6), 1.5), "int"),
    (lambda: ref.group_norm(np.ones((6, 3, 3)), np.ones(6), np.zeros(6), 2), "4 dimensions"),
    (lambda: ref.group_norm(np.ones((2, 4, 1, 1)), np.ones(4), np.zeros(4), 4), "one value"),
    (lambda: ref.group_norm(np.ones((2, 6, 3, 3)), np.ones(3), np.zeros(6), 3),
     "gamma must have shape (6,)"),
])
def test_impossible_input_raises_value_error(call, words):
    """Is impossible input met with a ValueError that says what was wrong?"""
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value), str(info.value)
