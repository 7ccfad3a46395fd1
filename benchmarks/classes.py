"""A generated class for a term: S students, each with all eight notebooks, a realistic mix.

Each submission is the released notebook (``notebooks/NN/NN.ipynb``, what a student gets)
with the student's work in it, one of five kinds:

- ``right``          every solution cell holds the model answer (from ``solutions/``);
- ``partly wrong``   right, but one graded function is broken: every number it returns
                     comes back a little off (a new function each time, in turn);
- ``stub left``      the student version as released: nothing done;
- ``crash``          right, plus a cell of the student's that kills the kernel
                     (``os._exit``) after the notebook's first exercise;
- ``endless loop``   right, plus a cell of the student's that never ends, after the first
                     exercise (it costs the per-cell time limit).

``mix(S)`` deals the kinds out over the S x 8 submissions, the same way every time: about
three in four right, one in eight partly wrong, one in twenty left as stubs, and at least
one crash and one endless loop. ``write(folder, kinds)`` lays the class out as ``grade``
and nbgrader's ``submitted/`` folder both read it: ``<student>/<assignment>/<assignment>.ipynb``.
"""

from __future__ import annotations

import ast
import copy
import random
from pathlib import Path

import nbformat

from autograder import cells, paths

KINDS = ("right", "partly wrong", "stub left", "crash", "endless loop")

#: prepended to a broken function's cell: what its returns go through
NUDGE = '''def _nudged(value):
    # every number a little off: the mistake this student made
    if isinstance(value, tuple):
        return tuple(_nudged(v) for v in value)
    if isinstance(value, list):
        return [_nudged(v) for v in value]
    if isinstance(value, dict):
        return {k: _nudged(v) for k, v in value.items()}
    if isinstance(value, bool) or value is None:
        return value
    if hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "fc":
        return value * 1.5 + 0.25
    if hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu":
        return value + 1
    if isinstance(value, float):
        return value * 1.5 + 0.25
    if isinstance(value, int):
        return value + 1
    return value

'''
CRASH = "# checking something quickly\nimport os\nos._exit(1)\n"
LOOP = ("# waiting for the loss to settle\nsettled = False\nwhile not settled:\n"
        "    pass\n")


def _answers(assignment: str) -> dict[str, str]:
    """grade_id -> the model answer of each solution cell (markers removed)."""
    source = nbformat.read(paths.source_notebook(assignment), as_version=4)
    return {cells.grade_id(c): "\n".join(
                line for line in c.source.splitlines()
                if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
            for c in source.cells if c.cell_type == "code" and cells.meta(c).get("solution")}


def release(assignment: str):
    return nbformat.read(paths.release_notebook(assignment), as_version=4)


def right(assignment: str):
    """The student version with every solution cell answered with the model answer."""
    nb = copy.deepcopy(release(assignment))
    answers = _answers(assignment)
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if cell.cell_type == "code" and cells.meta(cell).get("solution") and gid in answers:
            cell.source = answers[gid]
    return nb


def graded_functions(nb) -> list[tuple[int, str]]:
    """(cell index, name) of each top-level function defined in a solution cell."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cells.meta(cell).get("solution"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        found += [(i, node.name) for node in tree.body if isinstance(node, ast.FunctionDef)]
    return found


class _Nudge(ast.NodeTransformer):
    """``return X`` -> ``return _nudged(X)`` in one function (not in functions inside it)."""

    def __init__(self, name: str):
        self.name, self.depth, self.inside = name, 0, False

    def visit_FunctionDef(self, node):
        if self.depth == 0 and node.name == self.name:
            self.inside = True
            self.depth += 1
            self.generic_visit(node)
            self.depth -= 1
            self.inside = False
            return node
        if self.inside:  # a helper inside it keeps its own returns
            return node
        return node

    def visit_Return(self, node):
        if self.inside and node.value is not None:
            call = ast.Call(ast.Name("_nudged", ast.Load()), [node.value], [])
            return ast.copy_location(ast.Return(call), node)
        return node


def partly_wrong(assignment: str, which: int = 0):
    """Right, but graded function number ``which`` (in turn) returns numbers a little off."""
    nb = right(assignment)
    functions = graded_functions(nb)
    at, name = functions[which % len(functions)]
    tree = _Nudge(name).visit(ast.parse(nb.cells[at].source))
    nb.cells[at].source = NUDGE + ast.unparse(ast.fix_missing_locations(tree))
    return nb


def _after_first_exercise(nb, source: str, cell_id: str):
    first = next(i for i, c in enumerate(nb.cells) if cells.is_autograded_test(c))
    extra = nbformat.v4.new_code_cell(source)
    extra["id"] = cell_id
    nb.cells.insert(first + 1, extra)
    return nb


def crash(assignment: str):
    return _after_first_exercise(right(assignment), CRASH, "student-crash")


def endless_loop(assignment: str):
    return _after_first_exercise(right(assignment), LOOP, "student-loop")


def submission(kind: str, assignment: str, which: int = 0):
    if kind == "right":
        return right(assignment)
    if kind == "partly wrong":
        return partly_wrong(assignment, which)
    if kind == "stub left":
        return copy.deepcopy(release(assignment))
    if kind == "crash":
        return crash(assignment)
    if kind == "endless loop":
        return endless_loop(assignment)
    raise ValueError(f"unknown kind of submission {kind!r}; one of {', '.join(KINDS)}")


def students(count: int) -> list[str]:
    return [f"student-{k:03d}" for k in range(1, count + 1)]


def mix(count: int, assignments: list[str] | None = None) -> dict[tuple[str, str], str]:
    """(student, assignment) -> kind, for ``count`` students: the same deal every time."""
    assignments = assignments or paths.assignments()
    slots = [(s, a) for s in students(count) for a in assignments]
    order = list(slots)
    random.Random(16).shuffle(order)
    n = len(order)
    quotas = [("crash", 1), ("endless loop", 1), ("stub left", max(1, round(n / 20))),
              ("partly wrong", max(1, round(n / 8)))]
    kinds, k = {}, 0
    for kind, quota in quotas:
        for slot in order[k:k + quota]:
            kinds[slot] = kind
        k += quota
    for slot in order[k:]:
        kinds[slot] = "right"
    return {slot: kinds[slot] for slot in slots}


def write(folder: Path, kinds: dict[tuple[str, str], str]) -> Path:
    """Write the class into ``folder`` (``<student>/<assignment>/<assignment>.ipynb``)."""
    broken: dict[str, int] = {}
    for (student, assignment), kind in sorted(kinds.items()):
        which = broken.get(assignment, 0)
        if kind == "partly wrong":
            broken[assignment] = which + 1
        nb = submission(kind, assignment, which)
        target = Path(folder) / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        cells.write(nb, target / f"{assignment}.ipynb")
    return Path(folder)
