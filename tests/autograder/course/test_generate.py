"""Does `python -m autograder generate` do what the README says?"""

from __future__ import annotations

import subprocess
import sys

from autograder import paths

ROOT = paths.ROOT


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True,
                          text=True, cwd=ROOT, **kw)


def test_generate_reproduces_the_committed_student_notebooks():
    """Is notebooks/, the Korean edition notebooks/ko/ included, exactly what `generate`
    writes (and does a second run change nothing)?"""
    before = {p: p.read_bytes() for p in sorted(paths.NOTEBOOKS.rglob("*.ipynb"))}
    korean = [p for p in before if p.is_relative_to(paths.NOTEBOOKS / "ko")]
    assert len(korean) == len(paths.assignments()) + 1, "notebooks/ko/ is incomplete: run `make generate`"
    try:
        for _ in range(2):
            result = run("generate")
            assert result.returncode == 0, result.stderr
            after = {p: p.read_bytes() for p in sorted(paths.NOTEBOOKS.rglob("*.ipynb"))}
            changed = [str(p.relative_to(ROOT)) for p in set(before) | set(after)
                       if before.get(p) != after.get(p)]
            assert not changed, f"generate changed {changed}: run `make generate` and commit"
    finally:
        for p, data in before.items():
            p.write_bytes(data)


def test_student_versions_hide_solutions_and_hidden_tests():
    """Do the student notebooks, in both editions, carry no solution and no hidden test?"""
    for assignment in paths.assignments():
        for path in (paths.release_notebook(assignment),
                     paths.NOTEBOOKS / "ko" / assignment / f"{assignment}.ipynb"):
            text = path.read_text(encoding="utf-8")
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS"):
                assert marker not in text, (path, marker)
            assert "raise NotImplementedError()" in text
