"""Instructors: grade a class of submissions, safely, and write grades and feedback.

The pipeline, one small module per step:

1. ``sandbox.detect``   can kernels run in a bubblewrap sandbox here? (say what is missing)
2. ``collect``          find ``<student>/<assignment>/<assignment>.ipynb``; a reason for
                        anything that cannot be graded (with ``--shard``: only the shard's
                        students, see ``shards``);
3. ``prepare``          read each notebook, restore its test cells from solutions/;
4. ``pool``/``worker``  run up to N notebooks at once, each in its own kernel with time and
                        memory limits, the test cells judged by the grader (``replay``);
5. ``results``          write the grades CSV (``report``: every submission a row, hand-graded
                        points merged) and the feedback (``feedback``: one HTML page per
                        student and assignment, no hidden test in it), the class report
                        (``class_report``); a shard also writes ``shard.json``, for ``merge``;
6. ``gradebook``        record the grades in nbgrader's gradebook and autograded folder,
                        for the Formgrader and ``nbgrader export`` (not in a shard).

Hidden seeds come from a key kept in the output folder (``.grading-key``, see ``keys``):
grading the same submissions again writes the same CSV and the same feedback.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..records import gradebook as nbgrader_gradebook
from ..records import report, results
from ..safety import safefiles, sandbox, sanitize
from ..sharding import shards
from . import collect as collecting
from . import keys, pool, prepare, selection

DEMO_CLASS = paths.CONFIG_DIR / "demo_class"
DEMO_EXPECTED = paths.CONFIG_DIR / "demo_expected_grades.csv"
DEMO_OUTPUT = Path("grading-demo") / "grades.csv"
DEFAULT_OUTPUT = Path("grading") / "grades.csv"


@dataclass
class Settings:
    workers: int = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                              else os.cpu_count() or 1))
    timeout: float = 300.0            # seconds per cell
    notebook_timeout: float = 1800.0  # seconds per notebook, kernel start included
    memory_mb: int = 4096             # address space of a kernel and all it starts
    file_mb: int = 256                # largest file a kernel may write
    sandbox: bool | None = None       # None: when available; True: required; False: off
    cpu_seconds: float | None = None  # CPU time of each kernel process (None: notebook_timeout)
    grader_memory_mb: int = 4096      # address space of the grader process judging a notebook
    every_cell: bool = False          # True (--all): no selective runs (see selection)


@dataclass
class Outcome:
    rows: list[report.Row]
    output: Path
    summary: str
    sandboxed: bool
    seconds: float
    results: dict = field(default_factory=dict)  # (student, assignment) -> worker result
    gradebook: str = ""               # what was recorded in nbgrader's gradebook (if asked)


def grade(submissions: str | Path | None = None, output: str | Path | None = None,
          settings: Settings | None = None, log=print, key: str | Path | None = None,
          shard: shards.Shard | None = None,
          gradebook: nbgrader_gradebook.Target | None = None) -> Outcome:
    """Grade the class in ``submissions`` into the grades CSV ``output`` and its folder.

    ``key``: the grading key's file (default ``.grading-key`` beside ``output``, made on
    first use; given, or with ``shard``, it must exist). ``shard``: grade only that shard's
    students, into ``shards/K-of-N/`` beside ``output``, for ``merge``. ``gradebook``:
    also record the results in that nbgrader gradebook and its autograded folder
    (``gradebook.py``; never for a shard: its merge records them).
    """
    if shard and gradebook:
        raise ValueError("a shard does not write the gradebook: `merge` records the whole "
                         "class there, once")
    settings = settings or Settings()
    started = time.monotonic()
    submissions = Path(submissions or DEMO_CLASS).resolve()
    output = Path(output or (DEMO_OUTPUT if submissions == DEMO_CLASS.resolve()
                             else DEFAULT_OUTPUT)).resolve()
    out_dir = output.parent
    if out_dir == submissions or submissions in out_dir.parents:
        raise ValueError(f"write the grades outside the submissions folder (not {output}): "
                         "the next run would take its feedback folders for students")
    if gradebook and (gradebook.autograded == submissions
                      or submissions in gradebook.autograded.parents
                      or submissions in gradebook.db.parents):
        raise ValueError(f"keep the gradebook outside the submissions folder (not "
                         f"{gradebook.db}): the next run would take its folders for students")
    key_path = Path(key).resolve() if key else out_dir / keys.FILE_NAME
    if (key or shard) and not key_path.is_file():
        raise FileNotFoundError(
            f"no grading key at {key_path}; make it with `python -m autograder key {key_path}`"
            + (" before any shard starts (they must all read the same key)" if shard else ""))
    status = sandbox.detect(settings.sandbox)
    log(status.message)
    found, ignored = collecting.collect(submissions)
    secret = keys.load(key_path) if key or shard else keys.for_folder(out_dir)
    hide = [submissions, out_dir] + ([] if out_dir in key_path.parents else [key_path])
    if gradebook:
        hide += [gradebook.db, gradebook.autograded]
    everyone = sorted({sub.student for sub in found})
    if shard:
        mine = set(shard.students(everyone))
        found = [sub for sub in found if sub.student in mine]
        output = shards.folder(out_dir, shard) / "grades.csv"
        (output.parent / shards.MANIFEST).unlink(missing_ok=True)  # done only when rewritten
        log(f"shard {shard.index} of {shard.count}: {len(mine)} of {len(everyone)} students")

    graded, by_key, workers = _grade_all(found, settings, status, secret, hide, log)
    rows = results.write(graded, output)
    seconds = time.monotonic() - started
    if shard:
        shards.write_manifest(shard, output.parent, everyone, ignored, secret, status,
                              limits(settings), seconds, graded)
    recorded = nbgrader_gradebook.record(graded, gradebook, log) if gradebook else ""
    text = report.summary(rows, ignored, status.message,
                          f"in {seconds:.1f} s with {workers} worker(s)")
    return Outcome(report.sort_rows(rows), output, text, status.enabled, seconds, by_key,
                   recorded)


def limits(settings: Settings) -> dict:
    """The settings a notebook's grade can depend on (not the number of workers)."""
    return {"timeout": settings.timeout, "notebook_timeout": settings.notebook_timeout,
            "memory_mb": settings.memory_mb, "file_mb": settings.file_mb,
            "cpu_seconds": _cpu_seconds(settings), "grader_memory_mb": settings.grader_memory_mb,
            "every_cell": settings.every_cell}


def _cpu_seconds(settings: Settings) -> float:
    return float(settings.cpu_seconds or settings.notebook_timeout)


def _failed(sub, status: str, notes: list[str]) -> results.Graded:
    return results.Graded(report.Row(sub.student, sub.assignment, status=status,
                                     notes=list(sub.notes) + notes))


def _grader_error(sub, where: str, exc: BaseException) -> results.Graded:
    """One submission the grader failed on: its row says so, the others go on."""
    return _failed(sub, "grader error", [f"the grader failed while {where} "
                                         f"({type(exc).__name__}: {str(exc)[:300]})"])


def _grade_all(found, settings: Settings, status, key: bytes, hide: list[Path], log):
    """Prepare and run every submission: (the Graded, worker results by key, workers)."""
    graded: list[results.Graded] = []
    jobs, pending = [], []
    runs = selection.Runs(settings.every_cell)
    for sub in found:
        if sub.reason:
            graded.append(_failed(sub, sub.reason, []))
            continue
        try:
            prepared = prepare.prepare(sub.notebook, sub.assignment, sub.root)
        except prepare.Malformed as exc:
            graded.append(_failed(sub, "malformed notebook", [str(exc)]))
            continue
        except safefiles.Unsafe as exc:
            graded.append(_failed(sub, exc.status, [str(exc)]))
            continue
        except Exception as exc:  # noqa: BLE001 - a bug on one notebook never stops the class
            graded.append(_grader_error(sub, "reading the notebook", exc))
            continue
        jobs.append(runs.first(_job(sub, prepared, settings, status, key, hide), prepared,
                               sub.assignment))
        pending.append((sub, prepared))

    def progress(job, result):
        tests = [c for c in result.get("cells", []) if c["kind"] == "test"]
        log(sanitize.line(
            f"  {job['student']}/{job['assignment']}: {sum(c['points'] for c in tests):g} / "
            f"{sum(c['max_points'] for c in tests):g} "
            f"({result.get('problem') or 'graded'}, {result.get('seconds', 0):.1f} s"
            f"{selection.describe(result)})"))

    # one assignment after another: a kernel started ahead fits the next job (prestart)
    order = sorted(range(len(jobs)), key=lambda k: (jobs[k]["assignment"], jobs[k]["student"]))
    jobs, pending = [jobs[k] for k in order], [pending[k] for k in order]
    workers = min(settings.workers, max(1, len(jobs)))
    if jobs:
        log(f"grading {len(jobs)} notebooks with {workers} worker(s)")
    by_key = {}
    for (sub, prepared), result in zip(pending, pool.run_all(jobs, settings.workers, progress,
                                                             runs.then)):
        try:
            graded.append(results.Graded.of(sub, prepared, result))
        except Exception as exc:  # noqa: BLE001
            graded.append(_grader_error(sub, "judging its results", exc))
        by_key[(sub.student, sub.assignment)] = result
    return graded, by_key, workers


def _job(sub, prepared, settings: Settings, status, key: bytes, hide: list[Path]) -> dict:
    return {
        "student": sub.student, "assignment": sub.assignment, "cells": prepared.cells,
        "imports": prepared.imports, "folder": str(sub.folder), "root": str(sub.root or sub.folder.parent),
        "key": key.hex(),
        "settings": {
            "timeout": settings.timeout, "notebook_timeout": settings.notebook_timeout,
            "memory_bytes": settings.memory_mb * 2**20, "file_bytes": settings.file_mb * 2**20,
            "cpu_seconds": _cpu_seconds(settings),
            "grader_memory_bytes": settings.grader_memory_mb * 2**20,
            "sandbox": status.enabled, "bwrap": status.bwrap,
            "hide": [str(p) for p in sandbox.sensitive_paths(*hide)],
            "reference_dir": sandbox.reference_dir()},
    }
