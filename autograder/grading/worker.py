"""Grade one notebook: a kernel for the student's cells, the grader's checks for the tests.

``grade_notebook(job)`` is one step of the pipeline; ``python -m autograder.grading.worker``
runs it for job after job (one JSON line in, one out). The course's checks are imported once per
worker, before any student code runs; each notebook is then graded in a fork of the worker,
so one student's grading leaves nothing behind for the next.

For each cell of the prepared notebook, in the student's order:
- a student cell runs in the kernel (its errors are kept for the feedback);
- a test cell runs here (``replay.run_test_cell``) against the student's objects.
Every cell has a deadline: the per-cell limit, or what is left of the notebook's. A cell
past its deadline is interrupted; a kernel that does not come back, dies or runs out of
notebook time ends the run, and the test cells not reached score 0 with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from ..safety import procs, safefiles, sandbox
from ..verdicts.kernel import UNRESPONSIVE, KernelGone, KernelSession, TimeLimit
from ..verdicts.replay import Replay, run_test_cell
from . import prestart

STARTUP_TIMEOUT = 120.0


def _skip_in_copy(name: str) -> bool:
    return name.endswith(".ipynb") or name.startswith(".")


def _copy_folder(job: dict, workdir: Path) -> str:
    """The student's folder without notebooks or hidden files, the kernel's working copy
    (regular files only, no link followed); returns a digest of what was copied."""
    folder, root = job.get("folder"), job.get("root")
    if not folder:
        workdir.mkdir(exist_ok=True)
        return ""
    return safefiles.copy_tree(Path(root or Path(folder).parent), Path(folder), workdir,
                               _skip_in_copy)


def submission_digest(steps: list[dict], files_digest: str) -> str:
    """A digest of everything the kernel runs and reads of a submission: its code cells, in
    order (line endings made ``\\n``), and the files copied for it. The hidden seeds depend on
    it, so a changed submission draws new hidden inputs; the same bytes draw the same."""
    h = hashlib.sha256(b"bn-from-scratch submission\0")
    for step in steps:
        if step["kind"] == "code":
            code = step["source"].replace("\r\n", "\n").encode("utf-8", "surrogatepass")
            h.update(f"{len(code)}:".encode() + code)
    h.update(files_digest.encode())
    return h.hexdigest()[:32]


def _cell(step: dict, **fields) -> dict:
    return {"index": step["index"], "kind": step["kind"], "grade_id": step.get("grade_id"),
            "max_points": step.get("points", 0.0), "points": 0.0, "passed": False,
            "message": "", "output": "", "error": None, **fields}


def _leftovers(kernel_pid: int | None, root: int | None = None) -> list[int]:
    """Processes under this worker (or ``root``: a kernel started ahead, whose processes are
    not this fork's) that are neither the kernel nor the sandbox's own."""
    out = []
    for pid in procs.descendants(root or os.getpid()):
        line = procs.cmdline(pid)
        program = os.path.basename(line.split(" ", 1)[0])
        if (pid == kernel_pid or not line or "grading_kernel.py" in line or program == "bwrap"
                or procs.is_zombie(pid)):
            continue
        out.append(pid)
    return out


def grade_notebook(job: dict, spare: prestart.Spare | None = None) -> dict:
    """Run one prepared notebook (a job from ``grade``) and judge its test cells
    (``spare``: a kernel the worker started ahead for it, see ``prestart``)."""
    settings = job["settings"]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bn-grade-") as tmp:
        session = None
        try:
            if spare is not None:  # its folder gets the student's files; None if it failed
                files = _copy_folder(job, spare.layout.workdir)
                session = spare.connected(min(STARTUP_TIMEOUT, settings["notebook_timeout"]))
                layout = spare.layout
            if session is None:
                layout = sandbox.Layout(Path(tmp) / "work", Path(tmp) / "kernel",
                                        [Path(p) for p in settings.get("hide", [])])
                files = _copy_folder(job, layout.workdir)
        except safefiles.Unsafe as exc:  # changed since it was collected
            return {"cells": [], "problem": exc.status, "notes": [str(exc)],
                    "seconds": round(time.monotonic() - started, 2)}
        job = {**job, "digest": submission_digest(job["cells"], files)}
        if session is None:
            layout.kernel_dir.mkdir()
            connection = layout.kernel_dir / "connection.json"
            command = sandbox.kernel_command(layout, connection, settings, settings["sandbox"],
                                             settings.get("bwrap"))
            command.argv += prestart.preload_argv(job.get("preload", ()))
            session = KernelSession(command, connection)
        run = _Run(job, session, started)
        try:
            run.all_cells()
        finally:
            run.finish()
    return {"cells": run.results, "problem": run.problem, "notes": run.notes,
            "seconds": round(time.monotonic() - started, 2),
            "started_ahead": isinstance(session, prestart.AdoptedSession)}


class _Run:
    """One notebook's cells, in order, each against its deadline."""

    def __init__(self, job: dict, session: KernelSession, started: float):
        self.job, self.session = job, session
        self.settings = job["settings"]
        self.notebook_deadline = started + self.settings["notebook_timeout"]
        self.replay = Replay(session, self.settings["reference_dir"])
        self.results: list[dict] = []
        self.notes: list[str] = []
        self.problem: str | None = None

    def all_cells(self) -> None:
        steps = self.job["cells"]
        try:
            self.session.start(min(STARTUP_TIMEOUT, self.settings["notebook_timeout"]))
        except KernelGone as exc:
            self.problem = "kernel died"
            self._skip(steps, f"the kernel did not start ({exc})", "no cell ran")
            return
        for n, step in enumerate(steps):
            where = step.get("grade_id") or f"cell {step['index'] + 1}"
            now = time.monotonic()
            if now >= self.notebook_deadline:
                self.problem = "time limit"
                self._skip(steps[n:], f"the notebook time limit was reached before {where}",
                           "it and the cells after it did not run")
                return
            deadline = min(now + self.settings["timeout"], self.notebook_deadline)
            run = self._code if step["kind"] == "code" else self._test
            stop = run(step, deadline, where, deadline == self.notebook_deadline)
            if not stop and self.settings.get("selective") and self._lost_a_point():
                stop = ("a point was lost in a selective run, which stops there (the notebook "
                        "is graded again with every cell)")
            if stop:
                self._skip(steps[n + 1:], f"{stop} in {where}")
                return

    def _lost_a_point(self) -> bool:
        """Can this run no longer reach full marks (a test cell failed, a time limit)? A
        selective run is then of no use (``selection.settle`` will not keep it)."""
        last = self.results[-1] if self.results else None
        return self.problem is not None or (
            last is not None and last["kind"] == "test" and not last["passed"])

    def _skip(self, steps, why: str, rest: str = "the cells after it did not run") -> None:
        """The cells that will not run: their test cells score 0, with the reason."""
        self.notes.append(f"{why}; {rest}")
        self.results += [_cell(s, message=f"did not run: {why}") for s in steps
                         if s["kind"] == "test"]

    def _timed_out(self, where: str, notebook_bound: bool) -> str | None:
        self.problem = "time limit"
        if notebook_bound:
            return "the notebook time limit was reached"
        self.notes.append(f"{where} ran past the per-cell time limit")
        return None

    def _code(self, step, deadline, where, notebook_bound) -> str | None:
        """A student's cell, in the kernel; its error (if any) is kept for the feedback."""
        try:
            done = self.session.execute(step["source"], deadline)
        except TimeLimit:
            self.results.append(_cell(step, error=["TimeLimit", "the cell ran past the time "
                                                   "limit and was interrupted"]))
            return self._timed_out(where, notebook_bound)
        except KernelGone as exc:
            self.problem, stop = _gone(self.session, exc)
            self.results.append(_cell(step, error=["KernelGone", stop]))
            return stop
        if done.error:
            self.results.append(_cell(step, error=list(done.error)))
        return None

    def _test(self, step, deadline, where, notebook_bound) -> str | None:
        """A test cell, judged here against the student's objects in the kernel."""
        job = self.job
        label = f"{job['student']}/{job['assignment']}/{step.get('grade_id')}/{job['digest']}"
        verdict = run_test_cell(self.replay, step["source"], {}, job["imports"],
                                deadline, bytes.fromhex(job["key"]), label)
        self.results.append(_cell(step, passed=verdict.passed, message=verdict.message,
                                  output=verdict.output,
                                  points=step["points"] if verdict.passed else 0.0))
        if verdict.problem == "time limit":
            return self._timed_out(where, notebook_bound)
        if verdict.problem == "kernel gone":
            self.problem, stop = _gone(self.session, None)
            return stop
        if verdict.problem == "harness":  # the submission removed or broke it: scores 0
            self.notes.append(f"{where}: the kernel's grading harness did not answer "
                              "(removed or broken by the submission?)")
        return None

    def finish(self) -> None:
        """Stop the kernel and everything it started; note what it had left running."""
        session = self.session
        ahead = session.proc.pid if isinstance(session, prestart.AdoptedSession) else None
        leftover = _leftovers(session.proc.pid, ahead) if session.alive() else []
        session.shutdown()
        procs.kill_all(procs.descendants(os.getpid()))
        procs.reap()
        if leftover:
            self.notes.append(f"left {len(leftover)} process(es) running after its last cell; "
                              "they were stopped")


def _gone(session: KernelSession, exc) -> tuple[str, str]:
    """(problem, what happened) when the kernel is no longer there."""
    if session.stopped_reason == UNRESPONSIVE:
        return "time limit", UNRESPONSIVE
    if session.limit_hit:
        return "limit exceeded", session.limit_hit
    return "kernel died", "the kernel died"


def _limit_memory(job: dict) -> int:
    """The address space of this grading process (and the soft limit its kernel starts
    with): what the kernel sends cannot grow the grader past it."""
    limit = int(job.get("settings", {}).get("grader_memory_bytes") or 0)
    if limit > 0 and sys.platform.startswith("linux"):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY
                                                else min(limit, hard), hard))
    return limit


def _memory_result(limit: int, how: str) -> dict:
    why = (f"the grader's memory limit for one notebook ({limit // 2**20} MiB) was reached "
           f"while judging it ({how})")
    return {"cells": [], "problem": "limit exceeded", "notes": [why], "error": why}


def _grade_in_a_fork(job: dict, spare: prestart.Spare | None = None, keep=set) -> dict:
    """Grade one notebook in a fork of this worker, so that nothing of one student's grading
    (the checks' module state, caches) can reach the next student's."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: grade, answer through the pipe, leave without cleanup handlers
        os.close(read_end)
        code = 0
        try:
            procs.become_subreaper()  # not inherited across fork
            limit = _limit_memory(job)
            try:
                result = grade_notebook(job, spare)
            except MemoryError:
                result = _memory_result(limit, "MemoryError")
            except Exception:  # a bug in the grader: say so
                result = {"cells": [], "problem": "grader error", "notes": [],
                          "error": traceback.format_exc()[-4000:]}
            with os.fdopen(write_end, "w", encoding="utf-8") as out:
                out.write(json.dumps(result))
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as answer:
        text = answer.read()
    _, status = os.waitpid(pid, 0)
    spared = keep()  # the kernel started ahead for the next notebook
    procs.kill_all(p for p in procs.descendants(os.getpid()) if p not in spared)
    procs.reap()
    try:
        return json.loads(text)
    except ValueError:
        limit = int(job.get("settings", {}).get("grader_memory_bytes") or 0)
        if os.WIFSIGNALED(status) and limit:  # e.g. an allocation refused inside libzmq
            name = signal.Signals(os.WTERMSIG(status)).name
            return _memory_result(limit, f"its grading process ended by {name}, as when an "
                                  "allocation is refused")
        return {"cells": [], "problem": "grader error", "notes": [],
                "error": "the grading process ended without an answer"}


def _load_what_checks_load_late() -> None:
    """Import here, once, the modules the checks would otherwise import while judging each
    notebook: numpy 2 loads ``numpy.random`` and ``numpy.ma`` on first use, and torch loads
    about 500 modules (sympy among them) the first time a gradient is given to
    ``backward``. Each notebook is graded in a fork of this process, so whatever is loaded
    here costs nothing per notebook; loaded in a fork, it costs every notebook again."""
    import numpy.ma  # noqa: F401
    import numpy.random  # noqa: F401
    try:
        import torch
    except ImportError:
        return
    x = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    (x * 2.0).backward(torch.ones(2, 3, dtype=torch.float64))
    (x * 2.0).sum().backward()


def main() -> int:
    """Grade jobs from stdin, one JSON line each; answer on the original stdout."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything else printed goes to stderr, never into the protocol
    procs.become_subreaper()
    # the trusted checks (and torch, which some use), imported once, before any student code
    import course_utils.checks  # noqa: F401
    _load_what_checks_load_late()

    spares = prestart.Spares()
    for line in sys.stdin:
        if line.strip():
            job = json.loads(line)
            spare = spares.take(job)  # started ahead for this job; the next one starts now
            result = _grade_in_a_fork(job, spare, spares.keep)
            if spare is not None:
                spare.stop()
            protocol.write(json.dumps(result) + "\n")
            protocol.flush()
    spares.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
