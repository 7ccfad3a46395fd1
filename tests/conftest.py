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
def _check(path: str):
    from autograder.check import check

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return check(path, timeout=600)


@pytest.fixture(scope="session")
def check_notebook():
    """check_notebook(path) -> autograder.check.Report, computed once per path per session."""
    return lambda path: _check(str(path))


@pytest.fixture(scope="session")
def assignments():
    return paths.assignments()
