"""Do the README's Binder badges open JupyterLab at notebooks that exist?"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from urllib.parse import unquote

from autograder import paths

SCRIPT = paths.ROOT / "scripts" / "binder_badge.py"


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_badges_open_the_contents_and_the_first_notebook(tmp_path):
    readme = tmp_path / "README.md"
    shutil.copy(paths.ROOT / "README.md", readme)
    for _ in range(2):  # a second run replaces the first run's badges
        done = _run("my-school/bn-from-scratch", "--readme", str(readme))
        assert done.returncode == 0, done.stderr
    links = re.findall(r"\]\((https://mybinder\.org/v2/gh/[^)]+)\)", readme.read_text())
    assert len(links) == 2, links
    for link in links:
        assert link.startswith("https://mybinder.org/v2/gh/my-school/bn-from-scratch/HEAD?urlpath=")
        notebook = unquote(link.split("urlpath=")[1]).removeprefix("lab/tree/")
        assert (paths.ROOT / notebook).is_file(), notebook
    assert links[0].endswith("00_index.ipynb")


def test_a_path_that_is_not_owner_slash_repo_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    shutil.copy(paths.ROOT / "README.md", readme)
    done = _run("https://github.com/x/y", "--readme", str(readme))
    assert done.returncode == 2 and "OWNER/REPO" in done.stderr
    assert "Traceback" not in done.stderr
    assert readme.read_text() == (paths.ROOT / "README.md").read_text()
