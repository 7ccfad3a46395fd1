"""How many processes a grading kernel may have, enforced where it really holds.

``RLIMIT_NPROC`` alone is not enough: it counts the processes of a *host* user, and the
kernel does not enforce it for root, so a grader run as root (a container, CI) with
bubblewrap (whose ``nobody`` is then host root) would leave a fork bomb unbounded. Three
layers, each used where it holds:

1. a **pids cgroup** of its own for the kernel and everything it starts, with ``pids.max``
   (:data:`MAX_TASKS`), when the grader can make one (root with the cgroup v1 ``pids``
   hierarchy, or a writable cgroup v2 with the ``pids`` controller): a fork past the limit
   fails, whoever runs the grader;
2. ``RLIMIT_NPROC`` = :data:`MAX_TASKS`, set inside the sandbox (``grading_kernel.py``) when
   the grader is not root: in the sandbox's own user namespace it counts only the
   sandbox's processes (Linux 5.14 and later), and it is enforced for a user who is not root;
3. a **watchdog** in the grader that counts the kernel's processes a few times a second and
   stops the kernel, with a note saying so, once they pass :data:`MAX_PROCESSES` or once
   the cgroup has refused a fork. Where neither 1 nor 2 holds (root without a cgroup, or no
   sandbox), this is the only bound: a fork bomb runs for at most one watchdog period.

The CPU time of each of the kernel's processes is limited by ``RLIMIT_CPU``
(``grading_kernel.py``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from . import procs

#: tasks (processes and threads) the kernel's cgroup, or RLIMIT_NPROC, allows
MAX_TASKS = 512
#: processes past which the watchdog stops the kernel
MAX_PROCESSES = 128
WATCH_PERIOD = 0.2          # with a cgroup: two small files read
WATCH_PERIOD_SCAN = 1.0     # without one: a scan of /proc
PROCESS_LIMIT = (f"the kernel started more than {MAX_PROCESSES} processes (the process "
                 "limit: a fork bomb?) and was stopped")

_counter = [0]


def _own_cgroup_dirs() -> list[Path]:
    """Where a child cgroup of this process's could be made: v1 ``pids``, then v2."""
    out = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if "pids" in controllers.split(","):
            out.append(Path("/sys/fs/cgroup/pids") / path.lstrip("/"))
        elif controllers == "":
            for base in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
                here = base / path.lstrip("/")
                try:
                    if "pids" in (here / "cgroup.subtree_control").read_text().split():
                        out.append(here)
                except OSError:
                    pass
    return out


class Cgroup:
    """A pids cgroup made for one kernel (``None`` from :meth:`make` when none can be)."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def make(cls, limit: int = MAX_TASKS) -> Cgroup | None:
        _counter[0] += 1
        for parent in _own_cgroup_dirs():
            _remove_stale(parent)
            path = parent / f"bn-grade-{os.getpid()}-{_counter[0]}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(limit))
                return cls(path)
            except OSError:
                _remove(path)
        return None

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` started inside the cgroup (the shell moves itself in, then becomes it)."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" 2>/dev/null; exec "$@"',
                str(self.path / "cgroup.procs"), *argv]

    def tasks(self) -> int:
        try:
            return int((self.path / "pids.current").read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def processes(self) -> int:
        try:
            return len((self.path / "cgroup.procs").read_text().split())
        except OSError:
            return 0

    def holds_anything(self) -> bool:
        try:
            return bool((self.path / "cgroup.procs").read_text().strip())
        except OSError:
            return False

    def refused_a_fork(self) -> bool:
        try:
            for line in (self.path / "pids.events").read_text().splitlines():
                name, _, count = line.partition(" ")
                if name == "max" and int(count or 0) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def kill_all(self) -> None:
        """Stop every process in the cgroup (a fork bomb cannot outrun a frozen count)."""
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                return
            if not pids:
                return
            procs.kill_all(pids)

    def close(self) -> None:
        self.kill_all()
        _remove(self.path)


def _remove_stale(parent: Path) -> None:
    """Empty cgroups left by graders that were killed before they could remove theirs."""
    try:
        stale = [p for p in parent.glob("bn-grade-*-*")
                 if not Path(f"/proc/{p.name.split('-')[2]}").exists()]
    except OSError:
        return
    for path in stale:
        try:
            path.rmdir()
        except OSError:
            pass


def _remove(path: Path) -> None:
    for _ in range(100):  # killed processes take a moment to leave the cgroup
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            threading.Event().wait(0.05)


class Watchdog:
    """Counts a kernel's processes every :data:`WATCH_PERIOD` s; past the limit, ``stop(why)``."""

    def __init__(self, root_pid: int, stop, cgroup: Cgroup | None = None,
                 limit: int = MAX_PROCESSES):
        self.root_pid, self.stop_kernel, self.cgroup, self.limit = root_pid, stop, cgroup, limit
        self._done = threading.Event()
        self.tripped: str | None = None
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def count(self) -> int:
        if self.cgroup is not None and self.cgroup.holds_anything():
            return self.cgroup.processes()
        return 1 + len(procs.descendants(self.root_pid))

    def _watch(self) -> None:
        period = WATCH_PERIOD if self.cgroup is not None else WATCH_PERIOD_SCAN
        while not self._done.wait(period):
            over = (self.cgroup is not None and self.cgroup.refused_a_fork()) or \
                self.count() > self.limit
            if over:
                self.tripped = PROCESS_LIMIT
                self.stop_kernel(PROCESS_LIMIT)
                if self.cgroup is not None:
                    self.cgroup.kill_all()
                return

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)
