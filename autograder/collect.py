"""Find what to grade in a folder of submissions, and say why anything cannot be graded.

The layout is nbgrader's: ``<student>/<assignment>/<assignment>.ipynb`` (what
``nbgrader collect`` and ``zip_collect`` produce). Everything found becomes a
:class:`Submission`: either a notebook to grade, or a reason it cannot be graded, so that
every student folder ends up as a row of the grades table. Common slips are graded anyway
and flagged: a notebook renamed (the only one in its folder), a notebook dropped straight
into the student's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import paths

UNKNOWN = "unknown assignment"
MISSING = "missing notebook"


@dataclass
class Submission:
    student: str
    assignment: str
    notebook: Path | None = None   # the notebook to grade
    folder: Path | None = None     # its folder (copied for the kernel to work in)
    reason: str | None = None      # why it cannot be graded (the row's status)
    notes: list[str] = field(default_factory=list)


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and not path.name.startswith("__")


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".ipynb"
                  and _visible(p))


def collect(submissions: Path, known: list[str] | None = None) -> tuple[list[Submission], list[str]]:
    """(submissions, names of top-level entries that are not student folders)."""
    if not submissions.is_dir():
        raise FileNotFoundError(f"{submissions} is not a folder of submissions "
                                "(expected <student>/<assignment>/<assignment>.ipynb)")
    known = list(paths.assignments() if known is None else known)
    found: list[Submission] = []
    ignored = [p.name for p in sorted(submissions.iterdir()) if _visible(p) and not p.is_dir()]
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir() and _visible(p)):
        student = student_dir.name
        mine = [_assignment(student, work, known)
                for work in sorted(p for p in student_dir.iterdir() if p.is_dir() and _visible(p))]
        graded = {s.assignment for s in mine}
        for nb in _notebooks(student_dir):  # a notebook not in an assignment folder
            if nb.stem in known and nb.stem not in graded:
                mine.append(Submission(student, nb.stem, nb, student_dir, notes=[
                    f"{nb.name} was not in a {nb.stem}/ folder; graded anyway"]))
        if not mine:
            mine.append(Submission(student, "", reason=MISSING,
                                   notes=["the student's folder holds no assignment folder"]))
        found += mine
    return found, ignored


def _assignment(student: str, work: Path, known: list[str]) -> Submission:
    name = work.name
    if name not in known:
        return Submission(student, name, reason=UNKNOWN, notes=[
            f"'{name}' is not an assignment of the course"])
    expected = work / f"{name}.ipynb"
    if expected.is_file():
        return Submission(student, name, expected, work)
    notebooks = _notebooks(work)
    if len(notebooks) == 1:
        return Submission(student, name, notebooks[0], work, notes=[
            f"graded {notebooks[0].name}: the notebook should be named {name}.ipynb"])
    if notebooks:
        listed = ", ".join(p.name for p in notebooks)
        return Submission(student, name, reason=MISSING, notes=[
            f"no {name}.ipynb, and several other notebooks ({listed}): which one to grade?"])
    return Submission(student, name, reason=MISSING, notes=[f"no {name}.ipynb in the folder"])
