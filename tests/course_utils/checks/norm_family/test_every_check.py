"""Across the notebook 07 checks: are the mistakes named since the checks were sharpened
named, and does the reference pass every check at fresh seeds?"""

import numpy as np
import pytest

from course_utils.checks import (
    check_group_norm,
    check_instance_norm,
    check_layer_norm,
    check_normalize,
)

# ---- mistakes named since the sharper checks; the reference at fresh seeds ---------------
from tests.helpers import rejected  # noqa: E402

from .test_group_norm import _group_validated, _grouped, group_norm_right
from .test_layer_norm import _layer_validated, layer_norm_right
from .test_normalize import _stats, normalize_right

pytestmark = pytest.mark.nb07


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
