"""Do the notebook 08 checks report a seed that reproduces a failure, and does the reference
pass every check at fresh seeds?"""

import pytest

from course_utils.checks import (
    CheckFailure,
    check_early_stopping_epoch,
    check_log_uniform,
    check_lr_at,
    check_narrow_space,
    check_random_search,
    check_train_val_split,
)

from .test_random_search import _search_with, _uniform_draw

pytestmark = pytest.mark.nb08


def test_failure_reports_a_seed_that_reproduces_it():
    """Does a failure with a fresh seed name the seed, and fail again with it?"""
    wrong = _search_with(_uniform_draw)
    with pytest.raises(CheckFailure) as info:
        check_random_search(wrong, seed=None)
    seed = int(str(info.value).split("seed ")[1].split(",")[0].split(")")[0])
    with pytest.raises(CheckFailure):
        check_random_search(wrong, seed=seed)


@pytest.mark.parametrize("seed", [None, None, None, 12])
def test_the_reference_passes_every_check_at_fresh_seeds(seed):
    """Does the course's own reference, graded like a student's paste, pass every check?"""
    from tests.reference_copies import reference_copy

    copy = reference_copy("hyperparams")
    for name, check in [("train_val_split", check_train_val_split),
                        ("log_uniform", check_log_uniform), ("random_search", check_random_search),
                        ("narrow_space", check_narrow_space), ("lr_at", check_lr_at),
                        ("early_stopping_epoch", check_early_stopping_epoch)]:
        check(copy[name], seed=seed, hidden=True)
