"""Does every Korean translation keep the structure, math, code and numbers of its English?

For every catalogue present in ``translations/ko/``, each current entry (translated, not
fuzzy, not obsolete) is compared with the English it translates: the same headings, list
items, table rows, ``<details>`` folds and blank lines, the same ``$...$`` and ``$$...$$``
math, code spans, fenced code, link targets, HTML tags and numbers, the same bold and
italics, and no emphasis marker left unrendered. Every notebook, and the course catalogue
(navigation and contents, ``course.po``), must have a current translation of every text:
a missing catalogue, a missing, empty or fuzzy entry, or one made for other English fails.
A notebook's rendered Korean solution notebook must be valid nbformat whose code cells and
nbgrader metadata are the English ones. Nothing is executed. The terms and rules are in
``translations/ko/GLOSSARY.md``; the generated notebooks are tested in
``tests/test_korean_edition.py``.
"""

from __future__ import annotations

import re
from collections import Counter

import mistune
import nbformat
import pytest

from autograder import paths
from autograder import translations as T

LANG = "ko"
FOLDER = T.TRANSLATIONS / LANG
CATALOGUES = sorted(p.stem for p in FOLDER.glob("*.po")) if FOLDER.is_dir() else []
#: the catalogues of notebooks present (the course catalogue translates no notebook)
NOTEBOOK_CATALOGUES = [name for name in CATALOGUES if name != T.COURSE]

HANGUL = re.compile(r"[\uac00-\ud7a3]")
FENCE = re.compile(r"^(```|~~~)[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
CODE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
INLINE = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
URL = re.compile(r"https?://[^\s)>\]]+")
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^>]*>")
HREF = re.compile(r"\b(?:href|src)\s*=\s*\"([^\"]*)\"")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
HEADING = re.compile(r"^(#{1,6})\s")
LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")

#: the terminology table of GLOSSARY.md: an English term in a cell (other than English
#: kept verbatim in the Korean, such as a paper's title) needs its Korean term
TERMS = [
    (re.compile(r"standardi[sz]", re.I), "표준화"),
    (re.compile(r"regulari[sz]", re.I), "규제"),
    (re.compile(r"generali[sz]", re.I), "일반화"),
    (re.compile(r"internal covariate shift", re.I), "내부 공변량 변화"),
    (re.compile(r"whiten", re.I), "백색화"),
    (re.compile(r"batch[- ]norm", re.I), "배치 정규화"),
]
#: renderings the glossary decided against
AVOIDED = ["공변량 이동"]

_render = mistune.create_markdown(plugins=["table", "strikethrough"])


def _pull(pattern, text, token, group=1):
    """The matches of ``pattern`` (its ``group``), in order, and ``text`` with each one
    replaced by ``token``."""
    found = []

    def keep(match):
        found.append(match.group(group))
        return token

    return found, pattern.sub(keep, text)


def _rendered(text: str) -> str:
    """The cell as HTML, math replaced first as JupyterLab does (by ``@@0@@``), code kept."""
    spans = []

    def hide(match):
        spans.append(match.group(0))
        return f"\x00{len(spans) - 1}\x00"

    text = CODE.sub(hide, FENCE.sub("", text))
    text = INLINE.sub("@@0@@", DISPLAY.sub("@@0@@", text))
    text = re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)
    return _render(text)


def structure(text: str) -> dict:
    """What a translation must keep of a markdown cell."""
    fences, rest = _pull(FENCE, text, "\u27e6F\u27e7", group=0)
    display, rest = _pull(DISPLAY, rest, "\u27e6D\u27e7")
    code, rest = _pull(CODE, rest, "\u27e6C\u27e7", group=2)
    inline, rest = _pull(INLINE, rest.replace("\\$", "\u27e6S\u27e7"), "\u27e6M\u27e7")
    links = LINK.findall(rest) + HREF.findall(rest)
    prose = TAG.sub(" ", HREF.sub(" ", LINK.sub(" ", rest)))
    links += URL.findall(prose)
    prose = URL.sub(" ", prose)
    skeleton = []
    for line in rest.split("\n"):
        if not line.strip():
            kind = "blank"
        elif HEADING.match(line):
            kind = "heading " + HEADING.match(line).group(1)
        elif TABLE_SEPARATOR.match(line) and "|" in line:
            kind = "table separator " + re.sub(r"\s+", "", line)
        elif line.lstrip().startswith("|"):
            kind = f"table row of {line.strip().strip('|').count('|') + 1} cells"
        elif LIST_ITEM.match(line):
            indent, marker = LIST_ITEM.match(line).groups()
            kind = f"list item {marker!r} indented {len(indent)}"
        elif line.strip() == "\u27e6D\u27e7":
            kind = "display math"
        elif line.strip() == "\u27e6F\u27e7":
            kind = "fenced code"
        elif TAG.match(line.strip()):
            kind = "html " + " ".join("<" + s + n.lower() + ">" for s, n in TAG.findall(line))
        elif line.lstrip().startswith(">"):
            kind = "quote"
        else:
            kind = "text"
        if not (kind == "text" and skeleton and skeleton[-1] == "text"):
            skeleton.append(kind)
    shown = re.sub(r"<code>.*?</code>", "", _rendered(text), flags=re.S)
    return {
        "skeleton": skeleton,
        "display math": display,
        "fenced code": fences,
        "inline math": sorted(inline),
        "code spans": sorted(code),
        "link targets": sorted(links),
        "html tags": sorted(f"<{s}{n.lower()}>" for s, n in TAG.findall(rest)),
        "numbers": sorted(NUMBER.findall(prose)),
        "bold": shown.count("<strong>"),
        "italics": shown.count("<em>"),
        "unrendered *": TAG.sub("", shown).count("*"),
        "~": prose.count("~"),
    }


def differences(english: str, korean: str) -> list[str]:
    """How ``korean`` fails to keep the structure of ``english`` (empty when it keeps it)."""
    want, got = structure(english), structure(korean)
    found = []
    for key in want:
        if key == "numbers":  # every number of the English is kept; Korean may add a 0 for "zero"
            missing = list((Counter(want[key]) - Counter(got[key])).elements())
            if missing:
                found.append(f"numbers differ: missing {missing}")
        elif want[key] != got[key]:
            if isinstance(want[key], list):
                missing = list((Counter(want[key]) - Counter(got[key])).elements())
                extra = list((Counter(got[key]) - Counter(want[key])).elements())
                detail = f"missing {missing}, extra {extra}" if missing or extra else (
                    f"English {want[key]}, Korean {got[key]}")
            else:
                detail = f"English {want[key]}, Korean {got[key]}"
            found.append(f"{key} differ: {detail}")
    if re.search(r"[A-Za-z]{3}", structure_prose(english)) and not HANGUL.search(korean):
        found.append("no Korean in the translation")
    return found


def structure_prose(text: str) -> str:
    """The words of a cell: what is left without math, code and tags."""
    for pattern in (FENCE, DISPLAY, CODE, INLINE, LINK, URL, TAG):
        text = pattern.sub(" ", text)
    return text


def term_problems(english: str, korean: str) -> list[str]:
    """Where ``korean`` misses a term of the terminology table, or uses an avoided one."""
    found = []
    for pattern, term in TERMS:
        if len(pattern.findall(english)) > len(pattern.findall(korean)) and term not in korean:
            found.append(f"the English says {pattern.pattern!r}: the Korean term is {term}")
    prose = structure_prose(korean)
    found += [f"{word!r} is avoided (GLOSSARY.md)" for word in AVOIDED if word in prose]
    return found


def _current_entries():
    for name in CATALOGUES:
        for entry in T.load(LANG, name):
            if not entry.obsolete and "fuzzy" not in entry.flags and entry.msgstr.strip():
                yield pytest.param(entry.msgid, entry.msgstr, id=f"{name}:{entry.msgctxt}")


@pytest.mark.parametrize("english, korean", list(_current_entries()))
def test_every_current_korean_entry_keeps_the_structure_of_its_english(english, korean):
    """Does the Korean keep the English cell's markdown, math, code, links and numbers?"""
    assert differences(english, korean) == []


@pytest.mark.parametrize("english, korean", list(_current_entries()))
def test_every_current_korean_entry_uses_the_glossary_terms(english, korean):
    """Are standardization, regularization, generalization, ... the glossary's Korean terms?"""
    assert term_problems(english, korean) == []


@pytest.mark.parametrize("name", T.catalogues())
def test_every_notebook_and_the_course_have_a_current_translation_of_every_text(name):
    """Does a missing catalogue, or a missing, empty, fuzzy or outdated entry, fail, for each
    of the eight notebooks and for the course catalogue?"""
    assert T.problems(LANG, name, T.texts_for(name)) == []


@pytest.mark.parametrize("name", NOTEBOOK_CATALOGUES)
def test_the_korean_solution_notebook_is_valid_and_changes_markdown_only(name):
    """Is the rendered Korean notebook valid, with every prose cell in Korean and code untouched?"""
    source = nbformat.read(paths.source_notebook(name), as_version=4)
    korean = T.translate(source, LANG, name)
    nbformat.validate(korean)
    assert len(korean.cells) == len(source.cells)
    for en, ko in zip(source.cells, korean.cells):
        assert (en.cell_type, en.get("id"), en.metadata) == (
            ko.cell_type, ko.get("id"), ko.metadata)
        if en.cell_type != "markdown":
            assert ko == en
        elif re.search(r"[A-Za-z]{3}", structure_prose(en.source)):
            assert HANGUL.search(ko.source), f"cell {en.id} is still in English"


# The checker itself: each kind of damage a translation can do is caught.
ENGLISH = """## 2. The graph

Find $d\\beta$ and `dout` (see [notebook 05](../05_bn_inference/05_bn_inference.ipynb)), **every entry**, about 12 digits.

$$
dx = \\frac{1}{m}
$$

<details>
<summary>Hint for step 1</summary>

Use *rule 2*.

</details>

| step | shape |
|---|---|
| a | $m$ |"""

KOREAN = """## 2. 그래프

$d\\beta$와 `dout`을 구하라([노트북 05](../05_bn_inference/05_bn_inference.ipynb) 참고). **모든 원소**에 대해, 약 12자리.

$$
dx = \\frac{1}{m}
$$

<details>
<summary>1단계 힌트</summary>

*규칙 2*를 쓴다.

</details>

| 단계 | 형상 |
|---|---|
| a | $m$ |"""


def test_the_checker_accepts_a_faithful_translation():
    """Does a translation that keeps everything pass (so each damaged one below fails for its damage)?"""
    assert differences(ENGLISH, KOREAN) == []


@pytest.mark.parametrize("damage, expected", [
    (("$d\\beta$와", "$d\\gamma$와"), "inline math"),
    (("\\frac{1}{m}", "\\frac{1}{M}"), "display math"),
    (("`dout`을", "`d_out`을"), "code spans"),
    (("(../05_bn_inference/05_bn_inference.ipynb)", "(05_bn_inference.ipynb)"), "link targets"),
    (("약 12자리", "약 열두 자리"), "numbers"),
    (("## 2. 그래프", "2. 그래프"), "skeleton"),
    (("<summary>1단계 힌트</summary>\n\n", "<summary>1단계 힌트</summary>\n"), "skeleton"),
    (("\n\n</details>", "\n</details>"), "skeleton"),
    (("| a | $m$ |", "| a $m$ |"), "skeleton"),
    (("**모든 원소**에 대해", "**모든 원소(entry)**에 대해"), "unrendered *"),
    (("*규칙 2*를", "규칙 2를"), "italics"),
    (("약 12자리", "약 12자리, 6~8단계"), "~"),
])
def test_the_checker_catches_each_kind_of_damage(damage, expected):
    """Does a changed formula, code span, link, number, fold, heading, table or emphasis fail?"""
    old, new = damage
    assert old in KOREAN
    found = differences(ENGLISH, KOREAN.replace(old, new))
    assert any(problem.startswith(expected) for problem in found), found


def test_the_checker_wants_korean_and_the_glossary_terms():
    """Does English pasted as the translation, or 정규화 for regularization, fail?"""
    assert "no Korean in the translation" in differences(ENGLISH, ENGLISH.replace("Hint", "Tip"))
    english = "Regularization penalizes model complexity."
    assert term_problems(english, "정규화는 모델 복잡도에 벌점을 준다.") != []
    assert term_problems(english, "규제(regularization)는 모델 복잡도에 벌점을 준다.") == []
    title = "Ioffe & Szegedy, *Reducing Internal Covariate Shift*."
    assert term_problems(title, "Ioffe & Szegedy, *Reducing Internal Covariate Shift*.") == []
    assert term_problems("internal covariate shift", "내부 공변량 이동") != []
