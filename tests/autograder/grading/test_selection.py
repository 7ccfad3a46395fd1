"""Does `grade` skip only course cells no score depends on, and keep a selective run only
when a full run could not have scored it higher?

The fast tests read plans: which cells a selective run of a submission runs, and when its
result stands. The parity test (``notebook``) grades a class both ways, selectively and
with ``--all``, with the same key, and compares every file written: the demo class's
scenarios that a selective run can keep or must hand over (right, stub, half right, a crash,
an endless loop, a helper process, deleted and edited tests), and a student with the model
answers in all eight notebooks.
"""

from __future__ import annotations

import copy
import json
import shutil

import nbformat
import pytest

from autograder import cells, cli, demo, paths
from autograder.grading import grade, keys, prepare, prestart, selection
from autograder.grading.grade import Settings
from benchmarks import classes

A = demo.ASSIGNMENT


def _prepared(tmp_path, nb, assignment=A):
    path = tmp_path / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    cells.write(nb, path)
    return prepare.prepare(path, assignment)


def _sources(prepared, chosen):
    steps = chosen.steps if chosen is not None else prepared.cells
    return [s["source"] for s in steps]


def _release():
    return nbformat.read(paths.release_notebook(A), as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_course_cells_are_the_released_ones_unchanged_and_in_order():
    """Is a cell the course's only when it is byte for byte a released, ungraded cell, in
    the release's order?"""
    release = _release()
    nb = copy.deepcopy(release)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    ungraded = [i for i in code if not cells.meta(nb.cells[i]).get("grade")
                and not cells.meta(nb.cells[i]).get("solution")]
    edited, moved_a, moved_b = ungraded[1], ungraded[2], ungraded[-1]
    nb.cells[edited].source += "\nprint('mine')"
    nb.cells[moved_a], nb.cells[moved_b] = nb.cells[moved_b], nb.cells[moved_a]
    extra = nbformat.v4.new_code_cell("x = 1")
    nb.cells.insert(code[0] + 1, extra)
    ours = selection.course_cells(nb, release)
    assert not ours[code[0] + 1]  # inserted by the student
    assert not ours[edited + 1]   # edited (it moved down one with the insert)
    assert not (ours[moved_a + 1] and ours[moved_b + 1])  # a swapped pair: one is out of order
    graded = [i for i, c in enumerate(nb.cells) if cells.meta(c).get("grade")
              or cells.meta(c).get("solution")]
    assert graded and not any(ours[i] for i in graded)
    assert ours[code[0]]  # the import cell, untouched
    assert not any(ours[i] for i, c in enumerate(nb.cells) if c.cell_type != "code")


def test_a_selective_run_skips_only_course_cells_no_score_depends_on(tmp_path):
    """For the model answers of every notebook: do all graded and test cells run whole, and
    is every cell skipped or cut to some of its statements a released cell?"""
    for assignment in paths.assignments():
        prepared = _prepared(tmp_path, classes.right(assignment), assignment)
        chosen = selection.plan(prepared, assignment)
        assert chosen is not None and chosen.skipped > 0, assignment
        ran = {s["index"]: s["source"] for s in chosen.steps}
        release = classes.release(assignment)
        ours = selection.course_cells(prepared.notebook, release)
        for step in prepared.cells:
            cell = prepared.notebook.cells[step["index"]]
            if step["kind"] == "test" or cells.meta(cell).get("solution"):
                assert ran.get(step["index"]) == step["source"], (assignment, step)
            if ran.get(step["index"]) != step["source"]:
                assert ours[step["index"]], (assignment, step["source"][:80])
                kept = ran.get(step["index"], "")
                assert all(part in selection.statements(step["source"])
                           for part in selection.statements(kept) or []), kept


def test_a_course_cell_runs_only_the_statements_that_bind_what_is_read(tmp_path):
    """The import cell of a submission whose functions use only numpy imports only numpy:
    the test cells run in the grader, so the kernel needs none of the checks."""
    prepared = _prepared(tmp_path, demo.notebook(right=("batchnorm_forward", "identity_params")))
    chosen = selection.plan(prepared, A)
    first = chosen.steps[0]
    assert first["kind"] == "code" and first["source"].strip() == "import numpy as np"
    assert prestart.preload(chosen.steps, {first["index"]}) == ["numpy"]


def test_statements_are_cut_whole_with_their_decorators():
    source = "import a\n\n@dec(1)\ndef f():\n    return 2\n# a comment\nx = [1,\n     2]\n"
    assert selection.statements(source) == ["import a\n", "@dec(1)\ndef f():\n    return 2\n",
                                            "x = [1,\n     2]\n"]
    assert selection.statements("a = 1; b = 2\n") is None  # two on a line: the cell stays whole
    assert selection.statements("def f(:\n") is None


def test_every_cell_the_student_wrote_runs_and_what_it_reads_too(tmp_path):
    """A student's own cell runs even if no test needs it, and so does the statement of the
    course's cell that binds a name it reads (``batch``, from the release's demonstration)."""
    nb = demo.notebook(right=("batchnorm_forward", "identity_params"))
    release = _release()
    binds_batch = next(c.source for c in _code(release) if c.source.startswith("batch ="))
    at = next(i for i, c in enumerate(nb.cells) if cells.grade_id(c) == "identity_params")
    mine = nbformat.v4.new_code_cell("print('my check:', batch.sum())")
    mine["id"] = "mine"
    nb.cells.insert(at, mine)
    prepared = _prepared(tmp_path, nb)
    ran = _sources(prepared, selection.plan(prepared, A))
    assert mine.source in ran and selection.statements(binds_batch)[0] in ran
    assert binds_batch not in ran  # the rest of that cell (its printing) is not needed


def test_a_cell_whose_names_cannot_be_read_means_every_cell_runs(tmp_path):
    nb = demo.notebook(right=("batchnorm_forward", "identity_params"),
                       after_forward="%timeit batchnorm_forward(np.ones((4, 2)), 1, 0)")
    assert selection.plan(_prepared(tmp_path, nb), A) is None


def test_an_exercise_left_as_the_stub_is_graded_in_full_at_once(tmp_path):
    """A solution cell left as released fails its test: no selective run is made for it."""
    assert selection.plan(_prepared(tmp_path, _release()), A) is None
    half = demo.notebook(right=("batchnorm_forward",))
    assert selection.plan(_prepared(tmp_path, half), A) is None


def _result(passed, problem=None, error=None):
    return {"cells": [{"kind": "test", "passed": p} for p in passed] + [{"kind": "code"}],
            "problem": problem, "error": error}


@pytest.mark.parametrize("result, stands", [
    (_result([True, True]), True),
    (_result([True, False]), False),         # not full marks: graded again in full
    (_result([True]), False),                # a test cell missing from the result
    (_result([True, True], "time limit"), False),
    (_result([True, True], "kernel died"), False),
    (_result([True, True], error="boom"), False)])
def test_a_selective_result_stands_only_at_full_marks_and_clean(result, stands):
    chosen = selection.Plan([], 1, 5)
    assert selection.settle(chosen, result, tests=2) is stands
    assert selection.settle(None, result, tests=2)  # every cell ran: it stands whatever it is


def test_a_selective_run_that_falls_short_is_replaced_by_a_full_run(tmp_path):
    """Does Runs hand the pool the full job after a short selective result, and let the
    full run's result stand?"""
    prepared = _prepared(tmp_path, demo.notebook(right=("batchnorm_forward", "identity_params")))
    full = {"student": "s", "assignment": A, "cells": prepared.cells,
            "settings": {"timeout": 300.0}}
    runs = selection.Runs()
    first = runs.first(full, prepared, A)
    assert first is not full and len(first["cells"]) < len(full["cells"])
    assert first["settings"]["timeout"] == selection.PATIENCE and full["settings"]["timeout"] == 300
    assert first["settings"]["selective"] is True and "selective" not in full["settings"]
    assert runs.then(first, _result([True, False])) is full
    last = _result([True, False])
    assert runs.then(full, last) is None and last["selective"]["kept"] is False
    again = selection.Runs()
    first = again.first(full, prepared, A)
    kept = _result([True, True])
    assert again.then(first, kept) is None and kept["selective"]["kept"] is True
    assert selection.Runs(every_cell=True).first(full, prepared, A) is full


def test_a_selective_run_stops_at_its_first_lost_point(tmp_path, monkeypatch):
    """Does a selective run stop at the first test cell that fails (it can no longer be
    kept), while the full run after it runs every cell and its verdict stands?"""
    student = tmp_path / "class" / "wrong-first"
    _prepared(student, demo.notebook("def batchnorm_forward(x, gamma, beta, eps=1e-5):\n"
                                     "    return x, None\n", right=("identity_params",)))
    seen = []
    then = selection.Runs.then
    monkeypatch.setattr(selection.Runs, "then",
                        lambda self, job, result: seen.append((job, result)) or then(self, job,
                                                                                     result))
    keys.create(tmp_path / "key")
    outcome = grade.grade(tmp_path / "class", tmp_path / "out" / "grades.csv",
                          Settings(workers=1, timeout=60), log=lambda *a: None,
                          key=tmp_path / "key")
    (first_job, first), (full_job, full) = seen
    assert first_job["settings"].get("selective") and not full_job["settings"].get("selective")
    tests = [c for c in first["cells"] if c["kind"] == "test"]
    assert [c["passed"] for c in tests] == [False, False]
    assert "did not run: a point was lost in a selective run" in tests[1]["message"]
    assert [c["passed"] for c in full["cells"] if c["kind"] == "test"] == [False, True]
    [row] = outcome.rows
    points = sum(c["points"] for c in full["cells"] if c["kind"] == "test")
    assert 0 < points == row.score < row.max_score and full["selective"]["kept"] is False


def test_a_selective_run_stops_at_a_cell_past_its_time_limit(tmp_path, monkeypatch):
    """Does a selective run stop at a student's cell interrupted at its time limit (the run
    can no longer be kept), while the full run after it goes on past that cell, as a full run
    does, and its verdict stands?

    (A kernel that dies stops every run, selective or not: the parity test's crash covers it.)
    """
    student = tmp_path / "class" / "sleeps"
    _prepared(student, demo.notebook(right=("batchnorm_forward", "identity_params"),
                                     after_forward="import time\ntime.sleep(600)"))
    seen = []
    then = selection.Runs.then
    monkeypatch.setattr(selection.Runs, "then",
                        lambda self, job, result: seen.append((job, result)) or then(self, job,
                                                                                     result))
    monkeypatch.setattr(selection, "PATIENCE", 3.0)
    keys.create(tmp_path / "key")
    outcome = grade.grade(tmp_path / "class", tmp_path / "out" / "grades.csv",
                          Settings(workers=1, timeout=4), log=lambda *a: None,
                          key=tmp_path / "key")
    (first_job, first), (full_job, full) = seen
    assert first_job["settings"]["timeout"] == 3.0 and full_job["settings"]["timeout"] == 4
    interrupted = [c for c in first["cells"] if c["kind"] == "code" and c.get("error")]
    assert [c["error"][0] for c in interrupted] == ["TimeLimit"], first["cells"]
    tests = [c for c in first["cells"] if c["kind"] == "test"]
    assert [c["passed"] for c in tests] == [False, False]
    assert all("did not run: a point was lost in a selective run" in c["message"]
               for c in tests), tests
    assert [c["passed"] for c in full["cells"] if c["kind"] == "test"] == [True, True]
    assert any(c.get("error", [None])[0] == "TimeLimit" for c in full["cells"])
    [row] = outcome.rows
    assert row.score == row.max_score and full["selective"]["kept"] is False
    assert row.status == "time limit"
    assert [n for n in row.notes if n.endswith("ran past the per-cell time limit")], row.notes


def test_grade_all_asks_for_every_cell(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(grade, "grade", lambda *a, **k: seen.setdefault("s", k["settings"]))
    monkeypatch.setattr(cli, "_print", lambda outcome: None)
    cli.main(["grade", str(tmp_path), "--all"])
    assert seen["s"].every_cell is True
    assert grade.limits(seen["s"])["every_cell"] is True  # shards record it for the merge


def test_the_preload_imports_modules_and_binds_no_name():
    """Does the kernel option import a course cell's modules without binding a name the
    student's code could see (and skip a name that is not a module)?"""
    names = prestart.modules("import numpy as np\nfrom course_utils.checks import check_x\n"
                             "from os import path as p\nx = 1\n")
    assert names == ("numpy", "course_utils.checks", "course_utils.checks.check_x", "os",
                     "os.path")
    [option] = prestart.preload_argv(names + ("not_a_module_anywhere",))
    line = option.split("=", 1)[1]
    namespace: dict = {}
    exec(line, namespace)  # noqa: S102 - what the kernel runs at start
    assert set(namespace) == {"__builtins__"}
    assert prestart.preload_argv(()) == []
    steps = [{"kind": "code", "index": 3, "source": "import numpy"}]
    assert prestart.preload(steps, {3}) == ["numpy"] and prestart.preload(steps, set()) == []


# --- parity: selective runs against --all, every file ---------------------------------

DEMO = ("all-right", "stub-left-in", "half-right", "kernel-crash-segfault", "infinite-loop",
        "background-process", "deleted-test-cell", "edited-test-cell", "notebook-renamed")


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    """The demo's scenarios (20 s per cell, as the demo is graded) and the model answers of
    all eight notebooks (600 s per cell), each graded with every cell and selectively."""
    root = tmp_path_factory.mktemp("selective")
    scenarios, model = root / "scenarios", root / "model"
    for student in DEMO:
        shutil.copytree(demo.CLASS_DIR / student, scenarios / student)
    classes.write(model, {("model-answers", a): "right" for a in paths.assignments()})
    key = root / "key"
    keys.create(key)
    runs = {}
    for name, every_cell in (("every-cell", True), ("selective", False)):
        for subs, timeout in ((scenarios, 20), (model, 600)):
            settings = Settings(workers=2, timeout=timeout, notebook_timeout=1800,
                                every_cell=every_cell)
            runs[name, subs.name] = grade.grade(subs, root / name / subs.name / "grades.csv",
                                                settings, log=lambda *a: None, key=key)
    return root, runs


def _tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.notebook
def test_selective_grading_writes_what_grading_every_cell_writes(both_ways):
    """Are grades.csv, manual-scores.csv, every feedback page and written-answers page the
    same bytes, whether every cell ran or only what the scores depend on?"""
    root, _ = both_ways
    full, selective = _tree(root / "every-cell"), _tree(root / "selective")
    assert len(full) > len(DEMO) + 8
    differ = sorted(p for p in set(full) | set(selective) if full.get(p) != selective.get(p))
    assert not differ, differ


@pytest.mark.notebook
def test_only_full_marks_are_kept_from_a_selective_run(both_ways):
    """Did every notebook short of full marks get a full run, and did the model answers of
    all eight notebooks stand from their selective runs?"""
    root, runs = both_ways
    for way in ("scenarios", "model"):
        outcome = runs["selective", way]
        rows = {(r.student, r.assignment): r for r in outcome.rows}
        for key, result in outcome.results.items():
            row, summary = rows[key], result.get("selective")
            student, assignment = key
            found = sorted((root / way / student / assignment).glob("*.ipynb"))
            chosen = selection.plan(prepare.prepare(found[0], assignment, root / way),
                                    assignment)
            if student in ("stub-left-in", "half-right"):  # a stub left: no selective plan
                assert chosen is None, key
            if chosen is None:  # graded in full at once
                assert summary is None, key
                continue
            assert summary is not None, key  # a plan with cells to skip: run selectively
            full_marks = row.score == row.max_score and row.status == "graded"
            assert summary["kept"] is full_marks, (key, row, summary)
        assert all("selective" not in r for r in runs["every-cell", way].results.values())
    model = runs["selective", "model"].results
    assert all(model[("model-answers", a)]["selective"]["kept"] for a in paths.assignments())
    print("\nseconds, selective: " + json.dumps(
        {f"{k[0]}/{k[1][:2]}": r["seconds"] for o in (runs["selective", "scenarios"],
                                                      runs["selective", "model"])
         for k, r in o.results.items()}))


def test_the_feedback_shows_errors_of_the_students_cells_only(tmp_path):
    """Does a feedback page show the error a student's cell raised, but not one raised by a
    course cell left as released (which a selective run may not run at all)?"""
    from autograder.records import feedback

    prepared = _prepared(tmp_path, _release())
    course = selection.course_cells(prepared.notebook, _release())
    code = [i for i, c in enumerate(prepared.notebook.cells) if c.get("cell_type") == "code"
            and not cells.meta(c).get("grade")]
    ours = next(i for i in code if course[i])
    theirs = next(i for i in code if not course[i])
    result = {"cells": [{"index": ours, "kind": "code", "error": ["ValueError", "course-cell"]},
                        {"index": theirs, "kind": "code",
                         "error": ["ValueError", "student-cell"]}]}
    page = feedback.body(prepared, result, A)
    assert "student-cell" in page and "course-cell" not in page
