"""What the checks of notebook 06 share: the forbidden torch functions, feature maps with
per-channel offsets and scales, the (N, C, H, W) <-> (N*H*W, C) reshapes, ``call_student``
with this notebook's broadcasting hint, and torch's BatchNorm2d to compare with.
"""

from __future__ import annotations

import numpy as np

from .._core import CheckFailure, call_student, expect_tuple

#: Library functions that would do the exercises for the student.
FORBIDDEN = {"torch": {"batch_norm", "native_batch_norm", "_batch_norm_impl_index",
                       "native_batch_norm_backward", "batch_norm_backward",
                       "layer_norm", "instance_norm", "group_norm",
                       "fuse_conv_bn_weights", "fuse_conv_bn_eval", "fuse_linear_bn_weights",
                       "fuse_linear_bn_eval"}}

CACHE_KEYS = ("x_hat", "mean", "var", "gamma", "eps")


def _images(rng, n, c, h, w, dtype=np.float64, loc=None, scale=None):
    """Feature maps with per-channel offsets and scales, so per-channel statistics matter."""
    loc = rng.uniform(-3, 3, size=c) if loc is None else np.broadcast_to(loc, (c,))
    scale = rng.uniform(0.5, 3.0, size=c) if scale is None else np.broadcast_to(scale, (c,))
    x = loc.reshape(1, c, 1, 1) + scale.reshape(1, c, 1, 1) * rng.standard_normal((n, c, h, w))
    return x.astype(dtype)


def _rows(x):
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def _unrows(rows, shape):
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _per_channel(v):
    return np.asarray(v).reshape(1, -1, 1, 1)


def _norm(x, axes, eps, ddof=0):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True, ddof=ddof) + eps)


_NO_KEEPDIMS = (
    "the per-channel vectors (mean, variance, or sums) were used with shape (C,), without "
    "keepdims=True or a reshape to (1, C, 1, 1): against an (N, C, H, W) array a (C,) vector "
    "lines up with the last axis, W, not with the channels (it runs without an error only "
    "when W = C).")


def _call(student, *args, **kwargs):
    """``call_student``; a broadcasting error between (N, C, H, W) and (C,) gets its hint."""
    try:
        return call_student(student, *args, **kwargs)
    except CheckFailure as failure:
        c = np.shape(args[0])[1] if np.ndim(args[0]) == 4 else None
        if c is not None and "could not be broadcast" in str(failure) and f"({c},)" in str(
                failure):
            raise CheckFailure(f"{failure}\nLikely mistake: {_NO_KEEPDIMS}") from None
        raise


def _torch_batchnorm2d(x, gamma, beta, eps=1e-5):
    """torch.nn.BatchNorm2d in training mode, float64, with the given gamma and beta."""
    import torch

    bn = torch.nn.BatchNorm2d(x.shape[1], eps=eps).double().train()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(np.asarray(gamma, dtype=np.float64)))
        bn.bias.copy_(torch.from_numpy(np.asarray(beta, dtype=np.float64)))
    return bn


def _student_out(student, x, gamma, beta, case):
    """The ``out`` of the student's ``(out, cache)``, or a CheckFailure saying what came back."""
    out, _ = expect_tuple(call_student(student, x, gamma, beta, case=case,
                                       name="spatial_batchnorm_forward"), 2, case=case,
                          name="spatial_batchnorm_forward", what="(out, cache)")
    return out
