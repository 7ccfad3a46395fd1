"""A lower fixed cost per notebook: the next kernel starts while this notebook is graded.

Starting a grading kernel and importing what a notebook uses costs 3 to 6 s (torch most of
it), every notebook. Two things take that off the critical path, and neither lets anything
of one student's kernel reach another's:

- **preload**: every grading kernel imports the trusted modules its first cell imports
  (numpy, matplotlib, torch, the course's modules) as it starts, before any student code
  runs, binding no name (``preload``, ``preload_argv``), when that cell is the course's own.
  The cell then finds them loaded. Every kernel does this, started ahead or not, so a
  notebook's kernel is the same either way.
- **start ahead** (sandboxed only): while a worker grades one notebook, the kernel for its
  next one is started, in a sandbox of its own with an empty ``/submission``, and preloads
  (:class:`Spares`). The next job copies its student's folder in and connects. Each spare
  serves one notebook and is stopped after it; a spare that does not fit the next job (other
  limits, another assignment's imports) is stopped unused. Without the sandbox nothing is
  started ahead: two kernels of the same user side by side could reach each other's sockets.

This lowers the wall time per notebook when a core is free (fewer workers than cores, or
notebooks that wait); the CPU time per notebook stays what it was.
"""

from __future__ import annotations

import ast
import functools
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

from ..safety import limits, procs, sandbox
from ..verdicts.kernel import KernelSession

#: the job settings a kernel's start depends on (a spare fits a job that has the same)
KERNEL_SETTINGS = ("memory_bytes", "file_bytes", "sandbox", "bwrap", "hide", "reference_dir")
#: set to "0" to start every kernel when its notebook comes (measuring the difference)
ENV = "BN_GRADER_PRESTART"


@functools.lru_cache(maxsize=1024)
def modules(source: str) -> tuple[str, ...]:
    """The modules the import statements of a (course) cell import, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # a name imported from a package may be a module of its own
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names
                                      if a.name != "*"]
    return tuple(dict.fromkeys(found))


def preload(steps: list[dict], course: set[int]) -> list[str]:
    """What a kernel may import before the job's cells: the modules its first code cell
    imports, when that cell is the course's own (``course``: indices of the course's cells);
    it runs first anyway, so nothing it does comes earlier than it would have."""
    first = next((s for s in steps if s["kind"] == "code"), None)
    if first is None or first["index"] not in course:
        return []
    return list(modules(first["source"]))


def preload_argv(names) -> list[str]:
    """The kernel option that imports ``names`` at start, binding nothing in the user's
    namespace (a name that is not a module is skipped quietly)."""
    if not names:
        return []
    code = ("import importlib\nfor name in %r:\n    try:\n        importlib.import_module(name)"
            "\n    except Exception:\n        pass\n" % (tuple(names),))
    return [f"--IPKernelApp.exec_lines=exec({code!r}, {{}})"]


def enabled(settings: dict) -> bool:
    return bool(settings.get("sandbox")) and os.environ.get(ENV, "1") != "0"


class _Started:
    """The process of a kernel this fork did not start (the worker did): what Popen offers."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and (not os.path.exists(f"/proc/{self.pid}")
                                        or procs.is_zombie(self.pid)):
            self.returncode = 1  # its parent, the worker, collects the real status
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass


class AdoptedSession(KernelSession):
    """A session on a kernel that was started ahead: ``start`` only connects."""

    def start(self, timeout: float) -> None:
        if self.client is None:
            self.connect(timeout)


class Spare:
    """One kernel started ahead in folders of its own, for whichever job comes next."""

    def __init__(self, job: dict):
        settings = job["settings"]
        self.fits_key = _fits_key(job)
        self.tmp = Path(tempfile.mkdtemp(prefix="bn-grade-"))
        self.layout = sandbox.Layout(self.tmp / "work", self.tmp / "kernel",
                                     [Path(p) for p in settings.get("hide", [])])
        try:
            self.layout.workdir.mkdir()
            self.layout.kernel_dir.mkdir()
            self.connection = self.layout.kernel_dir / "connection.json"
            command = sandbox.kernel_command(self.layout, self.connection, settings,
                                             settings["sandbox"], settings.get("bwrap"))
            command.argv += preload_argv(job.get("preload", ()))
            self.session = KernelSession(command, self.connection)
            self.session.launch()
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        self.pid = self.session.proc.pid
        # the process watchdog belongs to the fork that grades with this kernel (a thread of
        # the worker would not follow it there); until then only the course's preload runs
        if self.session.watchdog is not None:
            self.session.watchdog.close()
            self.session.watchdog = None

    def fits(self, job: dict) -> bool:
        return self.fits_key == _fits_key(job) and os.path.exists(f"/proc/{self.pid}") \
            and not procs.is_zombie(self.pid)

    def connected(self, timeout: float) -> KernelSession | None:
        """In the fork that grades the next job: a session on this kernel, connected; None
        if it did not come up (the job then starts a kernel of its own, as without it)."""
        session = AdoptedSession(self.session.command, self.connection)
        session.proc = _Started(self.pid)
        # the kernel's process limit (its pids cgroup, made when it was started) and the
        # watchdog that counts its processes, as for a kernel the fork starts itself
        session.cgroup = self.session.cgroup
        session.watchdog = limits.Watchdog(self.pid, session._over_limit, session.cgroup)
        try:
            session.connect(timeout)
        except BaseException:  # KernelGone, or a connection that failed
            session.kill("the kernel started ahead did not answer")
            if session.client is not None:
                session.client.stop_channels()
            return None
        return session

    def pids(self) -> set[int]:
        return {self.pid, *procs.descendants(self.pid)}

    def stop(self) -> None:
        """Stop the kernel (if still running) and remove its folders."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.session.proc.wait(timeout=10)
        except Exception:
            pass
        if self.session.cgroup is not None:
            self.session.cgroup.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _fits_key(job: dict) -> str:
    settings = job["settings"]
    return repr([settings.get(k) for k in KERNEL_SETTINGS] + [list(job.get("preload", ()))])


class Spares:
    """A worker's kernel started ahead (at most one at a time)."""

    def __init__(self):
        self.ahead: Spare | None = None

    def take(self, job: dict) -> Spare | None:
        """The kernel started ahead, if it fits ``job``; then start the one after it."""
        mine, self.ahead = self.ahead, None
        if mine is not None and not mine.fits(job):
            mine.stop()
            mine = None
        if enabled(job["settings"]):
            try:
                self.ahead = Spare(job)
            except Exception:  # no kernel ahead: the next job starts its own
                self.ahead = None
        return mine

    def keep(self) -> set[int]:
        """Processes the worker's clean-up must leave alone: the kernel started ahead."""
        return self.ahead.pids() if self.ahead is not None else set()

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.stop()
            self.ahead = None
