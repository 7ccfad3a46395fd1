"""Does check_spatial_batchnorm_backward (notebook 06) accept any right backward pass and name
each mistake of its catalogue?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import reference as ref
from course_utils.checks import CheckFailure, check_spatial_batchnorm_backward
from tests.helpers import accepted

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------
from .test_forward import _c

pytestmark = pytest.mark.nb06


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
