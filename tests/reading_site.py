"""The reading site as the tests see it, built once per test session.

tests/test_site.py reads its files, tests/test_browser_site.py opens it in Chromium; both
call ``built`` from their ``site`` fixture (``build_once`` makes it one build for both).
The build is the real one (``scripts/build_site.py``): every notebook executed from its
solution, with Jupyter Book's execution cache in ``site/_build/.jupyter_cache``, named for
the code the notebooks import, so a run after ``make site`` reuses its executions and a
fresh clone executes every notebook.
"""

from __future__ import annotations

import copy
import functools
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import paths

sys.path.insert(0, str(paths.ROOT / "scripts"))
import build_site  # noqa: E402


@functools.lru_cache(maxsize=None)
def build_once(base: str) -> Path:
    """The whole site, without launch buttons (whatever the README says), under ``base``."""
    return build_site.build(Path(base), repository=None, log=lambda *a: None)


def built(tmp_path_factory) -> Path:
    """The built site's html folder (index.html, <language>/...), the same one all session."""
    return build_once(str(tmp_path_factory.getbasetemp() / "reading-site"))


def _grader(grade_id, *, solution, grade, points=0):
    return {"nbgrader": {"grade": grade, "grade_id": grade_id, "locked": not solution,
                         "points": points, "schema_version": 3, "solution": solution,
                         "task": False}}


def tiny_course(root: Path, *, failing_cell: bool = False) -> tuple[Path, Path]:
    """A one-notebook course under ``root`` laid out like the repository's.

    Returns (solutions, notebooks). The notebook has a solution, a test cell with a
    hidden part, a model answer and math; ``failing_cell`` adds a cell that raises.
    """
    name = "01_tiny"
    title = new_markdown_cell("# 01 · A tiny notebook\n\n**Estimated time**: 5 minutes.\n\n"
                              "Doubling is $x \\mapsto 2x$.")
    solution = new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                             "    ### END SOLUTION",
                             metadata=_grader("double", solution=True, grade=False))
    test = new_code_cell("assert double(2) == 4\nprint('double: visible checks passed')\n"
                         "### BEGIN HIDDEN TESTS\nassert double(-31337) == -62674\n"
                         "### END HIDDEN TESTS",
                         metadata=_grader("double_tests", solution=False, grade=True, points=1))
    answer = new_markdown_cell("Doubling twice quadruples: a model answer of the tiny course.",
                               metadata=_grader("q_double", solution=True, grade=True, points=1))
    cells = [title, solution, test, answer]
    if failing_cell:
        cells.append(new_code_cell("raise RuntimeError('this cell fails on purpose')"))
    source = new_notebook(cells=cells, metadata={"kernelspec": {
        "display_name": "Python 3", "language": "python", "name": "python3"}})
    student = copy.deepcopy(source)
    student.cells[1].source = "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    student.cells[2].source = "assert double(2) == 4\nprint('double: visible checks passed')"
    student.cells[3].source = "YOUR ANSWER HERE"
    for folder, nb in (("solutions", source), ("notebooks", student)):
        (root / folder / name).mkdir(parents=True)
        nbformat.write(nb, root / folder / name / f"{name}.ipynb")
    return root / "solutions", root / "notebooks"


def tiny_edition(code: str, name: str, solutions: Path, notebooks: Path) -> build_site.Language:
    """An edition of the tiny course with the English edition's words."""
    english = build_site.Language.load(paths.ROOT / "site" / "languages" / "en.yml")
    return build_site.Language(code=code, name=name, sphinx_language="en",
                               solutions=solutions, notebooks=notebooks,
                               texts=dict(english.texts, title=f"Tiny course ({name})"),
                               notebooks_in_repo="notebooks")
