"""Do the guide's Slurm scripts grade a class on a real cluster, as one run would?

A one-machine Slurm cluster from Debian's packages (``slurm-wlm``, ``munge``; installed
with apt-get when they are missing and this is root), configured in a scratch folder and
started by hand (munged, slurmctld, slurmd in the foreground, on free ports), runs
``scripts/slurm/grade-array.sbatch`` as a 2-task array and ``scripts/slurm/merge.sbatch``
after it (``--dependency=afterok``), exactly as docs/instructors.md shows. The merged
grades and feedback must be the same bytes as one ``grade`` run with the same key. The
class is three students of one notebook, so that the test stays cheap; the shard tests
(``tests/autograder/sharding/test_shards.py``) cover the demo class.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import demo, paths
from autograder.grading import keys
from autograder.safety import sandbox

SCRIPTS = paths.ROOT / "scripts" / "slurm"
NEEDED = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo")
PACKAGES = ("slurm-wlm", "munge")
STUDENTS = ("all-right", "half-right", "stub-left-in")
A = demo.ASSIGNMENT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="Slurm runs on Linux")


def _which(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name,
                                                         Path("/usr/bin") / name)
                                       if p.exists()), None)


def _installed() -> str | None:
    """None when Slurm and munge are here (installing them if we can); else why not."""
    if all(_which(n) for n in NEEDED):
        return None
    if os.geteuid() != 0:
        return f"Slurm is not installed and this is not root (apt-get install {' '.join(PACKAGES)})"
    if not shutil.which("apt-get"):
        return "Slurm is not installed and there is no apt-get to install it with"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        if done.returncode != 0:
            return f"{' '.join(cmd)} failed: {(done.stderr or done.stdout).strip()[-300:]}"
    missing = [n for n in NEEDED if not _which(n)]
    return f"installed {', '.join(PACKAGES)} but {', '.join(missing)} missing" if missing else None


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 4096


SLURM_CONF = """\
ClusterName=bn-test
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=3600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName=grading Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


class Cluster:
    """munged, slurmctld and slurmd for this machine, configured in ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.procs: list[subprocess.Popen] = []
        self.host = socket.gethostname().split(".")[0]
        self.conf = root / "slurm.conf"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf))

    def start(self) -> None:
        root = self.root
        for name in ("munge", "state", "spool", "log"):
            (root / name).mkdir(parents=True)
        key = root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        (root / "munge").chmod(0o755)
        ctld_port, d_port = _free_ports(2)
        self.conf.write_text(SLURM_CONF.format(host=self.host, root=root, ctld_port=ctld_port,
                                               d_port=d_port, cpus=os.cpu_count() or 1,
                                               memory=max(1024, _memory_mb() - 1024)))
        self._daemon([_which("munged"), "--foreground", "--force", f"--key-file={key}",
                      f"--socket={root}/munge/munge.socket", f"--pid-file={root}/munge/pid",
                      f"--log-file={root}/log/munged.log", f"--seed-file={root}/munge/seed"])
        self._wait(lambda: (root / "munge" / "munge.socket").exists(), "munged's socket")
        self._daemon([_which("slurmctld"), "-D", "-c", "-f", str(self.conf)])
        self._daemon([_which("slurmd"), "-D", "-f", str(self.conf), "-N", self.host])
        self._wait(lambda: self.run("sinfo", "-h", "-o", "%T").stdout.strip().rstrip("*")
                   in ("idle", "mixed"), "the node to be idle")

    def _daemon(self, argv: list[str]) -> None:
        log = open(self.root / "log" / f"{Path(argv[0]).name}.out", "w")
        self.procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                           env=self.env, start_new_session=True))

    def _wait(self, ready, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    pytest.fail(f"{proc.args[0]} stopped (exit {proc.returncode}) while "
                                f"waiting for {what}:\n{self.logs()}")
            try:
                if ready():
                    return
            except (OSError, subprocess.SubprocessError):
                pass
            time.sleep(0.5)
        pytest.fail(f"timed out waiting for {what}:\n{self.logs()}")

    def run(self, *argv, cwd=None, env=None, check=False) -> subprocess.CompletedProcess:
        done = subprocess.run([_which(argv[0]), *argv[1:]], capture_output=True, text=True,
                              env=dict(self.env, **(env or {})), cwd=cwd, timeout=120)
        if check and done.returncode != 0:
            pytest.fail(f"{' '.join(map(str, argv))}: {done.stderr}\n{self.logs()}")
        return done

    def state(self, job: str) -> str:
        out = self.run("scontrol", "show", "job", job).stdout
        states = {word.split("=", 1)[1] for word in out.split() if word.startswith("JobState=")}
        if not states:
            return "UNKNOWN"
        for bad in ("FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"):
            if bad in states:
                return bad
        return "COMPLETED" if states == {"COMPLETED"} else "RUNNING"

    def logs(self) -> str:
        parts = []
        for path in sorted((self.root / "log").glob("*")) + sorted(self.root.glob("job-*.out")):
            text = path.read_text(errors="replace").strip().splitlines()[-15:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self) -> None:
        if self.procs and _which("scancel"):
            self.run("scancel", "--user", "root")
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = _installed()
    if why:
        pytest.skip(why)
    if os.geteuid() != 0:
        pytest.skip("slurmd must run as root to start jobs; this is not root")
    root = Path(tmp_path_factory.mktemp("slurm"))
    found = Cluster(root)
    try:
        found.start()
        yield found
    finally:
        found.stop()


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "shards" not in p.relative_to(folder).parts
            and p.name != keys.FILE_NAME}


def test_the_guides_array_and_merge_jobs_write_what_one_run_writes(cluster, tmp_path):
    """Does `sbatch --array=1-2 grade-array.sbatch`, then `merge.sbatch` after it, write the
    same grades.csv and feedback, byte for byte, as one `grade` with the same key?"""
    subs = tmp_path / "class"
    for student in STUDENTS:
        shutil.copytree(demo.CLASS_DIR / student, subs / student)
    sharded, one = tmp_path / "sharded", tmp_path / "one"
    grades = sharded / "grades.csv"
    subprocess.run([sys.executable, "-m", "autograder", "key", str(sharded / keys.FILE_NAME)],
                   check=True, capture_output=True, cwd=paths.ROOT)
    options = ["--sandbox" if sandbox.detect().enabled else "--no-sandbox", "--timeout", "120"]
    env = {"SUBMISSIONS": str(subs), "GRADES": str(grades), "PYTHON": sys.executable,
           "GRADE_OPTIONS": " ".join(options)}
    # what the guide runs, with what this one machine has (1 CPU, 1 GiB per task)
    here = ["--cpus-per-task=1", "--mem=1G", "--time=00:30:00"]
    array = cluster.run("sbatch", "--parsable", "--array=1-2", *here,
                        f"--output={cluster.root}/job-%A_%a.out",
                        str(SCRIPTS / "grade-array.sbatch"), cwd=paths.ROOT, env=env, check=True)
    job = array.stdout.strip().split(";")[0]
    merge = cluster.run("sbatch", "--parsable", f"--dependency=afterok:{job}",
                        f"--output={cluster.root}/job-merge-%j.out",
                        str(SCRIPTS / "merge.sbatch"), cwd=paths.ROOT, env=env, check=True)
    merge_job = merge.stdout.strip().split(";")[0]
    single = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "-o",
                             str(one / "grades.csv"), "--key", str(sharded / keys.FILE_NAME),
                             "--workers", "1", *options],
                            capture_output=True, text=True, cwd=paths.ROOT, timeout=1800)
    assert single.returncode == 0, single.stderr[-2000:]
    deadline = time.monotonic() + 1800
    while (state := cluster.state(merge_job)) not in ("COMPLETED", "FAILED", "CANCELLED",
                                                      "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"):
        assert cluster.state(job) not in ("FAILED", "CANCELLED", "TIMEOUT"), cluster.logs()
        assert time.monotonic() < deadline, f"the jobs did not finish:\n{cluster.logs()}"
        time.sleep(2)
    assert state == "COMPLETED", cluster.logs()
    for k in (1, 2):
        assert (sharded / "shards" / f"{k}-of-2" / "shard.json").is_file()
    merged, alone = _tree(sharded), _tree(one)
    assert "grades.csv" in alone and len(alone) > len(STUDENTS)
    differ = sorted(p for p in set(merged) | set(alone) if merged.get(p) != alone.get(p))
    assert not differ, differ
