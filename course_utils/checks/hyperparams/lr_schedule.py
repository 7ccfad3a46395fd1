"""``check_lr_at`` (notebook 08) and its catalogue of named mistakes: each schedule
(step, linear, inverse square root) at chosen steps, returned as a Python float.
"""

from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from course_utils import reference as ref

from .._core import Case, CheckFailure, call_student, expect_close, expect_raises, fail, make_rng

__all__ = ["check_lr_at"]


# ---------------------------------------------------------------------------------------
# lr_at
# ---------------------------------------------------------------------------------------


def _lr_mistakes(kind, lr0, t, total, drop, every):
    if kind == "step":
        return [
            ("a step schedule that decays every step: the rate is multiplied by drop once "
             "every `every` steps, lr0 * drop ** (t // every), not lr0 * drop ** t.",
             lambda: lr0 * drop ** t),
            ("the drop comes one step early: use t // every, not (t + 1) // every.",
             lambda: lr0 * drop ** ((t + 1) // every)),
            ("the drop comes too early: t // every rounds down, math.ceil(t / every) rounds up.",
             lambda: lr0 * drop ** math.ceil(t / every)),
            ("a smooth exponential decay, drop ** (t / every): the step schedule holds the rate "
             "constant between drops, use the integer division t // every.",
             lambda: lr0 * drop ** (t / every)),
            ("drop was multiplied, not raised to a power: lr0 * drop ** (t // every).",
             lambda: lr0 * drop * (t // every)),
            ("the `every` argument was ignored (10 was used).", lambda: lr0 * drop ** (t // 10)),
            ("the `drop` argument was ignored (0.1 was used).",
             lambda: lr0 * 0.1 ** (t // every)),
        ]
    if kind == "linear":
        return [
            ("the rate went below 0 after total_steps; clamp it: max(0, 1 - t / total_steps).",
             lambda: lr0 * (1 - t / total)),
            ("off by one: the rate should be lr0 at t = 0 and reach 0 at t = total_steps, "
             "lr0 * (1 - t / total_steps).", lambda: lr0 * max(0.0, 1 - (t + 1) / total)),
            ("divided by total_steps - 1: the rate reaches 0 at t = total_steps, "
             "lr0 * (1 - t / total_steps).", lambda: lr0 * max(0.0, 1 - t / (total - 1))),
            ("the schedule rises instead of falling: lr0 * (1 - t / total_steps).",
             lambda: lr0 * t / total),
        ]
    return [
        ("used sqrt(t) rather than sqrt(t + 1): at t = 0 that divides by zero.",
         lambda: lr0 / math.sqrt(t)),
        ("divided by t + 1 without the square root.", lambda: lr0 / (t + 1)),
        ("multiplied by sqrt(t + 1) instead of dividing.", lambda: lr0 * math.sqrt(t + 1)),
    ]


def _lr_cases(rng, hidden):
    """(label, kind, lr0, t, total_steps, drop, every, how): ``how`` says how drop and every
    are passed: "keywords", "position" (in the order of the signature) or "defaults"."""
    lr0 = float(np.round(rng.uniform(0.05, 0.5), 3))
    total = int(rng.integers(40, 120))
    every = int(rng.integers(3, 9))
    drop = float(np.round(rng.uniform(0.2, 0.7), 2))
    cases = [
        ("step, t = 0", "step", lr0, 0, total, drop, every, "keywords"),
        ("step, just before the first drop (t = every - 1)", "step", lr0, every - 1, total, drop,
         every, "keywords"),
        ("step, at the first drop (t = every)", "step", lr0, every, total, drop, every,
         "keywords"),
        ("step, after two drops", "step", lr0, 2 * every + 1, total, drop, every, "keywords"),
        ("step, with the default drop=0.1 and every=10", "step", lr0, 25, total, 0.1, 10,
         "defaults"),
        ("step, drop and every passed by position", "step", lr0, 2 * every, total, drop, every,
         "position"),
        ("step, t a numpy integer (as np.arange gives it)", "step", lr0, np.int64(3 * every),
         total, drop, every, "keywords"),
        ("linear, t = 0", "linear", lr0, 0, total, drop, every, "keywords"),
        ("linear, half way", "linear", lr0, total // 2, total, drop, every, "keywords"),
        ("linear, t = total_steps", "linear", lr0, total, total, drop, every, "keywords"),
        ("linear, after total_steps (the rate stays 0)", "linear", lr0, total + 7, total, drop,
         every, "keywords"),
        ("inverse_sqrt, t = 0", "inverse_sqrt", lr0, 0, total, drop, every, "keywords"),
        ("inverse_sqrt, t = 3", "inverse_sqrt", lr0, 3, total, drop, every, "keywords"),
        ("inverse_sqrt, t = 99", "inverse_sqrt", lr0, 99, total, drop, every, "keywords"),
    ]
    if hidden:
        for _ in range(6):
            kind = ("step", "linear", "inverse_sqrt")[int(rng.integers(0, 3))]
            t = int(rng.integers(0, total))
            cases.append((f"{kind}, random t", kind, float(rng.uniform(1e-3, 2)), t, total,
                          float(rng.uniform(0.1, 0.9)), int(rng.integers(1, 12)), "keywords"))
        cases.append(("step, every = 1 decays every step", "step", lr0, 4, total, 0.5, 1,
                      "keywords"))
        cases.append(("linear, t a numpy integer past total_steps", "linear", lr0,
                      np.int64(total + 1), total, drop, every, "keywords"))
    return cases


def _python_float(got, case, what):
    """The contract asks for a Python float: a float (numpy's float64 is one) and nothing else.

    ``np.float64`` subclasses ``float``: ``isinstance(x, float)`` holds, it prints, compares
    and serializes as a float, so it is accepted. A 0-d array, a float32, an int or a tensor
    is not a float and is refused with the fix (``float(...)``).
    """
    if type(got).__module__.startswith("torch"):
        fail(case, f"{what} is a torch tensor; return a Python float: float(...).")
    if isinstance(got, np.ndarray):
        if got.ndim == 0:
            fail(case, f"{what} is a 0-d numpy array ({got!r:.60}), not a Python float "
                       "(np.asarray or np.array of a number gives one): return float(...) of "
                       "the result.")
        fail(case, f"{what} should be a single number (a Python float), got an array of "
                   f"shape {got.shape}.")
    if isinstance(got, (bool, np.bool_)):
        fail(case, f"{what} should be a Python float, got the bool {got!r}.")
    if isinstance(got, float):
        return float(got)
    if isinstance(got, np.floating):
        fail(case, f"{what} is a numpy {got.dtype} ({got!r:.60}), not a Python float (a "
                   f"{got.dtype} also rounds the rate to fewer digits); return float(...).")
    if isinstance(got, (Integral, np.integer)):
        fail(case, f"{what} is the integer {got!r}; the rate is a Python float even when it "
                   "is a whole number: return float(...) (for example 0.0, not 0).")
    fail(case, f"{what} should be a Python float, got {type(got).__name__}: {got!r:.80}")


_SIGNATURE_HINT = ("\nLikely mistake: drop and every are passed by position here, in the order "
                   "of the signature lr_at(kind, lr0, t, total_steps, drop=0.1, every=10); "
                   "check that your def lists them in that order.")


def check_lr_at(student, seed=0, hidden=False):
    """Check ``lr_at(kind, lr0, t, total_steps, drop=0.1, every=10) -> float``.

    The three schedules at t = 0, around the first drop, half way, at and after
    total_steps, with the defaults, with keywords and by position, with t a numpy integer;
    the result must be a Python float (``np.float64``, a float subclass, is one; a 0-d
    array, a float32 or an int is not); ValueError for an unknown kind, a negative t and
    ``every < 1`` for the step schedule.
    """
    seed, rng = make_rng(seed)
    for label, kind, lr0, t, total, drop, every, how in _lr_cases(rng, hidden):
        details = {"kind": kind, "lr0": lr0, "t": t, "total_steps": total}
        if how != "defaults":
            details.update(drop=drop, every=every)
        case = Case(label, seed, details)
        args = (kind, lr0, t, total) + ((drop, every) if how == "position" else ())
        kwargs = {"drop": drop, "every": every} if how == "keywords" else {}
        hint = _SIGNATURE_HINT if how == "position" else ""
        try:
            got = call_student(student, *args, case=case, name="lr_at", **kwargs)
        except AssertionError as exc:
            if "ZeroDivisionError" in str(exc) and kind == "inverse_sqrt":
                fail(case, f"{exc}\nLikely mistake: a schedule that divides by zero at t = 0. "
                           "Steps count from 0, so use lr0 / sqrt(t + 1).")
            if hint:
                raise CheckFailure(f"{exc}{hint}") from None
            raise
        value = _python_float(got, case, "the learning rate")
        expected = ref.lr_at(kind, lr0, t, total, drop=drop, every=every)
        if not math.isfinite(value):
            extra = (" A schedule that divides by zero at t = 0: use lr0 / sqrt(t + 1)."
                     if kind == "inverse_sqrt" and t == 0 else "")
            fail(case, f"the learning rate is {value}, expected {expected:.6g}.{extra}{hint}")
        if hint and not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12):
            fail(case, f"the learning rate is wrong: expected {expected:.6g}, got "
                       f"{value:.6g}.{hint}")
        expect_close(value, expected, case=case, what="the learning rate",
                     mistakes=_lr_mistakes(kind, lr0, t, total, drop, every), rtol=1e-9,
                     atol=1e-12)

    for label, args, kwargs, why in [
            ("unknown kind 'cosine'", ("cosine", 0.1, 5, 100), {}, "unknown schedule kind"),
            ("negative step t = -1", ("step", 0.1, -1, 100), {}, "steps count from 0"),
            ("step schedule with every = 0", ("step", 0.1, 5, 100), {"every": 0},
             "dropping every 0 steps is impossible")]:
        expect_raises(student, *args, case=Case(label, seed), name="lr_at", why=why, **kwargs)
