"""Does `grade` score every notebook of the course as `check` does?

Every assignment's solution and student version, graded as a class of two (in the sandbox
where the machine has one): the test cells run in the grader against the student's kernel
(``autograder/verdicts/replay.py``), so each check of the course (functions, call-backs, random
generators, a class) must work through the replay. Solutions get full marks; untouched
student versions get 0, each test failing with its check's "not written yet" message.
"""

from __future__ import annotations

import shutil

import pytest

from autograder import paths
from autograder.grading.grade import Settings, grade

ASSIGNMENTS = paths.assignments()

pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("parity") / "class"
    for assignment in ASSIGNMENTS:
        for student, path in (("solution", paths.source_notebook(assignment)),
                              ("student-version", paths.release_notebook(assignment))):
            folder = subs / student / assignment
            folder.mkdir(parents=True)
            shutil.copy(path, folder / f"{assignment}.ipynb")
    outcome = grade(subs, subs.parent / "out" / "grades.csv",
                    Settings(workers=2, timeout=600, notebook_timeout=1800), log=lambda *a: None)
    return {(r.student, r.assignment): r for r in outcome.rows}, outcome.results


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_gets_full_marks(graded, assignment):
    rows, results = graded
    row = rows[("solution", assignment)]
    failed = [(c["grade_id"], c["message"][:300]) for c in results[("solution", assignment)]["cells"]
              if c["kind"] == "test" and not c["passed"]]
    assert row.status == "graded" and not failed, (row.status, row.notes, failed)
    assert row.score == row.max_score > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_student_version_gets_zero_with_friendly_messages(graded, assignment):
    rows, results = graded
    row = rows[("student-version", assignment)]
    assert row.status == "graded" and row.score == 0 and row.max_score > 0, (row.status, row.notes)
    for cell in results[("student-version", assignment)]["cells"]:
        if cell["kind"] == "test":
            assert cell["message"].startswith("CheckFailure:"), (cell["grade_id"], cell["message"])
            assert "not written yet" in cell["message"], (cell["grade_id"], cell["message"])
