"""``python -m autograder grade`` on the bundled demo class, with 1 and 2 workers.

The demo class (``autograder/demo_class``) is made-up students, one per situation the
grader handles (36 of them), hostile ones included; those that loop forever cost the
demo's 20-second cell time limit each. Each run grades into a fresh folder (so each draws
a fresh grading key) and must reproduce the class's expected grades, or the timing is not
reported. A submission here is one notebook the grader ran (a row with a score).

This section has no budget, and one run of the class takes minutes, so it runs the class
once per worker count whatever ``--repeat`` says (``RUNS``); the term section is where
grading's cost is judged.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from .measure import Row, log, median, python, timed_run

WORKERS = (1, 2)
RUNS = 1  # information only: one run per worker count (see the docstring)


def graded_notebooks(grades: Path) -> tuple[int, int]:
    """(notebooks the grader ran, rows in the grades table)."""
    with open(grades, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return sum(1 for row in rows if row["score"] != ""), len(rows)


def measure(repeat: int) -> list[Row]:
    repeat = min(repeat, RUNS)
    rows = []
    for workers in WORKERS:
        seconds, counts = [], []
        for r in range(repeat):
            with tempfile.TemporaryDirectory(prefix="bn-bench-grade-") as scratch:
                out = Path(scratch) / "grades.csv"
                took, _ = timed_run(python("-m", "autograder", "grade", "--workers",
                                           str(workers), "--output", str(out)))
                seconds.append(took)
                counts.append(graded_notebooks(out))
            log(f"  grade, run {r + 1}/{repeat}: {workers} worker(s) {took:.1f} s, "
                f"{counts[-1][0]} notebooks")
        n, total = counts[0]
        wall = median(seconds)
        rows.append(Row("grade", f"demo class, {workers} worker(s): wall time", wall, "s", seconds,
                        note=f"{n} notebooks run, {total} rows in the grades table"))
        rows.append(Row("grade", f"demo class, {workers} worker(s): per submission", wall / n, "s",
                        [s / n for s in seconds]))
        rows.append(Row("grade", f"demo class, {workers} worker(s): throughput", 60 * n / wall,
                        "notebooks/min", [60 * n / s for s in seconds]))
    return rows
