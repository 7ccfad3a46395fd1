"""``check_log_uniform`` (notebook 08) and its catalogue of named mistakes (uniform in the
values rather than in their logarithm, the wrong base, the exponent drawn between the
bounds themselves): values inside the range, drawn with the right distribution, from the
generator it is given.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from course_utils import reference as ref

from .._core import Case, call_student, expect_raises, fail, make_rng
from ._shared import FORBIDDEN, _matches

__all__ = ["check_log_uniform"]


# ---------------------------------------------------------------------------------------
# log_uniform
# ---------------------------------------------------------------------------------------


def _log_mistakes(low, high, size, seed):
    def fresh():
        return np.random.default_rng(seed)
    return [
        ("uniform instead of log-uniform sampling: rng.uniform(low, high) puts almost every "
         "value in the top decade. Draw the exponent uniformly: 10 ** rng.uniform(log10(low), "
         "log10(high)).", lambda: fresh().uniform(low, high, size)),
        ("wrong logarithm base: the exponent was drawn between np.log(low) and np.log(high) "
         "(natural logs) but raised as 10 ** (...). Use np.log10 with 10 **, or np.log with "
         "np.exp, never a mix.", lambda: 10.0 ** fresh().uniform(np.log(low), np.log(high), size)),
        ("wrong logarithm base: the exponent was drawn between log10(low) and log10(high) but "
         "raised with np.exp. Use 10 ** (...) with np.log10.",
         lambda: np.exp(fresh().uniform(np.log10(low), np.log10(high), size))),
        ("the exponent was drawn uniformly between low and high themselves; draw it between "
         "log10(low) and log10(high).", lambda: 10.0 ** fresh().uniform(low, high, size)),
    ]


def _expected_shape(size):
    return (size,) if isinstance(size, Integral) else tuple(size)


def _log_values(student, low, high, size, rng, case):
    got = call_student(student, low, high, size, rng, case=case, name="log_uniform",
                       forbidden=FORBIDDEN, arg_names=("low", "high", "size", "rng"))
    shape = _expected_shape(size)
    if type(got).__module__.startswith("torch"):
        fail(case, "log_uniform returned a torch tensor; return a numpy array.")
    if not isinstance(got, np.ndarray):
        fail(case, f"log_uniform should return a numpy array of shape {shape}, got "
                   f"{type(got).__name__}.")
    if got.shape != shape:
        fail(case, f"log_uniform returned shape {got.shape}, expected {shape} (the size "
                   "argument, passed on to the generator).")
    if not np.issubdtype(got.dtype, np.floating):
        fail(case, f"log_uniform returned dtype {got.dtype}; return floats (float64).")
    if not np.all(np.isfinite(got)):
        fail(case, "log_uniform returned NaN or inf. Is the logarithm taken of a positive low?")
    return got.astype(np.float64)


def check_log_uniform(student, seed=0, hidden=False):
    """Check ``log_uniform(low, high, size, rng) -> ndarray``.

    The values must lie in [low, high], have the requested shape, come from the generator
    passed in (same seed, same values; other seed, other values) and be log-uniform: each
    decade gets the same share. A student following the reference's single draw
    ``10 ** rng.uniform(log10 low, log10 high, size)`` matches it exactly; any other exact
    log-uniform sampler is accepted through the distribution test.
    """
    seed, rng = make_rng(seed)
    specs = [("four decades", 1e-4, 1.0, 2000), ("size given as a tuple", 1e-6, 1e-2, (20, 3)),
             ("less than one decade", 0.5, 2.0, 50), ("one value", 10.0, 1e4, 1)]
    if hidden:
        specs += [("large values", 1e3, 1e9, 500), ("tiny values", 1e-12, 1e-9, 300)]
    for label, low, high, size in specs:
        draw_seed = int(rng.integers(0, 2**31 - 1))
        case = Case(label, seed, {"low": low, "high": high, "size": size, "rng seed": draw_seed})
        got = _log_values(student, low, high, size, np.random.default_rng(draw_seed), case)
        expected = ref.log_uniform(low, high, size, np.random.default_rng(draw_seed))
        if np.allclose(got, expected, rtol=1e-9, atol=0):
            continue  # the documented single draw: exactly the reference's numbers
        tol = 1e-9 * high
        if got.min() < low - 1e-9 * low or got.max() > high + tol:
            outside = got[(got < low - 1e-9 * low) | (got > high + tol)][0]
            message = (f"a value ({outside:.6g}) lies outside [low, high] = [{low:g}, {high:g}].")
            for name, make in _log_mistakes(low, high, size, draw_seed):
                if _matches(got, make):
                    message += f"\nLikely mistake: {name}"
                    break
            fail(case, message)
        for name, make in _log_mistakes(low, high, size, draw_seed):
            if _matches(got, make):
                fail(case, f"the values are not log-uniform.\nLikely mistake: {name}")

    # the distribution: each of the 6 decades from 1e-5 to 10 gets a sixth of the draws
    n = 20000
    draw_seed = int(rng.integers(0, 2**31 - 1))
    case = Case("distribution of 20,000 draws over [1e-5, 10]", seed, {"rng seed": draw_seed})
    got = _log_values(student, 1e-5, 10.0, n, np.random.default_rng(draw_seed), case)
    if got.min() < 1e-5 * (1 - 1e-9) or got.max() > 10.0 * (1 + 1e-9):
        fail(case, "values fall outside [1e-5, 10]." + _named_log_mistake(got, 1e-5, 10.0, n,
                                                                       draw_seed))
    shares = np.histogram(np.log10(got), bins=6, range=(-5, 1))[0] / n
    if np.max(np.abs(shares - 1 / 6)) > 0.02:
        pretty = ", ".join(f"{s:.3f}" for s in shares)
        fail(case, f"each decade (1e-5..1e-4, ..., 1..10) should get about 1/6 = 0.167 of the "
                   f"draws; got shares [{pretty}]. The values are not log-uniform."
                   + _named_log_mistake(got, 1e-5, 10.0, n, draw_seed, always=True))

    # it must use the generator it is given
    case = Case("two generators with the same seed", seed, {"seed": 11})
    a = _log_values(student, 1e-3, 1.0, 20, np.random.default_rng(11), case)
    b = _log_values(student, 1e-3, 1.0, 20, np.random.default_rng(11), case)
    if not np.array_equal(a, b):
        fail(case, "two generators with the same seed gave different values: draw from the "
                   "rng argument (rng.uniform(...)), not from np.random or a new generator.")
    case = Case("two generators with different seeds", seed, {"seeds": (11, 12)})
    c = _log_values(student, 1e-3, 1.0, 20, np.random.default_rng(12), case)
    if np.array_equal(a, c):
        fail(case, "generators with different seeds gave the same values: the rng argument is "
                   "ignored (a fixed seed inside the function?).")

    g = np.random.default_rng(0)
    for label, low, high, why in [("low = 0", 0.0, 1.0, "log10(0) is minus infinity"),
                                  ("low < 0", -1e-3, 1.0, "a negative number has no logarithm"),
                                  ("high < low", 1e-1, 1e-3, "the range is empty")]:
        expect_raises(student, low, high, 5, g, case=Case(label, seed, {"low": low, "high": high}),
                      name="log_uniform", why=why)


def _named_log_mistake(got, low, high, size, draw_seed, always=False):
    for name, make in _log_mistakes(low, high, size, draw_seed):
        if _matches(got, make):
            return f"\nLikely mistake: {name}"
    if always and np.mean(got > high / 10) > 0.5:
        return "\nLikely mistake: uniform instead of log-uniform sampling (most values in the top decade)."
    return ""
