"""Do the shared pieces of every check write messages a student can act on?"""

import numpy as np
import pytest

from course_utils.checks import CheckFailure
from course_utils.checks._core import distinct, expect_array, expect_close, expected_got


@pytest.mark.parametrize("a, b, texts", [
    (1.19752, 0.5, ("1.19752", "0.5")),                   # different at 6 digits: 6 are enough
    (1.197523, 1.197521, ("1.197523", "1.197521")),         # the seventh digit tells them apart
    (1.0, 1.0 + 2**-52, ("1", "1.0000000000000002")),       # one float apart: all 17 digits
    (np.float32(0.1), 0.1, ("0.100000001", "0.1")),         # float32 vs float64 of 0.1
])
def test_distinct_shows_the_digits_that_differ(a, b, texts):
    """Does distinct() write two close numbers with as many digits as tell them apart?"""
    assert distinct(a, b)[:2] == texts


def test_expected_got_adds_the_difference_only_when_six_digits_agree():
    """Is the relative difference given exactly when the two numbers agree to six digits?"""
    assert expected_got(2.0, 3.0) == "expected 2, got 3"
    assert expected_got(1.197523, 1.197521) == (
        "expected 1.197523, got 1.197521 (relative difference 1.7e-06)")
    assert expected_got(0.0, 1e-300).startswith("expected 0, got 1e-300")


def test_expect_array_and_expect_close_name_distinct_numbers():
    """Do the two comparison helpers write distinct numbers for values equal to six digits?"""
    expected = np.array([1.0, 1.197523])
    with pytest.raises(CheckFailure, match=r"expected 1\.197523, got 1\.197521"):
        expect_array(np.array([1.0, 1.197521]), expected, case="case 'x'", what="out")
    with pytest.raises(CheckFailure, match=r"expected 1\.197523, got 1\.197521 \(relative"):
        expect_close(1.197521, 1.197523, case="case 'x'", what="b")


def test_a_result_a_little_off_is_not_given_a_mistake_it_does_not_match_better():
    """Is "Likely mistake" kept for outputs closer to the mistake than to the right answer?"""
    expected = np.array([1.0, 2.0, 3.0])
    near_mistake = expected * (1 + 4e-6)       # within diagnose's 1e-5 of both
    mistakes = [("the mistake", lambda: expected * (1 + 8e-6))]
    with pytest.raises(CheckFailure) as info:
        expect_array(expected * (1 + 3e-6), expected, case="case 'x'", what="out",
                     mistakes=mistakes)
    assert "Likely mistake" not in str(info.value)
    with pytest.raises(CheckFailure, match="Likely mistake: the mistake"):
        expect_array(near_mistake * (1 + 4e-6), expected, case="case 'x'", what="out",
                     mistakes=mistakes)
