"""The checks the notebooks' test cells call: ``check_<name>(student)`` per graded function.

Each check calls the student's code on fresh random inputs and edge cases, compares with
``course_utils.reference`` at fair tolerances and returns None when all agree. When
something is wrong it raises :class:`CheckFailure` (an ``AssertionError``) whose message
names the case, the seed, expected vs got and, where it recognises one, the likely mistake.

``seed`` fixes the random inputs: visible test cells pass a fixed seed so a student can
reproduce a failure; ``seed=None`` draws a fresh one. ``hidden=True`` adds the property
tests that the hidden test cells run.
"""

from course_utils._discover import export_all

from ._core import CheckFailure

__all__ = ["CheckFailure"] + export_all(__name__, __path__, globals())
