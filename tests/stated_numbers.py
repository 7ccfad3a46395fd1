"""Fact 14: a number the text of a notebook states about its own run is the number the run
prints. Shared by the ``tests/test_stated_numbers_nbNN.py`` files, one per notebook.

A :class:`Claim` pairs a pattern on the notebook's markdown (the sentence that states the
number, one regex group per number) with a pattern on what the executed solution printed
(the same numbers, in the same order). :func:`assert_claims` fails when

- the sentence is no longer in the text (edit the claim together with the sentence),
- the output line is no longer printed, or
- a stated number is not the printed one, rounded to the digits the text gives (or, for
  a number the text gives as "about", not within the claim's ``about`` of it).

The executed notebook comes from the session's ``check_notebook(path, every_cell=True)``
run (tests/conftest.py), so claims cost no extra execution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat


@dataclass(frozen=True)
class Claim:
    text: str            # regex over the markdown; a group per stated number
    output: str          # regex over the printed output; a group per number, same order
    scale: float = 1.0   # stated = printed * scale (0.934 printed, "93.4%" stated: 100)
    why: str = ""        # what the sentence says, for the failure message
    #: for a sentence that says "about": how far the printed number may be from the stated
    #: one (a training run's last figures, which differ from one CPU to another)
    about: float = 0.0


def markdown_of(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def printed_by(nb) -> str:
    """Everything the executed notebook printed or displayed as text, in cell order."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif "data" in out and "text/plain" in out["data"]:
                parts.append(out["data"]["text/plain"])
    return "\n".join(parts)


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("\u2212", "-"))


def _decimals(text: str) -> int:
    text = text.replace(",", "")
    return len(text.split(".", 1)[1]) if "." in text else 0


def agrees(stated: str, printed: str, scale: float = 1.0, about: float = 0.0) -> bool:
    """Is ``stated`` what ``printed`` (times ``scale``) reads at the stated precision, or,
    for a number stated as "about", within ``about`` of it?"""
    value = _number(printed) * scale
    half_unit = 0.5 * 10 ** (-_decimals(stated))
    return abs(value - _number(stated)) <= max(half_unit, about) * (1 + 1e-9)


def assert_claims(executed, source_path, claims: list[Claim]) -> None:
    """Check every claim against ``executed`` (the run) and the text of ``source_path``."""
    source = nbformat.read(source_path, as_version=4)
    text, output = markdown_of(source), printed_by(executed)
    problems = []
    for claim in claims:
        said = re.search(claim.text, text, re.S)
        ran = re.search(claim.output, output, re.S)
        label = claim.why or claim.text
        if said is None:
            problems.append(f"{label}: the text no longer says /{claim.text}/")
            continue
        if ran is None:
            problems.append(f"{label}: the run no longer prints /{claim.output}/")
            continue
        if len(said.groups()) != len(ran.groups()):
            problems.append(f"{label}: {len(said.groups())} numbers stated, "
                            f"{len(ran.groups())} printed")
            continue
        for stated, printed in zip(said.groups(), ran.groups()):
            if not agrees(stated, printed, claim.scale, claim.about):
                problems.append(f"{label}: the text says {stated}, the run printed {printed}"
                                + (f" (x{claim.scale:g})" if claim.scale != 1 else ""))
    assert not problems, "\n".join(problems)
