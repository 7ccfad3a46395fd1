"""Feedback a student may see: their notebook, each test's verdict, never a hidden test.

One self-contained HTML page per student and assignment. It shows the student's own cells
(as text), the errors their cells raised, and for each test cell only its *visible* part
(the cell as released) with the verdict: points, and the check's message when it failed
(which case, what was expected, what came back, the likely mistake). The hidden tests'
source is never written here. Everything from the submission is HTML-escaped and no
output of the student's code is embedded (no HTML, scripts or images from it), so the page
is safe to open; control characters are replaced (``sanitize.text``), so it is safe to read
in a terminal too; it has no timestamps, so re-grading writes the same bytes. Written
answers are shown as Markdown with math (``markdown``: raw HTML escaped, links only to web
and mail addresses, no image loaded, MathJax from the grading folder, never a CDN).
"""

from __future__ import annotations

import html
from pathlib import Path

from ..safety import sanitize
from . import markdown

#: how many folders below the grading folder a page is (feedback/<student>/<assignment>/)
PAGE_DEPTH = 3

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; padding: .6rem;
      border-radius: 4px; margin: .3rem 0; font-size: .9rem; }
.md { color: #333; border-left: 3px solid #ddd; padding: 0 .8rem; margin: .3rem 0; }
.md pre { font-size: .85rem; } .md code { background: #f6f8fa; padding: 0 .2rem; }
.md .image { color: #666; font-style: italic; } .md .display { display: block; margin: .5rem 0; }
.cell { margin: 1rem 0; } .label { font-size: .8rem; color: #666; }
.pass { border-left: 4px solid #2e7d32; } .fail { border-left: 4px solid #c62828; }
.error { background: #fdecea; } .verdict { background: #fff; border: 1px solid #ddd; }
.notes { background: #fff8e1; padding: .6rem 1rem; border-radius: 4px; }
"""


def _e(text) -> str:
    return html.escape(sanitize.text(text), quote=True)


def _pre(text, cls="") -> str:
    return f'<pre class="{cls}">{_e(text)}</pre>' if str(text).strip() else ""


def render(row, prepared=None, result=None) -> str:
    """The page for one row of the grades table (``report.Row``)."""
    return page(row, body(prepared, result) if prepared is not None and result is not None
                else None)


def body(prepared, result, assignment: str | None = None) -> str:
    """What a page shows of a graded notebook: the tests' verdicts and the student's cells.

    Kept apart from the row (score and notes, which hand-graded points can still change) so
    that a shard can record it and a merge can write the page a single run would write.
    """
    return "\n".join(_tests_table(prepared, result) + _cells(prepared, result, assignment))


def page(row, graded_body: str | None = None) -> str:
    """The page for one row of the grades table (``report.Row``), with a notebook's ``body``."""
    title = f"{row.assignment or 'submission'}: feedback for {row.student}"
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{_e(title)}</title><style>{STYLE}</style>"
             + (markdown.head(PAGE_DEPTH) if graded_body and markdown.has_math(graded_body)
                else "") + '</head><body class="tex2jax_ignore">',
             f"<h1>{_e(title)}</h1>"]
    if row.score == "":
        parts.append(f"<p><strong>Not graded: {_e(row.status)}.</strong></p>")
    else:
        parts.append(f"<p><strong>Autograded score: {row.score:g} / {row.max_score:g}</strong>"
                     + (f". Written answers ({row.manual_points:g} points) are graded by your "
                        "instructor." if row.manual_points else ".") + "</p>")
    if row.notes:
        items = "".join(f"<li>{_e(n)}</li>" for n in row.notes)
        parts.append(f'<div class="notes"><strong>Notes</strong><ul>{items}</ul></div>')
    if graded_body is not None:
        parts.append(graded_body)
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _tests_table(prepared, result) -> list[str]:
    rows = ["<h2>Tests</h2><table><tr><th>test</th><th>points</th><th>result</th></tr>"]
    by_index = {c["index"]: c for c in result["cells"]}
    for step in prepared.cells:
        if step["kind"] != "test":
            continue
        got = by_index.get(step["index"]) or {"points": 0.0, "message": "not graded"}
        first = (got["message"] or "").splitlines()[0] if got["message"] else ""
        rows.append(f"<tr><td>{_e(step['grade_id'])}</td><td>{got['points']:g} / "
                    f"{step['points']:g}</td><td>{_e(first[:300])}</td></tr>")
    rows.append("</table>")
    return rows


def _course_cells(prepared, assignment: str | None) -> list[bool]:
    """Which cells are the course's own code, unchanged (``selection.course_cells``)."""
    from ..grading import selection  # (selection imports the grading modules; feedback is lighter)

    release = selection.release(assignment) if assignment else None
    if release is None:
        return [False] * len(prepared.notebook.cells)
    return selection.course_cells(prepared.notebook, release)


def _cells(prepared, result, assignment: str | None = None) -> list[str]:
    by_index = {c["index"]: c for c in result["cells"]}
    # an error is shown for the student's cells only: a course cell, unchanged, may not run
    # at all in a selective run, and in a full one it can fail on what grading leaves out of
    # the kernel (the course's reference); the page must be the same either way
    course = _course_cells(prepared, assignment)
    # which cells are tests is the plan's word (never the result's): their source as restored
    # holds the hidden tests, so only the released, visible part is ever written here
    tests = {s["index"]: s for s in prepared.cells if s["kind"] == "test"}
    out = ["<h2>Your notebook</h2><p>Your code cells, the tests' verdicts and your written "
           "answers (the course's text is left out).</p>"]
    for i, cell in enumerate(prepared.notebook.cells):
        got = by_index.get(i)
        kind = cell.get("cell_type")
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if i in tests:
            step = tests[i]
            got = got or {"passed": False, "points": 0.0, "output": "",
                          "message": "not graded (see the notes above)"}
            status = "pass" if got["passed"] else "fail"
            verdict = "passed" if got["passed"] else got["message"]
            out.append(f'<div class="cell {status}"><div class="label">test cell '
                       f'{_e(step["grade_id"])}: {got["points"]:g} / {step["points"]:g} '
                       f'points (hidden tests not shown)</div>'
                       + _pre(prepared.visible.get(step["grade_id"], ""))
                       + _pre(got["output"]) + _pre(verdict, "verdict") + "</div>")
        elif kind == "code":
            error = got["error"] if got is not None and not course[i] else None
            out.append('<div class="cell">' + _pre(cell.get("source", ""))
                       + (_pre(f"{error[0]}: {error[1]}", "error") if error else "") + "</div>")
        elif kind == "markdown" and meta.get("solution") and meta.get("grade"):
            out.append(f'<div class="cell"><div class="label">written answer '
                       f'{_e(meta.get("grade_id"))} ({meta.get("points", 0):g} points, graded '
                       f'by your instructor)</div>{markdown.block(cell.get("source", ""))}'
                       '</div>')
    return out


def write(path: Path, page: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def answers_in(notebook) -> list[tuple[str, str]]:
    """(grade_id, text) of each written answer in a notebook, in order."""
    found = []
    for cell in notebook.cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("solution") and meta.get("grade") and cell.get("cell_type") == "markdown":
            found.append((str(meta.get("grade_id")), cell.get("source", "")))
    return found


def written_answers(assignment: str, entries: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """For the instructor: every student's written answers to one assignment, side by side.

    ``entries``: (student, ``answers_in`` their notebook), in the order to show them.
    """
    answers_html = [(student, gid, markdown.block(text, "(empty)"))
                    for student, answers in entries for gid, text in answers]
    math = any(markdown.has_math(a) for _, _, a in answers_html)
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Written "
             f"answers: {_e(assignment)}</title><style>{STYLE}</style>"
             + (markdown.head(1) if math else "") + '</head><body class="tex2jax_ignore">',
             f"<h1>Written answers: {_e(assignment)}</h1>",
             "<p>For grading by hand. Record the points in the <code>points</code> column of "
             "<code>manual-scores.csv</code>, next to the grades, and grade again (or merge "
             "again) to add them up (see docs/instructors.md).</p>"]
    questions: dict[str, list[tuple[str, str]]] = {}
    for student, gid, rendered in answers_html:
        questions.setdefault(gid, []).append((student, rendered))
    for gid, answers in questions.items():
        parts.append(f"<h2>{_e(gid)}</h2>")
        for student, rendered in answers:
            parts.append(f'<div class="cell"><div class="label">{_e(student)}</div>'
                         f'{rendered}</div>')
    parts.append("</body></html>\n")
    return "\n".join(parts)
