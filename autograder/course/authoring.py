"""Build nbgrader source notebooks from Python, for course authors.

The notebooks in solutions/ are the single source of truth; this module only makes writing
a new one (or a test fixture) less error-prone: every cell gets the nbgrader metadata its
role needs and a stable id.

    from autograder.course import authoring as A
    nb = A.notebook([
        A.md("# Title"),
        A.solution("def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION", "f"),
        A.tests("check_f(f, seed=0)", "f_visible", points=1),
        A.answer("**Answer.** ...", "q1", points=1),
    ])
    A.save(nb, "solutions/NN_slug/NN_slug.ipynb")
"""

from __future__ import annotations

import textwrap

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..cells import clean, write

SCHEMA = 3


def _nbgrader(grade_id, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _text(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


def md(source: str):
    """A markdown cell anyone may edit (explanations)."""
    return new_markdown_cell(_text(source))


def code(source: str):
    """A free code cell (demonstrations, imports)."""
    return new_code_cell(_text(source))


def solution(source: str, grade_id: str):
    """An exercise: code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is removed."""
    cell = new_code_cell(_text(source))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
    return cell


def tests(source: str, grade_id: str, points: float):
    """A locked test cell worth ``points``; ``### BEGIN/END HIDDEN TESTS`` parts are hidden."""
    cell = new_code_cell(_text(source))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, locked=True, points=points)
    return cell


def answer(source: str, grade_id: str, points: float = 1):
    """A written answer to an inline question, graded by hand.

    The whole cell is the model answer: nbgrader replaces it with "YOUR ANSWER HERE" in the
    student version. (Solution markers would show as headings in the rendered solution, so
    lines holding only ``### BEGIN SOLUTION`` / ``### END SOLUTION`` are dropped.)
    """
    lines = [line for line in _text(source).splitlines()
             if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    cell = new_markdown_cell("\n".join(lines).strip("\n"))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=True, points=points)
    return cell


def locked_md(source: str, grade_id: str):
    """A markdown cell students cannot edit (instructions that tests rely on)."""
    cell = new_markdown_cell(_text(source))
    cell.metadata["nbgrader"] = _nbgrader(grade_id, locked=True)
    return cell


def notebook(cells: list, slug: str = "nb"):
    nb = new_notebook(cells=cells)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{slug}-{i:03d}"
    return clean(nb)


def save(nb, path) -> None:
    nbformat.validate(nb)
    write(nb, path)
