"""Students' written answers as Markdown with math, on the feedback and written-answers pages.

Students write these answers, so they are rendered as Markdown **without raw HTML**:

- Markdown by mistune (``mistune==3.4.0``, pinned in ``pyproject.toml``; nbconvert, which
  nbgrader needs, renders notebooks' Markdown with it, so it is in every install of the
  course), with its HTML renderer in escaping mode: raw HTML in an answer (a ``<script>``,
  an ``<img onerror=...>``, a ``<style>``) is shown as the text it is;
- links only to ``http:``, ``https:`` and ``mailto:`` addresses (with ``rel="noopener
  noreferrer nofollow"``); any other link (``javascript:``, ``data:``, ``file:``, a path) is
  shown as its text, and an image as ``[image: its alt text]``: a page never loads anything
  a student named (opening it makes no request to a student's server);
- math, ``$...$`` and ``$$...$$`` as in Jupyter, kept as escaped TeX in ``<span
  class="math">`` (``"math display"``); MathJax 2.7 typesets those elements and nothing
  else on the page, with its ``Safe`` extension (no ``\\href``, ``\\style`` or ``\\class``
  from a student's TeX).

MathJax comes from the ``jupyter-server-mathjax`` package, copied once into ``mathjax/``
of the grading folder (:func:`install_mathjax`); the pages load it by a relative path,
never from a CDN. So math renders where ``grade`` wrote the pages; a page sent alone (by
mail, or through ``nbgrader release_feedback``) shows the answer's Markdown with the TeX
as written. Pages stay the same bytes when graded again (no timestamps, no random ids).
"""

from __future__ import annotations

import filecmp
import html
import shutil
from pathlib import Path

import mistune
from mistune.util import striptags

from ..safety import sanitize

#: where the pages find MathJax, relative to the grading folder
MATHJAX_DIR = "mathjax"
LINK_SCHEMES = ("http:", "https:", "mailto:")
MATHJAX_CONFIG = """MathJax.Hub.Config({
  tex2jax: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]],
            processEscapes: false, processEnvironments: false,
            processClass: "math", ignoreClass: "tex2jax_ignore"},
  "HTML-CSS": {availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web",
               imageFont: null},
  SVG: {font: "STIX-Web"}, messageStyle: "none", menuSettings: {zoom: "None"}
});"""


class _AnswerRenderer(mistune.HTMLRenderer):
    """mistune's HTML renderer, escaping raw HTML, with the link and image rules above."""

    def __init__(self):
        super().__init__(escape=True)

    def link(self, text: str, url: str, title: str | None = None) -> str:
        if self.sanitize_url(url) != url or not url.strip().lower().startswith(LINK_SCHEMES):
            return text
        return (f'<a href="{self.escape_attribute(url)}" rel="noopener noreferrer nofollow">'
                f"{text}</a>")

    def image(self, text: str, url: str, title: str | None = None) -> str:
        return f'<span class="image">[image: {html.escape(striptags(text))}]</span>'

    def inline_math(self, text: str) -> str:
        return f'<span class="math">\\({html.escape(text, quote=False)}\\)</span>'

    def block_math(self, text: str) -> str:  # a span (``$$`` can stand inside a paragraph)
        return f'<span class="math display">\\[{html.escape(text, quote=False)}\\]</span>'


_render = mistune.create_markdown(
    renderer=_AnswerRenderer(),
    plugins=["strikethrough", "table", "math", "mistune.plugins.math.math_in_list",
             "mistune.plugins.math.math_in_quote"])


def render(text: str) -> str:
    """A student's Markdown answer as safe HTML (see the module's docstring)."""
    return str(_render(sanitize.text(text or "")))


def block(text: str, empty: str = "") -> str:
    """:func:`render` in a ``<div class="md">`` (``empty`` shown for an empty answer)."""
    if not str(text or "").strip():
        return f'<div class="md"><p><em>{html.escape(empty)}</em></p></div>' if empty else ""
    return f'<div class="md">{render(text)}</div>'


def has_math(page: str) -> bool:
    return 'class="math"' in page


def head(depth: int) -> str:
    """What a page ``depth`` folders below the grading folder puts in its ``<head>`` to
    typeset its math: MathJax's configuration and MathJax, from ``mathjax/``."""
    src = "../" * depth + f"{MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
    return (f'<script type="text/x-mathjax-config">{MATHJAX_CONFIG}</script>'
            f'<script src="{html.escape(src)}"></script>')


def mathjax_source() -> Path | None:
    """MathJax 2.7's folder in the ``jupyter-server-mathjax`` package (None if absent)."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    folder = Path(jupyter_server_mathjax.__file__).parent / "static"
    return folder if (folder / "MathJax.js").is_file() else None


def install_mathjax(out_dir: Path) -> bool:
    """Copy MathJax into ``out_dir/mathjax`` (once: a copy that matches is left alone).
    False when the package is not installed (the pages then show the TeX as written)."""
    source = mathjax_source()
    if source is None:
        return False
    target = out_dir / MATHJAX_DIR
    if (target / "MathJax.js").is_file() and filecmp.cmp(source / "MathJax.js",
                                                         target / "MathJax.js", shallow=False):
        return True
    shutil.copytree(source, target, dirs_exist_ok=True)
    return True
