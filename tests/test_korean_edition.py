"""Is the Korean edition (notebooks/ko/) the English one with its words translated, and
does the same code get the same result in both?

notebooks/ko/ is written by `python -m autograder generate`
(tests/autograder/course/test_generate.py proves the committed tree is what it writes).
Here: the tree holds the nine notebooks; every code cell, test cell and nbgrader metadata
is the English edition's, byte for byte; navigation and contents are in Korean, with the
glossary's two tables; and the same completed code, pasted into an English and a Korean
student notebook, gets the same `check` report and the same grades and feedback verdicts
from `grade` (stock nbgrader: tests/autograder/course/test_nbgrader_plugins.py).
"""

from __future__ import annotations

import copy
import json
import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from autograder import cells, paths
from autograder.course import editions, navigation
from autograder.course import translations as T

LANG = "ko"
KO = paths.NOTEBOOKS / LANG
ASSIGNMENTS = paths.assignments()
HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: a notebook with a complete Korean translation: the one graded in both editions
NB04 = "04_bn_backward"


def _dump(cell) -> str:
    """A cell's JSON as the notebook file writes it (nbformat: sorted keys, indent 1)."""
    return json.dumps(cell, sort_keys=True, indent=1, ensure_ascii=False)


def _json(path):
    """The notebook's JSON exactly as committed (not through nbformat's upgrades)."""
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_korean_tree_holds_the_nine_notebooks_and_nothing_else():
    """Does notebooks/ko/ hold the contents and one notebook per assignment, named as in English?"""
    found = sorted(p.relative_to(KO).as_posix() for p in KO.rglob("*") if p.is_file())
    assert found == [navigation.INDEX] + [f"{n}/{n}.ipynb" for n in ASSIGNMENTS]
    assert len(found) == 9
    assert editions.languages() == [LANG]


def test_no_tool_takes_the_korean_tree_for_an_assignment():
    """Are the assignments still the eight folders of solutions/, never notebooks/ko?"""
    assert LANG not in ASSIGNMENTS and len(ASSIGNMENTS) == 8
    assert all(re.fullmatch(r"\d\d_[a-z_]+", n) for n in ASSIGNMENTS)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_korean_notebook_has_the_english_code_cells_and_nbgrader_metadata(name):
    """Is each code cell (test cells included) the English edition's JSON, byte for byte, and
    each cell's metadata, nbgrader's included, and the notebook's metadata the same?"""
    en, ko = _json(paths.release_notebook(name)), _json(editions.notebook(LANG, name))
    assert ko["metadata"] == en["metadata"] and ko["nbformat_minor"] == en["nbformat_minor"]
    assert [(c["cell_type"], c.get("id")) for c in ko["cells"]] == [
        (c["cell_type"], c.get("id")) for c in en["cells"]]
    for e, k in zip(en["cells"], ko["cells"]):
        if e["cell_type"] == "code":
            assert _dump(k) == _dump(e), (name, e.get("id"))
        else:
            assert k["metadata"] == e["metadata"], (name, e.get("id"))
        if cells.meta(e):  # a written-answer cell stays as released: YOUR ANSWER HERE, checksum
            assert _dump(k) == _dump(e), (name, e.get("id"))
    graded = [c for c in en["cells"] if cells.meta(c)]
    assert graded and cells.autograded_tests(nbformat.reads(json.dumps(en), as_version=4))


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_each_korean_markdown_cell_is_its_current_translation_or_the_english(name):
    """Is every prose cell the catalogue's current Korean, or (not translated yet) the English?"""
    en = nbformat.read(paths.release_notebook(name), as_version=4)
    ko = nbformat.read(editions.notebook(LANG, name), as_version=4)
    want = T.translate(en, LANG, name)
    for e, k, w in zip(en.cells, ko.cells, want.cells):
        if e.cell_type == "markdown" and navigation.NAV_TAG not in e.metadata.get("tags", []):
            assert k.source == w.source, (name, e.id)


@pytest.mark.parametrize("name", [NB04, "08_hyperparameter_search"])
def test_a_translated_notebook_reads_in_korean(name):
    """Is every prose cell of a notebook with a complete catalogue in Korean, its title too?"""
    assert T.problems(LANG, name, T.texts_for(name)) == []
    ko = nbformat.read(editions.notebook(LANG, name), as_version=4)
    for cell in ko.cells:
        if cell.cell_type == "markdown" and not cells.meta(cell) and re.search(
                r"[A-Za-z]{4}", re.sub(r"\$[^$]*\$|`[^`]*`|\([^)]*\.ipynb\)", "", cell.source)):
            assert HANGUL.search(cell.source), (name, cell.id, cell.source[:200])
    assert HANGUL.search(navigation._heading(ko))


def test_korean_navigation_is_in_korean_and_every_link_exists():
    """Does each Korean notebook start and end with navigation in Korean whose links exist,
    leading to the Korean notebooks and contents (never out of the tree)?"""
    contents = editions.words(LANG)("nav-contents")
    assert contents != navigation.TEXTS["nav-contents"] and HANGUL.search(contents)
    titles = {e["name"]: e["title"] for e in editions.course(LANG)}
    assert HANGUL.search(titles[NB04])
    for name in ASSIGNMENTS:
        path = editions.notebook(LANG, name)
        nb = nbformat.read(path, as_version=4)
        for cell in (nb.cells[0], nb.cells[-1]):
            assert navigation.NAV_TAG in cell.metadata.get("tags", []), name
            assert f"[{contents}](../{navigation.INDEX})" in cell.source, name
            links = re.findall(r"\]\(([^)]+)\)", cell.source)
            assert links
            for link in links:
                target = (path.parent / link).resolve()
                assert target.exists() and KO.resolve() in target.parents, (name, link)
        i = ASSIGNMENTS.index(name)
        if i + 1 < len(ASSIGNMENTS):
            nxt = ASSIGNMENTS[i + 1]
            assert f"[{titles[nxt]}](../{nxt}/{nxt}.ipynb) →" in nb.cells[0].source


def test_the_korean_contents_lists_the_course_and_carries_both_glossary_tables():
    """Does notebooks/ko/00_index.ipynb list the eight Korean notebooks, say how to check one
    in notebooks/ko, and carry the terminology table and the check-message gloss?"""
    nb = nbformat.read(KO / navigation.INDEX, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    targets = re.findall(r"\]\(([^)]+\.ipynb)\)", nb.cells[0].source)
    assert targets == [f"{n}/{n}.ipynb" for n in ASSIGNMENTS]
    assert all((KO / t).exists() for t in targets)
    assert "check notebooks/ko/03_bn_forward/03_bn_forward.ipynb" in text
    assert nb.cells[0].source.startswith("# 밑바닥부터 배우는 배치 정규화\n")
    assert [c.id for c in nb.cells] == ["course-index", "course-terms", "course-messages"]
    terms = T.glossary_table(LANG, "Terminology table")
    gloss = T.glossary_table(LANG, "The words of a check message")
    assert terms in nb.cells[1].source and gloss in nb.cells[2].source
    rows = [[c.strip() for c in row.strip("|").split("|")] for row in terms.splitlines()[2:]]
    terms_of = {english.split(" (")[0]: korean for korean, english, *_ in rows}
    assert terms_of == {"standardization": "표준화", "normalization": "정규화 (최소-최대 정규화)",
                        "regularization": "규제 (정칙화)", "generalization": "일반화",
                        "batch normalization": "배치 정규화",
                        "internal covariate shift": "내부 공변량 변화"}
    for word in ("case", "expected / got", "Likely mistake"):
        assert word in gloss, word
    assert text.count("영어") >= 1 and "| 04 | [04 · " in nb.cells[0].source
    assert nbformat.validate(nb) is None


def test_each_korean_notebook_says_once_that_check_messages_are_in_english():
    """Does each Korean notebook say, once and in Korean, under its top navigation, that check
    messages stay in English, linking to the contents' table of their words (and does the
    English edition say nothing of it)?"""
    note = editions.words(LANG)("nav-messages")
    assert note != navigation.english("nav-messages") and HANGUL.search(note)
    assert f"](../{navigation.INDEX})" in note
    for name in ASSIGNMENTS:
        korean = nbformat.read(editions.notebook(LANG, name), as_version=4)
        saying = [i for i, c in enumerate(korean.cells) if note in c.source]
        assert saying == [0], (name, saying)
        english = paths.release_notebook(name).read_text(encoding="utf-8")
        assert "Check messages are in English" not in english, name
    index = nbformat.read(KO / navigation.INDEX, as_version=4)
    assert "CheckFailure" in index.cells[-1].source


# ---- the same code in both editions -------------------------------------------------------

#: notebook 04 as a student might hand it in: two functions right, one with a bug (step 6's
#: second path into xmu left out), one not written, and written answers
BUG = ("dxmu = dxmu + 2 * xmu * dsq", "dxmu = dxmu + 0 * xmu * dsq")


def _completed(student_path):
    """``student_path`` (a student notebook of 04, either edition) with the same code pasted in."""
    nb = nbformat.read(student_path, as_version=4)
    source = nbformat.read(paths.source_notebook(NB04), as_version=4)
    answers = {cells.grade_id(c): c.source for c in source.cells if cells.meta(c).get("solution")}
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if gid is None or not cells.meta(cell).get("solution") or gid == "batchnorm_backward_alt":
            continue
        text = "\n".join(line for line in answers[gid].splitlines()
                         if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
        if gid == "batchnorm_backward":
            assert BUG[0] in text
            text = text.replace(*BUG)
        if cell.cell_type == "markdown":
            text = "The mean is shared by the batch, so its gradient sums over it."
        cell.source = text
    return nb


@pytest.fixture(scope="module")
def two_copies(tmp_path_factory):
    """The same completed code in an English and a Korean notebook 04, as two students' work."""
    subs = tmp_path_factory.mktemp("korean-class") / "class"
    made = {}
    for student, path in (("english", paths.release_notebook(NB04)),
                          ("korean", editions.notebook(LANG, NB04))):
        folder = subs / student / NB04
        folder.mkdir(parents=True)
        made[student] = folder / f"{NB04}.ipynb"
        cells.write(_completed(path), made[student])
    en, ko = (nbformat.read(made[s], as_version=4) for s in ("english", "korean"))
    assert [c.source for c in en.cells if c.cell_type == "code"] == [
        c.source for c in ko.cells if c.cell_type == "code"]
    assert HANGUL.search(ko.cells[1].source) and not HANGUL.search(en.cells[1].source)
    return subs, made


def _report(report) -> dict:
    data = json.loads(report.as_json())
    data.pop("notebook")
    return data


def test_check_reports_the_same_for_the_same_code_in_both_editions(two_copies, check_notebook):
    """Does `check` give the English and the Korean copy the same JSON report (path aside),
    failures and their messages included?"""
    _, made = two_copies
    english, korean = (_report(check_notebook(made[s])) for s in ("english", "korean"))
    assert korean == english
    by_id = {c["grade_id"]: c for c in english["cells"]}
    assert by_id["relative_error_tests"]["score"] == 1 and by_id["numerical_gradient_tests"]["score"] == 2
    assert by_id["batchnorm_backward_tests"]["score"] == 0
    assert "CheckFailure" in by_id["batchnorm_backward_tests"]["message"]
    assert "not written yet" in by_id["batchnorm_backward_alt_tests"]["message"]
    assert 0 < english["score"] < english["max_score"]


def _verdicts(page) -> list[str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [" ".join(d.get_text(" ").split()) for d in soup.select("div.cell.pass, div.cell.fail")]


@pytest.mark.notebook
def test_grade_grades_the_same_code_alike_in_both_editions(two_copies):
    """Does `grade`, over a class of the English and the Korean copy, give both the same row
    of grades.csv and the same verdict for every test cell on their feedback pages?"""
    import csv

    from autograder.grading.grade import Settings, grade

    subs, _ = two_copies
    out = subs.parent / "graded" / "grades.csv"
    outcome = grade(subs, out, Settings(workers=2, timeout=300, notebook_timeout=900),
                    log=lambda *a: None)
    with open(out, newline="", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"english", "korean"}
    english, korean = (dict(rows[s], student=None) for s in ("english", "korean"))
    assert korean == english
    assert {r.student: (r.status, r.score) for r in outcome.rows}["korean"] == ("graded", 3.0)
    pages = {s: out.parent / "feedback" / s / NB04 / f"{NB04}.html" for s in rows}
    verdicts = {s: _verdicts(p) for s, p in pages.items()}
    assert verdicts["korean"] == verdicts["english"]
    assert len(verdicts["english"]) == 4 and any("not written yet" in v for v in verdicts["english"])
    assert any("CheckFailure" in v for v in verdicts["english"])


def test_the_completed_copies_differ_only_in_their_words(two_copies):
    """Are the two copies the same notebook but for the translated markdown (so the tests
    above compare the same code)?"""
    _, made = two_copies
    en, ko = (copy.deepcopy(nbformat.read(made[s], as_version=4)) for s in ("english", "korean"))
    for nb in (en, ko):
        for cell in nb.cells:
            if cell.cell_type == "markdown" and not cells.meta(cell):
                cell.source = ""
    assert en == ko
