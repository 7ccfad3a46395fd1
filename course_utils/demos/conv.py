"""Demonstrations for notebooks 06 (batch norm in convolutions) and 07 (the normalization family).

Small PyTorch CNNs on real handwritten digits (``course_utils.demos.data.load_digits``), a training
loop that records what the notebooks plot, the batch-size sweep of notebook 07, and the
shaded (N, C, H*W) cubes of Wu & He (2018), Figure 2. Nothing here is graded.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

__all__ = ["small_cnn", "train_classifier", "evaluate", "batch_size_sweep", "draw_norm_cube",
           "shared_statistics", "NORM_AXES"]

#: Which axes of (N, C, H, W) share one mean and variance, per member of the family.
NORM_AXES = {"batch norm": (0, 2, 3), "layer norm": (1, 2, 3), "instance norm": (2, 3),
             "group norm": "per example, over a group of C/G channels and (H, W)"}


@contextlib.contextmanager
def _one_thread():
    """Tiny models train faster on one thread (and leave the other core to the kernel)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _norm_layer(norm, channels, groups, dims=2):
    from torch import nn

    if norm is None or norm == "none":
        return nn.Identity()
    if norm == "bn":
        return nn.BatchNorm2d(channels) if dims == 2 else nn.BatchNorm1d(channels)
    if norm == "gn":
        return nn.GroupNorm(groups, channels)
    raise ValueError(f"norm must be None, 'bn' or 'gn', got {norm!r}")


def small_cnn(norm="bn", image_size=28, channels=(8, 16), hidden=None, groups=4,
              num_classes=10, seed=0, hidden_norm="same"):
    """Two blocks of 3x3 convolution -> norm -> ReLU -> 2x2 max-pool, then a classifier.

    Parameters
    ----------
    norm : None, "bn" (BatchNorm2d / BatchNorm1d) or "gn" (GroupNorm with ``groups`` groups)
    image_size : 28 (MNIST) or 8 (scikit-learn digits)
    channels : output channels of the two convolutions
    hidden : None, or the width of a fully connected hidden layer before the classifier
    hidden_norm : the hidden layer's normalization: "same" as ``norm`` (default), None,
        "bn" or "gn"
    seed : the initial weights' seed

    The convolutions have no bias when a normalization follows them: its mean subtraction
    would cancel the bias (notebook 06 shows that its gradient is zero).
    """
    import torch
    from torch import nn

    torch.manual_seed(seed)
    bias = norm is None or norm == "none"
    layers, c_in = [], 1
    for c_out in channels:
        layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=bias),
                   _norm_layer(norm, c_out, groups), nn.ReLU(), nn.MaxPool2d(2)]
        c_in = c_out
    features = c_in * (image_size // 2 ** len(channels)) ** 2
    layers.append(nn.Flatten())
    if hidden:
        hidden_norm = norm if hidden_norm == "same" else hidden_norm
        layers += [nn.Linear(features, hidden, bias=hidden_norm in (None, "none")),
                   _norm_layer(hidden_norm, hidden, groups, 1), nn.ReLU()]
        features = hidden
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)


def evaluate(model, X, y, batch_size=1000):
    """(accuracy, mean cross-entropy) of ``model`` in eval mode on numpy arrays X, y."""
    import torch
    import torch.nn.functional as F

    was_training = model.training
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            xb, yb = torch.from_numpy(X[i:i + batch_size]), torch.from_numpy(y[i:i + batch_size])
            logits = model(xb)
            loss += float(F.cross_entropy(logits, yb, reduction="sum"))
            correct += int((logits.argmax(1) == yb).sum())
    model.train(was_training)
    return correct / len(X), loss / len(X)


def train_classifier(model, data, epochs=2, batch_size=32, lr=0.1, momentum=0.0, seed=0,
                     eval_every=25, max_steps=None, progress=True, desc="training"):
    """Mini-batch SGD on ``data`` (a ``course_utils.demos.data.Digits`` with images (n, 1, H, W)).

    Returns a dict of lists: ``step`` and ``train_loss`` (every step); ``eval_step``,
    ``test_accuracy`` and ``test_loss`` (every ``eval_every`` steps and at the end, in eval
    mode: batch norm then uses its running statistics); and ``seconds``.
    """
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    X, y = data.X_train, data.y_train
    if X.ndim != 4:
        raise ValueError("train_classifier needs images of shape (n, 1, H, W): "
                         "load_digits(..., flatten=False)")
    steps_per_epoch = len(X) // batch_size
    total = steps_per_epoch * epochs if max_steps is None else max_steps
    history = {"step": [], "train_loss": [], "eval_step": [], "test_accuracy": [],
               "test_loss": []}

    def record_eval(step):
        acc, loss = evaluate(model, data.X_test, data.y_test)
        history["eval_step"].append(step)
        history["test_accuracy"].append(acc)
        history["test_loss"].append(loss)

    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    start = time.perf_counter()
    with _one_thread():
        record_eval(0)
        model.train()
        step = 0
        bar = tqdm(total=total, desc=desc, disable=not progress, leave=True)
        while step < total:
            order = torch.randperm(len(X), generator=generator)
            for i in range(steps_per_epoch):
                if step >= total:
                    break
                idx = order[i * batch_size:(i + 1) * batch_size]
                loss = F.cross_entropy(model(Xt[idx]), yt[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                step += 1
                history["step"].append(step)
                history["train_loss"].append(loss.item())
                if step % eval_every == 0 or step == total:
                    record_eval(step)
                bar.update(1)
        bar.close()
    history["seconds"] = time.perf_counter() - start
    return history


def batch_size_sweep(data, batch_sizes=(2, 4, 8, 16, 32), norms=("bn", "gn"), examples=4000,
                     base_lr=0.1, base_batch=32, momentum=0.9, seeds=(0,), hidden=32,
                     channels=(8, 16), groups=4, progress=True):
    """Test error (%) of the same small CNN trained with each normalization and batch size.

    Every run sees the same number of training examples (``examples``), so a smaller batch
    takes more steps; the learning rate is scaled linearly with the batch size,
    ``base_lr * batch_size / base_batch``. Returns ``{norm: array (len(batch_sizes),)}``,
    the mean test error over ``seeds``, and the spread as ``{norm + " runs": array}``.
    """
    from tqdm.auto import tqdm

    image_size = data.X_train.shape[-1]
    runs = [(norm, b, s) for norm in norms for b in batch_sizes for s in seeds]
    errors = {norm: np.zeros((len(batch_sizes), len(seeds))) for norm in norms}
    total_steps = sum(examples // b for _, b, _ in runs)
    bar = tqdm(total=total_steps, desc="batch-size sweep", disable=not progress)
    for norm, b, s in runs:
        bar.set_postfix_str(f"{norm.upper()}, batch {b}")
        model = small_cnn(norm, image_size=image_size, channels=channels, hidden=hidden,
                          groups=groups, seed=s)
        steps = examples // b
        train_classifier(model, data, batch_size=b, lr=base_lr * b / base_batch,
                         momentum=momentum, seed=s, eval_every=10**9, max_steps=steps,
                         progress=False)
        accuracy, _ = evaluate(model, data.X_test, data.y_test)
        errors[norm][batch_sizes.index(b), seeds.index(s)] = 100 * (1 - accuracy)
        bar.update(steps)
    bar.close()
    result = {norm: e.mean(axis=1) for norm, e in errors.items()}
    result.update({f"{norm} runs": e for norm, e in errors.items()})
    return result


def shared_statistics(kind, n=6, c=6, hw=6, groups=3):
    """Boolean (n, c, hw) mask of the values that share one mean and variance with value
    (0, 0, 0) under ``kind`` ("batch norm", "layer norm", "instance norm", "group norm")."""
    shaded = np.zeros((n, c, hw), dtype=bool)
    if kind == "batch norm":
        shaded[:, 0, :] = True
    elif kind == "layer norm":
        shaded[0, :, :] = True
    elif kind == "instance norm":
        shaded[0, 0, :] = True
    elif kind == "group norm":
        if c % groups:
            raise ValueError(f"groups = {groups} does not divide c = {c}")
        shaded[0, :c // groups, :] = True
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return shaded


def draw_norm_cube(ax, kind, n=6, c=6, hw=6, groups=3, color="#4C72B0", title=None):
    """Draw the (N, C, H*W) feature-map cube with the values of one normalization set shaded.

    ``kind`` is "batch norm", "layer norm", "instance norm" or "group norm". The shaded
    cells share one mean and one variance (Wu & He 2018, Figure 2): batch norm, one
    channel across the batch; layer norm, one example; instance norm, one example and
    channel; group norm, one example and a group of C / ``groups`` channels. ``ax`` must be
    a 3-D axes (``projection="3d"``).
    """
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    shaded = shared_statistics(kind, n, c, hw, groups)
    # axes of the drawing: x = N (batch), y = C (channels), z = H*W (positions)
    ax.voxels(shaded, facecolors=color, edgecolors="#1f2f4f", linewidth=0.4, alpha=0.9)
    corners = np.array([[0, 0, 0], [n, 0, 0], [n, c, 0], [0, c, 0],
                        [0, 0, hw], [n, 0, hw], [n, c, hw], [0, c, hw]], dtype=float)
    faces = [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 5, 4], [2, 3, 7, 6], [1, 2, 6, 5], [0, 3, 7, 4]]
    box = Poly3DCollection([corners[f] for f in faces], facecolors="#dddddd",
                           edgecolors="#555555", linewidths=0.8, alpha=0.12)
    ax.add_collection3d(box)
    if kind == "group norm":  # mark where the groups of channels begin, on the top face
        for k in range(1, groups):
            y = k * c / groups
            ax.plot([0, n], [y, y], [hw, hw], color="#555555", linewidth=0.8, linestyle="--")
    ax.set_xlim(0, n)
    ax.set_ylim(0, c)
    ax.set_zlim(0, hw)
    ax.set_xlabel("N", labelpad=-12)
    ax.set_ylabel("C", labelpad=-12)
    ax.set_zlabel("H, W", labelpad=-12)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_zticks([])
    ax.view_init(elev=20, azim=-60)
    ax.set_box_aspect((1, 1, 1))
    ax.set_title(title or kind.capitalize(), pad=0)
    return ax
