"""Start the kernel a submission is graded in: limits first, then the harness, then ipykernel.

Run as ``python grading_kernel.py -f CONNECTION_FILE`` from a folder that also holds
``harness.py``, ``wire.py`` and ``wire_values.py`` (the grader copies the four files there,
``sandbox.KERNEL_FILES``; inside the sandbox that folder is ``/grader``). Settings come from environment variables the grader sets and
this script removes before any student code runs:

- ``GRADER_MEMORY_BYTES``: the address-space limit of the kernel and all it starts;
- ``GRADER_FILE_BYTES``: the largest file it may write;
- ``GRADER_CPU_SECONDS``: the CPU time each of its processes may use (``RLIMIT_CPU``: at
  the limit the process gets SIGXCPU, five seconds later SIGKILL);
- ``GRADER_MAX_TASKS``: in the sandbox only, ``RLIMIT_NPROC``: counted in the sandbox's own
  user namespace, so only its processes count (not enforced when the grader is root: the
  grader's pids cgroup and watchdog bound those, see ``limits.py``);
- ``GRADER_MAX_TASKS_MORE``: without the sandbox, for a grader that is not root:
  ``RLIMIT_NPROC`` = the user's tasks now plus this many (a bound, if a loose one: the
  user's other processes share it);
- ``GRADER_PARENT_DEATH``: "1" when not sandboxed: die with the grader (bubblewrap's
  ``--die-with-parent`` does this in the sandbox).
"""

import ctypes
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1


def _limit(which, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _user_tasks() -> int:
    """Tasks (processes and threads) of this process's real user, as RLIMIT_NPROC counts."""
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
        except (OSError, KeyError, ValueError, IndexError):
            continue
    return count


def apply_limits() -> None:
    memory = int(os.environ.pop("GRADER_MEMORY_BYTES", "0") or 0)
    if memory > 0:
        _limit(resource.RLIMIT_AS, memory)
    size = int(os.environ.pop("GRADER_FILE_BYTES", "0") or 0)
    if size > 0:
        _limit(resource.RLIMIT_FSIZE, size)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails, not the kernel
    cpu = int(os.environ.pop("GRADER_CPU_SECONDS", "0") or 0)
    if cpu > 0:
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        top = cpu + 5 if hard == resource.RLIM_INFINITY else min(cpu + 5, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (min(cpu, top), top))
    tasks = int(os.environ.pop("GRADER_MAX_TASKS", "0") or 0)
    if tasks > 0:
        _limit(resource.RLIMIT_NPROC, tasks)
    more = int(os.environ.pop("GRADER_MAX_TASKS_MORE", "0") or 0)
    if more > 0 and os.getuid() != 0:  # no sandbox: the user's tasks now, and this many more
        _limit(resource.RLIMIT_NPROC, _user_tasks() + more)
    _limit(resource.RLIMIT_CORE, 0)  # a crash leaves no core file behind
    if os.environ.pop("GRADER_PARENT_DEATH", "") == "1" and sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the grader is already gone
            os._exit(1)


def main() -> None:
    apply_limits()
    from ipykernel.kernelapp import IPKernelApp

    import harness

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:] + ["--HistoryManager.enabled=False"])
    harness.install(app)
    app.start()


if __name__ == "__main__":
    main()
