"""The paper's MNIST network and its training loop (notebook 08).

``make_mlp`` builds the network of Ioffe & Szegedy (2015), Section 4.1, with or without
batch normalization; ``train`` and ``train_epochs`` run mini-batch SGD on it, reproducibly
(weights from ``torch.manual_seed(seed)``, mini-batch order from a seeded
``torch.Generator``), recording what the figures plot.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["configure_torch", "make_mlp", "sigmoid_inputs", "evaluate", "TrainLog", "train",
           "train_epochs"]


def configure_torch(threads: int = 1) -> None:
    """Few threads (tiny matrices gain nothing from more on a shared machine), and flush
    denormal numbers to zero: the vanishing gradients of a saturated sigmoid network are
    otherwise computed in slow subnormal arithmetic."""
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)


def _tensor(a, dtype=torch.float32):
    if isinstance(a, torch.Tensor):
        return a
    return torch.as_tensor(np.asarray(a)).to(dtype)


def make_mlp(use_bn: bool, *, n_in: int = 784, hidden: Sequence[int] = (100, 100, 100),
             n_out: int = 10, init_std: float | str | None = 0.05,
             seed: int = 0) -> nn.Sequential:
    """The paper's MNIST network: ``Linear -> [BatchNorm1d] -> Sigmoid`` per hidden layer,
    then a ``Linear`` to the 10 classes (softmax is inside the cross-entropy loss).

    Weights start as ``N(0, init_std**2)``, biases at 0. ``init_std="fan_in"`` uses the
    standard scale ``1 / sqrt(fan_in)`` of each layer instead, and ``None`` keeps PyTorch's
    default initialization. With BN the hidden layers' Linear has no bias: BN
    subtracts the batch mean, so a bias would be cancelled (beta replaces it).
    """
    torch.manual_seed(seed)
    layers, fan_in = [], n_in
    for width in hidden:
        linear = nn.Linear(fan_in, width, bias=not use_bn)
        layers.append(linear)
        if use_bn:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.Sigmoid())
        fan_in = width
    layers.append(nn.Linear(fan_in, n_out))
    for layer in layers:
        if isinstance(layer, nn.Linear) and init_std is not None:
            std = layer.in_features ** -0.5 if init_std == "fan_in" else float(init_std)
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


def sigmoid_inputs(model: nn.Module, X, layer: int = -1) -> torch.Tensor:
    """What enters the ``layer``-th ``nn.Sigmoid`` of ``model`` when it is fed X, shape (N, width).

    For the BN network that is BN's output ``gamma * x_hat + beta``; for the plain one
    ``W u + b``. The model runs in whatever mode it is in (use ``model.eval()`` for the
    test-time distribution) and without gradients.
    """
    sigmoids = [m for m in model.modules() if isinstance(m, nn.Sigmoid)]
    if not sigmoids:
        raise ValueError("the model has no nn.Sigmoid")
    captured = {}
    handle = sigmoids[layer].register_forward_hook(
        lambda module, inputs, output: captured.__setitem__("z", inputs[0].detach()))
    try:
        with torch.no_grad():
            model(_tensor(X))
    finally:
        handle.remove()
    return captured["z"]


def evaluate(model: nn.Module, X, y) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of the model in eval mode; its mode is restored after."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(_tensor(X))
        y = _tensor(y, torch.int64)
        loss = F.cross_entropy(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
    model.train(was_training)
    return acc, loss


@dataclass
class TrainLog:
    """What ``train`` records. ``percentiles[k]`` are the 15th/50th/85th percentiles of the
    watched sigmoid input over the evaluation set at step ``steps[k]``."""

    steps: list = field(default_factory=list)
    eval_acc: list = field(default_factory=list)
    eval_loss: list = field(default_factory=list)
    percentiles: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)

    def __repr__(self) -> str:
        last = f", final eval accuracy {self.eval_acc[-1]:.4f}" if self.eval_acc else ""
        return f"TrainLog({len(self.train_loss)} steps{last})"


def _batches(n: int, batch_size: int, generator: torch.Generator):
    """Endless mini-batch indices: a fresh shuffle each epoch, the ragged tail dropped."""
    while True:
        perm = torch.randperm(n, generator=generator)
        for start in range(0, n - batch_size + 1, batch_size):
            yield perm[start:start + batch_size]


def _progress(total: int, desc: str, show: bool):
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def train(model: nn.Module, X, y, *, steps: int, lr: float, batch_size: int = 60,
          weight_decay: float = 0.0, lr_schedule: Callable[[int], float] | None = None,
          eval_data=None, eval_every: int = 100, watch_unit: int | None = None,
          seed: int = 0, progress: bool = True, desc: str = "training") -> TrainLog:
    """Plain SGD on the cross-entropy for ``steps`` mini-batches.

    Every ``eval_every`` steps (and after the last step), if ``eval_data = (X_eval, y_eval)`` is
    given, records accuracy and loss on it in eval mode and, if ``watch_unit`` is an
    index, the 15/50/85th percentiles of that unit's last-hidden-layer sigmoid input.
    ``lr_schedule(t)``, if given, sets the learning rate of step t (lr is then unused).
    (Nothing is recorded before the first step: a BN network's running statistics are
    still at their initial values then, so its eval-mode outputs mean nothing yet.)
    A loss that becomes NaN or inf ends the run early (the log says where).
    """
    X, y = _tensor(X), _tensor(y, torch.int64)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    batches = _batches(len(X), batch_size, torch.Generator().manual_seed(seed))
    log = TrainLog()
    bar = _progress(steps, desc, progress)

    if eval_data is not None:
        X_eval, y_eval = _tensor(eval_data[0]), _tensor(eval_data[1], torch.int64)
        last_sigmoid = [m for m in model.modules() if isinstance(m, nn.Sigmoid)][-1]

    def record(step):
        """One eval-mode pass over the evaluation set: accuracy, loss, watched percentiles."""
        if eval_data is None:
            return
        captured = {}
        hook = last_sigmoid.register_forward_hook(
            lambda module, inputs, output: captured.__setitem__("z", inputs[0]))
        model.eval()
        with torch.no_grad():
            logits = model(X_eval)
        model.train()
        hook.remove()
        log.steps.append(step)
        log.eval_acc.append((logits.argmax(1) == y_eval).float().mean().item())
        log.eval_loss.append(F.cross_entropy(logits, y_eval).item())
        if watch_unit is not None:
            z = captured["z"][:, watch_unit].numpy()
            log.percentiles.append(np.percentile(z, [15, 50, 85]))

    model.train()
    for t in range(steps):
        if lr_schedule is not None:
            for group in opt.param_groups:
                group["lr"] = lr_schedule(t)
        idx = next(batches)
        loss = F.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        log.train_loss.append(loss.item())
        if not np.isfinite(log.train_loss[-1]):
            break
        if (t + 1) % eval_every == 0:
            record(t + 1)
        if bar is not None:
            bar.update(1)
    if eval_data is not None and (not log.steps or log.steps[-1] != len(log.train_loss)):
        record(len(log.train_loss))
    if bar is not None:
        bar.close()
    log.percentiles = np.array(log.percentiles).reshape(-1, 3)
    return log


def train_epochs(model: nn.Module, X, y, X_val, y_val, *, epochs: int, lr: float,
                 batch_size: int = 60, seed: int = 0, progress: bool = True,
                 desc: str = "epochs") -> dict:
    """Train epoch by epoch, recording the training and validation loss after each epoch
    and a copy of the weights (``states[e]``), so that any epoch can be restored later."""
    X, y = _tensor(X), _tensor(y, torch.int64)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    out = {"train_loss": [], "val_loss": [], "val_acc": [], "states": []}
    bar = _progress(epochs, desc, progress)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(X), generator=gen)
        for start in range(0, len(X) - batch_size + 1, batch_size):
            idx = perm[start:start + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        out["train_loss"].append(evaluate(model, X, y)[1])
        acc, loss = evaluate(model, X_val, y_val)
        out["val_loss"].append(loss)
        out["val_acc"].append(acc)
        out["states"].append(copy.deepcopy(model.state_dict()))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return out
