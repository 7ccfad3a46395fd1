"""Does check_lr_at (notebook 08) accept a right schedule, returned as a Python float, and name
each mistake of its catalogue?"""

import math

import numpy as np
import pytest

from course_utils.checks import check_lr_at
from tests.helpers import accepted, mistakes_rejected, rejected

pytestmark = pytest.mark.nb08

_rejected = rejected


# =========================================================================================
# lr_at
# =========================================================================================

def _lr_validate(kind, t, every):
    if kind not in ("step", "linear", "inverse_sqrt"):
        raise ValueError(f"unknown kind {kind}")
    if t < 0 or every < 1:
        raise ValueError("bad t or every")


def lr_right(kind, lr0, t, total_steps, drop=0.1, every=10):
    _lr_validate(kind, t, every)
    if kind == "step":
        return lr0 * drop ** (t // every)
    if kind == "linear":
        return lr0 * max(0.0, 1 - t / total_steps)
    return lr0 / math.sqrt(t + 1)


def lr_numpy(kind, lr0, t, total_steps, drop=0.1, every=10):
    """numpy scalars and np.clip: also right."""
    _lr_validate(kind, t, every)
    table = {"step": lambda: lr0 * np.power(drop, np.floor_divide(t, every)),
             "linear": lambda: lr0 * np.clip(1 - t / total_steps, 0, None),
             "inverse_sqrt": lambda: lr0 * (t + 1) ** -0.5}
    return table[kind]()


test_right_lr_at_accepted = accepted(
    check_lr_at, [lr_right, lr_numpy], [0, 4, None],
    """Is a correct schedule accepted, with Python or numpy numbers?""")


def _lr_with(step=None, linear=None, inverse=None):
    """A right lr_at with one schedule replaced by a wrong formula."""
    def lr_at(kind, lr0, t, total_steps, drop=0.1, every=10):
        _lr_validate(kind, t, every)
        if kind == "step":
            return step(lr0, t, total_steps, drop, every) if step else lr0 * drop ** (t // every)
        if kind == "linear":
            return linear(lr0, t, total_steps) if linear else lr0 * max(0.0, 1 - t / total_steps)
        return inverse(lr0, t) if inverse else lr0 / math.sqrt(t + 1)
    return lr_at


def lr_no_kind_check(kind, lr0, t, total_steps, drop=0.1, every=10):
    if t < 0 or every < 1:
        raise ValueError("bad")
    if kind == "step":
        return lr0 * drop ** (t // every)
    if kind == "linear":
        return lr0 * max(0.0, 1 - t / total_steps)
    return lr0 / math.sqrt(t + 1)                      # anything else: inverse_sqrt


LR_MISTAKES = [
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * drop ** t), "decays every step"),
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * drop ** ((t + 1) // every)),
     "one step early"),
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * drop ** (t / every)),
     "smooth exponential"),
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * drop ** (t // 10)),
     "`every` argument was ignored"),
    (_lr_with(step=lambda lr0, t, T, drop, every: lr0 * 0.1 ** (t // every)),
     "`drop` argument was ignored"),
    (_lr_with(inverse=lambda lr0, t: lr0 / math.sqrt(t)), "divides by zero at t = 0"),
    (_lr_with(inverse=lambda lr0, t: lr0 / np.sqrt(np.float64(t))), "divides by zero at t = 0"),
    (_lr_with(inverse=lambda lr0, t: lr0 / (t + 1)), "without the square root"),
    (_lr_with(linear=lambda lr0, t, T: lr0 * (1 - t / T)), "went below 0"),
    (_lr_with(linear=lambda lr0, t, T: lr0 * max(0.0, 1 - (t + 1) / T)), "off by one"),
    (lr_no_kind_check, "should raise ValueError"),
    (lambda kind, lr0, t, total_steps, drop=0.1, every=10: np.array(
        [lr_right(kind, lr0, t, total_steps, drop, every)]), "single number"),
]


test_lr_mistakes_rejected = mistakes_rejected(
    check_lr_at, LR_MISTAKES,
    """Is each wrong schedule rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(LR_MISTAKES)])


# =========================================================================================
# lr_at returns a Python float; early_stopping_epoch keeps the earliest of equal losses
# =========================================================================================

def lr_float_subclass(kind, lr0, t, total_steps, drop=0.1, every=10):
    """numpy's float64 subclasses float: a rate that is one is a Python float."""
    return np.float64(lr_right(kind, lr0, t, total_steps, drop, every))


@pytest.mark.parametrize("seed", [0, None])
def test_numpy_float64_counts_as_a_python_float(seed):
    """Is a rate returned as np.float64 (a subclass of float) accepted?"""
    check_lr_at(lr_float_subclass, seed=seed, hidden=True)


def _lr_returning(wrap):
    def lr_at(kind, lr0, t, total_steps, drop=0.1, every=10):
        return wrap(lr_right(kind, lr0, t, total_steps, drop, every))
    return lr_at


def lr_int_zero(kind, lr0, t, total_steps, drop=0.1, every=10):
    """Right everywhere, but the linear schedule's 0 after total_steps is the int 0."""
    _lr_validate(kind, t, every)
    if kind == "linear" and t >= total_steps:
        return 0
    return lr_right(kind, lr0, t, total_steps, drop, every)


def lr_swapped_signature(kind, lr0, t, total_steps, every=10, drop=0.1):
    _lr_validate(kind, t, every)
    return lr_right(kind, lr0, t, total_steps, drop=drop, every=every)


def lr_swapped_signature_unchecked(kind, lr0, t, total_steps, every=10, drop=0.1):
    if kind == "step":
        return lr0 * drop ** (t // every)
    return lr_right(kind, lr0, t, total_steps, drop=drop, every=every)


def lr_refuses_numpy_integers(kind, lr0, t, total_steps, drop=0.1, every=10):
    if not isinstance(t, int):
        raise ValueError(f"t must be an int, got {type(t).__name__}")
    return lr_right(kind, lr0, t, total_steps, drop, every)


LR_TYPE_MISTAKES = [
    (_lr_returning(np.asarray), "0-d numpy array"),
    (_lr_returning(lambda v: np.array(v).reshape(())), "0-d numpy array"),
    (_lr_returning(np.float32), "numpy float32"),
    (lr_int_zero, "integer 0"),
    (_lr_returning(lambda v: __import__("fractions").Fraction(v)), "Python float"),
    (lr_swapped_signature, "passed by position"),
    (lr_swapped_signature_unchecked, "passed by position"),
    (lr_refuses_numpy_integers, "t a numpy integer"),
]


test_lr_at_must_be_a_python_float_and_take_the_signatures_order = mistakes_rejected(
    check_lr_at, LR_TYPE_MISTAKES,
    """Is a rate that is not a Python float, or a signature in another order, rejected by name?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(LR_TYPE_MISTAKES)])


def test_a_zero_d_array_is_refused_in_the_visible_test_too():
    """Does the visible test (seed 0, not hidden) already refuse a 0-d array?"""
    _rejected(check_lr_at, _lr_returning(np.asarray), "0-d numpy array", hidden=False)
