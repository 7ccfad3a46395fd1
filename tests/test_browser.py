"""Does the course work the way a learner and an instructor meet it: JupyterLab in a browser?

Starts JupyterLab on a free local port over a scratch copy of the course, as `make lab` and
`make instructor` start it (their commands are read with `make -n`; each server once per
test run), drives Debian's Chromium with Playwright (never a downloaded browser) and checks
what a learner would see: the printed URL opening the contents; the solution's figures and
widgets, no error output; the student version's test cells failing with the course's short
message; nbgrader's Validate button reporting success; no instructor tool. And what an
instructor sees: the Formgrader listing every assignment. Screenshots are kept in
test-artifacts/browser/ (not committed).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

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


def _make_command(target: str) -> tuple[dict, list[str]]:
    """The JupyterLab command `make TARGET` runs (from `make -n`): its environment
    assignments and its arguments after `jupyter lab`."""
    out = subprocess.run(["make", "-n", target], cwd=paths.ROOT, capture_output=True,
                         text=True, check=True).stdout
    words = shlex.split([line for line in out.splitlines() if "bin/jupyter lab" in line][-1])
    env = {}
    while re.fullmatch(r"[A-Z_]+=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    assert words[0].endswith("bin/jupyter") and words[1] == "lab", words
    return env, words[2:]


def _serve(root: Path, target: str, env_extra: dict | None = None):
    """Start JupyterLab over ``root`` as `make TARGET` starts it, on a free local port."""
    make_env, flags = _make_command(target)
    port = _free_port()
    log_path = root / "server.log"
    log = open(log_path, "w")
    # no token given: JupyterLab makes one and prints the URL with it, as under make
    # the user's JupyterLab state (workspaces, settings) is a first-time user's, not ~/.jupyter's
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", *flags, "--no-browser",
           f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}",
           f"--LabApp.workspaces_dir={root / '.lab-workspaces'}",
           f"--LabApp.user_settings_dir={root / '.lab-user-settings'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in cmd:
        cmd.append("--allow-root")
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                                 os.environ.get("PATH", "")]))
    # make's paths into the repository point into the scratch copy instead
    env.update({k: v.replace(str(paths.ROOT), str(root)) for k, v in make_env.items()})
    env.update(env_extra or {})
    env.pop("MPLBACKEND", None)  # the kernels must draw inline, as for a learner
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    deadline = time.time() + 300  # a shared, busy machine starts JupyterLab slowly
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.3)
    else:
        server.terminate()
        pytest.fail(f"JupyterLab did not start: {log_path.read_text()[-2000:]}")
    printed = None
    while time.time() < deadline and server.poll() is None and printed is None:
        printed = re.search(rf"http://127\.0\.0\.1:{port}/\S*\?token=([0-9a-f]+)",
                            log_path.read_text())
        time.sleep(0.3)
    if server.poll() is not None or printed is None:
        server.terminate()
        pytest.fail(f"JupyterLab exited or printed no URL: {log_path.read_text()[-2000:]}")
    return server, log, SimpleNamespace(base=f"http://127.0.0.1:{port}", token=printed.group(1),
                                        url=printed.group(0), log=log_path, root=root)


def _stop(server, log):
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The student's JupyterLab (as `make lab` starts it, with the environment's settings
    from scripts/lab_settings.py) over a scratch copy of the course."""
    sys.path.insert(0, str(paths.ROOT / "scripts"))
    import lab_settings

    lab_settings.main()
    root = tmp_path_factory.mktemp("lab-root")
    for folder in ("notebooks", "solutions"):
        shutil.copytree(paths.ROOT / folder, root / folder)
    server, log, info = _serve(root, "lab")
    yield info
    _stop(server, log)


@pytest.fixture(scope="module")
def instructor_lab(tmp_path_factory):
    """The instructor's JupyterLab (as `make instructor` starts it) over a scratch copy of
    the course and of its nbgrader and Jupyter configuration (the gradebook the Formgrader
    makes lands in the copy)."""
    root = tmp_path_factory.mktemp("instructor-root")
    for folder in ("notebooks", "solutions"):
        shutil.copytree(paths.ROOT / folder, root / folder)
    (root / "autograder").mkdir()
    for name in ("nbgrader_config.py", "jupyter_server_config.json"):
        shutil.copy(paths.CONFIG_DIR / name, root / "autograder" / name)
    shutil.copytree(paths.CONFIG_DIR / "labconfig", root / "autograder" / "labconfig")
    server, log, info = _serve(root, "instructor")
    yield info
    _stop(server, log)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, lab, relpath):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{lab.base}/lab/tree/{relpath}?reset&token={lab.token}")
    _wait_loaded(page)
    _wait_idle(page)
    return page


def _wait_loaded(page, timeout=90_000):
    """Wait until the open notebook's contents are on the page, its markdown rendered.

    The notebook panel appears before its contents arrive: meanwhile it shows an empty
    notebook ("Click to add a cell", sometimes one empty code cell), for long on a busy or
    freshly set-up machine. Every notebook of the course opens with a markdown cell, so the
    contents are there when the panel holds markdown cells, every one of them rendered.
    """
    page.wait_for_function(
        "() => { const panel = document.querySelector('.lm-DockPanel .jp-NotebookPanel:not(.lm-mod-hidden)');"
        " if (!panel) return false;"
        " const cells = panel.querySelectorAll('.jp-Cell');"
        " const md = [...panel.querySelectorAll('.jp-MarkdownCell')];"
        " return cells.length > 0 && md.length > 0 && md.every(c => c.querySelector('.jp-RenderedMarkdown')"
        " && c.querySelector('.jp-RenderedMarkdown').innerText.trim().length > 0); }",
        timeout=timeout)


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


def _status(lab, path: str) -> int:
    try:
        with urllib.request.urlopen(f"{lab.base}{path}?token={lab.token}", timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def _menus(page) -> list[str]:
    return page.locator(".lm-MenuBar-itemLabel").all_inner_texts()


def _side_tabs(page) -> list[str]:
    return [t.get_attribute("title") or "" for t in page.locator(".lm-TabBar-tab").all()]


def test_make_lab_prints_the_contents_url_and_it_opens_the_contents(browser, lab):
    """Does the URL `make lab` prints open the contents notebook, not the Launcher?

    First in this file: the student's first visit, before any saved layout (JupyterLab
    restores a returning user's open tabs).
    """
    assert "/lab/tree/notebooks/00_index.ipynb?token=" in lab.url, lab.url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(lab.url)  # exactly as printed
    _wait_loaded(page)
    active = page.locator(".lm-DockPanel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
    assert active.first.inner_text() == "00_index.ipynb"
    assert page.locator(".jp-Launcher").count() == 0
    assert "Batch Normalization, from scratch" in page.locator(".jp-NotebookPanel").inner_text()
    _shot(page, "make_lab_contents.png")
    page.close()


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


def test_student_lab_shows_no_instructor_tool_and_keeps_validate(browser, lab):
    """Does the student's lab show no Nbgrader menu, no Create Assignment panel, no
    Formgrader and no "Error fetching courses!", while the Validate button is there?"""
    page = _open(browser, lab, f"notebooks/{NB03}/{NB03}.ipynb")
    page.wait_for_timeout(2000)  # let every extension load and draw
    assert "Nbgrader" not in _menus(page), _menus(page)
    assert not [t for t in _side_tabs(page) if "Assignment" in t or "Course" in t], _side_tabs(page)
    assert "Error fetching courses" not in page.inner_text("body")
    assert page.locator(".jp-Toolbar :text-is('Validate')").count() >= 1
    _shot(page, "student_lab.png")
    page.close()
    # the instructor's server extensions are off too, not only hidden
    assert _status(lab, "/formgrader/manage_assignments") == 404
    assert _status(lab, "/formgrader/api/assignments") == 404


def test_make_lab_ko_starts_the_same_lab_at_the_korean_contents():
    """Does `make lab-ko` start JupyterLab exactly as `make lab` does, but at the Korean
    edition's contents (notebooks/ko/00_index.ipynb)?"""
    env, flags = _make_command("lab")
    env_ko, flags_ko = _make_command("lab-ko")
    start = [f for f in flags_ko if f.startswith("--LabApp.default_url=")]
    assert start == ["--LabApp.default_url=/lab/tree/notebooks/ko/00_index.ipynb"], flags_ko
    assert env_ko == env and [f for f in flags_ko if f not in start] == [
        f for f in flags if not f.startswith("--LabApp.default_url=")]
    assert (paths.NOTEBOOKS / "ko" / "00_index.ipynb").exists()


def test_a_korean_notebook_reads_in_korean_and_its_test_cell_runs(browser, lab):
    """Does a notebook of the Korean edition render its markdown in Korean (math typeset),
    and does its test cell fail with the same check message as the English edition's?"""
    nb04 = "04_bn_backward"
    page = _open(browser, lab, f"notebooks/ko/{nb04}/{nb04}.ipynb")
    heading = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown h1").first
    assert "배치 정규화의 역전파" in heading.inner_text()
    prose = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown").all_inner_texts()
    assert sum(bool(re.search(r"[\uac00-\ud7a3]", t)) for t in prose) >= 20, prose[:3]
    assert "차례" in prose[0]  # the navigation cell
    page.wait_for_function("() => document.querySelectorAll('.jp-RenderedMarkdown "
                           "mjx-container, .jp-RenderedMarkdown .MathJax').length > 10",
                           timeout=60_000)
    _run_all(page, expect_error=True)  # stops at the first cell that calls a stub
    cell = page.locator(".jp-CodeCell", has_text="check_relative_error(relative_error, seed=0)")
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(500)
    _wait_idle(page)
    output = cell.locator(".jp-OutputArea-output")
    output.first.wait_for(timeout=60_000)
    text = "\n".join(output.all_inner_texts())
    assert "CheckFailure" in text and "not written yet" in text, text
    assert "Traceback" not in text, text
    cell.scroll_into_view_if_needed()
    _shot(page, "04_korean_check_message.png")
    page.close()


def test_instructor_lab_formgrader_lists_the_eight_assignments(browser, instructor_lab):
    """Does the instructor's lab (make instructor) read the course's nbgrader configuration
    and list every assignment in the Formgrader, with the Create Assignment panel there?"""
    page = _open(browser, instructor_lab, "notebooks/00_index.ipynb")
    assert any("Create Assignment" in t for t in _side_tabs(page)), _side_tabs(page)
    page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
    page.click(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel:text-is('Formgrader')")
    frame = page.frame_locator("iframe[src*='formgrader']").first
    rows = frame.locator("table tbody tr")
    rows.first.wait_for(timeout=120_000)
    deadline = time.time() + 180  # the table says "Loading, please wait..." first
    while "Loading" in (rows.first.inner_text() or "") and time.time() < deadline:
        page.wait_for_timeout(500)
    names = [row.split("\t")[0].strip() for row in rows.all_inner_texts()]
    _shot(page, "instructor_formgrader.png")
    assert names == paths.assignments(), names
    page.close()
    assert "No nbgrader_config.py file found" not in instructor_lab.log.read_text()
