"""Does check_group_norm (notebook 07) accept any right answer, name each mistake of its
catalogue and report a seed that reproduces a failure?"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.checks import CheckFailure, check_group_norm
from tests.helpers import accepted

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------
from .test_normalize import _stats, normalize_right

pytestmark = pytest.mark.nb07


# ---- group_norm --------------------------------------------------------------------------

def _group_validated(x, num_groups):
    x = np.asarray(x)
    if x.ndim != 4 or num_groups < 1 or x.shape[1] % num_groups:
        raise ValueError("x must be (N, C, H, W) and num_groups divide C")
    return x


def group_norm_right(x, gamma, beta, num_groups, eps=1e-5):
    x = _group_validated(x, num_groups)
    n, c, h, w = x.shape
    grouped = normalize_right(x.reshape(n, num_groups, c // num_groups, h, w), (2, 3, 4), eps)
    return gamma.reshape(1, c, 1, 1) * grouped.reshape(x.shape) + beta.reshape(1, c, 1, 1)


def group_norm_loops(x, gamma, beta, num_groups, eps=1e-5):
    x = _group_validated(x, num_groups)
    n, c, h, w = x.shape
    size = c // num_groups
    out = np.empty_like(x)
    for i in range(n):
        for g in range(num_groups):
            block = x[i, g * size:(g + 1) * size]
            mean = block.mean()
            var = ((block - mean) ** 2).mean()
            out[i, g * size:(g + 1) * size] = (block - mean) / np.sqrt(var + eps)
    return out * gamma[:, None, None] + beta[:, None, None]


def group_norm_float64_inside(x, gamma, beta, num_groups, eps=1e-5):
    x = _group_validated(x, num_groups)
    out = group_norm_right(x.astype(np.float64), gamma.astype(np.float64),
                           beta.astype(np.float64), num_groups, eps)
    return out.astype(x.dtype)


test_right_group_norm_accepted = accepted(
    check_group_norm, [group_norm_right, group_norm_loops, group_norm_float64_inside], [0, 5, None],
    """Is any correct group_norm accepted?""")


def _group(stats):
    """group_norm whose normalized maps are ``stats(x, G, eps)``; gamma, beta per channel."""
    def group_norm(x, gamma, beta, num_groups, eps=1e-5):
        x = _group_validated(x, num_groups)
        c = x.shape[1]
        return gamma.reshape(1, c, 1, 1) * stats(x, num_groups, eps) + beta.reshape(1, c, 1, 1)
    return group_norm


def _interleaved(x, g, eps):
    n, c, h, w = x.shape
    return normalize_right(x.reshape(n, c // g, g, h, w), (1, 3, 4), eps).reshape(x.shape)


def _grouped(x, g, eps, axes=(2, 3, 4), ddof=0):
    n, c, h, w = x.shape
    xg = x.reshape(n, g, c // g, h, w)
    mean, var = _stats(xg, axes, ddof)
    return ((xg - mean) / np.sqrt(var + eps)).reshape(x.shape)


def group_norm_gamma_per_group(x, gamma, beta, num_groups, eps=1e-5):
    """Applies gamma in the grouped view, one value per group."""
    x = _group_validated(x, num_groups)
    n, c, h, w = x.shape
    xg = _grouped(x, num_groups, eps).reshape(n, num_groups, c // num_groups, h, w)
    g = gamma[:num_groups].reshape(1, num_groups, 1, 1, 1)
    b = beta[:num_groups].reshape(1, num_groups, 1, 1, 1)
    return (g * xg + b).reshape(x.shape)


def group_norm_gamma_on_last_axis(x, gamma, beta, num_groups, eps=1e-5):
    x = _group_validated(x, num_groups)
    return gamma * _grouped(x, num_groups, eps) + beta


def group_norm_uneven_groups(x, gamma, beta, num_groups, eps=1e-5):
    """np.array_split makes uneven groups where num_groups does not divide C: no error."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError("x must be (N, C, H, W)")
    out = np.empty_like(x)
    for channels in np.array_split(np.arange(x.shape[1]), num_groups):
        out[:, channels] = normalize_right(x[:, channels], (1, 2, 3), eps)
    return gamma.reshape(1, -1, 1, 1) * out + beta.reshape(1, -1, 1, 1)


def group_norm_torch(x, gamma, beta, num_groups, eps=1e-5):
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    return F.group_norm(t(x), int(num_groups), t(gamma), t(beta), eps).numpy()


GROUP_MISTAKES = [
    (_group(_interleaved), "interleaved channels"),
    (group_norm_gamma_per_group, "once per group"),
    (group_norm_gamma_on_last_axis, "broadcast along the last axis (W)"),
    (_group(lambda x, g, eps: normalize_right(x, (1, 2, 3), eps)), "num_groups was ignored"),
    (_group(lambda x, g, eps: normalize_right(x, (2, 3), eps)), "that is instance norm"),
    (_group(lambda x, g, eps: normalize_right(x, (0, 2, 3), eps)), "that is batch norm"),
    (_group(lambda x, g, eps: _grouped(x, g, eps, axes=2)), "but not its positions"),
    (_group(lambda x, g, eps: _grouped(x, g, eps, ddof=1)), "unbiased variance"),
    (group_norm_uneven_groups, "should raise ValueError"),
    (group_norm_torch, "torch's group_norm"),
]


@pytest.mark.parametrize("student, words", GROUP_MISTAKES, ids=[w for _, w in GROUP_MISTAKES])
def test_group_norm_mistake_rejected_with_a_message_that_names_it(student, words):
    """Is each group norm mistake rejected, with a message that names it?"""
    with pytest.raises(CheckFailure) as info:
        check_group_norm(student, seed=0, hidden=True)
    message = str(info.value)
    assert words in message, message
    assert message.startswith("case '"), message


def test_group_norm_failure_is_reproducible_from_its_seed():
    """Does a failure with a fresh seed report the seed, and fail again with it?"""
    wrong = _group(_interleaved)
    with pytest.raises(CheckFailure) as info:
        check_group_norm(wrong, seed=None)
    seed = int(str(info.value).split("seed ")[1].split(",")[0].split(")")[0])
    with pytest.raises(CheckFailure):
        check_group_norm(wrong, seed=seed)
