"""solutions/ -> notebooks/: nbgrader generate_assignment, then the course's clean-up.

nbgrader strips the solutions and hidden tests and locks the test cells; the clean-up
removes what would change between runs (outputs, execution counts, volatile metadata) so
that generating twice changes nothing; navigation cells and the contents notebook
``notebooks/00_index.ipynb`` are written last (``autograder/navigation.py``). The gradebook nbgrader needs for this is a scratch
one: generating never touches the instructor's gradebook.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from . import cells, navigation, paths


class GenerateError(RuntimeError):
    pass


def nbgrader(args: list[str], cwd: Path, extra: list[str] = ()) -> subprocess.CompletedProcess:
    """Run nbgrader from ``cwd`` (where it finds the course's nbgrader_config.py).

    The environment's bin folder goes first on PATH: nbgrader runs ``alembic`` by name.
    """
    cmd = [sys.executable, "-m", "nbgrader", *args, *extra]
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)


def generate(names: list[str] | None = None, log=print) -> list[Path]:
    """Regenerate the student notebooks of ``names`` (all assignments by default)."""
    known = paths.assignments()
    names = list(names or known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise GenerateError(f"no source notebook for {unknown}; known assignments: {known}")
    written = []
    entries = navigation.course()
    with tempfile.TemporaryDirectory(prefix="bn-course-generate-") as scratch:
        db = f"sqlite:///{Path(scratch) / 'gradebook.db'}"
        for name in names:
            result = nbgrader(["generate_assignment", name, "--force"], cwd=paths.CONFIG_DIR,
                              extra=[f"--CourseDirectory.db_url={db}", "--log-level=WARN"])
            target = paths.release_notebook(name)
            if result.returncode != 0 or not target.exists():
                raise GenerateError(f"nbgrader generate_assignment {name} failed:\n"
                                    f"{result.stdout}\n{result.stderr}")
            nb = nbformat.read(target, as_version=4)
            nb = navigation.add_navigation(cells.clean(nb), name, entries)
            cells.write(nb, target)
            written.append(target)
            log(f"generated {target.relative_to(paths.ROOT)}")
    index = paths.NOTEBOOKS / navigation.INDEX
    cells.write(navigation.index_notebook(entries), index)
    written.append(index)
    return written
