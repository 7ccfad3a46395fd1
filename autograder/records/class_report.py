"""The class's mistakes, for the instructor: what to teach again on Monday.

``grade`` (and ``merge``, through ``results.write``) writes, next to the grades CSV:

- ``class-report.html``: for each assignment a bar chart (inline SVG, no script) of how
  many students passed each test cell, failed it with a mistake the checks named, or
  failed it otherwise; then, per test cell, each named mistake and each other kind of
  failure with the number of students;
- ``class-report.csv``: the same counts, one line each.

Both are aggregates: no student's name, no student's code, no output of a student's code,
no text a student chose. What they quote is the checks' own words (:func:`course_words`):
a check's message with what came from the student's code cut out (the message of an
exception their code raised, the line of their code it was raised at, the warnings their
code gave: a student can put anything there, another student's answer included), then a
named mistake as the checks word it, the other failures as a *pattern* (the case label,
numbers and quoted code taken out, so that the same failure with other inputs counts
once), each through ``sanitize`` like every page. Only the course's assignments are
counted (a misnamed folder is a student's choice of name). They are for the instructor
and are never written into ``feedback/``, the folder handed back to students; shared
with the class, they show counts and the checks' wording only.

**Named mistakes.** A check names the mistake it recognises on a line of its own that
starts ``Likely mistake:`` (``course_utils/checks/_core/compare.py``'s ``diagnose`` writes it so,
and the checks that name one by hand do the same; a few write it after a sentence, or
``Likely mistakes:``). :func:`named_mistake` takes the first such clause, up to the end of
its line; failing that, a sentence of the form "it looks like ..." / "it looks
transposed", which some checks use for a shape or a hint. Everything else is an "other
failure", grouped by :func:`pattern`.
"""

from __future__ import annotations

import csv
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..safety import sanitize

HTML_NAME = "class-report.html"
CSV_NAME = "class-report.csv"
CSV_FIELDS = ["assignment", "test", "kind", "description", "students", "of"]

_MISTAKE = re.compile(r"\blikely mistakes?:[ \t]*(?P<text>[^\n]+)", re.I)
_LOOKS = re.compile(r"\bit looks (?P<text>(?:like|transposed)\b[^\n.;]*)", re.I)
_CASE = re.compile(r"case '")
_QUOTED = re.compile(r"`[^`\n]*`|'[^'\s]{0,80}'|\"[^\"\n]*\"")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SPACES = re.compile(r"\s+")
MAX_TEXT = 300


#: "raised T: ..." ends a check's message: what follows is the student's (to the end, as an
#: exception's message may have lines of its own)
_RAISED = re.compile(r"\b(raised [A-Za-z_][A-Za-z0-9_.]*)(?::.*)?", re.S)
_AT_LINE = re.compile(r" at line \d+(?::[^\n]*)?")
_WARNINGS = re.compile(r"\n?Warnings your code raised:[^\n]*")


def course_words(message: str) -> str:
    """A check's ``message`` without what the student's code put in it: ``raised
    ValueError: <its message, lines and all> at line 3: `<their code>``` -> ``raised
    ValueError``; the warnings their code gave, dropped."""
    text = sanitize.text(message or "")
    text = _WARNINGS.sub("", text)
    text = _RAISED.sub(r"\1", text)
    return _AT_LINE.sub("", text)


def named_mistake(message: str) -> str | None:
    """The mistake a check's ``message`` names, as it words it; None when it names none."""
    text = course_words(message)
    found = _MISTAKE.search(text) or _LOOKS.search(text)
    if not found:
        return None
    named = found["text"].strip().rstrip(".").strip()
    if found.re is _LOOKS:
        named = "looks " + named
    return _SPACES.sub(" ", named)[:MAX_TEXT] or None


_KIND = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*(?:Failure|Error|Exception): ")


def _strip_case(line: str) -> str:
    """``CheckFailure: case 'label' (seed 3, x.shape=(4, 2)): what failed`` -> ``what failed``
    (the exception's name, and the case, that differ from one student to the next)."""
    kind = _KIND.match(line)
    if kind and _CASE.match(line, kind.end()):
        line = line[kind.end():]
    if not _CASE.match(line):
        return line
    end = line.find("'", len("case '"))
    if end < 0:
        return line
    i = end + 1
    if line[i:i + 2] == " (":
        depth, i = 0, i + 1
        for j in range(i, len(line)):
            depth += {"(": 1, ")": -1}.get(line[j], 0)
            if depth == 0:
                i = j + 1
                break
        else:
            return line
    return line[i + 1:].lstrip() if line[i:i + 1] == ":" else line


def pattern(message: str) -> str:
    """What a failure says, with what differs from one student to the next taken out: its
    first line, without the case label, quoted code and strings as ``…``, numbers as ``#``,
    lower case, spaces collapsed. Similar failures give the same pattern."""
    first = (course_words(message).strip().splitlines() or [""])[0]
    text = _strip_case(first.strip())
    text = _QUOTED.sub("…", text)
    text = _NUMBER.sub("#", text)
    text = _SPACES.sub(" ", text).strip().lower()
    return text[:MAX_TEXT] or "(no message)"


MAX_MESSAGE = 4000


def verdicts(prepared, result) -> list[dict]:
    """Each test cell's verdict, in the notebook's order, as a ``results.Graded`` keeps it."""
    by_index = {c["index"]: c for c in result.get("cells", []) if c.get("kind") == "test"}
    out = []
    for step in prepared.cells:
        if step["kind"] != "test":
            continue
        got = by_index.get(step["index"]) or {"passed": False, "points": 0.0,
                                              "message": "not graded (see the notes)"}
        out.append({"grade_id": step["grade_id"], "passed": bool(got.get("passed")),
                    "points": float(got.get("points") or 0.0),
                    "max_points": float(step["points"]),
                    "message": str(got.get("message") or "")[:MAX_MESSAGE]})
    return out


@dataclass
class TestCounts:
    test: str
    passed: int = 0
    named: Counter = field(default_factory=Counter)          # key -> students
    named_texts: dict = field(default_factory=dict)          # key -> Counter of wordings
    other: Counter = field(default_factory=Counter)          # pattern -> students

    @property
    def failed_named(self) -> int:
        return sum(self.named.values())

    @property
    def failed_other(self) -> int:
        return sum(self.other.values())

    def wording(self, key: str) -> str:
        """The most common wording of a named mistake (ties: the first in order)."""
        return sorted(self.named_texts[key].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


@dataclass
class AssignmentCounts:
    assignment: str
    graded: int = 0
    not_graded: int = 0
    tests: dict[str, TestCounts] = field(default_factory=dict)


def count(graded, rows) -> list[AssignmentCounts]:
    """The counts of a class: ``graded`` (``results.Graded``) with their final ``rows``."""
    from .. import paths

    known = set(paths.assignments())
    by_assignment: dict[str, AssignmentCounts] = {}
    for g, row in zip(graded, rows):
        if row.assignment not in known:  # no assignment, or a folder misnamed by a student
            continue
        counts = by_assignment.setdefault(row.assignment, AssignmentCounts(row.assignment))
        if row.score == "" or g.body is None:
            counts.not_graded += 1
            continue
        counts.graded += 1
        for test in g.tests:
            tc = counts.tests.setdefault(test["grade_id"], TestCounts(test["grade_id"]))
            if test["passed"]:
                tc.passed += 1
                continue
            named = named_mistake(test["message"])
            if named:
                key = pattern(named)
                tc.named[key] += 1
                tc.named_texts.setdefault(key, Counter())[named] += 1
            else:
                tc.other[pattern(test["message"])] += 1
    return [by_assignment[a] for a in sorted(by_assignment)]


def write(graded, rows, out_dir: Path) -> None:
    """Write ``class-report.html`` and ``class-report.csv`` into ``out_dir``."""
    counts = count(graded, rows)
    if not counts:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / CSV_NAME, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for line in csv_lines(counts):
            writer.writerow(sanitize.csv_row(line))
    (out_dir / HTML_NAME).write_text(page(counts), encoding="utf-8")


def csv_lines(counts: list[AssignmentCounts]) -> list[dict]:
    lines = []
    for a in counts:
        def line(test, kind, description, students):
            return {"assignment": a.assignment, "test": test, "kind": kind,
                    "description": description, "students": students, "of": a.graded}
        for tc in a.tests.values():
            lines.append(line(tc.test, "passed", "", tc.passed))
            for key, n in _ranked(tc.named):
                lines.append(line(tc.test, "named mistake", tc.wording(key), n))
            for text, n in _ranked(tc.other):
                lines.append(line(tc.test, "other failure", text, n))
        if a.not_graded:
            lines.append({**line("", "not graded", "no score (see grades.csv)", a.not_graded),
                          "of": a.graded + a.not_graded})
    return lines


def _ranked(counter: Counter) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


# --- the page ----------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.25rem; margin-top: 2.5rem; }
h3 { font-size: 1.05rem; margin-top: 1.5rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
td, th { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
.warn { background: #fff8e1; padding: .6rem 1rem; border-radius: 4px; }
.key span { display: inline-block; width: .9rem; height: .9rem; vertical-align: middle;
            margin: 0 .3rem 0 1rem; }
"""
COLOURS = {"passed": "#2e7d32", "named mistake": "#ef8f00", "other failure": "#c62828"}


def _e(text) -> str:
    return html.escape(sanitize.text(text), quote=True)


def page(counts: list[AssignmentCounts]) -> str:
    parts = ["<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>Class report</title>"
             f"<style>{STYLE}</style></head><body>",
             "<h1>Class report</h1>",
             '<p class="warn"><strong>For the instructor: not for release to students.</strong> '
             "Counts of the whole class, no student named: for each test cell, how many "
             "students passed it, how many made each mistake the checks recognised, and the "
             "other failures, grouped by what their messages say (case labels, numbers and "
             "quoted code taken out). Each student's own messages are on their feedback page."
             "</p>",
             '<p class="key">' + "".join(f'<span style="background:{c}"></span>{_e(k)}'
                                         for k, c in COLOURS.items()) + "</p>"]
    for a in counts:
        parts.append(f"<h2>{_e(a.assignment)}</h2>")
        parts.append(f"<p>{a.graded} submission(s) graded"
                     + (f", {a.not_graded} without a score (see grades.csv)" if a.not_graded
                        else "") + ".</p>")
        if a.tests:
            parts.append(chart(a))
        for tc in a.tests.values():
            parts.append(f"<h3>{_e(tc.test)}: {tc.passed} of {a.graded} passed</h3>")
            rows = [("named mistake", tc.wording(k), n) for k, n in _ranked(tc.named)]
            rows += [("other failure", text, n) for text, n in _ranked(tc.other)]
            if not rows:
                continue
            parts.append("<table><tr><th>students</th><th></th><th>what the check said</th></tr>")
            for kind, text, n in rows:
                parts.append(f'<tr><td class="n">{n}</td><td>{_bar(n, a.graded, COLOURS[kind])}'
                             f"</td><td>{_e(kind)}: {_e(text)}</td></tr>")
            parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _bar(n: int, of: int, colour: str, width: int = 120) -> str:
    w = round(width * n / of) if of else 0
    return (f'<svg width="{width}" height="12" role="img" aria-label="{n} of {of}">'
            f'<rect width="{width}" height="12" fill="#eee"/>'
            f'<rect width="{w}" height="12" fill="{colour}"/></svg>')


def chart(a: AssignmentCounts) -> str:
    """One horizontal bar per test cell: passed, named mistakes, other failures (SVG)."""
    label_w, bar_w, row_h, top = 260, 420, 28, 24
    height = top + row_h * len(a.tests) + 8
    width = label_w + bar_w + 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'role="img" aria-label="{_e(a.assignment)}: students per test cell" '
           'font-family="system-ui, sans-serif" font-size="13">',
           f'<text x="{label_w}" y="15" fill="#555">students (of {a.graded} graded)</text>']
    for i, tc in enumerate(a.tests.values()):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{_e(tc.test)}</text>')
        x = label_w
        for kind, n in (("passed", tc.passed), ("named mistake", tc.failed_named),
                        ("other failure", tc.failed_other)):
            w = bar_w * n / a.graded if a.graded else 0
            if n:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="20" '
                           f'fill="{COLOURS[kind]}"><title>{n} {_e(kind)}</title></rect>')
                if w >= 18:
                    out.append(f'<text x="{x + w / 2:.1f}" y="{y + 15}" fill="#fff" '
                               f'text-anchor="middle">{n}</text>')
            x += w
        out.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}" fill="#555">'
                   f"{tc.passed}/{a.graded}</text>")
    out.append("</svg>")
    return "".join(out)
