"""Is the network of notebook 08 (``demos/mnist_experiment/training.py``) built as the paper
describes, and does its training loop record, reproduce and restore what it should?"""

import numpy as np
import pytest
import torch
import torch.nn as nn

from course_utils.demos import mnist_experiment as mx

pytestmark = pytest.mark.nb08


def _linears(model):
    return [m for m in model if isinstance(m, nn.Linear)]


def test_architecture_is_the_papers():
    """784 -> 3 x 100 sigmoid -> 10; BN before every sigmoid; no hidden bias with BN."""
    plain, bn = mx.make_mlp(False), mx.make_mlp(True)
    assert [type(m).__name__ for m in plain] == ["Linear", "Sigmoid"] * 3 + ["Linear"]
    assert [type(m).__name__ for m in bn] == ["Linear", "BatchNorm1d", "Sigmoid"] * 3 + ["Linear"]
    assert [(m.in_features, m.out_features) for m in _linears(bn)] == [
        (784, 100), (100, 100), (100, 100), (100, 10)]
    assert all(m.bias is None for m in _linears(bn)[:3]) and _linears(bn)[3].bias is not None
    assert all(m.bias is not None for m in _linears(plain))


def test_initialization_is_small_gaussian_and_seeded():
    """Weights N(0, 0.05^2) by default, 1/sqrt(fan_in) on request; the same seed, the same net."""
    w = _linears(mx.make_mlp(False, seed=3))[0].weight.detach().numpy()
    assert abs(w.std() - 0.05) < 0.002 and abs(w.mean()) < 0.002
    w = _linears(mx.make_mlp(False, init_std="fan_in"))[1].weight.detach().numpy()
    assert abs(w.std() - 0.1) < 0.005
    a, b = mx.make_mlp(True, seed=3), mx.make_mlp(True, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_bn_network_really_normalizes_every_sigmoid_input():
    """In training mode each sigmoid input has batch mean beta (0) and variance gamma^2 (1)."""
    model = mx.make_mlp(True).train()
    x = torch.rand(60, 784)
    for layer in range(3):
        z = mx.sigmoid_inputs(model, x, layer=layer)
        np.testing.assert_allclose(z.mean(0).numpy(), 0.0, atol=1e-5)
        np.testing.assert_allclose(z.var(0, unbiased=False).numpy(), 1.0, atol=2e-3)


def test_sigmoid_inputs_are_taken_on_the_last_hidden_layer():
    """Does layer=-1 give W3 h2 + b3 (plain) and BN3(W3 h2) (BN), computed by hand?"""
    x = torch.rand(50, 784)
    plain = mx.make_mlp(False, seed=1)
    l1, l2, l3, _ = _linears(plain)
    h = torch.sigmoid(l2(torch.sigmoid(l1(x))))
    torch.testing.assert_close(mx.sigmoid_inputs(plain, x), l3(h).detach())

    bn = mx.make_mlp(True, seed=1).eval()
    with torch.no_grad():                         # make eval mode differ from train mode
        for m in bn:
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 2)
                m.bias.uniform_(-1, 1)
    mods = list(bn)
    with torch.no_grad():
        h = torch.sigmoid(mods[4](mods[3](torch.sigmoid(mods[1](mods[0](x))))))
        expected = mods[7](mods[6](h))
    torch.testing.assert_close(mx.sigmoid_inputs(bn, x), expected)


def test_logged_percentiles_are_those_of_the_watched_unit(digits):
    """Are the logged 15/50/85th percentiles those of the watched unit over the eval set?"""
    model = mx.make_mlp(True, seed=0)
    data = (digits.X_test[:300], digits.y_test[:300])
    log = mx.train(model, digits.X_train[:600], digits.y_train[:600], steps=30, lr=0.5,
                   eval_data=data, eval_every=10, watch_unit=7, progress=False)
    assert log.steps == [10, 20, 30] and np.asarray(log.percentiles).shape == (3, 3)
    model.eval()
    z = mx.sigmoid_inputs(model, data[0])[:, 7].numpy()
    np.testing.assert_allclose(log.percentiles[-1], np.percentile(z, [15, 50, 85]), rtol=1e-6)


def test_training_is_reproducible_and_evaluate_restores_the_mode(digits):
    logs = []
    for _ in range(2):
        model = mx.make_mlp(True, seed=4)
        logs.append(mx.train(model, digits.X_train[:300], digits.y_train[:300], steps=20,
                             lr=0.3, seed=4, progress=False).train_loss)
    assert logs[0] == logs[1]
    model.train()
    mx.evaluate(model, digits.X_test[:50], digits.y_test[:50])
    assert model.training


def test_a_diverging_run_scores_infinity(digits):
    """Does the search objective turn a blown-up run into inf instead of NaN?"""
    objective = mx.search_objective(digits.X_train[:300], digits.y_train[:300],
                                    digits.X_test[:100], digits.y_test[:100], steps=20,
                                    use_bn=False)
    assert objective({"lr": 1e38, "weight_decay": 0.0}) == float("inf")
    assert np.isfinite(objective({"lr": 0.5, "weight_decay": 1e-4}))


def test_train_epochs_saves_restorable_weights(digits):
    model = mx.make_mlp(True, seed=0)
    out = mx.train_epochs(model, digits.X_train[:120], digits.y_train[:120],
                          digits.X_test[:100], digits.y_test[:100], epochs=3, lr=0.5,
                          progress=False)
    assert len(out["val_loss"]) == len(out["states"]) == 3
    model.load_state_dict(out["states"][1])
    assert mx.evaluate(model, digits.X_test[:100], digits.y_test[:100])[1] == pytest.approx(
        out["val_loss"][1], rel=1e-6)
