"""The machinery every check shares: call student code safely, compare, explain.

A check is a list of *cases*. For each case it calls the student's function through
:func:`call_student` (which turns any exception, forbidden shortcut or in-place change
into a readable :class:`CheckFailure`) and compares the result with the reference through
:func:`expect_array` / :func:`expect_close` (which name the case, the seed, the shapes,
expected vs got, the largest error and, where it matches one, the likely mistake).

Nothing here lets a traceback from inside the check reach the student: every problem
becomes a ``CheckFailure`` (an ``AssertionError``) with a message.

The machinery is in three parts, all importable from here (``from .._core import ...``):
this module holds the failure, the cases and their seeds; ``calling`` calls student code
(the tripwire, in-place changes, warnings, ``expect_raises``); ``compare`` compares a result
with the expected one and names the likely mistake (``expect_array``, ``diagnose``, ...).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import numpy as np


class CheckFailure(AssertionError):
    """A check found a problem. The message says which case, what was expected, what came back.

    In a notebook, IPython shows it as its message alone (``_render_traceback_``), not as a
    traceback through the check's code: the student's job is their function, not ours.
    """

    def _render_traceback_(self) -> list[str]:
        return [
            "\x1b[1;31mCheckFailure: a check did not pass\x1b[0m",
            str(self),
            "\x1b[2m(Fix the function above, run its cell, then run this test cell again.)\x1b[0m",
        ]


# ---------------------------------------------------------------------------------------
# Cases and seeds
# ---------------------------------------------------------------------------------------


def make_rng(seed: int | None) -> tuple[int, np.random.Generator]:
    """A fresh seed when none is given (so hard-coded answers cannot pass), reported back."""
    if seed is None:
        seed = secrets.randbelow(2**31 - 1)
    return seed, np.random.default_rng(seed)


@dataclass
class Case:
    """One input the check tries. ``label`` is what the student reads in a failure."""

    label: str
    seed: int | None = None
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [self.label]
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        parts += [f"{k}={v}" for k, v in self.details.items()]
        return "case '" + parts[0] + "'" + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def fail(case: Case | str, message: str) -> None:
    raise CheckFailure(f"{case}: {message}")


# the two other parts, imported after the names they take from here: every name of the
# machinery stays importable as ``course_utils.checks._core.<name>``
from .calling import _last_warnings, _same, _snapshot, _Tripwire, _where  # noqa: E402, F401
from .calling import call_student, expect_raises, warnings_note  # noqa: E402, F401
from .compare import TOLERANCES, Mistakes, _close, _is_torch_tensor, diagnose  # noqa: E402, F401
from .compare import distinct, expect_array, expect_close, expect_tuple  # noqa: E402, F401
from .compare import expected_got, tolerance  # noqa: E402, F401
