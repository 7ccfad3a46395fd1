"""``check_fold_batchnorm`` (notebook 06) with its catalogue of named mistakes: the folded
layer must equal the layer followed by batch norm in inference mode.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import (
    Case,
    call_student,
    expect_array,
    expect_raises,
    expect_tuple,
    fail,
    make_rng,
    tolerance,
)
from .._nearest import expect_array_named
from ._shared import FORBIDDEN

__all__ = ["check_fold_batchnorm"]


# ---------------------------------------------------------------------------------------
# fold_batchnorm
# ---------------------------------------------------------------------------------------


def _fold_cases(seed, rng, hidden):
    """(case, weight, bias, gamma, beta, running_mean, running_var, eps)."""
    cases = []

    def add(label, shape, dtype=np.float64, bias=True, eps=1e-5, mean_scale=1.0,
            weight=None, **details):
        c_out = shape[0]
        w = rng.normal(size=shape).astype(dtype) if weight is None else weight
        b = rng.normal(size=c_out).astype(dtype) if bias else None
        gamma = rng.uniform(0.5, 2.0, c_out).astype(dtype)
        beta = rng.uniform(-1, 1, c_out).astype(dtype)
        mean = (rng.normal(size=c_out) * mean_scale).astype(dtype)
        var = rng.uniform(0.2, 3.0, c_out).astype(dtype)
        details = {"weight.shape": tuple(w.shape), "bias": "array" if bias else "None",
                   "dtype": np.dtype(dtype).name, **details}
        if eps != 1e-5:
            details["eps"] = eps
        cases.append((Case(label, seed, details), w, b, gamma, beta, mean, var, eps))

    add("convolution weight (C_out, C_in, 3, 3) with a bias", (4, 4, 3, 3))
    add("convolution without a bias (bias=None, treated as 0)", (5, 2, 3, 3), bias=False)
    add("linear layer weight (C_out, C_in)", (6, 4))
    add("more input than output channels (C_in > C_out)", (3, 5, 3, 3))
    add("float32 weights", (4, 2, 3, 3), dtype=np.float32)
    add("one output channel (C_out = 1)", (1, 3, 5, 5))
    add("1-D convolution weight (C_out, C_in, k)", (4, 2, 5))
    add("large running mean", (3, 2, 3, 3), mean_scale=1e3)
    add("eps passed by keyword", (3, 2, 1, 1), eps=0.1)
    add("non-contiguous weight w[:, ::2]", (4, 3, 3, 3),
        weight=rng.normal(size=(4, 6, 3, 3))[:, ::2])
    if hidden:
        add("linear layer, C_in = C_out, no bias", (5, 5), bias=False)
        add("float32 convolution without a bias", (8, 4, 3, 3), dtype=np.float32, bias=False)
        for shape in ((16, 8, 1, 1), (2, 7, 3, 3)):
            add("random convolution weight", shape)
    return cases


def _fold_mistakes(w, b, gamma, beta, mean, var, eps):
    w = w.astype(np.float64)
    b = np.zeros(w.shape[0]) if b is None else b.astype(np.float64)
    gamma, beta, mean, var = (np.asarray(v, dtype=np.float64) for v in (gamma, beta, mean, var))
    std = np.sqrt(var + eps)
    scale = gamma / std

    def along(v, axis):
        shape = [1] * w.ndim
        shape[axis] = -1
        return v.reshape(shape)

    no_eps = ("eps was left out: s = gamma / sqrt(running_var + eps), and eps matters when "
              "a channel's running variance is small.")
    weight_mistakes = [
        (no_eps, lambda: w * along(gamma / np.sqrt(var), 0)),
        ("gamma was left out of the scale: s = gamma / sqrt(running_var + eps).",
         lambda: w * along(1 / std, 0)),
        ("the eps argument was ignored: the default 1e-5 was used instead.",
         lambda: w * along(gamma / np.sqrt(var + 1e-5), 0)),
        ("the scale was applied to the input channels (axis 1); each *output* channel's "
         "filter is scaled: weight * s.reshape(C_out, 1, ..., 1).",
         lambda: w * along(scale, 1)),
        ("eps was added outside the square root: s = gamma / sqrt(running_var + eps).",
         lambda: w * along(gamma / (np.sqrt(var) + eps), 0)),
        ("divided by the variance instead of the standard deviation (missing square root).",
         lambda: w * along(gamma / (var + eps), 0)),
        ("the scale is upside down: s = gamma / sqrt(running_var + eps), not its inverse.",
         lambda: w * along(std / gamma, 0)),
        ("the weight was multiplied by gamma alone; divide by sqrt(running_var + eps) too.",
         lambda: w * along(gamma, 0)),
        ("the weight was left unchanged: the BN scale s = gamma / sqrt(var + eps) folds into it.",
         lambda: w),
    ]
    bias_mistakes = [
        (no_eps, lambda: (b - mean) * gamma / np.sqrt(var) + beta),
        ("gamma was left out of the bias: bias' = (bias - running_mean) * s + beta with "
         "s = gamma / sqrt(running_var + eps).", lambda: (b - mean) / std + beta),
        ("the bias was not scaled at all: bias' = (bias - running_mean) * s + beta.",
         lambda: b - mean + beta),
        ("the eps argument was ignored: the default 1e-5 was used instead.",
         lambda: (b - mean) * gamma / np.sqrt(var + 1e-5) + beta),
        ("the old bias was forgotten: the folded bias is (bias - running_mean) * s + beta.",
         lambda: beta - mean * scale),
        ("the old bias was not scaled: it passes through BN too, so it is multiplied by s.",
         lambda: b + beta - mean * scale),
        ("the running mean was not subtracted: bias' = (bias - running_mean) * s + beta.",
         lambda: b * scale + beta),
        ("the running mean was added instead of subtracted.",
         lambda: (b + mean) * scale + beta),
        ("beta was not added: bias' = (bias - running_mean) * s + beta.",
         lambda: (b - mean) * scale),
        ("eps was added outside the square root: s = gamma / sqrt(running_var + eps).",
         lambda: (b - mean) * gamma / (np.sqrt(var) + eps) + beta),
        ("the mean was subtracted after scaling: bias' = (bias - running_mean) * s + beta.",
         lambda: b * scale - mean + beta),
    ]
    return weight_mistakes, bias_mistakes


def check_fold_batchnorm(student, seed=0, hidden=False):
    """Check ``fold_batchnorm(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5)``.

    Cases: convolution weights with and without a bias (None means 0), a linear layer's
    weight, C_in = C_out (so a fold over the wrong axis shows), float32, C_out = 1, a 1-D
    convolution, a large running mean, an eps argument, non-contiguous weights; per-channel
    vectors of the wrong length (ValueError). With ``hidden=True``: more shapes, a
    cross-check with ``torch.nn.utils.fusion.fuse_conv_bn_weights``, and the folded layer
    run on data must equal the layer followed by inference-mode BN.
    """
    seed, rng = make_rng(seed)
    name = "fold_batchnorm"
    for case, w, b, gamma, beta, mean, var, eps in _fold_cases(seed, rng, hidden):
        result = call_student(student, w, b, gamma, beta, mean, var, eps=eps, case=case,
                              name=name, forbidden=FORBIDDEN,
                              arg_names=("weight", "bias", "gamma", "beta", "running_mean",
                                         "running_var"))
        got_w, got_b = expect_tuple(result, 2, case=case, name=name, what="(weight, bias)")
        exp_w, exp_b = ref.fold_batchnorm(w, b, gamma, beta, mean, var, eps=eps)
        w_mistakes, b_mistakes = _fold_mistakes(w, b, gamma, beta, mean, var, eps)
        if isinstance(got_w, np.ndarray) and got_w.ndim != w.ndim and got_w.size != w.size:
            fail(case, f"the folded weight has shape {got_w.shape}, expected {w.shape}: the "
                       f"scale must be reshaped to (C_out,) + (1,) * (weight.ndim - 1), so it "
                       "works for a 2-D linear weight as well as a 4-D convolution weight.")
        expect_array_named(got_w, exp_w, case=case, what="the folded weight",
                           mistakes=w_mistakes)
        if got_b is None:
            fail(case, "the folded bias is None. Even without an old bias (bias=None, i.e. 0) "
                       "the folded layer needs a bias: beta - running_mean * s.")
        expect_array_named(got_b, exp_b, case=case, what="the folded bias",
                           mistakes=b_mistakes)

    c_out = 4
    w = rng.normal(size=(c_out, 2, 3, 3))
    good = [rng.normal(size=c_out) for _ in range(3)] + [rng.uniform(0.5, 2, c_out)]
    bad_gamma = Case("gamma with C_out + 1 entries", seed, {"weight.shape": w.shape,
                                                             "gamma.shape": (c_out + 1,)})
    expect_raises(student, w, good[0], np.ones(c_out + 1), *good[1:], case=bad_gamma, name=name,
                  why="gamma needs one entry per output channel")
    bad_bias = Case("bias with C_out - 1 entries", seed, {"weight.shape": w.shape,
                                                          "bias.shape": (c_out - 1,)})
    expect_raises(student, w, np.ones(c_out - 1), *good, case=bad_bias, name=name,
                  why="bias needs one entry per output channel")
    if hidden:
        _fold_properties(student, seed, rng)


def _fold_properties(student, seed, rng):
    """Running the folded layer equals the layer followed by batch norm in inference mode."""
    import torch
    from torch.nn.utils.fusion import fuse_conv_bn_weights

    c_out = 6
    w, b = rng.normal(size=(c_out, 3, 3, 3)), rng.normal(size=c_out)
    vectors = [rng.uniform(0.5, 2, c_out), rng.normal(size=c_out), rng.normal(size=c_out) * 3,
               rng.uniform(0.2, 3, c_out)]     # gamma, beta, running mean, running var
    case = Case("cross-check with torch.nn.utils.fusion.fuse_conv_bn_weights", seed,
                {"weight.shape": w.shape})
    got_w, got_b = expect_tuple(call_student(student, w, b, *vectors, case=case,
                                             name="fold_batchnorm"), 2, case=case,
                                name="fold_batchnorm", what="(weight, bias)")
    t = torch.from_numpy
    exp_w, exp_b = fuse_conv_bn_weights(t(w), t(b), t(vectors[2]), t(vectors[3]), 1e-5,
                                        t(vectors[0]), t(vectors[1]))
    expect_array(got_w, exp_w.detach().numpy(), case=case, what="the folded weight")
    expect_array(got_b, exp_b.detach().numpy(), case=case, what="the folded bias")

    c_in, c_out, eps = 5, 4, 1e-5
    w, b = rng.normal(size=(c_out, c_in)), rng.normal(size=c_out)
    gamma, beta = rng.uniform(0.5, 2, c_out), rng.normal(size=c_out)
    mean, var = rng.normal(size=c_out) * 3, rng.uniform(0.2, 3, c_out)
    x = rng.normal(size=(16, c_in))
    case = Case("property: x @ W'.T + b' equals BN_inference(x @ W.T + b) for a linear layer",
                seed, {"x.shape": x.shape, "weight.shape": w.shape})
    got_w, got_b = expect_tuple(call_student(student, w, b, gamma, beta, mean, var,
                                             case=case, name="fold_batchnorm"), 2, case=case,
                                name="fold_batchnorm", what="(weight, bias)")
    expected = gamma * (x @ w.T + b - mean) / np.sqrt(var + eps) + beta
    try:
        got = x @ np.asarray(got_w, dtype=np.float64).T + np.asarray(got_b, dtype=np.float64)
    except Exception as exc:  # wrong shapes: say so rather than crash
        fail(case, f"the folded layer could not be run: {type(exc).__name__}: {exc}")
    r, a = tolerance(np.float64)
    expect_array(got, expected, case=case, what="the folded layer's output", rtol=r, atol=a)
