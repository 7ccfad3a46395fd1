"""What the checks of notebook 07 share: the forbidden functions, feature maps and vectors
with their own offsets and scales, and the catalogue of mistakes any member of the family
can make (statistics over the wrong axes, no keepdims, gamma and beta misapplied).
"""

from __future__ import annotations

import numpy as np

#: Library functions that would do the exercises for the student.
FORBIDDEN = {"torch": {"batch_norm", "native_batch_norm", "_batch_norm_impl_index",
                       "layer_norm", "native_layer_norm", "instance_norm", "group_norm",
                       "native_group_norm", "rms_norm"}}


def _images(rng, n, c, h, w, dtype=np.float64, loc=None, scale=None):
    """Feature maps with offsets and scales that differ per example and per channel."""
    loc = rng.uniform(-3, 3, size=(n, c, 1, 1)) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=(n, c, 1, 1)) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, c, h, w))).astype(dtype)


def _vectors(rng, n, d, dtype=np.float64, loc=None, scale=None):
    """A batch of vectors whose examples and features all have their own offset and scale."""
    loc = rng.uniform(-3, 3, size=(n, 1)) + rng.uniform(-3, 3, size=d) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=(n, 1)) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


def _norm(x, axes, eps, ddof=0):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True, ddof=ddof) + eps)


def _no_keepdims(x, axes, eps):
    """What (x - x.mean(axes)) / sqrt(x.var(axes) + eps) gives when it happens to broadcast."""
    return (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + eps)


def _common(x, axes, eps):
    """Mistakes any member of the family can make, for statistics over ``axes``."""
    return [
        ("the unbiased variance (ddof=1) was used; normalization uses the biased one "
         "(divide by the number of values that share a mean).",
         lambda: _norm(x, axes, eps, ddof=1)),
        ("eps was added outside the square root: use sqrt(var + eps).",
         lambda: (x - x.mean(axes, keepdims=True)) / (x.std(axes, keepdims=True) + eps)),
        ("divided by the variance instead of the standard deviation (missing square root).",
         lambda: (x - x.mean(axes, keepdims=True)) / (x.var(axes, keepdims=True) + eps)),
        ("the mean and variance were computed without keepdims=True, so they broadcast "
         "against the wrong axes.", lambda: _no_keepdims(x, axes, eps)),
        ("one mean and variance over the whole array.", lambda: _norm(x, None, eps)),
        ("the eps argument was ignored: the default 1e-5 was used instead.",
         lambda: _norm(x, axes, 1e-5)),
    ]


# ---------------------------------------------------------------------------------------
# layer_norm
# ---------------------------------------------------------------------------------------


def _affine_mistakes(x, gamma, beta, axes, eps, per_channel):
    """gamma and beta applied the wrong way round, or not at all."""
    g = gamma.reshape(per_channel)
    b = beta.reshape(per_channel)
    return [
        ("gamma and beta are swapped: out = gamma * x_hat + beta.",
         lambda: b * _norm(x, axes, eps) + g),
        ("gamma and beta were not applied: the output is x_hat alone. Layer norm learns a "
         "scale and a shift per feature: out = gamma * x_hat + beta.",
         lambda: _norm(x, axes, eps)),
        ("beta was not added: out = gamma * x_hat + beta.", lambda: g * _norm(x, axes, eps)),
        ("gamma was not applied: out = gamma * x_hat + beta.", lambda: _norm(x, axes, eps) + b),
    ]
