"""What the checks of notebook 08 share: the forbidden functions, what counts as a real
scalar, a list or dict input left unchanged, a mistake's output compared quietly.
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np

from .._core import fail

#: Library functions that would do an exercise for the student.
FORBIDDEN = {"sklearn": {"train_test_split"},
             "scipy": {"rvs"}}


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def _number(got, case, what):
    """A real scalar (Python or numpy), not an array, a tensor, a bool or a string."""
    if type(got).__module__.startswith("torch"):
        fail(case, f"{what} is a torch tensor; return a Python float.")
    if isinstance(got, np.ndarray) and got.ndim > 0:
        fail(case, f"{what} should be a single number, got an array of shape {got.shape}.")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (Real, np.ndarray)):
        fail(case, f"{what} should be a number, got {type(got).__name__}: {got!r:.80}")
    return float(got)


def _unchanged(before, after, case, name, arg):
    """Deep equality of a list/dict input before and after the student's call."""
    if before != after:
        fail(case, f"{name} changed its input `{arg}` (sorted it, popped from it or edited it "
                   "in place). Graded functions never modify their inputs: use sorted(...) "
                   "or work on a copy.")


def _fmt(v):
    return f"{v:.6g}" if isinstance(v, float) else repr(v)


def _matches(got, make):
    """Does a mistake's output equal what came back? Computed quietly (no warnings)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            candidate = np.asarray(make(), dtype=np.float64)
        except Exception:
            return False
    return candidate.shape == np.shape(got) and bool(np.allclose(got, candidate, rtol=1e-9,
                                                                  atol=0))
