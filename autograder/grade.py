"""Instructors: grade a class of submissions, safely, and write grades and feedback.

The pipeline, one small module per step:

1. ``sandbox.detect``   can kernels run in a bubblewrap sandbox here? (say what is missing)
2. ``collect``          find ``<student>/<assignment>/<assignment>.ipynb``; a reason for
                        anything that cannot be graded;
3. ``prepare``          read each notebook, restore its test cells from solutions/;
4. ``pool``/``worker``  run up to N notebooks at once, each in its own kernel with time and
                        memory limits, the test cells judged by the grader (``replay``);
5. ``report``           the grades CSV (every submission a row), hand-graded points merged;
6. ``feedback``         one HTML page per student and assignment, no hidden test in it.

Hidden seeds come from a key kept in the output folder (``.grading-key``): grading the
same submissions again writes the same CSV and the same feedback.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import collect as collecting
from . import cells, feedback, paths, pool, prepare, report, sandbox

DEMO_CLASS = paths.CONFIG_DIR / "demo_class"
DEMO_EXPECTED = paths.CONFIG_DIR / "demo_expected_grades.csv"
DEMO_OUTPUT = Path("grading-demo") / "grades.csv"
DEFAULT_OUTPUT = Path("grading") / "grades.csv"
#: what `nbgrader collect` leaves beside a submission and `nbgrader release_feedback` reads
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")


@dataclass
class Settings:
    workers: int = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                              else os.cpu_count() or 1))
    timeout: float = 300.0            # seconds per cell
    notebook_timeout: float = 1800.0  # seconds per notebook, kernel start included
    memory_mb: int = 4096             # address space of a kernel and all it starts
    file_mb: int = 256                # largest file a kernel may write
    sandbox: bool | None = None       # None: when available; True: required; False: off


@dataclass
class Outcome:
    rows: list[report.Row]
    output: Path
    summary: str
    sandboxed: bool
    seconds: float
    results: dict = field(default_factory=dict)  # (student, assignment) -> worker result


def grading_key(folder: Path) -> bytes:
    """The secret the hidden seeds are drawn from, made once per output folder."""
    path = folder / ".grading-key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


def grade(submissions: str | Path | None = None, output: str | Path | None = None,
          settings: Settings | None = None, log=print) -> Outcome:
    settings = settings or Settings()
    started = time.monotonic()
    submissions = Path(submissions or DEMO_CLASS).resolve()
    output = Path(output or (DEMO_OUTPUT if submissions == DEMO_CLASS.resolve()
                             else DEFAULT_OUTPUT)).resolve()
    out_dir = output.parent
    if out_dir == submissions or submissions in out_dir.parents:
        raise ValueError(f"write the grades outside the submissions folder (not {output}): "
                         "the next run would take its feedback folders for students")
    status = sandbox.detect(settings.sandbox)
    log(status.message)
    found, ignored = collecting.collect(submissions)
    key = grading_key(out_dir)

    rows: list[report.Row] = []
    jobs, pending = [], []
    for sub in found:
        if sub.reason:
            rows.append(report.Row(sub.student, sub.assignment, status=sub.reason,
                                   notes=list(sub.notes)))
            continue
        try:
            prepared = prepare.prepare(sub.notebook, sub.assignment)
        except prepare.Malformed as exc:
            rows.append(report.Row(sub.student, sub.assignment, status="malformed notebook",
                                   notes=list(sub.notes) + [str(exc)]))
            continue
        jobs.append(_job(sub, prepared, settings, status, key, submissions, out_dir))
        pending.append((sub, prepared))

    def progress(job, result):
        tests = [c for c in result.get("cells", []) if c["kind"] == "test"]
        log(f"  {job['student']}/{job['assignment']}: {sum(c['points'] for c in tests):g} / "
            f"{sum(c['max_points'] for c in tests):g} "
            f"({result.get('problem') or 'graded'}, {result.get('seconds', 0):.1f} s)")

    if jobs:
        log(f"grading {len(jobs)} notebooks with {min(settings.workers, len(jobs))} worker(s)")
    results = pool.run_all(jobs, settings.workers, progress)
    by_key = {}
    for (sub, prepared), result in zip(pending, results):
        rows.append(report.row_from_result(sub, prepared, result))
        by_key[(sub.student, sub.assignment)] = (prepared, result, sub.folder)

    questions = {a: _questions(a) for a in {s.assignment for s, _ in pending}}
    report.merge_manual(rows, out_dir / "manual-scores.csv", questions)
    report.write_csv(rows, output)
    _write_feedback(rows, by_key, out_dir)
    seconds = time.monotonic() - started
    text = report.summary(rows, ignored, status.message, seconds,
                          min(settings.workers, max(1, len(jobs))))
    return Outcome(report.sort_rows(rows), output, text, status.enabled, seconds,
                   {k: r for k, (_, r, _) in by_key.items()})


def _job(sub, prepared, settings: Settings, status, key: bytes, submissions: Path,
         out_dir: Path) -> dict:
    hide = sandbox.sensitive_paths(submissions, out_dir)
    return {
        "student": sub.student, "assignment": sub.assignment, "cells": prepared.cells,
        "imports": prepared.imports, "folder": str(sub.folder), "key": key.hex(),
        "settings": {
            "timeout": settings.timeout, "notebook_timeout": settings.notebook_timeout,
            "memory_bytes": settings.memory_mb * 2**20, "file_bytes": settings.file_mb * 2**20,
            "sandbox": status.enabled, "bwrap": status.bwrap,
            "hide": [str(p) for p in hide], "reference_dir": sandbox.reference_dir()},
    }


def _questions(assignment: str) -> list[tuple[str, float]]:
    source, _ = prepare._course_notebooks(assignment)
    return [(cells.grade_id(c), cells.points(c)) for c in source.cells if cells.is_manual_answer(c)]


def _write_feedback(rows, by_key, out_dir: Path) -> None:
    answers: dict[str, list] = {}
    for row in rows:
        prepared, result, folder = by_key.get((row.student, row.assignment), (None, None, None))
        name = row.assignment or "submission"
        page = feedback.render(row, prepared, result)
        target = out_dir / "feedback" / row.student / name
        feedback.write(target / f"{name}.html", page)
        for extra in NBGRADER_FILES if folder else ():  # `nbgrader release_feedback` reads them
            if (Path(folder) / extra).is_file():
                (target / extra).write_bytes((Path(folder) / extra).read_bytes()[:1000])
        if prepared is not None:
            answers.setdefault(row.assignment, []).append((row.student, prepared.notebook))
    for assignment, entries in answers.items():
        if any(cells.is_manual_answer(c) for _, nb in entries for c in nb.cells):
            feedback.write(out_dir / "written-answers" / f"{assignment}.html",
                           feedback.written_answers(assignment, sorted(entries, key=lambda e: e[0])))
