"""``make bundle``: the student release, one zip a learning platform can hand out.

    python scripts/bundle.py [--output dist]   ->  dist/bn-from-scratch-<version>-student.zip

It holds what a student needs to work through the course and nothing of the instructor's:

- ``notebooks/``: the student versions, exactly as committed (generated from solutions/);
- ``course_utils/``: the package the notebooks import (the checks the visible test cells
  call, the reference implementations those checks compare with, the data helper, demos
  and widgets);
- ``requirements.txt`` (every runtime pin of pyproject.toml, exact) and
  ``requirements-torch.txt`` (its torch lines: the CPU build, 2.13.0+cpu on Linux from
  PyTorch's CPU index); a ``pyproject.toml`` that installs ``course_utils``;
- a ``Makefile`` (``make lab``: the same two-step set-up as the course's, then JupyterLab at
  the contents), ``scripts/lab_settings.py`` (the student's lab: nbgrader's instructor
  tools off, Validate on), a ``README.md`` for students, ``LICENSE``,
  ``DATA_LICENSES.md`` and ``CHANGELOG.md``.

Never: ``solutions/``, hidden tests, ``autograder/`` (the grader, its configuration, the
demo class, grading keys), tests, benchmarks, caches. The zip is reproducible: entries in
sorted order with a fixed timestamp, so the same sources give the same bytes.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
SECRET_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                  "BEGIN MARK SCHEME")

STUDENT_MAKEFILE = r"""# The course's student release: `make lab` sets up .venv (first time only) and opens the
# course in JupyterLab at its contents. `make help` lists the commands.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip install --disable-pip-version-check --progress-bar off -q
# PyTorch's CPU build: on Linux PyPI's torch is the CUDA build (several GB); PyTorch's CPU
# index serves torch==2.13.0+cpu and is asked about torch alone (README.md)
TORCH_INDEX ?= {cpu_index}
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.DEFAULT_GOAL := help
.PHONY: help setup lab clean-venv

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{{printf "  %-12s %s\n", $$1, $$2}}'

setup: $(STAMP) ## make .venv with the course's exact pins (done by lab when needed)

$(STAMP): requirements.txt requirements-torch.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -c 'import sys; sys.exit(sys.version_info < {floor})' || {{ \
	    echo "The course needs Python {dotted} or newer; $(PYTHON) is $$($(PYTHON) --version 2>&1)."; \
	    echo "Install one and run, for example: make PYTHON=python{dotted}"; exit 1; }}
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) --no-deps --extra-index-url $(TORCH_INDEX) -r requirements-torch.txt
	$(PIP) -r requirements.txt
	$(PIP) --no-deps -e .
	$(PY) scripts/lab_settings.py
	@touch $(STAMP)

lab: $(STAMP) ## open the course in JupyterLab, at its contents
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) --LabApp.default_url=/lab/tree/notebooks/00_index.ipynb

clean-venv: ## remove .venv (the next make sets it up again)
	rm -rf $(VENV)
"""

STUDENT_README = """# Batch Normalization, from scratch: the notebooks (version {version})

Eight Jupyter notebooks in which you write batch normalization and its family yourself in
numpy, check each piece against PyTorch, and see on real handwritten digits what it does.
Start with `notebooks/00_index.ipynb`, the contents.
한국어판(the Korean edition, the same exercises and checks): start with
`notebooks/ko/00_index.ipynb`.

## Set up (once)

On Linux or macOS with Python {dotted} or newer and `make`:

```bash
make lab     # sets up .venv the first time, then opens JupyterLab at the contents
```

By hand (Windows too: use `.venv\\Scripts\\python` for `.venv/bin/python`):

```bash
python3 -m venv .venv
.venv/bin/python -m pip install --no-deps --extra-index-url {cpu_index} -r requirements-torch.txt
.venv/bin/python -m pip install -r requirements.txt
.venv/bin/python -m pip install --no-deps -e .
.venv/bin/python scripts/lab_settings.py
.venv/bin/jupyter lab notebooks/00_index.ipynb
```

The first pip command installs PyTorch's CPU build, from PyTorch's CPU index and for torch
alone: on Linux, PyPI's torch is the CUDA build, several GB that the course never uses.
`requirements.txt` pins every package to the version the course is tested with. The set-up
downloads about 350 MB (an estimate; PyTorch's CPU wheel is 183 MiB of it) and takes a few
minutes; nothing is downloaded while the notebooks run.

## Work, and check your work

Fill in each function where it says `# YOUR CODE HERE`, run its cell, then the test cell
below it: a failing check says which case failed, what was expected, what came back, and
often the likely mistake. The **Validate** button in the notebook's toolbar runs every test
cell of the notebook. Your instructor grades with further, hidden tests; the contents
notebook's `python -m autograder check` command belongs to the course's full repository,
not to this release.

## What is in this folder

| | |
|---|---|
| `notebooks/` | the notebooks you work in |
| `course_utils/` | what the notebooks import: the checks the test cells call, the reference implementations they compare your work with (reading them before you try spoils the exercise), the data helper and the figures' demos |
| `requirements.txt`, `requirements-torch.txt`, `pyproject.toml` | the exact versions of every package |
| `scripts/lab_settings.py` | JupyterLab's settings for the course |

The course is open: its code and text are under the MIT licence (`LICENSE`); the data sets
the notebooks load keep their own licences (`DATA_LICENSES.md`).
"""


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _floor(project: dict) -> tuple[int, int]:
    m = re.fullmatch(r">=\s*(\d+)\.(\d+)", project["requires-python"].strip())
    if not m:
        raise SystemExit(f"requires-python {project['requires-python']!r}: expected >=X.Y")
    return int(m.group(1)), int(m.group(2))


def _student_pyproject(project: dict) -> str:
    deps = "".join(f'    "{d}",\n' for d in project["dependencies"])
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "bn-from-scratch-notebooks"
version = "{project['version']}"
description = "Batch Normalization, from scratch: the student release"
requires-python = "{project['requires-python']}"
license = {{ text = "MIT" }}
# the course's exact pins (requirements.txt holds the same)
dependencies = [
{deps}]

[tool.setuptools.packages.find]
include = ["course_utils*"]
"""


def files() -> dict[str, bytes]:
    """The bundle's files: path inside the bundle -> bytes."""
    project = _project()
    floor = _floor(project)
    dotted = f"{floor[0]}.{floor[1]}"
    out: dict[str, bytes] = {}
    for path in sorted((ROOT / "notebooks").rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            out[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        if "__pycache__" not in path.parts:
            out[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    torch = [d for d in project["dependencies"] if re.match(r"torch\s*(==|;|$)", d)]
    head = (f"# Batch Normalization, from scratch {project['version']}: exact pins "
            f"(pyproject.toml's).\n# torch: {CPU_INDEX} serves the Linux CPU build "
            "(see README.md)\n")
    out["requirements.txt"] = (head + "\n".join(project["dependencies"]) + "\n").encode()
    out["requirements-torch.txt"] = (head + "\n".join(torch) + "\n").encode()
    out["pyproject.toml"] = _student_pyproject(project).encode()
    out["Makefile"] = STUDENT_MAKEFILE.format(cpu_index=CPU_INDEX, floor=floor,
                                              dotted=dotted).encode()
    out["README.md"] = STUDENT_README.format(version=project["version"], dotted=dotted,
                                             cpu_index=CPU_INDEX).encode()
    out["scripts/lab_settings.py"] = (ROOT / "scripts" / "lab_settings.py").read_bytes()
    for name in ("LICENSE", "DATA_LICENSES.md", "CHANGELOG.md"):
        out[name] = (ROOT / name).read_bytes()
    for name, data in out.items():
        for marker in SECRET_MARKERS:
            if marker.encode() in data:
                raise SystemExit(f"{name} contains {marker!r}: it must not be handed out")
    return out


def build(output: Path) -> Path:
    version = _project()["version"]
    top = f"bn-from-scratch-{version}"
    output.mkdir(parents=True, exist_ok=True)
    target = output / f"{top}-student.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files().items()):
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default=str(ROOT / "dist"), help="folder (default dist/)")
    target = build(Path(parser.parse_args(argv).output))
    with zipfile.ZipFile(target) as zf:
        count = len(zf.namelist())
    print(f"wrote {target} ({count} files, {target.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
