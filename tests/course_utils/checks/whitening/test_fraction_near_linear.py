"""Does check_fraction_near_linear (notebook 02) accept any right answer and name each
mistake of its catalogue?"""

import numpy as np
import pytest

from course_utils.checks import check_fraction_near_linear
from tests.helpers import accepted
from tests.helpers import rejected as _rejects

pytestmark = pytest.mark.nb02


# ---- fraction_near_linear ------------------------------------------------------------------

def _nonempty(z):
    z = np.asarray(z)
    if z.size == 0:
        raise ValueError("z is empty")
    return z


def frac_right(z, tol=0.01):
    z = _nonempty(z)
    s = 1 / (1 + np.exp(-z))  # overflows (with a warning) for z < -709: still right
    return float(np.mean(np.abs(s - (0.5 + z / 4)) < tol))


def frac_loops_float32(z, tol=0.01):
    z = _nonempty(z).ravel()
    inside = 0
    for v in z:
        s = 0.5 * (1 + np.tanh(np.float32(v) / 2))
        inside += abs(s - (0.5 + v / 4)) < tol
    return inside / len(z)


def frac_numpy_scalar(z, tol=0.01):
    z = _nonempty(z)
    return np.count_nonzero(np.abs(0.5 * (1 + np.tanh(z / 2)) - 0.5 - z / 4) < tol) / z.size


test_right_fraction_accepted = accepted(
    check_fraction_near_linear, [frac_right, frac_loops_float32, frac_numpy_scalar], [0, 11, None],
    """Is any correct fraction_near_linear accepted (float32 inside, numpy scalars too)?""")


def _frac(gap):
    def fraction_near_linear(z, tol=0.01):
        z = _nonempty(z).astype(np.float64)
        return float(np.mean(gap(z, 1 / (1 + np.exp(-z)), tol)))
    return fraction_near_linear


FRAC_MISTAKES = [
    (_frac(lambda z, s, tol: np.abs(s - (0.5 + z / 2)) < tol), "slope 1/2"),
    (_frac(lambda z, s, tol: np.abs(s - (0.5 + z)) < tol), "slope 1"),
    (_frac(lambda z, s, tol: np.abs(s - z / 4) < tol), "without the 0.5"),
    (_frac(lambda z, s, tol: np.abs(np.tanh(z) - (0.5 + z / 4)) < tol), "tanh"),
    (_frac(lambda z, s, tol: s - (0.5 + z / 4) < tol), "absolute value is missing"),
    (_frac(lambda z, s, tol: np.abs(s - (0.5 + z / 4)) >= tol), "outside"),
    (_frac(lambda z, s, tol: np.abs(s - (0.5 + z / 4)) < 0.01), "default tol"),
    (lambda z, tol=0.01: float(np.sum(np.abs(1 / (1 + np.exp(-_nonempty(z))) - 0.5
                                             - _nonempty(z) / 4) < tol)), "count"),
    (lambda z, tol=0.01: np.abs(1 / (1 + np.exp(-_nonempty(z))) - 0.5 - _nonempty(z) / 4) < tol,
     "one number"),
    (lambda z, tol=0.01: frac_right(z, tol) if np.size(z) else 0.0, "should raise ValueError"),
]


@pytest.mark.parametrize("student, words", FRAC_MISTAKES,
                         ids=[str(w) for _, w in FRAC_MISTAKES])
def test_fraction_mistakes_rejected(student, words):
    """Is each mistake about the sigmoid's linear regime rejected with a message naming it?"""
    _rejects(check_fraction_near_linear, student, words)


def test_fraction_wrong_in_the_seventh_digit_reads_as_two_different_numbers():
    """Off by 1e-7, does the message show two different fractions (not "0.5705, got 0.5705")
    and how far apart they are?"""
    message = _rejects(check_fraction_near_linear, lambda z, tol=0.01: frac_right(z, tol) + 1e-7,
                       "the fraction is wrong")
    expected, got = message.split("expected ", 1)[1].split(" (")[0].split(", got ")
    assert expected != got and abs(float(got) - float(expected) - 1e-7) < 1e-9, message
    assert "relative difference" in message, message
    assert "Likely mistake" not in message, message  # the default tol is right here: no hint
