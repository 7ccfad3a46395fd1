"""Timing helpers shared by the benchmarks: medians, subprocess runs, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("numpy", "torch", "matplotlib", "jupyterlab", "nbclient", "nbgrader", "ipykernel",
            "scikit-learn")


@dataclass
class Row:
    """One figure of the report: what, the median, its unit, and the budget's verdict."""
    section: str
    what: str
    value: float
    unit: str
    runs: list[float] = field(default_factory=list)
    budget: str = ""            # e.g. "< 300 s"; empty: no budget
    passed: bool | None = None  # None: no budget
    note: str = ""

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else ("PASS" if self.passed else "FAIL")


def median(values) -> float:
    return float(statistics.median(values))


def timed_run(cmd: list[str], timeout: float = 3600, env: dict | None = None,
              cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Wall-clock seconds of a subprocess, from start to exit; fails loudly if it failed."""
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=cwd or ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(cmd[:5])} failed (exit {done.returncode}):\n  "
                           + "\n  ".join(tail))
    return seconds, done


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"cores": cores(), "cpu": cpu_model(), "memory_gib": _memory_gib(),
            "python": platform.python_version(), "os": f"{platform.system()} {platform.release()}",
            "versions": versions}


def _memory_gib() -> float:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return round(pages / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return float("nan")


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)
