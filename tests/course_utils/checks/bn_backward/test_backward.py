"""Do check_batchnorm_backward and check_batchnorm_backward_alt (notebook 04) accept any right
backward pass, staged or compact, reject the wrong ones and fail hard-coded answers?"""

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import CheckFailure, check_batchnorm_backward, check_batchnorm_backward_alt
from tests.helpers import rejected

pytestmark = pytest.mark.nb04

_rejected = rejected


# ---- batchnorm_backward and batchnorm_backward_alt ---------------------------------------

def _read(dout, cache):
    return (np.asarray(dout), cache["x_hat"], cache["var"], cache["gamma"], cache["eps"],
            np.asarray(dout).shape[0])


def staged_from_x(dout, cache):
    """Staged, reading x and mean (documented keys) instead of rebuilding x - mu."""
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    xmu = cache["x"] - cache["mean"]
    ivar = 1.0 / np.sqrt(var + eps)
    dbeta = dout.sum(0)
    dgamma = (dout * x_hat).sum(0)
    dxhat = dout * gamma
    divar = (dxhat * xmu).sum(0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -divar / (np.sqrt(var + eps) ** 2)
    dvar = 0.5 * dsqrtvar / np.sqrt(var + eps)
    dsq = np.ones_like(dout) * dvar / m
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -dx1.sum(0)
    dx2 = np.ones_like(dout) * dmu / m
    return (dx1 + dx2).astype(dout.dtype), dgamma, dbeta


def paper_equations(dout, cache):
    """The paper's Section 3 equations, term by term, with explicit loops over features."""
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    n, d = dout.shape
    dx = np.empty_like(dout)
    dgamma = np.empty(d, dtype=dout.dtype)
    dbeta = np.empty(d, dtype=dout.dtype)
    for j in range(d):
        std = np.sqrt(var[j] + eps)
        xmu = x_hat[:, j] * std
        dxh = dout[:, j] * gamma[j]
        dvar = np.sum(dxh * xmu) * -0.5 * std**-3
        dmu = np.sum(-dxh / std) + dvar * np.sum(-2 * xmu) / m
        dx[:, j] = dxh / std + dvar * 2 * xmu / m + dmu / m
        dgamma[j] = np.sum(dout[:, j] * x_hat[:, j])
        dbeta[j] = np.sum(dout[:, j])
    return dx, dgamma, dbeta


def compact_float64_inside(dout, cache):
    d64 = np.asarray(dout, dtype=np.float64)
    x_hat = cache["x_hat"].astype(np.float64)
    std = np.sqrt(cache["var"].astype(np.float64) + cache["eps"])
    m = d64.shape[0]
    dbeta = d64.sum(0)
    dgamma = (d64 * x_hat).sum(0)
    dx = cache["gamma"] / (m * std) * (m * d64 - dbeta - x_hat * dgamma)
    t = np.asarray(dout).dtype
    return dx.astype(t), dgamma.astype(t), dbeta.astype(t)


def compact_with_cache_std(dout, cache):
    dout, x_hat, _, gamma, _, m = _read(dout, cache)
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = (gamma / cache["std"]) * (dout - dbeta / m - x_hat * dgamma / m)
    return dx, dgamma, dbeta


RIGHT_BACKWARD = [staged_from_x, paper_equations, compact_float64_inside, compact_with_cache_std]


@pytest.mark.parametrize("check", [check_batchnorm_backward, check_batchnorm_backward_alt])
@pytest.mark.parametrize("student", RIGHT_BACKWARD)
@pytest.mark.parametrize("seed", [0, 7, None])
def test_right_backward_accepted(check, student, seed):
    """Is any correct backward pass accepted by both checks, staged or compact, loops or not?"""
    check(student, seed=seed, hidden=True)


def _compact(scale_term=1.0, use_gamma=True, std_of=lambda var, eps: np.sqrt(var + eps),
             dgamma_of=None, dbeta_of=None):
    def backward(dout, cache):
        dout, x_hat, var, gamma, eps, m = _read(dout, cache)
        std = std_of(var, eps)
        dbeta = dout.sum(0)
        dgamma = (dout * x_hat).sum(0)
        g = gamma if use_gamma else 1.0
        dx = g / (m * std) * (m * dout - dbeta - scale_term * x_hat * dgamma)
        if dgamma_of is not None:
            dgamma = dgamma_of(dout, cache)
        if dbeta_of is not None:
            dbeta = dbeta_of(dout, cache)
        return dx, dgamma, dbeta
    return backward


def no_mean_path(dout, cache):
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    std = np.sqrt(var + eps)
    xmu = x_hat * std
    dxh = dout * gamma
    dvar = -0.5 * (dxh * xmu).sum(0) / std**3
    return dxh / std + 2 * xmu * dvar / m, (dout * x_hat).sum(0), dout.sum(0)


def no_var_path(dout, cache):
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    std = np.sqrt(var + eps)
    dxh = dout * gamma
    return dxh / std - dxh.sum(0) / (m * std), (dout * x_hat).sum(0), dout.sum(0)


def constants(dout, cache):
    dout, x_hat, var, gamma, eps, m = _read(dout, cache)
    return dout * gamma / np.sqrt(var + eps), (dout * x_hat).sum(0), dout.sum(0)


def modifies_cache(dout, cache):
    dx, dgamma, dbeta = compact_with_cache_std(dout, cache)
    cache["x_hat"] *= 1.0
    cache["x_hat"][0, 0] += 1.0
    return dx, dgamma, dbeta


def uses_autograd(dout, cache):
    x = torch.tensor(cache["x"], requires_grad=True)
    g = torch.tensor(cache["gamma"], requires_grad=True)
    b = torch.tensor(cache["beta"], requires_grad=True)
    mu = x.mean(0)
    out = g * (x - mu) / torch.sqrt(((x - mu) ** 2).mean(0) + cache["eps"]) + b
    out.backward(torch.tensor(np.asarray(dout)))
    return x.grad.numpy(), g.grad.numpy(), b.grad.numpy()


def calls_reference(dout, cache):
    return ref.batchnorm_backward(dout, cache)


def stub(dout, cache):
    raise NotImplementedError()


def returns_two(dout, cache):
    return compact_with_cache_std(dout, cache)[:2]


def dgamma_axis1(dout, cache):
    dx, _, dbeta = compact_with_cache_std(dout, cache)
    return dx, (np.asarray(dout) * cache["x_hat"]).sum(1), dbeta


def upcasts(dout, cache):
    dx, dgamma, dbeta = compact_float64_inside(dout, cache)
    return dx.astype(np.float64), dgamma.astype(np.float64), dbeta.astype(np.float64)


BACKWARD_MISTAKES = [
    (no_mean_path, "mean path was dropped"),
    (no_var_path, "variance path was dropped"),
    (constants, "treated as constants"),
    (_compact(use_gamma=False), "gamma was forgotten in dx"),
    (_compact(std_of=lambda v, e: np.sqrt(v)), "eps was left out"),
    (_compact(std_of=lambda v, e: np.sqrt(v) + e), "or added outside the square root"),
    (_compact(scale_term=-1.0), {
        check_batchnorm_backward: "step 3 (istd = 1 / std): the minus sign",
        check_batchnorm_backward_alt: "sign of the variance term"}),
    (_compact(dgamma_of=lambda d, c: d.sum(0)), "x_hat was left out"),
    (_compact(dgamma_of=lambda d, c: (d * c["x"]).sum(0)), "the input x"),
    (_compact(dgamma_of=lambda d, c: (d * c["x_hat"]).mean(0)), "dgamma is a mean"),
    (_compact(dbeta_of=lambda d, c: d.mean(0)), "dbeta is a mean"),
    (_compact(dbeta_of=lambda d, c: d.sum(0) * c["gamma"]), "dbeta was multiplied by gamma"),
    (dgamma_axis1, "dgamma has shape"),
    (lambda d, c: (lambda dx, dg, db: (dx, db, dg))(*compact_with_cache_std(d, c)),
     "dgamma and dbeta were swapped"),
    (lambda d, c: compact_with_cache_std(d, c)[::-1], "three gradients are in the wrong order"),
    (_compact(std_of=lambda v, e: np.sqrt(v + 1e-5)), ["large eps", "instead of cache['eps']"]),
    (_compact(std_of=lambda v, e: np.sqrt(v * 8 / 7 + e)), "the unbiased variance (ddof=1"),
    (modifies_cache, "changed its input `cache` in place"),
    (uses_autograd, "torch's backward"),
    (calls_reference, "course_utils.reference"),
    (stub, "not written yet"),
    (returns_two, "should return (dx, dgamma, dbeta)"),
    (upcasts, "dtype float64, expected float32"),
]


@pytest.mark.parametrize("check", [check_batchnorm_backward, check_batchnorm_backward_alt])
@pytest.mark.parametrize("student, words", BACKWARD_MISTAKES,
                         ids=[w if isinstance(w, str) else "sign" for _, w in BACKWARD_MISTAKES])
def test_backward_mistakes_rejected(check, student, words):
    """Is each wrong backward pass rejected, with a message that names the mistake?"""
    _rejected(check, student, words[check] if isinstance(words, dict) else words)


def test_visible_backward_check_catches_the_dropped_paths_without_hidden_cases():
    """Do the visible cases alone already catch the classic dropped-path mistakes?"""
    for student in (no_mean_path, no_var_path, constants):
        with pytest.raises(CheckFailure):
            check_batchnorm_backward(student, seed=0)


def _memorise_visible_backward():
    """The visible test's answers (seed 0), keyed by dout, as a student could copy them out."""
    import course_utils.checks.bn_backward.backward as cb
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    return {dout.tobytes(): compact_float64_inside(dout, cache)
            for _, dout, cache in cb._backward_cases(seed, rng, hidden=False)}


_MEMO = _memorise_visible_backward()


def hard_coded_backward(dout, cache):
    d = np.asarray(dout)
    zeros = (np.zeros_like(d), np.zeros(d.shape[1], d.dtype), np.zeros(d.shape[1], d.dtype))
    return tuple(np.copy(a) for a in _MEMO.get(d.tobytes(), zeros))


def test_hard_coded_backward_passes_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    check_batchnorm_backward(hard_coded_backward, seed=0)
    with pytest.raises(CheckFailure):
        check_batchnorm_backward(hard_coded_backward, seed=2024, hidden=True)
