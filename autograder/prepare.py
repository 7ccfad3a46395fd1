"""Turn one submitted notebook into the list of cells to run, the test cells restored.

The submission's own cells run as the student left them. Test cells come from the source
notebook in solutions/ (hidden tests included), whatever the submission holds: a test
cell that was changed is replaced, one that was deleted is put back after the cell that
precedes it in the source, and both are flagged for the instructor. A cell that merely
claims to be a test (copied, or nbgrader metadata added by hand) runs as ordinary code and
is flagged too. Points come from the source, never from the submission's metadata.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import cells, paths
from .replay import import_statements

HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S)


class Malformed(ValueError):
    """The submission is not a readable notebook."""


@dataclass
class Prepared:
    cells: list[dict]            # what the worker runs: code and test cells, in order
    notebook: object             # the restored notebook (for the feedback)
    visible: dict[str, str]      # grade_id -> the test source a student may see
    max_score: float
    manual_points: float
    imports: dict[str, str]      # name -> import line, from the source notebook
    notes: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=None)
def _course_notebooks(assignment: str):
    source = nbformat.read(paths.source_notebook(assignment), as_version=4)
    release_path = paths.release_notebook(assignment)
    release = nbformat.read(release_path, as_version=4) if release_path.exists() else None
    return source, release


def read_submission(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Malformed(f"{path.name} cannot be read ({type(exc).__name__})") from None
    try:
        json.loads(text)
    except ValueError:
        raise Malformed(f"{path.name} is not valid JSON (cut short, or edited outside "
                        "Jupyter?)") from None
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # JSON, but not a notebook
        raise Malformed(f"{path.name} is not a Jupyter notebook ({type(exc).__name__})") from None
    if not isinstance(nb.get("cells"), list):
        raise Malformed(f"{path.name} has no list of cells")
    for cell in nb.cells:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Malformed(f"{path.name} holds a cell that is not a notebook cell")
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(str(s) for s in cell["source"])
        if not isinstance(cell.get("source", ""), str):
            raise Malformed(f"{path.name} holds a cell whose source is not text")
        cell.setdefault("metadata", {})
    return nb


def visible_source(source_cell, release_nb) -> str:
    """The part of a test cell a student sees: the released cell, or the source unhidden."""
    gid = cells.grade_id(source_cell)
    for cell in release_nb.cells if release_nb is not None else []:
        if cells.grade_id(cell) == gid:
            return cell.source
    return HIDDEN.sub("", source_cell.source).rstrip()


def prepare(path: Path, assignment: str) -> Prepared:
    source, release = _course_notebooks(assignment)
    student = read_submission(path)
    nb, restored = cells.restore_tests(student, source, release)
    tests = {cells.grade_id(c): c for c in cells.autograded_tests(source)}
    notes = [f"{gid}: {what}" for gid, what in restored]
    chosen: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        gid = cells.grade_id(cell)
        if gid in tests and cell.get("source") == tests[gid].source:
            chosen[gid] = i  # the restored copy (the last, if the source appears twice)
    steps = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        gid = cells.grade_id(cell)
        if gid in tests and chosen.get(gid) == i:
            steps.append({"kind": "test", "index": i, "grade_id": gid,
                          "source": tests[gid].source, "points": cells.points(tests[gid])})
            continue
        if cells.is_autograded_test(cell):
            notes.append(f"{gid or 'a cell'}: a cell marked as a test that is not one of the "
                         "assignment's test cells ran as ordinary code")
            cell.metadata.pop("nbgrader", None)
        steps.append({"kind": "code", "index": i, "source": cell.get("source", "")})
    answers = [c for c in source.cells if cells.is_manual_answer(c)]
    code_sources = [c.source for c in source.cells if c.cell_type == "code"]
    return Prepared(
        cells=steps, notebook=nb, notes=notes,
        visible={gid: visible_source(c, release) for gid, c in tests.items()},
        max_score=sum(cells.points(c) for c in tests.values()),
        manual_points=sum(cells.points(c) for c in answers),
        imports=import_statements(code_sources))
