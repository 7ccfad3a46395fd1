"""Do the notebook 07 checks reject the mistakes students make and accept any right answer?

Every "student" here is written independently of course_utils.reference.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure, check_group_norm, check_instance_norm, check_layer_norm, check_normalize,
)

from tests.helpers import accepted

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


# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------

from tests.helpers import rejected  # noqa: E402


def layer_norm_no_affine(x, gamma, beta, eps=1e-5):
    """Forgets gamma and beta: returns x_hat."""
    x = _layer_validated(x, gamma)
    return normalize_right(x, (1,), eps)


def layer_norm_no_beta(x, gamma, beta, eps=1e-5):
    x = _layer_validated(x, gamma)
    return gamma * normalize_right(x, (1,), eps)


def layer_norm_gamma_as_column(x, gamma, beta, eps=1e-5):
    """gamma[:, None] runs only for a square batch; elsewhere it is a broadcasting error."""
    x = _layer_validated(x, gamma)
    if x.shape[0] != x.shape[1]:
        return layer_norm_right(x, gamma, beta, eps)
    return gamma[:, None] * normalize_right(x, (1,), eps) + beta[:, None]


def group_norm_no_affine(x, gamma, beta, num_groups, eps=1e-5):
    x = _group_validated(x, num_groups)
    return _grouped(x, num_groups, eps)


def group_norm_across_examples(x, gamma, beta, num_groups, eps=1e-5):
    x = _group_validated(x, num_groups)
    rows = x.reshape(num_groups, -1)
    out = normalize_right(rows, (1,), eps).reshape(x.shape)
    return gamma.reshape(1, -1, 1, 1) * out + beta.reshape(1, -1, 1, 1)


def group_norm_default_eps(x, gamma, beta, num_groups, eps=1e-5):
    return group_norm_right(x, gamma, beta, num_groups)


def group_norm_cs231n_layout(x, gamma, beta, num_groups, eps=1e-5):
    """CS231n's spatial group norm takes gamma and beta of shape (1, C, 1, 1); here (C,)."""
    x = _group_validated(x, num_groups)
    n, c, h, w = x.shape
    xg = x.reshape(n * num_groups, -1)
    x_hat = ((xg - xg.mean(1, keepdims=True)) / np.sqrt(xg.var(1, keepdims=True) + eps))
    return gamma.reshape(1, c, 1, 1) * x_hat.reshape(x.shape) + beta.reshape(1, c, 1, 1)


def group_norm_eps_outside(x, gamma, beta, num_groups, eps=1e-5):
    x = _group_validated(x, num_groups)
    n, c, h, w = x.shape
    xg = x.reshape(n, num_groups, -1)
    x_hat = (xg - xg.mean(2, keepdims=True)) / (xg.std(2, keepdims=True) + eps)
    return gamma.reshape(1, c, 1, 1) * x_hat.reshape(x.shape) + beta.reshape(1, c, 1, 1)


def normalize_no_eps(x, axes, eps=1e-5):
    mean, var = _stats(x, axes)
    return (x - mean) / np.sqrt(var)


SHARPER = [
    (check_layer_norm, layer_norm_no_affine, "gamma and beta were not applied"),
    (check_layer_norm, layer_norm_no_beta, "beta was not added"),
    (check_layer_norm, layer_norm_gamma_as_column, "applied per example (as a column"),
    (check_group_norm, group_norm_no_affine, "gamma and beta were not applied"),
    (check_group_norm, group_norm_across_examples, "x.reshape(G, -1)"),
    (check_group_norm, group_norm_default_eps, "eps argument was ignored"),
    (check_group_norm, group_norm_eps_outside, "outside the square root"),
]


@pytest.mark.parametrize("check, student, words", SHARPER,
                         ids=[f"{c.__name__[6:]}-{w}" for c, _, w in SHARPER])
def test_more_mistakes_are_named(check, student, words):
    """Is each of these mistakes rejected with a message that names it (visible test too)?"""
    rejected(check, student, words)
    rejected(check, student, words, hidden=False)


def test_normalize_without_eps_is_rejected():
    """Is a normalize that leaves eps out rejected (its small-variance and eps cases)?"""
    rejected(check_normalize, normalize_no_eps, "wrong")


def test_cs231n_style_group_norm_with_the_courses_shapes_passes():
    """A group norm written the CS231n way ((N * G, -1) rows) is right: is it accepted?"""
    check_group_norm(group_norm_cs231n_layout, seed=None, hidden=True)


@pytest.mark.parametrize("seed", [None, None, 5])
def test_the_reference_passes_every_check_at_fresh_seeds(seed):
    """Does the course's own reference, graded like a student's paste, pass every check?"""
    from tests.reference_copies import reference_copy

    copy = reference_copy("norm_family")
    check_normalize(copy["normalize"], seed=seed, hidden=True)
    check_layer_norm(copy["layer_norm"], seed=seed, hidden=True)
    check_instance_norm(copy["instance_norm"], seed=seed, hidden=True)
    check_group_norm(copy["group_norm"], seed=seed, hidden=True)
