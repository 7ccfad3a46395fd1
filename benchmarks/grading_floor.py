"""Grading's floor: what each notebook costs before its first exercise runs, then and now.

A grading kernel starts in its sandbox and runs the notebook's import cell before anything
of the student's can be judged. For each notebook, timed here in this process the way the
worker does it (``sandbox.kernel_command``, ``KernelSession``; the kernel's CPU time read
from ``/proc`` before it stops):

- **every cell**: a kernel started when the notebook comes, then the whole import cell
  (numpy, matplotlib, torch, the course's modules): what grading paid per notebook before;
- **selective**: the same, with the import cell cut to the statements a selective run of
  the model answers keeps (``selection.plan``: the test cells run in the grader, so the
  kernel imports only what the student's functions use);
- **started ahead**: the selective kernel started while the previous notebook was graded
  (``prestart.Spare``), here :data:`PREVIOUS` seconds before the notebook comes; the wait
  is what is left of its start. It saves wall time when a core is free, never CPU time.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from autograder import cells, paths
from autograder.grading import prepare, prestart, selection
from autograder.safety import procs, sandbox
from autograder.verdicts.kernel import KernelSession

from .classes import right
from .measure import Row, log, median

PREVIOUS = 3.0   # seconds the previous notebook takes to grade (the spare's head start)
MEMORY = 4096 * 2**20


def _settings(status) -> dict:
    return {"memory_bytes": MEMORY, "file_bytes": 256 * 2**20, "sandbox": status.enabled,
            "bwrap": status.bwrap, "hide": [], "reference_dir": sandbox.reference_dir(),
            "timeout": 300.0, "notebook_timeout": 1800.0}


def _cpu(pid: int) -> float:
    """CPU seconds of a process and everything under it, so far (from /proc)."""
    total = 0
    for p in [pid] + procs.descendants(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def import_cells(assignment: str) -> tuple[str, str]:
    """(the release's first code cell, what a selective run of the model answers keeps of it)."""
    with tempfile.TemporaryDirectory(prefix="bn-bench-floor-") as tmp:
        path = Path(tmp) / assignment / f"{assignment}.ipynb"
        path.parent.mkdir()
        cells.write(right(assignment), path)
        prepared = prepare.prepare(path, assignment)
    first = next(s for s in prepared.cells if s["kind"] == "code")
    chosen = selection.plan(prepared, assignment)
    kept = next((s for s in chosen.steps if s["index"] == first["index"]), None) if chosen else first
    return first["source"], (kept["source"] if kept else "")


def cold(source: str, status) -> tuple[float, float]:
    """(wall, CPU) seconds: a kernel started now, then ``source`` run in it."""
    settings = _settings(status)
    with tempfile.TemporaryDirectory(prefix="bn-bench-floor-") as tmp:
        layout = sandbox.Layout(Path(tmp) / "work", Path(tmp) / "kernel", [])
        layout.workdir.mkdir()
        layout.kernel_dir.mkdir()
        connection = layout.kernel_dir / "connection.json"
        command = sandbox.kernel_command(layout, connection, settings, status.enabled,
                                         status.bwrap)
        command.argv += prestart.preload_argv(prestart.modules(source))
        started = time.perf_counter()
        session = KernelSession(command, connection)
        session.start(120)
        done = session.execute(source, time.monotonic() + 300)
        wall = time.perf_counter() - started
        cpu = _cpu(session.proc.pid)
        session.shutdown()
    if done.error:
        raise RuntimeError(f"the import cell failed: {done.error}")
    return wall, cpu


def ahead(source: str, status) -> float:
    """Wall seconds the notebook waits for a kernel started PREVIOUS seconds before."""
    job = {"settings": _settings(status), "preload": list(prestart.modules(source))}
    spare = prestart.Spare(job)
    try:
        time.sleep(PREVIOUS)
        started = time.perf_counter()
        session = spare.connected(120)
        if session is None:
            raise RuntimeError("the kernel started ahead did not answer")
        done = session.execute(source, time.monotonic() + 300)
        wall = time.perf_counter() - started
        session.shutdown()
    finally:
        spare.stop()
    if done.error:
        raise RuntimeError(f"the import cell failed: {done.error}")
    return wall


def measure(repeat: int) -> list[Row]:
    status = sandbox.detect()
    rows = []
    totals = {"every cell": [], "selective": [], "started ahead": []}
    for a in paths.assignments():
        whole, kept = import_cells(a)
        runs = {"every cell": [], "selective": [], "started ahead": []}
        cpus = {"every cell": [], "selective": []}
        for r in range(repeat):  # in turn, so a busy moment of the machine hits all three
            for way, source in (("every cell", whole), ("selective", kept)):
                wall, cpu = cold(source, status)
                runs[way].append(wall)
                cpus[way].append(cpu)
            runs["started ahead"].append(ahead(kept, status) if status.enabled else float("nan"))
            log(f"  floor, run {r + 1}/{repeat}: {a} every cell {runs['every cell'][-1]:.1f} s, "
                f"selective {runs['selective'][-1]:.1f} s, ahead {runs['started ahead'][-1]:.1f} s")
        for way in totals:
            totals[way].append(median(runs[way]))
        rows.append(Row("floor", f"{a}: every cell (the whole import cell)",
                        median(runs["every cell"]), "s", runs["every cell"],
                        note=f"kernel CPU {median(cpus['every cell']):.2f} s"))
        rows.append(Row("floor", f"{a}: selective ({kept.strip() or 'nothing'})",
                        median(runs["selective"]), "s", runs["selective"],
                        note=f"kernel CPU {median(cpus['selective']):.2f} s"))
        if status.enabled:
            rows.append(Row("floor", f"{a}: selective, kernel started ahead",
                            median(runs["started ahead"]), "s", runs["started ahead"],
                            note=f"started {PREVIOUS:g} s before the notebook came"))
    for way, values in totals.items():
        if way == "started ahead" and not status.enabled:
            continue
        rows.append(Row("floor", f"all eight notebooks: {way}", sum(values), "s",
                        note="sum of the medians" + ("" if way != "every cell" else
                                                      "; the floor before")))
    return rows
