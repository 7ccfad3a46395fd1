"""Is the repository clean the way CI and the pre-commit hooks demand?"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_pre_commit_passes_on_every_file_offline(tmp_path):
    """Does `pre-commit run --all-files` pass, with every hook local (nothing to fetch)?"""
    import yaml

    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert all(hook["language"] == "system" for hook in config["repos"][0]["hooks"])
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=ROOT,
                      capture_output=True).returncode != 0:
        pytest.skip("not a git checkout: pre-commit lists the files git tracks")
    # the generated-notebooks hook rewrites notebooks/ when it disagrees: put them back
    before = {p: p.read_bytes() for p in sorted((ROOT / "notebooks").rglob("*.ipynb"))}
    try:
        result = subprocess.run([str(BIN / "pre-commit"), "run", "--all-files", "--color=never"],
                                cwd=ROOT, capture_output=True, text=True, timeout=900,
                                env=dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "home"),
                                         PATH=os.pathsep.join([str(BIN),
                                                               os.environ.get("PATH", "")])))
    finally:
        for p, data in before.items():
            if p.read_bytes() != data:
                p.write_bytes(data)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    lines = result.stdout.splitlines()
    for hook in config["repos"][0]["hooks"]:  # each ran on files, and passed (not "Skipped")
        line = next((ln for ln in lines if ln.startswith(hook["name"] + ".")), "")
        assert line.endswith("Passed"), (hook["id"], result.stdout)
