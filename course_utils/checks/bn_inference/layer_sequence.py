"""``check_BatchNorm1d``, part two: the layer and ``torch.nn.BatchNorm1d`` trained on the
same sequence of batches, compared after every batch (outputs and buffers), and
checkpoints that must not change as training goes on (notebook 05).
"""

from __future__ import annotations

import numpy as np

from .._core import Case, CheckFailure, call_student, expect_array, fail, tolerance
from .layer_state import (
    BUFFER_KEYS,
    NONE_HINT,
    PARAMETER_KEYS,
    RULES,
    RULES_NONE,
    _construct,
    _count,
    _expect_training,
    _forward,
    _get_dict,
    _method,
    _own_params,
    _set_params,
    _simulate,
)


def _compare_buffers(bn, tbn, case, step, momentum, batches, dtype, eval_batch=None):
    """The student's buffers must equal torch's; name the update rule they match instead."""
    buffers = _get_dict(bn, "buffers", BUFFER_KEYS, case)
    expected_count = int(tbn.num_batches_tracked)
    got_count = _count(buffers["num_batches_tracked"], case, "num_batches_tracked")
    if got_count != expected_count:
        if eval_batch is not None:
            hint = " It changed in eval mode: only training batches count."
        elif got_count == 0:
            hint = " It never changed: add 1 for each training batch."
        else:
            hint = ""
        fail(case, f"after {step}, num_batches_tracked is {got_count}, expected "
                   f"{expected_count}.{hint}")
    r, a = tolerance(dtype)
    rules = list((RULES_NONE if momentum is None else RULES).items())
    if momentum == 0:   # after one batch several rules agree; the likely one is `or`'s
        rules.sort(key=lambda item: item[0] != "cumulative")
    got = [np.asarray(buffers[key], dtype=np.float64) for key in BUFFER_KEYS[:2]]
    expected = [getattr(tbn, key).numpy() for key in BUFFER_KEYS[:2]]
    if eval_batch is None and not all(
            g.shape == e.shape and np.allclose(g, e, rtol=r, atol=a) for g, e in zip(got, expected)):
        # name first a rule that explains both buffers (CS231n's: old-value momentum AND no
        # correction), then the rules that explain one
        both = [(rule, label) for rule, label in rules if all(
            g.shape == c.shape and np.allclose(g, c, rtol=max(r, 1e-5), atol=max(a, 1e-7))
            for g, c in zip(got, _simulate(batches, momentum, rule)[-1]))]
        rules = both + [item for item in rules if item not in both]
    for key, which in (("running_mean", 0), ("running_var", 1)):
        # candidates are computed only if the buffers are wrong (diagnose calls them then)
        if eval_batch is not None:
            wrong = [("the running statistics changed in eval mode; eval must only read them.",
                      lambda w=which: _simulate(batches + [eval_batch], momentum)[-1][w])]
        else:
            wrong = [(label, lambda r=rule, w=which: _simulate(batches, momentum, r)[-1][w])
                     for rule, label in rules]
        expect_array(got[which], expected[which], case=case,
                     what=f"buffers()['{key}'] after {step}", mistakes=wrong, rtol=r, atol=a)


def _torch_bn(d, eps, momentum, gamma, beta):
    import torch

    tbn = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        tbn.weight.copy_(torch.from_numpy(gamma))
        tbn.bias.copy_(torch.from_numpy(beta))
    return tbn


def _sequence_case(cls, seed, label, d, eps, momentum, dtype, extra):
    kwargs = {}
    details = {"D": d, **extra, "dtype": np.dtype(dtype).name}
    if eps != 1e-5:
        kwargs["eps"] = details["eps"] = eps
    if momentum != 0.1:
        kwargs["momentum"] = details["momentum"] = momentum
    case = Case(label, seed, details)
    return case, details, _construct(cls, case, d, **kwargs)


def _training_forward(bn, x, case, momentum):
    try:
        return _forward(bn, x, case)
    except CheckFailure as failure:
        if momentum is None and "NoneType" in str(failure):
            raise CheckFailure(f"{failure}{NONE_HINT}") from None
        raise


def _run_sequence(cls, seed, rng, label, d, sizes, eps=1e-5, momentum=0.1, dtype=np.float64,
                  eval_sizes=(5, 1)):
    """Train the student's module and torch's on the same batches; compare after each."""
    import torch

    case, details, bn = _sequence_case(cls, seed, label, d, eps, momentum, dtype,
                                       {"batch sizes": [int(s) for s in sizes]})
    gamma, beta = rng.uniform(0.5, 2, d), rng.uniform(-1, 1, d)
    _set_params(bn, gamma, beta, case)
    tbn = _torch_bn(d, eps, momentum, gamma, beta)
    loc, scale = rng.uniform(-3, 3, d), rng.uniform(0.5, 3, d)
    seen = []
    r, a = tolerance(dtype)
    for step, n in enumerate(sizes, 1):
        x = (loc + scale * rng.standard_normal((int(n), d))).astype(dtype)
        out = _training_forward(bn, x, case, momentum)
        with torch.no_grad():
            expected = tbn(torch.from_numpy(x.astype(np.float64))).numpy()
        seen.append(x)
        x64 = x.astype(np.float64)
        hist = _simulate(seen, momentum)
        before = hist[-2] if len(hist) > 1 else (np.zeros(d), np.ones(d))
        mistakes = [
            ("training mode normalized with the running statistics; in training use the "
             "batch's own mean and (biased) variance.",
             lambda: gamma * (x64 - before[0]) / np.sqrt(before[1] + eps) + beta),
            ("training mode normalized with the running statistics after updating them; use "
             "the batch's own statistics.",
             lambda: gamma * (x64 - hist[-1][0]) / np.sqrt(hist[-1][1] + eps) + beta),
            ("the unbiased variance was used to normalize; batch norm normalizes with the "
             "biased one (divide by m) and uses m / (m - 1) only for the running variance.",
             lambda: gamma * (x64 - x64.mean(0)) / np.sqrt(x64.var(0, ddof=1) + eps) + beta),
            ("gamma and beta were not applied.",
             lambda: (x64 - x64.mean(0)) / np.sqrt(x64.var(0) + eps)),
        ]
        expect_array(out, expected.astype(dtype), case=case,
                     what=f"forward(x) in training mode, batch {step}", mistakes=mistakes)
        _compare_buffers(bn, tbn, case, f"{step} training batch(es)", momentum, seen, dtype)

    # eval mode: running statistics, nothing updated, any batch size
    call_student(_method(bn, "eval", case), case=case, name="eval")
    tbn.eval()
    _expect_training(bn, False, case, "after eval()")
    for n in eval_sizes:
        x = (loc + scale * rng.standard_normal((n, d))).astype(dtype)
        ecase = Case(label + ", then eval mode", seed, {**details, "eval batch": n})
        try:
            out = _forward(bn, x, ecase)
        except CheckFailure as failure:
            if n != 1:
                raise
            raise CheckFailure(f"{failure} In eval mode a batch of one example must work: only "
                               "training mode needs batch statistics.") from None
        with torch.no_grad():
            expected = tbn(torch.from_numpy(x.astype(np.float64))).numpy()
        x64 = x.astype(np.float64)
        rm, rv = _simulate(seen, momentum)[-1]
        mistakes = []
        if n >= 2:
            mistakes.append((
                "eval mode used the batch's statistics; in eval mode normalize with "
                "running_mean and running_var, so predictions do not depend on the batch.",
                lambda: gamma * (x64 - x64.mean(0)) / np.sqrt(x64.var(0) + eps) + beta))
        after = _simulate(seen + [x], momentum)[-1]
        mistakes += [
            ("eval mode updated the running statistics with this batch (and normalized with "
             "them); in eval mode the running statistics are only read.",
             lambda: gamma * (x64 - after[0]) / np.sqrt(after[1] + eps) + beta),
            ("eval mode divided by the running variance, not its square root.",
             lambda: gamma * (x64 - rm) / (rv + eps) + beta),
            ("eval mode ignored eps (or added it outside the square root).",
             lambda: gamma * (x64 - rm) / np.sqrt(rv) + beta),
            ("eval mode did not apply gamma and beta.",
             lambda: (x64 - rm) / np.sqrt(rv + eps)),
        ]
        expect_array(out, expected.astype(dtype), case=ecase,
                     what=f"forward(x) in eval mode on a batch of {n}", mistakes=mistakes)
        _compare_buffers(bn, tbn, ecase, "a forward pass in eval mode", momentum, seen, dtype,
                         eval_batch=x)

    # back to training; the checkpoint
    call_student(_method(bn, "train", case), case=case, name="train")
    _expect_training(bn, True, case, "after eval() then train()")
    state = _get_dict(bn, "state_dict", PARAMETER_KEYS + BUFFER_KEYS, case)
    for key, tkey in (("gamma", "weight"), ("beta", "bias"), ("running_mean", "running_mean"),
                      ("running_var", "running_var")):
        expect_array(np.asarray(state[key], dtype=np.float64), tbn.state_dict()[tkey].numpy(),
                     case=case, what=f"state_dict()['{key}'] after training", rtol=r, atol=a)
    count = _count(state["num_batches_tracked"], case, "state_dict()['num_batches_tracked']")
    if count != len(sizes):
        fail(case, f"state_dict()['num_batches_tracked'] should be {len(sizes)} after "
                   f"{len(sizes)} training batches.")
    _check_snapshot(bn, state, (loc + scale * rng.standard_normal((8, d))).astype(dtype), case)


def _check_snapshot(bn, state, x, case):
    """A checkpoint taken earlier must not change when training goes on."""
    saved = {k: np.array(v, copy=True) for k, v in state.items()}
    params = _own_params(bn, case, saved["gamma"].shape[0])
    params["gamma"] *= 1.5          # what an optimizer does, in place
    params["beta"] += 0.25
    _forward(bn, x, case)           # one more training batch
    for key in PARAMETER_KEYS + BUFFER_KEYS:
        now = np.asarray(state[key])
        if now.shape != saved[key].shape or not np.array_equal(now, saved[key]):
            fail(case, f"the checkpoint changed after it was taken: state_dict()['{key}'] "
                       "followed the layer through one more training batch and an in-place "
                       "update of gamma and beta. state_dict() returned references to the "
                       "layer's arrays; a checkpoint is a snapshot: return copies "
                       "(value.copy()). (PyTorch's state_dict() shares memory with the "
                       "module, which is why PyTorch code saves copy.deepcopy(model.state_dict()).)")
