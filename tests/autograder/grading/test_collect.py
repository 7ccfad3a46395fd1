"""The grading pipeline's steps without a kernel: collect, prepare, report, feedback."""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder import cells, demo
from autograder.grading import prepare
from autograder.grading.collect import MISSING, UNKNOWN, collect
from autograder.records import feedback, report

A = demo.ASSIGNMENT


def _write(path, nb=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    cells.write(nb or demo.notebook(), path)


def _by_student(found):
    return {(s.student, s.assignment): s for s in found}


def test_collect_finds_every_submission_and_says_why_it_cannot_grade_some(tmp_path):
    """Is every student folder a row: graded, graded with a flag, or a reason?"""
    _write(tmp_path / "ok" / A / f"{A}.ipynb")
    _write(tmp_path / "renamed" / A / "mine.ipynb")
    _write(tmp_path / "two" / A / "a.ipynb")
    _write(tmp_path / "two" / A / "b.ipynb")
    (tmp_path / "none" / A).mkdir(parents=True)
    _write(tmp_path / "typo" / "03_bn_fwd" / "03_bn_fwd.ipynb")
    _write(tmp_path / "loose" / f"{A}.ipynb")
    (tmp_path / "empty").mkdir()
    _write(tmp_path / "ok" / A / ".ipynb_checkpoints" / f"{A}-checkpoint.ipynb")
    (tmp_path / "roster.csv").write_text("names\n")
    (tmp_path / ".hidden").mkdir()
    found, ignored = collect(tmp_path, known=[A])
    got = _by_student(found)
    assert ignored == ["roster.csv"]
    assert got[("ok", A)].notebook.name == f"{A}.ipynb" and not got[("ok", A)].notes
    assert got[("renamed", A)].notebook.name == "mine.ipynb" and "mine.ipynb" in got[("renamed", A)].notes[0]
    assert got[("two", A)].reason == MISSING and "a.ipynb, b.ipynb" in got[("two", A)].notes[0]
    assert got[("none", A)].reason == MISSING
    assert got[("typo", "03_bn_fwd")].reason == UNKNOWN
    assert got[("loose", A)].notebook is not None and "not in a" in got[("loose", A)].notes[0]
    assert got[("empty", "")].reason == MISSING
    assert len(found) == 7


def test_a_missing_folder_is_an_error_with_the_expected_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="<student>/<assignment>"):
        collect(tmp_path / "nope")


@pytest.mark.parametrize("text, says", [
    ("{ not json", "not valid JSON"),
    ('{"cells": 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
     "not a Jupyter notebook|no list of cells"),
    ('{"cells": [{"cell_type": "code", "source": 5}], "metadata": {}, "nbformat": 4, '
     '"nbformat_minor": 5}', "not a Jupyter notebook|not text"),
    ("[1, 2]", "not a Jupyter notebook"),
])
def test_malformed_notebooks_are_named_not_crashed_on(tmp_path, text, says):
    path = tmp_path / f"{A}.ipynb"
    path.write_text(text)
    with pytest.raises(prepare.Malformed, match=says):
        prepare.prepare(path, A)


def _prepared(tmp_path, nb):
    path = tmp_path / f"{A}.ipynb"
    _write(path, nb)
    return prepare.prepare(path, A)


def test_test_cells_come_from_the_source_with_their_hidden_tests(tmp_path):
    """Do the steps run the source's test cells (hidden part included), with its points?"""
    nb = demo.notebook(right=("batchnorm_forward",))
    for cell in cells.autograded_tests(nb):
        cell.metadata["nbgrader"]["points"] = 100  # a student raising the stakes
    p = _prepared(tmp_path, nb)
    tests = [s for s in p.cells if s["kind"] == "test"]
    assert [t["grade_id"] for t in tests] == ["batchnorm_forward_tests", "identity_params_tests"]
    assert all("### BEGIN HIDDEN TESTS" in t["source"] for t in tests)
    assert p.max_score == 5 and [t["points"] for t in tests] == [3, 2]
    assert p.manual_points == 2
    assert "BEGIN HIDDEN" not in p.visible["batchnorm_forward_tests"]
    assert p.imports["check_batchnorm_forward"] == \
        "from course_utils.checks import check_batchnorm_forward"


def test_edited_and_deleted_test_cells_are_restored_and_flagged(tmp_path):
    nb = demo.notebook()
    first, second = cells.autograded_tests(nb)
    first.source = "pass"
    nb.cells.remove(second)
    p = _prepared(tmp_path, nb)
    assert [s["grade_id"] for s in p.cells if s["kind"] == "test"] == [
        "batchnorm_forward_tests", "identity_params_tests"]
    assert p.notes == ["batchnorm_forward_tests: test cell was changed; the original was restored",
                       "identity_params_tests: test cell was missing; the original was put back"]


def test_cells_that_only_claim_to_be_tests_run_as_code(tmp_path):
    """Is a copied test cell, or a cell given test metadata by hand, run as plain code?"""
    nb = demo.notebook(right=("batchnorm_forward", "identity_params"))
    test = cells.autograded_tests(nb)[0]
    copy_of_test = copy.deepcopy(test)
    copy_of_test["id"] = "copy"
    fake = nbformat.v4.new_code_cell("print('free points')")
    fake.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "bonus", "points": 50, "schema_version": 3}
    nb.cells.insert(nb.cells.index(test), copy_of_test)
    nb.cells.append(fake)
    p = _prepared(tmp_path, nb)
    kinds = [(s["kind"], s.get("grade_id")) for s in p.cells]
    assert kinds.count(("test", "batchnorm_forward_tests")) == 1
    assert ("test", "bonus") not in kinds and p.max_score == 5
    assert sum("ran as ordinary code" in n for n in p.notes) == 2


def test_manual_points_are_kept_between_runs_and_added_up(tmp_path):
    """Does the instructor's hand grading survive a re-grade and reach the total?"""
    rows = [report.Row("ann", A, 3.0, 5.0, "", 2.0, 3.0), report.Row("bob", A, status=MISSING)]
    questions = {A: [("q1", 1.0), ("q2", 1.0)]}
    manual = tmp_path / "manual-scores.csv"
    report.merge_manual(rows, manual, questions)
    lines = report.read_csv(manual)
    assert [(r["student"], r["question"], r["points"]) for r in lines] == [
        ("ann", "q1", ""), ("ann", "q2", "")]
    lines[0]["points"] = "1"
    lines[1]["points"] = "0.5"
    with open(manual, "w", newline="") as f:
        import csv

        w = csv.DictWriter(f, fieldnames=report.MANUAL_FIELDS)
        w.writeheader()
        w.writerows(lines)
    again = [report.Row("ann", A, 3.0, 5.0, "", 2.0, 3.0)]
    report.merge_manual(again, manual, questions)
    assert again[0].csv_dict()["manual_score"] == "1.5" and again[0].csv_dict()["total"] == "4.5"
    assert report.read_csv(manual)[0]["points"] == "1"


def test_feedback_escapes_the_submission_and_shows_no_hidden_test(tmp_path):
    nb = demo.notebook()
    nb.cells[2].source = "<script>alert('hi')</script>"
    p = _prepared(tmp_path, nb)
    index = next(s["index"] for s in p.cells if s["kind"] == "test")
    result = {"cells": [{"index": index, "kind": "test", "grade_id": "batchnorm_forward_tests",
                         "points": 0.0, "max_points": 3.0, "passed": False, "output": "",
                         "message": "CheckFailure: case 'x' <b>", "error": None}],
              "problem": None, "notes": []}
    row = report.Row("ann", A, 0.0, 5.0, "", 2.0, 0.0, notes=["a <note>"])
    page = feedback.render(row, p, result)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;" in page and "a &lt;note&gt;" in page
    assert "hidden=True" not in page and "seed=3141" not in page and "HIDDEN" not in page
    assert "check_batchnorm_forward(batchnorm_forward, seed=0)" in page
    assert "check_identity_params(identity_params, seed=0)" in page  # no result: still visible only
