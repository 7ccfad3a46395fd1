"""solutions/ -> notebooks/: nbgrader generate_assignment with the course's configuration.

nbgrader strips the solutions and hidden tests and locks the test cells; its last step is
the course's own (``CourseNotebook`` in ``nbgrader_plugins.py``, named in
``nbgrader_config.py``): the clean-up removes what would change between runs (outputs,
execution counts, volatile metadata) so that generating twice changes nothing, and the
navigation cells are added (``navigation.py``). So stock ``nbgrader generate_assignment
--force`` writes the same notebooks as this does. The contents notebook
``notebooks/00_index.ipynb`` is written here, and so are the translated editions,
``notebooks/<lang>/`` for each language of ``translations/`` (``editions.py``), from the
English student notebooks just written. The gradebook nbgrader needs for this is a
scratch one: generating never touches the instructor's gradebook.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .. import cells, paths
from . import editions, navigation


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
        # one nbgrader run for the whole course ("*": every assignment in solutions/), one
        # per assignment otherwise: each run costs nbgrader's start-up
        for batch in (["*"] if names == known else names):
            result = nbgrader(["generate_assignment", batch, "--force"], cwd=paths.CONFIG_DIR,
                              extra=[f"--CourseDirectory.db_url={db}", "--log-level=WARN"])
            done = names if batch == "*" else [batch]
            if result.returncode != 0 or not all(paths.release_notebook(n).exists() for n in done):
                raise GenerateError(f"nbgrader generate_assignment {batch} failed:\n"
                                    f"{result.stdout}\n{result.stderr}")
            for name in done:
                target = paths.release_notebook(name)
                nb = nbformat.read(target, as_version=4)
                tags = [t for c in nb.cells for t in c.get("metadata", {}).get("tags", [])]
                if navigation.NAV_TAG not in tags:
                    raise GenerateError(f"nbgrader generate_assignment {name} ran without the "
                                        "course's preprocessors: is "
                                        "autograder/nbgrader_config.py the configuration it "
                                        "read?")
                written.append(target)
                log(f"generated {target.relative_to(paths.ROOT)}")
    index = paths.NOTEBOOKS / navigation.INDEX
    cells.write(navigation.index_notebook(entries), index)
    written.append(index)
    written += editions.generate(names, log=log)
    return written
