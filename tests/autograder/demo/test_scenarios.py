"""Does `python -m autograder grade` with no argument grade the demo class as expected?

The demo class (``autograder/demo_class``, built by ``autograder/demo/``) has one student
per scenario, named for it; ``autograder/demo_expected_grades.csv`` holds the row each
deserves. It is graded once per session, through the command line, with 2 workers (the
``demo_run`` fixture of ``conftest.py``, which other test files read too).
"""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest

from autograder import demo, paths
from autograder.grading.grade import DEMO_EXPECTED

#: rows that hold only because the sandbox blocks the cheat (without it the cheat succeeds)
NEEDS_SANDBOX = {"reads-the-solutions", "copies-a-classmate", "reference-called-unseen"}


def _rows(path: Path) -> dict:
    with open(path, newline="") as f:
        return {(r["student"], r["assignment"]): r for r in csv.DictReader(f)}


def test_the_demo_class_grades_match_the_expected_file(demo_run):
    """Does every scenario get exactly the row it deserves?"""
    got = _rows(demo_run["out"] / "grades.csv")
    want = _rows(DEMO_EXPECTED)
    if not demo_run["sandboxed"]:
        for key in [k for k in want if k[0] in NEEDS_SANDBOX]:
            got.pop(key, None)
            want.pop(key)
    assert set(got) == set(want)
    wrong = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
    assert not wrong, wrong


def test_the_command_prints_the_table_and_says_it_matches(demo_run):
    """Does `grade` print the table, the summary and the comparison, and exit 0?"""
    done = demo_run["done"]
    if not demo_run["sandboxed"]:
        pytest.skip("bubblewrap is not usable here: the cheats the sandbox stops succeed, so "
                    "the demo's table differs (run scripts/system-deps.sh to enable it)")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"^all-right\s+03_bn_forward\s+5\s+5\s+graded", done.stdout, re.M)
    assert f"{len(_rows(DEMO_EXPECTED))} submissions" in done.stdout
    assert "sandbox: ON" in done.stdout
    assert "the demo class's grades match" in done.stdout
    print(f"\ndemo class graded in {demo_run['seconds']:.1f} s with 2 workers")


def test_every_row_has_a_feedback_page_without_hidden_tests(demo_run):
    """Does each student get a page that names failed checks but never shows hidden tests?"""
    out = demo_run["out"]
    rows = _rows(out / "grades.csv")
    hidden = [line.strip() for line in _hidden_test_lines() if line.strip()]
    assert hidden
    for student, assignment in rows:
        student = student[1:] if student.startswith("'=") else student  # quoted in the CSV
        page = out / "feedback" / student / (assignment or "submission") / \
            f"{assignment or 'submission'}.html"
        text = page.read_text()
        for line in hidden:
            assert line not in text, (student, line)
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
    half = (out / "feedback" / "half-right" / demo.ASSIGNMENT / f"{demo.ASSIGNMENT}.html").read_text()
    assert "identity_params is not written yet" in half
    loop = (out / "feedback" / "infinite-loop" / demo.ASSIGNMENT / f"{demo.ASSIGNMENT}.html").read_text()
    assert "ran past the per-cell time limit" in loop


def _hidden_test_lines():
    import nbformat

    from autograder import cells

    source = nbformat.read(paths.source_notebook(demo.ASSIGNMENT), as_version=4)
    for cell in cells.autograded_tests(source):
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "### END HIDDEN TESTS" in line:
                inside = False
            elif inside:
                yield line


def test_grading_changed_nothing_outside_its_output(demo_run):
    """Did no submission change the class, forge grades in the repository or drop files?"""
    before, after = demo_run["before"], demo_run["after"]
    for folder in before:
        changed = set(before[folder]) ^ set(after[folder]) | {
            p for p in before[folder] if p in after[folder] and before[folder][p] != after[folder][p]}
        assert not changed, (folder, sorted(map(str, changed))[:5])
    if demo_run["sandboxed"]:
        was, now = demo_run["repo_output"]
        assert was == now
    assert not list(paths.ROOT.glob("**/forged.txt"))


def test_no_process_outlives_its_grading(demo_run):
    """Are the processes the background-process student started gone?"""
    left = subprocess.run(["pgrep", "-f", demo.ORPHAN_MARK], capture_output=True, text=True)
    assert left.stdout.strip() == "", left.stdout


def test_nothing_a_submission_chose_reaches_the_terminal_or_a_spreadsheet_raw(demo_run):
    """Escape sequences in a grade_id, a folder named as a formula: printed and written safe?"""
    done = demo_run["done"]
    for stream in (done.stdout, done.stderr):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", stream), stream[-800:]
    assert "?[1A?[2K?]0;all tests passed?" in done.stdout
    text = (demo_run["out"] / "grades.csv").read_text()
    assert f"\n'{demo.FORMULA_STUDENT}," in text
    assert not re.search(r"(^|,)[=+@-]", text, re.M)


def test_nothing_a_link_points_at_is_written_for_a_student(demo_run):
    """Do the link scenarios get pages with the reason, and nbgrader's files none of theirs?"""
    out = demo_run["out"]
    extra = out / "feedback" / "extra-file-is-a-link" / demo.ASSIGNMENT
    assert sorted(p.name for p in extra.iterdir()) == [f"{demo.ASSIGNMENT}.html"]
    for student in ("notebook-is-a-link", "student-folder-is-a-link", "extra-file-is-a-link"):
        pages = list((out / "feedback" / student).rglob("*.html"))
        assert len(pages) == 1 and "never followed" in pages[0].read_text()
        assert "BEGIN SOLUTION" not in pages[0].read_text()
    assert [p.name for p in (out / "feedback" / "student-folder-is-a-link").iterdir()] == [
        "submission"]  # one row for the link, not one per assignment it leads to
