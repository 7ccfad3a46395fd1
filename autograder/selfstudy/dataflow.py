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
- a function reads its globals when it is called, not where it is defined: a cell that
  binds a name a needed cell's function reads is needed wherever it lies before the last
  needed cell (a demonstration that rebinds ``rng`` between the function and its test);
- a cell whose names cannot be known (an IPython magic, ``import *``, ``globals()``,
  ``exec``, the output history) makes the answer "run every cell".

What it cannot see is a cell that changes an object in place (``model.eval()``,
``np.seterr``) which a graded cell then relies on. The course's graded functions never do;
``check --all`` runs every cell for the rare notebook that does.
"""

from __future__ import annotations

import ast
import functools
import symtable
from dataclasses import dataclass

from .. import cells

#: names whose use means a cell can bind or read anything
OPAQUE = frozenset({"get_ipython", "globals", "locals", "vars", "exec", "eval", "__import__",
                    "__builtins__", "In", "Out", "_", "__", "___", "_ih", "_oh", "_i"})


@dataclass(frozen=True)
class Names:
    binds: frozenset[str]
    reads: frozenset[str]           # every global it reads, in its functions too
    opaque: bool = False
    late: frozenset[str] = frozenset()  # the globals its functions read (when called)


@functools.lru_cache(maxsize=4096)  # the course's cells come back in every submission
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
    late: set[str] = set()
    for sym in top.get_symbols():
        if sym.is_assigned() or sym.is_imported() or sym.is_namespace():
            binds.add(sym.get_name())
        if sym.is_referenced():
            reads.add(sym.get_name())
    if _star_import(source):
        return Names(frozenset(), frozenset(), opaque=True)
    for child in top.get_children():
        _nested(child, binds, reads, late)
    opaque = bool((reads - binds) & OPAQUE)  # reading `_` it bound itself is plain Python
    return Names(frozenset(binds), frozenset(reads), opaque, frozenset(late))


def _nested(table, binds: set[str], reads: set[str], late: set[str],
            called: bool = False) -> None:
    """Globals read and bound in a nested scope; ``late``: those read when a function runs."""
    called = called or table.get_type() == "function"
    for sym in table.get_symbols():
        if sym.is_global() and sym.is_referenced():
            reads.add(sym.get_name())
            if called:
                late.add(sym.get_name())
        if sym.is_declared_global() and sym.is_assigned():
            binds.add(sym.get_name())
    for child in table.get_children():
        _nested(child, binds, reads, late, called)


def _star_import(source: str) -> bool:
    return any(isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
               for node in ast.walk(ast.parse(source)))


def _has_magic(source: str) -> bool:
    """IPython syntax (``%magic``, ``!shell``, ``x?``): its effect cannot be read."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source).strip() != _plain(source).strip()


def _plain(source: str) -> str:
    return source if source.endswith("\n") else source + "\n"


def needed(nb, must: list[bool] | None = None) -> list[bool] | None:
    """For each cell of ``nb``: must it run for the score? ``None``: run them all.

    ``must``: cells that run whatever the score needs (``grade`` runs every cell a student
    wrote); the cells they read from are then needed too.
    """
    flags = []
    infos: list[Names | None] = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            infos.append(None)
            flags.append(False)
            continue
        info = names(cell.get("source", ""))
        if info.opaque:
            return None
        infos.append(info)
        flags.append(bool(cells.meta(cell).get("grade") or cells.meta(cell).get("solution")
                          or (must is not None and must[i])))
    return walk(infos, flags)


def walk(infos: list[Names | None], flags: list[bool]) -> list[bool]:
    """``flags`` (the units that run whatever) grown by every unit a running one depends on,
    in order; ``infos[i]`` None: not code. The rules of ``needed``, for any list of units
    (``grade`` splits the course's cells into statements)."""
    flags = list(flags)
    grown = True
    while grown:  # until no unit is added: a unit added reads names of its own
        grown = False
        last = max((i for i, f in enumerate(flags) if f), default=-1)
        late = set().union(*(infos[i].late for i, f in enumerate(flags) if f))
        wanted: set[str] = set()
        for i in range(len(infos) - 1, -1, -1):
            info = infos[i]
            if info is None:
                continue
            if not flags[i] and (info.binds & wanted or (i < last and info.binds & late)):
                flags[i] = grown = True
            if flags[i]:
                wanted |= info.reads
    return flags
