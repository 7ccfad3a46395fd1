"""Do the translation catalogues follow the English, and never touch code or nbgrader's cells?"""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.course import translations as T


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "TRANSLATIONS", tmp_path)
    monkeypatch.setattr(T.paths, "ROOT", tmp_path)
    return tmp_path


def _nb(*markdown):
    nb = new_notebook()
    for i, text in enumerate(markdown):
        cell = new_markdown_cell(text)
        cell["id"] = f"c{i}"
        nb.cells.append(cell)
    code = new_code_cell("x = 1  # a comment stays English")
    code["id"] = "code"
    nb.cells.append(code)
    return nb


def _translate_all(lang, name, words):
    po = T.load(lang, name)
    for entry in po:
        entry.msgstr = words[entry.msgid]
    po.save(str(T.catalog_path(lang, name)))


def test_a_new_catalogue_lists_every_markdown_cell_untranslated(folder):
    """Does update write one empty entry per markdown cell, keyed by the cell id?"""
    texts = T.texts_of(_nb("# Title", "Some *text*."))
    assert T.update("ko", "nb", texts) == {"new": 2, "changed": 0, "removed": 0, "kept": 0}
    po = T.load("ko", "nb")
    assert [(e.msgctxt, e.msgid, e.msgstr) for e in po] == [("c0", "# Title", ""),
                                                             ("c1", "Some *text*.", "")]
    assert T.problems("ko", "nb", texts) == ["nb cell c0: not translated yet",
                                             "nb cell c1: not translated yet"]


def test_a_changed_english_cell_makes_its_translation_fuzzy_and_keeps_the_old_english(folder):
    """Is a translation made for other English marked out of date, with what changed?"""
    T.update("ko", "nb", T.texts_of(_nb("# Title", "Old text.")))
    _translate_all("ko", "nb", {"# Title": "# 제목", "Old text.": "옛 글."})
    assert T.problems("ko", "nb", T.texts_of(_nb("# Title", "Old text."))) == []
    texts = T.texts_of(_nb("# Title", "New text."))
    assert T.problems("ko", "nb", texts) == [
        "nb cell c1: the entry translates other English (run `translations update ko`, "
        "then revise it)"]
    assert T.update("ko", "nb", texts)["changed"] == 1
    entry = [e for e in T.load("ko", "nb") if e.msgctxt == "c1"][0]
    assert "fuzzy" in entry.flags and entry.previous_msgid == "Old text."
    assert entry.msgstr == "옛 글."
    assert T.problems("ko", "nb", texts) == [
        "nb cell c1: out of date (fuzzy): the English changed since it was translated"]
    nb = T.translate(_nb("# Title", "New text."), "ko", "nb")
    assert [c.source for c in nb.cells] == ["# 제목", "New text.", "x = 1  # a comment stays English"]


def test_a_removed_cell_becomes_obsolete_and_a_missing_catalogue_is_named(folder):
    T.update("ko", "nb", T.texts_of(_nb("A", "B")))
    assert T.update("ko", "nb", T.texts_of(_nb("A")))["removed"] == 1
    assert [e.obsolete for e in T.load("ko", "nb")] == [False, True]
    assert "is missing" in T.problems("ko", "other", T.texts_of(_nb("A")))[0]


def test_a_cell_that_comes_back_gets_its_old_translation_back(folder):
    """Is an obsolete entry revived (fuzzy if its English changed) when its cell returns?"""
    T.update("ko", "nb", T.texts_of(_nb("A", "B")))
    _translate_all("ko", "nb", {"A": "가", "B": "나"})
    T.update("ko", "nb", T.texts_of(_nb("A")))
    assert T.update("ko", "nb", T.texts_of(_nb("A", "B")))["kept"] == 2
    assert [(e.msgctxt, e.msgstr, e.obsolete) for e in T.load("ko", "nb")] == [
        ("c0", "가", False), ("c1", "나", False)]
    assert T.problems("ko", "nb", T.texts_of(_nb("A", "B"))) == []
    T.update("ko", "nb", T.texts_of(_nb("A")))
    T.update("ko", "nb", T.texts_of(_nb("A", "B, changed")))
    entry = [e for e in T.load("ko", "nb") if e.msgctxt == "c1"][0]
    assert "fuzzy" in entry.flags and entry.previous_msgid == "B" and entry.msgstr == "나"


def test_translate_changes_markdown_only_and_leaves_answer_cells_as_released(folder):
    """Are code cells and a student version's answer cell (with nbgrader metadata) untouched?"""
    source = _nb("# Title", "A model answer.")
    T.update("ko", "nb", T.texts_of(source))
    _translate_all("ko", "nb", {"# Title": "# 제목", "A model answer.": "모범 답안."})
    student = _nb("# Title", "YOUR ANSWER HERE")
    student.cells[1].metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "q",
                                             "points": 1, "checksum": "abc"}
    out = T.translate(student, "ko", "nb")
    assert out.cells[0].source == "# 제목"
    assert out.cells[1] == student.cells[1] and out.cells[2] == student.cells[2]
    assert T.translate(source, "ko", "nb").cells[1].source == "모범 답안."
    assert nbformat.validate(out) is None


def test_status_counts_translated_outdated_and_missing_cells(folder):
    """Does status count each cell once: translated, out of date (fuzzy or other English), missing?"""
    T.update("ko", "nb", T.texts_of(_nb("A", "B", "C", "D")))
    _translate_all("ko", "nb", {"A": "가", "B": "나", "C": "다", "D": ""})
    texts = T.texts_of(_nb("A", "B, changed", "C", "D", "E"))
    assert T.status("ko", "nb", texts) == {"cells": 5, "translated": 2, "outdated": 1,
                                           "missing": 2}
    T.update("ko", "nb", texts)
    assert T.status("ko", "nb", texts) == {"cells": 5, "translated": 2, "outdated": 1,
                                           "missing": 2}
    assert T.status("ko", "absent", texts)["missing"] == 5


def test_words_gives_the_current_translation_or_the_english(folder):
    """Does the course catalogue's lookup fall back to the English for a missing, empty or
    fuzzy entry, or one made for other English?"""
    T.update("ko", "course", [T.Text("nav-contents", "Contents"), T.Text("title", "Title")])
    _translate_all("ko", "course", {"Contents": "차례", "Title": ""})
    tr = T.words("ko")
    assert tr("nav-contents", "Contents") == "차례"
    assert tr("nav-contents", "Table of contents") == "Table of contents"
    assert tr("title", "Title") == "Title" and tr("other", "Other") == "Other"
    assert T.words("xx")("nav-contents", "Contents") == "Contents"


def test_the_glossary_table_is_read_under_its_heading(folder):
    """Is the table under a GLOSSARY.md heading read as written, and a missing one named?"""
    (folder / "ko").mkdir()
    (folder / "ko" / "GLOSSARY.md").write_text(
        "# G\n\n## 용어 · The terminology table\n\nText.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
        "\nMore.\n\n| x |\n|---|\n| y |\n\n## Other\n", encoding="utf-8")
    assert T.glossary_table("ko", "Terminology table") == "| a | b |\n|---|---|\n| 1 | 2 |"
    with pytest.raises(ValueError, match="no heading"):
        T.glossary_table("ko", "The words of a check message")


def test_the_translations_command_updates_and_reports(folder, monkeypatch, capsys):
    """Do `translations update ko NAME` and `translations status` write and count the
    catalogue, and is an unknown name or language refused with the catalogues named?"""
    from autograder import cli

    monkeypatch.setattr(T.paths, "assignments", lambda: ["01_nb"])
    monkeypatch.setattr(T, "source_texts", lambda name: T.texts_of(_nb("# Title", "Text.")))
    assert cli.main(["translations", "update", "ko", "01_nb"]) == 0
    assert "ko/01_nb.po: 2 new, 0 changed (fuzzy until revised)" in capsys.readouterr().out
    _translate_all("ko", "01_nb", {"# Title": "# 제목", "Text.": ""})
    assert cli.main(["translations", "status"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"01_nb\s+2\s+1\s+0\s+1", out), out
    assert re.search(r"course\s+\d+\s+0\s+0\s+\d+", out), out  # no course.po yet: all missing
    assert not (folder / "ko" / "course.po").exists()
    assert cli.main(["translations", "update", "ko", "nope"]) == 2
    assert "the catalogues are 01_nb, course" in capsys.readouterr().err
    assert cli.main(["translations", "status", "xx"]) == 2
    assert "no translations/xx/" in capsys.readouterr().err
