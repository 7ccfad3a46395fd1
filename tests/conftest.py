"""Shared fixtures: notebook runs are expensive, so each is done once per session."""

from __future__ import annotations

import functools
import os
import warnings

import pytest

from autograder import paths

# tests never open windows
os.environ.setdefault("MPLBACKEND", "Agg")


@functools.lru_cache(maxsize=None)
def _check(path: str, every_cell: bool):
    from autograder.check import check

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return check(path, timeout=600, every_cell=every_cell)


@pytest.fixture(scope="session")
def check_notebook():
    """check_notebook(path, every_cell=False) -> autograder.check.Report, once per session."""
    return lambda path, every_cell=False: _check(str(path), every_cell)


@pytest.fixture(scope="session")
def assignments():
    return paths.assignments()


@pytest.fixture(scope="session")
def reading_site(tmp_path_factory):
    """The reading site, both languages, built once per session (tests/reading_site.py):
    its html folder. tests/test_site.py and tests/test_browser_site.py share it."""
    from tests.reading_site import built

    return built(tmp_path_factory)
