"""Across the notebook 02 checks: do hard-coded answers pass the visible tests only, and do
the reference and the model answers pass at every seed?"""

import pytest

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure,
    check_bias_drift,
    check_covariance,
    check_fraction_near_linear,
    check_zca_whitening_matrix,
)

from .test_fraction_near_linear import _nonempty

pytestmark = pytest.mark.nb02


def _memorised():
    import course_utils.checks.whitening.fraction_near_linear as cw
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    return {(z.tobytes(), tol): ref.fraction_near_linear(z, tol)
            for _, z, tol in cw._fraction_cases(seed, rng, hidden=False)}


_MEMO = _memorised()


def frac_hard_coded(z, tol=0.01):
    z = _nonempty(z)
    return _MEMO.get((z.tobytes(), tol), 0.5)


def test_hard_coded_answers_pass_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    check_fraction_near_linear(frac_hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_fraction_near_linear(frac_hard_coded, seed=999, hidden=True)


# ---- the reference and the model answers, at many seeds ------------------------------------

SEEDS = [0, 1, 2, 3, 7, 11, 2024, None, None, None]
CHECKS = {"covariance": check_covariance, "zca_whitening_matrix": check_zca_whitening_matrix,
          "bias_drift": check_bias_drift, "fraction_near_linear": check_fraction_near_linear}


@pytest.mark.parametrize("name", list(CHECKS))
@pytest.mark.parametrize("source", ["reference", "model answer"])
def test_reference_and_model_answers_pass_at_every_seed(name, source):
    """Do a pasted copy of the reference and notebook 02's model answers pass every check, at
    fixed and fresh seeds (float32 cases included)?"""
    from tests.pasted import model_answers, pasted_reference

    space = (pasted_reference("whitening") if source == "reference"
             else model_answers("02_whitening_pitfalls"))
    for seed in SEEDS:
        CHECKS[name](space[name], seed=seed, hidden=True)
