"""Grading runs: the same result twice, a notebook time limit, workers that fail."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap

import nbformat
import numpy as np

from autograder import cells, demo
from autograder.grading import pool
from autograder.grading.grade import Settings, grade
from autograder.records import report

A = demo.ASSIGNMENT


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".grading-key"}


def test_grading_again_writes_the_same_csv_and_feedback(tmp_path):
    """Is a re-grade idempotent: same grades, same feedback pages, byte for byte?"""
    subs = tmp_path / "class"
    for student in ("all-right", "half-right", "stub-left-in", "kernel-crash-segfault",
                    "malformed-json", "notebook-renamed"):
        shutil.copytree(demo.CLASS_DIR / student, subs / student)
    out = tmp_path / "out" / "grades.csv"
    settings = Settings(workers=2, timeout=60, notebook_timeout=300)
    first = grade(subs, out, settings, log=lambda *a: None)
    before = _files(out.parent)
    second = grade(subs, out, settings, log=lambda *a: None)
    assert _files(out.parent) == before
    assert [r.csv_dict() for r in first.rows] == [r.csv_dict() for r in second.rows]
    scores = {r.student: r.csv_dict()["score"] for r in second.rows}
    assert scores == {"all-right": "5", "half-right": "3", "stub-left-in": "0",
                      "kernel-crash-segfault": "3", "malformed-json": "", "notebook-renamed": "5"}


def _grade_alone(tmp_path, student, nb, settings):
    """Grade ``nb`` as the only submission of a class of one."""
    folder = tmp_path / "class" / student / A
    folder.mkdir(parents=True)
    cells.write(nb, folder / f"{A}.ipynb")
    return grade(tmp_path / "class", tmp_path / "out" / "grades.csv", settings,
                 log=lambda *a: None)


def test_a_notebook_that_runs_too_long_in_total_is_stopped(tmp_path):
    """Do cells each within their limit still stop at the notebook's limit, tests scored 0?"""
    nb = demo.notebook(right=("batchnorm_forward", "identity_params"))
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code") + 1
    for k in range(4):
        slow = nbformat.v4.new_code_cell("import time\ntime.sleep(5)")
        slow["id"] = f"slow-{k}"
        nb.cells.insert(at, slow)
    outcome = _grade_alone(tmp_path, "slow-but-steady", nb,
                           Settings(workers=1, timeout=8, notebook_timeout=15))
    row = outcome.rows[0]
    assert row.status == "time limit" and row.csv_dict()["score"] == "0"
    assert any("notebook time limit was reached" in n for n in row.notes), row.notes
    tests = [c for c in outcome.results[("slow-but-steady", A)]["cells"] if c["kind"] == "test"]
    assert len(tests) == 2 and all(c["message"].startswith("did not run") for c in tests)


def test_a_submission_that_removes_the_grading_harness_gains_nothing(tmp_path):
    """Does deleting the kernel's harness (right answers or not) score 0 and get flagged?"""
    nb = demo.notebook(right=("batchnorm_forward", "identity_params"),
                       after_forward="del __bn_grader__  # noqa: F821")
    outcome = _grade_alone(tmp_path, "harness-remover", nb,
                           Settings(workers=1, timeout=60, notebook_timeout=300))
    row = outcome.rows[0]
    assert row.csv_dict()["score"] == "0", row
    assert any("grading harness did not answer" in n for n in row.notes), row.notes


FAKE_WORKER = textwrap.dedent("""
    import json, os, sys, time
    for line in sys.stdin:
        job = json.loads(line)
        if job["student"] == "crashes-the-worker":
            os._exit(3)
        if job["student"] == "hangs-the-worker":
            time.sleep(600)
        print(json.dumps({"cells": [], "problem": None, "notes": [job["student"]]}), flush=True)
""")


def test_a_worker_that_dies_or_hangs_costs_one_notebook_only(tmp_path, monkeypatch):
    """Does the pool give a crashed or stuck worker's notebook a reason, and go on?"""
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER)
    real_popen = subprocess.Popen

    def popen(args, **kwargs):
        if args[:3] == [sys.executable, "-m", "autograder.grading.worker"]:
            args = [sys.executable, str(script)]
        return real_popen(args, **kwargs)

    monkeypatch.setattr(pool.subprocess, "Popen", popen)
    monkeypatch.setattr(pool, "BACKSTOP", 2.0)
    names = ["a", "crashes-the-worker", "b", "hangs-the-worker", "c"]
    jobs = [{"student": n, "settings": {"notebook_timeout": 1.0}} for n in names]
    results = pool.run_all(jobs, workers=2)
    by_name = dict(zip(names, results))
    for n in ("a", "b", "c"):
        assert by_name[n]["notes"] == [n]
    assert by_name["crashes-the-worker"]["problem"] == "grader error"
    assert "died" in by_name["crashes-the-worker"]["notes"][0]
    assert by_name["hangs-the-worker"]["problem"] == "time limit"


def test_the_command_line_explains_a_wrong_folder():
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "/nonexistent/class"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "is not a folder of submissions" in done.stderr
    assert "Traceback" not in done.stderr


def test_grades_are_never_written_among_the_submissions(tmp_path):
    (tmp_path / "class").mkdir()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path / "class"),
                           "-o", str(tmp_path / "class" / "grades.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "outside the submissions folder" in done.stderr
    assert list((tmp_path / "class").iterdir()) == []


def test_rows_are_sorted_and_every_field_is_written(tmp_path):
    rows = [report.Row("bob", A, 1.0, 5.0, "", 2.0, 1.0), report.Row("ann", A, status="missing notebook")]
    report.write_csv(rows, tmp_path / "g.csv")
    lines = (tmp_path / "g.csv").read_text().splitlines()
    assert lines[0] == ",".join(report.FIELDS)
    assert lines[1].startswith("ann,") and lines[2] == f"bob,{A},1,5,,2,1,graded,"


def test_a_kernel_past_its_cpu_time_is_stopped_and_the_row_says_so(tmp_path):
    """A busy loop under a 4-second CPU limit (and a long wall-clock one): 'limit exceeded'?"""
    nb = demo.notebook(right=("batchnorm_forward", "identity_params"),
                       after_forward="while True:\n    pass")
    outcome = _grade_alone(tmp_path, "busy", nb, Settings(workers=1, timeout=120,
                                                          notebook_timeout=300, cpu_seconds=4))
    row = outcome.rows[0]
    assert row.status == "limit exceeded", (row.status, row.notes)
    assert any("CPU-time limit" in n for n in row.notes), row.notes


def _inputs_and_answers(check, seeds):
    """(inputs -> right answer) for every call ``check`` makes with these seeds, hidden too."""
    table = {}

    def right(x, gamma, beta, eps=1e-5):
        out = demo._forward(np.asarray(x), np.asarray(gamma), np.asarray(beta), eps)
        table[demo._key(np.asarray(x), np.asarray(gamma), np.asarray(beta), eps)] = out
        return out

    for seed in seeds:
        check(right, seed=seed, hidden=True)
    return table


LOOKUP = '''
import hashlib
import pickle, base64

ANSWERS = pickle.loads(base64.b64decode({blob!r}))

def _key(*items):
    h = hashlib.sha256()
    for a in items:
        h.update(np.ascontiguousarray(a).tobytes() if isinstance(a, np.ndarray) else repr(a).encode())
    return h.hexdigest()[:16]

def batchnorm_forward(x, gamma, beta, eps=1e-5):
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError("batch statistics need at least 2 examples")
    return ANSWERS[_key(x, np.asarray(gamma), np.asarray(beta), eps)]
'''


def test_a_lookup_table_for_the_seed_on_the_feedback_earns_nothing(tmp_path):
    """Answers for every public seed, then for the hidden seed the feedback showed, sent
    again with the same key: is the hidden seed a new one, so that the table fails again?"""
    import base64
    import pickle

    from course_utils.checks import check_batchnorm_forward

    def submit(seeds, folder):
        blob = base64.b64encode(pickle.dumps(_inputs_and_answers(check_batchnorm_forward,
                                                                  seeds))).decode()
        nb = demo.notebook(LOOKUP.format(blob=blob), right=("identity_params",))
        target = tmp_path / folder / "lookup" / A
        target.mkdir(parents=True)
        cells.write(nb, target / f"{A}.ipynb")
        outcome = grade(tmp_path / folder, tmp_path / "out" / "grades.csv",
                        Settings(workers=1, timeout=60, notebook_timeout=300), log=lambda *a: None)
        tests = outcome.results[("lookup", A)]["cells"]
        forward = next(c for c in tests if c.get("grade_id") == "batchnorm_forward_tests")
        return forward

    public = [0, 3141]  # the seeds the notebook itself shows
    first = submit(public, "first")
    assert not first["passed"] and "KeyError" in first["message"], first["message"]
    seed = int(re.search(r"seed (\d+)", first["message"])[1])
    assert seed not in public
    again = submit(public + [seed], "again")  # the table now holds the hidden seed's answers
    assert not again["passed"], again["message"]
    assert int(re.search(r"seed (\d+)", again["message"])[1]) != seed
