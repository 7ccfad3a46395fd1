"""``check_fraction_near_linear`` (notebook 02) with its catalogue of named mistakes.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, diagnose, expect_raises, expected_got, fail, make_rng

__all__ = ["check_fraction_near_linear"]


# ---------------------------------------------------------------------------------------
# fraction_near_linear
# ---------------------------------------------------------------------------------------


def _gap(z):
    z = np.asarray(z, dtype=np.float64)
    return np.abs(0.5 * (1 + np.tanh(z / 2)) - (0.5 + z / 4))


def _fraction_mistakes(z, tol):
    z = np.asarray(z, dtype=np.float64)
    s = 0.5 * (1 + np.tanh(z / 2))
    return [
        ("the tangent line has slope 1/2; the sigmoid's slope at 0 is sigmoid(0) * (1 - "
         "sigmoid(0)) = 1/4, so the line is 0.5 + z / 4.",
         lambda: np.mean(np.abs(s - (0.5 + z / 2)) < tol)),
        ("the line 0.5 + z (slope 1) was used; the sigmoid's slope at 0 is 1/4.",
         lambda: np.mean(np.abs(s - (0.5 + z)) < tol)),
        ("the line z / 4 (without the 0.5 offset) was used: sigmoid(0) = 0.5.",
         lambda: np.mean(np.abs(s - z / 4) < tol)),
        ("tanh was compared with the line instead of the sigmoid.",
         lambda: np.mean(np.abs(np.tanh(z) - (0.5 + z / 4)) < tol)),
        ("the absolute value is missing: |sigmoid(z) - (0.5 + z / 4)| < tol.",
         lambda: np.mean(s - (0.5 + z / 4) < tol)),
        ("this is a count, not a fraction: divide by the number of entries (or use np.mean).",
         lambda: float(np.sum(np.abs(s - (0.5 + z / 4)) < tol))),
        ("this is the fraction *outside* the linear regime (1 minus the answer).",
         lambda: np.mean(np.abs(s - (0.5 + z / 4)) >= tol)),
        ("the default tol was used instead of the tol argument.",
         lambda: np.mean(np.abs(s - (0.5 + z / 4)) < 0.01)),
    ]


def _fraction_cases(seed, rng, hidden):
    cases = []

    def add(label, z, tol=0.01):
        details = {"z.shape": z.shape, "dtype": z.dtype.name}
        if tol != 0.01:
            details["tol"] = tol
        cases.append((Case(label, seed, details), z, tol))

    add("unit-normal inputs", rng.standard_normal(2000))
    add("float32 unit-normal inputs", rng.standard_normal(1000).astype(np.float32))
    add("wider inputs (std 3)", 3 * rng.standard_normal(1500))
    add("tol passed by keyword (tol = 0.05)", rng.standard_normal(1000), 0.05)
    add("a 2-D array of inputs", rng.standard_normal((30, 40)))
    add("all inputs near 0 (the answer is 1)", rng.uniform(-0.3, 0.3, size=50))
    add("very large inputs (|z| up to 1000)", rng.choice([-1, 1], 40) * rng.uniform(5, 1000, 40))
    add("a single input", np.array([0.1]))
    if hidden:
        add("shifted inputs (mean 2)", 2 + rng.standard_normal(1200))
        add("float32, tol = 0.001", rng.standard_normal(800).astype(np.float32), 0.001)
        add("a (N, C, H, W) array", rng.standard_normal((4, 3, 5, 5)))
    return cases


def check_fraction_near_linear(student, seed=0, hidden=False):
    """Check ``fraction_near_linear(z, tol=0.01) -> float``.

    Entries within rounding of the boundary ``|gap| = tol`` may fall either way, so the
    answer is accepted anywhere between the fractions with those entries out and in.
    Cases: unit-normal inputs, float32, std 3, a tol argument, a 2-D array, all near 0, very
    large |z| (where exp overflows if computed naively), one input; ValueError for an empty
    z. With ``hidden=True``: shifted inputs, a small tol, a 4-D array, and the property
    that the fraction shrinks as the inputs spread out.
    """
    seed, rng = make_rng(seed)
    for case, z, tol in _fraction_cases(seed, rng, hidden):
        got = call_student(student, z, tol=tol, case=case, name="fraction_near_linear",
                           arg_names=("z",))
        _expect_fraction(got, z, tol, case)
    expect_raises(student, np.array([]), case=Case("an empty z", seed),
                  name="fraction_near_linear", why="the fraction of no entries is undefined")
    if hidden:
        z = rng.standard_normal(3000)
        case = Case("property: the fraction shrinks as the inputs spread out", seed,
                    {"z.shape": z.shape, "scales": "1, 2, 4"})
        values = [float(call_student(student, s * z, case=case, name="fraction_near_linear"))
                  for s in (1.0, 2.0, 4.0)]
        if not values[0] > values[1] > values[2]:
            fail(case, f"the fractions for z, 2z and 4z are {values}; spreading the inputs "
                       "out pushes more of them into the curved tails, so they should shrink.")


def _expect_fraction(got, z, tol, case):
    if type(got).__module__.startswith("torch"):
        fail(case, "the result is a torch tensor; return a Python float.")
    if isinstance(got, np.ndarray) and got.size != 1:
        fail(case, f"the result should be one number (a fraction), got an array of shape "
                   f"{got.shape}. Average the True/False values with np.mean.")
    try:
        value = float(np.asarray(got).reshape(()))
    except (TypeError, ValueError):
        fail(case, f"the result should be a number, got {type(got).__name__}: {got!r:.80}")
    if not np.isfinite(value):
        fail(case, f"the result is {value}; a fraction is a number between 0 and 1.")
    gap = _gap(z)
    margin = 1e-6 if np.asarray(z).dtype == np.float32 else 1e-12
    low = float(np.mean(gap < tol - margin * max(1.0, tol)))
    high = float(np.mean(gap < tol + margin * max(1.0, tol)))
    if low - 1e-12 <= value <= high + 1e-12:
        return
    expected = ref.fraction_near_linear(z, tol)
    note = diagnose(np.asarray(value), _fraction_mistakes(z, tol), 1e-9, 1e-12,
                    np.asarray(expected))
    fail(case, f"the fraction is wrong: {expected_got(expected, value)} "
               f"({np.asarray(z).size} entries, tol {tol:g}).{note}")
