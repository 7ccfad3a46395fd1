"""Does the course work the way a learner meets it: JupyterLab in a real browser?

Starts JupyterLab on a free local port over a scratch copy of the course, drives Debian's
Chromium with Playwright (never a downloaded browser) and checks what a learner would see:
the solution's figures and widgets, no error output; the student version's test cells
failing with the course's short message; nbgrader's Validate button reporting success.
Screenshots are kept in test-artifacts/browser/ (not committed).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import paths

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = paths.ROOT / "test-artifacts" / "browser"
NB03 = "03_bn_forward"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.skipif(CHROMIUM is None, reason=(
        "no Chromium found: install Debian's chromium (`apt-get install chromium`; `make test` "
        "does it when run as root) to run the real-browser tests")),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server over a scratch copy of the course (autosave never touches the repo)."""
    sys.path.insert(0, str(paths.ROOT / "scripts"))
    import lab_settings

    lab_settings.main()
    root = tmp_path_factory.mktemp("lab-root")
    for folder in ("notebooks", "solutions"):
        shutil.copytree(paths.ROOT / folder, root / folder)
    port, token = _free_port(), "course-browser-test"
    log = open(root / "server.log", "w")
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
           f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                 os.environ.get("PATH", "")]))
    env.pop("MPLBACKEND", None)  # the kernels must draw inline, as for a learner
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        server.terminate()
        pytest.fail(f"JupyterLab did not start: {(root / 'server.log').read_text()[-2000:]}")
    yield f"http://127.0.0.1:{port}", token
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, lab, relpath):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab/tree/{relpath}?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel", timeout=90_000)
    _wait_idle(page)
    return page


def _wait_idle(page, timeout=180_000):
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)


_PROMPTS = "[...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent)"


def _run_all(page, expect_error=False):
    """Run > Run All Cells, as a learner would, and wait until the run has finished."""
    # give the notebook focus (its commands are enabled then) without following a link
    page.locator(".jp-CodeCell .jp-InputArea-prompt").first.click()
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    item = page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel:text-is('Run All Cells')")
    item.wait_for(timeout=30_000)
    item.click()
    # started: the first code cell has a number or a star
    page.wait_for_function(f"() => /[0-9*]/.test({_PROMPTS}[0])", timeout=60_000)
    if expect_error:  # JupyterLab stops a Run All at the first error
        page.wait_for_selector(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                               timeout=180_000)
    else:
        page.wait_for_function(f"() => {_PROMPTS}.every(t => /\\[[0-9]+\\]/.test(t))",
                               timeout=180_000)
    page.wait_for_function(f"() => !{_PROMPTS}.some(t => t.includes('*'))", timeout=180_000)
    _wait_idle(page)


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_solution_runs_in_the_browser_with_figures_widgets_and_no_error(browser, lab):
    """Does the solution of notebook 03 run in JupyterLab with its figures and no error output?"""
    page = _open(browser, lab, f"solutions/{NB03}/{NB03}.ipynb")
    _run_all(page)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()[:3]
    images = page.locator(".jp-RenderedImage img")
    assert images.count() >= 3  # the histograms and the two widget figures
    sliders = page.locator(".widget-slider")
    assert sliders.count() >= 3  # gamma, beta, batch size

    # moving a slider redraws its demo's figure, in both demos
    for demo_call in ("interactive_gamma_beta()", "interactive_batch_noise()"):
        demo = page.locator(".jp-CodeCell", has_text=demo_call)
        before = demo.locator(".jp-RenderedImage img").first.get_attribute("src")
        handle = demo.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + 120, box["y"] + box["height"] / 2, steps=8)
        page.mouse.up()
        page.wait_for_function("([b, n]) => { const imgs = [...document.querySelectorAll("
                               "'.jp-CodeCell')].filter(c => c.innerText.includes(n))[0]"
                               ".querySelectorAll('.jp-RenderedImage img'); "
                               "return imgs.length > 0 && imgs[0].src !== b; }",
                               arg=[before, demo_call], timeout=30_000)
    _shot(page, "03_solution_widget_moved.png")

    histogram = images.nth(0)
    histogram.scroll_into_view_if_needed()
    _shot(page, "03_solution_figure.png")
    page.close()


def test_student_version_fails_with_the_course_message_not_a_traceback(browser, lab):
    """Does a student's test cell fail with the check's short message, not a traceback wall?"""
    page = _open(browser, lab, f"notebooks/{NB03}/{NB03}.ipynb")
    _run_all(page, expect_error=True)  # stops at the first cell that calls the stub
    cell = page.locator(".jp-CodeCell", has_text="check_batchnorm_forward(batchnorm_forward, seed=0)")
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(500)
    _wait_idle(page)
    output = cell.locator(".jp-OutputArea-output")
    output.first.wait_for(timeout=60_000)
    text = "\n".join(output.all_inner_texts())
    assert "CheckFailure" in text and "not written yet" in text, text
    assert "Traceback" not in text and "File " not in text, text
    assert len(text.splitlines()) <= 6, text
    cell.scroll_into_view_if_needed()
    _shot(page, "03_student_check_message.png")
    page.close()


def test_nbgrader_validate_button_reports_success_on_the_solution(browser, lab):
    """Does pressing nbgrader's Validate on the solution notebook report success?"""
    page = _open(browser, lab, f"solutions/{NB03}/{NB03}.ipynb")
    page.click(".jp-Toolbar button:has-text('Validate'), .jp-Toolbar :text-is('Validate')")
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    page.wait_for_function("() => !document.querySelector('.jp-Dialog').innerText"
                           ".includes('Validating')", timeout=180_000)
    text = dialog.inner_text()
    _shot(page, "03_validate.png")
    assert "Success" in text, text
    page.close()
