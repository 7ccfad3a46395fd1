"""``python -m autograder merge``: the shards of a class, graded apart, into one result.

1. ``locate``  the shards' folders (given one by one, by a file in them, or by the folder
               that holds them);
2. ``check``   that they belong together: the same N and each K from 1 to N once, the same
               class, key, checkout of the course, limits and sandbox, each holding
               exactly its students;
3. ``results.write`` everything into the final folder, as one run would have: the
               instructor's hand-graded points come from *its* ``manual-scores.csv``, so
               merging again after filling them in adds them up, as grading again would;
4. ``gradebook.record`` the whole class in nbgrader's gradebook (the shards never write
               it): once, by the merge, as one run would.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..grading import keys
from ..grading.grade import Outcome
from ..records import gradebook as nbgrader_gradebook
from ..records import report, results
from . import shards


def merge(sources: list[str | Path], output: str | Path, log=print,
          gradebook: nbgrader_gradebook.Target | None = None) -> Outcome:
    """Merge the shards found in ``sources`` into the grades CSV ``output`` and its folder
    (and, with ``gradebook``, record the whole class in that nbgrader gradebook, once)."""
    started = time.monotonic()
    output = Path(output).resolve()
    out_dir = output.parent
    folders = locate([Path(s) for s in sources] or [out_dir / "shards"])
    if out_dir in folders or any(f in out_dir.parents for f in folders):
        raise ValueError(f"write the merged grades outside the shards' folders (not {output})")
    found = [shards.read_manifest(f) for f in folders]
    check(found)
    _check_final_key(found[0], out_dir)
    for m in found:
        if _has_points(m.folder / "manual-scores.csv"):
            log(f"warning: {m.folder / 'manual-scores.csv'} has points filled in; the merge "
                f"reads only {out_dir / 'manual-scores.csv'}: record them there")
    everyone = sorted(found, key=lambda m: m.shard.index)
    graded = [g for m in everyone for g in m.graded]
    rows = results.write(graded, output)
    recorded = nbgrader_gradebook.record(graded, gradebook, log) if gradebook else ""
    first = everyone[0]
    timing = (f"from {len(found)} shard(s), graded in "
              + " + ".join(f"{m.seconds:.1f}" for m in everyone) + " s")
    text = report.summary(rows, first.ignored, first.sandbox_message, timing)
    return Outcome(report.sort_rows(rows), output, text, first.sandbox,
                   time.monotonic() - started, gradebook=recorded)


def locate(paths: list[Path]) -> list[Path]:
    """The shard folders named by ``paths``: a shard's folder, a file in it (its grades.csv
    or shard.json), or a folder of shard folders. Each once, resolved."""
    folders: list[Path] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such shard folder or file")
        folder = path if path.is_dir() else path.parent
        if (folder / shards.MANIFEST).is_file():
            inside = [folder]
        else:
            inside = sorted(p.parent for p in folder.glob(f"*/{shards.MANIFEST}"))
            if not inside:
                raise FileNotFoundError(f"{path}: no {shards.MANIFEST} in it or in the folders "
                                        "in it: not a shard's folder, or its shard has not "
                                        "finished")
        folders += [f.resolve() for f in inside if f.resolve() not in folders]
    return folders


def check(found: list[shards.Manifest]) -> None:
    """Raise ValueError, naming the problem, unless the shards make one whole class."""
    first = found[0]
    counts = sorted({m.shard.count for m in found})
    if len(counts) > 1:
        raise ValueError("the shards were cut differently (N = " + ", ".join(map(str, counts))
                         + "): " + _names(found) + "; merge the shards of one grading only (name "
                         "their folders, or remove the old ones)")
    n = counts[0]
    seen: dict[int, shards.Manifest] = {}
    for m in found:
        if m.shard.index in seen:
            raise ValueError(f"shard {m.shard.index} of {n} is given twice: "
                             f"{seen[m.shard.index].folder} and {m.folder}")
        seen[m.shard.index] = m
    missing = [k for k in range(1, n + 1) if k not in seen]
    if missing:
        raise ValueError(f"shard(s) {', '.join(map(str, missing))} of {n} missing (found: "
                         f"{_names(found)}): grade each with --shard K/{n} and merge again")
    for m in found:
        where = f"shard {m.shard.name} ({m.folder})"
        if (m.students, m.ignored) != (first.students, first.ignored):
            only = sorted(set(m.students) ^ set(first.students))
            raise ValueError(f"{where} saw another class than shard {first.shard.name}"
                             + (f" (students in one only: {', '.join(only[:10])})" if only
                                else " (other files beside the students' folders)")
                             + "; grade every shard from the same submissions")
        if m.key != first.key:
            raise ValueError(f"{where} was graded with another grading key than shard "
                             f"{first.shard.name}: grade every shard with the same --key")
        if m.checkout != first.checkout:
            raise ValueError(f"{where} was graded from another checkout of the course than "
                             f"shard {first.shard.name} (fingerprint {m.checkout}, not "
                             f"{first.checkout}: solutions/, notebooks/, course_utils/ or the "
                             "grader differ); grade every shard from the same commit")
        if m.limits != first.limits:
            other = ", ".join(f"{k} {m.limits.get(k)} (not {v})" for k, v in first.limits.items()
                              if m.limits.get(k) != v)
            raise ValueError(f"{where} was graded with other limits than shard "
                             f"{first.shard.name}: {other}; grade every shard with the same "
                             "--timeout, --notebook-timeout, --memory and --all")
        if m.sandbox != first.sandbox:
            off = m if not m.sandbox else first
            raise ValueError(f"shard {off.shard.name} ({off.folder}) ran without the sandbox "
                             "and others with it: grade it again where the sandbox works")
        mine = {g.row.student for g in m.graded}
        if mine != set(m.shard.students(m.students)):
            raise ValueError(f"{where} holds other students than shard {m.shard.name} of this "
                             "class should")


def _check_final_key(first: shards.Manifest, out_dir: Path) -> None:
    """The final folder's own key, if it has one, must be the shards' (or grading into it
    again would draw other hidden seeds than the merged grades were made with)."""
    path = out_dir / keys.FILE_NAME
    if path.exists() and keys.fingerprint(keys.load(path)) != first.key:
        raise ValueError(f"the shards were graded with another key than {path}: merge into "
                         "the folder whose key they used (or into a new folder)")


def _has_points(path: Path) -> bool:
    return path.is_file() and any(str(line.get("points") or "").strip()
                                  for line in report.read_csv(path))


def _names(found: list[shards.Manifest]) -> str:
    return ", ".join(m.shard.name for m in sorted(found, key=lambda m: m.shard.index))
