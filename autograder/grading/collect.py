"""Find what to grade in a folder of submissions, and say why anything cannot be graded.

The layout is nbgrader's: ``<student>/<assignment>/<assignment>.ipynb`` (what
``nbgrader collect`` and ``zip_collect`` produce). Everything found becomes a
:class:`Submission`: either a notebook to grade, or a reason it cannot be graded, so that
every student folder ends up as a row of the grades table. Common slips are graded anyway
and flagged: a notebook renamed (the only one in its folder), a notebook dropped straight
into the student's folder.

Nothing is followed out of the submissions folder: every entry is looked at without
following links (``safefiles``), and a link or special file anywhere in a submission (the
student's folder, the assignment's folder, the notebook, a file beside it) makes that
submission a row with the reason, never read. The names found are kept as they are (the
grades table and the pages make them safe to show, see ``sanitize``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..safety import safefiles

UNKNOWN = "unknown assignment"
MISSING = "missing notebook"
UNSAFE = "link or special file"


@dataclass
class Submission:
    student: str
    assignment: str
    notebook: Path | None = None   # the notebook to grade
    folder: Path | None = None     # its folder (copied for the kernel to work in)
    reason: str | None = None      # why it cannot be graded (the row's status)
    notes: list[str] = field(default_factory=list)
    root: Path | None = None       # the submissions folder (nothing is read outside it)


def _visible(name: str) -> bool:
    return not name.startswith(".") and not name.startswith("__")


def _notebooks(listed: list[tuple[str, str]]) -> list[str]:
    return [name for name, what in listed
            if what == "file" and name.endswith(".ipynb") and _visible(name)]


def _links(listed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, what) for name, what in listed if what not in ("file", "folder")]


def collect(submissions: Path, known: list[str] | None = None) -> tuple[list[Submission], list[str]]:
    """(submissions, names of top-level entries that are not student folders)."""
    if not submissions.is_dir():
        raise FileNotFoundError(f"{submissions} is not a folder of submissions "
                                "(expected <student>/<assignment>/<assignment>.ipynb)")
    submissions = submissions.resolve()
    known = list(paths.assignments() if known is None else known)
    found: list[Submission] = []
    top = [(name, what) for name, what in safefiles.entries(submissions, submissions)
           if _visible(name)]
    ignored = [name for name, what in top if what == "file"]
    for student, what in top:
        if what == "file":
            continue
        if what != "folder":  # a link (to solutions/?) or a special file posing as a student
            found.append(Submission(student, "", reason=UNSAFE, notes=[
                str(safefiles.refusal(student, what))]))
            continue
        try:
            mine = _student(submissions, student, known)
        except (OSError, safefiles.Unsafe) as exc:
            mine = [Submission(student, "", reason=UNSAFE, notes=[_why(exc, student)])]
        found += mine
    for sub in found:
        sub.root = submissions
    return found, ignored


def _student(submissions: Path, student: str, known: list[str]) -> list[Submission]:
    student_dir = submissions / student
    try:
        listed = safefiles.entries(submissions, student_dir)
    except (OSError, safefiles.Unsafe) as exc:
        return [Submission(student, "", reason=UNSAFE, notes=[_why(exc, student)])]
    mine = [_assignment(submissions, student, name, known) for name, what in listed
            if what == "folder" and _visible(name)]
    stray = []  # links and special files in the student's folder, but not in an assignment's
    for name, what in listed:
        stem = name[:-len(".ipynb")] if name.endswith(".ipynb") else name
        if what in ("file", "folder"):
            continue
        refused = str(safefiles.refusal(f"{student}/{name}", what))
        if stem in known and stem not in {s.assignment for s in mine}:
            mine.append(Submission(student, stem, reason=UNSAFE, notes=[refused]))
        else:
            stray.append(refused)
    if stray:
        mine.append(Submission(student, "", reason=UNSAFE, notes=stray))
    graded = {s.assignment for s in mine}
    for nb in _notebooks(listed):  # a notebook not in an assignment folder
        stem = nb[:-len(".ipynb")]
        if stem in known and stem not in graded:
            sub = Submission(student, stem, student_dir / nb, student_dir, notes=[
                f"{nb} was not in a {stem}/ folder; graded anyway"])
            graded.add(stem)
            mine.append(_checked(submissions, sub))
    if not mine:
        mine.append(Submission(student, "", reason=MISSING,
                               notes=["the student's folder holds no assignment folder"]))
    return mine


def _why(exc: Exception, where: str) -> str:
    if isinstance(exc, safefiles.Unsafe):
        return str(exc)
    return f"{where} cannot be read ({type(exc).__name__})"


def _checked(submissions: Path, sub: Submission) -> Submission:
    """``sub``, or a row with the reason when the folder copied for its kernel holds a link
    or a special file anywhere, or is too large to copy."""
    try:
        problem = safefiles.problem_in_tree(submissions, sub.folder)
    except (OSError, safefiles.Unsafe) as exc:
        problem = exc if isinstance(exc, safefiles.Unsafe) else safefiles.Unsafe(
            _why(exc, f"{sub.student}/{sub.assignment}"))
    if problem is not None:
        return Submission(sub.student, sub.assignment, reason=problem.status,
                          notes=sub.notes + [str(problem)])
    return sub


def _assignment(submissions: Path, student: str, name: str, known: list[str]) -> Submission:
    if name not in known:
        return Submission(student, name, reason=UNKNOWN, notes=[
            f"'{name}' is not an assignment of the course"])
    work = submissions / student / name
    listed = safefiles.entries(submissions, work)
    kinds = dict(listed)
    expected = f"{name}.ipynb"
    if kinds.get(expected) == "file":
        return _checked(submissions, Submission(student, name, work / expected, work))
    if expected in kinds:  # a link or special file where the notebook should be
        return Submission(student, name, reason=UNSAFE, notes=[
            str(safefiles.refusal(f"{student}/{name}/{expected}", kinds[expected]))])
    notebooks = _notebooks(listed)
    if len(notebooks) == 1:
        return _checked(submissions, Submission(student, name, work / notebooks[0], work, notes=[
            f"graded {notebooks[0]}: the notebook should be named {name}.ipynb"]))
    if notebooks:
        return Submission(student, name, reason=MISSING, notes=[
            f"no {name}.ipynb, and several other notebooks ({', '.join(notebooks)}): which one "
            "to grade?"])
    links = [n for n, what in _links(listed) if n.endswith(".ipynb")]
    if links:
        return Submission(student, name, reason=UNSAFE, notes=[
            str(safefiles.refusal(f"{student}/{name}/{links[0]}", dict(listed)[links[0]]))])
    return Submission(student, name, reason=MISSING, notes=[f"no {name}.ipynb in the folder"])
