"""Do nbgrader's own tools work on top of the course's grading, for a small mixed class?

A class of two, graded by the course's grader as an instructor with a cluster would (a
shard, then ``merge`` into nbgrader's gradebook): ``ann`` handed in through nbgrader's
exchange (her folder has ``timestamp.txt`` and ``submission_secret.txt``) and wrote her
answers in Markdown with math; ``ben`` downloaded his notebook and mailed it in (no
nbgrader file). Then what an instructor who knows nbgrader does: the Formgrader lists
both submissions, written answers awaiting hand-grading; the hand grades are entered as
the Formgrader enters them; ``nbgrader export`` and ``nbgrader release_feedback`` run with
the course's configuration. The class is graded once (one kernel per student); the merge,
which runs no student code, is repeated.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import cells, demo, paths
from autograder.course.generate import nbgrader
from autograder.records import results

A = demo.ASSIGNMENT
COURSE = "bn-from-scratch"
TIMESTAMP = "2026-11-30 17:45:12.123456 UTC"
SECRET = "0123456789abcdef0123456789abcdef"
ANSWER = ("**Because** the layer can undo itself: with $\\gamma = \\sqrt{\\sigma_B^2 + "
          "\\epsilon}$ and $\\beta = \\mu_B$,\n\n$$y_i = \\gamma \\hat{x}_i + \\beta = x_i$$")
#: the hand grades entered in the Formgrader, (student, question) -> points
HAND = {("ann", "q_identity"): 1.0, ("ann", "q_batch_dependence"): 0.5}


def _autograder(*args, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{args[0]}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def _stock(*args, cwd=paths.CONFIG_DIR) -> subprocess.CompletedProcess:
    """``cd autograder && nbgrader ARGS``: the course's nbgrader_config.py, as an instructor."""
    done = nbgrader(list(args), cwd=cwd)
    assert done.returncode == 0, f"nbgrader {args[0]}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def _mixed_class(root: Path) -> Path:
    subs = root / "class"
    shutil.copytree(demo.CLASS_DIR / "all-right", subs / "ann")
    shutil.copytree(demo.CLASS_DIR / "unbiased-variance", subs / "ben")
    path = subs / "ann" / A / f"{A}.ipynb"
    nb = nbformat.read(path, as_version=4)
    answered = [c for c in nb.cells if cells.grade_id(c) == "q_identity"]
    assert answered and cells.is_manual_answer(answered[0])
    answered[0].source = ANSWER
    nbformat.write(nb, path)
    (subs / "ann" / A / "timestamp.txt").write_text(TIMESTAMP)
    (subs / "ann" / A / "submission_secret.txt").write_text(SECRET)
    assert not list((subs / "ben").rglob("*.txt"))  # downloaded: no nbgrader file
    return subs


@pytest.fixture(scope="module")
def mixed_class(tmp_path_factory):
    """The mixed class graded as one shard, merged into a gradebook of its own."""
    root = tmp_path_factory.mktemp("mixed-class")
    subs = _mixed_class(root)
    grading = root / "grading"
    book = grading / "gradebook.db"
    _autograder("key", grading / ".grading-key", cwd=root)
    _autograder("grade", subs, "-o", grading / "grades.csv", "--shard", "1/1", "--workers", "2",
                cwd=root)
    assert not book.exists()  # a shard never writes the gradebook
    merged = _autograder("merge", grading / "shards", "-o", grading / "grades.csv",
                         "--gradebook", book, cwd=root)
    return {"root": root, "grading": grading, "book": book, "merged": merged,
            "db": f"--CourseDirectory.db_url=sqlite:///{book}",
            "autograded": f"--CourseDirectory.autograded_directory={grading / 'autograded'}"}


def _grades(path: Path) -> dict:
    with open(path, newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def test_merge_records_each_submission_in_the_gradebook(mixed_class):
    """Does the gradebook hold what the grades table says, and the timestamp from the
    exchange (none for the downloaded notebook)?"""
    from nbgrader.api import Gradebook

    assert "gradebook: 2 submission(s) recorded" in mixed_class["merged"].stdout
    assert "Warning" not in mixed_class["merged"].stderr, mixed_class["merged"].stderr[-2000:]
    table = _grades(mixed_class["grading"] / "grades.csv")
    assert set(table) == {"ann", "ben"}
    with Gradebook(f"sqlite:///{mixed_class['book']}", COURSE) as gb:
        for student in ("ann", "ben"):
            sub = gb.find_submission(A, student)
            assert sub.code_score == pytest.approx(float(table[student]["score"]))
            assert sub.max_score == pytest.approx(float(table[student]["max_score"])
                                                  + float(table[student]["manual_points"]))
        # ann's written answer awaits hand-grading; ben left his as released: 0, as stock
        # autograde scores "No response."
        assert gb.find_submission(A, "ann").needs_manual_grade
        assert not gb.find_submission(A, "ben").needs_manual_grade
        assert gb.find_submission(A, "ann").timestamp.isoformat(" ") == "2026-11-30 17:45:12.123456"
        assert gb.find_submission(A, "ben").timestamp is None
    for student in ("ann", "ben"):
        nb = nbformat.read(mixed_class["grading"] / "autograded" / student / A / f"{A}.ipynb",
                           as_version=4)
        assert "BEGIN HIDDEN TESTS" not in nbformat.writes(nb)


def _formgrader_api(mixed_class):
    """nbgrader's own API, as the Formgrader builds it from the course's configuration."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(paths.CONFIG_DIR)).load_config()
    config.CourseDirectory.db_url = f"sqlite:///{mixed_class['book']}"
    config.CourseDirectory.autograded_directory = str(mixed_class["grading"] / "autograded")
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir, config=config)


def _enter_hand_grades(book: Path, grades: dict) -> None:
    """What the Formgrader's grade API does when the instructor types a score."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{book}", COURSE) as gb:
        for (student, question), points in grades.items():
            grade = gb.find_grade(question, A, A, student)
            grade.manual_score = points
            grade.needs_manual_grade = False
            gb.db.commit()


def _export(mixed_class, name: str) -> dict:
    out = mixed_class["root"] / name
    _stock("export", f"--to={out}", mixed_class["db"])
    return _grades_by(out, "student_id")


def _grades_by(path: Path, key: str) -> dict:
    with open(path, newline="", encoding="utf-8") as f:
        return {r[key]: r for r in csv.DictReader(f)}


def test_hand_grading_and_nbgrader_export_work_on_the_course_grades(mixed_class):
    """Does the Formgrader list both submissions as autograded, ann's awaiting hand-grading;
    after the hand grades are entered, does `nbgrader export` give the course's points plus
    them, and does recording the class again keep them, as stock autograde would?""" 
    api = _formgrader_api(mixed_class)
    listed = {s["student"]: s for s in api.get_notebook_submissions(A, A)}
    assert set(listed) == {"ann", "ben"}  # (it lists a submission whose autograded notebook is there)
    assert listed["ann"]["needs_manual_grade"] and not listed["ben"]["needs_manual_grade"]
    table = _grades(mixed_class["grading"] / "grades.csv")
    before = _export(mixed_class, "before.csv")
    for student in ("ann", "ben"):
        assert float(before[student]["score"]) == pytest.approx(float(table[student]["score"]))
        assert float(before[student]["max_score"]) == pytest.approx(
            float(table[student]["max_score"]) + float(table[student]["manual_points"]))
    _enter_hand_grades(mixed_class["book"], HAND)
    hand = {s: sum(p for (who, _), p in HAND.items() if who == s) for s in ("ann", "ben")}
    after = _export(mixed_class, "after.csv")
    for student in ("ann", "ben"):
        assert float(after[student]["score"]) == pytest.approx(
            float(table[student]["score"]) + hand[student])
    # recorded again (a merge after more shards, or grading again): the hand grades stay
    _autograder("merge", mixed_class["grading"] / "shards", "-o",
                mixed_class["grading"] / "grades.csv", "--gradebook", mixed_class["book"],
                cwd=mixed_class["root"])
    again = _export(mixed_class, "again.csv")
    assert {s: again[s]["score"] for s in again} == {s: after[s]["score"] for s in after}
    listed = {s["student"]: s for s in _formgrader_api(mixed_class).get_notebook_submissions(A, A)}
    # as stock autograde does to a hand-graded answer it records again: kept, flagged for review
    assert listed["ann"]["needs_manual_grade"] and not listed["ben"]["needs_manual_grade"]


def test_release_feedback_works_when_one_notebook_came_by_download(mixed_class):
    """Stock `nbgrader release_feedback` on the course's feedback/ aborts for the whole
    class (ben's page has no timestamp.txt); on exchange-feedback/ does it release ann's
    page, under the name her `fetch_feedback` looks for?"""
    from nbgrader.utils import notebook_hash

    grading, exchange = mixed_class["grading"], mixed_class["root"] / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # as nbgrader's guide sets up the exchange: everyone writes there
    common = [f"--Exchange.root={exchange}", f"--CourseDirectory.course_id={COURSE}",
              mixed_class["db"]]
    stock = nbgrader(["release_feedback", A,
                      f"--CourseDirectory.feedback_directory={grading / 'feedback'}", *common],
                     cwd=paths.CONFIG_DIR)
    assert stock.returncode != 0 and "timestamp.txt" in stock.stdout + stock.stderr
    assert sorted(p.name for p in (grading / results.EXCHANGE_FEEDBACK).iterdir()) == ["ann"]
    _stock("release_feedback", A,
           f"--CourseDirectory.feedback_directory={grading / results.EXCHANGE_FEEDBACK}", *common)
    released = list((exchange / COURSE / "feedback").glob("*.html"))
    assert [p.name for p in released] == [f"{notebook_hash(secret=SECRET, notebook_id=A)}.html"]
    assert released[0].read_bytes() == (grading / "feedback" / "ann" / A / f"{A}.html").read_bytes()


def test_written_answers_show_as_markdown_with_math_on_both_pages(mixed_class):
    """Do ann's feedback page and the written-answers page show her answer as Markdown, its
    math for MathJax, which the grading folder has?"""
    grading = mixed_class["grading"]
    for page in (grading / "feedback" / "ann" / A / f"{A}.html",
                 grading / "written-answers" / f"{A}.html"):
        text = page.read_text()
        assert "<strong>Because</strong>" in text, page
        assert '<span class="math">\\(\\gamma = \\sqrt{\\sigma_B^2 + \\epsilon}\\)</span>' in text
        assert '<span class="math display">\\[y_i = \\gamma \\hat{x}_i + \\beta = x_i\\]</span>' in text
        src = text.split('<script src="', 1)[1].split("?", 1)[0]
        assert (page.parent / src).resolve().is_file(), src
