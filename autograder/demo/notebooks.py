"""The demo class's notebooks: notebook 03's student version with a scenario's cells.

:func:`notebook` fills the release's solution cells (the model answers from ``solutions/``,
or a scenario's code from :mod:`autograder.demo.answers`); :func:`hard_coded_cells` works
out the visible tests' answers once, for the student who pastes them in.
"""

from __future__ import annotations

import copy
import hashlib

import nbformat
import numpy as np

from .. import cells, paths
from .answers import ASSIGNMENT


def _visible_cases(check, seed=0):
    """The inputs the visible test gives a function, with the right answers (computed here)."""
    seen = []

    def right_forward(x, gamma, beta, eps=1e-5):
        out = _forward(np.asarray(x), np.asarray(gamma), np.asarray(beta), eps)
        seen.append(((x, gamma, beta, eps), out))
        return out

    def right_identity(x, eps=1e-5):
        x = np.asarray(x)
        mean = x.mean(axis=0)
        out = (np.sqrt(((x - mean) ** 2).mean(axis=0) + x.dtype.type(eps)), mean)
        seen.append(((x, eps), out))
        return out

    check(right_forward if "forward" in check.__name__ else right_identity, seed=seed)
    return seen


def _forward(x, gamma, beta, eps):
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError("batch statistics need at least 2 examples")
    gamma, beta = gamma.astype(x.dtype), beta.astype(x.dtype)
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    x_hat = (x - mean) / np.sqrt(var + x.dtype.type(eps))
    return gamma * x_hat + beta, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma,
                                  "eps": eps}


def _key(*arrays_and_numbers) -> str:
    h = hashlib.sha256()
    for a in arrays_and_numbers:
        h.update(np.ascontiguousarray(a).tobytes() if isinstance(a, np.ndarray) else repr(a).encode())
    return h.hexdigest()[:16]


def _arr(a: np.ndarray) -> str:
    return f"np.array({np.asarray(a).tolist()!r}, dtype=np.{np.asarray(a).dtype.name})"


def hard_coded_cells() -> tuple[str, str]:
    """Functions that answer the visible tests from a table, and return zeros otherwise."""
    from course_utils.checks import check_batchnorm_forward, check_identity_params

    rows = []
    for (x, gamma, beta, eps), (out, cache) in _visible_cases(check_batchnorm_forward):
        entries = ", ".join(f"{k!r}: {_arr(cache[k])}" for k in ("x_hat", "mean", "var", "gamma"))
        rows.append(f"    {_key(x, gamma, beta, eps)!r}: ({_arr(out)}, {{{entries}, 'eps': {eps!r}}}),")
    forward_cell = (
        "# The visible test's answers, worked out once and pasted in.\n"
        "import hashlib\n\n"
        "def _key(*items):\n"
        "    h = hashlib.sha256()\n"
        "    for a in items:\n"
        "        h.update(np.ascontiguousarray(a).tobytes() if isinstance(a, np.ndarray) "
        "else repr(a).encode())\n"
        "    return h.hexdigest()[:16]\n\n"
        "ANSWERS = {\n" + "\n".join(rows) + "\n}\n\n"
        "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n"
        "    x = np.asarray(x)\n"
        "    if x.ndim != 2 or x.shape[0] < 2:\n"
        "        raise ValueError(\"batch statistics need at least 2 examples\")\n"
        "    key = _key(x, np.asarray(gamma), np.asarray(beta), eps)\n"
        "    if key in ANSWERS:\n"
        "        return ANSWERS[key]\n"
        "    zeros = np.zeros(x.shape[1], dtype=x.dtype)\n"
        "    return np.zeros_like(x), {'x_hat': np.zeros_like(x), 'mean': zeros, 'var': zeros,"
        " 'gamma': zeros, 'eps': eps}\n")
    rows = []
    for (x, eps), (gamma, beta) in _visible_cases(check_identity_params):
        rows.append(f"    {_key(x, eps)!r}: ({_arr(gamma)}, {_arr(beta)}),")
    identity_cell = (
        "IDENTITY_ANSWERS = {\n" + "\n".join(rows) + "\n}\n\n"
        "def identity_params(x, eps=1e-5):\n"
        "    x = np.asarray(x)\n"
        "    key = _key(x, eps)\n"
        "    if key in IDENTITY_ANSWERS:\n"
        "        return IDENTITY_ANSWERS[key]\n"
        "    return np.ones(x.shape[1], dtype=x.dtype), np.zeros(x.shape[1], dtype=x.dtype)\n")
    return forward_cell, identity_cell


# ---- building the notebooks ----------------------------------------------------------

def _release():
    return nbformat.read(paths.release_notebook(ASSIGNMENT), as_version=4)


def _solution_source(grade_id: str) -> str:
    source = nbformat.read(paths.source_notebook(ASSIGNMENT), as_version=4)
    for cell in source.cells:
        if cells.grade_id(cell) == grade_id:
            return "\n".join(line for line in cell.source.splitlines()
                             if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    raise KeyError(grade_id)


def notebook(forward_src: str | None = None, identity_src: str | None = None, *,
             right: tuple[str, ...] = (), after_forward: str | None = None):
    """The student version with the given solution cells (``right``: the model answers)."""
    nb = copy.deepcopy(_release())
    sources = {gid: _solution_source(gid) for gid in right}
    if forward_src is not None:
        sources["batchnorm_forward"] = forward_src
    if identity_src is not None:
        sources["identity_params"] = identity_src
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if gid in sources and cells.meta(cell).get("solution"):
            cell.source = sources[gid].strip("\n")
    if after_forward is not None:
        at = next(i for i, c in enumerate(nb.cells) if cells.grade_id(c) == "batchnorm_forward")
        extra = nbformat.v4.new_code_cell(after_forward.strip("\n"))
        extra["id"] = "student-extra"
        nb.cells.insert(at + 1, extra)
    return nb


def _tests(nb):
    return [c for c in nb.cells if cells.is_autograded_test(c)]
