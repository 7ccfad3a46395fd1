"""Print pyproject.toml's torch requirements, one a line, for the set-up's first pip call.

On Linux, PyPI's torch wheels are the CUDA build: they pull several GB of NVIDIA libraries
that the course never uses. PyTorch's CPU index serves the CPU build as ``torch==X+cpu``,
so pyproject.toml pins ``torch==2.13.0+cpu`` on Linux and ``torch==2.13.0`` elsewhere (the
macOS and Windows wheels on PyPI are CPU builds, without the ``+cpu``). ``make setup``
installs these lines first, with ``--no-deps`` and the CPU index as an extra index, so that
index is asked about torch alone; the second pip call installs everything else (torch's own
dependencies too) from the ordinary index. pip evaluates each line's marker itself.

    python scripts/torch_requirements.py [PYPROJECT] > torch-requirements.txt
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def torch_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    lines = [d for d in deps if re.match(r"torch\s*(==|;|$)", d)]
    if not lines:
        raise SystemExit(f"{pyproject}: no torch requirement among the dependencies")
    return lines


if __name__ == "__main__":
    print("\n".join(torch_requirements(*map(Path, sys.argv[1:]))))
