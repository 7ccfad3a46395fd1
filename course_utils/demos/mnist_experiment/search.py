"""The learning-rate sweep and the search figures of notebook 08 (Bergstra & Bengio, 2012).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .training import _progress, evaluate, make_mlp, train

__all__ = ["search_objective", "Tracked", "lr_sweep", "plot_lr_sweep", "plot_bergstra_bengio",
           "plot_search"]


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
