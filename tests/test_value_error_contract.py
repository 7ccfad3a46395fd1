"""Where a stub hands over (or asks for) the ValueError checks, does its text say they are
part of the contract and tested? Code adapted from elsewhere without them fails only those
cases, and a student should know that before the test says so. Notebooks 06, 07 and 08."""

import nbformat
import pytest

from autograder import paths

pytestmark = [pytest.mark.nb06, pytest.mark.nb07, pytest.mark.nb08]

ASSIGNMENTS = ["06_cnn_bn", "07_norm_family", "08_hyperparameter_search"]


def _stubs(assignment):
    nb = nbformat.read(paths.source_notebook(assignment), as_version=4)
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            before = next(c.source for c in reversed(nb.cells[:i]) if c.cell_type == "markdown")
            given = cell.source.split("### BEGIN SOLUTION")[0]   # what the student sees
            yield meta["grade_id"], before, given


CASES = [(a, gid, md, stub) for a in ASSIGNMENTS for gid, md, stub in _stubs(a)]


@pytest.mark.parametrize("assignment, grade_id, markdown, stub", CASES,
                         ids=[f"{a[:2]}-{g}" for a, g, _, _ in CASES])
def test_the_stub_says_the_value_errors_are_part_of_the_contract(assignment, grade_id, markdown,
                                                                  stub):
    """If the stub or its text mentions ValueError, does the text call it contract, tested?"""
    if "ValueError" not in markdown + stub:
        pytest.skip(f"{grade_id} hands over no ValueError checks")
    assert "part of the contract" in markdown and "test" in markdown, (grade_id, markdown[-400:])
