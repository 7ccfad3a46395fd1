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
short wait and the full run's limit, not two limits. A selective run also stops at the
first point it loses (a failed test cell, a time limit, a dead kernel): it cannot be kept
after that, so the rest of it would be work thrown away.

What this leaves open is one direction only, and only for course cells: a course cell that
would have harmed a submission with full marks (crashed its kernel, run past a time limit,
changed an object in place that the tests then use) is not run. docs/instructors.md
("Selective grading") lists the cases.
"""

from __future__ import annotations

import ast
import difflib
import functools
from dataclasses import dataclass

import nbformat

from .. import cells, paths
from ..selfstudy import dataflow
from ..verdicts.replay import free_names
from . import prestart

#: seconds a cell may take in a selective run before the notebook is graded in full instead
PATIENCE = 30.0


@dataclass
class Plan:
    """A selective run of one prepared notebook."""

    steps: list[dict]   # the prepared steps that run, in order (a course cell maybe in part)
    skipped: int        # code cells left out, or cut to the statements needed
    total: int          # code cells in the notebook


@functools.lru_cache(maxsize=None)
def _release(assignment: str):
    path = paths.release_notebook(assignment)
    return nbformat.read(path, as_version=4) if path.exists() else None


def release(assignment: str):
    """The released (student) notebook of ``assignment``, or None when there is none."""
    return _release(assignment)


def _aligned(nb, release) -> dict[int, dict]:
    """Cell index in ``nb`` -> the released code cell it is, byte for byte and in order."""
    theirs = [(i, c.get("source", "")) for i, c in enumerate(nb.cells)
              if c.get("cell_type") == "code"]
    ours = [c for c in release.cells if c.get("cell_type") == "code"]
    matcher = difflib.SequenceMatcher(None, [c.get("source", "") for c in ours],
                                      [source for _, source in theirs], autojunk=False)
    return {theirs[block.b + k][0]: ours[block.a + k]
            for block in matcher.get_matching_blocks() for k in range(block.size)}


def _graded(cell) -> bool:
    return bool(cells.meta(cell).get("grade") or cells.meta(cell).get("solution"))


def course_cells(nb, release) -> list[bool]:
    """For each cell of ``nb``: is it a code cell of ``release``, unchanged, in the release's
    order, and not graded there? (Anything else counts as the student's.)"""
    aligned = _aligned(nb, release)
    return [i in aligned and not _graded(aligned[i]) for i in range(len(nb.cells))]


def statements(source: str) -> list[str] | None:
    """The top-level statements of a cell, each with its lines (decorators included); None
    when it cannot be cut (not Python, or two statements on one line)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    lines = source.splitlines(keepends=True)
    spans = [(min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]),
              node.end_lineno) for node in tree.body]
    if any(a[1] >= b[0] for a, b in zip(spans, spans[1:])):
        return None
    return ["".join(lines[first - 1:last]) for first, last in spans]


def plan(prepared, assignment: str) -> Plan | None:
    """The selective run of ``prepared`` (``prepare.Prepared``); None: run every cell."""
    release = _release(assignment)
    if release is None:
        return None
    nb = prepared.notebook
    aligned = _aligned(nb, release)
    if any(cells.meta(c).get("solution") and c.get("cell_type") == "code"
           for c in aligned.values()):
        return None  # an exercise left as the stub: its test fails, so grade it in full now
    # the units of the analysis: a course cell's statements, any other cell whole
    units: list[tuple[int, str | None]] = []   # (step, statement or None for the whole)
    infos: list[dataflow.Names] = []
    must: list[bool] = []
    for k, step in enumerate(prepared.cells):
        ours = step["kind"] == "code" and step["index"] in aligned
        parts = statements(step["source"]) if ours else None
        if step["kind"] == "test":  # run by the grader: it reads from the kernel only the
            info = dataflow.Names(frozenset(),  # student's names, none of the imports
                                  frozenset(free_names(step["source"]) - prepared.imports.keys()))
        else:
            info = None
        for part in parts or [None]:
            info_k = info or dataflow.names(part if part is not None else step["source"])
            if info_k.opaque:
                return None
            units.append((k, part))
            infos.append(info_k)
            must.append(not ours)
    flags = dataflow.walk(infos, must)
    kept: dict[int, list[str | None]] = {}
    for (k, part), flag in zip(units, flags):
        if flag:
            kept.setdefault(k, []).append(part)
    steps, cut = [], 0
    for k, step in enumerate(prepared.cells):
        parts = kept.get(k)
        whole = len(parts or []) == sum(1 for u in units if u[0] == k)
        if parts is None:
            cut += 1
        elif whole:
            steps.append(step)
        else:
            steps.append(dict(step, source="".join(parts)))
            cut += 1
    if not cut:
        return None
    return Plan(steps, cut, sum(s["kind"] == "code" for s in prepared.cells))


def selective_job(job: dict, chosen: Plan) -> dict:
    """``job`` (every cell) as a selective run: fewer cells, cells held to PATIENCE, and
    it stops at the first point lost (the notebook is then graded with every cell)."""
    settings = dict(job["settings"], timeout=min(job["settings"]["timeout"], PATIENCE),
                    selective=True)
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
        """The job to grade first: a selective run of ``job`` when one is possible (both
        say what their kernel may import as it starts, see ``prestart.preload``)."""
        release = _release(assignment)
        course = set(_aligned(prepared.notebook, release)) if release is not None else set()
        job["preload"] = prestart.preload(job["cells"], course)
        chosen = None if self.every_cell else plan(prepared, assignment)
        if chosen is None:
            return job
        first = selective_job(job, chosen)
        first["preload"] = prestart.preload(first["cells"], course)
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
