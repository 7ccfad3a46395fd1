"""Fact 14 for notebook 04: does every number its text states about its own run match the run?

The executed solution comes from the session's ``check_notebook(path, every_cell=True)``
(shared with tests/test_notebooks.py, so no extra run). Numbers stated to a precision are
:class:`Claim`s; orders of magnitude ("about $10^{-5}$") and "is 0, to rounding" are checked
by the small helpers below, each also requiring that the sentence is still in the text.
"""

from __future__ import annotations

import math
import re

import nbformat
import pytest

from autograder import paths
from tests.stated_numbers import Claim, assert_claims, markdown_of, printed_by

pytestmark = [pytest.mark.nb04, pytest.mark.notebook]

NB = "04_bn_backward"
SOURCE = paths.source_notebook(NB)

DIGITS_AT_1E5 = r"at h = 1e-5: forward difference ([\d.]+) correct digits, central difference ([\d.]+)"
BEST_FORWARD = r"best forward difference: ([\d.]+) correct digits, at h = (\S+)"
BEST_CENTRAL = r"best central difference: ([\d.]+) correct digits, at h = 1e-05"
FLOAT32 = r"right gradient, checked in float32 with h = 1e-5: relative error ([\d.e+-]+)"

CLAIMS = [
    Claim(r"best around \$h \\approx 10\^\{-5\}\$, with about (\d+) correct digits",
          BEST_CENTRAL, why="Section 1: the central difference's best digits, at h = 1e-5"),
    Claim(r"the forward difference gets about (\d+) there", DIGITS_AT_1E5.split(",")[0],
          why="Section 1: the forward difference's digits at h = 1e-5"),
    Claim(r"and never more than about (\d+) \(near", BEST_FORWARD.split(", at")[0],
          why="Section 1: the forward difference's best digits"),
    Claim(r"gives about (\d+) correct digits for the central difference",
          r"forward difference [\d.]+ correct digits, central difference ([\d.]+)",
          why="Question 2's answer: central digits at h = 1e-5"),
    Claim(r"about (\d+) for the forward one, which never gets more than about (\d+)",
          DIGITS_AT_1E5.split(",")[0] + r".*?" + BEST_FORWARD.split(", at")[0],
          why="Question 2's answer: forward digits at h = 1e-5 and at best"),
    Claim(r"shows a relative error of about (\d+) \(the largest", FLOAT32,
          why="Question 2's answer: the right gradient checked in float32"),
]


@pytest.fixture(scope="module")
def run(check_notebook):
    report = check_notebook(SOURCE, every_cell=True)
    assert report.problem is None, report.problem
    return report.executed


@pytest.fixture(scope="module")
def text():
    return markdown_of(nbformat.read(SOURCE, as_version=4))


def _said(text, pattern):
    found = re.search(pattern, text, re.S)
    assert found, f"the text no longer says /{pattern}/ (edit this test with the sentence)"
    return found


def _printed(run, pattern):
    found = re.search(pattern, printed_by(run), re.S)
    assert found, f"the run no longer prints /{pattern}/"
    return found


def _row(run, label, columns=3):
    """The numbers of one row (``label``, then one number per feature) the run printed."""
    number = r"\s+([-+]?[\d.]+(?:e[-+]\d+)?)"
    return [float(v) for v in _printed(run, re.escape(label) + number * columns).groups()]


def test_stated_digits_and_errors_are_the_runs(run):
    """Are the digits of finite differences and the float32 error the text states the printed ones?"""
    assert_claims(run, SOURCE, CLAIMS)


def test_the_forward_differences_best_step_is_the_stated_power_of_ten(run, text):
    """Is "near h = 1e-8" the order of magnitude of the step the run found best?"""
    stated = int(_said(text, r"never more than about \d+ \(near \$h \\approx 10\^\{(-\d+)\}\$")
                 .group(1))
    best_h = float(_printed(run, BEST_FORWARD).group(2))
    assert round(math.log10(best_h)) == stated, (best_h, stated)


def test_the_thresholds_of_a_gradient_check_hold_in_the_run(run, text):
    """Is the right gradient below 1e-7 and the wrong one above 1e-2, as the text says?"""
    _said(text, r"a correct gradient typically gives \$10\^\{-7\}\$ or less; \$10\^\{-2\}\$ or "
                r"more means a bug")
    right = float(_printed(run, r"right gradient: relative error ([\d.e+-]+)").group(1))
    wrong = float(_printed(run, r"wrong gradient: relative error ([\d.e+-]+)").group(1))
    assert right <= 1e-7 < 1e-2 <= wrong, (right, wrong)


def test_the_three_features_have_the_stated_variances(run, text):
    """Are the batch variances the run printed of the orders of magnitude the text states?"""
    said = _said(text, r"batch variances of about 1, \$10\^\{(-\d+)\}\$ and \$10\^\{(-\d+)\}\$")
    third = _said(text, r"third feature of Section 4 \(batch variance about \$10\^\{(-\d+)\}\$")
    stated = [0, int(said.group(1)), int(said.group(2))]
    variances = _row(run, "batch variance of the feature")
    assert [round(math.log10(v)) for v in variances] == stated, variances
    assert int(third.group(1)) == stated[2]


def test_the_gradient_sums_are_what_the_text_says(run, text):
    """sum(dx) is 0 to rounding; sum(dx * x_hat) is the eps formula, tiny only where var >> eps?"""
    _said(text, r"\$\\sum_i dx_i = 0\$ for every feature, exactly\*\* \(up to rounding\)")
    _said(text, r"tiny for the first feature .*?, no longer small for the third")
    size = _row(run, "typical size of dx, mean |dx|")
    sums = _row(run, "sum over the batch of dx")
    projections = _row(run, "sum over the batch of dx * x_hat")
    formula = _row(run, "gamma * dgamma * eps / (var + eps)**1.5")
    assert all(abs(s) < 1e-12 * 32 * t for s, t in zip(sums, size)), (sums, size)
    assert projections == pytest.approx(formula, rel=2e-3), (projections, formula)
    assert abs(projections[0]) < 1e-3 * size[0] and abs(projections[2]) > 0.1 * size[2]


def test_dx_has_neither_the_mean_nor_the_trend_of_dout(run, text):
    """Does the run print a mean and a trend for dout, and (to rounding) neither for dx?"""
    _said(text, r"`dout` has a mean and a trend along \$\\hat\{x\}\$; `dx` .*? has neither")
    line = r"{} +batch mean ([+-][\d.e+-]+), slope along x_hat ([+-][\d.e+-]+)"
    dout_mean, dout_slope = map(float, _printed(run, line.format("dout")).groups())
    dx_mean, dx_slope = map(float, _printed(run, line.format(re.escape("dx * std / gamma"))).groups())
    assert abs(dout_mean) > 0.1 and abs(dout_slope) > 0.1, (dout_mean, dout_slope)
    assert abs(dx_mean) < 1e-12 and abs(dx_slope) < 1e-4, (dx_mean, dx_slope)


def test_the_timing_text_promises_no_ratio_and_points_at_the_printed_one(run, text):
    """Does the text say what to expect from the timing, not how many times faster it is?"""
    timing = text.split("## 5. Staged or compact: timing", 1)[1].split("## 6.", 1)[0]
    summary = text.split("## Summary", 1)[1]
    for part in (timing, summary):
        assert not re.search(r"\d\s*(x|×|times)\b|faster by", part), part
    assert "read the ratio `staged / compact` it prints" in timing
    assert len(re.findall(r"ratio \d+\.\d\d", printed_by(run))) == 3
