"""Do the class report, the export formats and the gradebook say what the demo class did?

All of it is read from the one grading of the demo class the session shares (``demo_run``
in ``conftest.py``); the expected counts come from the demo's own definitions
(``autograder/demo_expected_grades.csv``, ``demo.NAMED_MISTAKES``) and the source notebook's
points, not from numbers written here. The last tests feed the report hostile messages.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from autograder import cells, cli, demo, paths
from autograder.course.generate import nbgrader
from autograder.grading.grade import DEMO_EXPECTED
from autograder.records import class_report, report, results

A = demo.ASSIGNMENT
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _source():
    return nbformat.read(paths.source_notebook(A), as_version=4)


def _test_points() -> dict[str, float]:
    return {cells.grade_id(c): cells.points(c) for c in cells.autograded_tests(_source())}


def _points_possible() -> float:
    """Every graded cell's points in the source notebook: the tests and the written answers."""
    return sum(float(c.metadata["nbgrader"].get("points", 0)) for c in _source().cells
               if c.metadata.get("nbgrader", {}).get("grade"))


def _expected() -> list[dict]:
    return _csv(DEMO_EXPECTED)


@pytest.fixture(scope="module")
def report_lines(demo_run):
    return _csv(demo_run["out"] / class_report.CSV_NAME)


def test_the_class_report_counts_the_demo_class(demo_run, report_lines):
    """Graded and ungraded submissions, and for each test cell, passed + named mistakes +
    other failures = graded; the points of the passes add up to the class's scores."""
    expected = [r for r in _expected() if r["assignment"] == A]
    graded = [r for r in expected if r["score"] != ""]
    points = _test_points()
    mine = [r for r in report_lines if r["assignment"] == A]
    assert {r["assignment"] for r in report_lines} == {A}  # a misnamed folder is not counted
    by_test: dict[str, Counter] = {t: Counter() for t in points}
    for r in mine:
        if r["kind"] == "not graded":
            assert int(r["students"]) == len(expected) - len(graded)
            assert int(r["of"]) == len(expected)
            continue
        assert int(r["of"]) == len(graded)
        by_test[r["test"]][r["kind"]] += int(r["students"])
    for test, kinds in by_test.items():
        assert kinds["passed"] + kinds["named mistake"] + kinds["other failure"] == len(graded), test
    full = sum(1 for r in graded if float(r["score"]) == float(r["max_score"]))
    assert all(kinds["passed"] >= full for kinds in by_test.values())
    if demo_run["sandboxed"]:  # without it, some cheats pass (see test_scenarios)
        assert sum(by_test[t]["passed"] * p for t, p in points.items()) == pytest.approx(
            sum(float(r["score"]) for r in graded))


def test_the_class_report_counts_each_named_mistake(report_lines):
    """Does every student the demo defines with a named mistake count under that mistake, in
    the test cell where the checks name it?"""
    want: Counter = Counter()
    for student, mistakes in demo.NAMED_MISTAKES.items():
        for test, words in mistakes.items():
            want[(test, words)] += 1
    assert want
    for (test, words), n in want.items():
        lines = [r for r in report_lines if r["test"] == test and r["kind"] == "named mistake"
                 and r["description"].startswith(words)]
        assert len(lines) == 1, (test, words, report_lines)
        assert int(lines[0]["students"]) == n, (test, words)


def test_the_class_report_page_has_a_bar_chart_per_assignment_and_the_same_counts(
        demo_run, report_lines):
    page = (demo_run["out"] / class_report.HTML_NAME).read_text()
    charts = re.findall(r'<svg xmlns="http://www.w3.org/2000/svg"[^>]*aria-label="([^"]+)"', page)
    assert charts == [f"{A}: students per test cell"]
    for r in report_lines:
        if r["kind"] == "passed":
            assert f"{r['test']}: {r['students']} of {r['of']} passed" in page
    assert "<script" not in page and not re.search(r'(src|href)="', page)
    assert "not for release to students" in page


def _student_lines() -> set[str]:
    """Each line a demo student wrote in a solution cell that the released notebook has not."""
    released = nbformat.read(paths.release_notebook(A), as_version=4)
    theirs = {line.strip() for c in released.cells for line in c.source.splitlines()}
    lines = set()
    for path in demo.CLASS_DIR.glob(f"*/{A}/*.ipynb"):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - the malformed notebook
            continue
        for c in nb.cells:
            if isinstance(c.get("metadata"), dict) and isinstance(
                    c.metadata.get("nbgrader"), dict) and c.metadata["nbgrader"].get("solution"):
                lines |= {line.strip() for line in str(c.source).splitlines()
                          if len(line.strip()) >= 12 and line.strip() not in theirs}
    return lines


def test_the_class_report_shows_no_students_name_or_work(demo_run):
    """No student's name, no line of their code or answers, in either report; neither is in
    the feedback folder handed back to students."""
    out = demo_run["out"]
    names = {r["student"].lstrip("'") for r in _expected()}
    lines = _student_lines()
    assert lines and names
    for name in (class_report.HTML_NAME, class_report.CSV_NAME):
        text = (out / name).read_text()
        for student in names:
            assert student not in text, (name, student)
        for line in lines:
            assert line not in text, (name, line)
    assert not list((out / "feedback").rglob("class-report*"))


def _graded(student: str, message: str, passed=False) -> results.Graded:
    row = report.Row(student, A, 0.0, 5.0, "", 2.0, 0.0, "graded")
    tests = [{"grade_id": t, "passed": passed, "points": 0.0, "max_points": p,
              "message": message} for t, p in _test_points().items()]
    return results.Graded(row, "<p></p>", tests=tests)


HOSTILE = [
    "case 'x' (seed 1): batchnorm_forward raised ValueError: ann's answer: the batch mean "
    "couples the examples at line 7: `raise ValueError(ANSWER)`",
    "case 'x': batchnorm_forward raised RuntimeError: fine\nLikely mistake: ann's answer is ZEBRA",
    "case 'x': identity_params should raise ValueError (eps < 0), but raised KeyError: "
    "it looks like ann's own words",
    "case 'x': out is wrong.\nWarnings your code raised: Likely mistake: ann's answer",
]


def test_no_text_a_students_code_chose_reaches_the_report(tmp_path):
    """A student whose code raises with someone's answer as the message (or names a
    'Likely mistake:' of its own, or warns with one): is the report free of it, while the
    failure is still counted?"""
    graded = [_graded(f"s{i}", m) for i, m in enumerate(HOSTILE)]
    rows = [g.row for g in graded]
    class_report.write(graded, rows, tmp_path)
    for name in (class_report.HTML_NAME, class_report.CSV_NAME):
        text = (tmp_path / name).read_text()
        for leaked in ("ann", "ZEBRA", "ANSWER", "couples the examples", "own words"):
            assert leaked not in text, (leaked, text)
    lines = _csv(tmp_path / class_report.CSV_NAME)
    counted = Counter()
    for r in lines:
        counted[r["test"]] += int(r["students"])
    assert all(counted[t] == len(HOSTILE) for t in _test_points())
    assert any(r["description"] == "batchnorm_forward raised valueerror" for r in lines)


def test_a_named_mistake_is_counted_in_the_checks_words():
    msg = ("case 'two features' (seed 3, x.shape=(4, 2)): out is wrong: largest error 0.3.\n"
           "Likely mistake: the unbiased variance (ddof=1, divide by m - 1) was used.")
    assert class_report.named_mistake(msg) == "the unbiased variance (ddof=1, divide by m - 1) was used"
    assert class_report.pattern("case 'a' (seed 1): out is wrong: largest error 0.5") == \
        class_report.pattern("case 'b' (seed 9): out is wrong: largest error 7e-3")


# --- export ---------------------------------------------------------------------------

def test_the_wide_export_has_a_row_per_student_and_a_column_per_assignment(demo_run, tmp_path):
    grades = demo_run["out"] / "grades.csv"
    assert cli.main(["export", str(grades), "-f", "wide", "-o", str(tmp_path / "wide.csv")]) == 0
    rows = _rows(tmp_path / "wide.csv")
    assert rows[0] == ["student", A, "total", "out_of"]
    table = _csv(grades)
    by_student = {r["student"]: r for r in table if r["assignment"] == A}
    assert sorted(r[0] for r in rows[1:]) == sorted({r["student"] for r in table})
    for student, cell, total, out_of in rows[1:]:
        want = by_student.get(student, {}).get("total", "")
        assert cell == total == (f"{float(want):g}" if want else ""), student
        assert float(out_of) == _points_possible()
    assert f"'{demo.FORMULA_STUDENT}" in {r[0] for r in rows}  # a formula stays text


def test_the_canvas_export_has_canvas_columns_and_points_possible(demo_run, tmp_path):
    """Student, ID, SIS User ID, SIS Login ID, Section, then the assignments (named as in
    Canvas with --column), the second row Points Possible; students matched by a roster."""
    grades = demo_run["out"] / "grades.csv"
    roster = tmp_path / "canvas-export.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,BN forward (1234)\n"
                      "    Points Possible,,,,,7\n"
                      "\"Right, Al\",101,S101,all-right,Section 1,\n")
    out = tmp_path / "canvas.csv"
    assert cli.main(["export", str(grades), "-f", "canvas", "-o", str(out), "--column",
                     f"{A}=BN forward (1234)", "--roster", str(roster)]) == 0
    rows = _rows(out)
    assert rows[0] == [*CANVAS_COLUMNS, "BN forward (1234)"]
    assert rows[1][:5] == ["Points Possible", "", "", "", ""]
    assert float(rows[1][5]) == _points_possible()
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login["all-right"][:5] == ["Right, Al", "101", "S101", "all-right", "Section 1"]
    table = {r["student"]: r for r in _csv(grades) if r["assignment"] == A}
    for student, r in table.items():
        if r["score"] != "":
            assert float(by_login[student][5]) == float(r["total"]), student
    assert "total" not in [c.lower() for c in rows[0]]  # Canvas would make it an assignment


def test_the_export_explains_what_it_cannot_read(tmp_path):
    (tmp_path / "x.csv").write_text("name,points\nann,3\n")
    assert cli.main(["export", str(tmp_path / "x.csv")]) == 2
    assert cli.main(["export", str(tmp_path / "missing.csv")]) == 2


# --- the gradebook of the demo class ------------------------------------------------------

def test_the_demo_class_is_in_its_gradebook_as_in_its_grades_table(demo_run, tmp_path):
    """Is every graded submission (but names nbgrader cannot export safely) in the
    gradebook, with its score, as stock `nbgrader export` reads it?"""
    out = demo_run["out"]
    assert "gradebook:" in demo_run["done"].stdout
    table = {r["student"]: r for r in _csv(out / "grades.csv") if r["assignment"] == A
             and r["score"] != ""}
    done = nbgrader(["export", f"--to={tmp_path / 'export.csv'}",
                     f"--CourseDirectory.db_url=sqlite:///{out / 'gradebook.db'}"],
                    cwd=paths.CONFIG_DIR)
    assert done.returncode == 0, done.stderr[-2000:]
    exported = {r["student_id"]: r for r in _csv(tmp_path / "export.csv")}
    from autograder.records.gradebook import unsafe_name
    assert set(exported) == {s for s in table if unsafe_name(s) is None}
    for student, r in exported.items():
        assert float(r["score"]) == float(table[student]["score"]), student
        assert float(r["max_score"]) == _points_possible()
        autograded = out / "autograded" / student / A / f"{A}.ipynb"
        assert autograded.is_file() and "BEGIN HIDDEN TESTS" not in autograded.read_text()
