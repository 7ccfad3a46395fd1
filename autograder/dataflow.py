"""Which code cells a notebook's score depends on, so ``check`` can skip the demonstrations.

A course notebook is mostly demonstration: figures, timing, training runs. Its score
depends only on the graded cells (the student's functions and the test cells) and on the
cells that bind a name those read: the imports, a helper the student wrote, a constant.
``needed`` finds them by reading the cells' names (with :mod:`symtable`, not by running
them), walking back from the graded cells:

- a graded or test cell is needed;
- an earlier cell is needed if it binds a name a needed cell reads as a global (every
  earlier binding counts, not only the latest, so a conditional or repeated binding is
  never missed);
- a cell whose names cannot be known (an IPython magic, ``import *``, ``globals()``,
  ``exec``, the output history) makes the answer "run every cell".

What it cannot see is a cell that changes an object in place (``model.eval()``,
``np.seterr``) which a graded cell then relies on. The course's graded functions never do;
``check --all`` runs every cell for the rare notebook that does.
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass

from . import cells

#: names whose use means a cell can bind or read anything
OPAQUE = frozenset({"get_ipython", "globals", "locals", "vars", "exec", "eval", "__import__",
                    "__builtins__", "In", "Out", "_", "__", "___", "_ih", "_oh", "_i"})


@dataclass(frozen=True)
class Names:
    binds: frozenset[str]
    reads: frozenset[str]
    opaque: bool = False


def names(source: str) -> Names:
    """The globals one cell binds and reads (``opaque`` when that cannot be known)."""
    if _has_magic(source):
        return Names(frozenset(), frozenset(), opaque=True)
    try:
        top = symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:  # IPython runs none of it: it binds and reads nothing
        return Names(frozenset(), frozenset())
    binds: set[str] = set()
    reads: set[str] = set()
    for sym in top.get_symbols():
        if sym.is_assigned() or sym.is_imported() or sym.is_namespace():
            binds.add(sym.get_name())
        if sym.is_referenced():
            reads.add(sym.get_name())
    if _star_import(source):
        return Names(frozenset(), frozenset(), opaque=True)
    for child in top.get_children():
        _nested(child, binds, reads)
    opaque = bool((reads - binds) & OPAQUE)  # reading `_` it bound itself is plain Python
    return Names(frozenset(binds), frozenset(reads), opaque)


def _nested(table, binds: set[str], reads: set[str]) -> None:
    for sym in table.get_symbols():
        if sym.is_global() and sym.is_referenced():
            reads.add(sym.get_name())
        if sym.is_declared_global() and sym.is_assigned():
            binds.add(sym.get_name())
    for child in table.get_children():
        _nested(child, binds, reads)


def _star_import(source: str) -> bool:
    return any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
               for node in ast.walk(ast.parse(source)))


def _has_magic(source: str) -> bool:
    """IPython syntax (``%magic``, ``!shell``, ``x?``): its effect cannot be read."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source).strip() != _plain(source).strip()


def _plain(source: str) -> str:
    return source if source.endswith("\n") else source + "\n"


def needed(nb) -> list[bool] | None:
    """For each cell of ``nb``: must it run for the score? ``None``: run them all."""
    flags = []
    infos: list[Names | None] = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            infos.append(None)
            flags.append(False)
            continue
        info = names(cell.get("source", ""))
        if info.opaque:
            return None
        infos.append(info)
        flags.append(bool(cells.meta(cell).get("grade") or cells.meta(cell).get("solution")))
    wanted: set[str] = set()
    for i in range(len(nb.cells) - 1, -1, -1):
        info = infos[i]
        if info is None:
            continue
        if not flags[i] and info.binds & wanted:
            flags[i] = True
        if flags[i]:
            wanted |= info.reads
    return flags
