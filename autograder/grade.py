"""Instructors: nbgrader autograde over a folder of submissions, then a grades CSV.

Steps, each small:
1. ``collect``   find ``<student>/<assignment>/<assignment>.ipynb``; a row with a reason for
                 anything that cannot be graded (unknown assignment, missing notebook).
2. ``stage``     a scratch course: the course's config, a scratch gradebook, the sources,
                 and the submissions copied in (the originals are never touched).
3. ``autograde`` nbgrader generate_assignment (records the test cells in the gradebook)
                 and nbgrader autograde, per assignment.
4. ``rows``      read the scores back from the gradebook: autograded points, and the points
                 of written answers left for the instructor.
5. ``write_csv`` one row per student and assignment.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from . import paths
from .generate import nbgrader

FIELDS = ["student", "assignment", "score", "max_score", "manual_points", "status"]


class GradeError(RuntimeError):
    pass


@dataclass
class Row:
    student: str
    assignment: str
    score: float | str = ""
    max_score: float | str = ""
    manual_points: float | str = ""
    status: str = "graded"


def collect(submissions: Path) -> tuple[list[tuple[str, str]], list[Row]]:
    """(student, assignment) pairs to grade, and rows for what cannot be graded."""
    if not submissions.is_dir():
        raise GradeError(f"{submissions} is not a folder of submissions "
                         "(expected <student>/<assignment>/<assignment>.ipynb)")
    known = set(paths.assignments())
    todo, rows = [], []
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for work in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            student, assignment = student_dir.name, work.name
            if assignment not in known:
                rows.append(Row(student, assignment, status="unknown assignment name"))
            elif not (work / f"{assignment}.ipynb").exists():
                rows.append(Row(student, assignment,
                                status=f"missing notebook {assignment}.ipynb"))
            else:
                todo.append((student, assignment))
    return todo, rows


def stage(todo, submissions: Path, scratch: Path) -> None:
    (scratch / "solutions").symlink_to(paths.SOLUTIONS, target_is_directory=True)
    for student, assignment in todo:
        target = scratch / "autograder" / "submitted" / student / assignment
        shutil.copytree(submissions / student / assignment, target)


def autograde(assignments: set[str], scratch: Path, log) -> None:
    overrides = [f"--CourseDirectory.root={scratch}",
                 f"--CourseDirectory.db_url=sqlite:///{scratch / 'gradebook.db'}"]
    for assignment in sorted(assignments):
        for step in (["generate_assignment", assignment, "--force"],
                     ["autograde", assignment, "--create", "--force"]):
            result = nbgrader(step, cwd=paths.CONFIG_DIR, extra=overrides)
            (scratch / "logs").mkdir(exist_ok=True)
            (scratch / "logs" / f"{step[0]}-{assignment}.log").write_text(
                result.stdout + result.stderr)
            if result.returncode != 0 and step[0] == "generate_assignment":
                raise GradeError(f"nbgrader {' '.join(step)} failed:\n{result.stderr[-2000:]}")
            log(f"nbgrader {step[0]} {assignment}: {'ok' if result.returncode == 0 else 'errors'}")


def rows_from_gradebook(todo, scratch: Path) -> list[Row]:
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{scratch / 'gradebook.db'}") as gb:
        for student, assignment in todo:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                rows.append(Row(student, assignment, status="not graded (see nbgrader log)"))
                continue
            score = max_score = manual = 0.0
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell.cell_type == "code":
                        score += grade.auto_score or 0.0
                        max_score += grade.max_score
                    else:
                        manual += grade.max_score
            rows.append(Row(student, assignment, round(score, 4), round(max_score, 4),
                            round(manual, 4)))
    return rows


def write_csv(rows: list[Row], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for row in sorted(rows, key=lambda r: (r.student, r.assignment)):
            writer.writerow(asdict(row))


def grade(submissions: str | Path, output: str | Path = "grades.csv", log=print) -> list[Row]:
    submissions = Path(submissions).resolve()
    todo, rows = collect(submissions)
    if todo:
        with tempfile.TemporaryDirectory(prefix="bn-course-grade-") as tmp:
            scratch = Path(tmp)
            stage(todo, submissions, scratch)
            autograde({a for _, a in todo}, scratch, log)
            rows += rows_from_gradebook(todo, scratch)
    write_csv(rows, Path(output))
    return rows
