"""The machinery every check shares: call student code safely, compare, explain.

A check is a list of *cases*. For each case it calls the student's function through
:func:`call_student` (which turns any exception, forbidden shortcut or in-place change
into a readable :class:`CheckFailure`) and compares the result with the reference through
:func:`expect_array` / :func:`expect_close` (which name the case, the seed, the shapes,
expected vs got, the largest error and, where it matches one, the likely mistake).

Nothing here lets a traceback from inside the check reach the student: every problem
becomes a ``CheckFailure`` (an ``AssertionError``) with a message.
"""

from __future__ import annotations

import copy
import inspect
import os
import secrets
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

_REFERENCE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reference")


class CheckFailure(AssertionError):
    """A check found a problem. The message says which case, what was expected, what came back.

    In a notebook, IPython shows it as its message alone (``_render_traceback_``), not as a
    traceback through the check's code: the student's job is their function, not ours.
    """

    def _render_traceback_(self) -> list[str]:
        return [
            "\x1b[1;31mCheckFailure: a check did not pass\x1b[0m",
            str(self),
            "\x1b[2m(Fix the function above, run its cell, then run this test cell again.)\x1b[0m",
        ]


# ---------------------------------------------------------------------------------------
# Cases and seeds
# ---------------------------------------------------------------------------------------


def make_rng(seed: int | None) -> tuple[int, np.random.Generator]:
    """A fresh seed when none is given (so hard-coded answers cannot pass), reported back."""
    if seed is None:
        seed = secrets.randbelow(2**31 - 1)
    return seed, np.random.default_rng(seed)


@dataclass
class Case:
    """One input the check tries. ``label`` is what the student reads in a failure."""

    label: str
    seed: int | None = None
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [self.label]
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        parts += [f"{k}={v}" for k, v in self.details.items()]
        return "case '" + parts[0] + "'" + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def fail(case: Case | str, message: str) -> None:
    raise CheckFailure(f"{case}: {message}")


# ---------------------------------------------------------------------------------------
# Calling student code
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# Comparing results
# ---------------------------------------------------------------------------------------

#: Tolerances by dtype: fair to any correct float computation, tight enough for mistakes.
TOLERANCES = {np.dtype(np.float64): (1e-6, 1e-9), np.dtype(np.float32): (2e-4, 2e-5)}


def tolerance(dtype) -> tuple[float, float]:
    return TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float64)])


Mistakes = Sequence[tuple[str, Callable[[], Any]]]


def distinct(a: Any, b: Any) -> tuple[str, str, int]:
    """``a`` and ``b`` written with as many significant digits as tell them apart.

    At least 6 and at most 17 (enough for any float64), so that two numbers which differ
    only beyond the sixth digit do not read alike. Returns both texts and the digits used.
    """
    a, b = float(a), float(b)
    digits = 6
    while digits < 17 and f"{a:.{digits}g}" == f"{b:.{digits}g}":
        digits += 1
    return f"{a:.{digits}g}", f"{b:.{digits}g}", digits


def expected_got(expected: Any, got: Any) -> str:
    """``expected 1.1975231, got 1.1975229 (relative difference 1.7e-07)``.

    Enough digits to tell the two apart (:func:`distinct`); when more than 6 were needed,
    the difference says by how much they differ.
    """
    e, g = float(expected), float(got)
    e_text, g_text, digits = distinct(e, g)
    text = f"expected {e_text}, got {g_text}"
    if digits > 6 and np.isfinite(e) and np.isfinite(g) and e != g:
        diff = abs(g - e)
        text += (f" (relative difference {diff / abs(e):.2g})" if e != 0
                 else f" (difference {diff:.2g})")
    return text


def _is_torch_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.allclose(got, expected, rtol=rtol, atol=atol * scale, equal_nan=False))


def diagnose(got: np.ndarray, mistakes: Mistakes, rtol: float, atol: float,
             expected: np.ndarray | None = None) -> str:
    """Name the first known mistake whose output matches what the student returned.

    With ``expected``, a mistake is named only if its output is closer to what came back
    than the right answer is (a result that is merely a little off is not "eps left out",
    although both are near the right answer).
    """
    got = np.asarray(got, dtype=np.float64)
    off = None
    if expected is not None and np.shape(expected) == got.shape:
        off = float(np.max(np.abs(got - np.asarray(expected, dtype=np.float64)), initial=0.0))
    for label, make in mistakes:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                candidate = np.asarray(make(), dtype=np.float64)
        except Exception:
            continue
        if candidate.shape == got.shape and np.all(np.isfinite(candidate)) and _close(
                got, candidate, max(rtol, 1e-5), max(atol, 1e-7)):
            if off is not None and float(np.max(np.abs(got - candidate), initial=0.0)) >= off:
                continue
            return f"\nLikely mistake: {label}"
    return ""


def expect_array(got: Any, expected: np.ndarray, *, case: Case | str, what: str,
                 dtype=None, mistakes: Mistakes = (), rtol: float | None = None,
                 atol: float | None = None) -> None:
    """``got`` must be an ndarray of ``expected``'s shape and dtype, finite and close to it."""
    expected = np.asarray(expected)
    dtype = np.dtype(dtype or expected.dtype)
    if _is_torch_tensor(got):
        fail(case, f"{what} is a torch tensor; return a numpy array (numpy in, numpy out).")
    if np.isscalar(got) and expected.shape != ():
        fail(case, f"{what} should be an array of shape {expected.shape}, got the scalar {got!r}.")
    if not isinstance(got, (np.ndarray, np.generic)):
        fail(case, f"{what} should be a numpy ndarray of shape {expected.shape}, got "
                   f"{type(got).__name__}. Return an array, e.g. with np.asarray(...).")
    got = np.asarray(got)
    if got.shape != expected.shape:
        hint = ""
        if got.size == expected.size:
            hint = " The number of values is right: check for keepdims or a reshape."
        if got.shape[::-1] == expected.shape:
            hint = " It looks transposed: rows are examples, columns are features."
        fail(case, f"{what} has shape {got.shape}, expected {expected.shape}.{hint}"
             + diagnose(got, mistakes, *tolerance(dtype)))
    if not np.issubdtype(got.dtype, np.floating):
        fail(case, f"{what} has dtype {got.dtype}, expected {dtype}.")
    if got.dtype != dtype:
        fail(case, f"{what} has dtype {got.dtype}, expected {dtype} (the input's dtype). A "
                   "float32 input must give a float32 output: keep constants in the input's "
                   "dtype or cast back with .astype(x.dtype).")
    bad = ~np.isfinite(got)
    if bad.any() and np.all(np.isfinite(expected)):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        fail(case, f"{what} contains NaN or inf (first at index {index}, {int(bad.sum())} in "
                   f"all), where every expected value is finite. Look for a division by zero "
                   f"or the square root of a negative number.{warnings_note()}")
    r, a = tolerance(dtype)
    rtol = r if rtol is None else rtol
    atol = a if atol is None else atol
    if not _close(got, expected, rtol, atol):
        diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        index = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        index = tuple(int(i) for i in index)
        at = f" at index {index}" if index else ""
        exp_v = expected[index] if index else expected
        got_v = got[index] if index else got
        fail(case, f"{what} is wrong: largest error {float(diff.max()):.3g}{at}: "
                   f"{expected_got(exp_v, got_v)} (shape {expected.shape}, "
                   f"dtype {dtype}, rtol {rtol:g}, atol {atol:g})."
                   + diagnose(got, mistakes, rtol, atol, expected) + warnings_note())


def expect_close(got: Any, expected: float, *, case: Case | str, what: str,
                 mistakes: Mistakes = (), rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """``got`` must be a real number close to ``expected`` (a float or 0-d array)."""
    if _is_torch_tensor(got):
        fail(case, f"{what} is a torch tensor; return a Python float.")
    try:
        value = float(got)
    except (TypeError, ValueError):
        fail(case, f"{what} should be a number, got {type(got).__name__}: {got!r:.80}")
    if not np.isfinite(value) and np.isfinite(expected):
        fail(case, f"{what} is {value}, expected the finite value {expected:.6g}.")
    if not np.isclose(value, expected, rtol=rtol, atol=atol):
        fail(case, f"{what} is wrong: {expected_got(expected, value)}."
             + diagnose(np.asarray(value), mistakes, rtol, atol, np.asarray(expected)))


def expect_tuple(result: Any, length: int, *, case: Case | str, name: str, what: str) -> tuple:
    """The function must return a tuple (or list) of ``length`` items."""
    if not isinstance(result, (tuple, list)) or len(result) != length:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}" if isinstance(
            result, (tuple, list)) else "")
        fail(case, f"{name} should return {what} ({length} values), got {got}.")
    return tuple(result)
