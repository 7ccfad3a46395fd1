"""Do the notebook 06 checks reject the mistakes students make and accept any right answer?

Every "student" here is written independently of course_utils.reference (the checks reject
calls into it).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure, check_fold_batchnorm, check_spatial_batchnorm_backward,
    check_spatial_batchnorm_forward,
)

from tests.helpers import accepted

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


# ---- spatial_batchnorm_backward ----------------------------------------------------------

def _check_dout(dout, cache):
    if np.shape(dout) != np.shape(cache["x_hat"]):
        raise ValueError("dout must have the shape of x")


def backward_4d(dout, cache):
    _check_dout(dout, cache)
    x_hat, gamma = cache["x_hat"], _c(cache["gamma"])
    std = np.sqrt(_c(cache["var"]) + cache["eps"])
    m = dout.shape[0] * dout.shape[2] * dout.shape[3]
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    dx = gamma / (m * std) * (m * dout - _c(dbeta) - x_hat * _c(dgamma))
    return dx, dgamma, dbeta


def backward_via_rows(dout, cache):
    _check_dout(dout, cache)
    n, c, h, w = dout.shape
    rows = lambda a: a.transpose(0, 2, 3, 1).reshape(-1, c)  # noqa: E731
    d, xh = rows(dout), rows(cache["x_hat"])
    std = np.sqrt(cache["var"] + cache["eps"])
    m = d.shape[0]
    dbeta, dgamma = d.sum(0), (d * xh).sum(0)
    dx = cache["gamma"] / (m * std) * (m * d - dbeta - xh * dgamma)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def backward_staged(dout, cache):
    """Stage by stage along the graph: x_hat -> (x - mu) and ivar -> var -> mu -> x."""
    _check_dout(dout, cache)
    axes = (0, 2, 3)
    m = dout.shape[0] * dout.shape[2] * dout.shape[3]
    x_hat, gamma = cache["x_hat"], _c(cache["gamma"])
    std = np.sqrt(_c(cache["var"]) + cache["eps"])
    xmu = x_hat * std
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx_hat = dout * gamma
    divar = (dx_hat * xmu).sum(axis=axes, keepdims=True)
    dxmu1 = dx_hat / std
    dstd = -divar / std**2
    dvar = 0.5 * dstd / std
    dxmu2 = 2 * xmu * dvar / m
    dmu = -(dxmu1 + dxmu2).sum(axis=axes, keepdims=True)
    dx = dxmu1 + dxmu2 + dmu / m
    return dx, dgamma, dbeta


def backward_float64_inside(dout, cache):
    dtype = np.asarray(dout).dtype
    cache64 = {k: (np.asarray(v, np.float64) if k != "eps" else v) for k, v in cache.items()
               if k in ("x_hat", "var", "gamma", "eps")}
    return tuple(a.astype(dtype) for a in backward_4d(np.asarray(dout, np.float64), cache64))


test_right_backward_passes_accepted = accepted(
    check_spatial_batchnorm_backward, [backward_4d, backward_via_rows, backward_staged,
    backward_float64_inside], [0, 7, None],
    """Is any correct spatial backward pass accepted, however it is written?""")


def _backward_dx(dx_of):
    """A backward pass with dgamma and dbeta right and dx from ``dx_of(dout, cache)``."""
    def spatial_batchnorm_backward(dout, cache):
        _, dgamma, dbeta = backward_4d(dout, cache)
        return dx_of(dout, cache), dgamma, dbeta
    return spatial_batchnorm_backward


def _dx_with_m_images(dout, cache):
    x_hat, gamma = cache["x_hat"], _c(cache["gamma"])
    std = np.sqrt(_c(cache["var"]) + cache["eps"])
    m = dout.shape[0]
    return gamma / (m * std) * (m * dout - dout.sum((0, 2, 3), keepdims=True)
                                - x_hat * (dout * x_hat).sum((0, 2, 3), keepdims=True))


def _dx_rows_without_transpose(dout, cache):
    c = dout.shape[1]
    d, xh = dout.reshape(-1, c), cache["x_hat"].reshape(-1, c)
    std = np.sqrt(cache["var"] + cache["eps"])
    m = d.shape[0]
    return (cache["gamma"] / (m * std) * (m * d - d.sum(0) - xh * (d * xh).sum(0))).reshape(
        dout.shape)


def _dx_ignores_statistics(dout, cache):
    return _c(cache["gamma"]) * dout / np.sqrt(_c(cache["var"]) + cache["eps"])


def _dx_no_variance_term(dout, cache):
    return _c(cache["gamma"]) / np.sqrt(_c(cache["var"]) + cache["eps"]) * (
        dout - dout.mean((0, 2, 3), keepdims=True))


def backward_sums_over_images_only(dout, cache):
    dx, _, _ = backward_4d(dout, cache)
    return dx, (dout * cache["x_hat"]).sum(0), dout.sum(0)


def backward_keepdims(dout, cache):
    dx, dgamma, dbeta = backward_4d(dout, cache)
    return dx, _c(dgamma), _c(dbeta)


def backward_swapped(dout, cache):
    dx, dgamma, dbeta = backward_4d(dout, cache)
    return dx, dbeta, dgamma


def backward_no_validation(dout, cache):
    x_hat, gamma = cache["x_hat"], _c(cache["gamma"])
    std = np.sqrt(_c(cache["var"]) + cache["eps"])
    m = x_hat.shape[0] * x_hat.shape[2] * x_hat.shape[3]
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    return gamma / (m * std) * (m * dout - _c(dbeta) - x_hat * _c(dgamma)), dgamma, dbeta


def backward_changes_cache(dout, cache):
    result = backward_4d(dout, cache)
    cache["x_hat"] *= 1.0
    cache["var"] = cache["var"] + 0.0
    cache["gamma"] = None
    return result


def backward_calls_reference(dout, cache):
    return ref.spatial_batchnorm_backward(dout, cache)


def backward_torch_autograd(dout, cache):
    """Rebuilds x from the cache and differentiates torch's batch norm."""
    _check_dout(dout, cache)
    x = torch.from_numpy(np.asarray(cache["x"])).requires_grad_()
    g = torch.from_numpy(np.asarray(cache["gamma"])).requires_grad_()
    b = torch.zeros_like(g, requires_grad=True)
    F.batch_norm(x, None, None, g, b, training=True, eps=cache["eps"]).backward(
        torch.from_numpy(np.ascontiguousarray(dout)))
    return x.grad.numpy(), g.grad.numpy(), b.grad.numpy()


BACKWARD_MISTAKES = [
    (_backward_dx(_dx_with_m_images), "m = N"),
    (_backward_dx(_dx_rows_without_transpose), "without moving the channel axis"),
    (_backward_dx(_dx_ignores_statistics), "ignores that the mean and variance depend on x"),
    (_backward_dx(_dx_no_variance_term), "missing the x_hat * sum(dout * x_hat) term"),
    (backward_sums_over_images_only, "sum over all of (N, H, W)"),
    (backward_keepdims, "without keepdims"),
    (backward_swapped, "dgamma's formula"),
    (backward_no_validation, "should raise ValueError"),
    (backward_changes_cache, "changed its input `cache` in place"),
    (backward_calls_reference, "course_utils.reference"),
    (backward_torch_autograd, "torch's batch_norm"),
]


@pytest.mark.parametrize("student, words", BACKWARD_MISTAKES,
                         ids=[w for _, w in BACKWARD_MISTAKES])
def test_backward_mistake_rejected_with_a_message_that_names_it(student, words):
    """Is each common backward mistake rejected, with a message that names it?"""
    with pytest.raises(CheckFailure) as info:
        check_spatial_batchnorm_backward(student, seed=0, hidden=True)
    message = str(info.value)
    assert words in message, message
    assert message.startswith("case '"), message


def test_backward_is_graded_without_the_students_forward():
    """Does the backward check work from the reference cache alone (no student forward)?"""
    check_spatial_batchnorm_backward(backward_via_rows, seed=11, hidden=True)


# ---- fold_batchnorm ----------------------------------------------------------------------

def _fold_validated(weight, bias, gamma, *vectors):
    weight = np.asarray(weight)
    c_out = weight.shape[0]
    bias = np.zeros(c_out, weight.dtype) if bias is None else np.asarray(bias)
    if any(np.shape(v) != (c_out,) for v in (bias, gamma, *vectors)):
        raise ValueError("every per-channel vector needs C_out entries")
    return weight, bias


def fold_right(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    weight, bias = _fold_validated(weight, bias, gamma, beta, running_mean, running_var)
    s = gamma / np.sqrt(running_var + eps)
    return weight * s.reshape((-1,) + (1,) * (weight.ndim - 1)), (bias - running_mean) * s + beta


def fold_loops(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    weight, bias = _fold_validated(weight, bias, gamma, beta, running_mean, running_var)
    new_w, new_b = np.empty_like(weight), np.empty_like(bias)
    for k in range(weight.shape[0]):
        s = gamma[k] / np.sqrt(running_var[k] + eps)
        new_w[k] = weight[k] * s
        new_b[k] = (bias[k] - running_mean[k]) * s + beta[k]
    return new_w, new_b


def fold_float64_inside(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    dtype = np.asarray(weight).dtype
    args = [None if a is None else np.asarray(a, np.float64)
            for a in (weight, bias, gamma, beta, running_mean, running_var)]
    w, b = fold_right(*args, eps=eps)
    return w.astype(dtype), b.astype(dtype)


def fold_with_moveaxis(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    weight, bias = _fold_validated(weight, bias, gamma, beta, running_mean, running_var)
    s = gamma / np.sqrt(running_var + eps)
    w = np.moveaxis(np.moveaxis(weight, 0, -1) * s, -1, 0)
    return w, beta + s * (bias - running_mean)


test_right_folds_accepted = accepted(
    check_fold_batchnorm, [fold_right, fold_loops, fold_float64_inside, fold_with_moveaxis], [0, 3,
    None],
    """Is any correct fold accepted, for convolution and linear weights, bias or not?""")


def _fold(weight_of, bias_of):
    def fold_batchnorm(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
        weight, b = _fold_validated(weight, bias, gamma, beta, running_mean, running_var)
        std = np.sqrt(running_var + eps)
        return weight_of(weight, gamma, std, eps, running_var), bias_of(
            b, gamma, beta, running_mean, std, eps, running_var)
    return fold_batchnorm


def _right_w(w, gamma, std, eps, var):
    return w * (gamma / std).reshape((-1,) + (1,) * (w.ndim - 1))


def _right_b(b, gamma, beta, mean, std, eps, var):
    return (b - mean) * gamma / std + beta


def _w_input_channels(w, gamma, std, eps, var):
    return w * (gamma / std).reshape((1, -1) + (1,) * (w.ndim - 2))


def _w_conv_only(w, gamma, std, eps, var):
    return w * (gamma / std)[:, None, None, None]


def _w_eps_outside(w, gamma, std, eps, var):
    return w * (gamma / (np.sqrt(var) + eps)).reshape((-1,) + (1,) * (w.ndim - 1))


def fold_bias_none_crashes(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    s = gamma / np.sqrt(running_var + eps)
    return (weight * s.reshape((-1,) + (1,) * (weight.ndim - 1)),
            (bias - running_mean) * s + beta)


def fold_returns_none_bias(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    w, b = fold_right(weight, bias, gamma, beta, running_mean, running_var, eps)
    return w, (None if bias is None else b)


def fold_in_place(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    weight, b = _fold_validated(weight, bias, gamma, beta, running_mean, running_var)
    s = gamma / np.sqrt(running_var + eps)
    weight *= s.reshape((-1,) + (1,) * (weight.ndim - 1))
    return weight, (b - running_mean) * s + beta


def fold_with_torch(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
    from torch.nn.utils.fusion import fuse_conv_bn_weights

    t = lambda a: None if a is None else torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    w, b = fuse_conv_bn_weights(t(weight), t(bias), t(running_mean), t(running_var), eps,
                                t(gamma), t(beta))
    return w.detach().numpy(), b.detach().numpy()


FOLD_MISTAKES = [
    (_fold(_w_input_channels, _right_b), "applied to the input channels"),
    (_fold(_w_conv_only, _right_b), "reshaped to (C_out,) + (1,) * (weight.ndim - 1)"),
    (_fold(_w_eps_outside, _right_b), "outside the square root"),
    (_fold(lambda w, g, s, e, v: w * g.reshape((-1,) + (1,) * (w.ndim - 1)), _right_b),
     "multiplied by gamma alone"),
    (_fold(_right_w, lambda b, g, bt, m, s, e, v: bt - m * g / s), "old bias was forgotten"),
    (_fold(_right_w, lambda b, g, bt, m, s, e, v: b + bt - m * g / s), "was not scaled"),
    (_fold(_right_w, lambda b, g, bt, m, s, e, v: b * g / s + bt),
     "running mean was not subtracted"),
    (_fold(_right_w, lambda b, g, bt, m, s, e, v: (b + m) * g / s + bt),
     "added instead of subtracted"),
    (_fold(_right_w, lambda b, g, bt, m, s, e, v: (b - m) * g / s), "beta was not added"),
    (fold_bias_none_crashes, "bias=None, treated as 0"),
    (fold_returns_none_bias, "the folded bias is None"),
    (fold_in_place, "changed its input `weight` in place"),
    (fold_with_torch, "fuse_conv_bn_weights"),
]


@pytest.mark.parametrize("student, words", FOLD_MISTAKES, ids=[w for _, w in FOLD_MISTAKES])
def test_fold_mistake_rejected_with_a_message_that_names_it(student, words):
    """Is each folding mistake rejected, with a message that names it?"""
    with pytest.raises(CheckFailure) as info:
        check_fold_batchnorm(student, seed=0, hidden=True)
    message = str(info.value)
    assert words in message, message


def _memorised_fold():
    """Answers to the visible fold test (seed 0), as a student could copy them out."""
    import course_utils.checks.spatial.fold as cs
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    memo = {}
    for _, w, b, g, bt, m, v, e in cs._fold_cases(seed, rng, hidden=False):
        memo[np.asarray(w).tobytes()] = ref.fold_batchnorm(w, b, g, bt, m, v, e)

    def fold_batchnorm(weight, bias, gamma, beta, running_mean, running_var, eps=1e-5):
        _fold_validated(weight, bias, gamma, beta, running_mean, running_var)
        w, b = memo.get(np.asarray(weight).tobytes(),
                        (np.zeros_like(weight), np.zeros(np.shape(weight)[0])))
        return w.copy(), b.copy()
    return fold_batchnorm


def test_hard_coded_fold_passes_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    student = _memorised_fold()
    check_fold_batchnorm(student, seed=0)
    with pytest.raises(CheckFailure):
        check_fold_batchnorm(student, seed=4242, hidden=True)


# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------

from tests.helpers import rejected  # noqa: E402


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
