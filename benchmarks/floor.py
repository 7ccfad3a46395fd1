"""``python -m benchmarks.floor NOTEBOOK``: what any check of NOTEBOOK costs at least.

The floor is a fresh process that reads the notebook and starts a kernel the way
``python -m autograder check`` does (``autograder.selfstudy.execute.run_notebook``, the same
interpreter, the same scratch folder), then runs only the notebook's imports: the import
statements of its first code cell, where every course notebook imports what it uses. A
check can do no better than that; the benchmark times this command next to
``python -m autograder check``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat

from autograder.selfstudy.execute import run_notebook


def imports_of(nb) -> str:
    """The import statements of the notebook's first code cell, as source."""
    first = next((c for c in nb.cells if c.get("cell_type") == "code"), None)
    if first is None:
        return ""
    source = first.get("source", "")
    tree = ast.parse(source)
    return "\n".join(ast.get_source_segment(source, node) for node in tree.body
                     if isinstance(node, (ast.Import, ast.ImportFrom)))


def floor_notebook(path: Path):
    nb = nbformat.read(path, as_version=4)
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.cells = [nbformat.v4.new_code_cell(imports_of(nb))]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_file():
        print("usage: python -m benchmarks.floor NOTEBOOK.ipynb", file=sys.stderr)
        return 2
    path = Path(argv[0])
    run = run_notebook(floor_notebook(path), folder=path.resolve().parent)
    failed = [o for c in run.nb.cells for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    if failed or run.problem:
        print(f"the imports of {path} failed: {run.problem or failed[0].get('evalue')}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
