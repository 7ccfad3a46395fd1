"""Each solution notebook run top to bottom, as a learner runs it, and the whole course.

A run is what "Run All" costs: a fresh kernel, every cell in order (figures, training runs),
on a scratch copy of the notebook's folder (``autograder.selfstudy.execute.run_notebook``). A run
that shows an error is reported, not timed as if it were fine.
"""

from __future__ import annotations

import time

import nbformat

from autograder import paths
from autograder.selfstudy.execute import run_notebook

from .measure import Row, log, median

#: seconds, top to bottom on a 2-core machine: the budgets the notebooks' issues set
BUDGETS = {"01": 30, "02": 30, "03": 15, "04": 40, "05": 40, "06": 60, "07": 60, "08": 120}
COURSE_BUDGET = 300.0  # the whole course, seconds


def errors(nb) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}")
    return found


def run_once(assignment: str) -> float:
    path = paths.source_notebook(assignment)
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    run = run_notebook(nb, folder=path.parent, timeout=600)
    seconds = time.perf_counter() - started
    problems = errors(run.nb) + ([run.problem] if run.problem else [])
    if problems:
        raise RuntimeError(f"{assignment} did not run clean: {'; '.join(problems[:3])}")
    return seconds


def measure(repeat: int) -> list[Row]:
    assignments = paths.assignments()
    times: dict[str, list[float]] = {a: [] for a in assignments}
    totals = []
    for r in range(repeat):
        total = 0.0
        for a in assignments:
            seconds = run_once(a)
            times[a].append(seconds)
            total += seconds
            log(f"  notebooks, run {r + 1}/{repeat}: {a} {seconds:.1f} s")
        totals.append(total)
    rows = []
    for a in assignments:
        budget = BUDGETS.get(a[:2])
        value = median(times[a])
        rows.append(Row("notebooks", a, value, "s", times[a],
                        f"< {budget} s" if budget else "",
                        None if budget is None else value < budget))
    value = median(totals)
    rows.append(Row("notebooks", "whole course (sum of one run of each)", value, "s", totals,
                    f"< {COURSE_BUDGET:.0f} s", value < COURSE_BUDGET))
    return rows
