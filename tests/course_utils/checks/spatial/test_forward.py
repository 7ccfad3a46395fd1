"""Does check_spatial_batchnorm_forward (notebook 06) accept any right forward pass and name
each mistake of its catalogue?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import reference as ref
from course_utils.checks import CheckFailure, check_spatial_batchnorm_forward
from tests.helpers import accepted

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------


pytestmark = pytest.mark.nb06


def _validated(x):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError("x must be (N, C, H, W)")
    if x.shape[0] * x.shape[2] * x.shape[3] < 2:
        raise ValueError("the effective batch N * H * W must be at least 2")
    return x


def _c(v):
    return np.asarray(v).reshape(1, -1, 1, 1)


# ---- spatial_batchnorm_forward: right answers, written differently ------------------------

def forward_4d(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    mean = x.mean(axis=(0, 2, 3))
    var = ((x - _c(mean)) ** 2).mean(axis=(0, 2, 3))
    x_hat = (x - _c(mean)) / np.sqrt(_c(var) + eps)
    return _c(gamma) * x_hat + _c(beta), {"x_hat": x_hat, "mean": mean, "var": var,
                                          "gamma": gamma, "eps": eps}


def _bn2d(rows, gamma, beta, eps):
    mean = rows.mean(0)
    var = rows.var(0)
    x_hat = (rows - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, x_hat, mean, var


def forward_via_rows(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    n, c, h, w = x.shape
    out, x_hat, mean, var = _bn2d(x.transpose(0, 2, 3, 1).reshape(-1, c), gamma, beta, eps)
    back = lambda a: a.reshape(n, h, w, c).transpose(0, 3, 1, 2)  # noqa: E731
    return back(out), {"x_hat": back(x_hat), "mean": mean, "var": var, "gamma": gamma,
                       "eps": eps}


def forward_loops(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    out, x_hat = np.empty_like(x), np.empty_like(x)
    c = x.shape[1]
    mean, var = np.empty(c, x.dtype), np.empty(c, x.dtype)
    for k in range(c):
        values = x[:, k]
        mean[k] = values.sum() / values.size
        var[k] = ((values - mean[k]) ** 2).sum() / values.size
        x_hat[:, k] = (values - mean[k]) / np.sqrt(var[k] + eps)
        out[:, k] = gamma[k] * x_hat[:, k] + beta[k]
    return out, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}


def forward_float64_inside(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    out, cache = forward_4d(x.astype(np.float64), gamma.astype(np.float64),
                            beta.astype(np.float64), eps)
    cache = {k: (v.astype(x.dtype) if isinstance(v, np.ndarray) else v) for k, v in cache.items()}
    return out.astype(x.dtype), dict(cache, note="extra keys are fine")


test_right_forward_passes_accepted = accepted(
    check_spatial_batchnorm_forward, [forward_4d, forward_via_rows, forward_loops,
    forward_float64_inside], [0, 1, None],
    """Is any correct spatial forward pass accepted, however it is written?""")


# ---- spatial_batchnorm_forward: the catalogue of mistakes ---------------------------------

def _forward_with(normalize, gamma_shape=True):
    """A forward pass whose x_hat is ``normalize(x, eps)``; the cache stays right."""
    def spatial_batchnorm_forward(x, gamma, beta, eps=1e-5):
        x = _validated(x)
        _, cache = forward_4d(x, gamma, beta, eps)
        x_hat = normalize(x, eps)
        out = (_c(gamma) * x_hat + _c(beta)) if gamma_shape else gamma * x_hat + beta
        return out, cache
    return spatial_batchnorm_forward


def _over(axes, ddof=0):
    return lambda x, eps: (x - x.mean(axes, keepdims=True)) / np.sqrt(
        x.var(axes, keepdims=True, ddof=ddof) + eps)


def _reshape_without_transpose(x, eps):
    c = x.shape[1]
    rows = x.reshape(-1, c)
    return ((rows - rows.mean(0)) / np.sqrt(rows.var(0) + eps)).reshape(x.shape)


def _transpose_not_undone(x, eps):
    c = x.shape[1]
    rows = x.transpose(0, 2, 3, 1).reshape(-1, c)
    return ((rows - rows.mean(0)) / np.sqrt(rows.var(0) + eps)).reshape(x.shape)


def _eps_outside(x, eps):
    axes = (0, 2, 3)
    return (x - x.mean(axes, keepdims=True)) / (x.std(axes, keepdims=True) + eps)


def forward_gamma_on_last_axis(x, gamma, beta, eps=1e-5):
    return _forward_with(_over((0, 2, 3)), gamma_shape=False)(x, gamma, beta, eps)


def forward_swapped(x, gamma, beta, eps=1e-5):
    out, cache = forward_4d(x, gamma, beta, eps)
    return _c(beta) * cache["x_hat"] + _c(gamma), cache


def forward_rows_in_cache(x, gamma, beta, eps=1e-5):
    out, cache = forward_4d(x, gamma, beta, eps)
    return out, dict(cache, x_hat=cache["x_hat"].transpose(0, 2, 3, 1).reshape(-1, x.shape[1]))


def forward_std_in_cache(x, gamma, beta, eps=1e-5):
    out, cache = forward_4d(x, gamma, beta, eps)
    return out, dict(cache, var=np.sqrt(cache["var"]))


def forward_missing_key(x, gamma, beta, eps=1e-5):
    out, cache = forward_4d(x, gamma, beta, eps)
    del cache["gamma"]
    return out, cache


def forward_in_place(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    mean = x.mean(axis=(0, 2, 3))
    x -= _c(mean)
    return forward_4d(x, gamma, beta, eps)


def forward_upcast(x, gamma, beta, eps=1e-5):
    return forward_4d(np.asarray(x, dtype=np.float64), gamma, beta, eps)


def forward_no_validation(x, gamma, beta, eps=1e-5):
    x = np.asarray(x)
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return _c(gamma) * x_hat + _c(beta), {"x_hat": x_hat, "mean": mean.ravel(),
                                          "var": var.ravel(), "gamma": gamma, "eps": eps}


def forward_stub(x, gamma, beta, eps=1e-5):
    raise NotImplementedError()


def forward_calls_reference(x, gamma, beta, eps=1e-5):
    return ref.spatial_batchnorm_forward(x, gamma, beta, eps)


def forward_torch_functional(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    out = F.batch_norm(torch.from_numpy(x), None, None, torch.from_numpy(gamma),
                       torch.from_numpy(beta), training=True, eps=eps)
    return out.numpy(), forward_4d(x, gamma, beta, eps)[1]


def forward_torch_module(x, gamma, beta, eps=1e-5):
    x = _validated(x)
    bn = torch.nn.BatchNorm2d(x.shape[1], eps=eps).to(torch.from_numpy(x).dtype)
    with torch.no_grad():
        out = bn(torch.from_numpy(np.ascontiguousarray(x)))
    return out.numpy(), forward_4d(x, gamma, beta, eps)[1]


FORWARD_MISTAKES = [
    (_forward_with(_reshape_without_transpose), "without moving the channel axis"),
    (_forward_with(_transpose_not_undone), "reshaped straight back"),
    (_forward_with(_over(0)), "statistics per activation"),
    (_forward_with(_over((0, 2))), "statistics over (N, H) only"),
    (_forward_with(_over((2, 3))), "instance norm"),
    (_forward_with(_over((1, 2, 3))), "layer norm"),
    (_forward_with(_over(None)), "whole array"),
    (_forward_with(_over((0, 2, 3), ddof=1)), "unbiased variance"),
    (_forward_with(_eps_outside), "outside the square root"),
    (forward_gamma_on_last_axis, "broadcast along the last axis (W)"),
    (forward_swapped, "gamma and beta are swapped"),
    (forward_rows_in_cache, "2-D shape"),
    (forward_std_in_cache, "cache['var'] holds the standard deviation"),
    (forward_missing_key, "missing key(s) ['gamma']"),
    (forward_in_place, "changed its input `x` in place"),
    (forward_upcast, "expected float32"),
    (forward_no_validation, "should raise ValueError"),
    (forward_stub, "not written yet"),
    (forward_calls_reference, "course_utils.reference"),
    (forward_torch_functional, "torch's batch_norm"),
    (forward_torch_module, "torch's batch_norm"),
]


@pytest.mark.parametrize("student, words", FORWARD_MISTAKES, ids=[w for _, w in FORWARD_MISTAKES])
def test_forward_mistake_rejected_with_a_message_that_names_it(student, words):
    """Is each common forward mistake rejected, with a message that names the case and it?"""
    with pytest.raises(CheckFailure) as info:
        check_spatial_batchnorm_forward(student, seed=0, hidden=True)
    message = str(info.value)
    assert words in message, message
    assert message.startswith("case '"), message


def test_forward_failure_is_reproducible_from_its_seed():
    """Does a failure with a fresh seed report the seed, and fail again with it?"""
    wrong = _forward_with(_over((0, 2, 3), ddof=1))
    with pytest.raises(CheckFailure) as info:
        check_spatial_batchnorm_forward(wrong, seed=None)
    seed = int(str(info.value).split("seed ")[1].split(",")[0].split(")")[0])
    with pytest.raises(CheckFailure):
        check_spatial_batchnorm_forward(wrong, seed=seed)
