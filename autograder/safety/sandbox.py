"""Where a submission's kernel runs: inside a bubblewrap sandbox, or (when that is not
possible) as a plain process with limits, and what protection is missing then.

In the sandbox the kernel sees a read-only view of only what it needs (the system's
``/usr``, the Python environment, ``course_utils``) plus its own scratch folder
(``/submission``, a copy of the student's folder) and a private ``/tmp``; solutions/, the
gradebook, the grading output and other students' work are not there at all (and are
covered by an empty tmpfs if they happen to lie inside something bound). It runs in new
user, PID, network, IPC and UTS namespaces as ``nobody`` with no capabilities, so it cannot
reach the network (only its own loopback), see or signal the grader's processes, or
outlive the grader: when its kernel stops, everything it started stops with it.

In the sandbox, ``course_utils.reference`` and ``course_utils.checks`` are generated
stand-ins (``standins``): their imports succeed, nothing behind them computes anything, and
no copy of the real code is readable (each copy on the kernel's path is covered).

Both ways, the kernel's address space and file sizes are limited (``grading_kernel.py``),
its environment holds only what the kernel needs (never the instructor's variables), and
the verdicts are computed outside it (``replay.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from . import limits, standins

NOBODY = 65534
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
             "passwd", "group", "fonts", "alternatives", "mime.types")
KERNEL_FILES = ("grading_kernel.py", "harness.py", "wire.py", "wire_values.py")
TMP_BYTES = 512 * 2**20

MISSING_WITHOUT_SANDBOX = (
    "a submission runs with your user's rights: it can read solutions/ (the hidden tests), "
    "other students' submissions and any file you can read, write wherever you can (the "
    "course files, the gradebook, the grading output), reach the network, and call the "
    "course's reference unseen")
KEPT_WITHOUT_SANDBOX = (
    "still enforced: verdicts computed outside the student's kernel, links never followed, "
    "per-cell and per-notebook time limits, the memory and CPU-time limits, and no process "
    "left running (on Linux)")


@dataclass
class Status:
    """Whether grading runs sandboxed, and a message for the instructor."""

    enabled: bool
    message: str
    bwrap: str | None = None


@dataclass
class KernelCommand:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    limit_processes: bool = True   # a pids cgroup and a watchdog (``limits``)


@dataclass
class Layout:
    """The folders one kernel uses (all on the grader's side)."""

    workdir: Path      # copy of the student's folder: the kernel's working directory
    kernel_dir: Path   # connection file, IPC sockets, matplotlib cache, the kernel's files
    hide: list[Path] = field(default_factory=list)  # must stay invisible to the kernel
    #: (stand-in folder, the real folder it is bound over): see ``standins``
    covers: list[tuple[Path, Path]] = field(default_factory=list)


def python_roots() -> list[Path]:
    """Folders the environment's Python needs: its installation and the virtualenv."""
    roots = []
    for p in (sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))):
        real = Path(os.path.realpath(p))
        if not any(real == Path(s) or Path(s) in real.parents for s in SYSTEM_DIRS):
            roots.append(real)
    # a virtualenv's own path (not resolved) too, so that its bin/python symlink works
    roots.append(Path(sys.prefix).absolute())
    out = []
    for r in roots:
        if r not in out and not any(o in r.parents for o in out):
            out = [o for o in out if r not in o.parents] + [r]
    return out


def course_utils_dir() -> Path:
    import course_utils

    return Path(course_utils.__file__).resolve().parent


def reference_dir() -> str:
    return str(course_utils_dir() / "reference")


def _bind(src, dst=None, flag="--ro-bind") -> list[str]:
    return [flag, str(src), str(dst or src)]


def bwrap_args(layout: Layout, *, tmp_bytes: int = TMP_BYTES) -> list[str]:
    """The bubblewrap options for one kernel (without the command)."""
    args = ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "grader", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL"]
    bound: list[Path] = []
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += _bind(d)
            bound.append(Path(d))
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args += _bind(f"/etc/{name}", flag="--ro-bind-try")
    # the private /tmp first: the environment or the course may themselves live under /tmp
    # (a clone in a temporary folder), and a tmpfs mounted after their binds would hide them
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp",
             "--dir", "/tmp/home"]
    for root in python_roots() + [course_utils_dir()]:
        args += _bind(root)
        bound.append(root)
    args += _bind(layout.workdir, "/submission", flag="--bind")
    args += _bind(layout.kernel_dir, flag="--bind")
    args += _bind(layout.kernel_dir / "grader", "/grader")
    for stand_in, real in layout.covers:  # the reference and the checks: stand-ins only
        if any(b == real or b in real.parents for b in bound):
            args += _bind(stand_in, real)
    # what must stay hidden but lies inside a folder bound above gets an empty cover
    for secret in layout.hide:
        secret = Path(os.path.realpath(secret))
        if any(b == secret or b in secret.parents for b in bound) and secret.exists():
            args += ["--tmpfs", str(secret)] if secret.is_dir() else _bind("/dev/null", secret)
    return args + ["--chdir", "/submission"]


def kernel_env(home: str, tmp: str, mpl: str, settings: dict) -> dict[str, str]:
    """The kernel's whole environment: nothing of the instructor's own is passed on."""
    venv_bin = os.path.dirname(sys.executable)
    return {
        "PATH": os.pathsep.join([venv_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": home, "TMPDIR": tmp, "LANG": "C.UTF-8",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline", "MPLCONFIGDIR": mpl,
        "IPYTHONDIR": os.path.join(tmp, "ipython"), "JUPYTER_RUNTIME_DIR": tmp,
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
        # one thread each: notebooks graded side by side do not fight over the cores
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "GRADER_REFERENCE_DIR": reference_dir(),
        "GRADER_MEMORY_BYTES": str(settings.get("memory_bytes", 0)),
        "GRADER_FILE_BYTES": str(settings.get("file_bytes", 0)),
        "GRADER_CPU_SECONDS": str(int(settings.get("cpu_seconds", 0) or 0)),
    }


def prepare_kernel_dir(kernel_dir: Path) -> None:
    """Copy the kernel's own files and a warm matplotlib font cache into ``kernel_dir``."""
    (kernel_dir / "grader").mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parents[1] / "verdicts"  # where KERNEL_FILES live
    for name in KERNEL_FILES:
        shutil.copy2(here / name, kernel_dir / "grader" / name)
    mpl = kernel_dir / "matplotlib"
    mpl.mkdir(exist_ok=True)
    cache = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
    for font_list in sorted(cache.glob("fontlist-*.json")) if cache.is_dir() else []:
        shutil.copy2(font_list, mpl / font_list.name)


def stand_in_covers(kernel_dir: Path) -> list[tuple[Path, Path]]:
    """Write the stand-ins into ``kernel_dir`` and pair each with every real folder it covers."""
    made = standins.write(kernel_dir / "standins")
    return [(made[package], real) for package in standins.PACKAGES
            for real in standins.real_folders(package)]


def kernel_command(layout: Layout, connection_file: Path, settings: dict,
                   sandboxed: bool, bwrap: str | None) -> KernelCommand:
    prepare_kernel_dir(layout.kernel_dir)
    if sandboxed and not layout.covers:
        layout.covers = stand_in_covers(layout.kernel_dir)
    python = sys.executable
    if sandboxed:
        env = kernel_env("/tmp/home", "/tmp", str(layout.kernel_dir / "matplotlib"), settings)
        # counted in the sandbox's own user namespace: only its processes (limits.py)
        env["GRADER_MAX_TASKS"] = str(limits.MAX_TASKS)
        argv = [bwrap or "bwrap", "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        argv += bwrap_args(layout) + ["--", python, "/grader/grading_kernel.py",
                                       "-f", str(connection_file)]
        return KernelCommand(argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                             str(layout.workdir))
    home = layout.kernel_dir / "home"
    tmp = layout.kernel_dir / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = kernel_env(str(home), str(tmp), str(layout.kernel_dir / "matplotlib"), settings)
    env["GRADER_PARENT_DEATH"] = "1"
    env["GRADER_MAX_TASKS_MORE"] = str(limits.MAX_TASKS)
    argv = [python, str(layout.kernel_dir / "grader" / "grading_kernel.py"),
            "-f", str(connection_file)]
    return KernelCommand(argv, env, str(layout.workdir))


def detect(want: bool | None = None) -> Status:
    """Can this machine sandbox kernels? ``want``: True (required), False (off), None (auto)."""
    if want is False:
        return Status(False, "WARNING sandbox: OFF (--no-sandbox). " + _missing())
    bwrap = shutil.which("bwrap")
    problem = None
    if bwrap is None:
        problem = ("bubblewrap (bwrap) is not installed: run scripts/system-deps.sh, or "
                   "`sudo apt-get install bubblewrap`")
    elif not sys.platform.startswith("linux"):
        problem = "the sandbox needs Linux"
    else:
        problem = _probe(bwrap)
    if problem is None:
        return Status(True, "sandbox: ON (bubblewrap: no network, no solutions/, no gradebook, "
                            "no other students' work, nothing outside its own folder)", bwrap)
    if want:
        raise RuntimeError(f"--sandbox was asked for but is not available: {problem}")
    return Status(False, f"WARNING sandbox: OFF ({problem}). " + _missing())


def _missing() -> str:
    return f"Without it, {MISSING_WITHOUT_SANDBOX}; {KEPT_WITHOUT_SANDBOX}."


def _probe(bwrap: str) -> str | None:
    """Start the environment's Python inside the sandbox once; None when that works."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bn-grade-probe-") as tmp:
        layout = Layout(Path(tmp) / "work", Path(tmp) / "kernel")
        layout.workdir.mkdir()
        prepare_kernel_dir(layout.kernel_dir)
        env = kernel_env("/tmp/home", "/tmp", "/tmp", {})
        argv = [bwrap, "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        argv += bwrap_args(layout) + ["--", sys.executable, "-c",
                                       "import ipykernel, numpy, course_utils; print('ok')"]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not start: {exc}"
        if done.returncode != 0 or "ok" not in done.stdout:
            detail = (done.stderr or done.stdout).strip().splitlines()
            return ("bubblewrap is installed but cannot start a sandbox here (user namespaces "
                    f"disabled?): {detail[-1] if detail else 'exit code ' + str(done.returncode)}")
    return None


def sensitive_paths(*extra: Path) -> list[Path]:
    """What a kernel must never see: solutions, gradebooks, collected and graded work."""
    found = [paths.SOLUTIONS, paths.CONFIG_DIR / "gradebook.db", paths.CONFIG_DIR / "submitted",
             paths.CONFIG_DIR / "autograded", paths.CONFIG_DIR / "feedback",
             paths.CONFIG_DIR / "demo_class"]
    return found + [Path(p) for p in extra]
