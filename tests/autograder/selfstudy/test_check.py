"""Does `python -m autograder check` do what the README says?"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import nbformat

from autograder import cells, paths

ROOT = paths.ROOT
NB03 = "03_bn_forward"


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True,
                          text=True, cwd=ROOT, **kw)


def test_check_json_is_one_object_with_the_documented_fields(check_notebook):
    """Does `check --json` print exactly one JSON object with the documented fields?"""
    result = run("check", f"solutions/{NB03}/{NB03}.ipynb", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"notebook", "score", "max_score", "cells", "ran_cells", "code_cells"}
    assert data["score"] == data["max_score"] > 0
    assert 0 < data["ran_cells"] < data["code_cells"]
    assert {"grade_id", "score", "max_score", "message"} == set(data["cells"][0])


def test_check_explains_what_it_cannot_check(tmp_path):
    """Are a missing file, a foreign notebook and broken JSON met with a message, not a traceback?"""
    missing = run("check", str(tmp_path / "nope.ipynb"))
    assert missing.returncode == 2 and "no such notebook" in missing.stderr
    foreign = tmp_path / "mine" / "mine.ipynb"
    foreign.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), foreign)
    other = run("check", str(foreign))
    assert other.returncode == 2 and "not one of the course's notebooks" in other.stderr
    broken = tmp_path / NB03 / f"{NB03}.ipynb"
    broken.parent.mkdir()
    broken.write_text("{ not json")
    bad = run("check", str(broken))
    assert bad.returncode == 2 and "not a readable notebook" in bad.stderr
    for r in (missing, other, bad):
        assert "Traceback" not in r.stderr


def test_check_restores_deleted_and_edited_test_cells(tmp_path, check_notebook):
    """Does check put back a deleted test cell and undo an edited one?"""
    nb = _filled(NB03, solved={"batchnorm_forward", "identity_params"})
    tests = [c for c in nb.cells if cells.is_autograded_test(c)]
    tests[0].source = "pass  # the student replaced the test"
    nb.cells.remove(tests[1])
    path = tmp_path / NB03 / f"{NB03}.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    report = check_notebook(path)
    assert report.score == report.max_score
    assert "restored" in report.cells[0].message and "put back" in report.cells[1].message


# ---- helpers (grading a class is tested in tests/autograder/grading/) ----------------------

def _filled(assignment: str, solved: set[str]):
    """The student version with the solution cells in ``solved`` filled in from solutions/."""
    release = nbformat.read(paths.release_notebook(assignment), as_version=4)
    source = nbformat.read(paths.source_notebook(assignment), as_version=4)
    answers = {cells.grade_id(c): c for c in source.cells}
    nb = copy.deepcopy(release)
    for i, cell in enumerate(nb.cells):
        gid = cells.grade_id(cell)
        if gid in solved and cells.meta(cell).get("solution"):
            filled = copy.deepcopy(answers[gid])
            filled.source = "\n".join(line for line in filled.source.splitlines()
                                       if "### BEGIN SOLUTION" not in line
                                       and "### END SOLUTION" not in line)
            nb.cells[i] = filled
    return nb
