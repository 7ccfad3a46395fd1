"""A term: a generated class graded three ways in one run, stock nbgrader as the anchor.

The class (``benchmarks.classes``): S students x the eight notebooks, mostly right, some
partly wrong, some left as stubs, one crash, one endless loop. It is graded, one core each
(one nbgrader process, one grading worker), with the same per-cell time limit:

1. **stock nbgrader**: ``nbgrader generate_assignment`` then ``nbgrader autograde`` per
   assignment, in a scratch course folder set up as an instructor would (its own
   ``nbgrader_config.py``, ``source/``, ``submitted/``, a gradebook). nbgrader runs every
   cell, tests included, inside the student's kernel;
2. **grade --all**: the course's grader running every cell (what ``grade`` did before it
   learned to skip: the baseline of the speed-up);
3. **grade**: selective runs, kept at full marks, graded again with every cell otherwise.

Each is timed from start to exit, in wall time and in CPU time of everything it started
(``benchmarks.cpu``: sandboxed kernels included); per notebook, per core-minute, and
projected to 300 students on this machine. The grades and feedback of 2 and 3 (graded with
the same key) must be the same bytes: the parity of selective grading, over every kind of
submission and all eight notebooks. Each way runs once (``--repeat`` does not apply): the
three together take about 15 minutes on an idle 2-core machine.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from autograder import paths

from . import classes, cpu
from .measure import Row, cores, log, python

STUDENTS = int(os.environ.get("BN_BENCH_TERM_STUDENTS", "3"))
TIMEOUT = int(os.environ.get("BN_BENCH_TERM_TIMEOUT", "60"))  # seconds per cell, all three
PROJECTED = 300   # students
GOAL = 3.0        # selective vs every cell, notebooks per core-minute
RUNS = 1          # each way runs once, whatever --repeat says

NBGRADER_CONFIG = '''\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "bn-from-scratch-term"
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ExecutePreprocessor.timeout = {timeout}
'''

PROGRESS = re.compile(r"^  ([^/\s]+)/(\S+): \S+ / \S+ \((.*)\)$", re.M)


def nbgrader_course(root: Path, class_dir: Path, assignments: list[str]) -> Path:
    """A scratch nbgrader course: config, source/, the gradebook, submitted/ (the class)."""
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(root),
                                                                    timeout=TIMEOUT))
    for a in assignments:
        shutil.copytree(paths.SOLUTIONS / a, root / "source" / a)
    shutil.copytree(class_dir, root / "submitted")
    for a in assignments:  # the gradebook learns the assignment and its test cells
        cpu.run(python("-m", "nbgrader", "generate_assignment", a, "--force"), cwd=root,
                env=_nbgrader_env(root))
    return root


def _nbgrader_env(root: Path) -> dict:
    # only the scratch course's own config (none of the user's ~/.jupyter)
    # and the environment's commands first on PATH (nbgrader runs `alembic` for its gradebook)
    return dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
                PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]),
                MPLBACKEND="module://matplotlib_inline.backend_inline")


def nbgrader_scores(root: Path, kinds: dict) -> dict[tuple[str, str], tuple[float, float]]:
    """(student, assignment) -> (autograded score, its maximum), from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(f"sqlite:///{root}/gradebook.db") as gb:
        for student, assignment in kinds:
            try:
                nb = gb.find_submission_notebook(assignment, assignment, student)
                found[(student, assignment)] = (float(nb.code_score), float(nb.max_code_score))
            except Exception:  # nbgrader recorded no grade for it
                found[(student, assignment)] = (float("nan"), float("nan"))
    return found


def grade(class_dir: Path, out: Path, key: Path, every_cell: bool) -> cpu.Usage:
    args = ["-m", "autograder", "grade", str(class_dir), "-o", str(out / "grades.csv"),
            "--key", str(key), "--workers", "1", "--timeout", str(TIMEOUT)]
    return cpu.run(python(*args, *(["--all"] if every_cell else [])), cwd=out.parent)


def grades(path: Path) -> dict[tuple[str, str], dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {(r["student"], r["assignment"]): r for r in csv.DictReader(f)}


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".grading-key"}


def how_graded(stderr: str) -> Counter:
    """From ``grade``'s progress: how many results were kept from a selective run, how many
    were graded again with every cell, and how many had every cell run from the start."""
    counts = Counter()
    for _, _, how in PROGRESS.findall(stderr):
        counts["kept" if "not needed" in how else "again" if "graded again" in how
               else "every cell"] += 1
    return counts


def measure(repeat: int) -> list[Row]:
    assignments = paths.assignments()
    kinds = classes.mix(STUDENTS, assignments)
    n = len(kinds)
    mix = Counter(kinds.values())
    described = ", ".join(f"{mix[k]} {k}" for k in classes.KINDS if mix[k])
    log(f"  term: {STUDENTS} students x {len(assignments)} notebooks ({described}), "
        f"{TIMEOUT} s per cell")
    with tempfile.TemporaryDirectory(prefix="bn-bench-term-") as scratch:
        scratch = Path(scratch)
        class_dir = classes.write(scratch / "class", kinds)
        course = nbgrader_course(scratch / "nbgrader-course", class_dir, assignments)
        # nbgrader exits 1 when a notebook could not be graded (a dead kernel): timed anyway
        anchor = [cpu.run(python("-m", "nbgrader", "autograde", a, "--force"), cwd=course,
                          env=_nbgrader_env(course), check=False) for a in assignments]
        nbgrader = cpu.Usage(sum(u.wall for u in anchor), sum(u.cpu for u in anchor),
                             all(u.exact for u in anchor), anchor[-1].done)
        log(f"  term: stock nbgrader {nbgrader.wall:.0f} s, CPU {nbgrader.cpu:.0f} s")
        theirs = nbgrader_scores(course, kinds)
        key = scratch / "key"
        cpu.run(python("-m", "autograder", "key", str(key)))
        full = grade(class_dir, scratch / "every-cell", key, every_cell=True)
        log(f"  term: grade --all {full.wall:.0f} s, CPU {full.cpu:.0f} s")
        selective = grade(class_dir, scratch / "selective", key, every_cell=False)
        log(f"  term: grade {selective.wall:.0f} s, CPU {selective.cpu:.0f} s")
        ours_full = grades(scratch / "every-cell" / "grades.csv")
        ours = grades(scratch / "selective" / "grades.csv")
        keys_differ = [k for k in sorted(kinds) if ours.get(k) != ours_full.get(k)]
        differ = [f"{k[0]}/{k[1][:2]} ({kinds[k]})" for k in keys_differ]
        same_rows = n - len(differ)
        a, b = tree(scratch / "every-cell"), tree(scratch / "selective")
        same_files = sum(a.get(p) == b.get(p) for p in set(a) | set(b))
        files = len(set(a) | set(b))
        for k in keys_differ:
            log(f"  term: {k[0]}/{k[1]} differs\n    --all: {ours_full.get(k)}\n"
                f"    grade: {ours.get(k)}")
        agree = sum(abs(float(ours_full[k]["score"] or 0) - theirs[k][0]) < 1e-9 for k in kinds)
        how = how_graded(selective.done.stderr)
    return rows(n, described, nbgrader, full, selective, same_rows, same_files, files, agree,
                how, differ)


def rows(n, described, nbgrader, full, selective, same_rows, same_files, files, agree,
         how, differ=()) -> list[Row]:
    exact = "" if nbgrader.exact and full.exact and selective.exact else (
        "; CPU is a lower bound here (no control group could be made)")
    out = [Row("term", "the class", n, "notebooks", note=f"{STUDENTS} students x 8 notebooks: "
               f"{described}; {TIMEOUT} s per cell; one run of each way, one core each")]
    ways = (("stock nbgrader autograde", nbgrader, "every cell, tests in the student's kernel"),
            ("grade --all (every cell)", full, "the course's grader before selective runs"),
            ("grade (selective)", selective,
             f"{how['kept']} kept from a selective run, {how['again']} graded again with "
             f"every cell" + (f", {how['every cell']} every cell from the start"
                              if how["every cell"] else "")))
    for name, usage, note in ways:
        out.append(Row("term", f"{name}: CPU per notebook", usage.cpu / n, "s",
                       note=note + exact))
        out.append(Row("term", f"{name}: wall time per notebook", usage.wall / n, "s",
                       note=f"{usage.wall / 60:.1f} min for the class"))
        out.append(Row("term", f"{name}: notebooks per core-minute", 60 * n / usage.cpu,
                       "notebooks/min"))
    speedup = full.cpu / selective.cpu
    out.append(Row("term", "grade vs grade --all: notebooks per core-minute", speedup, "x",
                   budget=f">= {GOAL:g}x", passed=speedup >= GOAL,
                   note=f"wall time: {full.wall / selective.wall:.2f}x"))
    out.append(Row("term", "grade vs stock nbgrader: notebooks per core-minute",
                   nbgrader.cpu / selective.cpu, "x",
                   note=f"wall time: {nbgrader.wall / selective.wall:.2f}x"))
    out.append(Row("term", "grade --all vs stock nbgrader: notebooks per core-minute",
                   nbgrader.cpu / full.cpu, "x"))
    for name, usage in (("stock nbgrader", nbgrader), ("grade --all", full),
                        ("grade", selective)):
        core_hours = usage.cpu / n * PROJECTED * 8 / 3600
        out.append(Row("term", f"{PROJECTED} students, projected: {name}", core_hours,
                       "core-hours", note=f"about {core_hours / cores():.1f} h on this "
                       f"machine's {cores()} cores"))
    out.append(Row("term", "verdicts: grades.csv rows the same, grade vs grade --all",
                   same_rows, f"of {n}", budget=f"all {n}", passed=same_rows == n,
                   note="differ: " + ", ".join(differ) if differ else ""))
    out.append(Row("term", "feedback and grades: files the same bytes, grade vs grade --all",
                   same_files, f"of {files}", budget=f"all {files}",
                   passed=same_files == files))
    out.append(Row("term", "scores equal to stock nbgrader's", agree, f"of {n}",
                   note="no budget: nbgrader's hidden tests draw other seeds, and a "
                   "notebook whose kernel dies scores differently there"))
    return out


if __name__ == "__main__":  # a quick look: python -m benchmarks.term
    for row in measure(1):
        print(row.what, round(row.value, 2), row.unit, row.verdict, row.note, file=sys.stderr)
