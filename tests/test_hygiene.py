"""Is the repository clean the way CI and the pre-commit hooks demand?"""

import subprocess
import sys
from pathlib import Path

from autograder.paths import ROOT

BIN = Path(sys.executable).parent
NB_CLEAN_ARGS = ["check", "--preserve-notebook-metadata",
                 *[arg for field in ("nbgrader", "tags", "deletable", "editable")
                   for arg in ("--preserve-cell-metadata-field", field)]]


def test_ruff_finds_nothing_in_python_files_and_notebooks():
    """Does `ruff check` pass over every .py and .ipynb file?"""
    result = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_committed_notebooks_have_no_outputs_counts_or_machine_metadata():
    """Does nb-clean find no outputs, execution counts or volatile metadata in any notebook?"""
    result = subprocess.run([str(BIN / "nb-clean"), *NB_CLEAN_ARGS, "solutions", "notebooks"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_pre_commit_runs_the_same_checks():
    """Does the pre-commit configuration run ruff and the same nb-clean check?"""
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    assert "ruff check" in config and " ".join(NB_CLEAN_ARGS) in config
