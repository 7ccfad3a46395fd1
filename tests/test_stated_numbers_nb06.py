"""Fact 14 for notebook 06: does every number its text states about its run match the run?

The numbers come from the executed solution (the session's run of the whole notebook). A
claim fails when the sentence changes, the cell stops printing the number, or the two differ.
"""

import re

import pytest

from autograder import paths
from tests.stated_numbers import Claim, assert_claims, printed_by

pytestmark = [pytest.mark.nb06, pytest.mark.notebook]

SOURCE = paths.source_notebook("06_cnn_bn")

CLAIMS = [
    Claim(r"split into ([\d,]+) for training and ([\d,]+) for testing",
          r"train=\((\d+), 1, 8, 8\), test=\((\d+), 1, 8, 8\)",
          why="section 5: the train/test split of the digits"),
    Claim(r"falls below 2\.0 only from step (\d+), after (\d\.\d) epochs",
          r"no BN, lr 0\.1 [^\n]*below 2\.0 from step (\d+) \((\d\.\d) epochs\)",
          why="section 5: the plain network at lr 0.1 leaves the plateau"),
    Claim(r"The network with batch norm is below 0\.5 from step (\d+)",
          r"with BN, lr 0\.1 [^\n]*below 0\.5 from step (\d+)",
          why="section 5: the BN network at lr 0.1 is below 0.5"),
    Claim(r"leaves the plateau much sooner \(below 2\.0 from step (\d+)\)",
          r"no BN, lr 0\.5 [^\n]*below 2\.0 from step (\d+)",
          why="section 5: the plain network at lr 0.5 leaves the plateau"),
    Claim(r"Both BN runs end at (\d+\.\d) and (\d+\.\d) % test accuracy",
          r"with BN, lr 0\.1 +final test accuracy (\d+\.\d) %.*with BN, lr 0\.5 +final test "
          r"accuracy (\d+\.\d) %", why="section 5: the BN runs' final accuracy"),
    # still improving when they stop, so their last figures move with the CPU's rounding
    # (93.3 on one machine, 93.6 on another): the text says "about"
    Claim(r"the plain ones at about (\d+) and (\d+) %",
          r"no BN, lr 0\.1 +final test accuracy (\d+\.\d) %.*no BN, lr 0\.5 +final test "
          r"accuracy (\d+\.\d) %", why="section 5: the plain runs' final accuracy", about=1.5),
]


@pytest.fixture(scope="module")
def executed(check_notebook):
    return check_notebook(SOURCE, every_cell=True).executed


def test_every_stated_number_is_the_runs(executed):
    """Does each number the text states about the run equal what the run printed?"""
    assert_claims(executed, SOURCE, CLAIMS)


def _floats(pattern, text):
    return [float(v) for v in re.findall(pattern, text)]


def test_the_plain_networks_were_still_improving(executed):
    """'still improving over the last epoch': did both plain runs gain in their last epoch?"""
    gains = _floats(r"no BN, lr [\d.]+ +final test accuracy [\d.]+ % \(([+-][\d.]+) over",
                    printed_by(executed))
    assert len(gains) == 2 and all(g > 0 for g in gains), gains


def test_the_conv_bias_gradient_is_zero_up_to_rounding(executed):
    """'zero up to rounding error ... many orders of magnitude' smaller than the weights'?"""
    out = printed_by(executed)
    rows = re.findall(r"(torch\.float\d\d) +conv\.bias\.grad = \[([^\]]*)\]\s+largest "
                      r"\|conv\.weight\.grad\| = ([\d.]+), output change after bias \+= 5: "
                      r"([\d.e+-]+)", out)
    assert [r[0] for r in rows] == ["torch.float64", "torch.float32"], rows
    for dtype, grads, weight, moved in rows:
        bias = max(abs(float(g.strip("' "))) for g in grads.split(","))
        eps = 2.2e-16 if dtype.endswith("64") else 1.2e-7
        assert bias < 100 * eps and float(weight) > 1e4 * bias, (dtype, bias, weight)
        assert float(moved) < 1e3 * eps * 5, (dtype, moved)


def test_batchnorm2d_corrects_its_running_variance_with_n_values(executed):
    """Does the run show the buffer equal to n/(n-1) with n = m*p*q, and not to m/(m-1)?"""
    out = printed_by(executed)
    n = re.search(r"n = m\*p\*q = (\d+)\*(\d+)\*(\d+) = (\d+) values per channel", out)
    assert n and int(n[1]) * int(n[2]) * int(n[3]) == int(n[4]), out[:300]
    by_values = re.search(r"n/\(n-1\), n = \d+:.*?largest difference ([\d.e+-]+)", out, re.S)
    by_images = re.search(r"m/\(m-1\), m = \d+: .*?largest difference ([\d.e+-]+)", out, re.S)
    assert float(by_values[1]) < 1e-12 and float(by_images[1]) > 1e-3, (by_values, by_images)
