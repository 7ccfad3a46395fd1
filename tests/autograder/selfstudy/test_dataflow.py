"""Does `check` run every cell a score depends on, and skip only what it provably does not?"""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder import cells, paths
from autograder.selfstudy import dataflow
from autograder.selfstudy.check import check

NB03 = "03_bn_forward"


def _nb(*sources, graded=()):
    """A notebook of code cells; the indices in ``graded`` carry nbgrader grade metadata."""
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(sources):
        cell = nbformat.v4.new_code_cell(src)
        if i in graded:
            cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 1,
                                         "grade_id": f"t{i}"}
        nb.cells.append(cell)
    return nb


def _kept(*sources, graded=()):
    flags = dataflow.needed(_nb(*sources, graded=graded))
    return None if flags is None else [i for i, f in enumerate(flags) if f]


def test_names_reads_globals_through_functions_but_not_their_locals():
    info = dataflow.names("import numpy as np\nK = 3\ndef f(x):\n    y = np.tanh(x)\n"
                          "    return helper(y) * K\n")
    assert {"np", "K", "f"} <= info.binds
    assert {"np", "helper", "K"} <= info.reads
    assert "x" not in info.reads and "y" not in info.reads and "y" not in info.binds


def test_a_global_statement_counts_as_a_binding():
    info = dataflow.names("def reset():\n    global counter\n    counter = 0\n")
    assert "counter" in info.binds


@pytest.mark.parametrize("source", ["%timeit f(1)", "!ls", "x = get_ipython()",
                                    "from numpy import *", "globals()['w'] = 1",
                                    "exec('w = 1')", "print(Out[3])", "y = _ + 1", "f?"])
def test_cells_whose_names_cannot_be_read_are_opaque(source):
    assert dataflow.names(source).opaque, source
    assert _kept("x = 1", source, "check(f)", graded={2}) is None  # run every cell


def test_a_throwaway_underscore_is_plain_python():
    assert not dataflow.names("a, _ = divmod(7, 2)\nfor _ in range(2):\n    pass").opaque


def test_a_syntax_error_binds_nothing_and_does_not_stop_the_analysis():
    assert dataflow.names("def f(:\n") == dataflow.Names(frozenset(), frozenset())


def test_demonstrations_are_skipped_and_dependencies_kept():
    kept = _kept("import numpy as np",                 # 0 read by the solution: kept
                 "def helper(x):\n    return x - 1",   # 1 read by the solution: kept
                 "slow = train()\nplot(slow)",         # 2 a demonstration: skipped
                 "def f(x):\n    return helper(np.asarray(x))",  # 3 graded
                 "check_f(f)",                         # 4 test cell
                 "figure(f(3))",                       # 5 after every test: skipped
                 graded={3, 4})
    assert kept == [0, 1, 3, 4]


def test_a_later_redefinition_before_the_test_is_kept():
    kept = _kept("def f(x):\n    return x", "demo = f(2)", "def f(x):\n    return -x",
                 "check(f)", graded={0, 3})
    assert kept == [0, 2, 3]


def test_a_global_rebound_between_a_function_and_its_test_is_kept():
    """A function reads its globals when the test calls it: a demonstration that rebinds
    one after the function's cell changes what the test sees, so it must run."""
    kept = _kept("rng = make(0)", "def f(x):\n    return x + rng.normal()",
                 "rng = make(1)", "check(f)", "rng = make(2)", graded={1, 3})
    assert kept == [0, 1, 2, 3]
    info = dataflow.names("def f(x):\n    return x + rng.normal()\ny = scale * 2")
    assert info.late == {"rng"} and {"rng", "scale"} <= info.reads


def test_dependencies_are_followed_transitively():
    kept = _kept("a = 1", "b = a + 1", "c = 5", "def f():\n    return b", "check(f)",
                 graded={3, 4})
    assert kept == [0, 1, 3, 4]


def test_quick_check_runs_a_helper_the_student_wrote_in_a_cell_of_their_own(tmp_path):
    """A student who factors their answer into a helper cell still gets full marks."""
    release = nbformat.read(paths.release_notebook(NB03), as_version=4)
    source = nbformat.read(paths.source_notebook(NB03), as_version=4)
    answers = {cells.grade_id(c): c.source for c in source.cells if cells.meta(c).get("solution")}
    nb = copy.deepcopy(release)
    at = next(i for i, c in enumerate(nb.cells) if cells.grade_id(c) == "batchnorm_forward")
    nb.cells[at].source = ("def batchnorm_forward(x, gamma, beta, eps=1e-5):\n"
                           "    return _my_forward(x, gamma, beta, eps)\n")
    body = answers["batchnorm_forward"].replace("def batchnorm_forward(", "def _my_forward(")
    body = "\n".join(line for line in body.splitlines() if "### " not in line)
    nb.cells.insert(at - 1, nbformat.v4.new_code_cell(body))
    path = tmp_path / NB03 / f"{NB03}.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    report = check(path)
    first = report.cells[0]
    assert first.grade_id == "batchnorm_forward_tests" and first.score == first.max_score, \
        report.as_table()
    assert report.ran_cells < report.code_cells
