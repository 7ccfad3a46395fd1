"""Does check_normalize (notebook 07) accept any right answer and name each mistake?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import reference as ref
from course_utils.checks import CheckFailure, check_normalize
from tests.helpers import accepted

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------


pytestmark = pytest.mark.nb07


def _stats(x, axes, ddof=0):
    return x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True, ddof=ddof)


# ---- normalize ---------------------------------------------------------------------------

def normalize_right(x, axes, eps=1e-5):
    mean, var = _stats(x, axes)
    return (x - mean) / np.sqrt(var + eps)


def normalize_moveaxis(x, axes, eps=1e-5):
    """Moves the axes to the end, flattens them, normalizes the last axis, moves back."""
    x = np.asarray(x)
    if any(not -x.ndim <= a < x.ndim for a in axes):
        raise ValueError(f"axes {axes} out of range")
    axes = tuple(a % x.ndim for a in axes)
    keep = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, keep + list(axes))
    flat = moved.reshape(moved.shape[:len(keep)] + (-1,))
    mean = flat.mean(-1, keepdims=True)
    out = (flat - mean) / np.sqrt(((flat - mean) ** 2).mean(-1, keepdims=True) + eps)
    return np.transpose(out.reshape(moved.shape), np.argsort(keep + list(axes)))


def normalize_float64_inside(x, axes, eps=1e-5):
    x = np.asarray(x)
    return normalize_right(x.astype(np.float64), axes, eps).astype(x.dtype)


test_right_normalize_accepted = accepted(
    check_normalize, [normalize_right, normalize_moveaxis, normalize_float64_inside], [0, 5, None],
    """Is any correct normalize accepted, however it is written?""")


def _complement(x, axes, eps=1e-5):
    pos = tuple(a % x.ndim for a in axes)
    other = tuple(a for a in range(x.ndim) if a not in pos)
    return normalize_right(x, other or None, eps)


def _first_axis_only(x, axes, eps=1e-5):
    return normalize_right(x, axes[0], eps)


def _no_keepdims(x, axes, eps=1e-5):
    return (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + eps)


def _unbiased(x, axes, eps=1e-5):
    mean, var = _stats(x, axes, ddof=1)
    return (x - mean) / np.sqrt(var + eps)


def _eps_outside(x, axes, eps=1e-5):
    mean, var = _stats(x, axes)
    return (x - mean) / (np.sqrt(var) + eps)


def _ignores_eps_argument(x, axes, eps=1e-5):
    return normalize_right(x, axes)


def _in_place(x, axes, eps=1e-5):
    x -= x.mean(axis=axes, keepdims=True)
    return x / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def _with_torch(x, axes, eps=1e-5):
    t = torch.from_numpy(np.ascontiguousarray(x))
    shape = tuple(t.shape[a] for a in axes)
    if sorted(a % t.ndim for a in axes) == list(range(t.ndim - len(axes), t.ndim)):
        return F.layer_norm(t, shape, eps=eps).numpy()
    return normalize_right(x, axes, eps)


def _stub(x, axes, eps=1e-5):
    raise NotImplementedError


NORMALIZE_MISTAKES = [
    (_complement, "*other* axes"),
    (_first_axis_only, "only the first of the axes"),
    (_no_keepdims, "without keepdims=True"),
    (_unbiased, "unbiased variance"),
    (_eps_outside, "outside the square root"),
    (_ignores_eps_argument, "eps argument was ignored"),
    (_in_place, "changed its input `x` in place"),
    (_with_torch, "torch's layer_norm"),
    (_stub, "not written yet"),
    (lambda x, axes, eps=1e-5: ref.normalize(x, axes, eps), "course_utils.reference"),
]


@pytest.mark.parametrize("student, words", NORMALIZE_MISTAKES,
                         ids=[w for _, w in NORMALIZE_MISTAKES])
def test_normalize_mistake_rejected_with_a_message_that_names_it(student, words):
    """Is each normalize mistake rejected, with a message that names it?"""
    with pytest.raises(CheckFailure) as info:
        check_normalize(student, seed=0, hidden=True)
    message = str(info.value)
    assert words in message, message
    assert message.startswith("case '"), message
