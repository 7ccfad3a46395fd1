"""Fact 14 for notebook 03: does every number its text states about its own run match what
the run prints (the {4, 5, 6} example, worked by hand, included: the notebook computes it)?"""

import pytest

from autograder import paths
from tests.stated_numbers import Claim, assert_claims

pytestmark = [pytest.mark.nb03, pytest.mark.notebook]

NOTEBOOK = paths.source_notebook("03_bn_forward")

X_HAT = r"x_hat \[(-\d\.\d+)\s+(0)\.\s+(\d\.\d+)\]"

CLAIMS = [
    Claim(r"The mean is (\d) and the biased variance", r"mean (\d)\.0\s+biased variance"),
    Claim(r"\\approx \\\{(-\d\.\d+),\\;\s*(0),\\;\s*(\d\.\d+)\\\}", X_HAT,
          why="{4, 5, 6} normalized, worked by hand"),
    Claim(r"variance \$0\.0000\\overline\{6\} \\approx (\d\.\d)\s*\\cdot\s*10\^\{(-\d+)\}\$",
          r"variance of \{-0\.01, 0, 0\.01\}: (\d\.\d+)e(-\d+)", why="the seed's {-0.01, 0, 0.01}"),
    Claim(r"normalizes to about `\{(-\d\.\d+), (0), (\d\.\d+)\}`", X_HAT, why="the summary"),
    Claim(r"falls from (0\.\d+) in layer 1 to (0\.\d+) in layer 8",
          r"without BN: (0\.\d+)(?: 0\.\d+){6} (0\.\d+)\n", why="the plain network's stds"),
    Claim(r"keep a standard deviation of (0\.\d+) in every layer",
          r"with BN:\s+(0\.\d+)(?: \1){7}\n", why="the same std in all 8 layers with BN"),
]


def test_numbers_in_the_text_are_the_runs(check_notebook):
    """Does each number notebook 03 states about its run agree with what the run prints?"""
    report = check_notebook(NOTEBOOK, every_cell=True)
    assert_claims(report.executed, NOTEBOOK, CLAIMS)
