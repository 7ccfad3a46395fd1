"""Collect the public names of every topic module of a package.

``reference`` and ``checks`` are each one module per notebook topic. Their ``__init__``
calls :func:`export_all` so that ``from course_utils.checks import check_x`` works for every
topic, and a new notebook adds a module without editing any other file.
"""

from __future__ import annotations

import importlib
import pkgutil


def export_all(package_name: str, package_path, namespace: dict) -> list[str]:
    """Import every public submodule and copy the names in its ``__all__`` into namespace."""
    exported: list[str] = []
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        for name in getattr(module, "__all__", ()):
            if name in namespace and namespace[name] is not getattr(module, name):
                raise ImportError(f"{package_name}: {name!r} is defined by two modules")
            namespace[name] = getattr(module, name)
            exported.append(name)
    return exported
