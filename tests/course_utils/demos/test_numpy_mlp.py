"""Is the numpy MLP of notebook 05 right: its gradients autograd's, its training real?"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.demos import numpy_mlp as nm
from course_utils import reference as ref

pytestmark = pytest.mark.nb05


def _torch_twin(model):
    """The same network in torch, with the same weights (and BatchNorm1d where model has one)."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, nm.Linear):
            lin = torch.nn.Linear(*layer.W.shape, bias=layer.b is not None, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(layer.W.T))
                if layer.b is not None:
                    lin.bias.copy_(torch.from_numpy(layer.b))
            layers.append(lin)
        elif isinstance(layer, nm.ReLU):
            layers.append(torch.nn.ReLU())
        else:
            bn = torch.nn.BatchNorm1d(len(layer.layer.gamma), dtype=torch.float64)
            with torch.no_grad():
                bn.weight.copy_(torch.from_numpy(layer.layer.gamma))
                bn.bias.copy_(torch.from_numpy(layer.layer.beta))
            layers.append(bn)
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("norm", [None, ref.BatchNorm1d])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_gradients_agree_with_autograd(norm, mode):
    """After one forward and backward, is every parameter's gradient torch autograd's?"""
    rng = np.random.default_rng(0)
    model = nm.MLP((7, 6, 5, 4), norm=norm, weight_scale=0.7, seed=1)
    twin = _torch_twin(model)
    for layer in model.norms():      # give the batch norms non-trivial parameters and buffers
        layer.parameters()["gamma"][...] = rng.uniform(0.5, 2, layer.num_features)
        layer.parameters()["beta"][...] = rng.normal(size=layer.num_features)
        layer.forward(rng.normal(size=(9, layer.num_features)))
    for ours, theirs in zip(model.norms(), [m for m in twin if isinstance(m, torch.nn.BatchNorm1d)]):
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(ours.gamma))
            theirs.bias.copy_(torch.from_numpy(ours.beta))
            theirs.running_mean.copy_(torch.from_numpy(ours.running_mean))
            theirs.running_var.copy_(torch.from_numpy(ours.running_var))
    getattr(model, mode)()
    twin.train(mode == "train")
    X, y = rng.normal(size=(10, 7)), rng.integers(0, 4, size=10)
    loss, dlogits = nm.softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    tloss = F.cross_entropy(twin(torch.from_numpy(X)), torch.from_numpy(y))
    tloss.backward()
    assert loss == pytest.approx(tloss.item(), rel=1e-12)
    ours = [g for _, g in model.params_and_grads()]
    theirs = []
    for module in twin:
        if isinstance(module, torch.nn.Linear):
            theirs.append(module.weight.grad.numpy().T)
            if module.bias is not None:
                theirs.append(module.bias.grad.numpy())
        elif isinstance(module, torch.nn.BatchNorm1d):
            theirs += [module.weight.grad.numpy(), module.bias.grad.numpy()]
    assert len(ours) == len(theirs)
    for got, expected in zip(ours, theirs):
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12)


def test_softmax_cross_entropy_matches_finite_differences_and_survives_huge_logits():
    """Is dlogits the finite-difference gradient, and are logits of 1e4 handled without inf?"""
    rng = np.random.default_rng(2)
    logits, y = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    _, grad = nm.softmax_cross_entropy(logits, y)
    h = 1e-6
    numeric = np.zeros_like(logits)
    for i in np.ndindex(logits.shape):
        plus, minus = logits.copy(), logits.copy()
        plus[i] += h
        minus[i] -= h
        numeric[i] = (nm.softmax_cross_entropy(plus, y)[0]
                      - nm.softmax_cross_entropy(minus, y)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    loss, grad = nm.softmax_cross_entropy(np.array([[1e4, 0.0, -1e4]]), np.array([1]))
    assert loss == pytest.approx(1e4) and np.isfinite(grad).all()


def test_fit_trains_the_batch_norm_parameters_in_place():
    """Does SGD lower the loss on the digits and move gamma and beta of the reference layer?"""
    from course_utils.demos.data import load_digits

    digits = load_digits("sklearn", seed=0, dtype=np.float64)
    model = nm.MLP((64, 32, 10), norm=ref.BatchNorm1d, seed=0)
    run = nm.fit(model, digits.X_train, digits.y_train, epochs=3, batch_size=64, lr=0.1)
    assert not run.diverged and run.losses[-1] < run.losses[0]
    gamma = model.norms()[0].gamma
    assert not np.allclose(gamma, 1.0)
    assert nm.accuracy(model, digits.X_test, digits.y_test) > 0.8


def test_a_diverging_run_stops_and_says_so_without_warnings():
    """Does a far too large step end the run with diverged=True, and nothing on stderr?"""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(64, 8)), rng.integers(0, 3, size=64)
    model = nm.MLP((8, 16, 3), weight_scale=10.0, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = nm.fit(model, X, y, epochs=50, batch_size=16, lr=1e6)
        nm.accuracy(model, X, y)
    assert run.diverged and np.isnan(run.losses[-1])
