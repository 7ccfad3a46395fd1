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
