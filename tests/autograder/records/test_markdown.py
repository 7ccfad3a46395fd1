"""Do written answers show as Markdown with math, and never as a student's HTML?

Students write these answers; the instructor opens the written-answers page, the student
their feedback page, both from disk. What a student typed must render as Markdown and
math, and any HTML in it must stay text: no tag, attribute or link the student chose may
reach the page, and no page loads anything from outside its grading folder.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.records import feedback, gradebook, markdown, report

#: what an answer may become: the tags and attributes the renderer writes itself
TAGS = {"p", "em", "strong", "code", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5",
        "h6", "blockquote", "hr", "br", "a", "span", "del", "table", "thead", "tbody", "tr",
        "th", "td", "div"}
ATTRIBUTES = {"href", "rel", "class", "start", "style"}  # style: table cell alignment
HOSTILE = [
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x oNeRrOr=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src='https://evil.example/'></iframe>",
    "<style>body { display: none }</style>",
    "<a href='javascript:alert(1)'>click</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "![tracker](https://evil.example/pixel.png)",
    "![x](x\" onerror=\"alert(1))",
    "$<img src=x onerror=alert(1)>$",
    "$$</span><script>alert(1)</script>$$",
    "`<script>alert(1)</script>`",
    "<!-- <script>alert(1)</script> -->",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<details open ontoggle=alert(1)>",
    "\x1b]0;retitled\x07 <b onmouseover=alert(1)>bold</b>",
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def _assert_safe(html: str) -> None:
    for tag, attrs in _tags(html):
        assert tag in TAGS, (tag, html)
        assert set(attrs) <= ATTRIBUTES, (tag, attrs, html)
        if tag == "a":
            assert re.match(r"(https?|mailto):", attrs["href"], re.I), html
            assert attrs["rel"] == "noopener noreferrer nofollow"
        if "style" in attrs:
            assert tag in ("th", "td") and re.fullmatch(r"text-align:(left|right|center)",
                                                        attrs["style"]), html
    assert "\x1b" not in html and "\x07" not in html


def test_markdown_and_math_render():
    """Headings, emphasis, lists, code and math, as in a notebook's Markdown cell?"""
    html = markdown.render("## Why\n\n*Each* output depends on **the batch**:\n\n"
                           "- the mean $\\mu_B = \\frac{1}{m}\\sum_i x_i$\n"
                           "- `x.var(axis=0)`\n\n"
                           "$$\\hat{x}_i = \\frac{x_i - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}$$")
    assert "<h2>Why</h2>" in html and "<em>Each</em>" in html and "<strong>the batch</strong>" in html
    assert "<li>" in html and "<code>x.var(axis=0)</code>" in html
    assert '<span class="math">\\(\\mu_B = \\frac{1}{m}\\sum_i x_i\\)</span>' in html
    assert ('<span class="math display">\\[\\hat{x}_i = \\frac{x_i - \\mu_B}'
            '{\\sqrt{\\sigma_B^2 + \\epsilon}}\\]</span>') in html
    assert "$" not in html  # every dollar became a MathJax delimiter the page configures
    _assert_safe(html)


def test_a_web_link_stays_a_link_and_tex_with_html_characters_is_escaped():
    html = markdown.render("See [the paper](https://arxiv.org/abs/1502.03167) and $a<b$.")
    assert ('<a href="https://arxiv.org/abs/1502.03167" rel="noopener noreferrer nofollow">'
            "the paper</a>") in html
    assert '<span class="math">\\(a&lt;b\\)</span>' in html  # MathJax reads the text: a<b


def test_every_hostile_answer_stays_text():
    """<script>, <img onerror>, javascript: links, an image from a tracker, HTML in math:
    does every one render as text, with no tag, attribute or link the student chose?"""
    for text in HOSTILE:
        _assert_safe(markdown.render(text))
    rendered = markdown.render("<script>alert('xss')</script>")
    assert "&lt;script&gt;" in rendered  # shown, as typed
    assert "[image: tracker]" in markdown.render(HOSTILE[12])  # never loaded


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"'`$[]()!:*_#&;-\n xaimgscrptonerhfjv")),
               max_size=80))
def test_no_text_of_markup_characters_makes_a_tag_of_its_own(text):
    """Whatever a student types from the characters of HTML and Markdown, do only the
    renderer's own tags and attributes come out?"""
    _assert_safe(markdown.render(text))


def _page(answer: str) -> str:
    return feedback.written_answers("03_bn_forward", [("ann", [("q_identity", answer)])])


def test_the_written_answers_page_loads_mathjax_from_the_grading_folder_only():
    """A page with math loads MathJax (with its Safe extension) by a relative path, never
    from a CDN; a page without math loads nothing; the page outside the math is ignored
    by MathJax (a check message's $ is never typeset)."""
    page = _page("Take $\\gamma = \\sqrt{\\sigma^2 + \\epsilon}$.")
    sources = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert sources == ["../mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"]
    assert not re.search(r"https?://", page)
    assert '<body class="tex2jax_ignore">' in page and 'processClass: "math"' in page
    assert "<script" not in _page("No math here.")


def test_a_feedback_page_shows_the_answer_as_markdown(tmp_path):
    """Does the student's own page render their answer, with MathJax three folders up?"""
    row = report.Row("ann", "03_bn_forward", 5.0, 5.0, "", 2.0, 5.0)
    body = ('<div class="cell">' + markdown.block("**Because** $x$ <script>x()</script>")
            + "</div>")
    page = feedback.page(row, body)
    assert "<strong>Because</strong>" in page and "&lt;script&gt;" in page
    assert '<script src="../../../mathjax/MathJax.js?config=' in page
    assert feedback.PAGE_DEPTH == 3  # feedback/<student>/<assignment>/<assignment>.html


def test_mathjax_is_copied_once_and_the_pages_find_it(tmp_path):
    """Does the grading folder get MathJax (its Safe extension and fonts), where both kinds
    of page look for it, and is a second copy left alone?"""
    assert markdown.install_mathjax(tmp_path)
    mathjax = tmp_path / markdown.MATHJAX_DIR
    for needed in ("MathJax.js", "config/TeX-AMS-MML_HTMLorMML-full.js", "config/Safe.js",
                   "extensions/Safe.js"):
        assert (mathjax / needed).is_file(), needed
    page_folder = tmp_path / "feedback" / "ann" / "03_bn_forward"
    src = re.search(r'src="([^"?]+)', markdown.head(3))[1]
    assert (page_folder / src).resolve() == (mathjax / "MathJax.js").resolve()
    stamp = (mathjax / "MathJax.js").stat().st_mtime_ns
    assert markdown.install_mathjax(tmp_path)
    assert (mathjax / "MathJax.js").stat().st_mtime_ns == stamp


def test_markdown_a_student_wrote_cannot_carry_html_into_the_formgrader():
    """The Formgrader renders the autograded notebook's Markdown with nbconvert, which
    passes raw HTML and javascript: links on: does nothing a student typed become a tag there,
    or a link but to a web address typed out, while the text reads the same?"""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    for text in HOSTILE:
        inert = gradebook.inert_markdown(text)
        assert inert.replace(gradebook.ZERO_WIDTH_SPACE, "") == text.replace("\x1b", "?") \
            .replace("\x07", "?")
        html = markdown2html_mistune(inert)
        for tag, attrs in _tags(html):
            assert tag in TAGS, (tag, text, html)  # no image, no script, no frame
            assert not any(a.startswith("on") for a in attrs), (text, html)
            if tag == "a":  # only a web address typed out (nbconvert links those itself)
                assert re.match(r"https?://", attrs.get("href", ""), re.I), (text, html)
    link = "[ref][r]\n\n[r]: javascript:alert(1)"
    assert "<a" not in markdown2html_mistune(gradebook.inert_markdown(link))
