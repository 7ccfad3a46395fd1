"""Self-study: run a notebook with the hidden tests restored and score its test cells.

Steps: find the notebook's source in solutions/; put the source's test cells (hidden tests
included) into the student's notebook; run it in a fresh kernel in a scratch folder;
score each autograded test cell the way nbgrader does (full points unless it shows an
error or writes to stderr). Needs no gradebook and writes nothing into the repository.

By default only the cells the score depends on run (the graded cells and the cells that
bind a name they read, see ``dataflow``): the figures and training runs are skipped, so a
check costs little more than starting a kernel. ``every_cell=True`` (``--all``) runs the
whole notebook, as nbgrader and ``grade`` do.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .. import cells, paths
from . import dataflow
from .execute import run_notebook

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class CheckError(RuntimeError):
    """The notebook cannot be checked (not found, not a course notebook, not JSON)."""


@dataclass
class CellResult:
    grade_id: str
    score: float
    max_score: float
    message: str


@dataclass
class Report:
    notebook: str
    score: float
    max_score: float
    cells: list[CellResult] = field(default_factory=list)
    #: the executed notebook and what stopped it, if anything (not part of the JSON)
    executed: object = field(default=None, repr=False)
    problem: str | None = None
    #: code cells run and in the notebook (fewer run when the demonstrations are skipped)
    ran_cells: int = 0
    code_cells: int = 0

    def as_json(self) -> str:
        data = asdict(self)
        data.pop("executed")
        data.pop("problem")
        return json.dumps(data)

    def as_table(self) -> str:
        width = max([len("grade id")] + [len(c.grade_id) for c in self.cells])
        lines = [f"{self.notebook}", f"{'grade id':<{width}}  score    max  message",
                 f"{'-' * width}  -----  -----  -------"]
        for c in self.cells:
            first, *rest = (c.message or "").splitlines() or [""]
            lines.append(f"{c.grade_id:<{width}}  {c.score:5g}  {c.max_score:5g}  {first}")
            lines += [f"{'':<{width}}  {'':5}  {'':5}  {more}" for more in rest[:12]]
        lines.append(f"{'total':<{width}}  {self.score:5g}  {self.max_score:5g}")
        if self.ran_cells < self.code_cells:
            lines.append(f"(ran the {self.ran_cells} of {self.code_cells} code cells the score "
                         "depends on; --all runs every cell)")
        return "\n".join(lines)


def _message(cell) -> tuple[bool, str]:
    """(passed, message) for an executed test cell, judged as nbgrader judges it."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            text = f"{out.get('ename')}: {out.get('evalue')}"
            return False, ANSI.sub("", text).strip()
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return False, "wrote to stderr (nbgrader scores this 0): " + ANSI.sub(
                "", out.get("text", "")).strip()[:500]
    return True, "passed"


def locate_source(notebook: Path) -> Path:
    assignment = notebook.resolve().parent.name
    source = paths.source_notebook(assignment)
    if not source.exists() or notebook.stem != assignment:
        raise CheckError(f"{notebook} is not one of the course's notebooks (expected "
                         f"<assignment>/<assignment>.ipynb with a source in solutions/; "
                         f"assignments: {', '.join(paths.assignments())})")
    return source


def read_notebook(path: Path):
    try:
        return nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise CheckError(f"{path}: no such notebook") from None
    except Exception as exc:  # malformed JSON or not a notebook
        raise CheckError(f"{path} is not a readable notebook ({type(exc).__name__}: {exc}); "
                         "if you edited it by hand, restore it from notebooks/") from None


def only_needed(nb):
    """A copy of ``nb`` with the code cells the score does not depend on left out."""
    flags = dataflow.needed(nb)
    if flags is None:  # a cell's names cannot be read: run them all
        return nb
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.cells = [c for c, keep in zip(nb.cells, flags) if keep or c.get("cell_type") != "code"]
    return out


def check(notebook: str | Path, timeout: int = 300, every_cell: bool = False) -> Report:
    notebook = Path(notebook)
    if not notebook.exists():
        raise CheckError(f"{notebook}: no such notebook")
    source_path = locate_source(notebook)
    student = read_notebook(notebook)
    source = read_notebook(source_path)
    release_path = paths.release_notebook(source_path.parent.name)
    release = read_notebook(release_path) if release_path.exists() else None
    nb, notes = cells.restore_tests(student, source, release)
    code_cells = sum(c.get("cell_type") == "code" for c in nb.cells)
    if not every_cell:
        nb = only_needed(nb)
    run = run_notebook(nb, folder=notebook.resolve().parent, timeout=timeout)
    note_of = dict(notes)
    report = Report(notebook=str(notebook), score=0.0, max_score=0.0, executed=run.nb,
                    problem=run.problem, code_cells=code_cells,
                    ran_cells=sum(c.get("cell_type") == "code" for c in nb.cells))
    for cell in cells.autograded_tests(run.nb):
        gid = cells.grade_id(cell)
        ran = cell.get("execution_count") is not None or cell.get("outputs")
        passed, message = _message(cell)
        if not ran:
            passed, message = False, f"did not run: {run.problem or 'execution stopped early'}"
        if gid in note_of:
            message = f"{message} ({note_of[gid]})"
        pts = cells.points(cell)
        report.cells.append(CellResult(gid, pts if passed else 0.0, pts, message))
        report.max_score += pts
        report.score += pts if passed else 0.0
    return report
