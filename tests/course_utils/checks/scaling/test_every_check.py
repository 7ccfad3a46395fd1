"""Across the notebook 01 checks: do hard-coded answers pass the visible tests only, is a
failure reproducible from its seed, and do the reference and the model answers pass at
every seed?"""

import numpy as np
import pytest

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure,
    check_apply_standardizer,
    check_fit_standardizer,
    check_gd_linear_regression,
    check_min_max_scale,
    check_standardize,
)

from .test_min_max import _matrix, _range
from .test_standardize import STD_MISTAKES

pytestmark = pytest.mark.nb01


def _memorised_answers():
    import course_utils.checks.scaling.min_max as cs
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    memo = {}
    for _, X, low, high in cs._min_max_cases(seed, rng, hidden=False):
        memo[X.tobytes()] = ref.min_max_scale(X, 0.0 if low is None else low,
                                              1.0 if high is None else high)
    return memo


_MEMO = _memorised_answers()


def hard_coded(X, low=0.0, high=1.0):
    _range(low, high)
    X = _matrix(X)
    return _MEMO.get(X.tobytes(), np.zeros_like(X)).copy()


def test_hard_coded_answers_pass_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    check_min_max_scale(hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_min_max_scale(hard_coded, seed=4242, hidden=True)


def test_failure_is_reproducible_from_its_seed():
    """Does a failure with a fresh seed report the seed, and fail again with it?"""
    wrong = STD_MISTAKES[0][0]
    with pytest.raises(CheckFailure) as info:
        check_standardize(wrong, seed=None)
    seed = int(str(info.value).split("seed ")[1].split(",")[0].split(")")[0])
    with pytest.raises(CheckFailure):
        check_standardize(wrong, seed=seed)


# ---- the reference and the model answers, at many seeds ------------------------------------

SEEDS = [0, 1, 2, 3, 7, 11, 2024, None, None, None]
CHECKS = {"min_max_scale": check_min_max_scale, "standardize": check_standardize,
          "fit_standardizer": check_fit_standardizer,
          "apply_standardizer": check_apply_standardizer,
          "gd_linear_regression": check_gd_linear_regression}


@pytest.mark.parametrize("name", list(CHECKS))
@pytest.mark.parametrize("source", ["reference", "model answer"])
def test_reference_and_model_answers_pass_at_every_seed(name, source):
    """Do a pasted copy of the reference and notebook 01's model answers pass every check, at
    fixed and fresh seeds (float32 cases included)?"""
    from tests.pasted import model_answers, pasted_reference

    space = (pasted_reference("scaling") if source == "reference"
             else model_answers("01_standardization_vs_normalization"))
    for seed in SEEDS:
        CHECKS[name](space[name], seed=seed, hidden=True)
