"""Does every Korean translation keep the structure, math, code and numbers of its English?

For every catalogue present in ``translations/ko/``, each current entry (translated, not
fuzzy, not obsolete) is compared with the English it translates: the same headings, list
items, table rows, ``<details>`` folds and blank lines, the same ``$...$`` and ``$$...$$``
math, code spans, fenced code, link targets, HTML tags and numbers, the same bold and
italics, and no emphasis marker left unrendered. Numbers are kept as written, with one
exception: an English number with a scale word or suffix ("13.3 million", "31.0M", "5k")
may be written with Korean units ("1,330만", "3,100만", "5,000"), and then its value must be
the same. A translation adds structure only where its entry declares it (a translator comment
``# adds: table``), and then exactly that. Every notebook, and the course catalogue
(navigation and contents, ``course.po``), must have a current translation of every text:
a missing catalogue, a missing, empty or fuzzy entry, or one made for other English fails.
A notebook's rendered Korean solution notebook must be valid nbformat whose code cells and
nbgrader metadata are the English ones. Nothing is executed. The terms and rules are in
``translations/ko/GLOSSARY.md``; the generated notebooks are tested in
``tests/test_korean_edition.py``.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from fractions import Fraction
from typing import NamedTuple

import mistune
import nbformat
import pytest

from autograder import paths
from autograder.course import translations as T

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
#: an English number with a scale word or suffix: "13.3 million", "31.0M", "5k", "2 billion"
SCALED = re.compile(r"(?<![\w.,])(\d+(?:,\d{3})*(?:\.\d+)?)"
                    r"(?:[ \u00a0]+(?i:(thousand|million|billion))\b|([kKMB])\b)")
SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "k": 10**3, "m": 10**6,
          "b": 10**9}
#: digits as Korean writes them before 만 and 억: grouped by three with commas ("1,330")
GROUPED = r"\d{1,3}(?:,\d{3})*(?:\.\d+)?"
#: a value written with Korean units: "1,330만", "12억", "1억 3,300만" (not 만큼, "as much as")
KOREAN_UNITS = re.compile(rf"(?<![\d.,])(?:({GROUPED})\s?억(?:\s?({GROUPED})\s?만(?!큼))?"
                          rf"|({GROUPED})\s?만(?!큼))")
#: a number written out in full with digit grouping: "5,000", "3,000,000"
FULL_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
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

#: structure a translation may add to its English, when its PO entry declares it with a
#: translator comment ``# adds: table`` (one line; ``# adds: table, table`` for two): a whole
#: markdown table as a block of its own, such as the terminology table of notebook 01
ADDITIONS = {"table"}
ADDS = re.compile(r"^adds:(.*)$")
GLOSSARY = FOLDER / "GLOSSARY.md"
TERMINOLOGY_HEADING = "Terminology table (notebook 01 and contents)"

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
        "numbers": numbers(prose),
        "bold": shown.count("<strong>"),
        "italics": shown.count("<em>"),
        "unrendered *": TAG.sub("", shown).count("*"),
        "~": prose.count("~"),
    }


def declared_additions(entry) -> list[str]:
    """The structure a PO entry says its translation adds: its ``# adds: ...`` comment lines."""
    found = []
    for line in (entry.tcomment or "").splitlines():
        match = ADDS.match(line.strip())
        if match:
            found += [word.strip() for word in match.group(1).split(",") if word.strip()]
    return found


def table_blocks(text: str) -> list[tuple[int, int]]:
    """The first and last line numbers of each markdown table of ``text`` (not in fenced code)."""
    lines = text.split("\n")
    blocks, fence, i = [], None, 0
    while i < len(lines):
        stripped = lines[i].strip()
        if fence:
            fence = None if stripped.startswith(fence) else fence
        elif stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif (stripped.startswith("|") and i + 1 < len(lines) and "|" in lines[i + 1]
              and TABLE_SEPARATOR.match(lines[i + 1])):
            last = i + 1
            while last + 1 < len(lines) and lines[last + 1].lstrip().startswith("|"):
                last += 1
            blocks.append((i, last))
            i = last + 1
            continue
        i += 1
    return blocks


def _without(text: str, blocks) -> str:
    """``text`` without the given tables, each with the blank line that set it apart."""
    lines = text.split("\n")
    drop = set()
    for first, last in blocks:
        drop.update(range(first, last + 1))
        if first > 0 and not lines[first - 1].strip():
            drop.add(first - 1)
        elif last + 1 < len(lines) and not lines[last + 1].strip():
            drop.add(last + 1)
    return "\n".join(line for n, line in enumerate(lines) if n not in drop)


def added_table_problems(table: str) -> list[str]:
    """How an added table fails to be one well-formed, rendered, Korean markdown table."""
    found = []
    shape = structure(table)
    rows = [kind for kind in shape["skeleton"] if kind.startswith("table row")]
    separator = [kind for kind in shape["skeleton"] if kind.startswith("table separator")]
    if len(set(rows)) != 1 or len(separator) != 1 or not rows:
        found.append(f"the added table's rows differ in length: {shape['skeleton']}")
    elif separator[0].split()[-1].strip("|").count("|") + 1 != int(rows[0].split()[3]):
        found.append(f"the added table's separator does not match its rows: {separator[0]}")
    if "<table>" not in _rendered(table):
        found.append("the added table does not render as a table")
    if shape["unrendered *"] or shape["~"]:
        found.append("the added table has an unrendered * or a ~")
    if not HANGUL.search(table):
        found.append("the added table has no Korean")
    return found


def differences(english: str, korean: str, adds=()) -> list[str]:
    """How ``korean`` fails to keep the structure of ``english`` (empty when it keeps it).

    ``adds`` is what the entry declares its translation adds (``declared_additions``): for
    each ``"table"``, the Korean has one more table than the English, well formed, and
    everything outside it keeps the English structure exactly.
    """
    unknown = sorted(set(adds) - ADDITIONS)
    if unknown:
        return [f"undeclarable addition {unknown}: an entry may declare only {sorted(ADDITIONS)}"]
    added = list(adds).count("table")
    if not added:
        return _compared(english, korean)
    tables = table_blocks(korean)
    extra = len(tables) - len(table_blocks(english))
    if extra != added:
        return [f"the entry declares {added} added table(s); the Korean has {extra} more "
                "table(s) than the English"]
    lines = korean.split("\n")
    best = None
    for chosen in itertools.combinations(tables, added):
        found = _compared(english, _without(korean, chosen))
        for first, last in chosen:
            found += added_table_problems("\n".join(lines[first:last + 1]))
        if not found:
            return []
        best = found if best is None or len(found) < len(best) else best
    return best


def _compared(english: str, korean: str) -> list[str]:
    want, got = structure(english), structure(korean)
    found = []
    for key in want:
        if key == "numbers":  # every number of the English is kept; Korean may add a 0 for "zero"
            missing = missing_numbers(want[key], got[key])
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


class Numbers(NamedTuple):
    """The numbers of a cell's prose: those written as they are, and those with a scale.

    ``scaled`` holds each number written with a scale word or suffix ("13.3 million",
    "31.0M") or with Korean units ("1,330만", "1억 3,300만"): what is written, its value,
    and the digits in it.
    """

    literal: tuple[str, ...]
    scaled: tuple[tuple[str, Fraction, tuple[str, ...]], ...]


def _korean_value(match) -> Fraction:
    eok, man_after_eok, man = match.groups()
    coefficient = man_after_eok if eok else man
    value = Fraction(eok.replace(",", "")) * 10**8 if eok else Fraction(0)
    if coefficient:
        value += Fraction(coefficient.replace(",", "")) * 10**4
    return value


def _korean_coefficients_ok(match) -> bool:
    """Korean counts 만 from 1 to 9,999: "13,300만" is not how a value is written (1억 3,300만)."""
    eok, man_after_eok, man = match.groups()
    coefficient = man_after_eok if eok else man
    return coefficient is None or Fraction(coefficient.replace(",", "")) < 10**4


def numbers(prose: str) -> Numbers:
    """The numbers of ``prose`` (text without math, code, links or tags)."""
    scaled = []

    def korean(match):
        if not _korean_coefficients_ok(match):
            return match.group(0)
        text = match.group(0)
        scaled.append((text, _korean_value(match), tuple(NUMBER.findall(text))))
        return " "

    def english(match):
        digits, word, suffix = match.groups()
        value = Fraction(digits.replace(",", "")) * SCALES[(word or suffix).lower()]
        scaled.append((match.group(0), value, (digits,)))
        return " "

    rest = SCALED.sub(english, KOREAN_UNITS.sub(korean, prose))
    return Numbers(tuple(sorted(NUMBER.findall(rest))), tuple(scaled))


def missing_numbers(english: Numbers, korean: Numbers) -> list[str]:
    """The numbers of ``english`` that ``korean`` does not keep (empty when it keeps them all).

    A number without a scale must be in the Korean as it is written. A number with one
    ("13.3 million") is kept only by a Korean number of the same value: written with 만 and
    억 ("1,330만"), in full with digit grouping ("13,300,000"), or as the English writes it
    ("13.3M"). Its digits alone do not keep it ("13.3백만", or a 3 elsewhere for "3 million"
    written "30만"). Each Korean number keeps one English number: the 300 of "300만" is not
    also a "300".
    """
    pool = Counter(korean.literal)
    for _, _, digits in korean.scaled:
        pool.update(digits)
    unused = list(korean.scaled)
    pending = []
    for text, value, digits in english.scaled:
        same = next((item for item in unused if item[1] == value), None)
        if same is None:
            pending.append((text, value, digits))
        else:
            unused.remove(same)
            pool.subtract(same[2])
    need = Counter(english.literal)
    missing = list((need - pool).elements())
    spare = +(pool - need)
    for text, value, digits in pending:
        full = next((n for n in spare if FULL_GROUPED.fullmatch(n)
                     and Fraction(n.replace(",", "")) == value), None)
        if full is None:
            missing.append(text)
        else:
            spare -= Counter([full])
    return missing


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
                yield pytest.param(entry.msgid, entry.msgstr, declared_additions(entry),
                                   id=f"{name}:{entry.msgctxt}")


@pytest.mark.parametrize("english, korean, adds", list(_current_entries()))
def test_every_current_korean_entry_keeps_the_structure_of_its_english(english, korean, adds):
    """Does the Korean keep the English cell's markdown, math, code, links and numbers, adding
    only the structure its entry declares?"""
    assert differences(english, korean, adds) == []


@pytest.mark.parametrize("name", CATALOGUES)
def test_an_addition_is_declared_in_a_translator_comment(name):
    """Is every ``adds:`` a translator comment (``# adds: table``), the kind msgmerge and
    translation tools keep, not an extracted comment (``#.``) that a template overwrites?"""
    misplaced = [e.msgctxt for e in T.load(LANG, name) if "adds:" in (e.comment or "")]
    assert misplaced == [], f"write `# adds: ...`, not `#. adds: ...`, in {misplaced}"


@pytest.mark.parametrize("english, korean, adds", list(_current_entries()))
def test_every_current_korean_entry_uses_the_glossary_terms(english, korean, adds):
    """Are standardization, regularization, generalization, ... the glossary's Korean terms?"""
    assert term_problems(english, korean) == []


@pytest.mark.parametrize("name", T.catalogues())
def test_every_notebook_and_the_course_have_a_current_translation_of_every_text(name):
    """Does a missing catalogue, or a missing, empty, fuzzy or outdated entry, fail, for each
    of the eight notebooks and for the course catalogue?"""
    assert T.problems(LANG, name, T.texts_for(name)) == []


@pytest.mark.parametrize("name", ["03_bn_forward", T.COURSE])
def test_an_english_edit_or_a_new_cell_makes_the_real_catalogue_fail(name):
    """Had the English of one cell changed, or a new cell been added, would the committed
    Korean catalogue be reported out of date or missing (so the test above fails)?"""
    texts = T.texts_for(name)
    edited = [T.Text(texts[0].cell_id, texts[0].english + "\n\nOne more sentence."), *texts[1:]]
    assert T.problems(LANG, name, edited) == [
        f"{name} cell {texts[0].cell_id}: the entry translates other English "
        f"(run `translations update {LANG}`, then revise it)"]
    added = [*texts, T.Text("brand-new-cell", "A cell nobody has translated.")]
    assert T.problems(LANG, name, added) == [
        f"{name} cell brand-new-cell: no entry (run `translations update {LANG}`)"]
    assert T.translate(new_notebook_like(texts[0]), LANG, name).cells[0].source != texts[0].english


def new_notebook_like(text):
    """A notebook of the one markdown cell ``text`` (its id and English)."""
    cell = nbformat.v4.new_markdown_cell(text.english)
    cell["id"] = text.cell_id
    return nbformat.v4.new_notebook(cells=[cell])


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


# Declared additions: a translation may add a table where its entry says so, and only there.
TERMS_TABLE = """| 용어 | English | 뜻 |
|---|---|---|
| 표준화 | standardization | 평균 0, 표준편차 1로 만든다: $(x - \\mu)/\\sigma$ |
| 규제 | regularization | 손실에 벌점을 더한다 |"""
WITH_TABLE = KOREAN.replace("\n\n$$\n", "\n\n" + TERMS_TABLE + "\n\n$$\n", 1)


def test_a_declared_table_passes_and_an_undeclared_one_fails():
    """Does an added table pass only when its entry declares it (``# adds: table``)?"""
    assert WITH_TABLE != KOREAN
    assert differences(ENGLISH, WITH_TABLE, ["table"]) == []
    undeclared = differences(ENGLISH, WITH_TABLE)
    assert any(problem.startswith("skeleton") for problem in undeclared), undeclared
    assert any(problem.startswith("inline math") for problem in undeclared), undeclared


@pytest.mark.parametrize("korean, adds, expected", [
    (KOREAN, ["table"], "the entry declares 1 added table(s); the Korean has 0 more"),
    (WITH_TABLE, ["table", "table"], "the entry declares 2 added table(s); the Korean has 1 more"),
    (WITH_TABLE, ["paragraph"], "undeclarable addition ['paragraph']"),
    (WITH_TABLE.replace("| 규제 | regularization |", "| 규제 |"), ["table"], "the added table's rows"),
    (WITH_TABLE.replace("|---|---|---|", "|---|---|"), ["table"], "the added table"),
    (WITH_TABLE.replace("| 표준화 | standardization", "| standardization | standardization")
     .replace("| 규제 |", "| regularization |").replace("| 용어 |", "| term |")
     .replace("평균 0, 표준편차 1로 만든다", "mean 0, std 1").replace("손실에 벌점을 더한다", "a penalty")
     .replace("| 뜻 |", "| meaning |"), ["table"], "the added table has no Korean"),
    (WITH_TABLE.replace("약 12자리.", "약 12자리.\n\n덧붙인 문단."), ["table"], "skeleton"),
    (WITH_TABLE.replace("`dout`을", "`d_out`을"), ["table"], "code spans"),
])
def test_a_declaration_allows_exactly_the_table_it_declares(korean, adds, expected):
    """Does a declaration fail when the table is missing or malformed, when it names another
    kind of structure, or when the translation changes anything outside the table?"""
    found = differences(ENGLISH, korean, adds)
    assert any(problem.startswith(expected) for problem in found), found


def test_a_declaration_is_read_from_the_translator_comment_of_a_po_entry():
    """Is ``# adds: table`` read from a catalogue as written, and an unrelated comment ignored?"""
    import polib

    po = polib.pofile('''
msgid ""
msgstr "Content-Type: text/plain; charset=UTF-8\\n"

# adds: table
# a note for the next translator
msgctxt "c1"
msgid "text"
msgstr "글"

#. adds: table
msgctxt "c2"
msgid "more"
msgstr "더"
''')
    first, second = list(po)
    assert declared_additions(first) == ["table"]
    assert declared_additions(second) == []  # an extracted comment declares nothing
    assert "adds:" in second.comment


def _glossary_terminology_table() -> str:
    """The table of GLOSSARY.md's section 'Terminology table (notebook 01 and contents)'."""
    text = GLOSSARY.read_text(encoding="utf-8")
    heading = next(line for line in text.split("\n")
                   if line.startswith("## ") and TERMINOLOGY_HEADING in line)
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    first, last = table_blocks(section)[0]
    return "\n".join(section.split("\n")[first:last + 1])


def test_the_glossary_terminology_table_has_the_six_terms_and_says_where_jeonggyuhwa_clashes():
    """Does the glossary's table give, with the English beside each, 표준화, 정규화, 규제, 일반화,
    배치 정규화 and 내부 공변량 변화, and say where 정규화 is used for more than one idea?"""
    table = _glossary_terminology_table()
    assert added_table_problems(table) == []
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in table.split("\n")[2:]]
    terms = {row[0].split(" (")[0]: row[1] for row in rows}
    for korean, english in [("표준화", "standardization"), ("정규화", "normalization"),
                            ("규제", "regularization"), ("일반화", "generalization"),
                            ("배치 정규화", "batch normalization"),
                            ("내부 공변량 변화", "internal covariate shift")]:
        assert english in terms.get(korean, ""), (korean, terms)
    clash = [row for row in rows if "정규화" in " ".join(row[2:]) and not row[0].endswith("정규화")]
    assert {row[1].split(" (")[0] for row in clash} >= {"standardization", "regularization"}


def test_notebook_01_carries_the_glossary_terminology_table_word_for_word():
    """Does the cell of notebook 01 that introduces the three terms carry, declared, the
    glossary's terminology table exactly (so the contents notebook can reuse it)?"""
    declaring = [e for e in T.load(LANG, "01_standardization_vs_normalization")
                 if "table" in declared_additions(e)]
    assert len(declaring) == 1
    entry = declaring[0]
    assert all(word in entry.msgid for word in ("standardization", "normalization", "regularization"))
    assert _glossary_terminology_table() in entry.msgstr


# Numbers with a scale: the Korean may write the same value with 만 and 억.
@pytest.mark.parametrize("english, korean", [
    ("2.1 million steps against 31.0 million.", "210만 스텝 대 3,100만 스텝."),
    ("BN alone took 13.3M vs 31.0M steps.", "BN만 더하면 1,330만 대 3,100만 스텝이었다."),
    ("50,000 steps of 60 examples: 3 million examples.", "샘플 60개짜리 스텝 50,000번: 샘플 300만 개."),
    ("1.25 billion images, 2 billion pixels.", "이미지 12억 5,000만 장, 픽셀 20억 개."),
    ("20k examples and 5 thousand steps.", "샘플 2만 개와 5,000스텝."),
    ("3 million and 300 steps.", "300만 번과 300스텝."),
    ("1.25 billion images, 13.3M steps.", "이미지 12.5억 장, 13.3M 스텝."),
])
def test_a_scaled_english_number_may_be_written_with_korean_units(english, korean):
    """Do 1,330만 for "13.3 million", 12억 5,000만 for "1.25 billion" and 2만 for "20k" pass?"""
    assert differences(english, korean) == []


@pytest.mark.parametrize("english, korean", [
    ("2.1 million steps against 31.0 million.", "210만 스텝 대 3,300만 스텝."),  # wrong value
    ("BN alone took 13.3M vs 31.0M steps.", "BN만 더하면 133만 대 3,100만 스텝이었다."),  # off by 10
    ("13.3 million steps.", "1330만 스텝."),  # digits not grouped
    ("1.25 billion images.", "이미지 12,500만 장."),  # 만 counts to 9,999: 12억 5,000만
    ("20,000 batches.", "배치 2만 개."),  # no scale in the English: the number as it is
    ("3 million steps, 3 million examples.", "300만 스텝, 샘플도 그만큼."),  # one 300만 for two
    ("3 million examples, 300 steps.", "샘플 300만 개, 스텝 몇 번."),  # 300만 is not also 300
    ("20k more examples.", "샘플을 2만큼 더."),  # 2만큼 ("as much as 2") is not 2만
    ("13.3 million steps.", "13.3백만 스텝."),  # the digits alone: not the Korean way
    ("3 million examples, three layers.", "샘플 30만 개, 층 3개."),  # a 3 elsewhere is no 3 million
])
def test_a_korean_number_of_another_value_fails(english, korean):
    """Does a Korean number whose value differs from the English one, or that is not written
    the Korean way, fail?"""
    assert any(problem.startswith("numbers differ") for problem in differences(english, korean))
