"""Interactive demos (ipywidgets): move a slider, see what batch norm's knobs do.

Each ``*_demo`` function draws one figure for given values (usable without widgets, and
what the tests call) and each ``interactive_*`` wraps it in sliders for JupyterLab.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gamma_beta_sigmoid_demo(gamma: float = 1.0, beta: float = 0.0, n: int = 20000, seed: int = 0):
    """Where ``sigmoid(gamma * x_hat + beta)`` works when ``x_hat`` is unit normal.

    Left: the sigmoid, its tangent at 0 (the linear regime) and the distribution of its
    input. Right: the distribution of its output. The title gives the share of inputs for
    which the sigmoid is within 0.01 of its tangent 0.5 + z/4 (that is |z| < about 0.80):
    about 57.5% for gamma = 1, beta = 0, and far fewer once gamma and beta move z away.
    """
    x_hat = np.random.default_rng(seed).standard_normal(n)
    z = gamma * x_hat + beta
    near = float(np.mean(np.abs(_sigmoid(z) - (0.5 + z / 4)) < 0.01))
    grid = np.linspace(-8, 8, 400)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.hist(z, bins=80, range=(-8, 8), density=True, color="C0", alpha=0.35,
              label="input z = gamma * x_hat + beta")
    left.plot(grid, _sigmoid(grid), color="C1", lw=2, label="sigmoid(z)")
    left.plot(grid, np.clip(0.5 + grid / 4, -0.2, 1.2), "--", color="gray", lw=1,
              label="tangent 0.5 + z/4")
    left.set(xlim=(-8, 8), ylim=(-0.05, 1.05), xlabel="z", ylabel="sigmoid(z) / density",
             title=f"gamma = {gamma:.2f}, beta = {beta:.2f}: {near:.0%} of inputs within 0.01 of the tangent")
    left.legend(loc="upper left", fontsize=8)
    right.hist(_sigmoid(z), bins=60, range=(0, 1), color="C1")
    right.set(xlabel="sigmoid output", ylabel="count", title="what the next layer receives")
    fig.tight_layout()
    plt.show()
    return near


def interactive_gamma_beta():
    """Sliders for gamma and beta over :func:`gamma_beta_sigmoid_demo`."""
    from ipywidgets import FloatSlider, fixed, interact

    return interact(gamma_beta_sigmoid_demo,
                    gamma=FloatSlider(value=1.0, min=0.1, max=6.0, step=0.1, description="gamma"),
                    beta=FloatSlider(value=0.0, min=-5.0, max=5.0, step=0.25, description="beta"),
                    n=fixed(20000), seed=fixed(0))


def batch_noise_demo(m: int = 16, n_batches: int = 2000, mu: float = 2.0, sigma: float = 1.5,
                     seed: int = 0):
    """How much the batch mean and standard deviation wander from batch to batch.

    Draws ``n_batches`` batches of ``m`` values from N(mu, sigma^2) and histograms their
    means and (biased) standard deviations. The mean's spread is sigma / sqrt(m): small
    batches give noisy statistics, which is both BN's mild regularizer and its weakness
    at tiny batch sizes.
    """
    if m < 2:
        raise ValueError("a batch needs at least 2 values for a variance")
    batches = np.random.default_rng(seed).normal(mu, sigma, size=(n_batches, m))
    means, stds = batches.mean(1), batches.std(1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    left.hist(means, bins=60, range=(mu - 3 * sigma, mu + 3 * sigma), color="C0")
    left.axvline(mu, color="k", lw=1)
    left.set(xlabel="batch mean", ylabel="count",
             title=f"m = {m}: spread of the mean {means.std():.3f} (sigma/sqrt(m) = {sigma / np.sqrt(m):.3f})")
    right.hist(stds, bins=60, range=(0, 3 * sigma), color="C2")
    right.axvline(sigma, color="k", lw=1)
    right.set(xlabel="batch standard deviation (biased)", ylabel="count",
              title=f"mean of the batch std {stds.mean():.3f} (true sigma {sigma})")
    fig.tight_layout()
    plt.show()
    return float(means.std())


def interactive_batch_noise():
    """A slider for the batch size over :func:`batch_noise_demo`."""
    from ipywidgets import SelectionSlider, fixed, interact

    return interact(batch_noise_demo,
                    m=SelectionSlider(options=[2, 4, 8, 16, 32, 64, 128, 256], value=16,
                                      description="batch m"),
                    n_batches=fixed(2000), mu=fixed(2.0), sigma=fixed(1.5), seed=fixed(0))
