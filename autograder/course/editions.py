"""The translated editions of the student notebooks: ``notebooks/<lang>/``, written by ``generate``.

Each language with a folder in ``translations/`` gets a tree beside the English one,
``notebooks/<lang>/NN_slug/NN_slug.ipynb`` and ``notebooks/<lang>/00_index.ipynb``, made from
the English student notebooks (never edited by hand, never from anything else):

- every markdown cell with a current translation is translated (``translations.translate``);
  one without stays in English until it has one (the test suite says which);
- code cells, test cells and all their metadata, the written-answer cells as released
  ("YOUR ANSWER HERE" and nbgrader's checksum) and the notebook's metadata are the English
  edition's, byte for byte: the same grader, hidden tests and ``grade_id``s serve both;
- the navigation cells and the contents notebook are written in the language (the course
  catalogue, ``translations/<lang>/course.po``), with the notebooks' translated titles;
  the contents also carries two tables of the language's ``GLOSSARY.md``: its terminology
  table, and the words a check message uses (messages stay in English); each notebook says
  so once, under its top navigation, and links to that table.

The tree is not an assignment: nbgrader's assignments are the folders of ``solutions/``
(``paths.assignments``), and ``nbgrader generate_assignment --force`` replaces only
``notebooks/<assignment>/``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .. import cells, paths
from . import navigation
from . import translations as T

#: the tables of GLOSSARY.md the contents notebook carries: (cell id, text context, heading)
GLOSSARY_CELLS = [("course-terms", "index-terms", "Terminology table"),
                  ("course-messages", "index-messages", "The words of a check message")]


def languages() -> list[str]:
    """The languages with an edition: every folder of ``translations/``."""
    return T.languages()


def folder(lang: str) -> Path:
    return paths.NOTEBOOKS / lang


def notebook(lang: str, assignment: str) -> Path:
    return folder(lang) / assignment / f"{assignment}.ipynb"


def words(lang: str):
    """``words(context)``: the course catalogue's text for ``context`` in ``lang``."""
    tr = T.words(lang, T.COURSE)
    return lambda context: tr(context, navigation.english(context))


def course(lang: str) -> list[dict]:
    """The course's entries (name, title, time) as the edition in ``lang`` titles them."""
    return navigation.course(translate=lambda nb, name: T.translate(nb, lang, name),
                             words=words(lang))


def student_notebook(lang: str, assignment: str, entries: list[dict] | None = None):
    """The edition's student notebook, made from the English one in ``notebooks/``."""
    english = nbformat.read(paths.release_notebook(assignment), as_version=4)
    nb = T.translate(english, lang, assignment)
    say = words(lang)
    return navigation.add_navigation(nb, assignment, entries or course(lang), say,
                                     note=say("nav-messages"))


def index_notebook(lang: str, entries: list[dict] | None = None):
    """The edition's contents notebook, with its glossary's two tables (a language whose
    glossary is not written yet has none)."""
    say = words(lang)
    extra = []
    if (T.TRANSLATIONS / lang / "GLOSSARY.md").exists():
        extra = [(cell_id, say(context) + "\n\n" + T.glossary_table(lang, heading) + "\n")
                 for cell_id, context, heading in GLOSSARY_CELLS]
    return navigation.index_notebook(entries or course(lang), say,
                                     notebooks=f"{paths.NOTEBOOKS.name}/{lang}", extra=extra)


def generate(names: list[str], log=print) -> list[Path]:
    """Write every edition's notebooks of ``names`` (English ones already generated) and
    each edition's contents."""
    written = []
    for lang in languages():
        entries = course(lang)
        for name in names:
            target = notebook(lang, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            cells.write(student_notebook(lang, name, entries), target)
            written.append(target)
            log(f"generated {target.relative_to(paths.ROOT)}")
        index = folder(lang) / navigation.INDEX
        cells.write(index_notebook(lang, entries), index)
        written.append(index)
    return written
