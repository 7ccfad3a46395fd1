"""Navigation of the student notebooks, written by ``generate`` (never by hand).

Each student notebook gets a "previous | contents | next" cell at its top and bottom, and
``notebooks/00_index.ipynb`` lists the course. Titles and times are read from the source
notebooks (their ``# `` heading and their "**Estimated time**" line).

Every word navigation writes is in :data:`TEXTS`, keyed by a context: a translated edition
(``editions.py``) passes ``words``, which gives each text in its language (from the
course catalogue, ``translations/<lang>/course.po``), and reads titles and times from the
translated notebooks. :data:`EDITION_TEXTS` are the texts only a translated edition
carries (in its contents, and the note under each notebook's top navigation). Without ``words``, everything is the English edition's, as before.
"""

from __future__ import annotations

import re

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

from .. import paths

NAV_TAG = "course-navigation"
INDEX = "00_index.ipynb"

#: every text navigation writes in the English edition, keyed by its context in a catalogue;
#: ``{notebooks}`` is the edition's folder (``notebooks``, ``notebooks/ko``)
TEXTS = {
    "nav-contents": "Contents",
    "estimated-time": "Estimated time",
    "index-title": "Batch Normalization, from scratch",
    "index-welcome": """Welcome. In these notebooks you write batch normalization and its family yourself in numpy,
check each piece against PyTorch, and see on real handwritten digits what it does.""",
    "index-table-head": "| # | notebook | time |",
    "index-how-to-work": """**How to work.** Open a notebook, read, and fill in each function where it says
`# YOUR CODE HERE`. Run its cell, then the test cell below it: a failing check tells you
which case failed and, often, the likely mistake. When a notebook is done, check it with
the hidden tests too, from a terminal in the course folder:

```
.venv/bin/python -m autograder check {notebooks}/03_bn_forward/03_bn_forward.ipynb
```

or press **Validate** in the notebook's toolbar.""",
}
#: what a translated edition's contents says besides (the English edition needs neither):
#: each text comes before a table of the language's GLOSSARY.md (``editions.py``)
EDITION_TEXTS = {
    "index-terms": """**Terms.** The words this course uses for ideas that are easily confused; a notebook gives the
English term beside each the first time it uses it. Standardization, normalization,
regularization and generalization are four different ideas, and what batch normalization,
the subject of the course, actually does is standardization. The table says what each term
means and what to watch for.""",
    "index-messages": """**Check messages stay in English.** The messages of the checks (what a failing test cell
prints, what `check` and the grader report) are the same in every edition of the course, so
that the same code gets the same result in each. The words a message uses:""",
    # under the top navigation of each notebook of a translated edition: said once per notebook
    "nav-messages": """*Check messages are in English, as in every edition: the [contents](../00_index.ipynb) has
a table of the words they use.*""",
}


def english(context: str) -> str:
    """The English edition's text for ``context``."""
    return TEXTS.get(context) or EDITION_TEXTS[context]


def _heading(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return ""


def _time(nb, label: str = TEXTS["estimated-time"]) -> str:
    """The notebook's "**Estimated time**: ..." (``label`` in a translated edition; a cell
    not translated yet still says it in English)."""
    for word in dict.fromkeys([label, TEXTS["estimated-time"]]):
        for cell in nb.cells:
            m = re.search(rf"\*\*{re.escape(word)}\*\*\s*:?\s*([^\n.]+)", cell.source)
            if m:
                return m.group(1).strip()
    return ""


def course(translate=None, words=english) -> list[dict]:
    """Every assignment in order, with its title and estimated time.

    ``translate(nb, name)`` gives a translated edition's version of a source notebook, whose
    heading and time line (labelled ``words("estimated-time")``) the entries then carry.
    """
    entries = []
    for name in paths.assignments():
        nb = nbformat.read(paths.source_notebook(name), as_version=4)
        if translate is not None:
            nb = translate(nb, name)
        entries.append({"name": name, "title": _heading(nb) or name,
                        "time": _time(nb, words("estimated-time"))})
    return entries


def _link(entry: dict) -> str:
    return f"[{entry['title']}](../{entry['name']}/{entry['name']}.ipynb)"


def nav_cell(name: str, entries: list[dict], words=english):
    names = [e["name"] for e in entries]
    i = names.index(name)
    parts = []
    if i > 0:
        parts.append("← " + _link(entries[i - 1]))
    parts.append(f"[{words('nav-contents')}](../{INDEX})")
    if i + 1 < len(entries):
        parts.append(_link(entries[i + 1]) + " →")
    cell = new_markdown_cell(" | ".join(parts))
    cell.metadata["tags"] = [NAV_TAG]
    return cell


def add_navigation(nb, name: str, entries: list[dict], words=english, note: str = ""):
    """Replace any navigation cells with fresh ones at the top and the bottom; ``note``
    (a translated edition's) is said once, under the top one."""
    nb.cells = [c for c in nb.cells if NAV_TAG not in c.get("metadata", {}).get("tags", [])]
    top, bottom = nav_cell(name, entries, words), nav_cell(name, entries, words)
    if note:
        top["source"] += "\n\n" + note
    top["id"], bottom["id"] = "course-nav-top", "course-nav-bottom"
    nb.cells = [top, *nb.cells, bottom]
    return nb


def index_notebook(entries: list[dict], words=english, notebooks: str = "notebooks",
                   extra=()):
    """The contents notebook: title, welcome, the table of notebooks, how to work.

    ``words`` and ``notebooks`` (the edition's folder, as the check command names it) make a
    translated edition's; ``extra`` are ``(cell id, markdown)`` cells added after it.
    """
    rows = "\n".join(f"| {e['name'][:2]} | [{e['title']}]({e['name']}/{e['name']}.ipynb) | {e['time']} |"
                     for e in entries)
    head = words("index-table-head")
    separator = "|---" * head.count("|", 1) + "|"
    how = words("index-how-to-work").replace("{notebooks}", notebooks)
    text = f"""# {words("index-title")}

{words("index-welcome")}

{head}
{separator}
{rows}

{how}
"""
    cell = new_markdown_cell(text)
    cell["id"] = "course-index"
    more = []
    for cell_id, source in extra:
        more.append(new_markdown_cell(source))
        more[-1]["id"] = cell_id
    nb = new_notebook(cells=[cell, *more])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def texts() -> list:
    """What the course catalogue translates: every text of :data:`TEXTS` and
    :data:`EDITION_TEXTS`, as ``translations.Text`` (context, English)."""
    from .translations import Text

    return [Text(context, english) for context, english in {**TEXTS, **EDITION_TEXTS}.items()]
