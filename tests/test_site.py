"""Does the reading site build offline and render, math included, in a real browser?"""

from __future__ import annotations

import functools
import http.server
import re
import sys
import threading

import pytest

from autograder import paths
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

sys.path.insert(0, str(paths.ROOT / "scripts"))
import build_site  # noqa: E402

NB03 = "03_bn_forward"
pytestmark = pytest.mark.notebook


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "_build"
    build_site.build([NB03], out=out, log=lambda *a: None)
    return out


def test_site_pages_fold_solutions_hide_hidden_tests_and_load_nothing_from_outside(site):
    """Does each page keep solutions folded, drop hidden tests and reference no CDN?"""
    page = (site / f"{NB03}.html").read_text()
    assert page.count('<details class="course-fold">') >= 4  # 2 solutions, 2 model answers
    assert "HIDDEN TESTS" not in page and "seed=3141" not in page and "BEGIN SOLUTION" not in page
    for html_file in site.glob("*.html"):
        text = html_file.read_text()
        external = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:)?//[^"]+"', text)
        assert external == [], (html_file.name, external[:3])
    assert (site / "mathjax" / "MathJax.js").exists()
    assert (site / "notebooks" / f"{NB03}.ipynb").read_bytes() == \
        paths.release_notebook(NB03).read_bytes()


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: install Debian's chromium "
                    "(`make test` does it when run as root) to open the site in a browser")
def test_first_page_renders_with_math_in_the_browser(site):
    """Does the contents page open, lead to notebook 03, and render its math with MathJax?"""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.goto(f"{base}/index.html")
            page.wait_for_function("() => document.querySelectorAll('.MathJax').length > 0",
                                   timeout=60_000)
            page.click(f"a[href='{NB03}.html']")
            page.wait_for_function("() => document.querySelectorAll('.MathJax').length > 20",
                                   timeout=60_000)
            assert page.locator(".MathJax_Error").count() == 0
            assert page.locator("img").count() >= 3  # the figures, executed from the solution
            assert page.locator("details.course-fold[open]").count() == 0
            page.locator("h2", has_text="1. Algorithm 1").scroll_into_view_if_needed()
            from tests.test_browser import ARTIFACTS
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "site_03.png"))
            browser.close()
    finally:
        server.shutdown()
