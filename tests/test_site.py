"""Is the reading site (Jupyter Book) what a reader needs, and nothing a reader must not see?

Reads the built site's files; tests/test_browser_site.py opens it in a browser. The
whole site is built once per session (tests/reading_site.py), in both languages: the
Korean book (site/languages/ko.yml) passes every check the English one does. The launch
buttons, the language switch and a failing notebook are tried on a one-notebook course of
their own.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from autograder import cells, paths
from autograder.course import editions
from autograder.course import translations as T
from tests.reading_site import build_site, tiny_course, tiny_edition

pytestmark = pytest.mark.notebook

NB03 = "03_bn_forward"
#: every edition of the site: each passes the same checks
LANGS = ["en", "ko"]


@pytest.fixture(scope="module")
def site(reading_site) -> Path:
    return reading_site


@functools.lru_cache(maxsize=None)
def _soup(path: Path) -> BeautifulSoup:
    """A page, parsed once (do not change it: ``_fresh_soup`` gives one to change)."""
    return _fresh_soup(path)


def _fresh_soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()}


def _page(site: Path, name: str, lang: str = "en") -> Path:
    return site / lang / name / f"{name}.html"


def _source(name: str, lang: str):
    """The solution notebook as the ``lang`` book's page is made from it."""
    source = nbformat.read(paths.source_notebook(name), as_version=4)
    return source if lang == "en" else T.translate(source, lang, name)


def _student(name: str, lang: str) -> Path:
    return paths.release_notebook(name) if lang == "en" else editions.notebook(lang, name)


def _spoilers(name: str, lang: str = "en") -> tuple[list[str], list[str]]:
    """Lines of each solution a student does not get, and a phrase of each model answer."""
    source = _source(name, lang)
    student = nbformat.read(_student(name, lang), as_version=4)
    given = {line.strip() for c in student.cells for line in c.source.splitlines()}
    code, answers = [], []
    for cell in source.cells:
        if cells.meta(cell).get("solution") and cell.cell_type == "code":
            code += [line.strip() for line in cell.source.splitlines()
                     if len(line.strip()) >= 12 and line.strip() not in given
                     and "### " not in line]
        elif cells.is_manual_answer(cell):
            words = max(re.findall(r"[A-Za-z\uac00-\ud7a3 ,]+", cell.source), key=len).strip()
            answers.append(words)
    return code, answers


def _hidden_lines(name: str) -> list[str]:
    source = nbformat.read(paths.source_notebook(name), as_version=4)
    lines = []
    for cell in cells.autograded_tests(source):
        for block in re.findall(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS",
                                cell.source, re.S):
            lines += [line.strip() for line in block.splitlines() if line.strip()]
    return lines


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_folds_each_solution_and_model_answer(site, lang):
    """Is each solution's code and each model answer on its page, but only inside a fold?"""
    for name in paths.assignments():
        soup = _fresh_soup(_page(site, name, lang))
        code, answers = _spoilers(name, lang)
        assert code and answers, name
        folded = "\n".join(d.get_text() for d in soup.find_all("details"))
        assert set(code) <= _lines(folded), (name, set(code) - _lines(folded))
        for phrase in answers:
            assert phrase in folded, (name, phrase)
        for fold in soup.find_all("details"):
            assert not fold.has_attr("open"), (name, fold.summary)
            fold.decompose()
        unfolded = soup.get_text()
        assert set(code) & _lines(unfolded) == set(), name
        for phrase in answers:
            assert phrase not in unfolded, (name, phrase)


def test_no_file_of_the_site_holds_a_hidden_test_or_a_solution_marker(site):
    """Is no hidden test anywhere in the site: pages, search index, page sources?"""
    hidden = {line for name in paths.assignments() for line in _hidden_lines(name)}
    assert hidden
    texts = [p for p in site.rglob("*")
             if p.suffix in {".html", ".js", ".ipynb", ".txt", ".md"} and "mathjax" not in p.parts]
    assert len(texts) > 20
    for path in texts:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text, path
        leaked = [line for line in hidden if line in text]
        assert leaked == [], (path, leaked[:3])


EXTERNAL = re.compile(r"^(https?:)?//", re.I)


def test_pages_and_stylesheets_load_nothing_from_outside(site):
    """Does no page or stylesheet pull a script, style, image, frame or font from another host?"""
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 2 * (1 + 8 + 1)  # each book's contents, notebooks, search page
    assert {p.relative_to(site).parts[0] for p in pages} >= set(LANGS)
    for page in pages:
        soup = _soup(page)
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"),
                          ("iframe", "src"), ("source", "src"), ("embed", "src"),
                          ("object", "data"), ("video", "src"), ("audio", "src")):
            for element in soup.find_all(tag):
                url = element.get(attr) or ""
                assert not EXTERNAL.match(url), (page, str(element)[:200])
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(errors="replace")):
            assert not EXTERNAL.match(url), (css, url)
        assert not re.search(r"@import\s+(url\()?['\"]?(https?:)?//", css.read_text(errors="replace")), css


@pytest.mark.parametrize("lang", LANGS)
def test_math_uses_the_sites_own_mathjax(site, lang):
    """Does every page with math load MathJax from the site itself, and is it there?"""
    for name in ["index"] + [f"{n}/{n}" for n in paths.assignments()]:
        page = site / lang / f"{name}.html"
        scripts = [s.get("src", "") for s in _soup(page).find_all("script")]
        mathjax = [s for s in scripts if "MathJax.js" in s]
        assert len(mathjax) == 1 and mathjax[0].split("?")[0].endswith("_static/mathjax/MathJax.js"), \
            (page, mathjax)
        assert (page.parent / mathjax[0].split("?")[0]).resolve().is_file()
    assert (site / lang / "_static" / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_is_its_notebook_executed_from_the_solution(site, lang):
    """Does each page show what its run printed, every visible check passing, and no error?"""
    for name in paths.assignments():
        soup = _soup(_page(site, name, lang))
        outputs = soup.select("div.cell_output")
        assert outputs, name
        shown = " ".join(o.get_text() for o in outputs)
        source = nbformat.read(paths.source_notebook(name), as_version=4)
        printed = [m for c in cells.autograded_tests(source)
                   for m in re.findall(r"print\(\s*[\"']([^\"']+)[\"']\s*\)", c.source)]
        assert printed, name
        for text in printed:
            assert text in shown, (name, text)
        assert "Traceback" not in shown and not soup.select(".output.traceback"), name
    assert len(_soup(_page(site, NB03, lang)).select("div.cell_output img")) >= 3


@pytest.mark.parametrize("lang", LANGS)
def test_download_button_and_page_link_give_the_student_notebook(site, lang):
    """Do the page's download button and its link both give the student notebook of its
    edition (notebooks/ or notebooks/ko/), not the solution?"""
    for name in paths.assignments():
        page = _page(site, name, lang)
        soup = _soup(page)
        student = _student(name, lang).read_bytes()
        button = soup.select("a.btn-download-source-button")
        link = soup.select("a.reference.download")
        assert len(button) == 1 and link, name
        for a in button + link:
            target = (page.parent / a["href"]).resolve()
            assert target.suffix == ".ipynb" and target.read_bytes() == student, (name, a["href"])


@pytest.mark.parametrize("lang", LANGS)
def test_sidebar_lists_the_notebooks_in_course_order(site, lang):
    """Does every page's sidebar list the contents page, then the eight notebooks in order?"""
    names = paths.assignments()
    assert len(names) == 8
    for name in ["index"] + names:
        page = site / lang / ("index.html" if name == "index" else f"{name}/{name}.html")
        hrefs = [a["href"] for a in _soup(page).select("nav.bd-docs-nav a")]
        pages = [h.rsplit("/", 1)[-1].removesuffix(".html") for h in hrefs]
        expected = ["index"] + names
        assert [p if p != "#" else name for p in pages] == expected, (page, hrefs)


@pytest.mark.parametrize("lang", LANGS)
def test_pages_have_search_on_page_contents_and_a_dark_mode_switch(site, lang):
    """Has each notebook page a search field, its own contents and the theme's light/dark switch?"""
    assert (site / lang / "search.html").is_file()
    index = (site / lang / "searchindex.js").read_text(encoding="utf-8")
    for name in paths.assignments():
        soup = _soup(_page(site, name, lang))
        assert soup.select(".search-button-field") and soup.select("button.theme-switch-button")
        assert len(soup.select("nav.page-toc a, #bd-toc-nav a, .bd-toc-nav a")) >= 3, name
        assert f'"{name}/{name}"' in index, name


def test_the_korean_book_reuses_the_english_books_executions(site):
    """Is each Korean page the very run of its English page (one jupyter-cache record for
    both), so the second language executes no notebook again?"""
    from jupyter_cache import get_cache

    cache = get_cache(build_site.CACHE / build_site.fingerprint())
    books = site.parent / "books"
    for name in paths.assignments():
        records = {lang: cache.match_cache_notebook(nbformat.read(
            books / lang / name / f"{name}.ipynb", as_version=4)).pk for lang in LANGS}
        assert records["ko"] == records["en"], (name, records)
    korean = nbformat.read(books / "ko" / NB03 / f"{NB03}.ipynb", as_version=4)
    assert re.search(r"[\uac00-\ud7a3]", korean.cells[0].source), "the Korean book is not Korean"


def test_no_launch_button_until_the_repository_is_known(site):
    """Without the repository's GitHub path, does no page offer a Binder launch?"""
    for page in site.rglob("*.html"):
        assert "mybinder.org" not in page.read_text(encoding="utf-8"), page


def test_the_korean_book_reads_in_korean_and_links_each_page_to_its_english(site):
    """Is each Korean page marked Korean and linked to the same English page (and back), with
    the Korean titles and times of the translated notebooks on the Korean contents?"""
    for name in ["index"] + [f"{n}/{n}" for n in paths.assignments()]:
        pages = {lang: site / lang / f"{name}.html" for lang in LANGS}
        assert _soup(pages["ko"]).html["lang"] == "ko"
        for here, there in (("ko", "en"), ("en", "ko")):
            links = _soup(pages[here]).select(f"nav.course-languages a[hreflang='{there}']")
            assert len(links) == 1, (pages[here], links)
            assert (pages[here].parent / links[0]["href"]).resolve() == pages[there].resolve()
    nb04 = "04_bn_backward"
    title = _soup(_page(site, nb04, "ko")).find("h1").get_text()
    assert "04 · 배치 정규화의 역전파" in title, title
    index = _soup(site / "ko" / "index.html")
    assert "밑바닥부터 배우는 배치 정규화" in index.find("h1").get_text()
    rows = {r.find("td").get_text(): r.get_text(" ") for r in index.select("table tbody tr")}
    assert "배치 정규화의 역전파" in rows["04"] and "90분" in rows["04"], rows["04"]
    assert "한국어" in _soup(_page(site, nb04, "en")).select_one("nav.course-languages").get_text()


def test_the_korean_books_launch_path_is_the_korean_edition():
    """Once the repository is known, does the Korean book launch notebooks/ko/ on Binder?"""
    ko = build_site.Language.load(paths.ROOT / "site" / "languages" / "ko.yml")
    assert ko.notebooks == editions.folder("ko") and ko.translations == "ko"
    config = build_site.book_config(ko, [ko], paths.assignments(), ("my-school/bn-course", "HEAD"),
                                    Path("cache"))
    assert config["repository"]["path_to_book"] == "notebooks/ko"
    assert config["sphinx"]["config"]["course_student_notebooks"][f"{NB03}/{NB03}"] == str(
        editions.notebook("ko", NB03))


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory):
    """The tiny course as two languages, with the repository's path configured."""
    root = tmp_path_factory.mktemp("tiny-course")
    solutions, notebooks = tiny_course(root)
    editions = [tiny_edition("en", "English", solutions, notebooks),
                tiny_edition("xx", "Xx-lang", solutions, notebooks)]
    return build_site.build(root / "out", editions, repository=("my-school/bn-course", "HEAD"),
                            cache=root / "cache", log=lambda *a: None)


def test_launch_button_opens_the_student_notebook_on_binder_once_configured(two_editions):
    """With the repository's path, does the page launch its *student* notebook on Binder?"""
    soup = _soup(two_editions / "en" / "01_tiny" / "01_tiny.html")
    launch = [a["href"] for a in soup.select("a.btn-launch-binder, a[href*='mybinder.org']")]
    assert launch == ["https://mybinder.org/v2/gh/my-school/bn-course/HEAD"
                      "?urlpath=lab/tree/notebooks/01_tiny/01_tiny.ipynb"], launch
    text = (two_editions / "en" / "index.html").read_text(encoding="utf-8")
    assert "Binder" in text


def test_each_language_is_a_book_beside_the_others_with_a_switch(two_editions):
    """Is each language its own book under html/<code>/, each page linking the same page in the other?"""
    for here, there in (("en", "xx"), ("xx", "en")):
        for page in ("index.html", "01_tiny/01_tiny.html"):
            path = two_editions / here / page
            soup = _soup(path)
            links = soup.select(f"nav.course-languages a[hreflang='{there}']")
            assert len(links) == 1, (path, links)
            target = (path.parent / links[0]["href"]).resolve()
            assert target == (two_editions / there / page).resolve() and target.is_file()
            assert soup.select(f"nav.course-languages strong[lang='{here}']")
        assert (two_editions / here / "searchindex.js").is_file()
    root = _soup(two_editions / "index.html")
    assert [a["href"] for a in root.find_all("a")] == ["en/index.html", "xx/index.html"]


def test_a_cell_that_fails_fails_the_build(tmp_path):
    """Does an error in any notebook cell stop the build, naming the error?"""
    solutions, notebooks = tiny_course(tmp_path, failing_cell=True)
    with pytest.raises(SystemExit, match="this cell fails on purpose"):
        build_site.build(tmp_path / "out", [tiny_edition("en", "English", solutions, notebooks)],
                         repository=None, cache=tmp_path / "cache", log=lambda *a: None)
    assert not (tmp_path / "out" / "html" / "en").exists()


def test_launch_path_is_read_from_the_readme_badges(tmp_path):
    """Does the site find the repository's path where scripts/binder_badge.py wrote it, and only there?"""
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- binder-badges -->\n<!-- /binder-badges -->\nmore\n")
    assert build_site.binder_badge.configured(readme) is None
    build_site.binder_badge.write(readme, build_site.binder_badge.badges("my-school/bn-course",
                                                                         "release/1.0"))
    assert build_site.binder_badge.configured(readme) == ("my-school/bn-course", "release/1.0")


def test_the_execution_cache_is_named_for_the_code_the_notebooks_import(tmp_path):
    """Does changing the course's helper code give the cache a new name (so notebooks run again)?"""
    (tmp_path / "course_utils").mkdir()
    (tmp_path / "course_utils" / "checks.py").write_text("A = 1\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    before = build_site.fingerprint(tmp_path)
    assert build_site.fingerprint(tmp_path) == before
    (tmp_path / "course_utils" / "checks.py").write_text("A = 2\n")
    assert build_site.fingerprint(tmp_path) != before
