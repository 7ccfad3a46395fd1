"""Turn one submitted notebook into the list of cells to run, the test cells restored.

The submission's own cells run as the student left them. Test cells come from the source
notebook in solutions/ (hidden tests included), whatever the submission holds: a test
cell that was changed is replaced, one that was deleted is put back after the cell that
precedes it in the source, and both are flagged for the instructor. A cell that merely
claims to be a test (copied, or nbgrader metadata added by hand) runs as ordinary code and
is flagged too. Points come from the source, never from the submission's metadata.

A submission is untrusted data. It is read without following links and only up to
:data:`MAX_NOTEBOOK_BYTES` (checked before it is parsed), it may hold at most
:data:`MAX_CELLS` cells, and every cell's ``nbgrader`` metadata is validated: metadata that
is not what nbgrader writes (not a dict, a ``grade_id`` that is not a short string, flags
that are not booleans, points that are not a number) is dropped with a note, and valid
metadata is replaced by the source cell's of the same ``grade_id``, so a cell's type and
points always come from the source. The outputs it holds are dropped (never used).
"""

from __future__ import annotations

import copy
import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import cells, paths
from ..safety import safefiles
from ..verdicts.replay import import_statements

#: the largest notebook the grader reads (bytes, checked before parsing) and most cells
MAX_NOTEBOOK_BYTES = 32 * 2**20
MAX_CELLS = 2000
MAX_GRADE_ID = 200
NBGRADER_FLAGS = ("grade", "solution", "locked", "task")

HIDDEN = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S)


class Malformed(ValueError):
    """The submission is not a readable notebook."""


@dataclass
class Prepared:
    cells: list[dict]            # what the worker runs: code and test cells, in order
    notebook: object             # the restored notebook (for the feedback)
    visible: dict[str, str]      # grade_id -> the test source a student may see
    max_score: float
    manual_points: float
    imports: dict[str, str]      # name -> import line, from the source notebook
    notes: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=None)
def _course_notebooks(assignment: str):
    source = nbformat.read(paths.source_notebook(assignment), as_version=4)
    release_path = paths.release_notebook(assignment)
    release = nbformat.read(release_path, as_version=4) if release_path.exists() else None
    return source, release


def read_submission(path: Path, root: Path | None = None):
    """The notebook at ``path`` (inside ``root``, its folder by default), checked to be one.

    Raises :class:`Malformed` (or ``safefiles.Unsafe`` for a link, a special file or a file
    over :data:`MAX_NOTEBOOK_BYTES`), never anything else.
    """
    path = Path(path)
    root = Path(root) if root is not None else path.parent
    try:
        data = safefiles.read_bytes(root, path, MAX_NOTEBOOK_BYTES, "notebook")
    except safefiles.Unsafe:
        raise
    except OSError as exc:
        raise Malformed(f"{path.name} cannot be read ({type(exc).__name__})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed(f"{path.name} cannot be read (UnicodeDecodeError)") from None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed(f"{path.name} is not valid JSON (cut short, or edited outside "
                        "Jupyter?)") from None
    if not isinstance(raw, dict):
        raise Malformed(f"{path.name} is not a Jupyter notebook (not a JSON object)")
    if not isinstance(raw.get("cells"), list):
        raise Malformed(f"{path.name} has no list of cells")
    if len(raw["cells"]) > MAX_CELLS:
        raise safefiles.Unsafe(f"{path.name} has {len(raw['cells'])} cells: more than the "
                               f"{MAX_CELLS} a notebook may have", "too large")
    for cell in raw["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Malformed(f"{path.name} holds a cell that is not a notebook cell")
        if isinstance(cell.get("source"), list):
            if not all(isinstance(part, str) for part in cell["source"]):
                raise Malformed(f"{path.name} holds a cell whose source is not text")
            cell["source"] = "".join(cell["source"])
        if not isinstance(cell.get("source", ""), str):
            raise Malformed(f"{path.name} holds a cell whose source is not text")
        if not isinstance(cell.get("metadata", {}), dict):
            cell["metadata"] = {"_bn_invalid": True}  # noted by validate_metadata
        if cell["cell_type"] == "code":
            cell["outputs"] = []  # never used: not read, not kept
            cell["execution_count"] = None
        cell.pop("attachments", None)
    if not isinstance(raw.get("metadata", {}), dict):
        raw["metadata"] = {}
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:  # JSON, but not a notebook
        raise Malformed(f"{path.name} is not a Jupyter notebook ({type(exc).__name__})") from None
    for cell in nb.cells:
        cell.setdefault("metadata", {})
        cell.setdefault("source", "")
    return nb


def _number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def metadata_problem(cell) -> str | None:
    """What is wrong with a cell's ``nbgrader`` metadata (None: absent, or what nbgrader writes)."""
    if cell.get("metadata", {}).get("_bn_invalid"):
        return "its metadata is not a dict"
    if "nbgrader" not in cell.get("metadata", {}):
        return None
    m = cell["metadata"]["nbgrader"]
    if not isinstance(m, dict):
        return f"metadata.nbgrader is a {type(m).__name__}, not a dict"
    gid = m.get("grade_id")
    if gid is not None and not (isinstance(gid, str) and 0 < len(gid) <= MAX_GRADE_ID):
        return (f"its grade_id is a {type(gid).__name__}, not a name"
                if not isinstance(gid, str) else "its grade_id is empty or too long")
    for flag in NBGRADER_FLAGS:
        if flag in m and not isinstance(m[flag], bool):
            return f"its '{flag}' is a {type(m[flag]).__name__}, not true or false"
    if "points" in m and not _number(m["points"]):
        return f"its points are a {type(m['points']).__name__}, not a number"
    return None


def validate_metadata(nb, source) -> list[str]:
    """Give every cell of a submission the nbgrader metadata the source has for it (notes).

    Metadata that is not a dict, or whose ``grade_id`` is not a name, is dropped (the cell
    stays, as an ordinary cell). A ``grade_id`` the source has (on a cell of the same type)
    gets the source cell's metadata whole: its type and points, whatever the submission
    said (a value that was not even of the right type is noted). One the source does not
    have keeps none; a cell that claimed to be a test is noted.
    """
    by_id = {cells.grade_id(c): c for c in source.cells if cells.grade_id(c)}
    notes = []
    for i, cell in enumerate(nb.cells):
        problem = metadata_problem(cell)
        m = cell.metadata.get("nbgrader")
        usable = problem is None or (isinstance(m, dict) and isinstance(m.get("grade_id"), str)
                                     and 0 < len(m["grade_id"]) <= MAX_GRADE_ID)
        if not usable:
            cell["metadata"] = {k: v for k, v in cell.metadata.items()
                                if k not in ("nbgrader", "_bn_invalid")}
            notes.append(f"cell {i + 1}: {problem}; its nbgrader metadata was ignored (the cell "
                         "ran as an ordinary cell, and the test cells came from the course)")
            continue
        if m is None:
            continue
        gid = m.get("grade_id")
        if gid in by_id and by_id[gid].cell_type == cell.cell_type:
            if problem is not None:
                notes.append(f"{gid}: {problem}; the course's metadata was used")
            cell.metadata["nbgrader"] = copy.deepcopy(by_id[gid].metadata["nbgrader"])
            continue
        if m.get("grade") is True and m.get("solution") is not True and cell.cell_type == "code":
            notes.append(f"{gid or 'a cell'}: a cell marked as a test that is not one of "
                         "the assignment's test cells ran as ordinary code")
        cell.metadata.pop("nbgrader")
    return notes


def visible_source(source_cell, release_nb) -> str:
    """The part of a test cell a student sees: the released cell, or the source unhidden."""
    gid = cells.grade_id(source_cell)
    for cell in release_nb.cells if release_nb is not None else []:
        if cells.grade_id(cell) == gid:
            return cell.source
    return HIDDEN.sub("", source_cell.source).rstrip()


def prepare(path: Path, assignment: str, root: Path | None = None) -> Prepared:
    source, release = _course_notebooks(assignment)
    student = read_submission(path, root)
    metadata_notes = validate_metadata(student, source)
    nb, restored = cells.restore_tests(student, source, release)
    tests = {cells.grade_id(c): c for c in cells.autograded_tests(source)}
    notes = metadata_notes + [f"{gid}: {what}" for gid, what in restored]
    chosen: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        gid = cells.grade_id(cell)
        if gid in tests and cell.get("source") == tests[gid].source:
            chosen[gid] = i  # the restored copy (the last, if the source appears twice)
    steps = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        gid = cells.grade_id(cell)
        if gid in tests and chosen.get(gid) == i:
            steps.append({"kind": "test", "index": i, "grade_id": gid,
                          "source": tests[gid].source, "points": cells.points(tests[gid])})
            continue
        if cells.is_autograded_test(cell):  # a second copy of a test cell
            notes.append(f"{gid or 'a cell'}: a cell marked as a test that is not one of the "
                         "assignment's test cells ran as ordinary code")
            cell.metadata.pop("nbgrader", None)
        steps.append({"kind": "code", "index": i, "source": cell.get("source", "")})
    answers = [c for c in source.cells if cells.is_manual_answer(c)]
    code_sources = [c.source for c in source.cells if c.cell_type == "code"]
    return Prepared(
        cells=steps, notebook=nb, notes=notes,
        visible={gid: visible_source(c, release) for gid, c in tests.items()},
        max_score=sum(cells.points(c) for c in tests.values()),
        manual_points=sum(cells.points(c) for c in answers),
        imports=import_statements(code_sources))
