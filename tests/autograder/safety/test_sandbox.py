"""Is every escape blocked where the sandbox is on, and are the attacks real?

A small class of the demo's hostile students, next to an honest classmate, graded with
canaries around it: an instructor's grades file and folder named in the writer's
``targets.txt``, a helper on 127.0.0.1 that hands out working code to anyone who asks.
With the sandbox on, every cheat scores 0 and every canary is untouched. With it off, the
read-only cheats get full marks: they are real attacks, and the sandbox is what stops them.
"""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from autograder import demo, paths
from autograder.grading.grade import Settings, grade
from autograder.records import report
from autograder.safety import sandbox

A = demo.ASSIGNMENT
READERS = ["reads-the-solutions", "copies-a-classmate", "network-call", "reference-called-unseen"]
SANDBOXED = sandbox.detect().enabled


class Helper(http.server.BaseHTTPRequestHandler):
    """Serves the model answers to whoever asks (and remembers who did)."""

    asked: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Helper.asked.append(self.path)
        body = "\n\n".join(demo._solution_source(g) for g in ("batchnorm_forward", "identity_params"))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(("import numpy as np\n" + body).encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def helper():
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", demo.NETWORK_PORT), Helper)
    except OSError:
        pytest.skip(f"port {demo.NETWORK_PORT} is busy: cannot stand up the network helper")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Helper
    server.shutdown()


def _class(root: Path, students: list[str]) -> Path:
    subs = root / "class"
    for student in ["all-right"] + students:
        shutil.copytree(demo.CLASS_DIR / student, subs / student)
    return subs


def _canaries(root: Path) -> dict[Path, bytes | None]:
    instructor = root / "instructor"
    instructor.mkdir()
    (instructor / "grades.csv").write_text("student,score\nsomeone,4\n")
    (instructor / "gradebook.db").write_bytes(b"SQLite format 3\x00 (a canary)")
    return {instructor / "grades.csv": None, instructor / "gradebook.db": None, instructor: None}


def _targets(student_dir: Path, targets) -> None:
    (student_dir / A / "targets.txt").write_text("\n".join(str(t) for t in targets) + "\n")


def _state(paths_):
    return {p: (sorted(x.name for x in p.iterdir()) if p.is_dir() else p.read_bytes())
            for p in paths_}


def _scores(outcome) -> dict[str, str]:
    return {r.student: r.csv_dict()["score"] for r in outcome.rows}


@pytest.fixture(scope="module")
def sandboxed_run(tmp_path_factory, helper):
    if not SANDBOXED:
        pytest.skip("bubblewrap is not usable here (run scripts/system-deps.sh): " +
                    sandbox.detect().message)
    root = tmp_path_factory.mktemp("escapes")
    subs = _class(root, READERS + ["writes-the-gradebook", "background-process", "memory-bomb"])
    canaries = _canaries(root)
    out = root / "out"
    out.mkdir()
    (out / "grades.csv").write_text("student,score\nearlier,run\n")
    # also aim at the course itself: the sandbox binds it read-only
    inside = [paths.ROOT / "course_utils", paths.SOLUTIONS, out / "grades.csv", out]
    _targets(subs / "writes-the-gradebook", list(canaries) + inside)
    before = _state(list(canaries) + [paths.ROOT / "course_utils"])
    Helper.asked.clear()
    try:
        outcome = grade(subs, out / "grades.csv",
                        Settings(workers=2, timeout=60, notebook_timeout=300, sandbox=True),
                        log=lambda *a: None)
    finally:
        forged = list(paths.ROOT.glob("course_utils/**/forged.txt"))
        for f in forged:
            f.unlink()
    return {"outcome": outcome, "before": before, "after": _state(list(canaries) + [
        paths.ROOT / "course_utils"]), "forged": forged, "asked": list(Helper.asked), "out": out}


def test_every_cheat_scores_zero_in_the_sandbox(sandboxed_run):
    """Reading solutions or a classmate, asking the network, writing grades: 0 each?"""
    scores = _scores(sandboxed_run["outcome"])
    assert scores["all-right"] == "5"
    for student in READERS + ["writes-the-gradebook"]:
        assert scores[student] == "0", (student, scores)


def test_no_canary_was_touched_and_nothing_reached_the_network(sandboxed_run):
    """Are the instructor's files, the course and the output untouched, the helper never asked?"""
    assert sandboxed_run["after"] == sandboxed_run["before"]
    assert sandboxed_run["forged"] == []
    assert sandboxed_run["asked"] == []
    rows = report.read_csv(sandboxed_run["out"] / "grades.csv")
    assert not any(r["student"] == "writes-the-gradebook" and r["score"] == "5" for r in rows)


def test_processes_are_stopped_and_memory_is_limited(sandboxed_run):
    """Is a background process stopped (and flagged), a huge allocation refused?"""
    rows = {r.student: r for r in sandboxed_run["outcome"].rows}
    assert rows["background-process"].csv_dict()["score"] == "5"
    assert any("process(es) running" in n for n in rows["background-process"].notes)
    left = subprocess.run(["pgrep", "-f", demo.ORPHAN_MARK], capture_output=True, text=True)
    assert left.stdout.strip() == ""
    page = (sandboxed_run["out"] / "feedback" / "memory-bomb" / A / f"{A}.html").read_text()
    assert "MemoryError" in page and rows["memory-bomb"].csv_dict()["score"] == "2"


def test_a_sandboxed_kernel_sees_only_what_it_needs(tmp_path):
    """Inside the sandbox: nobody, no network, no solutions, no /root, a private /tmp?"""
    if not SANDBOXED:
        pytest.skip("bubblewrap is not usable here")
    import time

    from autograder.verdicts.kernel import KernelSession

    layout = sandbox.Layout(tmp_path / "work", tmp_path / "kernel", [])
    (tmp_path / "secret.txt").write_text("next to the kernel's folder, on the grader's side")
    layout.workdir.mkdir()
    layout.kernel_dir.mkdir()
    command = sandbox.kernel_command(layout, layout.kernel_dir / "c.json", {}, True,
                                     sandbox.detect().bwrap)
    session = KernelSession(command, layout.kernel_dir / "c.json")
    session.start(120)
    try:
        probe = (
            "import os, socket\n"
            f"print(os.getuid(), os.path.exists({str(paths.SOLUTIONS)!r}), "
            f"os.path.exists({str(paths.ROOT / 'autograder')!r}), "
            f"os.path.exists({str(tmp_path / 'secret.txt')!r}))\n"
            f"home = {str(Path.home())!r}\n"
            "print(sorted(os.listdir(home)) if os.path.isdir(home) else [])\n"
            "s = socket.socket()\n"
            "try:\n"
            f"    s.connect(('127.0.0.1', {demo.NETWORK_PORT})); print('connected')\n"
            "except OSError as e:\n"
            "    print('refused')\n"
            "print(sorted(n for n in os.listdir('/proc') if n.isdigit()).__len__() < 10)\n"
            "print(os.access('/usr', os.W_OK), os.environ.get('HOME'), 'USER' in os.environ)\n")
        done = session.execute(probe, time.monotonic() + 60)
    finally:
        session.shutdown()
    lines = done.stdout.splitlines()
    assert lines[0] == "65534 False False False", lines
    # of the grader's home, only the way to the Python installation (if it lives there)
    home = Path.home()
    allowed = {p.relative_to(home).parts[0] for p in sandbox.python_roots() if home in p.parents}
    assert set(eval(lines[1])) <= allowed, lines  # noqa: S307 - a list we printed
    assert lines[2] == "refused" and lines[3] == "True", lines
    assert lines[4] == "False /tmp/home False", lines


def test_secrets_inside_a_bound_folder_are_covered(tmp_path):
    """Does a secret that lies inside a folder the sandbox binds get an empty cover?"""
    layout = sandbox.Layout(tmp_path / "w", tmp_path / "k",
                            [sandbox.course_utils_dir() / "reference", tmp_path / "elsewhere"])
    args = sandbox.bwrap_args(layout)
    assert ["--tmpfs", str(sandbox.course_utils_dir() / "reference")] == args[
        args.index(str(sandbox.course_utils_dir() / "reference")) - 1:][:2]
    assert str(tmp_path / "elsewhere") not in args  # never bound, so nothing to cover
    assert "--unshare-net" in args and "--cap-drop" in args and "--die-with-parent" in args


@pytest.mark.skipif(not SANDBOXED, reason="compares with the sandboxed run")
def test_without_the_sandbox_the_attacks_succeed(tmp_path, helper):
    """Are the cheats real? Unsandboxed, reading solutions, a classmate or the network pays."""
    subs = _class(tmp_path, READERS + ["writes-the-gradebook"])
    canary = tmp_path / "instructor-grades.csv"
    canary.write_text("student,score\n")
    _targets(subs / "writes-the-gradebook", [canary])
    Helper.asked.clear()
    outcome = grade(subs, tmp_path / "out" / "grades.csv",
                    Settings(workers=2, timeout=60, notebook_timeout=300, sandbox=False),
                    log=lambda *a: None)
    scores = _scores(outcome)
    for student in READERS:
        assert scores[student] == "5", (student, scores)
    assert Helper.asked and "writes-the-gradebook" in canary.read_text()


def test_a_fork_bomb_is_bounded_and_stopped(tmp_path):
    """Every process forking for ever: does the count stay within the limit, the kernel get
    stopped with the reason, and nothing outlive it? (Also as root: tests run as root.)"""
    import time

    from autograder.safety import limits
    from autograder.verdicts.kernel import KernelGone, KernelSession

    status = sandbox.detect()
    layout = sandbox.Layout(tmp_path / "work", tmp_path / "kernel", [])
    layout.workdir.mkdir()
    layout.kernel_dir.mkdir()
    command = sandbox.kernel_command(layout, layout.kernel_dir / "c.json",
                                     {"memory_bytes": 2**32}, status.enabled, status.bwrap)
    session = KernelSession(command, layout.kernel_dir / "c.json")
    session.start(120)
    peak = None
    try:
        started = time.monotonic()
        with pytest.raises(KernelGone, match="more than 128 processes"):
            session.execute(demo.FORK_BOMB, time.monotonic() + 60)
        stopped_after = time.monotonic() - started
        if session.cgroup is not None:
            peak = int((session.cgroup.path / "pids.peak").read_text())
    finally:
        session.shutdown()
    assert session.limit_hit == limits.PROCESS_LIMIT
    assert stopped_after < 30, stopped_after
    if peak is not None:  # the cgroup refused every fork past its limit
        assert peak <= limits.MAX_TASKS, peak
    # every process of the bomb ran the kernel's command line, which names its folder
    for _ in range(100):  # killed processes take a moment to go
        left = subprocess.run(["pgrep", "-f", str(layout.kernel_dir)], capture_output=True,
                              text=True).stdout.split()
        if not left:
            break
        time.sleep(0.1)
    assert left == []
    print(f"\nfork bomb stopped after {stopped_after:.1f} s, peak {peak} tasks")
