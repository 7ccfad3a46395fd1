"""nbgrader cell metadata: which cells are tests, restoring them, cleaning notebooks."""

from __future__ import annotations

import copy

import nbformat


def meta(cell) -> dict:
    """A cell's nbgrader metadata; {} when it has none, or none that is a dict."""
    metadata = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    found = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    return found if isinstance(found, dict) else {}


def grade_id(cell) -> str | None:
    gid = meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def is_autograded_test(cell) -> bool:
    """A locked code cell worth points whose score is 'ran without error'."""
    m = meta(cell)
    return cell.get("cell_type") == "code" and bool(m.get("grade")) and not m.get("solution")


def is_manual_answer(cell) -> bool:
    """A written answer (inline question) graded by the instructor."""
    m = meta(cell)
    return bool(m.get("grade")) and bool(m.get("solution"))


def points(cell) -> float:
    return float(meta(cell).get("points", 0) or 0)


def autograded_tests(nb) -> list:
    return [c for c in nb.cells if is_autograded_test(c)]


def restore_tests(student_nb, source_nb, release_nb=None):
    """Put the source's test cells (hidden tests included) into a student's notebook.

    A test cell the student changed is replaced by the source's; one they deleted is put
    back after the cell that precedes it in the source. Returns the new notebook and a
    list of ``(grade_id, what happened)`` for each cell that was not found as released
    (compared with ``release_nb``, the student version, when it is given).
    """
    nb = copy.deepcopy(student_nb)
    released = {grade_id(c): c.get("source") for c in (release_nb.cells if release_nb else [])}
    notes: list[tuple[str, str]] = []
    position = {grade_id(c): i for i, c in enumerate(nb.cells) if grade_id(c)}
    previous_id = None
    for src in source_nb.cells:
        gid = grade_id(src)
        if is_autograded_test(src):
            fresh = copy.deepcopy(src)
            fresh["outputs"] = []
            fresh["execution_count"] = None
            if gid in position:
                i = position[gid]
                theirs = nb.cells[i].get("source")
                if gid in released and theirs not in (released[gid], src.get("source")):
                    notes.append((gid, "test cell was changed; the original was restored"))
                nb.cells[i] = fresh
            else:
                at = position.get(previous_id, len(nb.cells) - 1) + 1
                nb.cells.insert(at, fresh)
                notes.append((gid, "test cell was missing; the original was put back"))
                position = {grade_id(c): i for i, c in enumerate(nb.cells) if grade_id(c)}
        if gid:
            previous_id = gid
    return nb, notes


VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime", "jupyter")


def clean(nb):
    """No outputs, no execution counts, no machine-specific metadata: what we commit."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in VOLATILE_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if "attachments" in cell and not cell["attachments"]:
            del cell["attachments"]
    for key in ("widgets", "toc", "varInspector"):
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write(nb, path) -> None:
    """Write a notebook the same way every time (nbformat 4, one-space indent, newline)."""
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
