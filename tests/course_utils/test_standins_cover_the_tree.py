"""The grading kernel's stand-ins for ``course_utils.reference`` and ``course_utils.checks``
follow the packages' tree: a module or subpackage without its stand-in would leave real code
(a check, or the reference it compares with) importable while grading."""

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.safety import standins


def _real_modules(package: str) -> list[str]:
    real = importlib.import_module(package)
    return sorted(info.name for info in pkgutil.walk_packages(real.__path__, f"{package}."))


def _stand_in_path(package: str, module: str, packages: set[str]) -> str:
    inside = module[len(package) + 1:].replace(".", "/")
    return f"{inside}/__init__.py" if module in packages else f"{inside}.py"


@pytest.mark.parametrize("package", standins.PACKAGES)
def test_every_module_of_the_tree_has_a_stand_in_and_nothing_more(package):
    """Does every module of the real package, those of its subpackages included, get a
    stand-in at its own path, and is there no stand-in for a module that does not exist?"""
    modules = _real_modules(package)
    packages = {m for m in modules if hasattr(importlib.import_module(m), "__path__")}
    expected = {"__init__.py"} | {_stand_in_path(package, m, packages) for m in modules}
    assert set(standins.sources(package)) == expected


@pytest.mark.parametrize("package", standins.PACKAGES)
def test_no_stand_in_holds_a_line_of_the_real_code(package):
    """Does any stand-in define a function or class of the real modules? (no)"""
    real_names = set()
    for module in [package] + _real_modules(package):
        for name, value in vars(importlib.import_module(module)).items():
            if callable(value) and getattr(value, "__module__", "") == module:
                real_names.add(name)
    for path, text in standins.sources(package).items():
        defined = {line.split()[1].split("(")[0].rstrip(":") for line in text.splitlines()
                   if line.startswith(("def ", "class "))}
        assert not defined & (real_names - set(standins.EXCEPTIONS.get(package, []))), path


IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
import course_utils.checks as checks, course_utils.reference as reference
assert checks.__file__.startswith(sys.argv[1]), checks.__file__
unusable, ran = 0, []
for package in (checks, reference):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, AssertionError):
                continue  # CheckFailure stays an exception class
            try:
                value()
                ran.append(info.name + "." + name)
            except RuntimeError as exc:
                unusable += "not available while grading" in str(exc)
print(unusable, ran)
"""


def test_every_name_of_every_stand_in_module_imports_and_refuses_to_run(tmp_path):
    """Imported by its own module path (``course_utils.checks.bn_inference.layer``, ...),
    does every public name of every stand-in exist and raise instead of computing?"""
    import course_utils

    real, root = Path(course_utils.__file__).parent, tmp_path / "course_utils"
    root.mkdir()
    for name in ("__init__.py", "_discover.py"):
        (root / name).write_text((real / name).read_text())
    standins.write(root)
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING, str(root)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    unusable, ran = done.stdout.split(" ", 1)
    assert ran.strip() == "[]" and int(unusable) > 40
