"""Does check_fold_batchnorm (notebook 06) accept any right fold, name each mistake of its
catalogue and fail hard-coded answers?"""

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import CheckFailure, check_fold_batchnorm
from tests.helpers import accepted

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------


pytestmark = pytest.mark.nb06


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
