"""The course's reference, loaded as a student would paste it: from another file.

The checks reject calls into ``course_utils.reference`` (a student may not call it), so the
reference cannot be graded as it is. A copy of its source, compiled under another file
name, is graded like any student's code: the tests use it to show that the reference
passes every check at fresh seeds.
"""

from __future__ import annotations

import re
from pathlib import Path

import course_utils.reference as _reference

_DIR = Path(_reference.__file__).parent
_RELATIVE = re.compile(r"^from \.(\w+) import [^\n]+$", re.M)


def _load(name: str, namespace: dict | None = None) -> dict:
    source = (_DIR / f"{name}.py").read_text()
    namespace = {} if namespace is None else namespace
    for helper in _RELATIVE.findall(source):
        namespace.update({k: v for k, v in _load(helper).items() if not k.startswith("__")})
    source = _RELATIVE.sub("", source)
    namespace.setdefault("__name__", f"reference_copy_{name}")
    exec(compile(source, f"<reference copy of {name}.py>", "exec"), namespace)
    return namespace


def reference_copy(topic: str) -> dict:
    """``{name: function}`` for every name in ``course_utils.reference.<topic>.__all__``."""
    namespace = _load(topic)
    return {name: namespace[name] for name in namespace["__all__"]}
