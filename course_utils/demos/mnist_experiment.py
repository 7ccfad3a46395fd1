"""Notebook 08's demonstrations: the paper's MNIST network, a small training loop, plots.

Ioffe & Szegedy (2015), Section 4.1: a network with three fully connected hidden layers
of 100 sigmoid units, small Gaussian initial weights, mini-batches of 60, trained with
and without batch normalization on every hidden layer (BN before the sigmoid, with the
layer's bias dropped because BN's beta takes its place, Section 3.2). Figure 1 plots (a)
test accuracy over training and (b, c) the 15th, 50th and 85th percentiles of the input
of one sigmoid of the last hidden layer.

Everything here is plain PyTorch on the CPU, sized to run in seconds. Runs are
reproducible: the weights come from ``torch.manual_seed(seed)`` and the order of the
mini-batches from a ``torch.Generator`` seeded with the same seed.
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
           "train_epochs", "replicate_figure1", "figure1_summary", "plot_figure1",
           "search_objective", "Tracked", "lr_sweep", "plot_lr_sweep",
           "plot_bergstra_bengio", "plot_search"]

#: The settings of our scaled-down replication (see notebook 08 for how they differ from
#: the paper's 50,000 steps on 60,000 images).
FIGURE1 = {"steps": 4000, "lr": 1.0, "batch_size": 60, "init_std": 0.05, "eval_every": 100,
           "watch_unit": 0, "seed": 0}


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


# ---------------------------------------------------------------------------------------
# Figure 1 of the paper
# ---------------------------------------------------------------------------------------


def replicate_figure1(data, *, progress: bool = True, **overrides) -> dict:
    """Train the plain and the BN network with the same seed, data and learning rate.

    ``data`` is a ``course_utils.demos.data.Digits`` (MNIST); test accuracy and the watched
    sigmoid's percentiles are recorded on its test set, as in the paper's Figure 1.
    Returns ``{"plain": TrainLog, "bn": TrainLog, "settings": dict}``.
    """
    settings = {**FIGURE1, **overrides}
    logs = {"settings": settings}
    for name, use_bn in (("plain", False), ("bn", True)):
        model = make_mlp(use_bn, init_std=settings["init_std"], seed=settings["seed"])
        logs[name] = train(model, data.X_train, data.y_train, steps=settings["steps"],
                           lr=settings["lr"], batch_size=settings["batch_size"],
                           eval_data=(data.X_test, data.y_test),
                           eval_every=settings["eval_every"], watch_unit=settings["watch_unit"],
                           seed=settings["seed"], progress=progress,
                           desc="with BN" if use_bn else "without BN")
        logs[name + "_model"] = model
    return logs


def _first_step_at(log: TrainLog, level: float):
    for step, acc in zip(log.steps, log.eval_acc):
        if acc >= level:
            return step
    return None


def figure1_summary(logs: dict, level: float = 0.9) -> dict:
    """The numbers behind the figure, computed from the run (never typed in by hand).

    For each network: the final test accuracy; the first step at which test accuracy
    reached ``level`` (None if never); and how far the watched sigmoid input moved over
    training: for each of its 15th, 50th and 85th percentiles the range (largest minus
    smallest value over all evaluations), of which ``movement`` is the largest.
    """
    out = {}
    for name in ("plain", "bn"):
        log = logs[name]
        p = np.asarray(log.percentiles)
        ranges = p.max(axis=0) - p.min(axis=0)
        out[name] = {
            "final_acc": float(log.eval_acc[-1]),
            "first_step_at_level": _first_step_at(log, level),
            "percentile_ranges": ranges,
            "movement": float(ranges.max()),
            "start": p[0], "end": p[-1],
        }
    out["level"] = level
    return out


def plot_figure1(logs: dict):
    """Three panels like the paper's Figure 1: (a) test accuracy of both networks over
    training, (b) and (c) the 15/50/85th percentiles of one last-hidden-layer sigmoid input
    without and with BN, on a shared y axis."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    ax = axes[0]
    for name, label, color in (("plain", "without BN", "C0"), ("bn", "with BN", "C3")):
        ax.plot(logs[name].steps, logs[name].eval_acc, color=color, label=label)
    ax.set_xlabel("training step")
    ax.set_ylabel("test accuracy")
    ax.set_title("(a) test accuracy")
    lows = [min(logs[n].eval_acc) for n in ("plain", "bn")]
    ax.set_ylim(max(0.0, min(lows) - 0.02), 1.0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ylim = [min(np.min(logs[n].percentiles) for n in ("plain", "bn")),
            max(np.max(logs[n].percentiles) for n in ("plain", "bn"))]
    pad = 0.05 * (ylim[1] - ylim[0])
    for ax, name, title in ((axes[1], "plain", "(b) without BN"),
                            (axes[2], "bn", "(c) with BN")):
        p = np.asarray(logs[name].percentiles)
        for k, (q, style) in enumerate(((15, ":"), (50, "-"), (85, "--"))):
            ax.plot(logs[name].steps, p[:, k], "k" + style, label=f"{q}th percentile")
        ax.fill_between(logs[name].steps, p[:, 0], p[:, 2], color="0.85")
        ax.set_ylim(ylim[0] - pad, ylim[1] + pad)
        ax.set_xlabel("training step")
        ax.set_ylabel("sigmoid input")
        ax.set_title(f"{title}: one last-layer sigmoid input")
        ax.grid(alpha=0.3)
    axes[1].legend(loc="upper right", fontsize=9)   # the same line styles in (c)
    unit = logs["settings"]["watch_unit"]
    fig.suptitle("Replication of Ioffe & Szegedy (2015), Figure 1, on 4,000 MNIST training "
                 f"images (percentiles of unit {unit} of the third hidden layer over the test set)",
                 fontsize=11)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------
# Search and sweep helpers
# ---------------------------------------------------------------------------------------


def search_objective(X_train, y_train, X_val, y_val, *, steps: int = 250,
                     use_bn: bool = True, seed: int = 0) -> Callable[[dict], float]:
    """``objective(params) -> float``: train a fresh network for ``steps`` SGD steps with
    ``params["lr"]`` and ``params["weight_decay"]`` and return its validation cross-entropy
    (lower is better). A run that blows up scores ``inf``. The test set is never touched."""
    def objective(params: dict) -> float:
        model = make_mlp(use_bn, seed=seed)
        log = train(model, X_train, y_train, steps=steps, lr=float(params["lr"]),
                    weight_decay=float(params.get("weight_decay", 0.0)), seed=seed,
                    progress=False)
        if not np.isfinite(log.train_loss[-1]):
            return float("inf")
        loss = evaluate(model, X_val, y_val)[1]
        return loss if np.isfinite(loss) else float("inf")
    return objective


class Tracked:
    """Wrap an objective: one progress bar for a whole search, and a record of every call
    (``self.history``: a list of ``{"params", "score"}`` in the order they were tried)."""

    def __init__(self, objective: Callable[[dict], float], total: int, desc: str = "search",
                 progress: bool = True):
        self.objective = objective
        self.history: list[dict] = []
        self.bar = _progress(total, desc, progress)

    def __call__(self, params: dict) -> float:
        score = self.objective(params)
        self.history.append({"params": dict(params), "score": score})
        if self.bar is not None:
            self.bar.update(1)
        return score

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def lr_sweep(X_train, y_train, X_val, y_val, lrs: Sequence[float], *, steps: int = 400,
             init_std: float | str | None = "fan_in", seed: int = 0,
             progress: bool = True) -> dict:
    """Train both networks at every learning rate; return validation accuracy and loss
    (``{"plain": {"acc": [...], "loss": [...], "train_loss": [...]}, "bn": ..., "lrs": lrs}``).

    Both start from the standard ``1 / sqrt(fan_in)`` initial scale by default, so that the
    sweep is about the learning rate, not about tiny initial weights."""
    out = {"lrs": list(lrs)}
    bar = _progress(2 * len(lrs), "learning-rate sweep", progress)
    for name, use_bn in (("plain", False), ("bn", True)):
        res = {"acc": [], "loss": [], "train_loss": []}
        for lr in lrs:
            model = make_mlp(use_bn, init_std=init_std, seed=seed)
            log = train(model, X_train, y_train, steps=steps, lr=lr, seed=seed, progress=False)
            acc, loss = evaluate(model, X_val, y_val)
            res["acc"].append(acc)
            res["loss"].append(loss if np.isfinite(loss) else float("inf"))
            res["train_loss"].append(log.train_loss)
            if bar is not None:
                bar.update(1)
        out[name] = res
    if bar is not None:
        bar.close()
    return out


def plot_lr_sweep(sweep: dict, show_lrs: Sequence[float] = ()):
    """(left) validation accuracy against the learning rate for both networks;
    (right) the training loss of a few runs, smoothed over 25 steps."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.3))
    ax = axes[0]
    for name, label, color in (("plain", "without BN", "C0"), ("bn", "with BN", "C3")):
        ax.plot(sweep["lrs"], sweep[name]["acc"], "o-", color=color, label=label)
    ax.axhline(0.1, color="0.5", lw=1, ls=":", label="chance (10 classes)")
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("validation accuracy")
    ax.set_title("after the same number of SGD steps")
    ax.grid(alpha=0.3)
    ax.legend()
    ax = axes[1]
    kernel = np.ones(25) / 25
    for k, lr in enumerate(show_lrs):
        i = sweep["lrs"].index(lr)
        for name, style, label in (("plain", "--", "without BN"), ("bn", "-", "with BN")):
            curve = np.asarray(sweep[name]["train_loss"][i], dtype=float)
            curve = np.clip(np.nan_to_num(curve, nan=1e3, posinf=1e3), 0, 1e3)
            smooth = np.convolve(curve, kernel, mode="valid")
            ax.plot(np.arange(len(smooth)) + 25, smooth, style, color=f"C{k}",
                    label=f"lr {lr:g}, {label}")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss (smoothed, log scale)")
    ax.set_title("training loss at a few learning rates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def plot_bergstra_bengio(g: Callable, h: Callable, layouts: dict):
    """Bergstra & Bengio (2012), Figure 1: the same nine-trial budget laid out as a grid and
    at random over a square where f(x, y) = g(x) + h(y) and only x matters much.

    ``layouts`` maps a title to an array of shape (n, 2) of points in [0, 1]^2. Above each
    square, g(x) with the x of every trial marked; left of it, h(y) with every y marked.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(5.6 * len(layouts), 5.6))
    outer = fig.add_gridspec(1, len(layouts), wspace=0.3)
    grid = np.linspace(0, 1, 400)
    top = max(np.max(g(grid)), np.max(h(grid)))
    for k, (title, pts) in enumerate(layouts.items()):
        inner = outer[k].subgridspec(2, 2, width_ratios=[1, 4], height_ratios=[1, 4],
                                     wspace=0.12, hspace=0.05)
        main = fig.add_subplot(inner[1, 1])
        above = fig.add_subplot(inner[0, 1], sharex=main)
        left = fig.add_subplot(inner[1, 0], sharey=main)
        xx, yy = np.meshgrid(grid, grid)
        main.contourf(xx, yy, g(xx) + h(yy), levels=20, cmap="Greens", alpha=0.6)
        main.scatter(pts[:, 0], pts[:, 1], s=60, color="k", zorder=3)
        main.set_xlim(0, 1)
        main.set_ylim(0, 1)
        main.set_xlabel("important parameter x")
        main.tick_params(labelleft=False)
        above.plot(grid, g(grid), color="green")
        above.vlines(pts[:, 0], 0, g(pts[:, 0]), color="k", lw=1)
        above.plot(pts[:, 0], g(pts[:, 0]), "ko", ms=4)
        above.set_ylim(0, top * 1.1)
        above.set_title(f"{title}: {len(np.unique(np.round(pts[:, 0], 9)))} distinct x values")
        above.tick_params(labelbottom=False)
        above.set_ylabel("g(x)")
        left.plot(h(grid), grid, color="goldenrod")
        left.hlines(pts[:, 1], 0, h(pts[:, 1]), color="k", lw=1)
        left.set_xlim(top * 1.1, -0.05 * top)
        left.set_xticks([0.0, round(top, 1)])
        left.set_ylabel("unimportant parameter y")
        left.set_xlabel("h(y)")
    fig.suptitle("The same budget of 9 trials, f(x, y) = g(x) + h(y) "
                 "(after Bergstra & Bengio 2012, Figure 1)", fontsize=12)
    return fig


def plot_search(searches: dict, space: dict, box: dict | None = None, score_cap: float = 2.5):
    """(left) every trial of each search in the (lr, weight_decay) plane, log axes, colour =
    validation loss; (right) validation loss against the learning rate alone, the view in
    which a grid shows how few distinct values of the important parameter it tried.

    ``searches`` maps a label to a list of ``{"params", "score"}``; ``box``, if given, is a
    narrowed space drawn as a rectangle.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    markers = ["s", "o", "^", "D"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    scores = [min(r["score"], score_cap) for res in searches.values() for r in res]
    vmin, vmax = min(scores), max(scores)
    for k, (label, results) in enumerate(searches.items()):
        lr = np.array([r["params"]["lr"] for r in results])
        wd = np.array([r["params"]["weight_decay"] for r in results])
        sc = np.minimum([r["score"] for r in results], score_cap)
        points = axes[0].scatter(lr, wd, c=sc, cmap="viridis_r", vmin=vmin, vmax=vmax, s=70,
                                 marker=markers[k % 4], edgecolor="k", label=label)
        order = np.argsort(lr)
        axes[1].plot(lr[order], sc[order], marker=markers[k % 4], ls="", ms=8, label=label,
                     alpha=0.8)
    if box is not None:
        (l0, l1, _), (w0, w1, _) = box["lr"], box["weight_decay"]
        axes[0].add_patch(Rectangle((l0, w0), l1 - l0, w1 - w0, fill=False, ec="C3", lw=2,
                                    ls="--", label="narrowed space"))
    def padded(low, high):   # a little room, so trials on the edge of the range show whole
        return low / 1.6, high * 1.6

    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlim(*padded(*space["lr"][:2]))
        ax.set_xlabel("learning rate (log scale)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    axes[0].set_yscale("log")
    axes[0].set_ylim(*padded(*space["weight_decay"][:2]))
    axes[0].set_ylabel("weight decay (log scale)")
    axes[0].set_title("trials in the search space")
    fig.colorbar(points, ax=axes[0], label="validation loss (lower is better)")
    axes[1].set_ylabel("validation loss")
    axes[1].set_title("the same trials against the learning rate alone")
    fig.tight_layout()
    return fig
