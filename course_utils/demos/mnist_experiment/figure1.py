"""Figure 1 of Ioffe & Szegedy (2015), replicated at a small scale (notebook 08).
"""

from __future__ import annotations

import numpy as np

from .training import TrainLog, make_mlp, train

__all__ = ["replicate_figure1", "figure1_summary", "plot_figure1"]

#: The settings of our scaled-down replication (see notebook 08 for how they differ from
#: the paper's 50,000 steps on 60,000 images).
FIGURE1 = {"steps": 4000, "lr": 1.0, "batch_size": 60, "init_std": 0.05, "eval_every": 100,
           "watch_unit": 0, "seed": 0}


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
