"""Notebook 08: finding hyperparameters honestly.

A validation split that never touches the test set; sampling on a log scale; random search
and its coarse-to-fine refinement (Bergstra & Bengio 2012); learning-rate schedules; early
stopping. Plain numpy and Python, one short function each.

Random numbers come from a ``numpy.random.Generator`` passed in (or built from ``seed``),
never from numpy's global state, so every result is reproducible. Where the order of the
draws matters for reproducing the reference exactly, the docstring says what it is; the
checks accept any order that samples from the right distribution.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["train_val_split", "log_uniform", "random_search", "narrow_space", "lr_at",
           "early_stopping_epoch"]

KINDS = ("log", "linear")
SCHEDULES = ("step", "linear", "inverse_sqrt")


def train_val_split(X, y, val_fraction=0.2, seed=0):
    """Shuffle the examples and hold out a share of them for validation.

    Parameters
    ----------
    X : ndarray of shape (n, ...)
        Examples along the first axis (any number of further axes, any dtype).
    y : ndarray of shape (n,) or (n, ...)
        Targets, row ``i`` belongs to ``X[i]``.
    val_fraction : float in (0, 1)
        Share of the examples for validation: ``n_val = round(val_fraction * n)``, kept
        between 1 and n - 1 so that neither part is empty.
    seed : int
        Seeds ``np.random.default_rng``; the same seed gives the same split.

    Returns
    -------
    X_train, y_train, X_val, y_val : ndarrays, the dtypes of X and y
        One permutation ``perm = rng.permutation(n)`` shuffles X and y together: the first
        ``n_val`` shuffled examples are the validation set, the rest the training set. Every
        example lands in exactly one of the two.

    Raises
    ------
    ValueError
        If val_fraction is not strictly between 0 and 1, X and y differ in length, or there
        are fewer than two examples.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError("X and y must have the examples along their first axis")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} examples but y has {len(y)}; they must match")
    if not (isinstance(val_fraction, Real) and 0 < val_fraction < 1):
        raise ValueError(f"val_fraction must be strictly between 0 and 1, got {val_fraction}")
    n = len(X)
    if n < 2:
        raise ValueError(f"need at least 2 examples to split, got {n}")
    n_val = min(max(int(round(val_fraction * n)), 1), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    val, train = perm[:n_val], perm[n_val:]
    return X[train], y[train], X[val], y[val]


def _log_range(low, high, what="log_uniform"):
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{what}: low and high must be finite, got {low} and {high}")
    if low <= 0:
        raise ValueError(f"{what}: a log scale needs low > 0, got low = {low}")
    if high < low:
        raise ValueError(f"{what}: high ({high}) must not be below low ({low})")
    return math.log10(low), math.log10(high)


def log_uniform(low, high, size, rng):
    """Draw numbers whose base-10 logarithm is uniform: ``10 ** Uniform(log10 low, log10 high)``.

    Each decade (1e-4 to 1e-3, 1e-3 to 1e-2, ...) gets the same share of the draws, which is
    what a learning rate or a weight decay needs: 0.001 vs 0.002 matters as much as 0.1 vs 0.2.

    Parameters
    ----------
    low, high : float, 0 < low <= high
    size : int or tuple of ints, the shape of the result
    rng : numpy.random.Generator
        Exactly one draw: ``rng.uniform(log10(low), log10(high), size=size)``.

    Returns
    -------
    ndarray of float64, shape ``size``, every value in [low, high]

    Raises
    ------
    ValueError
        If low <= 0 (no logarithm), high < low, or either is not finite.
    """
    a, b = _log_range(low, high)
    values = 10.0 ** rng.uniform(a, b, size=size)
    return np.clip(values, float(low), float(high))   # 10 ** log10(x) can round past x


def _check_space(space):
    if not isinstance(space, dict) or not space:
        raise ValueError("space must be a non-empty dict {name: (low, high, kind)}")
    for name, spec in space.items():
        if not isinstance(spec, (tuple, list)) or len(spec) != 3:
            raise ValueError(f"space[{name!r}] must be (low, high, kind), got {spec!r}")
        low, high, kind = spec
        if kind not in KINDS:
            raise ValueError(f"space[{name!r}] has unknown kind {kind!r}; use 'log' or 'linear'")
        if kind == "log":
            _log_range(low, high, f"space[{name!r}]")
        elif not (math.isfinite(float(low)) and math.isfinite(float(high)) and low <= high):
            raise ValueError(f"space[{name!r}] needs finite low <= high, got {low}, {high}")


def _draw(low, high, kind, rng):
    """One value: rng.uniform on the log10 range for 'log', on [low, high] for 'linear'."""
    if kind == "log":
        a, b = _log_range(low, high)
        return float(min(max(10.0 ** rng.uniform(a, b), low), high))
    return float(rng.uniform(low, high))


def random_search(objective, space, n_trials, rng):
    """Try ``n_trials`` random settings and return them best (lowest score) first.

    Parameters
    ----------
    objective : callable, ``objective(params) -> float``; lower is better
    space : dict ``{name: (low, high, kind)}``, kind ``"log"`` or ``"linear"``
    n_trials : int >= 1
    rng : numpy.random.Generator

    Returns
    -------
    list of ``n_trials`` dicts ``{"params": {name: float}, "score": float}``, sorted by score,
    lowest first (a stable sort: equal scores keep the order they were tried in).

    The order of the draws (follow it to reproduce this function exactly; the check accepts
    any order): for each trial in turn, for each name in the insertion order of ``space``,
    one scalar draw, ``10 ** rng.uniform(log10(low), log10(high))`` for ``"log"`` and
    ``rng.uniform(low, high)`` for ``"linear"``. The objective is called once per trial,
    right after that trial's values are drawn, with a new dict.

    Raises
    ------
    ValueError
        If n_trials < 1, a kind is unknown, a range has high < low, or a log range has
        low <= 0. Nothing is evaluated then.
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, Integral) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    _check_space(space)
    results = []
    for _ in range(n_trials):
        params = {name: _draw(low, high, kind, rng) for name, (low, high, kind) in space.items()}
        results.append({"params": params, "score": float(objective(dict(params)))})
    return sorted(results, key=lambda r: r["score"])


def narrow_space(results, space, top_k=5):
    """Coarse-to-fine: a new space spanning the values of the ``top_k`` best trials.

    Parameters
    ----------
    results : list of ``{"params": {...}, "score": float}`` in any order (lowest score best)
    space : dict ``{name: (low, high, kind)}``, the space the results were drawn from
    top_k : int >= 1; if it exceeds ``len(results)``, all results are used

    Returns
    -------
    dict ``{name: (low, high, kind)}`` with, for each name of ``space``, low and high the
    smallest and largest value among the top_k trials and the kind unchanged. Since every
    trial was drawn inside the old range, so is the new one. Inputs are not modified.

    Raises
    ------
    ValueError
        If results is empty, top_k < 1, or a trial lacks a parameter of the space.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, Integral) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    if len(results) == 0:
        raise ValueError("results is empty: run a search first")
    _check_space(space)
    best = sorted(results, key=lambda r: r["score"])[:top_k]
    new = {}
    for name, (_, _, kind) in space.items():
        if any(name not in r["params"] for r in best):
            raise ValueError(f"a trial has no value for {name!r}")
        values = [float(r["params"][name]) for r in best]
        new[name] = (min(values), max(values), kind)
    return new


def lr_at(kind, lr0, t, total_steps, drop=0.1, every=10):
    """The learning rate at step (or epoch) ``t`` of a schedule, counting from t = 0.

    ============== =============================================== =====================
    kind           rate at t                                       at t = 0
    ============== =============================================== =====================
    "step"         ``lr0 * drop ** (t // every)``                  lr0
    "linear"       ``lr0 * max(0, 1 - t / total_steps)``           lr0; 0 from total_steps
    "inverse_sqrt" ``lr0 / sqrt(t + 1)`` (the +1: no 1/0 at t=0)   lr0
    ============== =============================================== =====================

    Returns a Python float. ``total_steps`` is used by "linear" only, ``drop`` and ``every``
    by "step" only; they are validated whatever the kind.

    Raises
    ------
    ValueError
        For an unknown kind, t < 0, total_steps < 1, every < 1, or drop outside (0, 1].
    """
    if kind not in SCHEDULES:
        raise ValueError(f"unknown schedule {kind!r}; use one of {SCHEDULES}")
    if t < 0:
        raise ValueError(f"t counts steps from 0, got t = {t}")
    if total_steps < 1:
        raise ValueError(f"total_steps must be at least 1, got {total_steps}")
    if every < 1:
        raise ValueError(f"every must be at least 1 step, got {every}")
    if not 0 < drop <= 1:
        raise ValueError(f"drop must be in (0, 1], got {drop}")
    if kind == "step":
        return float(lr0 * drop ** (t // every))
    if kind == "linear":
        return float(lr0 * max(0.0, 1.0 - t / total_steps))
    return float(lr0 / math.sqrt(t + 1))


def early_stopping_epoch(val_losses, patience):
    """The epoch whose weights to keep when training stops after ``patience`` bad epochs.

    ``val_losses[e]`` is the validation loss after epoch e (counting from 0). Walking through
    the epochs, an epoch *improves* when its loss is strictly lower than every loss before
    it. Training stops at the first epoch e with ``e - best == patience``, where ``best``
    is the latest improving epoch; losses after that epoch are never seen. If the list ends
    first, training ran out of epochs. Either way the answer is ``best``, not the epoch
    where training stopped (that one is ``patience`` epochs worse than the best).

    Returns
    -------
    int, an index into val_losses

    Raises
    ------
    ValueError
        If val_losses is empty or not 1-D, or patience < 1.
    """
    losses = np.asarray(val_losses, dtype=np.float64)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError("val_losses must be a non-empty 1-D sequence, one loss per epoch")
    if isinstance(patience, bool) or not isinstance(patience, Integral) or patience < 1:
        raise ValueError(f"patience must be a positive integer, got {patience!r}")
    best = 0
    for epoch in range(1, losses.size):
        if losses[epoch] < losses[best]:
            best = epoch
        elif epoch - best >= patience:
            break
    return best
