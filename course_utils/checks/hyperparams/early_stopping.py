"""``check_early_stopping_epoch`` (notebook 08) and its catalogue of named mistakes: ties
(``<`` against ``<=``, which equal loss is the best), patience off by one, the last epoch
returned instead of the best.
"""

from __future__ import annotations

import copy
from numbers import Integral

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_raises, fail, make_rng
from ._shared import _unchanged

__all__ = ["check_early_stopping_epoch"]


# ---------------------------------------------------------------------------------------
# early_stopping_epoch
# ---------------------------------------------------------------------------------------


def _stopping_epoch(losses, patience):
    """Where training stops (or the last epoch), as a mistaken answer would return it."""
    best = 0
    for e in range(1, len(losses)):
        if losses[e] < losses[best]:
            best = e
        elif e - best >= patience:
            return e
    return len(losses) - 1


def _patience_shifted(losses, patience, shift):
    """The answer with patience one larger or smaller (None when that is below 1)."""
    return ref.early_stopping_epoch(losses, patience + shift) if patience + shift >= 1 else None


def _es_non_strict(losses, patience):
    """A loss equal to the best counts as an improvement (``<=``): the latest tie is kept."""
    best = 0
    for e in range(1, len(losses)):
        if losses[e] <= losses[best]:
            best = e
        elif e - best >= patience:
            break
    return best


def _es_tie_restarts_patience(losses, patience):
    """The best epoch is the earliest of equal losses, but a tie restarts the count."""
    best, wait = 0, 0
    for e in range(1, len(losses)):
        if losses[e] < losses[best]:
            best, wait = e, 0
        elif losses[e] == losses[best]:
            wait = 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best


def _es_latest_tie(losses, patience):
    """Stops where it should, then returns the last epoch with the lowest loss seen."""
    best = ref.early_stopping_epoch(losses, patience)
    seen = losses[:min(best + patience, len(losses) - 1) + 1]
    return max(e for e, v in enumerate(seen) if v == losses[best])


_TIE = ("improvement means strictly below the best so far, so of equal losses the earliest "
        "epoch is kept, and an epoch that only equals the best is an epoch without "
        "improvement.")


def _es_mistakes(losses, patience):
    best = ref.early_stopping_epoch(losses, patience)
    return [
        ("a loss equal to the best so far was counted as an improvement (`<=` instead of "
         "`<`): " + _TIE, lambda: _es_non_strict(losses, patience)),
        ("a loss equal to the best so far restarted the patience count: " + _TIE,
         lambda: _es_tie_restarts_patience(losses, patience)),
        ("of equal best losses the latest epoch was returned: " + _TIE,
         lambda: _es_latest_tie(losses, patience)),
        ("returned the epoch where training stopped, not the best one: restore the weights of "
         "the best epoch.", lambda: _stopping_epoch(losses, patience)),
        ("returned the best epoch + patience: that is where training stopped; keep the weights "
         "of the best epoch itself.", lambda: best + patience),
        ("ignoring patience: the best epoch of the whole list is one training would never have "
         "reached, since it stopped after `patience` epochs without improvement.",
         lambda: int(np.argmin(losses))),
        ("patience off by one: training stopped one epoch too late (it waited for patience + 1 "
         "epochs without improvement).", lambda: _patience_shifted(losses, patience, +1)),
        ("patience off by one: training stopped one epoch too early (after patience - 1 epochs "
         "without improvement).", lambda: _patience_shifted(losses, patience, -1)),
        ("epochs count from 0: return the index into val_losses.", lambda: best + 1),
    ]


def _noisy_curve(rng, n):
    """A validation curve that falls, bottoms out and rises, with noise (no ties)."""
    e = np.arange(n)
    bottom = rng.uniform(0.3, 0.7) * n
    curve = 0.5 + 2.0 * np.exp(-e / (0.2 * n)) + 0.002 * np.maximum(e - bottom, 0) ** 1.5
    return [float(v) for v in curve + rng.normal(0, 0.03, n)]


def _es_cases(rng, hidden):
    cases = [
        ("falls, then rises", [1.0, 0.8, 0.7, 0.75, 0.8, 0.9, 1.0], 3, "list"),
        ("a lower minimum after training has stopped", [1.0, 0.5, 0.6, 0.7, 0.8, 0.4, 0.3], 3,
         "list"),
        ("new best exactly `patience` epochs after the last one",
         [1.0, 0.6, 0.7, 0.8, 0.5, 0.9, 1.0, 1.1, 1.2], 3, "list"),
        ("new best one epoch after training stopped", [1.0, 0.6, 0.7, 0.8, 0.9, 0.5, 1.0, 1.1],
         3, "list"),
        ("still improving at the last epoch", [2.0, 1.5, 1.2, 1.0, 0.9], 2, "list"),
        ("a single epoch", [0.7], 5, "list"),
        ("patience = 1", [1.0, 0.9, 0.95, 0.5, 0.4], 1, "list"),
        ("a noisy validation curve (ndarray)", _noisy_curve(rng, 40), 4, "array"),
        ("a noisy validation curve (float32 ndarray)", _noisy_curve(rng, 30), 6, "float32"),
        # equal losses: improvement is strictly below the best, the earliest tie is kept
        ("two equal best losses: the earliest is kept", [1.0, 0.6, 0.8, 0.6, 0.9, 1.0, 1.1], 3,
         "list"),
        ("a loss equal to the best inside the patience window (not an improvement)",
         [1.0, 0.6, 0.7, 0.6, 0.8, 0.5, 0.9], 3, "list"),
        ("equal losses at the start", [0.9, 0.9, 0.9, 0.9, 0.5, 0.4], 3, "list"),
        ("every loss equal", [0.7] * 6, 2, "list"),
        ("patience longer than the run", [1.0, 0.8, 0.9, 0.7, 0.75], 10, "list"),
        ("a tuple of losses", (1.2, 0.9, 1.0, 0.8, 0.85, 0.95, 1.1), 2, "tuple"),
    ]
    if hidden:
        for _ in range(8):
            n = int(rng.integers(5, 80))
            cases.append(("random noisy curve", _noisy_curve(rng, n), int(rng.integers(1, 10)),
                          "array"))
        for _ in range(4):
            # rounded to two decimals, as a logged loss often is: ties near the bottom
            n = int(rng.integers(15, 60))
            curve = [round(v, 2) for v in _noisy_curve(rng, n)]
            cases.append(("random curve rounded to 2 decimals (ties)", curve,
                          int(rng.integers(1, 8)), "list"))
    return cases


def check_early_stopping_epoch(student, seed=0, hidden=False):
    """Check ``early_stopping_epoch(val_losses, patience) -> int``.

    Curves built so that the usual mistakes give different answers: returning where
    training stopped instead of the best epoch, taking the best of the whole list
    (ignoring patience), patience off by one either way, counting epochs from 1, and equal
    losses (improvement is strictly below the best: of equal losses the earliest epoch is
    kept, and a tie does not restart the patience), at the start, inside the patience
    window, everywhere. Lists, tuples and arrays; ValueError for an empty list and
    patience < 1.
    """
    seed, rng = make_rng(seed)
    for label, losses, patience, form in _es_cases(rng, hidden):
        if form == "array":
            arg = np.array(losses)
        elif form == "tuple":
            arg = tuple(losses)
        elif form == "float32":
            arg = np.array(losses, dtype=np.float32)
            losses = [float(v) for v in arg]
        else:
            arg = list(losses)
        before = copy.deepcopy(arg) if isinstance(arg, (list, tuple)) else arg.copy()
        shown = [round(v, 3) for v in losses[:12]] + (["..."] if len(losses) > 12 else [])
        case = Case(label, seed, {"val_losses": shown, "patience": patience})
        got = call_student(student, arg, patience, case=case, name="early_stopping_epoch",
                           arg_names=("val_losses", "patience"))
        if isinstance(arg, list):
            _unchanged(before, arg, case, "early_stopping_epoch", "val_losses")
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (Integral, np.integer)):
            fail(case, f"early_stopping_epoch should return an int (an epoch index), got "
                       f"{type(got).__name__}: {got!r:.60}.")
        expected = ref.early_stopping_epoch(losses, patience)
        if int(got) != expected:
            named = []
            for text, make in _es_mistakes(losses, patience):
                try:
                    if make() == int(got):
                        named.append(text)
                except Exception:  # pragma: no cover
                    continue
            hint = ("\nLikely mistake: " + "\nOr: ".join(named)) if named else ""
            fail(case, f"returned epoch {int(got)}, expected {expected} (the best epoch seen "
                       f"before {patience} epoch(s) in a row without improvement stop "
                       f"training).{hint}")

    expect_raises(student, [], 3, case=Case("no epochs", seed), name="early_stopping_epoch",
                  why="an empty list has no best epoch")
    expect_raises(student, [1.0, 0.9, 0.8], 0, case=Case("patience = 0", seed),
                  name="early_stopping_epoch", why="patience must be at least 1 epoch")
