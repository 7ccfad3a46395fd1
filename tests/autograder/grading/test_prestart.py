"""Is a kernel started ahead as fresh as one started when its notebook comes?

A worker starts the next notebook's kernel while it grades the current one (sandboxed
only, ``autograder/grading/prestart.py``). Three students of one assignment graded by one worker:
the first leaves marks everywhere a kernel could keep them (a file in ``/tmp`` and in its
working folder, an environment variable, a module attribute); the next two look for them
in kernels started ahead. Their cells raise if they find any, and a cell's error shows on
the feedback page and in the result. The last leaves two processes behind, which must be
found and noted as in a kernel started when its notebook came.
"""

from __future__ import annotations

import pytest

from autograder import cells, demo
from autograder.grading import prestart
from autograder.grading.grade import Settings, grade
from autograder.safety import sandbox

A = demo.ASSIGNMENT

LEAVE = """
import builtins, os, pathlib
pathlib.Path("/tmp/left-by-a").write_text("a")
pathlib.Path("left-by-a.txt").write_text("a")
os.environ["LEFT_BY_A"] = "1"
builtins.left_by_a = True
import numpy
numpy.left_by_a = True
"""

LOOK = """
import builtins, os, pathlib
import numpy
found = [what for what, there in (
    ("a file in /tmp", pathlib.Path("/tmp/left-by-a").exists()),
    ("a file in its folder", pathlib.Path("left-by-a.txt").exists()),
    ("an environment variable", "LEFT_BY_A" in os.environ),
    ("a builtin", hasattr(builtins, "left_by_a")),
    ("a module attribute", hasattr(numpy, "left_by_a")))
    if there]
if found:
    raise RuntimeError("left by another student: " + ", ".join(found))
"""


def _class(root):
    for student, source in (("a-leaves-marks", LEAVE), ("b-looks", LOOK), ("c-looks", LOOK),
                            ("d-leaves-processes", demo.BACKGROUND)):
        nb = demo.notebook(right=("batchnorm_forward", "identity_params"), after_forward=source)
        folder = root / student / A
        folder.mkdir(parents=True)
        cells.write(nb, folder / f"{A}.ipynb")
    return root


@pytest.mark.notebook
def test_a_kernel_started_ahead_holds_nothing_of_the_last_student(tmp_path):
    if not sandbox.detect().enabled:
        pytest.skip("kernels are started ahead only in the sandbox, which is not usable here")
    outcome = grade(_class(tmp_path / "class"), tmp_path / "out" / "grades.csv",
                    Settings(workers=1, timeout=60, notebook_timeout=600),
                    log=lambda *a: None)
    results = outcome.results
    # a cell's result is recorded only with its error: none means it ran clean
    errors = lambda student: [c["error"] for c in results[(student, A)]["cells"]  # noqa: E731
                              if c["kind"] == "code" and c["index"] == _extra_index()]
    assert errors("a-leaves-marks") == []  # it did leave them
    for student in ("b-looks", "c-looks"):
        assert results[(student, A)]["started_ahead"], student
        assert errors(student) == [], errors(student)
    # what a kernel started ahead leaves running is found and noted as in any other
    assert results[("d-leaves-processes", A)]["started_ahead"]
    row = next(r for r in outcome.rows if r.student == "d-leaves-processes")
    assert "left 2 process(es) running after its last cell; they were stopped" in row.notes
    assert all(r.score == r.max_score for r in outcome.rows)


def _extra_index():
    nb = demo.notebook(right=("batchnorm_forward",), after_forward="pass")
    return next(i for i, c in enumerate(nb.cells) if c.get("id") == "student-extra")


def test_nothing_is_started_ahead_without_the_sandbox():
    """Unsandboxed kernels of one user could reach each other: none is started ahead."""
    spares = prestart.Spares()
    assert spares.take({"settings": {"sandbox": False}}) is None
    assert spares.ahead is None and spares.keep() == set()
