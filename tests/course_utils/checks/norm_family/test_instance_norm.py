"""Does check_instance_norm (notebook 07) accept any right answer and name each mistake?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.checks import CheckFailure, check_instance_norm
from tests.helpers import accepted

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------
from .test_normalize import _unbiased, normalize_right

pytestmark = pytest.mark.nb07


# ---- instance_norm -----------------------------------------------------------------------

def instance_norm_right(x, eps=1e-5):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError("x must be (N, C, H, W)")
    return normalize_right(x, (2, 3), eps)


def instance_norm_flattened(x, eps=1e-5):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError("x must be (N, C, H, W)")
    n, c, h, w = x.shape
    maps = x.reshape(n * c, h * w)
    return normalize_right(maps, (1,), eps).reshape(x.shape)


test_right_instance_norm_accepted = accepted(
    check_instance_norm, [instance_norm_right, instance_norm_flattened], [0, 5, None],
    """Is any correct instance_norm accepted?""")


def _instance(axes_or_fn):
    def instance_norm(x, eps=1e-5):
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError("x must be (N, C, H, W)")
        if callable(axes_or_fn):
            return axes_or_fn(x, eps)
        return normalize_right(x, axes_or_fn, eps)
    return instance_norm


def instance_norm_torch(x, eps=1e-5):
    return F.instance_norm(torch.from_numpy(np.ascontiguousarray(x)), eps=eps).numpy()


INSTANCE_MISTAKES = [
    (_instance((0, 2, 3)), "that is batch norm"),
    (_instance((1, 2, 3)), "that is layer norm"),
    (_instance((2,)), "over H only"),
    (_instance(lambda x, eps: _unbiased(x, (2, 3), eps)), "unbiased variance"),
    (_instance(lambda x, eps: (x - x.mean((2, 3))) / np.sqrt(x.var((2, 3)) + eps)),
     "could not be broadcast"),
    (_instance(lambda x, eps: normalize_right(x, (2, 3)) if x.shape[0] > 0 else x),
     "largest error"),
    (lambda x, eps=1e-5: normalize_right(np.asarray(x), (-2, -1), eps),
     "should raise ValueError"),
    (instance_norm_torch, "torch's instance_norm"),
]


@pytest.mark.parametrize("student, words", INSTANCE_MISTAKES,
                         ids=[w for _, w in INSTANCE_MISTAKES])
def test_instance_norm_mistake_rejected_with_a_message_that_names_it(student, words):
    """Is each instance norm mistake rejected, with a message that names it?"""
    with pytest.raises(CheckFailure) as info:
        check_instance_norm(student, seed=0, hidden=True)
    message = str(info.value)
    assert words in message, message


def test_instance_norm_without_keepdims_named_where_it_broadcasts():
    """Where (N, C) = (H, W), a missing keepdims broadcasts silently: is it named?"""
    def no_keepdims(x, eps=1e-5):
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError("rank")
        if x.shape[:2] != x.shape[2:]:   # right where the shapes would not broadcast
            return normalize_right(x, (2, 3), eps)
        return (x - x.mean((2, 3))) / np.sqrt(x.var((2, 3)) + eps)
    with pytest.raises(CheckFailure) as info:
        check_instance_norm(no_keepdims, seed=0)
    assert "without keepdims" in str(info.value), str(info.value)
