"""Calling student code safely: the tripwire (calls into ``course_utils.reference`` or a
forbidden library function), in-place changes of the inputs, warnings, and
``expect_raises``. Part of ``course_utils.checks._core``, which re-exports every name.
"""

from __future__ import annotations

import copy
import inspect
import os
import sys
import traceback
import warnings
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from . import Case, CheckFailure, fail

#: course_utils/reference (this file is course_utils/checks/_core/calling.py)
_REFERENCE_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "reference")


class _Tripwire:
    """Notice calls into ``course_utils.reference`` or forbidden library functions.

    Uses ``sys.setprofile`` for the duration of one student call, so it sees the calls
    however the student imported the function (``from ... import`` included).
    ``forbidden`` maps a module prefix (``"torch"``) to function names (``{"batch_norm"}``).
    """

    def __init__(self, forbidden: dict[str, Iterable[str]] | None):
        self.forbidden = {k: set(v) for k, v in (forbidden or {}).items()}
        self.hits: list[str] = []
        self._previous = None

    def _profile(self, frame, event, arg):
        if len(self.hits) > 3:
            return
        if event == "call":
            code = frame.f_code
            if not code.co_flags & inspect.CO_OPTIMIZED:
                return  # a module or class body running at import time, not a call
            if code.co_filename.startswith(_REFERENCE_DIR) and not code.co_name.startswith("_"):
                self.hits.append(f"course_utils.reference ({code.co_name})")
            else:
                module = frame.f_globals.get("__name__", "") or ""
                self._match(module, code.co_name)
                # a method of a forbidden class: StandardScaler.fit -> StandardScaler
                owner = getattr(code, "co_qualname", code.co_name).split(".")[0]
                if owner != code.co_name:
                    self._match(module, owner)
        elif event == "c_call":
            module = getattr(arg, "__module__", None) or ""
            self_obj = getattr(arg, "__self__", None)
            if not module and self_obj is not None:
                module = getattr(self_obj, "__name__", "") or type(self_obj).__module__ or ""
            self._match(module, getattr(arg, "__name__", ""))

    def _match(self, module: str, name: str) -> None:
        for prefix, names in self.forbidden.items():
            if name in names and (module == prefix or module.startswith(prefix + ".")
                                  or module.startswith(prefix + "._")):
                self.hits.append(f"{prefix}'s {name}")

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)
        return False


def _where(exc: BaseException) -> str:
    """The last line of the student's own code in a traceback (not numpy's internals)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if not any(p in (f.filename or "") for p in ("site-packages", "course_utils"))]
    frame = (own or frames or [None])[-1]
    if frame is None:
        return ""
    line = (frame.line or "").strip()
    return f" at line {frame.lineno}: `{line}`" if line else f" at line {frame.lineno}"


def _snapshot(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, tuple)):
        try:
            return copy.deepcopy(value)
        except Exception:  # pragma: no cover - exotic containers
            return None
    return None


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.shape == after.shape
                and np.array_equal(before, after, equal_nan=True))
    if isinstance(before, dict):
        return isinstance(after, dict) and before.keys() == after.keys() and all(
            _same(before[k], after[k]) for k in before)
    if isinstance(before, (list, tuple)):
        return type(before) is type(after) and len(before) == len(after) and all(
            _same(b, a) for b, a in zip(before, after))
    return True


def call_student(func: Callable, *args, case: Case | str, name: str | None = None,
                 forbidden: dict[str, Iterable[str]] | None = None,
                 arg_names: Sequence[str] | None = None, **kwargs) -> Any:
    """Call ``func(*args, **kwargs)`` the way a check should.

    - any exception becomes a CheckFailure naming the case and the student's line;
    - ``NotImplementedError`` says the exercise is not written yet;
    - a call into ``course_utils.reference`` or a ``forbidden`` library function fails;
    - an input changed in place fails;
    - warnings are recorded (and reported on failure) instead of written to stderr.
    """
    name = name or getattr(func, "__name__", "your function")
    if not callable(func):
        fail(case, f"expected a function for {name}, got {type(func).__name__}")
    labels = list(arg_names or [f"argument {i + 1}" for i in range(len(args))])
    labels += [f"argument {i + 1}" for i in range(len(labels), len(args))]
    before = [_snapshot(a) for a in args]
    before_kw = {k: _snapshot(v) for k, v in kwargs.items()}
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            with _Tripwire(forbidden) as wire:
                result = func(*args, **kwargs)
        except NotImplementedError:
            raise CheckFailure(
                f"{case}: {name} is not written yet (it raised NotImplementedError). "
                "Replace `raise NotImplementedError()` with your code and run its cell again."
            ) from None
        except CheckFailure:
            raise
        except Exception as exc:  # the student's code crashed: say where and why
            raise CheckFailure(
                f"{case}: {name} raised {type(exc).__name__}: {exc}{_where(exc)}"
            ) from None
    if wire.hits:
        fail(case, f"{name} calls {wire.hits[0]}. This exercise asks you to write it from "
                   "scratch with numpy; the course's reference and library shortcuts are off limits.")
    for label, b, a in zip(labels, before, args):
        if b is not None and not _same(b, a):
            fail(case, f"{name} changed its input `{label}` in place. Graded functions never "
                       f"modify their inputs: write `{label} = {label} - m`, not `{label} -= m`, "
                       "or work on a copy.")
    for key, b in before_kw.items():
        if b is not None and not _same(b, kwargs[key]):
            fail(case, f"{name} changed its input `{key}` in place; work on a copy.")
    if caught:
        _last_warnings[:] = [str(w.message) for w in caught[:3]]
    else:
        _last_warnings.clear()
    return result


_last_warnings: list[str] = []


def warnings_note() -> str:
    if not _last_warnings:
        return ""
    return "\nWarnings your code raised: " + "; ".join(_last_warnings)


def expect_raises(func: Callable, *args, case: Case | str, exc_type=ValueError,
                  name: str | None = None, why: str = "", **kwargs) -> None:
    """The student's function must reject impossible input with ``exc_type``."""
    name = name or getattr(func, "__name__", "your function")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            func(*args, **kwargs)
        except NotImplementedError:
            fail(case, f"{name} is not written yet (it raised NotImplementedError).")
        except exc_type:
            return
        except Exception as exc:
            fail(case, f"{name} should raise {exc_type.__name__} ({why}), but raised "
                       f"{type(exc).__name__}: {exc}")
    fail(case, f"{name} should raise {exc_type.__name__} ({why}), but returned normally.")


