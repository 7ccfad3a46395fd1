"""``python -m autograder export``: the grades table in the shapes learning platforms import.

``grade`` writes ``grades.csv`` long: one row per student *and* assignment. Learning
platforms import one row per student. Two formats:

``wide``
    ``student``, one column per assignment (named as in the course: ``03_bn_forward``),
    ``total`` (the sum of the student's assignments) and ``out_of`` (the points possible of
    the assignments in the table). Moodle's grade import, a spreadsheet, most platforms.

``canvas``
    Canvas's gradebook import (Grades > Import): the columns ``Student``, ``ID``, ``SIS User
    ID``, ``SIS Login ID``, ``Section``, then one column per assignment, named as the
    assignment is in Canvas (``--column 03_bn_forward="BN forward (1234)"``: Canvas matches a
    column to an assignment by the id in parentheses, or by its exact name; a name Canvas
    does not know becomes a new assignment); the second row is ``Points Possible``. No
    total column: Canvas computes its own (a column named "total" would become an
    assignment). Students are matched by Canvas from their ``SIS Login ID`` (the folder
    name, as on a JupyterHub whose user names are the students' logins), or, with
    ``--roster`` (a gradebook export from the course in Canvas), by the ``ID``, ``SIS User
    ID`` and ``SIS Login ID`` found there for the student whose login (or SIS id, or Canvas
    id) is the folder name.

A cell is the student's ``total`` (autograded plus hand-graded points; ``--points score``:
the autograded points alone), empty when the assignment has no score (not handed in, not
graded: see ``grades.csv``), which Canvas reads as "no change". Only the course's
assignments become columns (a misnamed folder's row has no score and no column). Every cell
goes through ``sanitize.csv_cell`` (no spreadsheet formula from a folder name).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..grading import prepare
from ..safety import sanitize
from . import report

FORMATS = ("wide", "canvas")
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
NEEDED = ("student", "assignment", "score", "max_score", "manual_points", "total")


@dataclass
class Table:
    students: list[str]
    assignments: list[str]
    points: dict[tuple[str, str], float | None]   # (student, assignment) -> points or None
    possible: dict[str, float]                     # assignment -> points possible


def _number(value: str, where: str) -> float | None:
    value = (value or "").strip()
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{where}: '{sanitize.line(value)[:40]}' is not a number") from None


def possible(assignment: str, which: str) -> float:
    """The points possible of an assignment: its test cells' (``score``) and, for ``total``,
    its written answers' too, from its source notebook in solutions/."""
    from .. import cells

    source, _ = prepare._course_notebooks(assignment)
    tests = sum(cells.points(c) for c in cells.autograded_tests(source))
    written = sum(cells.points(c) for c in source.cells if cells.is_manual_answer(c))
    return tests + (written if which == "total" else 0.0)


def read(grades: Path, which: str = "total") -> Table:
    """The grades table ``grades`` (as ``grade`` writes it), as a Table of ``which`` points."""
    if which not in ("total", "score"):
        raise ValueError(f"--points {which!r}: expected total or score")
    grades = Path(grades)
    if not grades.is_file():
        raise FileNotFoundError(f"{grades}: no such grades file (grade writes "
                                "grading/grades.csv)")
    try:
        lines = report.read_csv(grades)
        with open(grades, newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{grades} is not a CSV file ({type(exc).__name__})") from None
    missing = [c for c in NEEDED if c not in header]
    if missing:
        raise ValueError(f"{grades} is not a grades table written by `python -m autograder "
                         f"grade`: it has no column {', '.join(missing)}")
    known = set(paths.assignments())
    students: list[str] = []
    points: dict[tuple[str, str], float | None] = {}
    used: set[str] = set()
    for n, line in enumerate(lines, start=2):
        student, assignment = (line.get("student") or "").strip(), \
            (line.get("assignment") or "").strip()
        if not student:
            raise ValueError(f"{grades}, line {n}: no student")
        if student not in students:
            students.append(student)
        if assignment not in known:
            continue  # a folder that is no assignment of the course: no column
        if (student, assignment) in points:
            raise ValueError(f"{grades}, line {n}: {sanitize.line(student)[:60]} has two rows "
                             f"for {assignment}")
        used.add(assignment)
        score = _number(line.get("score", ""), f"{grades}, line {n}, score")
        value = score if which == "score" or score is None else \
            _number(line.get("total", ""), f"{grades}, line {n}, total")
        points[(student, assignment)] = value
    assignments = sorted(used)
    return Table(sorted(students), assignments, points,
                 {a: possible(a, which) for a in assignments})


def _g(value: float | None) -> str:
    return "" if value is None else f"{round(value, 4):g}"


def wide(table: Table) -> list[list[str]]:
    rows = [["student", *table.assignments, "total", "out_of"]]
    out_of = sum(table.possible.values())
    for student in table.students:
        values = [table.points.get((student, a)) for a in table.assignments]
        got = [v for v in values if v is not None]
        rows.append([student, *map(_g, values), _g(sum(got)) if got else "", _g(out_of)])
    return rows


_COLUMN = re.compile(r"(?P<assignment>[^=]+)=(?P<name>.+)")


def parse_columns(specs: list[str]) -> dict[str, str]:
    """``ASSIGNMENT=NAME IN CANVAS`` (repeated) -> {assignment: column name}."""
    known = paths.assignments()
    out = {}
    for spec in specs or []:
        found = _COLUMN.fullmatch(spec.strip())
        if not found:
            raise ValueError(f"--column {spec!r}: expected ASSIGNMENT=NAME, e.g. "
                             f"--column '{known[0]}=BN forward (1234)'")
        assignment, name = found["assignment"].strip(), found["name"].strip()
        if assignment not in known:
            raise ValueError(f"--column {spec!r}: {assignment!r} is not an assignment of the "
                             f"course ({', '.join(known)})")
        if assignment in out:
            raise ValueError(f"--column: {assignment} is named twice")
        out[assignment] = name
    if len(set(out.values())) != len(out):
        raise ValueError("--column: two assignments have the same name in Canvas")
    return out


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """A Canvas gradebook export: each student's Canvas columns, by every identifier they
    have there (SIS Login ID, SIS User ID, ID), in that order of preference."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--roster {path}: no such file")
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in CANVAS_STUDENT_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"--roster {path}: not a Canvas gradebook export (no column "
                             f"{', '.join(missing)}; export it from Grades > Export)")
        by_id: dict[str, dict[str, str]] = {}
        for line in reader:
            who = {c: (line.get(c) or "").strip() for c in CANVAS_STUDENT_COLUMNS}
            if CANVAS_POINTS_ROW.lower() in who["Student"].lower() or not any(
                    who[c] for c in ("ID", "SIS User ID", "SIS Login ID")):
                continue
            for key in ("ID", "SIS User ID", "SIS Login ID"):
                if who[key]:
                    by_id.setdefault(who[key], who)
    return by_id


def canvas(table: Table, columns: dict[str, str] | None = None,
           roster: dict[str, dict[str, str]] | None = None) -> tuple[list[list[str]], list[str]]:
    """The Canvas import rows, and the students the roster does not know."""
    columns = columns or {}
    names = [columns.get(a, a) for a in table.assignments]
    rows = [[*CANVAS_STUDENT_COLUMNS, *names],
            [CANVAS_POINTS_ROW, "", "", "", "", *(_g(table.possible[a]) for a in table.assignments)]]
    unknown = []
    for student in table.students:
        who = (roster or {}).get(student)
        if roster is not None and who is None:
            unknown.append(student)
        who = who or {"Student": student, "ID": "", "SIS User ID": "", "SIS Login ID": student,
                      "Section": ""}
        rows.append([*(who[c] for c in CANVAS_STUDENT_COLUMNS),
                     *(_g(table.points.get((student, a))) for a in table.assignments)])
    return rows, unknown


def default_output(grades: Path, fmt: str) -> Path:
    return Path(grades).with_name(f"grades-{fmt}.csv")


def export(grades: str | Path, fmt: str = "wide", output: str | Path | None = None,
           which: str = "total", columns: list[str] | None = None,
           roster: str | Path | None = None, log=print) -> Path:
    """Write ``grades`` in ``fmt`` to ``output`` (default ``grades-<fmt>.csv`` beside it)."""
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if fmt != "canvas" and (columns or roster):
        raise ValueError("--column and --roster are for --format canvas")
    grades = Path(grades)
    output = Path(output) if output else default_output(grades, fmt)
    if output.resolve() == grades.resolve():
        raise ValueError(f"-o {output}: that is the grades table itself; write elsewhere")
    names = parse_columns(columns or [])
    table = read(grades, which)
    if fmt == "wide":
        rows = wide(table)
    else:
        rows, unknown = canvas(table, names, read_roster(roster) if roster else None)
        if unknown:
            log(sanitize.line(f"warning: {len(unknown)} student(s) not in the roster, "
                              "exported with their folder name as SIS Login ID: "
                              + ", ".join(unknown[:20]) + (" ..." if len(unknown) > 20 else "")))
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        for row in rows:
            writer.writerow([sanitize.csv_cell(v) for v in row])
    return output
