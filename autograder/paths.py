"""Where the course's files live. The repository root is this package's parent folder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"
CONFIG_DIR = ROOT / "autograder"


def assignments() -> list[str]:
    """The assignment names (``NN_slug``) that have a source notebook, in course order."""
    return sorted(p.name for p in SOLUTIONS.iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").exists())


def source_notebook(assignment: str) -> Path:
    return SOLUTIONS / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str) -> Path:
    return NOTEBOOKS / assignment / f"{assignment}.ipynb"
