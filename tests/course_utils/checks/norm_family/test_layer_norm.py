"""Does check_layer_norm (notebook 07) accept any right answer and name each mistake?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.checks import CheckFailure, check_layer_norm
from tests.helpers import accepted

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------
from .test_normalize import _eps_outside, _unbiased, normalize_right

pytestmark = pytest.mark.nb07


# ---- layer_norm --------------------------------------------------------------------------

def _layer_validated(x, gamma):
    x = np.asarray(x)
    if x.ndim != 2 or np.shape(gamma) != (x.shape[1],):
        raise ValueError("x must be (N, D) and gamma (D,)")
    return x


def layer_norm_right(x, gamma, beta, eps=1e-5):
    x = _layer_validated(x, gamma)
    return gamma * normalize_right(x, (1,), eps) + beta


def layer_norm_loops(x, gamma, beta, eps=1e-5):
    x = _layer_validated(x, gamma)
    out = np.empty_like(x)
    for i, row in enumerate(x):
        mean = row.sum() / row.size
        var = ((row - mean) ** 2).sum() / row.size
        out[i] = gamma * (row - mean) / np.sqrt(var + eps) + beta
    return out


def layer_norm_float64_inside(x, gamma, beta, eps=1e-5):
    x = _layer_validated(x, gamma)
    return layer_norm_right(x.astype(np.float64), gamma, beta, eps).astype(x.dtype)


test_right_layer_norm_accepted = accepted(
    check_layer_norm, [layer_norm_right, layer_norm_loops, layer_norm_float64_inside], [0, 5, None],
    """Is any correct layer_norm accepted?""")


def _layer(normalize_rows):
    def layer_norm(x, gamma, beta, eps=1e-5):
        x = _layer_validated(x, gamma)
        return gamma * normalize_rows(x, eps) + beta
    return layer_norm


def layer_norm_seed_004(x, gamma, beta, eps=1e-5):
    """Per-feature statistics across the batch: batch norm under layer norm's name."""
    x = _layer_validated(x, gamma)
    return gamma * normalize_right(x, (0,), eps) + beta


def layer_norm_swapped(x, gamma, beta, eps=1e-5):
    x = _layer_validated(x, gamma)
    return beta * normalize_right(x, (1,), eps) + gamma


def layer_norm_no_validation(x, gamma, beta, eps=1e-5):
    x = np.atleast_2d(x)
    return gamma * normalize_right(x, (1,), eps) + beta


def layer_norm_torch(x, gamma, beta, eps=1e-5):
    x = _layer_validated(x, gamma)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return F.layer_norm(t(x), (x.shape[1],), t(gamma), t(beta), eps).numpy()


LAYER_MISTAKES = [
    (layer_norm_seed_004, "seed 004"),
    (_layer(lambda x, eps: (x - x.mean(1)) / np.sqrt(x.var(1) + eps)),
     "could not be broadcast together with shapes (8,5) (8,)"),
    (_layer(lambda x, eps: _unbiased(x, (1,), eps)), "unbiased variance"),
    (_layer(lambda x, eps: _eps_outside(x, (1,), eps)), "outside the square root"),
    (_layer(lambda x, eps: normalize_right(x, None, eps)), "whole array"),
    (layer_norm_swapped, "gamma and beta are swapped"),
    (layer_norm_no_validation, "should raise ValueError"),
    (layer_norm_torch, "torch's layer_norm"),
]


@pytest.mark.parametrize("student, words", LAYER_MISTAKES, ids=[w for _, w in LAYER_MISTAKES])
def test_layer_norm_mistake_rejected_with_a_message_that_names_it(student, words):
    """Is each layer norm mistake rejected, with a message that names it?"""
    with pytest.raises(CheckFailure) as info:
        check_layer_norm(student, seed=0, hidden=True)
    message = str(info.value)
    assert words in message, message


def test_layer_norm_without_keepdims_named_where_it_broadcasts():
    """For a square batch a missing keepdims broadcasts silently: is it named?"""
    def no_keepdims(x, gamma, beta, eps=1e-5):
        x = _layer_validated(x, gamma)
        if x.shape[0] != x.shape[1]:     # right where the shapes would not broadcast
            return layer_norm_right(x, gamma, beta, eps)
        return gamma * (x - x.mean(1)) / np.sqrt(x.var(1) + eps) + beta
    with pytest.raises(CheckFailure) as info:
        check_layer_norm(no_keepdims, seed=0)
    assert "without keepdims" in str(info.value), str(info.value)
