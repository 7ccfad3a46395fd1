"""Does every notebook of the course work end to end through `python -m autograder check`?

For each assignment in solutions/: the solution, run top to bottom, scores full marks and
no cell of it shows an error or writes to stderr; checked the quick way (only the cells
the score depends on) it scores the same; the generated student version scores 0 without
crashing, and each of its test cells fails with a check's message, not a traceback wall.
"""

import nbformat
import pytest

from autograder import cells, paths

ASSIGNMENTS = paths.assignments()

pytestmark = pytest.mark.notebook


def _outputs_with_problems(nb):
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {out.get('evalue')}"[:300])
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"cell {i} wrote to stderr: {out.get('text')}"[:300])
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_scores_full_marks_and_runs_clean(assignment, check_notebook):
    """Does the solution score full marks, with no error and nothing on stderr in any cell?"""
    report = check_notebook(paths.source_notebook(assignment), every_cell=True)
    assert report.ran_cells == report.code_cells
    assert report.problem is None, report.problem
    assert report.max_score > 0
    assert report.score == report.max_score, report.as_table()
    assert not _outputs_with_problems(report.executed)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_quick_check_of_the_solution_skips_demonstrations_and_scores_full_marks(
        assignment, check_notebook):
    """Does the default check skip cells yet give every test cell its points, error-free?"""
    report = check_notebook(paths.source_notebook(assignment))
    assert report.problem is None, report.problem
    assert 0 < report.ran_cells < report.code_cells, (report.ran_cells, report.code_cells)
    assert report.score == report.max_score > 0, report.as_table()
    assert not _outputs_with_problems(report.executed)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_scores_zero_with_friendly_messages(assignment, check_notebook):
    """Does the untouched student version score 0, every test failing with a check message?"""
    report = check_notebook(paths.release_notebook(assignment))
    assert report.problem is None, report.problem
    assert report.score == 0 and report.max_score > 0, report.as_table()
    for cell in report.cells:
        assert cell.message.startswith("CheckFailure:"), (cell.grade_id, cell.message)
        assert "not written yet" in cell.message or "NotImplementedError" in cell.message


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_shape_follows_the_course(assignment):
    """Does each notebook have objectives, time, a figure, a question, a summary and reading?"""
    nb = nbformat.read(paths.source_notebook(assignment), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    for words in ("you will learn", "prerequisites", "estimated time", "summary", "read next"):
        assert words in text, f"{assignment}: no '{words}' section"
    assert any(c.cell_type == "code" and ("plt." in c.source or "plots." in c.source)
               for c in nb.cells), f"{assignment}: no figure"
    answers = [c for c in nb.cells if cells.is_manual_answer(c)]
    assert answers, f"{assignment}: no inline question"
    for c in answers:  # markers in a markdown answer would render as headings
        assert "BEGIN SOLUTION" not in c.source and "END SOLUTION" not in c.source, assignment
    tests = cells.autograded_tests(nb)
    assert tests and all("### BEGIN HIDDEN TESTS" in c.source for c in tests), \
        f"{assignment}: every test cell should have hidden tests"
    assert all("seed=" in c.source for c in tests), f"{assignment}: visible tests need seeds"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_notebooks_are_clean(assignment):
    """Are committed notebooks free of outputs and execution counts?"""
    for path in (paths.source_notebook(assignment), paths.release_notebook(assignment)):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path


def test_student_notebooks_link_to_each_other_and_to_the_contents():
    """Does every student notebook start and end with navigation whose links all exist?"""
    import re

    from autograder.course import navigation

    index = paths.NOTEBOOKS / navigation.INDEX
    assert index.exists(), "notebooks/00_index.ipynb is missing: run `make generate`"
    targets = re.findall(r"\]\(([^)]+\.ipynb)\)", index.read_text())
    assert len(targets) == len(ASSIGNMENTS)
    assert all((paths.NOTEBOOKS / t).exists() for t in targets)
    for assignment in ASSIGNMENTS:
        nb = nbformat.read(paths.release_notebook(assignment), as_version=4)
        for cell in (nb.cells[0], nb.cells[-1]):
            assert navigation.NAV_TAG in cell.metadata.get("tags", []), assignment
            for link in re.findall(r"\]\(([^)]+)\)", cell.source):
                assert (paths.release_notebook(assignment).parent / link).resolve().exists(), link
