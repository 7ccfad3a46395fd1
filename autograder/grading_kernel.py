"""Start the kernel a submission is graded in: limits first, then the harness, then ipykernel.

Run as ``python grading_kernel.py -f CONNECTION_FILE`` from a folder that also holds
``harness.py`` and ``wire.py`` (the grader copies the three files there; inside the sandbox
that folder is ``/grader``). Settings come from environment variables the grader sets and
this script removes before any student code runs:

- ``GRADER_MEMORY_BYTES``: the address-space limit of the kernel and all it starts;
- ``GRADER_FILE_BYTES``: the largest file it may write;
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


def apply_limits() -> None:
    memory = int(os.environ.pop("GRADER_MEMORY_BYTES", "0") or 0)
    if memory > 0:
        _limit(resource.RLIMIT_AS, memory)
    size = int(os.environ.pop("GRADER_FILE_BYTES", "0") or 0)
    if size > 0:
        _limit(resource.RLIMIT_FSIZE, size)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails, not the kernel
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
