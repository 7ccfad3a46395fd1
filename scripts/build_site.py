"""Build the course's reading site, offline: ``make site`` (or ``python scripts/build_site.py``).

What a self-study reader gets, and why: each page is the notebook *executed from the
solution*, so every figure and number is there to read, with each exercise's solution
and each model answer folded away behind "Show ..." (try first, then look). Hidden tests
are removed. Every page links the student notebook to download and work in. A site made
from the unsolved student versions would have no figures (the demos call the exercises),
and one with solutions in plain view would spoil every exercise.

Steps: copy MathJax from the installed jupyter-server-mathjax package (no CDN); for each
notebook, prepare (fold solutions, drop hidden tests, put static figures where the
notebook shows a slider), execute, convert to HTML with the course's template; write the
contents page; copy the student notebooks.
"""

from __future__ import annotations

import argparse
import copy
import html
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import cells, paths  # noqa: E402
from autograder.execute import run_notebook  # noqa: E402

OUT = ROOT / "site" / "_build"
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
#: the packaged MathJax 2 carries the STIX-Web fonts only: tell it so, or it falls back
#: to the reader's system fonts and hats and calligraphic letters come out wrong
MATHJAX_HEAD = f"""<script type="text/x-mathjax-config">
MathJax.Hub.Config({{
  tex2jax: {{inlineMath: [['$','$'], ['\\\\(','\\\\)']], displayMath: [['$$','$$'], ['\\\\[','\\\\]']],
            processEscapes: true, processEnvironments: true}},
  "HTML-CSS": {{availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web",
               imageFont: null}},
  SVG: {{font: "STIX-Web"}},
  displayAlign: "center", messageStyle: "none"
}});
</script>
<script src="{MATHJAX_URL}"></script>"""
HIDDEN = re.compile(r"\n?[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*", re.S)
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
#: a cell that opens a slider demo shows the demo's starting figure on the site instead
STATIC_DEMOS = {"interactive_gamma_beta": "gamma_beta_sigmoid_demo",
                "interactive_batch_noise": "batch_noise_demo"}

TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{% block html_head_js_requirejs %}{% endblock html_head_js_requirejs %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block html_head_js_mathjax %}MATHJAX_HEAD{% endblock html_head_js_mathjax %}
{% block extra_css %}
<style>
  details.course-fold { margin: 0.4em 0 0.8em 0; border-left: 3px solid #c9d6e8; padding-left: 0.6em; }
  details.course-fold > summary { cursor: pointer; color: #1a5fb4; font-weight: 600; }
  nav.course-nav { font-family: sans-serif; margin: 0.5em 0 1em 0; }
  nav.course-nav a { margin-right: 1.2em; }
</style>
{% endblock extra_css %}
{% block input_group %}
{%- if cell.metadata.get('course_fold') -%}
<details class="course-fold"><summary>{{ cell.metadata.get('course_fold') }}</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock input_group %}
{% block markdowncell scoped %}
{%- if cell.metadata.get('course_fold') -%}
<details class="course-fold"><summary>{{ cell.metadata.get('course_fold') }}</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock markdowncell %}
"""


def title_of(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "untitled"


def prepare(nb, names: list[str], index: int):
    """The reader's version of a solution notebook, before execution."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cells.is_autograded_test(cell):
            cell.source = HIDDEN.sub("", cell.source).rstrip()
        elif cells.meta(cell).get("solution") and cell.cell_type == "code":
            cell.source = MARKER.sub("", cell.source)
            cell.metadata["course_fold"] = "Show one solution (try the exercise first)"
        elif cells.is_manual_answer(cell):
            cell.metadata["course_fold"] = "Show a model answer"
        if cell.cell_type == "code":
            for widget, static in STATIC_DEMOS.items():
                if f"{widget}(" in cell.source:
                    cell.source = cell.source.replace(widget, static)
                    nb.cells.insert(nb.cells.index(cell), nbformat.v4.new_markdown_cell(
                        "*On this page the demo shows its starting values; open the notebook "
                        "in JupyterLab to move the sliders.*"))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(nav(names, index)))
    nb.cells.append(nbformat.v4.new_markdown_cell(nav(names, index)))
    return nb


def nav(names: list[str], index: int) -> str:
    links = []
    if index > 0:
        links.append(f'<a href="{names[index - 1]}.html">&larr; {names[index - 1]}</a>')
    links.append('<a href="index.html">contents</a>')
    if index + 1 < len(names):
        links.append(f'<a href="{names[index + 1]}.html">{names[index + 1]} &rarr;</a>')
    links.append(f'<a href="notebooks/{names[index]}.ipynb" download>student notebook</a>')
    return '<nav class="course-nav">' + " ".join(links) + "</nav>"


def exporter(template_dir: Path):
    from nbconvert import HTMLExporter

    exp = HTMLExporter(template_name="course", extra_template_basedirs=[str(template_dir)])
    exp.mathjax_url = MATHJAX_URL
    exp.require_js_url = ""
    exp.exclude_anchor_links = False
    return exp


def index_page(entries: list[tuple[str, str]]) -> str:
    rows = "\n".join(f'<li><a href="{name}.html">{html.escape(title)}</a> '
                     f'(<a href="notebooks/{name}.ipynb" download>notebook</a>)</li>'
                     for name, title in entries)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Batch Normalization, from scratch</title>
<style>body {{ font-family: sans-serif; max-width: 48em; margin: 2em auto; line-height: 1.5; }}</style>
{MATHJAX_HEAD}</head>
<body>
<h1>Batch Normalization, from scratch</h1>
<p>A course in eight notebooks: you write batch normalization and its family in numpy,
check every piece against PyTorch, and see on real handwritten digits what it does. Its
core in one line: $\\hat x = (x - \\mu_\\mathcal{{B}}) / \\sqrt{{\\sigma_\\mathcal{{B}}^2 + \\epsilon}}$,
then $y = \\gamma \\hat x + \\beta$.</p>
<p>Each page is a notebook run from its solution: read it with its figures, try each
exercise in the downloadable student notebook, then open "Show one solution" to compare.</p>
<ol>
{rows}
</ol>
</body></html>
"""


def build(names: list[str] | None = None, out: Path = OUT, timeout: int = 600, log=print) -> Path:
    import jupyter_server_mathjax

    all_names = paths.assignments()
    names = list(names or all_names)
    unknown = [n for n in names if n not in all_names]
    if unknown:
        raise SystemExit(f"unknown notebooks {unknown}; known: {all_names}")
    if out.exists():
        shutil.rmtree(out)
    (out / "notebooks").mkdir(parents=True)
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", out / "mathjax")
    entries = []
    with tempfile.TemporaryDirectory(prefix="bn-course-site-") as tmp:
        template_dir = Path(tmp) / "templates"
        (template_dir / "course").mkdir(parents=True)
        (template_dir / "course" / "index.html.j2").write_text(
            TEMPLATE.replace("MATHJAX_HEAD", MATHJAX_HEAD))
        (template_dir / "course" / "conf.json").write_text('{"base_template": "lab"}')
        exp = exporter(template_dir)
        for i, name in enumerate(names):
            start = time.perf_counter()
            source = nbformat.read(paths.source_notebook(name), as_version=4)
            run = run_notebook(prepare(source, names, i), folder=paths.SOLUTIONS / name,
                               timeout=timeout)
            if run.problem:
                raise SystemExit(f"{name}: {run.problem}")
            run.nb.metadata.pop("widgets", None)
            body, _ = exp.from_notebook_node(run.nb, resources={"metadata": {"name": title_of(source)}})
            (out / f"{name}.html").write_text(body, encoding="utf-8")
            shutil.copy(paths.release_notebook(name), out / "notebooks" / f"{name}.ipynb")
            entries.append((name, title_of(source)))
            log(f"site: {name}.html ({time.perf_counter() - start:.1f} s)")
    (out / "index.html").write_text(index_page(entries), encoding="utf-8")
    log(f"site: open {out / 'index.html'}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the course's reading site (offline).")
    parser.add_argument("notebooks", nargs="*", help="assignment names (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args(argv)
    build(args.notebooks, args.out, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
