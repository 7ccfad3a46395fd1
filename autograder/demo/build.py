"""Writing the demo class: every scenario's folder under ``autograder/demo_class/``.

``python -m autograder.demo`` runs :func:`main`; the grader never does: it grades the class
as committed (rebuild it after changing a scenario, and commit the folder).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .. import cells, paths
from .answers import ASSIGNMENT, CLASS_DIR
from .scenarios import scenarios


RUFF_CONFIG = """# The demo class holds student submissions, broken and hostile on purpose (see
# autograder/demo/): they are fixtures, not course code, so ruff leaves them alone.
extend-exclude = ["*"]
"""


def build(target: Path = CLASS_DIR) -> list[str]:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / ".ruff.toml").write_text(RUFF_CONFIG)
    built = []
    for student, what in scenarios().items():
        folder = target / student / ASSIGNMENT
        folder.mkdir(parents=True)
        if callable(what):
            what(folder)
        else:
            name, nb = what if isinstance(what, tuple) else (f"{ASSIGNMENT}.ipynb", what)
            cells.write(nb, folder / name)
        built.append(student)
    return built



def main() -> None:
    for student in build():
        print("wrote", (CLASS_DIR / student).relative_to(paths.ROOT))
    print(json.dumps({"students": len(list(CLASS_DIR.iterdir()))}))
