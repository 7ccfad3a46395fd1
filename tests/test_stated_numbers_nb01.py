"""Fact 14 for notebook 01: does every number its text states about its own run match what
the run prints?"""

import pytest

from autograder import paths
from tests.stated_numbers import Claim, assert_claims

pytestmark = [pytest.mark.nb01, pytest.mark.notebook]

NOTEBOOK = paths.source_notebook("01_standardization_vs_normalization")

CLAIMS = [
    # "constant" in floating point
    Claim(r"float32 rounds about \$(\d)\s*\\cdot\s*10\^\{(\d+)\}\$ times more coarsely",
          r"\((\d)e\+0?(\d+) times coarser\)", why="float32's eps against float64's"),
    Claim(r"the standard deviation numpy reports: \$(\d\.\d)\s*\\cdot\s*10\^\{(-\d+)\}\$",
          r"std of column 0:\s+(\d\.\d+)e(-\d+)", why="the std of ten copies of 0.1"),
    Claim(r"the column standardizes to (1) in every row",
          r"column 0 standardized:\s+\[(1)\. 1\. 1\. 1\. 1\. 1\. 1\. 1\. 1\. 1\.\]",
          why="ten copies of 0.1, standardized with their own rounding error"),
    Claim(r"a new value 0\.2 becomes \$(\d)\s*\\cdot\s*10\^\{(\d+)\}\$",
          r"standardized with that mean and std: (\d\.\d+)e\+(\d+)", why="0.2 after the 0.1s"),
    Claim(r"\$\\max - \\min = (\d\.\d)\s*\\cdot\s*10\^\{(-\d+)\}\$",
          r"max - min of \[0\.3, 0\.1 \+ 0\.2, 0\.3\] = (\d\.\d+)e(-\d+)",
          why="0.1 + 0.2 against 0.3"),
    # the wine data
    Claim(r"\*Proline\* runs from (\d+) to (\d+)",
          r"(?m)^\s*raw:\s+min \[\s*(\d+)\.\s+\d+\.\]\s+max \[\s*(\d+)\.", why="proline's range"),
    Claim(r"\*magnesium\* from (\d+) to (\d+)",
          r"(?m)^\s*raw:\s+min \[\s*\d+\.\s+(\d+)\.\]\s+max \[\s*\d+\.\s+(\d+)\.\]",
          why="magnesium's range"),
    Claim(r"magnesium's spread \(about (\d+)\)",
          r"(?m)^\s*raw:\s+min.*?std \[\s*[\d.]+\s+([\d.]+)\]", why="magnesium's std"),
    Claim(r"next to proline's \(about (\d+)\)", r"(?m)^\s*raw:\s+min.*?std \[\s*([\d.]+)\s",
          why="proline's std"),
    Claim(r"the outlier sits about (\d\.\d) standard deviations up",
          r"(?m)^\s*standardized:\s+min \[[^\]]*\]\s+max \[\s*[-\d.]+\s+([\d.]+)\]",
          why="magnesium's largest z-score"),
    # test data with their own statistics
    Claim(r"batches of 18 wines get only about half right \((0\.\d+)\)",
          r"batches of 18: random [\d.]+\s+one cultivar per batch (0\.\d+)"),
    Claim(r"because (\d+) training wines already pin", r"(\d+) training wines, \d+ test wines"),
    Claim(r"from (0\.\d+) with the training statistics", r"training statistics:\s+(0\.\d+)",
          why="the model answer of question 1: the right accuracy"),
    Claim(r"to about (0\.\d) for one-cultivar batches of six",
          r"batches of  6: random [\d.]+\s+one cultivar per batch (0\.\d+)",
          why="the model answer of question 1: one-cultivar batches of six"),
    Claim(r"and about (0\.\d) for batches of one",
          r"batches of  1: random (0\.\d+)\s+one cultivar per batch \1",
          why="the model answer of question 1: batches of one (both kinds alike)"),
    # gradient descent and conditioning
    Claim(r"With the raw feature \(mean about (\d\.\d), std about (\d\.\d+)\)",
          r"total phenols: mean (\d\.\d+), std (\d\.\d+)"),
    Claim(r"lowering \$b\$ by about \$(\d\.\d)\\,\\delta\$", r"total phenols: mean (\d\.\d+)"),
    Claim(r"the contours are circles, \$\\kappa = (\d)\$",
          r"standardized: eigenvalues of H [\d.]+, [\d.]+\s+kappa =\s+([\d.]+)"),
    Claim(r"The raw 12-feature problem has \$\\kappa \\approx 10\^(\d+)\$",
          r"12 features, raw: kappa =\s+\d\.\d+e\+0?(\d+)", why="the order of magnitude of kappa"),
    Claim(r"after 3000 steps about (\d+)% of the excess is left",
          r"12 features, raw:.*?excess loss left after 3000 steps: (\d\.\d+e-\d+)", scale=100),
    Claim(r"it would need on the order of \$10\^\{(\d+)\}\$ steps",
          r"shrink a million-fold: about \d\.\d+e\+0?(\d+)"),
    Claim(r"Standardized, the same regression converges in (\d+) steps",
          r"12 features, standardized: kappa =\s+[\d.]+\s+steps to converge: (\d+)"),
    Claim(r"What is left of \$\\kappa\$ after standardizing \(about (\d+) here\)",
          r"12 features, standardized: kappa =\s+([\d.]+)"),
]


def test_numbers_in_the_text_are_the_runs(check_notebook):
    """Does each number notebook 01 states about its run agree with what the run prints?"""
    report = check_notebook(NOTEBOOK, every_cell=True)
    assert_claims(report.executed, NOTEBOOK, CLAIMS)
