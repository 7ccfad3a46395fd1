"""Can a submission fool, crash or see out of the grader before any kernel starts? (no)

Each class of attack on the grader's own steps, without a kernel: links followed out of the
submissions folder, oversized notebooks, nbgrader metadata of the wrong type, nbgrader's
files beside the notebook, names that are spreadsheet formulas or terminal escapes, one
failing submission stopping the class, hidden test cells that draw no fresh seed, and the
grader's memory. The demo class has a scenario for each (``autograder/demo/``).
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from autograder import cells, demo, paths
from autograder.grading import collect, prepare
from autograder.grading import worker
from autograder.grading.grade import Settings, grade
from autograder.records import feedback, report, results
from autograder.safety import safefiles, sanitize

A = demo.ASSIGNMENT
SECRET = "top secret: the grading key"


def _write(path, nb=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    cells.write(nb or demo.notebook(right=("batchnorm_forward", "identity_params")), path)


def _grade_quietly(subs, out, **settings):
    return grade(subs, out / "grades.csv", Settings(workers=1, **settings), log=lambda *a: None)


@pytest.fixture
def outside(tmp_path):
    """A secret beside the class (what a link would point at), and the model answers."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    return {"secret": secret, "solution": paths.source_notebook(A)}


def _links_class(tmp_path, outside) -> dict:
    """One student per place a link can be in a submission (and a FIFO)."""
    subs = tmp_path / "class"
    subs.mkdir()
    (subs / "student-is-a-link").symlink_to(paths.SOLUTIONS)
    (subs / "assignment-is-a-link").mkdir()
    (subs / "assignment-is-a-link" / A).symlink_to(paths.SOLUTIONS / A)
    _notebook = subs / "notebook-is-a-link" / A
    _notebook.mkdir(parents=True)
    (_notebook / f"{A}.ipynb").symlink_to(outside["solution"])
    renamed = subs / "renamed-notebook-is-a-link" / A
    renamed.mkdir(parents=True)
    (renamed / "mine.ipynb").symlink_to(outside["solution"])
    loose = subs / "loose-notebook-is-a-link"
    loose.mkdir()
    (loose / f"{A}.ipynb").symlink_to(outside["solution"])
    for name in ("timestamp.txt", "submission_secret.txt", "data/table.csv",
                 ".ipynb_checkpoints/old.ipynb"):
        folder = subs / f"extra-{name.split('/')[0].strip('.')}-is-a-link" / A
        _write(folder / f"{A}.ipynb")
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).symlink_to(outside["secret"])
    fifo = subs / "extra-fifo" / A
    _write(fifo / f"{A}.ipynb")
    os.mkfifo(fifo / "timestamp.txt")
    stray = subs / "stray-link" / A
    _write(stray / f"{A}.ipynb")
    (subs / "stray-link" / "notes").symlink_to(outside["secret"])
    return subs


def test_a_link_anywhere_in_a_submission_is_a_row_and_never_followed(tmp_path, outside):
    """Student folder, assignment folder, notebook, a file beside it, deep or hidden: a row?"""
    subs = _links_class(tmp_path, outside)
    found, ignored = collect.collect(subs, known=[A])
    rows = {(s.student, s.assignment): s for s in found}
    assert ignored == []
    expected = {
        ("student-is-a-link", ""): "student-is-a-link is a symbolic link",
        ("assignment-is-a-link", A): f"assignment-is-a-link/{A} is a symbolic link",
        ("notebook-is-a-link", A): f"{A}.ipynb is a symbolic link",
        ("renamed-notebook-is-a-link", A): "mine.ipynb is a symbolic link",
        ("loose-notebook-is-a-link", A): f"{A}.ipynb is a symbolic link",
        ("extra-timestamp.txt-is-a-link", A): "timestamp.txt is a symbolic link",
        ("extra-submission_secret.txt-is-a-link", A): "submission_secret.txt is a symbolic link",
        ("extra-data-is-a-link", A): "data/table.csv is a symbolic link",
        ("extra-ipynb_checkpoints-is-a-link", A): "old.ipynb is a symbolic link",
        ("extra-fifo", A): "timestamp.txt is a FIFO",
        ("stray-link", ""): "stray-link/notes is a symbolic link",
    }
    for key, words in expected.items():
        assert rows[key].reason == collect.UNSAFE and rows[key].notebook is None, rows[key]
        assert words in rows[key].notes[0], rows[key].notes
    assert rows[("stray-link", A)].reason is None  # its own folder is clean: graded
    assert len(found) == len(expected) + 1


def test_links_cost_no_kernel_and_nothing_behind_them_reaches_the_output(tmp_path, outside):
    """Graded as a class: every link a row, and no byte of what they point at is written?"""
    subs = _links_class(tmp_path, outside)
    (subs / "stray-link").rename(tmp_path / "stray-link")  # the one that would need a kernel
    outcome = _grade_quietly(subs, tmp_path / "out")
    assert {r.status for r in outcome.rows} == {"link or special file"}
    assert outcome.results == {}  # no notebook ran
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert SECRET.encode() not in written
    assert b"### BEGIN HIDDEN TESTS" not in written and b"BEGIN SOLUTION" not in written


def test_a_link_inside_the_submissions_folder_still_counts(tmp_path):
    """A notebook linked to a classmate's (inside the class) is refused too?"""
    subs = tmp_path / "class"
    _write(subs / "honest" / A / f"{A}.ipynb")
    (subs / "copier" / A).mkdir(parents=True)
    (subs / "copier" / A / f"{A}.ipynb").symlink_to(subs / "honest" / A / f"{A}.ipynb")
    rows = {s.student: s for s in collect.collect(subs, known=[A])[0]}
    assert rows["honest"].reason is None and rows["copier"].reason == collect.UNSAFE


def test_safe_reads_refuse_links_in_any_component_and_bound_the_size(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f.txt").write_text("inside")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    assert safefiles.read_bytes(tmp_path, tmp_path / "real" / "f.txt", 100) == b"inside"
    with pytest.raises(safefiles.Unsafe, match="alias is a symbolic link"):
        safefiles.read_bytes(tmp_path, tmp_path / "alias" / "f.txt", 100)
    with pytest.raises(safefiles.Unsafe, match="larger than"):
        safefiles.read_bytes(tmp_path, tmp_path / "real" / "f.txt", 3)
    with pytest.raises(safefiles.Unsafe, match="not inside"):
        safefiles.read_bytes(tmp_path / "real", tmp_path / "f.txt", 100)


def test_the_kernels_copy_of_a_folder_holds_regular_files_only(tmp_path, outside):
    """Does the copy for the kernel refuse a link that appeared after collection?"""
    folder = tmp_path / "class" / "s" / A
    _write(folder / f"{A}.ipynb")
    (folder / "data").mkdir()
    (folder / "data" / "x.csv").write_text("1,2\n")
    (folder / ".hidden").write_text("left out")
    digest = safefiles.copy_tree(tmp_path / "class", folder, tmp_path / "copy",
                                 worker._skip_in_copy)
    assert sorted(p.relative_to(tmp_path / "copy").as_posix()
                  for p in (tmp_path / "copy").rglob("*")) == ["data", "data/x.csv"]
    (folder / "data" / "late.txt").symlink_to(outside["secret"])
    with pytest.raises(safefiles.Unsafe, match="late.txt is a symbolic link"):
        safefiles.copy_tree(tmp_path / "class", folder, tmp_path / "copy2", worker._skip_in_copy)
    (folder / "data" / "late.txt").unlink()
    (folder / "data" / "x.csv").write_text("1,3\n")
    assert safefiles.copy_tree(tmp_path / "class", folder, tmp_path / "copy3",
                               worker._skip_in_copy) != digest


def test_a_notebook_over_the_size_limits_is_a_row_before_it_is_parsed(tmp_path, monkeypatch):
    """Too many bytes (a sparse file: never read) or too many cells: 'too large', said why?"""
    big = tmp_path / "big" / A / f"{A}.ipynb"
    big.parent.mkdir(parents=True)
    with open(big, "wb") as f:
        f.truncate(prepare.MAX_NOTEBOOK_BYTES + 1)
    with pytest.raises(safefiles.Unsafe, match="MiB a notebook may be") as info:
        prepare.read_submission(big)
    assert info.value.status == "too large"
    many = demo.notebook()
    many.cells += [nbformat.v4.new_raw_cell("") for _ in range(prepare.MAX_CELLS)]
    for k, cell in enumerate(many.cells):
        cell["id"] = f"c{k}"
    _write(tmp_path / "many" / A / f"{A}.ipynb", many)
    calls = []
    monkeypatch.setattr(prepare.nbformat, "reads", lambda *a, **k: calls.append(a))
    with pytest.raises(safefiles.Unsafe, match=f"more than the {prepare.MAX_CELLS}"):
        prepare.read_submission(tmp_path / "many" / A / f"{A}.ipynb")
    assert calls == []  # refused before nbformat parses it


BAD_METADATA = {
    "metadata not a dict": (lambda m: "solution", "metadata.nbgrader is a str"),
    "metadata a list": (lambda m: [m], "metadata.nbgrader is a list"),
    "grade_id a list": (lambda m: {**m, "grade_id": [m["grade_id"]]}, "grade_id is a list"),
    "grade_id a number": (lambda m: {**m, "grade_id": 3}, "grade_id is a int"),
    "grade_id empty": (lambda m: {**m, "grade_id": ""}, "grade_id is empty"),
    "points a string": (lambda m: {**m, "points": "lots"}, "points are a str"),
    "points a list": (lambda m: {**m, "points": [1]}, "points are a list"),
    "points infinite": (lambda m: {**m, "points": float("inf")}, "points are a float"),
    "grade a string": (lambda m: {**m, "grade": "yes"}, "'grade' is a str"),
}


@pytest.mark.parametrize("which", ["batchnorm_forward", "batchnorm_forward_tests", "q_identity"])
@pytest.mark.parametrize("defect", sorted(BAD_METADATA))
def test_invalid_nbgrader_metadata_is_noted_and_points_come_from_the_source(tmp_path, defect,
                                                                            which):
    """Any cell, any defect: prepared with a note, the source's tests, types and points?"""
    change, words = BAD_METADATA[defect]
    nb = demo.notebook(right=("batchnorm_forward", "identity_params"))
    cell = next(c for c in nb.cells if cells.grade_id(c) == which)
    cell.metadata["nbgrader"] = change(copy.deepcopy(dict(cell.metadata["nbgrader"])))
    _write(tmp_path / f"{A}.ipynb", nb)
    p = prepare.prepare(tmp_path / f"{A}.ipynb", A)
    assert any(words in n for n in p.notes), p.notes
    tests = [s for s in p.cells if s["kind"] == "test"]
    assert [(t["grade_id"], t["points"]) for t in tests] == [
        ("batchnorm_forward_tests", 3.0), ("identity_params_tests", 2.0)]
    assert p.max_score == 5 and p.manual_points == 2
    for c in p.notebook.cells:  # every nbgrader metadata left is the source's own
        m = c.get("metadata", {}).get("nbgrader")
        assert m is None or isinstance(m, dict) and isinstance(m.get("points", 0), (int, float))
    row = report.Row("s", A, 0.0, p.max_score, "", p.manual_points, 0.0)
    result = {"cells": [], "problem": None, "notes": []}
    page = feedback.render(row, p, result)  # the page is written, whatever the metadata said
    assert "Autograded score: 0 / 5" in page


def test_a_cell_whose_metadata_is_not_a_dict_does_not_stop_the_notebook(tmp_path):
    raw = json.loads(nbformat.writes(demo.notebook()))
    raw["cells"][3]["metadata"] = "oops"
    (tmp_path / f"{A}.ipynb").write_text(json.dumps(raw))
    p = prepare.prepare(tmp_path / f"{A}.ipynb", A)
    assert "cell 4: its metadata is not a dict" in p.notes[0], p.notes


def test_nbgrader_files_are_rewritten_from_what_was_parsed(tmp_path):
    """A valid timestamp and secret are written anew; anything else is left out, noted?"""
    assert results.nbgrader_file("timestamp.txt", b"2024-03-01 12:34:56.5 UTC\n") == \
        "2024-03-01 12:34:56.500000 UTC"
    assert results.nbgrader_file("timestamp.txt", b"2024-03-01T12:34:56+0100") == \
        "2024-03-01 12:34:56 +0100"
    secret = "ab" * 64
    assert results.nbgrader_file("submission_secret.txt", secret.encode() + b"\n") == secret
    for name, bad in [("timestamp.txt", b"root:$6$salt$hash:19000:0:99999:7:::"),
                      ("timestamp.txt", b"2024-13-45 99:99:99"),
                      ("timestamp.txt", "2024-03-01 12:00:00 \x1b]0;x\x07".encode()),
                      ("submission_secret.txt", b"-----BEGIN PRIVATE KEY-----"),
                      ("submission_secret.txt", bytes(range(256)))]:
        assert results.nbgrader_file(name, bad) is None, bad
    folder = tmp_path / "class" / "s" / A
    _write(folder / f"{A}.ipynb")
    (folder / "timestamp.txt").write_text("2024-03-01 12:34:56.123456 UTC")
    (folder / "submission_secret.txt").write_text("not hex at all")
    sub = collect.Submission("s", A, folder / f"{A}.ipynb", folder, root=tmp_path / "class")
    found, notes = results.nbgrader_files(sub)
    assert found == {"timestamp.txt": "2024-03-01 12:34:56.123456 UTC"}
    assert notes == ["submission_secret.txt was not taken for the feedback folder: it is not "
                     "what nbgrader writes there"]


def test_csv_cells_are_never_formulas_and_terminal_text_has_no_controls():
    for value in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]:
        assert sanitize.csv_cell(value).startswith(("'", " ")), value
    assert sanitize.csv_cell("'=already") == "'=already"
    assert [sanitize.csv_cell(v) for v in ("-1", "2.5", "+3e2", "ann")] == ["-1", "2.5", "+3e2",
                                                                            "ann"]
    nasty = "a\x1b[2K\x1b]0;title\x07b\u202ec\x9b31m\r\nd"
    assert sanitize.line(nasty) == "a?[2K?]0;title?b?c?31m  d"
    assert sanitize.text(nasty) == "a?[2K?]0;title?b?c?31m\nd"
    assert "\x1b" not in sanitize.text("\x1b") and sanitize.text("tab\tnl\n") == "tab\tnl\n"


def test_the_grades_and_manual_scores_of_a_formula_named_student_stay_text(tmp_path):
    """Is a formula-named student quoted in every CSV, and are their hand points still found?"""
    name = "=HYPERLINK(\"http://evil\",\"click\")"
    rows = [report.Row(name, A, 3.0, 5.0, "", 2.0, 3.0, notes=["-cmd|' /C calc'!A0"]),
            report.Row("\x1b]0;pwned\x07bob", A, status="missing notebook")]
    manual = tmp_path / "manual-scores.csv"
    questions = {A: [("q1", 1.0)]}
    report.merge_manual(rows, manual, questions)
    lines = report.read_csv(manual)
    assert lines[0]["student"] == "'" + name
    lines[0]["points"] = "1"
    import csv

    with open(manual, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=report.MANUAL_FIELDS)
        w.writeheader()
        w.writerows(lines)
    again = [report.Row(name, A, 3.0, 5.0, "", 2.0, 3.0)]
    report.merge_manual(again, manual, questions)
    assert again[0].manual_score == 1.0
    assert len(report.read_csv(manual)) == 1  # matched, not added a second time
    report.write_csv(rows, tmp_path / "grades.csv")
    text = (tmp_path / "grades.csv").read_text()
    for cell in re.split(r"[,\n]", text):
        assert not cell.strip('"').startswith(("=", "+", "-", "@")), cell
    assert "\x1b" not in text and "\x07" not in text
    table = report.table(rows) + report.summary(rows, ["\x1b[2Kx"], "sandbox", "in 1 s")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", table), table


def test_terminal_escapes_in_a_folder_name_never_reach_the_terminal(tmp_path):
    """A student folder named with escape sequences: printed and written without them?"""
    subs = tmp_path / "class"
    (subs / "\x1b[1A\x1b[2K\x1b]0;graded 5 of 5\x07eve" / A).mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "-o",
                           str(tmp_path / "out" / "grades.csv")], capture_output=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for stream in (done.stdout, done.stderr):
        assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", stream), stream[-500:]
    assert b"?[1A?[2K?]0;graded 5 of 5?eve" in done.stdout
    written = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert b"\x1b" not in written and b"\x07" not in written


def test_one_submission_that_breaks_the_grader_costs_only_its_own_row(tmp_path, monkeypatch):
    """A failure preparing one notebook, or writing one page: the others and the CSV are written?"""
    subs = tmp_path / "class"
    for student in ("ann", "bob", "cid"):
        _write(subs / student / A / f"{A}.ipynb")
    real_page = feedback.page

    def prepare_fails_for_bob(path, assignment, root=None):
        if "bob" in str(path):
            raise KeyError("a bug the submission found")
        raise prepare.Malformed("not run here")  # no kernel for the others

    def page_fails_for_cid(row, body=None):
        if row.student == "cid":
            raise UnicodeEncodeError("utf-8", "x", 0, 1, "a bad character")
        return real_page(row, body)

    monkeypatch.setattr(prepare, "prepare", prepare_fails_for_bob)
    monkeypatch.setattr(feedback, "page", page_fails_for_cid)
    outcome = _grade_quietly(subs, tmp_path / "out")
    rows = {r.student: r for r in outcome.rows}
    assert rows["bob"].status == "grader error"
    assert "KeyError" in rows["bob"].notes[-1] and "reading the notebook" in rows["bob"].notes[-1]
    assert rows["cid"].status == "grader error" and "page could not be written" in \
        rows["cid"].notes[-1]
    csv_rows = {r["student"]: r for r in report.read_csv(tmp_path / "out" / "grades.csv")}
    assert set(csv_rows) == {"ann", "bob", "cid"} and csv_rows["ann"]["status"] == \
        "malformed notebook"
    assert (tmp_path / "out" / "feedback" / "ann" / A / f"{A}.html").exists()


def test_the_grader_process_of_a_notebook_has_a_memory_limit(monkeypatch):
    """Past its address-space limit, is the notebook a 'limit exceeded' row that says so?"""
    def greedy(job, spare=None):
        hoard = bytearray(6 * 2**30)  # more than the limit below: refused
        return {"cells": [], "problem": None, "notes": [str(len(hoard))]}

    monkeypatch.setattr(worker, "grade_notebook", greedy)
    size = re.search(r"VmSize:\s+(\d+) kB", open("/proc/self/status").read())
    limit = (int(size[1]) * 1024 // 2**20 + 1024) * 2**20  # what this process holds, + 1 GiB
    result = worker._grade_in_a_fork({"settings": {"grader_memory_bytes": limit}})
    assert result["problem"] == "limit exceeded", result
    assert result["notes"] == [f"the grader's memory limit for one notebook ({limit // 2**20} "
                               "MiB) was reached while judging it (MemoryError)"]
    assert report.row_from_result(collect.Submission("s", A), _Plan(), result).status == \
        "limit exceeded"


class _Plan:
    notes: list = []
    max_score = 5.0
    manual_points = 2.0


def _calls(source: str):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id.startswith("check_"):
            yield node


@pytest.mark.parametrize("assignment", paths.assignments())
def test_every_hidden_test_draws_fresh_inputs(assignment):
    """Does every test cell's hidden part call each of its checks with seed=None?"""
    source = nbformat.read(paths.source_notebook(assignment), as_version=4)
    for cell in cells.autograded_tests(source):
        hidden = prepare.HIDDEN.findall(cell.source)
        gid = cells.grade_id(cell)
        assert hidden, f"{gid}: no hidden tests"
        checked = {c.func.id for c in _calls(prepare.HIDDEN.sub("", cell.source))}
        fresh = {c.func.id for part in hidden for c in _calls(part)
                 if any(k.arg == "seed" and isinstance(k.value, ast.Constant)
                        and k.value.value is None for k in c.keywords)}
        assert checked <= fresh and fresh, f"{gid}: no seed=None for {sorted(checked - fresh)}"


def test_a_changed_submission_draws_other_hidden_seeds():
    """Same code and files: the same digest; a comment or a data file more: another?"""
    steps = [{"kind": "code", "source": "def f(x):\n    return x\n"},
             {"kind": "test", "source": "check(f)"}]
    same = [dict(s) for s in steps]
    same[0]["source"] = same[0]["source"].replace("\n", "\r\n")  # saved on another system
    edited = [dict(s) for s in steps]
    edited[0]["source"] += "# ANSWERS = {...}\n"
    base = worker.submission_digest(steps, "files")
    assert worker.submission_digest(same, "files") == base
    assert worker.submission_digest(edited, "files") != base
    assert worker.submission_digest(steps, "other files") != base


def test_a_folder_too_large_to_copy_is_a_row(tmp_path):
    """More files than a kernel's copy may hold: 'too large', said why?"""
    folder = tmp_path / "class" / "s" / A
    _write(folder / f"{A}.ipynb")
    for k in range(5):
        (folder / f"data-{k}.txt").write_text("x")
    problem = safefiles.problem_in_tree(tmp_path / "class", folder, limit_files=4)
    assert problem.status == "too large" and "more than 4 files" in str(problem)
    assert safefiles.problem_in_tree(tmp_path / "class", folder) is None


def test_a_reply_decodes_into_a_bounded_number_of_values():
    """Does one message of many small values stop at the limit instead of filling memory?"""
    from autograder.verdicts import wire

    side = wire.Side("t", lambda info: info, lambda obj: None)
    assert len(side.decode([0] * (wire.MAX_NODES - 1))) == wire.MAX_NODES - 1
    with pytest.raises(wire.WireError, match="more than"):
        side.decode([0] * wire.MAX_NODES)


def test_what_a_test_cell_prints_is_kept_up_to_a_limit():
    import io

    from autograder.verdicts import replay

    out = io.StringIO()
    capped = replay._Capped(out)
    for _ in range(100):
        capped.write("x" * 1000)
    assert len(out.getvalue()) == replay.MAX_TEXT


def test_the_sandboxed_kernel_limits_its_tasks_and_cpu_time(tmp_path):
    """Does the kernel set RLIMIT_NPROC (sandbox) and RLIMIT_CPU from what the grader sends?"""
    from autograder.safety import limits, sandbox
    from autograder.verdicts import grading_kernel

    layout = sandbox.Layout(tmp_path / "w", tmp_path / "k", [])
    layout.workdir.mkdir()
    layout.kernel_dir.mkdir()
    command = sandbox.kernel_command(layout, tmp_path / "c.json", {"cpu_seconds": 77}, True,
                                     "bwrap")
    argv = command.argv
    env = {argv[i + 1]: argv[i + 2] for i, a in enumerate(argv) if a == "--setenv"}
    assert env["GRADER_MAX_TASKS"] == str(limits.MAX_TASKS) and env["GRADER_CPU_SECONDS"] == "77"
    probe = ("import resource, grading_kernel; grading_kernel.apply_limits(); "
             "print(resource.getrlimit(resource.RLIMIT_NPROC)[0], "
             "*resource.getrlimit(resource.RLIMIT_CPU))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=os.path.dirname(grading_kernel.__file__),
                          env={**os.environ, "GRADER_MAX_TASKS": "512",
                               "GRADER_CPU_SECONDS": "77"})
    assert done.stdout.split() == ["512", "77", "82"], done.stderr
    loose = sandbox.kernel_command(layout, tmp_path / "c.json", {}, False, None)
    assert loose.env["GRADER_MAX_TASKS_MORE"] == str(limits.MAX_TASKS)  # no sandbox: a loose bound
    assert "GRADER_MAX_TASKS" not in loose.env and grading_kernel._user_tasks() > 0
