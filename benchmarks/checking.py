"""``python -m autograder check`` on each solution notebook, next to its floor.

Both are timed the same way: a fresh process from start to exit, median over the runs.
The floor (``benchmarks/floor.py``) starts a kernel and runs the notebook's imports; the
budget is a check within 2x its floor.
"""

from __future__ import annotations

import json

from autograder import paths

from .measure import Row, log, median, python, timed_run

RATIO_BUDGET = 2.0


def measure(repeat: int) -> list[Row]:
    rows = []
    for a in paths.assignments():
        nb = str(paths.source_notebook(a))
        checks, floors = [], []
        for r in range(repeat):  # alternate, so a slow moment of the machine hits both
            seconds, done = timed_run(python("-m", "autograder", "check", nb, "--json"))
            report = json.loads(done.stdout)
            if report["score"] != report["max_score"]:
                raise RuntimeError(f"check of the solution of {a} scored {report['score']} of "
                                   f"{report['max_score']}")
            checks.append(seconds)
            floors.append(timed_run(python("-m", "benchmarks.floor", nb))[0])
            log(f"  check, run {r + 1}/{repeat}: {a} {checks[-1]:.1f} s (floor {floors[-1]:.1f} s)")
        check_s, floor_s = median(checks), median(floors)
        ratio = check_s / floor_s
        rows.append(Row("check", f"{a}: check", check_s, "s", checks))
        rows.append(Row("check", f"{a}: floor", floor_s, "s", floors))
        rows.append(Row("check", f"{a}: check / floor", ratio, "x", [],
                        f"<= {RATIO_BUDGET:g}x", ratio <= RATIO_BUDGET))
    return rows
