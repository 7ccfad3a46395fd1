"""Navigation of the student notebooks, written by ``generate`` (never by hand).

Each student notebook gets a "previous | contents | next" cell at its top and bottom, and
``notebooks/00_index.ipynb`` lists the course. Titles and times are read from the source
notebooks (their ``# `` heading and their "**Estimated time**" line).
"""

from __future__ import annotations

import re

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

from . import paths

NAV_TAG = "course-navigation"
INDEX = "00_index.ipynb"


def _heading(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def _time(nb) -> str:
    for cell in nb.cells:
        m = re.search(r"\*\*Estimated time\*\*\s*:?\s*([^\n.]+)", cell.source)
        if m:
            return m.group(1).strip()
    return ""


def course() -> list[dict]:
    """Every assignment in order, with its title and estimated time."""
    entries = []
    for name in paths.assignments():
        nb = nbformat.read(paths.source_notebook(name), as_version=4)
        entries.append({"name": name, "title": _heading(nb) or name, "time": _time(nb)})
    return entries


def _link(entry: dict) -> str:
    return f"[{entry['title']}](../{entry['name']}/{entry['name']}.ipynb)"


def nav_cell(name: str, entries: list[dict]):
    names = [e["name"] for e in entries]
    i = names.index(name)
    parts = []
    if i > 0:
        parts.append("← " + _link(entries[i - 1]))
    parts.append(f"[Contents](../{INDEX})")
    if i + 1 < len(entries):
        parts.append(_link(entries[i + 1]) + " →")
    cell = new_markdown_cell(" | ".join(parts))
    cell.metadata["tags"] = [NAV_TAG]
    return cell


def add_navigation(nb, name: str, entries: list[dict]):
    """Replace any navigation cells with fresh ones at the top and the bottom."""
    nb.cells = [c for c in nb.cells if NAV_TAG not in c.get("metadata", {}).get("tags", [])]
    top, bottom = nav_cell(name, entries), nav_cell(name, entries)
    top["id"], bottom["id"] = "course-nav-top", "course-nav-bottom"
    nb.cells = [top, *nb.cells, bottom]
    return nb


def index_notebook(entries: list[dict]):
    rows = "\n".join(f"| {e['name'][:2]} | [{e['title']}]({e['name']}/{e['name']}.ipynb) | {e['time']} |"
                     for e in entries)
    text = f"""# Batch Normalization, from scratch

Welcome. In these notebooks you write batch normalization and its family yourself in numpy,
check each piece against PyTorch, and see on real handwritten digits what it does.

| # | notebook | time |
|---|---|---|
{rows}

**How to work.** Open a notebook, read, and fill in each function where it says
`# YOUR CODE HERE`. Run its cell, then the test cell below it: a failing check tells you
which case failed and, often, the likely mistake. When a notebook is done, check it with
the hidden tests too, from a terminal in the course folder:

```
.venv/bin/python -m autograder check notebooks/03_bn_forward/03_bn_forward.ipynb
```

or press **Validate** in the notebook's toolbar.
"""
    cell = new_markdown_cell(text)
    cell["id"] = "course-index"
    nb = new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb
