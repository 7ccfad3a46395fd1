"""CPU time of a command and everything it starts, sandboxed kernels included.

Wall time on a shared machine says little; CPU time says what a run cost. The usual
measure, ``getrusage(RUSAGE_CHILDREN)``, counts only descendants that were waited for, and
bubblewrap's monitor exits without reaping the sandbox's init, so every sandboxed kernel's
CPU time would be lost. A control group counts every process in it however it ends: the
command starts inside a fresh one (cgroup v2, or v1's ``cpuacct``; both need the right to
create one, root here) and its usage is read when it exits. Where no group can be made the
figure falls back to ``getrusage``, marked as a lower bound.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

V2 = Path("/sys/fs/cgroup")
V2_HYBRID = Path("/sys/fs/cgroup/unified")
V1 = Path("/sys/fs/cgroup/cpuacct")


@dataclass
class Usage:
    wall: float          # seconds, start to exit
    cpu: float           # seconds of CPU, user + system, of the command and all it started
    exact: bool          # False: getrusage's lower bound (sandboxed kernels not counted)
    done: subprocess.CompletedProcess


def _group() -> tuple[Path, str] | None:
    """A fresh control group we may put processes in: (its folder, the file to read)."""
    name = f"bn-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    for root, reader in ((V2, "cpu.stat"), (V2_HYBRID, "cpu.stat"), (V1, "cpuacct.usage")):
        if not (root / "cgroup.procs").exists():
            continue
        try:
            (root / name).mkdir()
        except OSError:
            continue
        if (root / name / reader).exists() and os.access(root / name / "cgroup.procs", os.W_OK):
            return root / name, reader
        _remove(root / name)
    return None


def _remove(folder: Path) -> None:
    for _ in range(50):  # a group can be removed only once its last process has gone
        try:
            folder.rmdir()
            return
        except OSError:
            time.sleep(0.1)


def _read(folder: Path, reader: str) -> float:
    text = (folder / reader).read_text()
    if reader == "cpu.stat":
        fields = dict(line.split() for line in text.splitlines() if line.strip())
        return int(fields["usage_usec"]) / 1e6
    return int(text.strip()) / 1e9


def available() -> bool:
    found = _group()
    if found is None:
        return False
    _remove(found[0])
    return True


def run(cmd: list[str], *, timeout: float = 7200, env: dict | None = None,
        cwd: Path | None = None, check: bool = True) -> Usage:
    """Run ``cmd`` to its end; its wall and CPU seconds (``check``: raise if it fails)."""
    group = _group()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    if group is None:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=cwd)
    else:
        # the child joins the group before it becomes the command, so all it starts is inside
        procs = str(group[0] / "cgroup.procs")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=cwd,
                                preexec_fn=lambda: Path(procs).write_text(str(os.getpid())))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError(f"{' '.join(cmd[:5])} ran past {timeout:.0f} s") from None
    finally:
        wall = time.perf_counter() - started
        if group is not None:
            cpu = _read(*group)
            _remove(group[0])
    if group is None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if check and proc.returncode != 0:
        tail = (err or out).strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(cmd[:5])} failed (exit {proc.returncode}):\n  "
                           + "\n  ".join(tail))
    return Usage(wall, cpu, group is not None, done)
