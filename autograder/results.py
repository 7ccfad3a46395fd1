"""What a grading leaves in its folder, written by the one step that a single run, a shard
and a merge share, so that all three write the same bytes.

Each submission graded becomes a :class:`Graded`: its row of the grades table *before* the
instructor's hand-graded points, the body of its feedback page, the nbgrader files that go
back with the page, and its written answers. :func:`write` turns a list of them into

- ``grades.csv``, with the points from the folder's ``manual-scores.csv`` added up;
- ``manual-scores.csv``, a line added for every new written answer (never overwritten);
- ``feedback/<student>/<assignment>/<assignment>.html``, with nbgrader's files beside it;
- ``written-answers/<assignment>.html``, every student's written answers, side by side.

The hand-graded points are read last because they can change a page: a ``points`` entry
that is not a number becomes a note on the row, and the page shows the row's notes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from . import cells, feedback, prepare, report

#: what `nbgrader collect` leaves beside a submission and `nbgrader release_feedback` reads
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")
NBGRADER_FILE_BYTES = 1000


@dataclass
class Graded:
    row: report.Row                   # before hand-graded points
    body: str | None = None           # the page's body (``feedback.body``); None: not graded
    extras: list[Path] = field(default_factory=list)  # nbgrader's files, copied beside the page
    answers: list[tuple[str, str]] = field(default_factory=list)  # (grade_id, text), in order
    asks_in_writing: bool = False     # the notebook has answers to grade by hand

    @classmethod
    def of(cls, sub, prepared, result) -> Graded:
        """A notebook the workers ran (``sub`` from collect, ``prepared`` from prepare)."""
        nb = prepared.notebook
        return cls(report.row_from_result(sub, prepared, result),
                   feedback.body(prepared, result),
                   [sub.folder / n for n in NBGRADER_FILES if (sub.folder / n).is_file()],
                   feedback.answers_in(nb), any(cells.is_manual_answer(c) for c in nb.cells))

    @property
    def page_folder(self) -> Path:
        """Where its page goes, relative to the output folder."""
        name = self.row.assignment or "submission"
        return Path("feedback") / self.row.student / name

    def to_json(self) -> dict:
        return {"row": dataclasses.asdict(self.row), "body": self.body,
                "extras": [p.name for p in self.extras],
                "answers": [list(a) for a in self.answers],
                "asks_in_writing": self.asks_in_writing}

    @classmethod
    def from_json(cls, data: dict, folder: Path) -> Graded:
        """Read back what ``to_json`` wrote; nbgrader's files are taken from ``folder``,
        the output folder the page was first written to."""
        graded = cls(report.Row(**data["row"]), data["body"], [],
                     [(gid, text) for gid, text in data["answers"]], data["asks_in_writing"])
        graded.extras = [folder / graded.page_folder / name for name in data["extras"]]
        return graded


def write(graded: list[Graded], output: Path) -> list[report.Row]:
    """Write the grades CSV ``output`` and, beside it, the feedback; the final rows."""
    out_dir = output.parent
    rows = [dataclasses.replace(g.row, notes=list(g.row.notes)) for g in graded]
    questions = {a: questions_of(a) for a in {g.row.assignment for g in graded
                                               if g.body is not None}}
    report.merge_manual(rows, out_dir / "manual-scores.csv", questions)
    report.write_csv(rows, output)
    by_assignment: dict[str, list[tuple[str, Graded]]] = {}
    for g, row in zip(graded, rows):
        target = out_dir / g.page_folder
        feedback.write(target / f"{target.name}.html", feedback.page(row, g.body))
        for extra in g.extras:  # `nbgrader release_feedback` reads them
            (target / extra.name).write_bytes(extra.read_bytes()[:NBGRADER_FILE_BYTES])
        if g.body is not None:
            by_assignment.setdefault(row.assignment, []).append((row.student, g))
    for assignment, entries in by_assignment.items():
        if any(g.asks_in_writing for _, g in entries):
            entries.sort(key=lambda e: e[0])
            feedback.write(out_dir / "written-answers" / f"{assignment}.html",
                           feedback.written_answers(assignment,
                                                    [(s, g.answers) for s, g in entries]))
    return rows


def questions_of(assignment: str) -> list[tuple[str, float]]:
    """(grade_id, points) of the assignment's written questions, from its source notebook."""
    source, _ = prepare._course_notebooks(assignment)
    return [(cells.grade_id(c), cells.points(c)) for c in source.cells if cells.is_manual_answer(c)]
