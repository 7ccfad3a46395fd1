"""Fact 14 for notebook 02: does every number its text states about its own run match what
the run prints? (Timings are not stated: they depend on the machine; the text gives the
expected growth and the cell prints the measured one next to it.)"""

import pytest

from autograder import paths
from tests.stated_numbers import Claim, assert_claims

pytestmark = [pytest.mark.nb02, pytest.mark.notebook]

NOTEBOOK = paths.source_notebook("02_whitening_pitfalls")

WHITENED = r"covariance of the whitened batch: (\d+) eigenvalues 1, (\d+) eigenvalues 0"
GAIN = r"eigenvalues of W: \d+ of 64 are about (\d+) \(= 1/sqrt\(eps\)\)"
WITHIN_001 = r"unit-normal inputs within 0\.01 of the tangent line: (0\.\d+)"

CLAIMS = [
    Claim(r"but the correlation of (0\.\d) is untouched",
          r"each feature standardized: correlation of the two features \+(0\.\d+)"),
    Claim(r"grows \$8\^2 = (\d+)\$-fold", r"D\^2 for the products: (\d+)",
          why="the growth the products predict"),
    Claim(r"grows up to \$8\^3 = (\d+)\$-fold", r"D\^3 for the eigendecomposition: up to (\d+)",
          why="the growth the eigendecomposition predicts"),
    Claim(r"its factor finite \(at most \$1/\\sqrt\{\\epsilon\} \\approx (\d+)\$\)", GAIN),
    Claim(r"keeps \$1/\\sqrt\{\\lambda \+ \\epsilon\}\$ finite, at \$1/\\sqrt\{10\^\{-5\}\} "
          r"\\approx (\d+)\$", GAIN),
    Claim(r"white\" only in the (\d+) directions it spans \(eigenvalues 1; the other (\d+) are 0",
          WHITENED),
    Claim(r"those are multiplied by about (\d+)", GAIN),
    Claim(r"it is (\d+) times as long as it was", r"whitened, it is (\d+) times as long"),
    Claim(r"The true gradient is exactly (0) \(the cell prints it\)",
          r"gradient through the mean \(true\):\s+\+(0)\.00e\+00", why="exactly 0, not 1e-17"),
    Claim(r"With unit-normal inputs, (\d+\.\d)% of them", WITHIN_001, scale=100),
    Claim(r"and about (\d+)% within 0\.05",
          r"within 0\.05 of the tangent line: (0\.\d+)", scale=100),
    Claim(r"at \$z = 1\.96\$ it is already (0\.\d+) below its tangent",
          r"distance between sigmoid and tangent at z = 1\.96: (0\.\d+)"),
    Claim(r"The nearly linear band at tolerance 0\.01 is \$\|z\| < (0\.\d)\$",
          r"stays within 0\.01 of its tangent for \|z\| < (0\.\d+)"),
    Claim(r"which holds (\d+\.\d)% of the inputs", WITHIN_001, scale=100),
    Claim(r"\((\d+\.\d)% of unit-normal inputs within 0\.01 of its tangent\)", WITHIN_001,
          scale=100, why="the summary's share"),
]


def test_numbers_in_the_text_are_the_runs(check_notebook):
    """Does each number notebook 02 states about its run agree with what the run prints?"""
    report = check_notebook(NOTEBOOK, every_cell=True)
    assert_claims(report.executed, NOTEBOOK, CLAIMS)
