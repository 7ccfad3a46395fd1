"""Shared fixtures: notebook runs are expensive, so each is done once per session."""

from __future__ import annotations

import functools
import os
import warnings

import pytest

from autograder import paths

# tests never open windows
os.environ.setdefault("MPLBACKEND", "Agg")


@functools.lru_cache(maxsize=None)
def _check(path: str, every_cell: bool):
    from autograder.selfstudy.check import check

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return check(path, timeout=600, every_cell=every_cell)


@pytest.fixture(scope="session")
def check_notebook():
    """check_notebook(path, every_cell=False) -> autograder.selfstudy.check.Report, once per session."""
    return lambda path, every_cell=False: _check(str(path), every_cell)


@pytest.fixture(scope="session")
def assignments():
    return paths.assignments()


@pytest.fixture(scope="session")
def reading_site(tmp_path_factory):
    """The reading site, both languages, built once per session (tests/reading_site.py):
    its html folder. tests/test_site.py and tests/test_browser_site.py share it."""
    from tests.reading_site import built

    return built(tmp_path_factory)


#: caches a tool run meanwhile may leave in any folder (ruff from pre-commit, Python's)
CACHES = {"__pycache__", ".ruff_cache", ".pytest_cache", ".hypothesis"}


def _tree(folder):
    return {p: p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and not CACHES & set(p.parts)}


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo class graded once per session by `python -m autograder grade` (no argument,
    2 workers), from a scratch folder: its output in ``out`` (``grading-demo/``), what the
    command printed in ``done``, the class folder before and after."""
    import subprocess
    import sys
    import time

    from autograder.safety import sandbox
    from autograder.grading.grade import DEMO_CLASS

    cwd = tmp_path_factory.mktemp("demo")
    watched = [DEMO_CLASS]  # (the rest of the tree may be edited by others meanwhile)
    before = {f: _tree(f) for f in watched}
    repo_output = paths.ROOT / "grading-demo" / "grades.csv"  # what writes-the-gradebook targets
    before_output = repo_output.read_bytes() if repo_output.exists() else None
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "--workers", "2"],
                          cwd=cwd, capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - started
    after = {f: _tree(f) for f in watched}
    out = cwd / "grading-demo"
    return {"done": done, "out": out, "before": before, "after": after, "seconds": seconds,
            "sandboxed": sandbox.detect().enabled, "repo_output": (
                before_output, repo_output.read_bytes() if repo_output.exists() else None)}
