"""Comparing a result with the expected one: tolerances by dtype, ``expect_array``,
``expect_close``, ``expect_tuple``, the numbers in messages (``distinct``, ``expected_got``),
and ``diagnose``, which names the likely mistake. Part of ``course_utils.checks._core``,
which re-exports every name.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import numpy as np

from . import Case, fail
from .calling import warnings_note


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
