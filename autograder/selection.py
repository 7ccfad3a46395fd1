"""Grade only what the score depends on, safely (``grade``; ``grade --all`` runs every cell).

Most of a course notebook is demonstration: figures, timings, training runs that no score
depends on. A *selective run* of a submission leaves out only cells that are the course's
own and cannot matter, and its result is kept only when nothing was lost by leaving them
out; otherwise the notebook is graded again with every cell and that run's result stands.

Which cells run (:func:`plan`):

- every cell the student wrote or edited: any code cell that is not, byte for byte, a
  code cell of the released notebook (``notebooks/NN/NN.ipynb``) in the release's order;
- every test cell, and every cell that is graded in the release (a solution cell runs even
  when it is left as the stub);
- a course cell left as released runs when a cell that runs reads a name it binds
  (``dataflow.needed``, with the cells above as its starting points: the same analysis as
  ``check``'s);
- when any cell's names cannot be read (a magic, ``exec``, ``globals()``...), every cell
  runs, as in ``check``.

Which result stands (:func:`settle`): the selective run's only when it reached full marks
and ran clean (no time limit, no kernel death, no grader error); otherwise the full run's.
A cell of a selective run gets at most :data:`PATIENCE` seconds: one that needs more is
worth a full run anyway (its real time limit applies there), so an endless loop costs a
short wait and the full run's limit, not two limits.

What this leaves open is one direction only, and only for course cells: a course cell that
would have harmed a submission with full marks (crashed its kernel, run past a time limit,
changed an object in place that the tests then use) is not run. docs/instructors.md
("Selective grading") lists the cases.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass

import nbformat

from . import cells, dataflow, paths

#: seconds a cell may take in a selective run before the notebook is graded in full instead
PATIENCE = 60.0


@dataclass
class Plan:
    """A selective run of one prepared notebook."""

    steps: list[dict]   # the prepared steps that run, in order
    skipped: int        # code cells left out
    total: int          # code cells in the notebook


@functools.lru_cache(maxsize=None)
def _release(assignment: str):
    path = paths.release_notebook(assignment)
    return nbformat.read(path, as_version=4) if path.exists() else None


def course_cells(nb, release) -> list[bool]:
    """For each cell of ``nb``: is it a code cell of ``release``, unchanged, in the release's
    order, and not graded there? (Anything else counts as the student's.)"""
    theirs = [(i, c.get("source", "")) for i, c in enumerate(nb.cells)
              if c.get("cell_type") == "code"]
    ours = [c for c in release.cells if c.get("cell_type") == "code"]
    matcher = difflib.SequenceMatcher(None, [c.get("source", "") for c in ours],
                                      [source for _, source in theirs], autojunk=False)
    found = [False] * len(nb.cells)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            released = ours[block.a + k]
            if not (cells.meta(released).get("grade") or cells.meta(released).get("solution")):
                found[theirs[block.b + k][0]] = True
    return found


def plan(prepared, assignment: str) -> Plan | None:
    """The selective run of ``prepared`` (``prepare.Prepared``); None: run every cell."""
    release = _release(assignment)
    if release is None:
        return None
    nb = prepared.notebook
    ours = course_cells(nb, release)
    must = [c.get("cell_type") == "code" and not ours[i] for i, c in enumerate(nb.cells)]
    flags = dataflow.needed(nb, must=must)
    if flags is None:
        return None
    steps = [s for s in prepared.cells if s["kind"] == "test" or flags[s["index"]]]
    if len(steps) == len(prepared.cells):
        return None
    return Plan(steps, len(prepared.cells) - len(steps),
                sum(s["kind"] == "code" for s in prepared.cells))


def selective_job(job: dict, chosen: Plan) -> dict:
    """``job`` (every cell) as a selective run: fewer cells, cells held to PATIENCE."""
    settings = dict(job["settings"], timeout=min(job["settings"]["timeout"], PATIENCE))
    return dict(job, cells=chosen.steps, settings=settings)


def settle(chosen: Plan | None, result: dict, tests: int) -> bool:
    """May the selective ``result`` stand? Only with full marks on all ``tests`` test cells
    and a clean run; otherwise the notebook must be graded with every cell."""
    if chosen is None:
        return True
    graded = [c for c in result.get("cells", []) if c.get("kind") == "test"]
    return (result.get("problem") is None and not result.get("error")
            and len(graded) == tests and all(c.get("passed") for c in graded))


class Runs:
    """One grading's selective runs, each with the full run it falls back to (``grade``
    hands :meth:`first` every job and the pool :meth:`then` every result)."""

    def __init__(self, every_cell: bool = False):
        self.every_cell = every_cell
        self._full: dict[int, tuple[dict, Plan, int]] = {}
        self._again: dict[int, dict] = {}

    def first(self, job: dict, prepared, assignment: str) -> dict:
        """The job to grade first: a selective run of ``job`` when one is possible."""
        chosen = None if self.every_cell else plan(prepared, assignment)
        if chosen is None:
            return job
        first = selective_job(job, chosen)
        tests = sum(s["kind"] == "test" for s in prepared.cells)
        self._full[id(first)] = (job, chosen, tests)
        return first

    def then(self, job: dict, result: dict) -> dict | None:
        """After ``result`` of ``job``: the full run to grade in its place, or None."""
        if id(job) in self._again:  # a full run after a selective one: it stands
            result["selective"] = self._again.pop(id(job))
            return None
        entry = self._full.pop(id(job), None)
        if entry is None:
            return None
        full, chosen, tests = entry
        summary = {"skipped": chosen.skipped, "code_cells": chosen.total,
                   "kept": settle(chosen, result, tests),
                   "selective_seconds": result.get("seconds", 0.0)}
        if summary["kept"]:
            result["selective"] = summary
            return None
        self._again[id(full)] = summary
        return full


def describe(result: dict) -> str:
    """For the progress log: how the result was reached (empty: every cell, as asked)."""
    summary = result.get("selective")
    if not summary:
        return ""
    if summary["kept"]:
        return f"; {summary['skipped']} of {summary['code_cells']} code cells not needed"
    return (f"; graded again with every cell after a selective run of "
            f"{summary['selective_seconds']:.1f} s")
