"""Stand-ins for ``course_utils.reference`` and ``course_utils.checks`` in the grading kernel.

The reference implementations compute every graded function's answer, and the checks
hold code that does as much (a central difference, the running statistics, the mistakes'
formulas). In self-study a call into the reference is caught by the checks' tripwire, but
that record is made in the student's own process, which a submission can blind (turn the
profiler off, call from a thread, exec a copy of the source). While grading, the kernel
needs neither package: the test cells run in the grader. So the sandbox binds generated
stand-in packages over both folders (and over any other copy on the kernel's path): every
``import`` and ``from ... import`` a notebook does still succeeds, but each public name is
an object that only raises ``RuntimeError("... is not available while grading ...")``
when it is called, and there is no line of the real code anywhere the kernel can read.
``CheckFailure`` stays an exception class, so ``except CheckFailure`` still works.

``python -m autograder check`` (self-study) never uses this: its tripwire is unchanged.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

PACKAGES = ("course_utils.reference", "course_utils.checks")
WHY = ("is not available while grading: the grading kernel has no copy of the course's "
       "reference implementations or checks (the test cells run in the grader), so graded "
       "code cannot call them")
EXCEPTIONS = {"course_utils.checks": ["CheckFailure"]}

_PACKAGE = '''"""Stand-in for {package} while grading: nothing here computes anything."""

WHY = {why!r}


class _Unavailable:
    """A name of {package} that cannot be used while grading."""

    __slots__ = ("_name",)

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{{self._name}} {{WHY}}")

    def __getattr__(self, attr):
        raise AttributeError(f"{{self._name}} {{WHY}}")

    def __setattr__(self, attr, value):
        raise AttributeError(f"{{self._name}} {{WHY}}")

    def __mro_entries__(self, bases):
        raise TypeError(f"{{self._name}} {{WHY}}")

    def __repr__(self):
        return f"<{{self._name}}: not available while grading>"


def _stand_in(module, name):
    return _Unavailable(f"{{module}}.{{name}}")


def _module_getattr(module):
    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stand_in(module, name)
    return __getattr__

{exceptions}
__all__ = {names!r}
for _name in __all__:
    if _name not in globals():
        globals()[_name] = _stand_in(__name__, _name)
{submodules}
__getattr__ = _module_getattr(__name__)  # last: `from . import m` above must find no name
'''

_MODULE = '''"""Stand-in for {module} while grading: nothing here computes anything."""

from {package} import _module_getattr, _stand_in{imports}
{submodules}
__all__ = {names!r}
for _name in __all__:
    if _name not in globals():
        globals()[_name] = _stand_in(__name__, _name)
__getattr__ = _module_getattr(__name__)
'''


def _submodules(module) -> list[tuple[str, bool]]:
    """(name, is a package) of every module directly inside a package; none for a module."""
    path = getattr(module, "__path__", None)
    return sorted((info.name, info.ispkg) for info in pkgutil.iter_modules(path)) if path else []


def _public(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    inner = {name for name, _ in _submodules(module)}  # stand-in modules of their own
    return sorted(str(n) for n in names if n not in inner)


def _imports(module) -> str:
    return "".join(f"from . import {name}  # noqa: E402\n" for name, _ in _submodules(module))


def sources(package: str) -> dict[str, str]:
    """path inside the package -> text of the stand-in for ``package``: its ``__init__`` and
    every module below it, those of its subpackages included (``bn_inference/layer.py``)."""
    real = importlib.import_module(package)
    exceptions = EXCEPTIONS.get(package, [])
    exc_code = "".join(f"\n\nclass {name}(AssertionError):\n    \"\"\"A check found a problem "
                       "(checks do not run in the kernel while grading).\"\"\"\n"
                       for name in exceptions)
    out = {"__init__.py": _PACKAGE.format(package=package, why=WHY, names=_public(real),
                                          exceptions=exc_code, submodules=_imports(real))}
    below = [(real, "")]
    while below:
        parent, prefix = below.pop()
        for name, is_package in _submodules(parent):
            module = importlib.import_module(f"{parent.__name__}.{name}")
            names = _public(module)
            shared = [e for e in exceptions if e in names or hasattr(module, e)]
            imports = "".join(f", {e}" for e in shared)
            text = _MODULE.format(module=module.__name__, package=package, imports=imports,
                                  names=names, submodules=_imports(module))
            if is_package:
                out[f"{prefix}{name}/__init__.py"] = text
                below.append((module, f"{prefix}{name}/"))
            else:
                out[f"{prefix}{name}.py"] = text
    return out


def write(target: Path) -> dict[str, Path]:
    """Write the stand-ins under ``target``; ``{package: its stand-in folder}``."""
    made = {}
    for package in PACKAGES:
        folder = target / package.rsplit(".", 1)[-1]
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in sources(package).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
        made[package] = folder
    return made


def real_folders(package: str) -> list[Path]:
    """Every folder the kernel could import ``package`` from or read it in: the one the
    grader imports, and any other copy on ``sys.path`` (a non-editable install)."""
    real = importlib.import_module(package)
    found = [Path(p).resolve() for p in real.__path__]
    relative = Path(*package.split("."))
    for entry in sys.path:
        try:
            candidate = (Path(entry or ".") / relative).resolve()
        except OSError:
            continue
        if candidate.is_dir() and candidate not in found:
            found.append(candidate)
    return found
