"""Across the notebook 06 checks: are the mistakes and shape slips named since the checks were
sharpened named, and does the reference pass every check at fresh seeds?"""

import numpy as np
import pytest

from course_utils.checks import (
    check_fold_batchnorm,
    check_spatial_batchnorm_backward,
    check_spatial_batchnorm_forward,
)

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------
from tests.helpers import rejected  # noqa: E402

from .test_backward import _check_dout, backward_4d
from .test_fold import _fold, _fold_validated, _right_b, _right_w, fold_right
from .test_forward import _c, _validated, forward_4d

pytestmark = pytest.mark.nb06


def backward_cs231n_without_transpose(dout, cache):
    """The CS231n-style wrapper around the 2-D backward, with reshape(-1, C) everywhere."""
    _check_dout(dout, cache)
    n, c, h, w = dout.shape
    d, xh = dout.reshape(-1, c), cache["x_hat"].reshape(-1, c)
    std = np.sqrt(cache["var"] + cache["eps"])
    m = d.shape[0]
    dbeta, dgamma = d.sum(0), (d * xh).sum(0)
    dx = cache["gamma"] / (m * std) * (m * d - dbeta - xh * dgamma)
    return dx.reshape(n, c, h, w), dgamma, dbeta


def backward_dout_without_transpose(dout, cache):
    """x_hat made into rows the right way, dout not: the columns of dout mix channels."""
    _check_dout(dout, cache)
    n, c, h, w = dout.shape
    d = dout.reshape(-1, c)
    xh = cache["x_hat"].transpose(0, 2, 3, 1).reshape(-1, c)
    std = np.sqrt(cache["var"] + cache["eps"])
    m = d.shape[0]
    dbeta, dgamma = d.sum(0), (d * xh).sum(0)
    dx = cache["gamma"] / (m * std) * (m * d - dbeta - xh * dgamma)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def backward_no_gamma(dout, cache):
    dx, dgamma, dbeta = backward_4d(dout, cache)
    return dx / _c(cache["gamma"]), dgamma, dbeta


def backward_no_eps(dout, cache):
    _check_dout(dout, cache)
    return backward_4d(dout, dict(cache, eps=0.0))


def forward_channel_rows_not_undone(x, gamma, beta, eps=1e-5):
    """One row per channel, (C, N*H*W), normalized along the rows, reshaped straight back."""
    x = _validated(x)
    n, c, h, w = x.shape
    rows = x.transpose(1, 0, 2, 3).reshape(c, -1)
    x_hat = (rows - rows.mean(1, keepdims=True)) / np.sqrt(rows.var(1, keepdims=True) + eps)
    _, cache = forward_4d(x, gamma, beta, eps)
    return (gamma[:, None] * x_hat + beta[:, None]).reshape(x.shape), cache


def forward_no_beta(x, gamma, beta, eps=1e-5):
    out, cache = forward_4d(x, gamma, beta, eps)
    return out - _c(beta), cache


def forward_default_eps(x, gamma, beta, eps=1e-5):
    return forward_4d(x, gamma, beta)


def _fold_no_eps(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    weight, b = _fold_validated(weight, bias, gamma, beta, running_mean, running_var)
    s = gamma / np.sqrt(running_var)
    return weight * s.reshape((-1,) + (1,) * (weight.ndim - 1)), (b - running_mean) * s + beta


def _fold_eps_outside(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    weight, b = _fold_validated(weight, bias, gamma, beta, running_mean, running_var)
    s = gamma / (np.sqrt(running_var) + eps)
    return weight * s.reshape((-1,) + (1,) * (weight.ndim - 1)), (b - running_mean) * s + beta


def _fold_default_eps(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    return fold_right(weight, bias, gamma, beta, running_mean, running_var)


SHARPER = [
    (check_spatial_batchnorm_backward, backward_cs231n_without_transpose,
     "without moving the channel axis last"),
    (check_spatial_batchnorm_backward, backward_dout_without_transpose,
     "without moving the channel axis last"),
    (check_spatial_batchnorm_backward, backward_no_gamma, "gamma was left out of dx"),
    (check_spatial_batchnorm_backward, backward_no_eps, "without eps"),
    (check_spatial_batchnorm_forward, forward_channel_rows_not_undone,
     "reshape it to (C, N, H, W)"),
    (check_spatial_batchnorm_forward, forward_no_beta, "beta was not added"),
    (check_spatial_batchnorm_forward, forward_default_eps, "eps argument was ignored"),
    (check_fold_batchnorm, _fold_no_eps, "eps was left out"),
    (check_fold_batchnorm, _fold_eps_outside, "outside the square root"),
    (check_fold_batchnorm, _fold_default_eps, "eps argument was ignored"),
    (check_fold_batchnorm, _fold(lambda w, g, s, e, v: w / s.reshape((-1,) + (1,) * (w.ndim - 1)),
                                 _right_b), "gamma was left out of the scale"),
    (check_fold_batchnorm, _fold(_right_w, lambda b, g, bt, m, s, e, v: (b - m) / s + bt),
     "gamma was left out of the bias"),
    (check_fold_batchnorm, _fold(_right_w, lambda b, g, bt, m, s, e, v: b - m + bt),
     "the bias was not scaled at all"),
]


@pytest.mark.parametrize("check, student, words", SHARPER,
                         ids=[f"{c.__name__[6:]}-{w}" for c, _, w in SHARPER])
def test_more_mistakes_are_named(check, student, words):
    """Is each of these mistakes rejected with a message that names it (visible test too)?"""
    rejected(check, student, words)
    rejected(check, student, words, hidden=False)


@pytest.mark.parametrize("seed", [None, None, 5])
def test_the_reference_passes_every_check_at_fresh_seeds(seed):
    """Does the course's own reference, graded like a student's paste, pass every check?"""
    from tests.reference_copies import reference_copy

    copy = reference_copy("spatial")
    check_spatial_batchnorm_forward(copy["spatial_batchnorm_forward"], seed=seed, hidden=True)
    check_spatial_batchnorm_backward(copy["spatial_batchnorm_backward"], seed=seed, hidden=True)
    check_fold_batchnorm(copy["fold_batchnorm"], seed=seed, hidden=True)


def forward_no_keepdims(x, gamma, beta, eps=1e-5):
    """(C,) statistics against (N, C, H, W): they line up with W (runs only when W = C)."""
    x = _validated(x)
    mean = x.mean(axis=(0, 2, 3))
    var = ((x - mean) ** 2).mean(axis=(0, 2, 3))
    x_hat = (x - mean) / np.sqrt(var + eps)
    return _c(gamma) * x_hat + _c(beta), {"x_hat": x_hat, "mean": mean, "var": var,
                                          "gamma": gamma, "eps": eps}


def backward_m_is_size(dout, cache):
    _check_dout(dout, cache)
    x_hat, gamma = cache["x_hat"], _c(cache["gamma"])
    std = np.sqrt(_c(cache["var"]) + cache["eps"])
    m = dout.size
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    return gamma / (m * std) * (m * dout - _c(dbeta) - x_hat * _c(dgamma)), dgamma, dbeta


def backward_no_keepdims(dout, cache):
    """dbeta and dgamma of shape (C,) used in dx as they are: they line up with W."""
    _check_dout(dout, cache)
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    std = np.sqrt(cache["var"] + cache["eps"])
    m = dout.shape[0] * dout.shape[2] * dout.shape[3]
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    return gamma / (m * std) * (m * dout - dbeta - x_hat * dgamma), dgamma, dbeta


@pytest.mark.parametrize("check, student, words", [
    (check_spatial_batchnorm_forward, forward_no_keepdims, "without keepdims=True"),
    (check_spatial_batchnorm_backward, backward_m_is_size, "m = dout.size"),
    (check_spatial_batchnorm_backward, backward_no_keepdims, "without keepdims=True"),
], ids=["forward-no-keepdims", "backward-m-is-size", "backward-no-keepdims"])
def test_shape_slips_are_named(check, student, words):
    """(C,) vectors that broadcast along W, and m counting the channels: named?"""
    rejected(check, student, words)
