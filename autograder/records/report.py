"""The grades table: one row per student and assignment, as CSV, as text, and a summary.

Every submission found gets a row: a score, or (``score`` empty) the reason it could not
be graded. ``status`` is one word-group an instructor can sort by:

=====================  ==================================================================
graded                 every cell ran
time limit             a cell or the notebook ran out of time (scored, see notes)
kernel died            the kernel crashed (scored up to the crash, see notes)
limit exceeded         the kernel went past a limit other than time (the size of one reply,
                       its processes, its CPU time, the grader's memory; see notes): scored
                       up to there
malformed notebook     not a readable notebook: not graded
too large              a notebook or folder over the size limits: not graded
link or special file   a link (never followed) or a FIFO or device in the submission: not
                       graded
missing notebook       no notebook to grade: not graded
unknown assignment     a folder that is not an assignment of the course: not graded
grader error           the grader failed on this notebook: please report it
=====================  ==================================================================

Everything written here is made safe for the reader (``sanitize``): control characters
never reach the terminal, and no CSV cell starts like a spreadsheet formula.

``notes`` says what happened and what was flagged for the instructor (a test cell that was
changed or deleted and restored, a renamed notebook, processes left running).

Written answers are graded by hand: ``manual-scores.csv`` (one line per student, assignment
and question, written once and never overwritten) is where the instructor records their
points; every grading run (and every merge of shards) adds them up into ``manual_score`` and
``total``.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..safety.sanitize import csv_cell, csv_row, line

FIELDS = ["student", "assignment", "score", "max_score", "manual_score", "manual_points",
          "total", "status", "notes"]
MANUAL_FIELDS = ["student", "assignment", "question", "max_points", "points"]


@dataclass
class Row:
    student: str
    assignment: str
    score: float | str = ""
    max_score: float | str = ""
    manual_score: float | str = ""
    manual_points: float | str = ""
    total: float | str = ""
    status: str = "graded"
    notes: list[str] = field(default_factory=list)

    def csv_dict(self) -> dict:
        out = {k: getattr(self, k) for k in FIELDS}
        out["notes"] = "; ".join(self.notes)
        for k in ("score", "max_score", "manual_score", "manual_points", "total"):
            if out[k] != "":
                out[k] = f"{float(out[k]):g}"
        return out


def row_from_result(sub, prepared, result) -> Row:
    tests = [c for c in result.get("cells", []) if c["kind"] == "test"]
    score = round(sum(c["points"] for c in tests), 4)
    status = {None: "graded", "time limit": "time limit", "kernel died": "kernel died",
              "limit exceeded": "limit exceeded", "too large": "too large",
              "link or special file": "link or special file"}.get(
        result.get("problem"), "grader error")
    notes = list(sub.notes) + list(prepared.notes) + list(result.get("notes", []))
    if status == "grader error" and result.get("error") and result["error"] not in notes:
        notes.append(str(result["error"]).strip().splitlines()[-1][:300])
    return Row(sub.student, sub.assignment, score, prepared.max_score, "",
               prepared.manual_points, score, status, notes)


def merge_manual(rows: list[Row], path: Path, questions: dict[str, list[tuple[str, float]]]) -> None:
    """Add the instructor's hand-graded points; add template lines for new answers.

    Lines are matched by student, assignment and question *as written in the file* (made
    safe by :func:`csv_cell`), so a name that had to be quoted still finds its points.
    """
    entries: dict[tuple, dict] = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as f:
            for line_ in csv.DictReader(f):
                key = tuple(csv_cell(line_.get(k) or "") for k in ("student", "assignment",
                                                                     "question"))
                entries[key] = line_
    for row in rows:
        if row.score == "":
            continue
        got = []
        for question, points in questions.get(row.assignment, []):
            key = (csv_cell(row.student), csv_cell(row.assignment), csv_cell(question))
            entry = entries.setdefault(key, {"student": row.student,
                                             "assignment": row.assignment,
                                             "question": question, "max_points": f"{points:g}",
                                             "points": ""})
            if str(entry.get("points", "")).strip():
                try:
                    got.append(float(entry["points"]))
                except ValueError:
                    row.notes.append(f"manual-scores.csv: '{line(entry['points'])[:50]}' for "
                                     f"{question} is not a number")
        if got:
            row.manual_score = round(sum(got), 4)
            row.total = round(float(row.score) + row.manual_score, 4)
    if entries:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=MANUAL_FIELDS, extrasaction="ignore")
            writer.writeheader()
            for key in sorted(entries):
                writer.writerow(csv_row({k: entries[key].get(k, "") or ""
                                         for k in MANUAL_FIELDS}))


def sort_rows(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.student, r.assignment))


def write_csv(rows: list[Row], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for row in sort_rows(rows):
            writer.writerow(csv_row(row.csv_dict()))


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def table(rows: list[Row]) -> str:
    """The grades as a text table, one line per row (notes on the lines below); every
    value made one line of safe text for the terminal."""
    data = [{k: line(v) for k, v in r.csv_dict().items()} for r in sort_rows(rows)]
    cols = ["student", "assignment", "score", "max_score", "status"]
    width = {c: max([len(c)] + [len(d[c]) for d in data]) for c in cols}
    lines = ["  ".join(c.ljust(width[c]) for c in cols), "  ".join("-" * width[c] for c in cols)]
    for d, row in zip(data, sort_rows(rows)):
        lines.append("  ".join(d[c].ljust(width[c]) for c in cols).rstrip())
        lines += [f"    - {line(n)}" for n in row.notes]
    return "\n".join(lines)


def summary(rows: list[Row], ignored: list[str], sandbox_message: str, timing: str) -> str:
    """What the grading found; ``timing`` says how long it took ("in 12.0 s with 2 workers")."""
    counts = Counter(r.status for r in rows)
    graded = [r for r in rows if r.score != ""]
    lines = [f"{len(rows)} submissions {timing}: "
             + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))]
    if graded:
        fractions = [float(r.score) / float(r.max_score) for r in graded if r.max_score]
        if fractions:
            lines.append(f"mean autograded score: {100 * sum(fractions) / len(fractions):.0f}% "
                         f"over {len(fractions)} graded notebooks")
    attention = [r for r in rows if r.status != "graded" or r.notes]
    if attention:
        lines.append(f"{len(attention)} need a look (status or notes above): "
                     + ", ".join(f"{r.student}/{r.assignment or '-'}" for r in sort_rows(attention)))
    if ignored:
        lines.append("ignored (not student folders): " + ", ".join(ignored))
    lines.append(sandbox_message)
    return "\n".join(line(text) for text in lines)


def compare(rows: list[Row], expected: Path) -> list[str]:
    """Differences between the rows and an expected grades file (empty when they agree)."""
    want = {(d["student"], d["assignment"]): d for d in read_csv(expected)}
    written = [csv_row(r.csv_dict()) for r in rows]  # as write_csv writes them
    got = {(d["student"], d["assignment"]): d for d in written}
    diffs = []
    for key in sorted(set(want) | set(got)):
        w, g = want.get(key), got.get(key)
        if w is None or g is None:
            diffs.append(line(f"{'/'.join(key)}: "
                              f"{'unexpected row' if w is None else 'missing row'}"))
            continue
        for col in FIELDS:
            if str(w.get(col, "")) != str(g.get(col, "")):
                diffs.append(line(f"{'/'.join(key)}: {col} is {g.get(col)!r}, "
                                  f"expected {w.get(col)!r}"))
    return diffs
