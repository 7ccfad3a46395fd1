"""A small multilayer perceptron in numpy, for training a batch norm layer you wrote (notebook 05).

The network is ``Linear -> [norm] -> ReLU``, repeated, then ``Linear -> softmax
cross-entropy``, trained with plain SGD. Each layer's ``forward`` sits beside its
``backward``; the gradients are checked against torch autograd in
``tests/course_utils/demos/test_numpy_mlp.py``.

The normalization layer is whatever the caller passes: the student's ``BatchNorm1d``, the
course's reference, or nothing. It needs the interface of notebook 05's ``BatchNorm1d``:

- ``forward(x)`` for ``x`` of shape (N, D), returning (N, D);
- ``backward(dout) -> (dx, dgamma, dbeta)``, the gradients of the last forward;
- ``parameters() -> {"gamma": ..., "beta": ...}``, the layer's own arrays (SGD updates them
  in place, so a layer that returns copies never learns its gamma and beta);
- ``train()`` and ``eval()``.

Nothing here is graded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Linear", "ReLU", "Normalization", "softmax_cross_entropy", "MLP", "sgd_step",
           "fit", "accuracy", "TrainingRun"]


class Linear:
    """``out = x @ W + b``: x (N, D_in), W (D_in, D_out), b (D_out,) or no bias.

    Weights are drawn from N(0, weight_scale^2); the bias starts at 0.
    """

    def __init__(self, d_in, d_out, weight_scale, rng, bias=True):
        self.W = weight_scale * rng.standard_normal((d_in, d_out))
        self.b = np.zeros(d_out) if bias else None

    def forward(self, x):
        self.x = x
        out = x @ self.W
        return out if self.b is None else out + self.b

    def backward(self, dout):
        """dout (N, D_out) -> dx (N, D_in); keeps dW (D_in, D_out) and db (D_out,)."""
        self.dW = self.x.T @ dout
        self.db = None if self.b is None else dout.sum(axis=0)
        return dout @ self.W.T

    def params_and_grads(self):
        pairs = [(self.W, self.dW)]
        return pairs if self.b is None else pairs + [(self.b, self.db)]


class ReLU:
    """``out = max(x, 0)``; the gradient passes where x > 0."""

    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask

    def params_and_grads(self):
        return []


class Normalization:
    """Wraps a layer with BatchNorm1d's interface; keeps the dgamma and dbeta it returns."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, x):
        return np.asarray(self.layer.forward(x), dtype=np.float64)

    def backward(self, dout):
        dx, self.dgamma, self.dbeta = self.layer.backward(dout)
        return np.asarray(dx, dtype=np.float64)

    def params_and_grads(self):
        params = self.layer.parameters()
        return [(params["gamma"], np.asarray(self.dgamma)),
                (params["beta"], np.asarray(self.dbeta))]


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    y : ndarray of shape (N,), integers in [0, C)

    Returns
    -------
    loss : float
        ``mean(-log softmax(logits)[i, y_i])``, computed with the largest logit subtracted
        first, so large logits do not overflow.
    dlogits : ndarray of shape (N, C)
        ``(softmax(logits) - onehot(y)) / N``.
    """
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dlogits = np.exp(log_p)
    dlogits[np.arange(n), y] -= 1
    return float(loss), dlogits / n


class MLP:
    """``sizes[0] -> sizes[1] -> ... -> sizes[-1]``: Linear, [norm], ReLU per hidden layer.

    Parameters
    ----------
    sizes : sequence of int
        Input size, hidden sizes, number of classes, e.g. (64, 64, 64, 10).
    norm : None or callable
        ``norm(d)`` builds the normalization layer for d features (e.g. a BatchNorm1d class).
        With a norm the hidden Linear layers have no bias: beta does its job.
    weight_scale : float or None
        Standard deviation of every weight (CS231n's experiment). None: He's
        ``sqrt(2 / fan_in)``, the usual choice for ReLU networks.
    seed : int
        The weights' seed: the same seed gives the same weights with and without norm.
    """

    def __init__(self, sizes, norm=None, weight_scale=None, seed=0):
        rng = np.random.default_rng(seed)
        self.layers = []
        pairs = list(zip(sizes[:-1], sizes[1:]))
        for i, (d_in, d_out) in enumerate(pairs):
            hidden = i < len(pairs) - 1
            scale = np.sqrt(2 / d_in) if weight_scale is None else weight_scale
            self.layers.append(Linear(d_in, d_out, scale, rng,
                                      bias=not (hidden and norm is not None)))
            if hidden:
                if norm is not None:
                    self.layers.append(Normalization(norm(d_out)))
                self.layers.append(ReLU())

    def forward(self, x):
        """x (N, sizes[0]) -> logits (N, sizes[-1])."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dlogits):
        """Back-propagate dL/dlogits through every layer; each keeps its own gradients."""
        for layer in reversed(self.layers):
            dlogits = layer.backward(dlogits)
        return dlogits

    def params_and_grads(self):
        return [pair for layer in self.layers for pair in layer.params_and_grads()]

    def norms(self):
        return [layer.layer for layer in self.layers if isinstance(layer, Normalization)]

    def train(self):
        for layer in self.norms():
            layer.train()
        return self

    def eval(self):
        for layer in self.norms():
            layer.eval()
        return self


def sgd_step(params_and_grads, lr):
    """Plain SGD, in place: ``p -= lr * grad`` for every (parameter, gradient) pair."""
    for p, g in params_and_grads:
        p -= lr * g


def accuracy(model, X, y):
    """Share of correct predictions, in eval mode (the model is left in eval mode)."""
    model.eval()
    with np.errstate(all="ignore"):
        logits = model.forward(np.asarray(X, dtype=np.float64))
    return float((logits.argmax(axis=1) == y).mean())


@dataclass
class TrainingRun:
    """What :func:`fit` reports: the mean training loss of each epoch, and whether it blew up."""

    losses: list = field(default_factory=list)
    diverged: bool = False


def fit(model, X, y, epochs=10, batch_size=64, lr=0.1, seed=0):
    """Train ``model`` with SGD on softmax cross-entropy, in training mode.

    Each epoch visits the examples in a new random order, in full batches only (a last
    batch of one example would give batch norm no variance). Training stops early, with
    ``diverged=True``, as soon as the loss is not finite: the weights have overflowed.

    Parameters
    ----------
    model : MLP
    X : ndarray of shape (N, D);  y : ndarray of shape (N,), integer labels
    epochs, batch_size : int
    lr : float, the SGD step size
    seed : int, the seed of the shuffling

    Returns
    -------
    TrainingRun
    """
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=np.float64)
    run = TrainingRun()
    model.train()
    with np.errstate(all="ignore"):   # a diverging run overflows: it is reported, not warned
        for _ in range(epochs):
            order = rng.permutation(len(X))
            total = 0.0
            steps = 0
            for start in range(0, len(X) - batch_size + 1, batch_size):
                idx = order[start:start + batch_size]
                loss, dlogits = softmax_cross_entropy(model.forward(X[idx]), y[idx])
                if not np.isfinite(loss):
                    run.diverged = True
                    run.losses.append(float("nan"))
                    return run
                model.backward(dlogits)
                sgd_step(model.params_and_grads(), lr)
                total += loss
                steps += 1
            run.losses.append(total / steps)
    return run
