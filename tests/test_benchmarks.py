"""Does the benchmark measure what it says? (Its figures are never asserted: tests verify.)"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from autograder import paths
from benchmarks import floor, grading, kernels, report
from benchmarks.measure import Row, machine


def test_the_floor_runs_only_the_first_cells_imports():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"),
                nbformat.v4.new_code_cell("import numpy as np\nx = np.ones(3)\n"
                                          "from math import (pi,\n    tau)\nprint(x)"),
                nbformat.v4.new_code_cell("import torch")]
    assert floor.imports_of(nb) == "import numpy as np\nfrom math import (pi,\n    tau)"


@pytest.mark.parametrize("assignment", paths.assignments())
def test_each_notebooks_floor_imports_what_its_test_cells_need(assignment):
    """The floor must include the checks' import, or check could never be within it."""
    source = floor.imports_of(nbformat.read(paths.source_notebook(assignment), as_version=4))
    assert "from course_utils.checks import" in source
    assert "np.set_printoptions" not in source


def test_the_floor_command_says_how_to_use_it():
    done = subprocess.run([sys.executable, "-m", "benchmarks.floor"], capture_output=True,
                          text=True, cwd=paths.ROOT)
    assert done.returncode == 2 and "usage" in done.stderr


@pytest.mark.parametrize("shape", kernels.SHAPES)
def test_numpy_and_torch_steps_compute_the_same_gradients(shape):
    assert kernels.agree(shape) < 1e-8


def test_interleaved_timing_returns_one_list_per_function():
    calls = []
    out = kernels.per_call([lambda: calls.append("a"), lambda: calls.append("b")], repeat=3,
                           min_time=0.0)
    assert [len(times) for times in out] == [3, 3]
    assert calls[-2:] == ["a", "b"]  # taken in turn


def test_the_report_marks_every_budget_and_names_the_failures():
    rows = [Row("notebooks", "03_bn_forward", 8.0, "s", [7.5, 8.0, 9.0], "< 15 s", True),
            Row("check", "03_bn_forward: check / floor", 2.5, "x", [], "<= 2x", False),
            Row("startup", "import course_utils", 0.004, "s", [0.004])]
    text = report.markdown(rows, machine(), 3, 60.0, {"grade": "RuntimeError: no sandbox"},
                           "make bench")
    assert "**Budgets: 1 of 2 pass.**" in text
    assert "| 03_bn_forward | 8.00 s | 7.50 s – 9.00 s | < 15 s | PASS |" in text
    assert "| 2.50x |" in text and "| FAIL |" in text and "check / floor (2.50x" in text
    assert "Not measured: RuntimeError: no sandbox" in text
    assert "| 4 ms |" in text
    assert f"{machine()['cores']} cores" in text


def test_grading_counts_the_notebooks_run_not_the_rows(tmp_path):
    grades = tmp_path / "grades.csv"
    grades.write_text("student,assignment,score,max_score,manual_score,manual_points,total,"
                      "status,notes\na,03_bn_forward,5,5,,,5,graded,\n"
                      "b,,,,,,,missing notebook,\nc,03_bn_forward,0,5,,,0,time limit,\n")
    assert grading.graded_notebooks(grades) == (2, 3)


def test_bad_arguments_get_a_message_not_a_traceback():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--repeat", "0"],
                          capture_output=True, text=True, cwd=paths.ROOT)
    assert done.returncode == 2 and "--repeat must be at least 1" in done.stderr
    assert "Traceback" not in done.stderr


# --- the term benchmark --------------------------------------------------------------

def test_the_term_mix_is_dealt_the_same_way_every_time():
    """About three in four right, and at least one of every other kind, whatever S."""
    from collections import Counter

    from benchmarks import classes

    for count in (1, 3, 10):
        kinds = classes.mix(count)
        assert kinds == classes.mix(count) and len(kinds) == 8 * count
        seen = Counter(kinds.values())
        assert all(seen[k] >= 1 for k in classes.KINDS), seen
        assert seen["right"] >= 0.5 * len(kinds)
    assert Counter(classes.mix(3).values())["right"] == 18


def test_each_kind_of_submission_is_what_it_says(tmp_path):
    """Right holds the model answers, partly wrong breaks exactly one graded function, a
    stub is the release, and the crash and the loop are cells of the student's own."""
    import ast

    from benchmarks import classes

    a = "04_bn_backward"
    right, stub = classes.right(a), classes.release(a)
    wrong = classes.partly_wrong(a, which=1)
    changed = [i for i, (x, y) in enumerate(zip(right.cells, wrong.cells)) if x.source != y.source]
    assert len(changed) == 1
    name = classes.graded_functions(right)[1][1]
    tree = ast.parse(wrong.cells[changed[0]].source)
    assert {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} >= {"_nudged", name}
    assert [c.source for c in stub.cells] == [c.source for c in classes.submission("stub left", a).cells]
    assert any("YOUR CODE HERE" in c.source for c in stub.cells)
    assert not any("YOUR CODE HERE" in c.source for c in right.cells if c.cell_type == "code")
    for kind, mark in (("crash", "os._exit"), ("endless loop", "while not settled")):
        nb = classes.submission(kind, a)
        assert len(nb.cells) == len(right.cells) + 1
        assert sum(mark in c.source for c in nb.cells) == 1
    folder = classes.write(tmp_path / "class", {("s1", a): "right", ("s2", a): "crash"})
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.ipynb")) == [
        f"s1/{a}/{a}.ipynb", f"s2/{a}/{a}.ipynb"]


def test_a_nudged_function_returns_every_number_a_little_off():
    from benchmarks import classes

    space: dict = {}
    exec(classes.NUDGE, space)  # noqa: S102 - the helper a broken submission carries
    nudged = space["_nudged"]
    import numpy as np

    out = nudged((np.ones(2, dtype=np.float32), {"k": 2.0, "n": 3}, [True, None, "s"]))
    assert out[0].dtype == np.float32 and np.allclose(out[0], 1.75)
    assert out[1] == {"k": 3.25, "n": 4} and out[2] == [True, None, "s"]


def test_the_progress_log_says_how_each_notebook_was_graded():
    from benchmarks import term

    log = ("grading 3 notebooks with 1 worker(s)\n"
           "  s1/01_a: 5 / 5 (graded, 3.0 s; 6 of 9 code cells not needed)\n"
           "  s1/02_b: 3 / 5 (graded, 9.1 s; graded again with every cell after a selective "
           "run of 2.0 s)\n"
           "  s2/01_a: 0 / 5 (graded, 4.0 s)\n")
    assert term.how_graded(log) == {"kept": 1, "again": 1, "every cell": 1}


def test_the_term_rows_mark_the_goal_and_the_parity():
    from benchmarks import cpu, term

    def usage(wall, seconds):
        return cpu.Usage(wall, seconds, True, None)

    from collections import Counter

    rows = term.rows(24, "18 right", usage(600, 500), usage(620, 520), usage(200, 130),
                     24, 60, 60, 20, Counter(kept=18, again=5, **{"every cell": 1}))
    by = {r.what: r for r in rows}
    goal = by["grade vs grade --all: notebooks per core-minute"]
    assert goal.value == 4.0 and goal.passed and goal.budget == ">= 3x"
    assert by["verdicts: grades.csv rows the same, grade vs grade --all"].passed
    assert by["grade (selective): CPU per notebook"].value == 130 / 24
    assert "18 kept" in by["grade (selective): CPU per notebook"].note
    failing = term.rows(24, "", usage(1, 10), usage(1, 10), usage(1, 5), 23, 59, 60, 0,
                        Counter())
    assert not {r.what: r for r in failing}["grade vs grade --all: notebooks per core-minute"].passed
    assert [r.passed for r in failing if r.what.startswith(("verdicts", "feedback"))] == [False,
                                                                                       False]


def test_the_cpu_meter_counts_what_the_command_started():
    """A child that spins and a grandchild that spins are both counted (how much is the
    machine's business; only that the meter sees them)."""
    from benchmarks import cpu

    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.2: pass\n"
    code = (f"import subprocess, sys\n{spin}"
            f"subprocess.run([sys.executable, '-c', {spin!r}], check=True)\nprint('done')")
    used = cpu.run([sys.executable, "-c", code])
    assert used.done.stdout.strip() == "done" and used.cpu >= 0.4 and used.wall > 0
    with pytest.raises(RuntimeError, match="failed .exit 3"):
        cpu.run([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert cpu.run([sys.executable, "-c", "import sys; sys.exit(3)"], check=False).done.returncode == 3


def test_the_grading_floor_keeps_only_what_the_exercises_import():
    """The selective import cell is made of the whole one's statements, numpy among them."""
    from autograder.grading import selection
    from benchmarks import grading_floor

    for a in paths.assignments():
        whole, kept = grading_floor.import_cells(a)
        parts = selection.statements(kept) or []
        assert "import numpy as np\n" in parts, (a, kept)
        assert set(parts) <= set(selection.statements(whole)), a
