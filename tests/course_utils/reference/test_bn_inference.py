"""Does the reference inference code (notebook 05) agree with torch and with Algorithm 2?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import reference as ref
from tests.strategies import batches

pytestmark = pytest.mark.nb05


@st.composite
def sequences(draw, max_batches=8):
    """A feature count, a list of training batch sizes (>= 2) and a seed for the data."""
    d = draw(st.integers(1, 6))
    sizes = draw(st.lists(st.integers(2, 30), min_size=1, max_size=max_batches))
    return d, sizes, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=60, deadline=None)
@given(seq=sequences(), momentum=st.floats(0.0, 1.0), eps=st.sampled_from([1e-5, 1e-3, 0.1]),
       eval_n=st.integers(1, 10))
def test_module_agrees_with_torch(seq, momentum, eps, eval_n):
    """After the same batches, do outputs and buffers equal torch's BatchNorm1d's, in both modes?"""
    d, sizes, seed = seq
    rng = np.random.default_rng(seed)
    ours = ref.BatchNorm1d(d, eps=eps, momentum=momentum)
    theirs = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum, dtype=torch.float64)
    gamma, beta = rng.uniform(0.5, 2, d), rng.normal(size=d)
    ours.parameters()["gamma"][...] = gamma
    ours.parameters()["beta"][...] = beta
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(gamma))
        theirs.bias.copy_(torch.from_numpy(beta))
    loc, scale = rng.uniform(-5, 5, d), rng.uniform(0.1, 4, d)
    for n in sizes:
        x = loc + scale * rng.standard_normal((n, d))
        with torch.no_grad():
            expected = theirs(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(ours.forward(x), expected, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ours.buffers()["running_mean"], theirs.running_mean.numpy(),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.buffers()["running_var"], theirs.running_var.numpy(),
                                   rtol=1e-10, atol=1e-12)
        assert ours.buffers()["num_batches_tracked"] == int(theirs.num_batches_tracked)
    ours.eval()
    theirs.eval()
    x = loc + scale * rng.standard_normal((eval_n, d))
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours.forward(x), expected, rtol=1e-9, atol=1e-9)
    state = ours.state_dict()
    for key, tkey in (("gamma", "weight"), ("beta", "bias"), ("running_mean", "running_mean"),
                      ("running_var", "running_var"), ("num_batches_tracked",
                                                       "num_batches_tracked")):
        np.testing.assert_allclose(state[key], theirs.state_dict()[tkey].numpy(), rtol=1e-10)


def test_module_interface():
    """Do training/train()/eval() and parameters()/buffers()/state_dict() behave as in PyTorch?"""
    bn = ref.BatchNorm1d(3)
    assert bn.training is True
    assert set(bn.parameters()) == {"gamma", "beta"}
    assert set(bn.buffers()) == {"running_mean", "running_var", "num_batches_tracked"}
    assert set(bn.state_dict()) == set(bn.parameters()) | set(bn.buffers())
    torch_bn = torch.nn.BatchNorm1d(3)
    assert {n for n, _ in torch_bn.named_buffers()} == set(bn.buffers())
    np.testing.assert_array_equal(bn.buffers()["running_var"], torch_bn.running_var.numpy())
    assert bn.eval() is bn and bn.training is False
    assert bn.train() is bn and bn.training is True
    with pytest.raises(ValueError, match="at least 2"):
        bn.forward(np.ones((1, 3)))
    bn.eval()
    np.testing.assert_allclose(bn.forward(np.ones((1, 3))), np.ones((1, 3)) / np.sqrt(1 + 1e-5))
    with pytest.raises(ValueError, match="built for 3"):
        bn.forward(np.ones((4, 2)))


def test_module_float32_and_input_untouched():
    """Does a float32 batch give float32 out, and is the caller's array left alone?"""
    bn = ref.BatchNorm1d(2)
    x = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    before = x.copy()
    assert bn.forward(x).dtype == np.float32
    bn.eval()
    assert bn.forward(x).dtype == np.float32
    np.testing.assert_array_equal(x, before)


def test_checkpoint_is_a_snapshot():
    """Is state_dict() a copy, so later training does not change a saved checkpoint?"""
    bn = ref.BatchNorm1d(2)
    rng = np.random.default_rng(1)
    bn.forward(rng.normal(size=(4, 2)))
    saved = bn.state_dict()
    bn.forward(rng.normal(5, 1, size=(4, 2)))
    assert not np.allclose(saved["running_mean"], bn.buffers()["running_mean"])
    assert saved["num_batches_tracked"] == 1


@settings(max_examples=60, deadline=None)
@given(x=batches(), momentum=st.floats(0.0, 1.0), seed=st.integers(0, 1000))
def test_update_running_stats_agrees_with_torch(x, momentum, seed):
    """Is one update of the running statistics the one torch.nn.functional.batch_norm makes?"""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    rm, rv = rng.normal(size=d), rng.uniform(0.5, 2, d)
    trm, trv = torch.from_numpy(rm.copy()), torch.from_numpy(rv.copy())
    F.batch_norm(torch.from_numpy(x), trm, trv, training=True, momentum=momentum)
    new_mean, new_var = ref.update_running_stats(rm, rv, x.mean(0), x.var(0), x.shape[0],
                                                 momentum=momentum)
    np.testing.assert_allclose(new_mean, trm.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(new_var, trv.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(1, 20), m=st.integers(2, 30), d=st.integers(1, 5), seed=st.integers(0, 1000))
def test_population_statistics_is_algorithm_2(k, m, d, seed):
    """Is it the mean of the batch means and m/(m-1) times the mean of the batch variances?

    For one batch (K = 1) that is the batch's unbiased variance; for equal-sized disjoint
    batches the mean is the mean of all the data.
    """
    rng = np.random.default_rng(seed)
    data = rng.normal(rng.uniform(-3, 3, d), rng.uniform(0.5, 3, d), size=(k, m, d))
    mean, var = ref.population_statistics(data.mean(1), data.var(1), m)
    np.testing.assert_allclose(mean, data.reshape(-1, d).mean(0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(var, np.mean([np.var(b, axis=0, ddof=1) for b in data], axis=0),
                               rtol=1e-10)
    if k == 1:
        np.testing.assert_allclose(var, torch.from_numpy(data[0]).var(0).numpy(), rtol=1e-10)


def test_population_variance_is_unbiased_on_average():
    """Over many batches from N(0, sigma^2), does Algorithm 2's variance come close to sigma^2,
    while the uncorrected average stays near (m-1)/m sigma^2?"""
    rng = np.random.default_rng(0)
    m, sigma = 4, 2.0
    data = rng.normal(0, sigma, size=(20000, m, 1))
    _, var = ref.population_statistics(data.mean(1), data.var(1), m)
    assert abs(var[0] / sigma**2 - 1) < 0.02
    assert abs(data.var(1).mean() / sigma**2 - (m - 1) / m) < 0.02


@settings(max_examples=40, deadline=None)
@given(x=batches(min_n=1), seed=st.integers(0, 1000), eps=st.sampled_from([1e-5, 1e-2]))
def test_inference_agrees_with_torch_eval_mode(x, seed, eps):
    """Does batchnorm_inference equal torch's batch_norm with training=False?"""
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    gamma, beta = rng.uniform(0.5, 2, d), rng.normal(size=d)
    rm, rv = rng.normal(size=d), rng.uniform(0.1, 3, d)
    expected = F.batch_norm(torch.from_numpy(x), torch.from_numpy(rm), torch.from_numpy(rv),
                            torch.from_numpy(gamma), torch.from_numpy(beta), training=False,
                            eps=eps).numpy()
    np.testing.assert_allclose(ref.batchnorm_inference(x, gamma, beta, rm, rv, eps=eps),
                               expected, rtol=1e-10, atol=1e-10)


def test_inputs_are_not_modified():
    """Do the functions leave their inputs untouched?"""
    rng = np.random.default_rng(2)
    arrays = [rng.normal(size=3) for _ in range(4)]
    copies = [a.copy() for a in arrays]
    ref.update_running_stats(*arrays, 5)
    means, vars_ = rng.normal(size=(4, 3)), rng.uniform(1, 2, (4, 3))
    mc, vc = means.copy(), vars_.copy()
    ref.population_statistics(means, vars_, 5)
    for before, after in zip(copies + [mc, vc], arrays + [means, vars_]):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("call, words", [
    (lambda: ref.update_running_stats(np.zeros(3), np.ones(3), np.zeros(3), np.ones(3), 1),
     "at least 2"),
    (lambda: ref.update_running_stats(np.zeros(3), np.ones(3), np.zeros(2), np.ones(3), 5),
     "shape"),
    (lambda: ref.update_running_stats(np.zeros(3), np.ones(3), np.zeros(3), np.ones(3), 5,
                                      momentum=1.5), "between 0 and 1"),
    (lambda: ref.population_statistics(np.zeros((3, 2)), np.ones((3, 2)), 1), "at least 2"),
    (lambda: ref.population_statistics(np.zeros((3, 2)), np.ones((4, 2)), 5), "same shape"),
    (lambda: ref.population_statistics(np.zeros(3), np.ones(3), 5), "2 dimensions"),
    (lambda: ref.batchnorm_inference(np.ones((4, 3)), np.ones(2), np.zeros(3), np.zeros(3),
                                     np.ones(3)), "gamma must have shape"),
    (lambda: ref.BatchNorm1d(0), "positive integer"),
    (lambda: ref.BatchNorm1d(3, momentum=-0.1), "between 0 and 1"),
])
def test_impossible_input_raises_value_error(call, words):
    """Is impossible input met with a ValueError that says what was wrong?"""
    with pytest.raises(ValueError, match=words):
        call()


@st.composite
def train_eval_sequences(draw, max_steps=8):
    """Steps of ("train" | "eval", batch size); at least one training batch comes first."""
    d = draw(st.integers(1, 6))
    first = ("train", draw(st.integers(2, 20)))
    rest = draw(st.lists(st.tuples(st.sampled_from(["train", "eval"]), st.integers(1, 20)),
                         max_size=max_steps - 1))
    steps = [first] + [(mode, max(n, 2) if mode == "train" else n) for mode, n in rest]
    return d, steps, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=60, deadline=None)
@given(seq=train_eval_sequences(), momentum=st.one_of(st.none(), st.floats(0.0, 1.0)),
       eps=st.sampled_from([1e-5, 1e-3, 0.1]))
def test_module_gradients_agree_with_autograd(seq, momentum, eps):
    """Over train and eval batches, are backward's (dx, dgamma, dbeta) autograd's, and do the
    buffers (momentum=None: the cumulative average) stay torch's?"""
    d, steps, seed = seq
    rng = np.random.default_rng(seed)
    ours = ref.BatchNorm1d(d, eps=eps, momentum=momentum)
    theirs = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum, dtype=torch.float64)
    gamma, beta = rng.uniform(0.5, 2, d), rng.normal(size=d)
    ours.parameters()["gamma"][...] = gamma
    ours.parameters()["beta"][...] = beta
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(gamma))
        theirs.bias.copy_(torch.from_numpy(beta))
    loc, scale = rng.uniform(-5, 5, d), rng.uniform(0.1, 4, d)
    for mode, n in steps:
        ours.train(mode == "train")
        theirs.train(mode == "train")
        x = loc + scale * rng.standard_normal((n, d))
        dout = rng.standard_normal((n, d))
        xt = torch.from_numpy(x).requires_grad_(True)
        theirs.zero_grad()
        out = theirs(xt)
        out.backward(torch.from_numpy(dout))
        np.testing.assert_allclose(ours.forward(x), out.detach().numpy(), rtol=1e-9, atol=1e-9)
        dx, dgamma, dbeta = ours.backward(dout)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(dgamma, theirs.weight.grad.numpy(), rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(dbeta, theirs.bias.grad.numpy(), rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(ours.buffers()["running_mean"], theirs.running_mean.numpy(),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.buffers()["running_var"], theirs.running_var.numpy(),
                                   rtol=1e-10, atol=1e-12)
        assert ours.buffers()["num_batches_tracked"] == int(theirs.num_batches_tracked)


def test_backward_is_for_the_last_forward_whatever_the_mode_now():
    """Does backward after forward-then-eval() still give the training-mode gradient?"""
    rng = np.random.default_rng(3)
    x, dout = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    bn = ref.BatchNorm1d(3)
    bn.forward(x)
    expected = bn.backward(dout)
    bn.eval()
    for got, want in zip(bn.backward(dout), expected):
        np.testing.assert_array_equal(got, want)
    assert abs(expected[0].sum(axis=0)).max() < 1e-12   # training mode: sum(dx) = 0


def test_backward_keeps_float32_and_leaves_dout_alone():
    """Are the gradients of a float32 batch float32, and is dout left untouched?"""
    rng = np.random.default_rng(4)
    bn = ref.BatchNorm1d(2)
    x = rng.normal(size=(5, 2)).astype(np.float32)
    dout = rng.normal(size=(5, 2)).astype(np.float32)
    before = dout.copy()
    for mode in (True, False):
        bn.train(mode).forward(x)
        assert all(g.dtype == np.float32 for g in bn.backward(dout))
    np.testing.assert_array_equal(dout, before)


def test_parameters_are_the_modules_own_arrays():
    """Does an in-place update of parameters() change what forward computes?"""
    bn = ref.BatchNorm1d(2).eval()
    x = np.array([[1.0, 2.0]])
    before = bn.forward(x)
    bn.parameters()["gamma"][...] = 3.0
    bn.parameters()["beta"] -= 1.0
    np.testing.assert_allclose(bn.forward(x), 3 * before - 1)


def test_cumulative_average_when_momentum_is_none():
    """With momentum=None, are the buffers the plain averages of the batch statistics?"""
    rng = np.random.default_rng(5)
    bn = ref.BatchNorm1d(3, momentum=None)
    batches = [rng.normal(size=(n, 3)) for n in (4, 9, 2, 30)]
    for b in batches:
        bn.forward(b)
    np.testing.assert_allclose(bn.running_mean, np.mean([b.mean(0) for b in batches], axis=0))
    np.testing.assert_allclose(bn.running_var,
                               np.mean([b.var(0, ddof=1) for b in batches], axis=0))
    assert "momentum=None" in repr(bn)


@pytest.mark.parametrize("call, words", [
    (lambda bn: bn.backward(np.ones((4, 3))), "needs a forward"),
    (lambda bn: (bn.forward(np.ones((4, 3)) * np.arange(4)[:, None]),
                 bn.backward(np.ones((5, 3)))), "shape"),
    (lambda bn: (bn.forward(np.arange(12.0).reshape(4, 3)), bn.backward(np.ones(3))),
     "2 dimensions"),
])
def test_backward_refuses_impossible_input(call, words):
    """Is backward before any forward, or with a dout of the wrong shape, a ValueError?"""
    with pytest.raises(ValueError, match=words):
        call(ref.BatchNorm1d(3))
