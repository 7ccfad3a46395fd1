"""The course's grades where nbgrader's own tools read them: the gradebook and ``autograded/``.

An instructor who knows nbgrader grades the written answers by hand in the Formgrader
(``make instructor``) and exports with ``nbgrader export``. Both read nbgrader's gradebook
(``autograder/gradebook.db``, named in ``autograder/nbgrader_config.py``) and the
Formgrader shows each submission from ``autograder/autograded/<student>/<assignment>/``.
``grade`` (and ``merge``; a shard never) records there what stock ``nbgrader autograde``
would have recorded, with the scores the course's grader computed:

1. the assignment, its notebook and cells, if the gradebook does not have them yet, by
   nbgrader's own ``generate_assignment`` (into a scratch release folder);
2. each graded submission: the student, the submission (its timestamp from
   ``timestamp.txt`` when it came through the exchange), and the **autograded notebook**:
   the student's notebook with the test cells restored where they belong, each showing its
   *released* source (never the hidden tests) and, as its outputs, the check's verdict: no
   output when it passed, an error whose text is the check's message when it failed. The
   student's own cells keep their text output and errors, as the grader recorded them (no
   HTML, image or script of a student's output: nothing the Formgrader could run);
3. nbgrader's own ``SaveAutoGrades`` and ``AssignLatePenalties`` steps on that notebook:
   they read the verdicts from those outputs, as for a stock-graded notebook (an error
   output: 0; none: full marks), and store them, with "No response." for an answer left as
   released. Hand-graded scores and comments already in the gradebook are kept, as stock
   autograde keeps them.

No score is computed here: the outputs hold the grader's verdicts (checked to give back
exactly its points), and nothing from a submission runs outside the sandbox. A
submission without a score (not graded, see its row) is not recorded; nor is a student
whose folder name a spreadsheet would take for a formula or that would break nbgrader's
CSV export (which writes names unquoted): such names are listed in the summary.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import cells, paths
from ..grading import prepare
from ..safety import sanitize

AUTOGRADED = "autograded"
CHECK_FAILURE = "CheckFailure"


@dataclass(frozen=True)
class Target:
    """Where to record: nbgrader's gradebook (a SQLite file) and its autograded folder."""

    db: Path
    autograded: Path
    course_id: str = "bn-from-scratch"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db}"

    def notebook_path(self, student: str, assignment: str) -> Path:
        return self.autograded / student / assignment / f"{assignment}.ipynb"


def course_target() -> Target:
    """The gradebook and autograded folder of the course's nbgrader configuration
    (``autograder/nbgrader_config.py``): where the Formgrader and ``nbgrader export`` look."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(paths.CONFIG_DIR)).load_config()
    course = config.CourseDirectory
    url = str(course.db_url)
    if not url.startswith("sqlite:///"):
        raise ValueError(f"{paths.CONFIG_DIR / 'nbgrader_config.py'}: the gradebook is {url}; "
                         "grade records into a SQLite gradebook only (give --gradebook PATH)")
    root = Path(str(course.root))
    return Target(Path(url[len("sqlite:///"):]), root / str(course.autograded_directory),
                  str(course.course_id))


def target_for(path: str | Path) -> Target:
    """A gradebook at ``path`` (a ``.db`` file), its autograded notebooks in ``autograded/``
    beside it (as in the course's configuration: ``autograder/gradebook.db`` and
    ``autograder/autograded/``)."""
    db = Path(path).resolve()
    if db.is_dir():
        raise ValueError(f"--gradebook {path}: a folder; give the gradebook's file "
                         "(e.g. grading/gradebook.db)")
    return Target(db, db.parent / AUTOGRADED, course_target().course_id)


# --- the autograded notebook ---------------------------------------------------------------

def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": sanitize.text(text)}


def _error(name: str, value: str) -> dict:
    value = sanitize.text(value)
    return {"output_type": "error", "ename": sanitize.line(name)[:100], "evalue": value,
            "traceback": [f"{sanitize.line(name)[:100]}: {value}"]}


#: put after every "<" of a student's Markdown in the autograded notebook (see inert_markdown)
ZERO_WIDTH_SPACE = "\u200b"


def inert_markdown(text: str) -> str:
    """A student's Markdown as the Formgrader may render it: no raw HTML, no link.

    The Formgrader (and ``nbgrader generate_feedback``) render Markdown cells with
    nbconvert's ``markdown2html``, which passes raw HTML and ``javascript:`` links on: a
    ``<script>`` or ``<img onerror=...>`` in an answer would run in the instructor's
    Jupyter server, with their rights. A zero-width space after every ``<`` (no HTML tag,
    comment or declaration starts so, in Markdown or in a browser), and between ``]`` and
    ``(`` or ``:`` (no inline link or image, no link definition), leaves text that reads
    the same and holds no markup (nbconvert still links a web address typed out,
    ``https://...``, as in any notebook: never a ``javascript:`` one). Cells left as the course released them are not changed
    (their ``<details>`` stay)."""
    text = sanitize.text(text).replace("<", "<" + ZERO_WIDTH_SPACE)
    return text.replace("](", "]" + ZERO_WIDTH_SPACE + "(").replace(
        "]:", "]" + ZERO_WIDTH_SPACE + ":")


def autograded_notebook(prepared, result, assignment: str) -> dict:
    """The notebook nbgrader's ``autograded/`` holds for this submission, as JSON: the
    student's cells (test cells restored, showing their released source) with the grader's
    verdicts and the cells' text output as outputs. See the module's docstring."""
    _, release = prepare._course_notebooks(assignment)
    released = {cells.grade_id(c): c.metadata.get("nbgrader") for c in
                (release.cells if release is not None else []) if cells.grade_id(c)}
    course_text = {c.source for c in (release.cells if release is not None else [])
                   if c.cell_type == "markdown"}
    by_index = {c["index"]: c for c in result.get("cells", [])}
    tests = {s["index"]: s for s in prepared.cells if s["kind"] == "test"}
    nb = copy.deepcopy(prepared.notebook)
    out_cells = []
    for i, cell in enumerate(nb.cells):
        gid = cells.grade_id(cell)
        meta = cell.get("metadata", {}).get("nbgrader")
        metadata = {}
        if isinstance(meta, dict) and gid:
            metadata["nbgrader"] = copy.deepcopy(released.get(gid) or meta)
        kind = cell.get("cell_type")
        if kind == "code":
            got = by_index.get(i)
            outputs = []
            source = cell.get("source", "")
            if i in tests:
                step = tests[i]
                source = prepared.visible.get(step["grade_id"], "")
                got = got or {"passed": False, "points": 0.0, "output": "",
                              "message": "not graded (see the notes)"}
                if got.get("output"):
                    outputs.append(_stream(got["output"]))
                if not got.get("passed"):
                    outputs.append(_error(CHECK_FAILURE, got.get("message") or "failed"))
                elif float(got.get("points", 0)) < float(step["points"]):
                    outputs.append({"output_type": "execute_result", "execution_count": None,
                                    "metadata": {},
                                    "data": {"text/plain": f"{float(got['points']):g}"}})
            elif got is not None:
                if got.get("output"):
                    outputs.append(_stream(got["output"]))
                if got.get("error"):
                    outputs.append(_error(*[str(x) for x in list(got["error"])[:2]]))
            out_cells.append(nbformat.v4.new_code_cell(source, metadata=metadata,
                                                       outputs=outputs))
        elif kind == "markdown":
            text = cell.get("source", "")
            if text not in course_text:
                text = inert_markdown(text)
            out_cells.append(nbformat.v4.new_markdown_cell(text, metadata=metadata))
        else:  # raw: as plain text (no format, so no converter passes it on as HTML)
            out_cells.append(nbformat.v4.new_raw_cell(cell.get("source", ""), metadata=metadata))
    for i, cell in enumerate(out_cells):
        cell["id"] = f"cell-{i + 1}"  # the same on every run (not the submission's, not random)
    out = nbformat.from_dict(nbformat.v4.new_notebook(cells=out_cells,
                                                      metadata=cells.clean(nb).metadata))
    # as nbformat reads it back (each source one string), in plain JSON types
    return json.loads(json.dumps(nbformat.reads(nbformat.writes(out, version=4), as_version=4)))


def check_verdicts(nb, tests: list[dict]) -> None:
    """Raise RuntimeError unless nbgrader reads back from ``nb``'s outputs exactly the
    grader's points for every test cell (``tests``: ``results.Graded.tests``)."""
    from nbgrader.utils import determine_grade

    points = {t["grade_id"]: t["points"] for t in tests}
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if cells.is_autograded_test(cell) and gid in points:
            got, _ = determine_grade(cell)
            if got is None or abs(float(got) - float(points[gid])) > 1e-9:
                raise RuntimeError(f"{gid}: nbgrader would read {got} from the autograded "
                                   f"notebook, the grader gave {points[gid]}")


# --- recording ------------------------------------------------------------------------

def unsafe_name(name: str) -> str | None:
    """Why a student's folder name is not recorded in the gradebook (None: it is fine)."""
    if not name or sanitize.line(name) != name:
        return "control characters in the name"
    if sanitize.csv_cell(name) != name:
        return "a name a spreadsheet would read as a formula"
    if any(ch in name for ch in ',"'):
        return "a comma or quote (nbgrader export writes names unquoted)"
    return None


def _timestamp(g) -> object:
    text = g.extras.get("timestamp.txt")
    if not text:
        return None
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text)
    except Exception:  # noqa: BLE001 - a timestamp nbgrader cannot read is left out
        return None


def _has_notebook(gb, assignment: str) -> bool:
    from nbgrader.api import MissingEntry

    try:
        gb.find_notebook(assignment, assignment)
    except MissingEntry:
        return False
    return True


def _add_assignment(target: Target, assignment: str) -> None:
    """The assignment's notebook and cells in the gradebook, by nbgrader's own
    ``generate_assignment`` (its release goes to a scratch folder)."""
    from ..course.generate import nbgrader

    with tempfile.TemporaryDirectory(prefix="bn-gradebook-") as scratch:
        done = nbgrader(["generate_assignment", assignment, "--force"], cwd=paths.CONFIG_DIR,
                        extra=[f"--CourseDirectory.db_url={target.db_url}",
                               f"--CourseDirectory.release_directory={scratch}/release",
                               f"--CourseDirectory.course_id={target.course_id}",
                               "--log-level=WARN"])
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} could not add it to "
                           f"{target.db}: {(done.stderr or done.stdout).strip()[-1500:]}")


@contextlib.contextmanager
def _tools_on_path():
    """The environment's bin folder first on PATH: nbgrader runs ``alembic`` by name when it
    makes a new gradebook."""
    before = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), before])
    try:
        yield
    finally:
        os.environ["PATH"] = before


def _write_notebook(path: Path, nb) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    cells.write(nb, partial)
    os.replace(partial, path)


@contextlib.contextmanager
def _quiet_sqlalchemy():
    """nbgrader 0.9.6's gradebook, on SQLAlchemy 2, warns ``SAWarning: Object of type
    <SubmittedAssignment> not in session`` when it makes a submission (stock autograde
    prints the same): its own noise, not the instructor's to act on."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SAWarning, module=r"nbgrader(\.|$)")
        yield


def record(graded, target: Target, log=print) -> str:
    """Record every graded submission of ``graded`` (``results.Graded``) in ``target``;
    a one-line summary of what was recorded (and what was not, and why)."""
    with _quiet_sqlalchemy():
        return _record(graded, target, log)


def _record(graded, target: Target, log=print) -> str:
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    todo, refused = [], []
    for g in graded:
        if g.row.score == "" or g.autograded is None or not g.row.assignment:
            continue
        why = unsafe_name(g.row.student)
        if why:
            refused.append(f"{sanitize.line(g.row.student)[:60]!r} ({why})")
            continue
        todo.append(g)
    todo.sort(key=lambda g: (g.row.assignment, g.row.student))
    failed: list[str] = []
    recorded = 0
    if not todo:  # nothing to record: no gradebook is made or opened
        parts = [f"gradebook: no submission with a score to record in {target.db}"]
        if refused:
            parts.append("not recorded, their names: " + ", ".join(refused))
        return sanitize.line("; ".join(parts))
    try:
        target.db.parent.mkdir(parents=True, exist_ok=True)
        with _tools_on_path(), Gradebook(target.db_url, target.course_id) as gb:
            missing = sorted({g.row.assignment for g in todo
                              if not _has_notebook(gb, g.row.assignment)})
        for assignment in missing:
            log(f"gradebook: adding {assignment} to {target.db} (nbgrader generate_assignment)")
            _add_assignment(target, assignment)
    except Exception as exc:
        raise RuntimeError(f"the grades, feedback and class report are written, but nothing "
                           f"was recorded in the gradebook {target.db}: "
                           f"{type(exc).__name__}: {str(exc)[:500]}") from None
    for g in todo:
        student, assignment = g.row.student, g.row.assignment
        try:
            nb = nbformat.from_dict(copy.deepcopy(g.autograded))
            check_verdicts(nb, g.tests)
            with Gradebook(target.db_url, target.course_id) as gb:
                gb.update_or_create_student(student)
                gb.update_or_create_submission(assignment, student, timestamp=_timestamp(g))
            _write_notebook(target.notebook_path(student, assignment), nb)
            resources = {"nbgrader": {"notebook": assignment, "assignment": assignment,
                                      "student": student, "db_url": target.db_url}}
            for step in (SaveAutoGrades, AssignLatePenalties):
                nb, resources = step().preprocess(nb, resources)
            recorded += 1
        except Exception as exc:  # noqa: BLE001 - one submission never stops the others
            failed.append(f"{student}/{assignment} ({type(exc).__name__}: {str(exc)[:200]})")
    parts = [f"gradebook: {recorded} submission(s) recorded in {target.db} "
             f"(autograded notebooks in {target.autograded})"]
    if refused:
        parts.append("not recorded, their names: " + ", ".join(refused))
    if failed:
        parts.append("could not be recorded: " + ", ".join(failed))
    return sanitize.line("; ".join(parts))
