"""Does check_relative_error (notebook 04) accept any right answer and name each mistake of
its catalogue?"""

import numpy as np
import pytest
import torch

from course_utils.checks import check_relative_error
from tests.helpers import accepted, mistakes_rejected, rejected

pytestmark = pytest.mark.nb04

_rejected = rejected


# ---- relative_error ----------------------------------------------------------------------

def rel_right(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def rel_loops(a, b):
    a, b = np.atleast_1d(np.asarray(a)), np.atleast_1d(np.asarray(b))
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    worst = 0.0
    for u, v in zip(a.ravel().tolist(), b.ravel().tolist()):
        worst = max(worst, abs(u - v) / max(1e-8, abs(u) + abs(v)))
    return worst


def rel_numpy_scalar(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return (np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))).max()  # numpy scalar


test_right_relative_error_accepted = accepted(
    check_relative_error, [rel_right, rel_loops, rel_numpy_scalar], [0, 5, None],
    """Is a correct relative_error accepted, as a float or a numpy scalar, however written?""")


def _shape_guard(fn):
    def wrapped(a, b):
        if np.shape(a) != np.shape(b):
            raise ValueError("shapes differ")
        return fn(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return wrapped


REL_MISTAKES = [
    (_shape_guard(lambda a, b: np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
     "mean of the elementwise"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b)))),
     "one global ratio"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a)))),
     "|a| alone"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b)))),
     "|a + b|"),
    (_shape_guard(lambda a, b: np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
     "absolute value of a - b"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b))), "without dividing"),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))),
     ["returned nan where a and b are both 0", "1e-8 floor", "np.maximum(1e-8"]),
    (_shape_guard(lambda a, b: np.max(np.abs(a - b) / (1e-8 + np.abs(a) + np.abs(b)))),
     "floor was added"),
    (_shape_guard(lambda a, b: float(np.max(np.abs(a - b) / max(1e-8, np.abs(a) + np.abs(b))))),
     ["truth value", "Python's max()", "np.maximum"]),
    (_shape_guard(lambda a, b: np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))),
     "returned an array"),
    (lambda a, b: rel_right(*np.broadcast_arrays(a, b)), "should raise ValueError"),
    (lambda a, b: rel_right(np.ravel(a), np.ravel(b)) if np.size(a) == np.size(b)
     else rel_right(a, b), ["same size but different shapes", "not their sizes"]),
    (lambda a, b: torch.tensor(rel_right(a, b)), "torch tensor"),
]


test_relative_error_mistakes_rejected = mistakes_rejected(
    check_relative_error, REL_MISTAKES,
    """Is each wrong relative error rejected with a message naming the mistake?""",
    ids=[w if isinstance(w, str) else w[-1] for _, w in REL_MISTAKES])


def rel_error_without_validation(a, b):
    """A helper as other courses give it: right values, no ValueError for other shapes."""
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def test_pasted_rel_error_fails_only_the_value_error_case():
    """Does a right formula without the shape check fail only there, saying it is required?"""
    message = _rejected(check_relative_error, rel_error_without_validation,
                        ["arrays of different shapes", "should raise ValueError",
                         "part of the exercise's contract"])
    assert "wrong:" not in message
