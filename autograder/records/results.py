"""What a grading leaves in its folder, written by the one step that a single run, a shard
and a merge share, so that all three write the same bytes.

Each submission graded becomes a :class:`Graded`: its row of the grades table *before* the
instructor's hand-graded points, the body of its feedback page, the nbgrader files that go
back with the page, and its written answers. :func:`write` turns a list of them into

- ``grades.csv``, with the points from the folder's ``manual-scores.csv`` added up;
- ``manual-scores.csv``, a line added for every new written answer (never overwritten);
- ``feedback/<student>/<assignment>/<assignment>.html``, every student's page;
- ``exchange-feedback/<student>/<assignment>/``: the same page with nbgrader's two files
  (``timestamp.txt``, ``submission_secret.txt``), for the submissions that came through
  nbgrader's exchange only: what ``nbgrader release_feedback`` reads (a downloaded
  submission has no secret, so no student could fetch its page there);
- ``written-answers/<assignment>.html``, every student's written answers, side by side;
- ``class-report.html`` and ``.csv``, the class's mistakes, counted (``class_report``);
- ``mathjax/``, for the math in written answers (``markdown``): the pages load it from
  there, never from a CDN.

The hand-graded points are read last because they can change a page: a ``points`` entry
that is not a number becomes a note on the row, and the page shows the row's notes.

What is written for a student holds nothing that did not come from the grader: nbgrader's
two files are read without following links, checked to be what nbgrader writes (a
timestamp, a hex secret) and written again from the parsed value, never copied. A failure
while writing one student's page becomes a note on that student's row; the others' pages
and the CSV are written all the same.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import cells
from ..grading import prepare
from ..safety import safefiles
from . import class_report, feedback, gradebook, markdown, report

#: what `nbgrader collect` leaves beside a submission and `nbgrader release_feedback` reads
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
NBGRADER_FILE_BYTES = 1000
#: the feedback of the submissions that came through nbgrader's exchange, for
#: ``nbgrader release_feedback --CourseDirectory.feedback_directory=.../exchange-feedback``
EXCHANGE_FEEDBACK = "exchange-feedback"
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,6})?"
                        r"(?: ?(Z|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z0-9_+\-/]{0,39}))?")
_SECRET = re.compile(r"[0-9a-fA-F]{16,256}")


def nbgrader_file(name: str, data: bytes) -> str | None:
    """The text to write for nbgrader's ``timestamp.txt`` or ``submission_secret.txt``,
    rebuilt from what was parsed out of ``data``; None when it is not what nbgrader writes."""
    try:
        value = data.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    if name == "submission_secret.txt":
        return value.lower() if _SECRET.fullmatch(value) else None
    found = _TIMESTAMP.fullmatch(value)
    if not found:
        return None
    try:
        when = datetime.strptime(f"{found[1]} {found[2]}", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    text = when.strftime("%Y-%m-%d %H:%M:%S")
    if found[3]:
        text += f".{int(found[3][1:].ljust(6, '0')):06d}"
    return text + (f" {found[4]}" if found[4] else "")


def nbgrader_files(sub) -> tuple[dict[str, str], list[str]]:
    """nbgrader's files beside a submission ({name: text to write}) and notes on those that
    were not taken (a link, not a regular file, or not in nbgrader's format)."""
    found, notes = {}, []
    root = sub.root or sub.folder.parent
    for name in NBGRADER_FILES:
        path = sub.folder / name
        try:
            data = safefiles.read_bytes(root, path, NBGRADER_FILE_BYTES, "nbgrader file")
        except FileNotFoundError:
            continue
        except (safefiles.Unsafe, OSError) as exc:
            notes.append(f"{name} was not taken for the feedback folder: {exc}")
            continue
        text = nbgrader_file(name, data)
        if text is None:
            notes.append(f"{name} was not taken for the feedback folder: it is not what "
                         "nbgrader writes there")
        else:
            found[name] = text
    return found, notes


@dataclass
class Graded:
    row: report.Row                   # before hand-graded points
    body: str | None = None           # the page's body (``feedback.body``); None: not graded
    extras: dict[str, str] = field(default_factory=dict)  # nbgrader's files: name -> text
    answers: list[tuple[str, str]] = field(default_factory=list)  # (grade_id, text), in order
    asks_in_writing: bool = False     # the notebook has answers to grade by hand
    tests: list[dict] = field(default_factory=list)  # each test cell's verdict (class report)
    autograded: dict | None = None    # the notebook for nbgrader's autograded/ (gradebook.py)

    @classmethod
    def of(cls, sub, prepared, result) -> Graded:
        """A notebook the workers ran (``sub`` from collect, ``prepared`` from prepare)."""
        nb = prepared.notebook
        extras, notes = nbgrader_files(sub)
        row = report.row_from_result(sub, prepared, result)
        row.notes += notes
        return cls(row, feedback.body(prepared, result, sub.assignment), extras, feedback.answers_in(nb),
                   any(cells.is_manual_answer(c) for c in nb.cells),
                   class_report.verdicts(prepared, result),
                   gradebook.autograded_notebook(prepared, result, sub.assignment))

    @property
    def page_folder(self) -> Path:
        """Where its page goes, relative to the output folder."""
        name = self.row.assignment or "submission"
        return Path("feedback") / self.row.student / name

    def to_json(self) -> dict:
        return {"row": dataclasses.asdict(self.row), "body": self.body,
                "extras": dict(self.extras),
                "answers": [list(a) for a in self.answers],
                "asks_in_writing": self.asks_in_writing,
                "tests": list(self.tests), "autograded": self.autograded}

    @classmethod
    def from_json(cls, data: dict, folder: Path) -> Graded:
        """Read back what ``to_json`` wrote; nbgrader's files are taken from ``folder``,
        the output folder the page was first written to."""
        extras = data["extras"]
        if not isinstance(extras, dict):
            raise ValueError("extras: expected nbgrader's files by name")
        return cls(report.Row(**data["row"]), data["body"],
                   {str(k): str(v) for k, v in extras.items() if k in NBGRADER_FILES},
                   [(gid, text) for gid, text in data["answers"]], data["asks_in_writing"],
                   [dict(t) for t in data.get("tests", [])], data.get("autograded"))


def write(graded: list[Graded], output: Path) -> list[report.Row]:
    """Write the grades CSV ``output`` and, beside it, the feedback; the final rows."""
    out_dir = output.parent
    rows = [dataclasses.replace(g.row, notes=list(g.row.notes)) for g in graded]
    questions = {a: questions_of(a) for a in {g.row.assignment for g in graded
                                               if g.body is not None}}
    report.merge_manual(rows, out_dir / "manual-scores.csv", questions)
    by_assignment: dict[str, list[tuple[str, Graded]]] = {}
    for g, row in zip(graded, rows):
        try:
            target = out_dir / g.page_folder
            page = feedback.page(row, g.body)
            feedback.write(target / f"{target.name}.html", page)
            write_for_exchange(out_dir, g, page)
        except Exception as exc:  # noqa: BLE001 - one student's page never stops the others
            row.notes.append(f"its feedback page could not be written ({type(exc).__name__}: "
                             f"{str(exc)[:200]})")
            row.status = "grader error"
            continue
        if g.body is not None:
            by_assignment.setdefault(row.assignment, []).append((row.student, g))
    report.write_csv(rows, output)
    for assignment, entries in by_assignment.items():
        if any(g.asks_in_writing for _, g in entries):
            entries.sort(key=lambda e: e[0])
            feedback.write(out_dir / "written-answers" / f"{assignment}.html",
                           feedback.written_answers(assignment,
                                                    [(s, g.answers) for s, g in entries]))
    class_report.write(graded, rows, out_dir)
    if any(g.body and markdown.has_math(g.body) for g in graded):
        markdown.install_mathjax(out_dir)
    return rows


def write_for_exchange(out_dir: Path, g: Graded, page: str) -> bool:
    """The page again in ``exchange-feedback/``, with nbgrader's two files, when the
    submission came through nbgrader's exchange (both files there, and valid): the folder
    ``nbgrader release_feedback`` reads. A submission that came another way (a download)
    has no folder there, so that command releases the pages it can and skips none by
    failing (it needs both files beside every page it finds). True if it was written."""
    if not g.row.assignment or set(g.extras) != set(NBGRADER_FILES):
        return False
    there = out_dir / EXCHANGE_FEEDBACK / g.row.student / g.row.assignment
    feedback.write(there / f"{g.row.assignment}.html", page)
    for name, text in sorted(g.extras.items()):
        (there / name).write_text(text, encoding="ascii")
    return True


def questions_of(assignment: str) -> list[tuple[str, float]]:
    """(grade_id, points) of the assignment's written questions, from its source notebook."""
    source, _ = prepare._course_notebooks(assignment)
    return [(cells.grade_id(c), cells.points(c)) for c in source.cells if cells.is_manual_answer(c)]
