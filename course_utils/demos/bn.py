"""Demo helpers for notebooks 04 and 05: the computational graph figure and a small trainer.

Nothing here is graded. ``draw_bn_graph`` draws the forward graph of batch normalization
(notebook 04); ``train_classifier`` trains a small torch model on the digits with a progress
bar (notebook 05).
"""

from __future__ import annotations

import numpy as np

__all__ = ["draw_bn_graph", "train_classifier", "accuracy"]

#: (name, label, x, y) of each node of the forward graph, per feature.
_NODES = [
    ("x", "$x_i$\ninput", 0.0, 1.0),
    ("mu", "$\\mu = \\frac{1}{m}\\sum_i x_i$", 2.1, 2.8),
    ("xmu", "xmu$_i = x_i - \\mu$", 3.9, 1.0),
    ("sq", "sq$_i$ = xmu$_i^2$", 5.6, 2.8),
    ("var", "$\\sigma^2 = \\frac{1}{m}\\sum_i$ sq$_i$", 8.2, 2.8),
    ("std", "std $= \\sqrt{\\sigma^2 + \\epsilon}$", 10.8, 2.8),
    ("istd", "istd = 1 / std", 13.4, 2.8),
    ("xhat", "$\\hat{x}_i$ = xmu$_i \\cdot$ istd", 13.4, 1.0),
    ("gamma", "$\\gamma$", 13.4, -0.8),
    ("out", "out$_i = \\gamma \\hat{x}_i + \\beta$", 16.3, 1.0),
    ("beta", "$\\beta$", 16.3, -0.8),
]

#: edges (from, to, step of the backward pass that sends the gradient back along the edge)
_EDGES = [
    ("xhat", "out", 1), ("gamma", "out", 1), ("beta", "out", 1), ("istd", "xhat", 2),
    ("xmu", "xhat", 2), ("std", "istd", 3), ("var", "std", 4), ("sq", "var", 5),
    ("xmu", "sq", 6), ("x", "xmu", 7), ("mu", "xmu", 7), ("x", "mu", 8),
]


def draw_bn_graph(ax=None, show_steps=True):
    """Draw batch norm's forward graph for one feature; edges numbered in backward order.

    Blue boxes hold one value per example (shape (N,) per feature), orange boxes one value
    per feature, green boxes the learned parameters. A number on an edge says at which step
    of the backward pass the gradient travels back along it.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(16, 5.0))
    colours = {"x": "#cfe2f3", "xmu": "#cfe2f3", "sq": "#cfe2f3", "xhat": "#cfe2f3",
               "out": "#cfe2f3", "mu": "#fce5cd", "var": "#fce5cd", "std": "#fce5cd",
               "istd": "#fce5cd", "gamma": "#d9ead3", "beta": "#d9ead3"}
    pos = {}
    w, h = 1.8, 0.75
    for name, label, x, y in _NODES:
        pos[name] = (x, y)
        box = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                             facecolor=colours[name], edgecolor="0.3", linewidth=1.2)
        ax.add_patch(box)
        ax.text(x, y, label, ha="center", va="center", fontsize=10.5)
    for a, b, step in _EDGES:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        # leave and enter each box on its border
        dx, dy = x1 - x0, y1 - y0
        scale = min(abs((w / 2 + 0.08) / dx) if dx else np.inf,
                    abs((h / 2 + 0.08) / dy) if dy else np.inf)
        start = (x0 + dx * scale, y0 + dy * scale)
        end = (x1 - dx * scale, y1 - dy * scale)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14,
                                     color="0.25", linewidth=1.2))
        if show_steps:
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            ax.text(mx, my, str(step), fontsize=9, color="white", ha="center", va="center",
                    bbox=dict(boxstyle="circle,pad=0.2", facecolor="#cc0000", edgecolor="none"))
    ax.set_xlim(-1.1, 17.4)
    ax.set_ylim(-1.4, 3.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("Batch norm's forward graph for one feature (arrows: forward; red numbers: "
                 "order of the backward steps)\nblue: one value per example, orange: one per "
                 "feature (broadcast to all m examples), green: learned parameters",
                 fontsize=10.5)
    return ax


def accuracy(model, X, y):
    """Classification accuracy of a torch model on numpy arrays (the model's mode is kept)."""
    import torch

    with torch.no_grad():
        logits = model(torch.as_tensor(X))
    return float((logits.argmax(1).numpy() == y).mean())


def train_classifier(model, X, y, epochs=20, batch_size=32, lr=0.05, momentum=0.9, seed=0,
                     desc="training"):
    """Train ``model`` with SGD (with momentum) and cross-entropy; returns each epoch's loss.

    The SGD step is written out (``v = momentum * v + grad; p -= lr * v``, what
    ``torch.optim.SGD`` does) because creating a ``torch.optim`` optimizer imports torch's
    compiler, several seconds on a small machine. The model is left in training mode.
    Progress is shown with tqdm (a widget in Jupyter).
    """
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    velocity = [torch.zeros_like(p) for p in params]
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    losses = []
    model.train()
    for _ in tqdm(range(epochs), desc=desc):
        order = rng.permutation(len(X))
        total, seen = 0.0, 0
        for start in range(0, len(X) - batch_size + 1, batch_size):  # full batches only
            idx = torch.as_tensor(order[start:start + batch_size])
            loss = F.cross_entropy(model(Xt[idx]), yt[idx])
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p, v in zip(params, velocity):
                    v.mul_(momentum).add_(p.grad)
                    p.sub_(lr * v)
            total += loss.item() * len(idx)
            seen += len(idx)
        losses.append(total / seen)
    return losses
