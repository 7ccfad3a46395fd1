"""Does the reading site work the way a reader meets it: in a real browser, offline?

Serves the site built once per session (tests/reading_site.py) on a local port and drives
Debian's Chromium with Playwright, through tests/test_browser.py's browser fixture: math
typeset by the site's own MathJax, every request staying on this machine, search, the
sidebar in course order, folded solutions, dark mode. Screenshots go to
test-artifacts/browser/ (not committed).
"""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from autograder import paths
from tests import test_browser as lab

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.skipif(lab.CHROMIUM is None, reason=(
        "no Chromium found: install Debian's chromium (`apt-get install chromium`; `make test` "
        "does it when run as root) to open the reading site in a browser")),
]

browser = lab.browser  # the module's Chromium, launched as tests/test_browser.py does
NB02, NB03 = "02_whitening_pitfalls", "03_bn_forward"
#: MathJax 2's MathML output declares TeX fonts that jupyter-server-mathjax does not ship;
#: the HTML-CSS output it uses has its STIX-Web fonts, so the browser asks and moves on
UNSHIPPED_FONTS = "/_static/mathjax/fonts/HTML-CSS/TeX/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(reading_site):
    """The built site on a free local port: its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(reading_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def reader(browser, served):
    """A page, with every request it makes and every one that failed."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.requests, page.failures = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    # a request the page's own navigation cut short (net::ERR_ABORTED) is no failure
    page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "")
            and page.failures.append(r.url))
    page.on("response", lambda r: r.status >= 400 and page.failures.append(r.url))
    yield page
    page.close()


def _typeset(page, at_least: int):
    """Wait until MathJax has typeset the page, at least ``at_least`` formulas, all without error.

    MathJax 2 inserts each formula hidden and shows a chunk of them only once it is laid
    out, so counting typeset formulas is not enough: the test waits for MathJax's own queue
    (``MathJax.Hub.Queue`` runs a callback after all the typesetting queued before it).
    """
    page.wait_for_function("() => window.MathJax && window.MathJax.isReady === true",
                           timeout=120_000)
    page.evaluate("() => new Promise(done => MathJax.Hub.Queue(() => done(true)))")
    page.wait_for_function(
        f"() => document.querySelectorAll('.MathJax:not(.MathJax_Processing)').length >= {at_least}"
        " && document.querySelectorAll('.MathJax_Processing').length === 0", timeout=120_000)
    assert page.locator(".MathJax_Error, merror").count() == 0
    box = page.locator(".MathJax").first.bounding_box()
    assert box and box["width"] > 5 and box["height"] > 5, box


def _only_local(page, served):
    """Did every request the page made go to the local server, and did each one succeed?"""
    inline = ("data:", "blob:", "about:")
    outside = [u for u in page.requests if not u.startswith((served + "/",) + inline)]
    assert outside == [], outside[:5]
    failed = [u for u in page.failures if UNSHIPPED_FONTS not in u and not u.startswith(inline)]
    assert failed == [], failed[:5]


def test_first_page_renders_math_and_loads_nothing_from_outside(reader, served):
    """Does the site's front door lead to the contents, typeset its math and stay on this machine?"""
    reader.goto(served + "/")
    reader.wait_for_url("**/en/index.html", timeout=30_000)
    _typeset(reader, at_least=2)
    reader.click(f"nav.bd-docs-nav a[href$='{NB03}/{NB03}.html']")
    reader.wait_for_url(f"**/{NB03}/{NB03}.html")
    _typeset(reader, at_least=20)
    assert reader.locator("div.cell_output img").count() >= 3
    _only_local(reader, served)
    lab._shot(reader, "site_index_to_03.png")


def test_a_solution_stays_folded_until_the_reader_opens_it(reader, served):
    """Is a solution's code hidden until its "Show" is pressed, and shown then?"""
    reader.goto(f"{served}/en/{NB03}/{NB03}.html")
    fold = reader.locator("details.hide.above-input").first
    code = fold.locator("div.cell_input")
    assert fold.get_attribute("open") is None and not code.is_visible()
    summary = fold.locator("summary")
    assert "Show one solution" in summary.inner_text()
    summary.click()
    code.wait_for(state="visible", timeout=10_000)
    assert "def batchnorm_forward" in code.inner_text()
    answer = reader.locator("details.sd-dropdown").first
    assert answer.get_attribute("open") is None
    assert "Show a model answer" in answer.locator("summary").inner_text()
    lab._shot(reader, "site_03_solution_open.png")


def test_search_finds_a_term_on_a_notebook_page(reader, served):
    """Does typing a word into the search box list the notebook page that teaches it?"""
    reader.goto(f"{served}/en/index.html")
    reader.click(".bd-sidebar-primary .search-button-field")
    box = reader.locator("#pst-search-dialog input[name='q']")
    box.wait_for(state="visible", timeout=10_000)
    box.fill("whitening")
    box.press("Enter")
    reader.wait_for_url("**/search.html?q=whitening*", timeout=30_000)
    hits = reader.locator("#search-results li a")
    hits.first.wait_for(timeout=60_000)
    hrefs = [hits.nth(i).get_attribute("href") for i in range(hits.count())]
    assert any(f"{NB02}/{NB02}.html" in h for h in hrefs), hrefs
    _only_local(reader, served)
    lab._shot(reader, "site_search.png")


def test_sidebar_lists_the_eight_notebooks_in_order(reader, served):
    """Does the sidebar show the contents, then notebooks 01 to 08 in course order?"""
    reader.goto(f"{served}/en/{NB03}/{NB03}.html")
    links = reader.locator("nav.bd-docs-nav a")
    titles = [t.strip() for t in links.all_inner_texts()]
    numbers = [t.split(" ")[0] for t in titles[1:]]
    assert numbers == [n[:2] for n in paths.assignments()] == [f"{i:02d}" for i in range(1, 9)], titles
    current = reader.locator("nav.bd-docs-nav li.current > a, nav.bd-docs-nav a.current")
    assert current.first.inner_text().startswith("03"), titles


def test_dark_mode_switch_darkens_the_page(reader, served):
    """Does the theme's switch turn the page dark, and is that remembered on the next page?"""
    reader.goto(f"{served}/en/index.html")
    reader.wait_for_function("() => document.documentElement.dataset.theme !== undefined")
    switch = reader.locator(".article-header-buttons button.theme-switch-button, "
                            "button.theme-switch-button").first
    for _ in range(3):  # the theme cycles light, dark and the system's choice
        if reader.evaluate("document.documentElement.dataset.theme") == "dark":
            break
        switch.click()
    assert reader.evaluate("document.documentElement.dataset.theme") == "dark"
    background = reader.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = [int(v) for v in background[background.index("(") + 1:-1].split(",")[:3]]
    assert red + green + blue < 3 * 80, background
    reader.goto(f"{served}/en/{NB03}/{NB03}.html")
    assert reader.evaluate("document.documentElement.dataset.theme") == "dark"
    _typeset(reader, at_least=20)
    lab._shot(reader, "site_03_dark.png")


def test_a_korean_page_reads_in_korean_and_switches_to_the_same_english_page(reader, served):
    """Does a page of the Korean book read in Korean (math typeset, solutions folded behind
    Korean words, nothing from outside), and does its switch lead to the same English page?"""
    nb04 = "04_bn_backward"
    reader.goto(f"{served}/ko/{nb04}/{nb04}.html")
    assert reader.evaluate("document.documentElement.lang") == "ko"
    assert "배치 정규화의 역전파" in reader.locator("article h1").first.inner_text()
    _typeset(reader, at_least=20)
    fold = reader.locator("details.hide.above-input").first
    assert fold.get_attribute("open") is None and "풀이 하나 보기" in fold.locator("summary").inner_text()
    _only_local(reader, served)
    lab._shot(reader, "site_ko_04.png")
    reader.click("nav.course-languages a[hreflang='en']")
    reader.wait_for_url(f"**/en/{nb04}/{nb04}.html", timeout=30_000)
    assert "The batch norm backward pass" in reader.locator("article h1").first.inner_text()
    reader.click("nav.course-languages a[hreflang='ko']")
    reader.wait_for_url(f"**/ko/{nb04}/{nb04}.html", timeout=30_000)
