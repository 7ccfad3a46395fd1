"""The demo class's catalogue: each student folder, and the submission it holds.

:func:`scenarios` maps a student (named for the scenario) to a notebook, a (file name,
notebook) pair, or a writer for a folder a notebook alone cannot describe: links, a broken
or missing file, a wrong folder, too many cells, metadata of the wrong type. A new scenario
is one entry here (its code in :mod:`autograder.demo.answers` when it needs some) and one
row in ``autograder/demo_expected_grades.csv``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .. import cells
from .answers import (ABORTING_FORWARD, ASSIGNMENT, BACKGROUND, BOMB_FORWARD, EXITING_FORWARD,
                      FORGED_DESCRIBE, FORK_BOMB, FROM_CLASSMATE, FROM_NETWORK, FROM_SOLUTIONS,
                      HUGE_REPLY, LOOPING_FORWARD, PATCH_CHECKS, PATCH_NUMPY, PATCH_NUMPY_IDENTITY,
                      SEGFAULT_IDENTITY, STUBBORN_FORWARD, UNBIASED_FORWARD,
                      UNBIASED_FORWARD_BY_HAND, UNBIASED_IDENTITY, UNSEEN_REFERENCE, WRITE_GRADES)
from .notebooks import _tests, hard_coded_cells, notebook


#: a grade_id that erases the line above on a terminal, retitles the window and says "passed"
ESCAPES = "\x1b[1A\x1b[2K\x1b]0;all tests passed\x07\x1b[32mbonus_tests\x1b[0m"
FORMULA_STUDENT = "=folder-name-is-a-formula"


def scenarios() -> dict[str, object]:
    """student folder name -> a notebook (or, for broken submissions, a callable writer)."""
    both = ("batchnorm_forward", "identity_params")
    deleted = notebook(right=both)
    for cell in _tests(deleted):
        deleted.cells.remove(cell)
    edited = notebook(right=("batchnorm_forward",))
    for cell in _tests(edited):
        cell.source = 'print("all tests passed")'
    hard_forward, hard_identity = hard_coded_cells()
    return {
        "all-right": notebook(right=both),
        "stub-left-in": notebook(),
        "half-right": notebook(right=("batchnorm_forward",)),
        "infinite-loop": notebook(LOOPING_FORWARD, right=("identity_params",)),
        "infinite-loop-ignores-interrupt": notebook(STUBBORN_FORWARD, right=("identity_params",)),
        "kernel-crash-exit": notebook(EXITING_FORWARD, right=("identity_params",)),
        "kernel-crash-abort": notebook(ABORTING_FORWARD, right=("identity_params",)),
        "kernel-crash-segfault": notebook(identity_src=SEGFAULT_IDENTITY,
                                          right=("batchnorm_forward",)),
        "memory-bomb": notebook(BOMB_FORWARD, right=("identity_params",)),
        "unbiased-variance": notebook(UNBIASED_FORWARD, right=("identity_params",)),
        "unbiased-variance-everywhere": notebook(UNBIASED_FORWARD_BY_HAND, UNBIASED_IDENTITY),
        # a cheat fills both exercise cells (the second would otherwise undo the first)
        "reads-the-solutions": notebook(FROM_SOLUTIONS, FROM_SOLUTIONS),
        "copies-a-classmate": notebook(FROM_CLASSMATE, FROM_CLASSMATE),
        "writes-the-gradebook": notebook(WRITE_GRADES),
        "network-call": notebook(FROM_NETWORK, FROM_NETWORK),
        "background-process": notebook(right=both, after_forward=BACKGROUND),
        "monkey-patched-numpy": notebook(PATCH_NUMPY, PATCH_NUMPY_IDENTITY),
        "monkey-patched-course-utils": notebook(PATCH_CHECKS),
        "hard-coded-visible-outputs": notebook(hard_forward, hard_identity),
        "deleted-test-cell": deleted,
        "edited-test-cell": edited,
        "notebook-renamed": ("my_bn_work.ipynb", notebook(right=both)),
        "malformed-json": _malformed,
        "missing-notebook": _missing,
        "wrong-assignment-name": _wrong_folder,
        # attacks on the grader itself (issue: grading that no submission can fool)
        "forged-describe-reply": notebook(right=(), after_forward=FORGED_DESCRIBE),
        "reference-called-unseen": notebook(UNSEEN_REFERENCE, UNSEEN_REFERENCE),
        "notebook-is-a-link": _notebook_link,
        "student-folder-is-a-link": _student_link,
        "extra-file-is-a-link": _extra_file_links,
        "metadata-not-a-dict": _bad_metadata("batchnorm_forward", lambda m: "solution"),
        "grade-id-not-a-string": _bad_metadata("identity_params_tests",
                                               lambda m: {**m, "grade_id": [m["grade_id"]]}),
        "points-not-a-number": _bad_metadata("q_identity", lambda m: {**m, "points": "lots"}),
        "too-many-cells": _too_many_cells,
        "huge-reply": notebook(HUGE_REPLY, right=("identity_params",)),
        "fork-bomb": notebook(right=both, after_forward=FORK_BOMB),
        FORMULA_STUDENT: _missing,
        "terminal-escapes-in-names": _escapes,
    }


def _bad_metadata(grade_id: str, change):
    """The model answers, with one cell's nbgrader metadata changed by ``change(metadata)``."""
    nb = notebook(right=("batchnorm_forward", "identity_params"))
    cell = next(c for c in nb.cells if cells.grade_id(c) == grade_id)
    cell.metadata["nbgrader"] = change(dict(cell.metadata["nbgrader"]))
    return nb


def _link(link: Path, target: str) -> None:
    """A symbolic link with a relative target (it works in any checkout of the course)."""
    link.symlink_to(target)


def _notebook_link(folder: Path) -> None:
    # autograder/demo_class/<student>/<assignment>/ -> the course's root is 4 folders up
    _link(folder / f"{ASSIGNMENT}.ipynb", f"../../../../solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")


def _student_link(folder: Path) -> None:
    student = folder.parent
    folder.rmdir()
    student.rmdir()
    _link(student, "../../solutions")


def _extra_file_links(folder: Path) -> None:
    cells.write(notebook(right=("batchnorm_forward", "identity_params")),
                folder / f"{ASSIGNMENT}.ipynb")
    _link(folder / "timestamp.txt", "../../../../grading-demo/.grading-key")
    _link(folder / "submission_secret.txt", "/etc/shadow")


def _too_many_cells(folder: Path) -> None:
    nb = notebook()
    from ..grading.prepare import MAX_CELLS

    for k in range(MAX_CELLS + 1 - len(nb.cells)):
        extra = nbformat.v4.new_raw_cell("")
        extra["id"] = f"extra-{k}"
        nb.cells.append(extra)
    cells.write(nb, folder / f"{ASSIGNMENT}.ipynb")


def _escapes(folder: Path) -> None:
    nb = notebook()
    fake = nbformat.v4.new_code_cell("print('bonus points')")
    fake["id"] = "bonus"
    fake.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": ESCAPES, "points": 10, "schema_version": 3}
    nb.cells.append(fake)
    cells.write(nb, folder / f"{ASSIGNMENT}.ipynb")


def _malformed(folder: Path) -> None:
    text = nbformat.writes(notebook(right=("batchnorm_forward", "identity_params")))
    (folder / f"{ASSIGNMENT}.ipynb").write_text(text[: len(text) // 2])  # cut off mid-way


def _missing(folder: Path) -> None:
    (folder / "notes.txt").write_text("I will upload my notebook tomorrow.\n")


def _wrong_folder(folder: Path) -> None:
    wrong = folder.parent / "03_bn_forwrd"
    wrong.mkdir()
    cells.write(notebook(right=("batchnorm_forward", "identity_params")),
                wrong / "03_bn_forwrd.ipynb")
    folder.rmdir()
