"""The benchmark report: markdown tables with every budget marked PASS or FAIL."""

from __future__ import annotations

import datetime

from .measure import Row

TITLES = {
    "notebooks": "Solution notebooks, top to bottom (fresh kernel, every cell)",
    "check": "`python -m autograder check` against its floor (fresh process each)",
    "floor": "Grading's floor: a sandboxed kernel and the import cell, per notebook",
    "grade": "`python -m autograder grade` on the demo class",
    "term": "A term: stock nbgrader, `grade --all` and `grade` on the same class, side by side",
    "kernels": "Batch norm forward+backward, float64: numpy reference vs torch CPU",
    "startup": "Cold start: first import in a fresh process",
}


def _number(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "s":
        if value < 0.1:
            return f"{value * 1e3:.0f} ms"
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "notebooks" or unit.startswith("of "):
        return f"{value:.0f} {unit}"
    return f"{value:.1f} {unit}"


def _runs(row: Row) -> str:
    if len(row.runs) < 2:
        return ""
    return f"{_number(min(row.runs), row.unit)} – {_number(max(row.runs), row.unit)}"


def markdown(rows: list[Row], machine: dict, repeat: int, seconds: float,
             failures: dict[str, str], command: str) -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    lines = [
        "# Benchmarks: what the course costs",
        "",
        f"Produced by `{command}` on {stamp}, in {seconds / 60:.1f} minutes. "
        + (f"Each figure is the median of {repeat} runs (their range beside it)" if repeat > 1
           else "Each figure is from a single run")
        + "; budgets are checked here, not in the tests.",
        "",
        f"- Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB, "
        f"{machine['os']}, Python {machine['python']}",
        f"- Versions: {versions}",
        "",
    ]
    budgeted = [r for r in rows if r.passed is not None]
    failed = [r for r in budgeted if not r.passed]
    lines += [f"**Budgets: {len(budgeted) - len(failed)} of {len(budgeted)} pass.**"
              + ("" if not failed else " Failing: " + "; ".join(
                  f"{r.section} {r.what} ({_number(r.value, r.unit)}, budget {r.budget})"
                  for r in failed) + "."), ""]
    for section, title in TITLES.items():
        mine = [r for r in rows if r.section == section]
        if not mine and section not in failures:
            continue
        lines += [f"## {title}", ""]
        if section in failures:
            lines += [f"Not measured: {failures[section]}", ""]
            continue
        lines += ["| what | median | runs | budget | verdict | note |",
                  "|---|---:|---|---|---|---|"]
        for r in mine:
            lines.append(f"| {r.what} | {_number(r.value, r.unit)} | {_runs(r)} | {r.budget} "
                         f"| {r.verdict} | {r.note} |")
        lines.append("")
    return "\n".join(lines)
