"""Text from submissions, made safe to print, to put into a page or into a CSV cell.

Everything a submission controls can reach the instructor: folder and file names, cell
metadata (a ``grade_id``), the messages and output of the student's code. Before any of it
is printed to a terminal or written into a page:

- :func:`text` replaces control characters (C0 but newline and tab, DEL, C1) and the
  Unicode controls that reorder text on screen (bidirectional overrides and isolates) with
  ``?``, so no terminal escape sequence (erase a line, retitle the window, hyperlinks,
  cursor moves) and no reordering reaches the reader;
- :func:`line` does the same for text that must stay on one line (a name, a note): newline,
  carriage return and tab become spaces too.

And every cell of every CSV the grader writes goes through :func:`csv_cell`: a value that a
spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) gets a leading ``'``, which spreadsheets show as text. Numbers stay numbers.
"""

from __future__ import annotations

import re

#: control characters (C0 but tab and newline, DEL, C1) and bidirectional controls
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n\r]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def text(value) -> str:
    """``value`` as text with every control character but newline and tab replaced by ``?``."""
    return _CONTROL.sub("?", str(value).replace("\r\n", "\n"))


def line(value) -> str:
    """``value`` as one line of text: :func:`text`, with newlines and tabs made spaces."""
    return _CONTROL.sub("?", _LINE_BREAKS.sub(" ", str(value)))


def csv_cell(value) -> str:
    """A CSV cell no spreadsheet runs: one line of text, a formula-like start quoted with ``'``.

    Idempotent (a value already quoted is left alone), and plain numbers (``-1``, ``2.5``)
    are kept as they are.
    """
    cell = line(value)
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def csv_row(row: dict) -> dict:
    """Every value of a CSV row through :func:`csv_cell`."""
    return {k: csv_cell(v) for k, v in row.items()}
