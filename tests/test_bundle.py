"""Is `make bundle`'s student release complete, free of anything secret, and does it run?

The bundle is built once per module by the command `make bundle` runs (scripts/bundle.py),
into a scratch folder, and unpacked there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from packaging.requirements import Requirement

from autograder import cells, paths

ROOT = paths.ROOT
NB03 = "03_bn_forward"
TOP_FILES = {"README.md", "LICENSE", "DATA_LICENSES.md", "CHANGELOG.md", "Makefile",
             "pyproject.toml", "requirements.txt", "requirements-torch.txt",
             "scripts/lab_settings.py"}


def _build(output: Path) -> Path:
    make = (ROOT / "Makefile").read_text()
    assert "scripts/bundle.py --output" in make  # what `make bundle` runs
    result = subprocess.run([sys.executable, "scripts/bundle.py", "--output", str(output)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    (zip_path,) = output.glob("*-student.zip")
    return zip_path


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("bundle")
    zip_path = _build(scratch / "dist")
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        zf.extractall(scratch / "unpacked")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    top = f"bn-from-scratch-{version}"
    return SimpleNamespace(zip=zip_path, root=scratch / "unpacked" / top, top=top,
                           names=[n.removeprefix(top + "/") for n in names],
                           prefixes={n.split("/")[0] for n in names}, scratch=scratch)


def _expected_repo_files() -> dict[str, Path]:
    files = {p.relative_to(ROOT).as_posix(): p for p in (ROOT / "notebooks").rglob("*")
             if p.is_file() and ".ipynb_checkpoints" not in p.parts}
    files.update({p.relative_to(ROOT).as_posix(): p for p in (ROOT / "course_utils").rglob("*.py")
                  if "__pycache__" not in p.parts})
    return files


def test_bundle_holds_the_student_notebooks_course_utils_pins_and_a_readme(bundle):
    """Does the zip hold every student notebook and course_utils module unchanged, the exact
    pins of pyproject.toml, a student README and the licences, and nothing more?"""
    assert bundle.prefixes == {bundle.top}, bundle.prefixes
    expected = _expected_repo_files()
    assert any(n.endswith(f"{NB03}.ipynb") for n in expected)
    assert set(bundle.names) == set(expected) | TOP_FILES, set(bundle.names) ^ (
        set(expected) | TOP_FILES)
    for name, path in expected.items():
        assert (bundle.root / name).read_bytes() == path.read_bytes(), name

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    def reqs(name):
        return [str(Requirement(line)) for line in (bundle.root / name).read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert reqs("requirements.txt") == [str(Requirement(d)) for d in deps]
    assert reqs("requirements-torch.txt") == [str(Requirement(d)) for d in deps
                                              if Requirement(d).name == "torch"]
    readme = (bundle.root / "README.md").read_text()
    for needed in ("notebooks/00_index.ipynb", "make lab", "requirements-torch.txt",
                   "download.pytorch.org/whl/cpu", "Validate", "LICENSE"):
        assert needed in readme, needed
    student_make = subprocess.run(["make", "-n", "-B", "setup"], cwd=bundle.root,
                                  capture_output=True, text=True, check=True).stdout
    assert re.search(r"--no-deps --extra-index-url https://download\.pytorch\.org/whl/cpu "
                     r"-r requirements-torch\.txt", student_make), student_make


def test_bundle_holds_nothing_secret(bundle):
    """Does the zip leave out solutions/, hidden tests, the grader and its keys, and caches,
    and is it the same bytes when built again?"""
    for name in bundle.names:
        assert not name.startswith(("solutions/", "autograder/", "tests/", "benchmarks/")), name
        assert not name.endswith((".pyc", ".db", ".grading-key", ".csv")), name
        assert "__pycache__" not in name and ".ipynb_checkpoints" not in name, name
    hidden = set()  # every line of every hidden-test block of the course
    for assignment in paths.assignments():
        for cell in nbformat.read(paths.source_notebook(assignment), as_version=4).cells:
            for block in re.findall(r"BEGIN HIDDEN TESTS\n(.*?)\n.*?END HIDDEN TESTS",
                                    cell.source, re.S):
                hidden.update(line.strip() for line in block.splitlines() if line.strip())
    assert hidden, "found no hidden test in solutions/"
    for path in bundle.root.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
                assert marker not in text, (path, marker)
            if path.suffix == ".ipynb":
                leaked = [line for line in hidden if line in text and not line.startswith("#")]
                assert not leaked, (path.name, leaked[:3])
    again = _build(bundle.scratch / "again")
    assert again.read_bytes() == bundle.zip.read_bytes()


def test_bundle_course_utils_runs_a_student_notebooks_visible_test_cell(bundle, monkeypatch):
    """Does notebook 03's visible test cell pass on honest work, in a kernel that imports
    the bundle's own course_utils (not the repository's)?"""
    from nbclient import NotebookClient

    folder = bundle.root / "notebooks" / NB03
    nb = nbformat.read(folder / f"{NB03}.ipynb", as_version=4)
    answers = {cells.grade_id(c): c.source
               for c in nbformat.read(paths.source_notebook(NB03), as_version=4).cells
               if cells.meta(c).get("solution") and c.cell_type == "code"}
    first_test = next(i for i, c in enumerate(nb.cells) if cells.is_autograded_test(c))
    nb.cells = [c for c in nb.cells[:first_test + 1] if c.cell_type == "code"]
    for cell in nb.cells:
        cell.source = answers.get(cells.grade_id(cell), cell.source)
    nb.cells.append(nbformat.v4.new_code_cell("import course_utils; print(course_utils.__file__)"))
    monkeypatch.setenv("PYTHONPATH", str(bundle.root))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()

    def text(cell):
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert "visible checks passed" in text(nb.cells[-2]), nb.cells[-2].outputs
    assert Path(text(nb.cells[-1]).strip()).resolve().is_relative_to(bundle.root.resolve())


def test_bundle_package_installs_course_utils(bundle, tmp_path):
    """Does the bundle's pyproject.toml build, as the package that installs course_utils?

    (Its requirements are pyproject.toml's pins, line for line: the test above; the course's
    own set-up installs exactly those.)"""
    report = tmp_path / "package.json"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check",
                             "--quiet", "--dry-run", "--ignore-installed", "--no-deps",
                             "--no-build-isolation", "--no-index", "--report", str(report),
                             "-e", str(bundle.root)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    (item,) = json.loads(report.read_text())["install"]
    assert item["metadata"]["name"] == "bn-from-scratch-notebooks"
    assert item["metadata"]["version"] == tomllib.loads(
        (ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert [str(Requirement(r)) for r in item["metadata"]["requires_dist"]] == [
        str(Requirement(d)) for d in
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]]
