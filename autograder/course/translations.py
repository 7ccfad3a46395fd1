"""Translations of the course's text: one gettext PO file per notebook and language.

``translations/<lang>/<assignment>.po`` holds one entry per markdown cell of the source
notebook ``solutions/<assignment>/<assignment>.ipynb``:

- ``msgctxt``: the cell's id (stable across edits: ``nb03-004``);
- ``msgid``: the cell's English text, exactly;
- ``msgstr``: its translation.

PO is what Sphinx, Jupyter Book and every translation tool read, and it is plain text: any
editor will do. Code cells are never translated (they, their outputs' wording and all
nbgrader metadata are the same in every edition), and neither is a written-answer cell of
a student version (nbgrader's "YOUR ANSWER HERE" and its checksum stay as released);
the model answers are translated for the reading site.

Besides one catalogue per notebook, each language has a course catalogue,
``translations/<lang>/course.po``: the words the navigation cells and the contents notebook
use (``navigation.TEXTS``), keyed by their context (``nav-contents``, ``index-title``, ...).

When an English cell changes, :func:`update` keeps the old translation, marks the entry
``fuzzy`` and records the English it was made for (``#| msgid``), as ``msgmerge`` does: a
translator sees what changed. :func:`problems` lists what is missing or out of date; the
test suite fails on any of it, so an edition cannot fall behind the English one unnoticed.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib

from .. import paths

TRANSLATIONS = paths.ROOT / "translations"
#: cells written by ``generate`` (navigation): translated through the course catalogue
GENERATED_TAGS = {"course-navigation"}
#: the course catalogue's name: the words of navigation and of the contents notebook
COURSE = "course"
#: a language's folder name: ``ko``, ``pt_BR``
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")


@dataclass(frozen=True)
class Text:
    """One translatable cell: its id and its English text."""

    cell_id: str
    english: str


def catalog_path(lang: str, name: str) -> Path:
    return TRANSLATIONS / lang / f"{name}.po"


def languages() -> list[str]:
    """The languages with a folder of translations, sorted."""
    return sorted(p.name for p in TRANSLATIONS.iterdir() if p.is_dir()) if TRANSLATIONS.is_dir() else []


def texts_of(nb) -> list[Text]:
    """The markdown cells of ``nb`` a translation covers, in order."""
    found = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.get("cell_type") == "markdown" and not tags & GENERATED_TAGS:
            if not cell.get("id"):
                raise ValueError("a markdown cell has no id; nbformat 4.5 ids key the "
                                 "translations (run the notebook through nbformat.validator)")
            found.append(Text(cell["id"], cell.source))
    return found


def source_texts(assignment: str) -> list[Text]:
    return texts_of(nbformat.read(paths.source_notebook(assignment), as_version=4))


def catalogues() -> list[str]:
    """Every catalogue a language has: one per assignment, in course order, then the course's."""
    return [*paths.assignments(), COURSE]


def texts_for(name: str) -> list[Text]:
    """The English that catalogue ``name`` translates (a notebook's, or the course's)."""
    if name == COURSE:
        from . import navigation

        return navigation.texts()
    if name not in paths.assignments():
        raise ValueError(f"no catalogue {name!r}: the catalogues are {', '.join(catalogues())}")
    return source_texts(name)


def _header(lang: str, name: str) -> dict:
    return {"Project-Id-Version": f"bn-from-scratch {name}", "Language": lang,
            "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit"}


def load(lang: str, name: str) -> polib.POFile:
    path = catalog_path(lang, name)
    if not path.exists():
        po = polib.POFile(wrapwidth=0)
        po.metadata = _header(lang, name)
        return po
    return polib.pofile(str(path), wrapwidth=0)


def update(lang: str, name: str, texts: list[Text]) -> dict[str, int]:
    """Bring ``translations/<lang>/<name>.po`` up to date with ``texts`` (the English).

    Returns counts: ``new`` entries (untranslated), ``changed`` (now fuzzy), ``removed``
    (made obsolete), ``kept``.
    """
    po = load(lang, name)
    by_id = {e.msgctxt: e for e in po if not e.obsolete}
    gone = {e.msgctxt: e for e in po if e.obsolete}
    counts = {"new": 0, "changed": 0, "removed": 0, "kept": 0}
    entries = []
    for text in texts:
        entry = by_id.pop(text.cell_id, None)
        if entry is None and text.cell_id in gone:  # a cell that is back brings back its entry
            entry = gone.pop(text.cell_id)
            entry.obsolete = False
        if entry is None:
            entry = polib.POEntry(msgctxt=text.cell_id, msgid=text.english, msgstr="")
            counts["new"] += 1
        elif entry.msgid != text.english:
            if entry.msgstr and "fuzzy" not in entry.flags:
                entry.previous_msgid = entry.msgid
                entry.flags.append("fuzzy")
            entry.msgid = text.english
            counts["changed"] += 1
        else:
            counts["kept"] += 1
        entries.append(entry)
    for entry in by_id.values():  # cells that are gone: kept, commented out
        entry.obsolete = True
        entries.append(entry)
        counts["removed"] += 1
    entries += [e for e in po if e.obsolete and e not in entries]
    out = polib.POFile(wrapwidth=0)
    out.metadata = po.metadata or _header(lang, name)
    for entry in entries:
        out.append(entry)
    path = catalog_path(lang, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.save(str(path))
    return counts


def _current(po) -> dict[tuple[str, str], str]:
    """(context, English) -> translation, for every entry that is translated and not fuzzy."""
    return {(e.msgctxt, e.msgid): e.msgstr for e in po
            if not e.obsolete and "fuzzy" not in e.flags and e.msgstr.strip()}


def status(lang: str, name: str, texts: list[Text]) -> dict[str, int]:
    """How far the translation of ``name`` is: ``cells`` to translate, how many are
    ``translated`` (current), ``outdated`` (fuzzy, or made for other English) and
    ``missing`` (no entry, or an empty one)."""
    by_id = {e.msgctxt: e for e in load(lang, name) if not e.obsolete}
    counts = {"cells": len(texts), "translated": 0, "outdated": 0, "missing": 0}
    for text in texts:
        entry = by_id.get(text.cell_id)
        if entry is None or not entry.msgstr.strip():
            counts["missing"] += 1
        elif entry.msgid != text.english or "fuzzy" in entry.flags:
            counts["outdated"] += 1
        else:
            counts["translated"] += 1
    return counts


def words(lang: str, name: str = COURSE):
    """``tr(context, english)``: the current translation of that entry of catalogue
    ``name``, or ``english`` itself while there is none (as :func:`translate` does for cells)."""
    current = _current(load(lang, name))
    return lambda context, english: current.get((context, english), english)


def glossary_table(lang: str, title: str) -> str:
    """The first markdown table under the heading of ``translations/<lang>/GLOSSARY.md``
    that contains ``title`` (``"Terminology table"``, in any case), exactly as written there."""
    path = TRANSLATIONS / lang / "GLOSSARY.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines)
                  if line.startswith("#") and title.lower() in line.lower()), None)
    if start is None:
        raise ValueError(f"{path.relative_to(paths.ROOT)} has no heading with {title!r}")
    table = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    if len(table) < 3:
        raise ValueError(f"{path.relative_to(paths.ROOT)}: no table under {title!r}")
    return "\n".join(table)


def problems(lang: str, name: str, texts: list[Text]) -> list[str]:
    """What keeps the translation of ``name`` from being complete and current."""
    path = catalog_path(lang, name)
    if not path.exists():
        return [f"{path.relative_to(paths.ROOT)} is missing: run "
                f"`python -m autograder translations update {lang}`"]
    po = load(lang, name)
    by_id = {e.msgctxt: e for e in po if not e.obsolete}
    found = []
    for text in texts:
        entry = by_id.get(text.cell_id)
        where = f"{name} cell {text.cell_id}"
        if entry is None:
            found.append(f"{where}: no entry (run `translations update {lang}`)")
        elif entry.msgid != text.english:
            found.append(f"{where}: the entry translates other English (run `translations "
                         f"update {lang}`, then revise it)")
        elif "fuzzy" in entry.flags:
            found.append(f"{where}: out of date (fuzzy): the English changed since it was "
                         "translated")
        elif not entry.msgstr.strip():
            found.append(f"{where}: not translated yet")
    return found


def translate(nb, lang: str, name: str):
    """A copy of ``nb`` with every markdown cell covered by the catalogue translated.

    A cell is translated only when its text is the English its entry was made for: cells
    without a current translation stay in English (``problems`` says which), and a student
    version's written-answer cells (nbgrader's "YOUR ANSWER HERE", not the model answer
    the entry translates) keep their text and checksum.
    """
    current = _current(load(lang, name))
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.get("cell_type") != "markdown":
            continue
        text = current.get((cell.get("id"), cell.source))
        if text is not None:
            cell.source = text
    return out
