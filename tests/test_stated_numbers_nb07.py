"""Fact 14 for notebook 07: does every number its text states about its run match the run?

The numbers come from the executed solution (the session's run of the whole notebook). A
claim fails when the sentence changes, the cell stops printing the number, or the two differ.
"""

import re

import pytest

from autograder import paths
from tests.stated_numbers import Claim, assert_claims, printed_by

pytestmark = [pytest.mark.nb07, pytest.mark.notebook]

SOURCE = paths.source_notebook("07_norm_family")

CLAIMS = [
    Claim(r"\(([\d,]+) for training, ([\d,]+) for testing\)",
          r"train=\((\d+), 1, 8, 8\), test=\((\d+), 1, 8, 8\)",
          why="section 7: the train/test split of the digits"),
    Claim(r"see the same ([\d,]+) training examples \(about (\d\.\d) epochs\)",
          r"([\d,]+) examples = (\d\.\d) epochs of the", why="section 7: examples and epochs"),
    Claim(r"a batch of 2 takes ([\d,]+) SGD steps and a batch of 32 takes ([\d,]+)",
          r"batch  2 \( *([\d,]+) steps\).*batch 32 \( *([\d,]+) steps\)",
          why="section 7: steps per run"),
    Claim(r"with a test error of (\d+\.\d) % against (\d+\.\d) % for group norm",
          r"batch  2 \([^)]*\): test error BN +(\d+\.\d) % +GN +(\d+\.\d) %",
          why="section 7: the batch-2 runs"),
    Claim(r"group norm stays about flat\*\*, between (\d+\.\d) and (\d+\.\d) %",
          r"GN over all batch sizes: (\d+\.\d) to (\d+\.\d) %", why="section 7: GN's range"),
    Claim(r"batch norm has the lower error at every batch size\*\*, by (\d+\.\d) to (\d+\.\d) "
          r"points", r"from batch 4 up: BN has the lower error at \d+ of \d+ batch sizes, by "
          r"(\d+\.\d) to (\d+\.\d) points", why="section 7: BN ahead from batch 4 up"),
    Claim(r"one digit is (\d\.\d\d) %", r"one test digit is (\d\.\d\d) %",
          why="section 7: the size of one test digit"),
    Claim(r"batch 2 trains normally on this network: (\d+\.\d) % test error, against (\d+\.\d) % "
          r"with batch norm in every layer",
          r"BN in the convolutions only: test error (\d+\.\d) %  \(BN everywhere: (\d+\.\d) %",
          why="section 7: batch norm in the convolutions only"),
]


@pytest.fixture(scope="module")
def executed(check_notebook):
    return check_notebook(SOURCE, every_cell=True).executed


def test_every_stated_number_is_the_runs(executed):
    """Does each number the text states about the run equal what the run printed?"""
    assert_claims(executed, SOURCE, CLAIMS)


def test_batch_norm_wins_at_every_batch_size_from_4_up(executed):
    """'at every batch size' from 4 up, and 'at all four': is it every one of them?"""
    wins = re.search(r"BN has the lower error at (\d+) of (\d+) batch sizes", printed_by(executed))
    assert wins and wins[1] == wins[2] == "4", wins


def test_the_collapse_at_2_is_far_beyond_noise(executed):
    """'far beyond any noise': is BN's batch-2 error tens of points above every other run?"""
    rows = re.findall(r"batch +(\d+) \([^)]*\): test error BN +([\d.]+) % +GN +([\d.]+) %",
                      printed_by(executed))
    errors = {int(b): (float(bn), float(gn)) for b, bn, gn in rows}
    others = [e for b, pair in errors.items() for e in pair if (b, e) != (2, errors[2][0])]
    assert errors[2][0] > max(others) + 30, errors
