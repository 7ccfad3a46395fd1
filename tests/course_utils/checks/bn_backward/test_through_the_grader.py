"""Do the new numerical-gradient cases of notebook 04 judge the same through the hardened
grader as in one process?"""

import pytest

from tests.autograder.verdicts.test_replay import _same_verdict, kernel  # noqa: F401 (kernel: a fixture)

pytestmark = pytest.mark.nb04


# ---- the same verdicts through the hardened grader -----------------------------------------
# The grader runs the checks in its own process and the student's function in the kernel; the
# check's f stays in the grader and arrays cross as shared copies (autograder/verdicts/wire.py). An
# output of f that aliases x must alias the kernel's x too, or the new cases would not bite.

THROUGH_THE_GRADER = {
    "numgrad_right_with_copies": ("check_numerical_gradient", """
        def numgrad_right_with_copies(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            for where in np.ndindex(*x.shape):
                saved = x[where]
                x[where] = saved + h
                up = np.array(f(x), copy=True)
                x[where] = saved - h
                down = np.array(f(x), copy=True)
                x[where] = saved
                grad[where] = np.sum((up - down) * dout) / (2 * h)
            return grad
        """, "passed"),
    "numgrad_keeps_outputs": ("check_numerical_gradient", """
        def numgrad_keeps_outputs(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            for where in np.ndindex(*x.shape):
                saved = x[where]
                x[where] = saved + h
                up = f(x)
                x[where] = saved - h
                down = f(x)
                x[where] = saved
                grad[where] = np.sum((up - down) * dout) / (2 * h)
            return grad
        """, "kept and subtracted afterwards"),
    "numgrad_sums_at_the_end": ("check_numerical_gradient", """
        def numgrad_sums_at_the_end(f, x, dout, h=1e-5):
            kept = []
            for i in np.ndindex(*x.shape):
                old = x[i]
                x[i] = old + h
                plus = f(x)
                x[i] = old - h
                minus = f(x)
                x[i] = old
                kept.append((i, plus, minus))
            grad = np.zeros_like(x)
            for i, plus, minus in kept:
                grad[i] = np.sum((plus - minus) * dout) / (2 * h)
            return grad
        """, "kept and subtracted afterwards"),
    "numgrad_fresh_inputs": ("check_numerical_gradient", """
        def numgrad_fresh_inputs(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            for i in np.ndindex(*x.shape):
                up, down = x.copy(), x.copy()
                up[i] += h
                down[i] -= h
                plus, minus = f(up), f(down)
                grad[i] = np.sum((plus - minus) * dout) / (2 * h)
            return grad
        """, "the same output array on every call"),
    "rel_no_floor": ("check_relative_error", """
        def rel_no_floor(a, b):
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            if a.shape != b.shape:
                raise ValueError("shapes differ")
            return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
        """, "1e-8 floor"),
    "bn_tuple_cache": ("check_batchnorm_backward", """
        def bn_tuple_cache(dout, cache):
            normalized, scale, centred, inv_std, std, variance, eps = cache
            return dout, dout.sum(0), dout.sum(0)
        """, "unpacked like a tuple"),
    "bn_key_names": ("check_batchnorm_backward", """
        def bn_key_names(dout, cache):
            x_norm = cache["x_norm"]
            return dout, dout.sum(0), dout.sum(0)
        """, "cache['x_hat'] here"),
    "bn_step_six": ("check_batchnorm_backward", """
        def bn_step_six(dout, cache):
            x_hat, var, gamma, eps = cache["x_hat"], cache["var"], cache["gamma"], cache["eps"]
            xmu = cache["x"] - cache["mean"]
            m = dout.shape[0]
            std = np.sqrt(var + eps)
            dx_hat = dout * gamma
            dvar = np.sum(dx_hat * xmu, axis=0) * -0.5 / std**3
            dxmu = dx_hat / std + xmu * dvar / m
            dx = dxmu - np.sum(dxmu, axis=0) / m
            return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)
        """, "step 6 (sq = xmu ** 2): the factor 2"),
}


@pytest.mark.parametrize("name", sorted(THROUGH_THE_GRADER))
def test_new_cases_judge_the_same_through_the_grader(kernel, name):  # noqa: F811
    """Is each new case's verdict (aliasing f, floor, cache, step) the same in the kernel?"""
    check, source, words = THROUGH_THE_GRADER[name]
    verdict = _same_verdict(kernel, source, name, f"{check}({name}, seed=5, hidden=True)")
    assert words in verdict, verdict
