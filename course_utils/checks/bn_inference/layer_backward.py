"""``check_BatchNorm1d``, part three: the layer's ``backward`` in train and eval modes
compared with torch's autograd, with the catalogue of named wrong gradients (notebook 05).
"""

from __future__ import annotations

import numpy as np

from .._core import (
    Case,
    CheckFailure,
    call_student,
    expect_array,
    expect_raises,
    expect_tuple,
    fail,
    tolerance,
)
from ._shared import FORBIDDEN_BACKWARD, _batch, _call
from .layer_sequence import _compare_buffers, _sequence_case, _torch_bn, _training_forward
from .layer_state import (
    BUFFER_KEYS,
    PARAMETER_KEYS,
    _construct,
    _forward,
    _get_dict,
    _method,
    _own_params,
    _set_params,
)

# ---- backward ------------------------------------------------------------------------------

def _backward(bn, dout, case):
    result = _call(_method(bn, "backward", case), dout, case=case, name="backward",
                   forbidden=FORBIDDEN_BACKWARD, arg_names=("dout",),
                   fix="write `dx = dout * ...`, not `dout *= ...`: the caller's dout must stay "
                       "as it was.")
    return expect_tuple(result, 3, case=case, name="backward", what="(dx, dgamma, dbeta)")


def _expect_grad(got, expected, dtype, case, what, mistakes, params_grad):
    """dx in the input's dtype; dgamma and dbeta may be float32 or float64 (gamma is float64)."""
    if params_grad and isinstance(got, np.ndarray) and got.dtype in (dtype, np.float64):
        r, a = tolerance(dtype)
        expect_array(got, expected.astype(got.dtype), case=case, what=what, mistakes=mistakes,
                     rtol=r, atol=a)
    else:
        expect_array(got, expected.astype(dtype), case=case, what=what, mistakes=mistakes)


def _closed_form(dout, x_hat, gamma, std):
    m = dout.shape[0]
    return gamma / (m * std) * (m * dout - dout.sum(0) - x_hat * (dout * x_hat).sum(0))


def _staged(dout, xmu, gamma, istd):
    """The training-mode gradient, stage by stage (notebook 04), for any centring xmu."""
    m = dout.shape[0]
    dxhat = dout * gamma
    dvar = (dxhat * xmu).sum(0) * -0.5 * istd ** 3
    dmean = -(dxhat * istd).sum(0) + dvar * (-2 * xmu).mean(0)
    return dxhat * istd + dvar * 2 * xmu / m + dmean / m


def _grad_mistakes(mode, x, dout, gamma, eps, batch_stats, running):
    """Known wrong (dx, dgamma, dbeta) candidates, each with the mistake it names."""
    rm, rv = running
    std_r = np.sqrt(rv + eps)
    xhat_r = (x - rm) / std_r
    affine = ("the fixed affine map of eval mode: dx = dout * gamma / sqrt(running_var + eps)")
    in_eval = ("the training-mode formula was used in eval mode. With the running statistics "
               "fixed, the mean and variance do not depend on x; the gradient is that of "
               + affine + ".")
    dx, dgamma, dbeta = [], [], []
    if mode == "train":
        bm, bv = batch_stats
        std = np.sqrt(bv + eps)
        xhat = (x - bm) / std
        dx += [
            ("dx treats the batch mean and variance as constants (dx = dout * gamma / std). In "
             "training mode they are functions of x, which adds two terms: notebook 04's "
             "dx = gamma / (m * std) * (m * dout - sum(dout) - x_hat * sum(dout * x_hat)).",
             lambda: dout * gamma / std),
            ("dx misses the term x_hat * sum(dout * x_hat): the path through the variance.",
             lambda: gamma / std * (dout - dout.mean(0))),
            ("dx misses the term sum(dout): the path through the mean.",
             lambda: gamma / std * (dout - xhat * (dout * xhat).mean(0))),
            ("dx leaves out gamma.", lambda: _closed_form(dout, xhat, 1.0, std)),
            ("dx leaves out the 1 / m of the closed form.",
             lambda: _closed_form(dout, xhat, gamma, std) * x.shape[0]),
            ("dx used the running statistics; this forward normalized with the batch's.",
             lambda: dout * gamma / std_r),
        ]
        dgamma += [("dgamma is sum(dout * x_hat), not sum(dout * x).",
                    lambda: (dout * x).sum(0)),
                    ("dgamma used x_hat of the running statistics; this forward used the "
                     "batch's.", lambda: (dout * xhat_r).sum(0))]
        xh = xhat
    else:
        dx += [
            (in_eval, lambda: _closed_form(dout, xhat_r, gamma, std_r)),
            (in_eval, lambda: _staged(dout, x - rm, gamma, 1 / std_r)),
            ("dx leaves out gamma: " + affine + ".", lambda: dout / std_r),
            ("dx divides by the running variance, not by its square root.",
             lambda: dout * gamma / (rv + eps)),
        ]
        if x.shape[0] >= 2:
            bm, bv = x.mean(0), x.var(0)
            xhat_b = (x - bm) / np.sqrt(bv + eps)
            dx.append(("backward used this batch's statistics in eval mode; the eval forward "
                       "normalized with the running statistics, so the gradient is that of "
                       + affine + ".", lambda: _closed_form(dout, xhat_b, gamma,
                                                          np.sqrt(bv + eps))))
            dgamma.append(("dgamma used x_hat of this batch's statistics; in eval mode x_hat "
                           "= (x - running_mean) / sqrt(running_var + eps).",
                           lambda: (dout * xhat_b).sum(0)))
        dgamma.append(("dgamma is sum(dout * x_hat), not sum(dout * x).",
                       lambda: (dout * x).sum(0)))
        xh = xhat_r
    dgamma += [("dgamma was averaged over the batch; the gradient of a sum over examples is "
                "summed: sum(dout * x_hat, axis=0).", lambda: (dout * xh).mean(0)),
               ("dgamma and dbeta are swapped: dgamma = sum(dout * x_hat), dbeta = sum(dout).",
                lambda: dout.sum(0))]
    dbeta += [("dbeta was averaged over the batch; it is sum(dout, axis=0).",
               lambda: dout.mean(0)),
              ("dgamma and dbeta are swapped: dgamma = sum(dout * x_hat), dbeta = sum(dout).",
               lambda: (dout * xh).sum(0))]
    return dx, dgamma, dbeta


def _mode_now_probe(bn, mode, switch, dout, expected, dtype, case, failure):
    """dx was wrong after train()/eval() between forward and backward: is it right once the
    layer is put back in the forward's mode? Then backward reads the mode at the wrong time."""
    back = "train" if mode == "train" else "eval"
    call_student(_method(bn, back, case), case=case, name=f"{back}()")
    again = _backward(bn, dout, case)[0]
    r, a = tolerance(dtype)
    if isinstance(again, np.ndarray) and again.shape == expected.shape and np.allclose(
            np.asarray(again, dtype=np.float64), expected, rtol=r, atol=a * max(
                1.0, float(np.abs(expected).max()))):
        raise CheckFailure(
            f"{failure}\nLikely mistake: backward used the mode the layer is in now ({switch}() "
            f"was called after the forward); with the layer back in {mode} mode the same "
            "backward is right. backward must differentiate the last forward as it ran: store "
            "the mode (or what it decides) in forward's cache.") from None


def _state_values(bn, case):
    params = _get_dict(bn, "parameters", PARAMETER_KEYS, case)
    buffers = _get_dict(bn, "buffers", BUFFER_KEYS, case)
    return {k: np.array(v, dtype=np.float64, copy=True) for k, v in {**params, **buffers}.items()}


def _run_backward(cls, seed, rng, label, d, steps, eps=1e-5, momentum=0.1, dtype=np.float64,
                  lr=0.1):
    """The student's module and torch's on the same train and eval batches; after each forward,
    compare outputs, buffers and (dx, dgamma, dbeta) with autograd, then take an SGD step
    on gamma and beta through parameters(), in place, on both."""
    import torch

    shown = [f"{mode} {n}" + (f" ({switch}() before backward)" if switch else "")
             for mode, n, switch in steps]
    case, details, bn = _sequence_case(cls, seed, label, d, eps, momentum, dtype,
                                       {"steps": shown})
    _method(bn, "backward", case)
    gamma, beta = rng.uniform(0.5, 2, d), rng.uniform(-1, 1, d)
    _set_params(bn, gamma, beta, case)
    tbn = _torch_bn(d, eps, momentum, gamma, beta)
    loc, scale = rng.uniform(-3, 3, d), rng.uniform(0.5, 3, d)
    seen = []
    for step, (mode, n, switch) in enumerate(steps, 1):
        scase = Case(label, seed, {**details, "step": f"{step}: {shown[step - 1]}"})
        call_student(_method(bn, "train" if mode == "train" else "eval", scase), case=scase,
                     name=f"{mode}()" if mode == "eval" else "train()")
        tbn.train(mode == "train")
        x = (loc + scale * rng.standard_normal((n, d))).astype(dtype)
        dout = rng.standard_normal((n, d)).astype(dtype)
        x64, dout64 = x.astype(np.float64), dout.astype(np.float64)
        running = (tbn.running_mean.numpy().copy(), tbn.running_var.numpy().copy())
        xt = torch.from_numpy(x64.copy()).requires_grad_(True)
        tbn.zero_grad()
        expected = tbn(xt)
        expected.backward(torch.from_numpy(dout64))
        out = (_training_forward(bn, x, scase, momentum) if mode == "train"
               else _forward(bn, x, scase))
        expect_array(out, expected.detach().numpy().astype(dtype), case=scase,
                     what=f"forward(x) in {mode} mode (the checks of part 'forward' say more)")
        if mode == "train":
            seen.append(x)
            _compare_buffers(bn, tbn, scase, f"{len(seen)} training batch(es)", momentum, seen,
                             dtype)
            batch_stats, running = (x64.mean(0), x64.var(0)), (
                tbn.running_mean.numpy().copy(), tbn.running_var.numpy().copy())
        else:
            _compare_buffers(bn, tbn, scase, "a forward pass in eval mode", momentum, seen,
                             dtype, eval_batch=x)
            batch_stats = None
        if switch:
            call_student(_method(bn, switch, scase), case=scase, name=f"{switch}()")
        before = _state_values(bn, scase)
        stale = ("Is backward reading the cache of an earlier forward? Every forward, in "
                 "either mode, must store what its backward needs.")
        try:
            dx, dgamma, dbeta = _backward(bn, dout, scase)
        except CheckFailure as failure:
            if "raised ValueError" not in str(failure):
                raise
            raise CheckFailure(f"{failure}\nThis dout has the shape of the last forward's "
                               f"output, {(n, d)}. {stale}") from None
        if isinstance(dx, np.ndarray) and dx.ndim == 2 and dx.shape[1] == d and len(dx) != n:
            fail(scase, f"backward returned dx of shape {dx.shape}, but the last forward's x "
                        f"had shape {(n, d)}. {stale}")
        mdx, mdgamma, mdbeta = _grad_mistakes(mode, x64, dout64, gamma, eps, batch_stats,
                                              running)
        try:
            _expect_grad(dx, xt.grad.numpy(), dtype, scase, f"dx after a forward in {mode} mode",
                         mdx, False)
        except CheckFailure as failure:
            if switch:
                _mode_now_probe(bn, mode, switch, dout, xt.grad.numpy(), dtype, scase, failure)
            raise
        _expect_grad(dgamma, tbn.weight.grad.numpy(), dtype, scase,
                     f"dgamma after a forward in {mode} mode", mdgamma, True)
        _expect_grad(dbeta, tbn.bias.grad.numpy(), dtype, scase,
                     f"dbeta after a forward in {mode} mode", mdbeta, True)
        after = _state_values(bn, scase)
        for key, value in before.items():
            if not np.array_equal(after[key], value):
                fail(scase, f"backward changed {key}. backward only computes gradients; an "
                            "optimizer updates the parameters, and only forward in training "
                            "mode updates the buffers.")
        # an SGD step through parameters(), in place, as an optimizer would
        gamma = gamma - lr * tbn.weight.grad.numpy()
        beta = beta - lr * tbn.bias.grad.numpy()
        params = _own_params(bn, scase, d)
        params["gamma"][...] = gamma
        params["beta"][...] = beta
        with torch.no_grad():
            tbn.weight.copy_(torch.from_numpy(gamma))
            tbn.bias.copy_(torch.from_numpy(beta))


def _check_backward_input(cls, seed, rng):
    case = Case("backward before any forward", seed, {"D": 3})
    bn = _construct(cls, case, 3)
    expect_raises(_method(bn, "backward", case), np.ones((4, 3)), case=case, name="backward",
                  why="there is no forward pass to differentiate yet")
    x = _batch(rng, 4, 3)
    for shape in ((4, 1), (3,), (5, 3)):   # the first two would broadcast silently
        case = Case("dout of the wrong shape", seed, {"forward x.shape": (4, 3),
                                                      "dout.shape": shape})
        bn = _construct(cls, case, 3)
        _forward(bn, x, case)
        expect_raises(_method(bn, "backward", case), np.ones(shape), case=case, name="backward",
                      why="dout must have the shape of the last forward's output, (4, 3)")


def _backward_part(cls, seed, rng, hidden):
    _check_backward_input(cls, seed, rng)
    _run_backward(cls, seed, rng, "gradients over training and eval batches", 3,
                  [("train", 8, None), ("train", 5, None), ("eval", 6, None),
                   ("train", 4, "eval"), ("eval", 7, "train"), ("eval", 1, None),
                   ("train", 2, None)])
    _run_backward(cls, seed, rng, "gradients with momentum=None (cumulative average)", 2,
                  [("train", 6, None), ("train", 3, None), ("eval", 5, None)],
                  momentum=None, eps=1e-3)
    _run_backward(cls, seed, rng, "float32 gradients", 4,
                  [("train", 10, None), ("eval", 3, None), ("train", 6, None)],
                  dtype=np.float32)
    if hidden:
        for _ in range(3):
            d = int(rng.integers(1, 7))
            steps = [("train", int(rng.integers(2, 30)), None)]
            for _ in range(int(rng.integers(3, 8))):
                mode = "train" if rng.random() < 0.6 else "eval"
                n = int(rng.integers(2 if mode == "train" else 1, 30))
                switch = ("eval" if mode == "train" else "train") if rng.random() < 0.2 else None
                steps.append((mode, n, switch))
            momentum = None if rng.random() < 0.3 else float(np.round(rng.uniform(0.01, 0.9), 3))
            _run_backward(cls, seed, rng, "random training and eval batches", d, steps,
                          momentum=momentum, eps=float(rng.choice([1e-5, 1e-3, 0.1])))
        _run_backward(cls, seed, rng, "float32, momentum=None", 3,
                      [("train", 7, None), ("train", 12, "eval"), ("eval", 1, None)],
                      momentum=None, dtype=np.float32)
