"""Code as a student's notebook would hold it, for the tests that the checks accept it.

The checks reject calls into ``course_utils.reference`` (they notice the file a function
comes from), so the reference cannot be passed to its own checks as it is.
:func:`pasted_reference` compiles a copy of a reference module under another file name, as
if a student had pasted it into a cell; :func:`model_answers` runs the graded cells of a
solution notebook (the model answers) the same way. Either can then be checked at any seed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import nbformat

from autograder import cells, paths

REFERENCE = Path(__file__).resolve().parent.parent / "course_utils" / "reference"


@functools.lru_cache(maxsize=None)
def pasted_reference(topic: str) -> dict:
    """The functions of ``course_utils/reference/<topic>.py``, compiled outside the package."""
    namespace: dict = {"__name__": f"pasted_{topic}"}
    for helper in ("_validate", "_kernels"):
        source = (REFERENCE / f"{helper}.py").read_text()
        exec(compile(source, f"<pasted {helper}>", "exec"), namespace)
    source = (REFERENCE / f"{topic}.py").read_text()
    source = re.sub(r"(?m)^from \.\w+ import .*$", "", source)
    exec(compile(source, f"<pasted {topic}>", "exec"), namespace)
    return namespace


@functools.lru_cache(maxsize=None)
def model_answers(assignment: str) -> dict:
    """The namespace after the first code cell and every graded cell of a solution notebook."""
    nb = nbformat.read(paths.source_notebook(assignment), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    namespace: dict = {"__name__": f"model_{assignment}"}
    graded = [c for c in code if cells.meta(c).get("solution") and not cells.meta(c).get("grade")]
    for cell in [code[0]] + graded:
        exec(compile(cell.source, f"<model answer {cell.get('id')}>", "exec"), namespace)
    return namespace
