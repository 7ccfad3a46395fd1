"""Does check_early_stopping_epoch (notebook 08) accept a right early stopping, keep the
earliest of equal losses, fail hard-coded answers and name each mistake of its catalogue?"""

import math

import numpy as np
import pytest

from course_utils import reference as ref
from course_utils.checks import CheckFailure, check_early_stopping_epoch
from tests.helpers import accepted, mistakes_rejected, rejected

pytestmark = pytest.mark.nb08

_rejected = rejected


# =========================================================================================
# early_stopping_epoch
# =========================================================================================

def _es_validate(val_losses, patience):
    if len(val_losses) == 0 or patience < 1:
        raise ValueError("bad input")


def es_wait_counter(val_losses, patience):
    """Keras-style: a counter of epochs without improvement."""
    _es_validate(val_losses, patience)
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best_epoch


def es_prefix_argmin(val_losses, patience):
    """Find where training stops, then the best of what was seen."""
    _es_validate(val_losses, patience)
    losses = np.asarray(val_losses, dtype=float)
    for stop in range(len(losses)):
        best = int(np.argmin(losses[:stop + 1]))
        if stop - best >= patience:
            return best
    return int(np.argmin(losses))


test_right_early_stopping_accepted = accepted(
    check_early_stopping_epoch, [es_wait_counter, es_prefix_argmin], [0, 6, None],
    """Is a correct early stopping accepted, counter-based or prefix-based?""")


def _es_patience(shift):
    def es(val_losses, patience):
        _es_validate(val_losses, patience)
        return es_wait_counter(val_losses, patience + shift) if patience + shift >= 1 else 0
    return es


def es_stop_epoch(val_losses, patience):
    _es_validate(val_losses, patience)
    best, best_epoch = math.inf, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return epoch
    return len(val_losses) - 1


def es_sorts_in_place(val_losses, patience):
    _es_validate(val_losses, patience)
    answer = es_wait_counter(list(val_losses), patience)
    if isinstance(val_losses, list):
        val_losses.sort()
    return answer


ES_MISTAKES = [
    (es_stop_epoch, "where training stopped"),
    (lambda v, p: (_es_validate(v, p), int(np.argmin(v)))[1], "ignoring patience"),
    (_es_patience(+1), "one epoch too late"),
    (_es_patience(-1), "one epoch too early"),
    (lambda v, p: es_wait_counter(v, p) + 1, "epochs count from 0"),
    (lambda v, p: float(es_wait_counter(v, p)), "should return an int"),
    (es_sorts_in_place, "changed its input `val_losses`"),
    (lambda v, p: es_wait_counter(v, max(p, 1)) if len(v) else 0, "should raise ValueError"),
]


test_early_stopping_mistakes_rejected = mistakes_rejected(
    check_early_stopping_epoch, ES_MISTAKES,
    """Is each wrong early stopping rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(ES_MISTAKES)])


def test_best_plus_patience_is_named():
    """Does returning best + patience (where training stopped) get its own explanation?"""
    def best_plus_patience(v, p):
        _es_validate(v, p)
        return es_wait_counter(v, p) + p
    message = _rejected(check_early_stopping_epoch, best_plus_patience, "returned")
    assert "training stopped" in message, message


# =========================================================================================
# Memorised answers and reproducible failures
# =========================================================================================

def _memorised_early_stopping():
    import course_utils.checks.hyperparams.early_stopping as ch
    from course_utils.checks._core import make_rng

    _, rng = make_rng(0)
    return {tuple(np.round(np.asarray(losses, float), 6)): ref.early_stopping_epoch(losses, p)
            for _, losses, p, _ in ch._es_cases(rng, hidden=False)}


_ES_MEMO = _memorised_early_stopping()


def es_hard_coded(val_losses, patience):
    _es_validate(val_losses, patience)
    return _ES_MEMO.get(tuple(np.round(np.asarray(val_losses, float), 6)), 0)


def test_hard_coded_early_stopping_passes_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's fresh curves?"""
    check_early_stopping_epoch(es_hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_early_stopping_epoch(es_hard_coded, seed=31, hidden=True)


def es_non_strict(val_losses, patience):
    """`<=`: an equal loss counts as an improvement, so the latest tie is kept."""
    _es_validate(val_losses, patience)
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best_epoch


def es_tie_restarts_patience(val_losses, patience):
    """Keeps the earliest tie, but an equal loss resets the counter."""
    _es_validate(val_losses, patience)
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        elif loss == best:
            wait = 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best_epoch


def es_latest_of_ties(val_losses, patience):
    """Stops at the right epoch, then picks the last epoch with the lowest loss seen."""
    _es_validate(val_losses, patience)
    losses = list(map(float, val_losses))
    stop = len(losses) - 1
    for epoch in range(len(losses)):
        if epoch - int(np.argmin(losses[:epoch + 1])) >= patience:
            stop = epoch
            break
    seen = np.asarray(losses[:stop + 1])
    return int(np.flatnonzero(seen == seen.min())[-1])


def es_pandas_style_idxmin(val_losses, patience):
    """The best of the seen epochs by a reversed argmin: the latest of equal losses."""
    _es_validate(val_losses, patience)
    answer = es_wait_counter(val_losses, patience)
    seen = np.asarray(val_losses, float)[:min(answer + patience, len(val_losses) - 1) + 1]
    return int(len(seen) - 1 - np.argmin(seen[::-1]))


ES_TIE_MISTAKES = [
    (es_non_strict, "`<=` instead of `<`"),
    (es_tie_restarts_patience, "restarted the patience count"),
    (es_latest_of_ties, "the latest epoch was returned"),
    (es_pandas_style_idxmin, "the latest epoch was returned"),
]


@pytest.mark.parametrize("student, words", ES_TIE_MISTAKES,
                         ids=[w for _, w in ES_TIE_MISTAKES])
def test_equal_losses_keep_the_earliest_epoch(student, words):
    """Is an early stopping that mishandles equal losses rejected, naming the mistake?"""
    message = _rejected(check_early_stopping_epoch, student, words, hidden=False)
    assert "strictly below the best" in message, message


@pytest.mark.parametrize("losses, patience, expected", [
    ([1.0, 0.6, 0.8, 0.6, 0.9, 1.0, 1.1], 3, 1),      # two equal best losses
    ([1.0, 0.6, 0.7, 0.6, 0.8, 0.5, 0.9], 3, 1),      # a tie inside the patience window
    ([0.9, 0.9, 0.9, 0.9, 0.5, 0.4], 3, 0),           # ties at the start
    ([0.7] * 6, 2, 0),                                # all equal
])
def test_the_tie_cases_say_what_the_spec_says(losses, patience, expected):
    """Do the checks' tie cases expect what the spec says (the earliest of equal losses)?"""
    assert ref.early_stopping_epoch(losses, patience) == expected
    assert es_wait_counter(losses, patience) == es_prefix_argmin(losses, patience) == expected
