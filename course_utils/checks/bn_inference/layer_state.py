"""``check_BatchNorm1d``, part one: what a new layer must be and hold (notebook 05).

Construction, ``parameters()``, the running buffers and ``state_dict``-like snapshots,
train and eval modes, and the update rules (right and known wrong) the buffers are
compared with.
"""

from __future__ import annotations

import numpy as np

from .._core import Case, CheckFailure, call_student, expect_array, fail
from ._shared import FORBIDDEN, OLD_VALUE, _batch, _call

# ---------------------------------------------------------------------------------------
# BatchNorm1d
# ---------------------------------------------------------------------------------------

PARAMETER_KEYS = ("gamma", "beta")
BUFFER_KEYS = ("running_mean", "running_var", "num_batches_tracked")
METHODS = "train(), eval(), forward(x), backward(dout), parameters(), buffers() and state_dict()"


def _simulate(batches, momentum, rule="pytorch"):
    """Running buffers after each training batch, under the right rule or a known wrong one.

    ``momentum=None`` is PyTorch's cumulative average: the k-th batch gets the weight 1 / k.
    """
    d = batches[0].shape[1]
    rm, rv = np.zeros(d), np.ones(d)
    history, sizes, means, unbiased = [], [], [], []
    for x in batches:
        x = x.astype(np.float64)
        m = x.shape[0]
        if m < 2:
            continue
        bm, bv = x.mean(0), x.var(0)
        sizes.append(m)
        means.append(bm)
        unbiased.append(bv * m / (m - 1))
        k = len(sizes)
        c = {"no correction": 1.0, "inverted": (m - 1) / m, "keras, no correction": 1.0,
             "cs231n default": 1.0}.get(rule, m / (m - 1))
        if momentum is None or rule == "cumulative":
            mom = {"momentum ignored": 0.1, "off by one": 1 / (k + 1)}.get(rule, 1 / k)
        else:
            mom = {"momentum ignored": 0.1, "cs231n default": 0.1}.get(rule, momentum)
        if rule.startswith("keras"):
            rm, rv = mom * rm + (1 - mom) * bm, mom * rv + (1 - mom) * bv * c
        elif rule == "not updated":
            pass
        elif rule == "replaced":
            rm, rv = bm, bv * m / (m - 1)
        elif rule == "size weighted":
            w = np.asarray(sizes, dtype=np.float64)[:, None] / sum(sizes)
            rm, rv = (w * np.asarray(means)).sum(0), (w * np.asarray(unbiased)).sum(0)
        else:
            rm, rv = (1 - mom) * rm + mom * bm, (1 - mom) * rv + mom * bv * c
        history.append((rm.copy(), rv.copy()))
    return history


RULES = {
    "keras": OLD_VALUE,
    "keras, no correction": OLD_VALUE + " And the batch variance was not corrected: multiply "
                            "it by m / (m - 1) before it enters the running variance.",
    "no correction": "the running variance averages the biased batch variances, as CS231n's "
                     "and d2l's teaching code and Keras do: multiply each by m / (m - 1) first, "
                     "as PyTorch and Algorithm 2 do.",
    "cs231n default": "the running statistics follow 0.9 * running + 0.1 * batch with the "
                      "biased variance (CS231n's default): the constructor's momentum was "
                      "ignored and the batch variance was not multiplied by m / (m - 1).",
    "inverted": "the correction is inverted: m / (m - 1), not (m - 1) / m.",
    "momentum ignored": "the momentum given to the constructor was ignored (0.1 was used).",
    "not updated": "the buffers do not update: forward in training mode must update "
                   "running_mean and running_var (and count num_batches_tracked).",
    "replaced": "the running statistics were replaced by the last batch's instead of averaged.",
    "cumulative": "the running statistics follow the cumulative average (weight 1 / k), "
                  "momentum=None's rule, though a number was given. With momentum=0 that is "
                  "what `self.momentum or 1 / k` does (0 counts as false): test "
                  "`self.momentum is None` instead.",
}
#: the rules that mean something when momentum is None (the cumulative average)
RULES_NONE = {
    "momentum ignored": "momentum=None was treated as 0.1. None means the cumulative average "
                        "(PyTorch's): the k-th training batch gets the weight 1 / k, with k = "
                        "num_batches_tracked counting this batch.",
    "off by one": "the cumulative average is off by one: the k-th batch gets the weight 1 / k "
                  "(the first batch 1 / 1, so it replaces the start values), counting the batch "
                  "before computing the weight.",
    "size weighted": "the batches were weighted by their size; PyTorch's cumulative average "
                     "gives each batch the same weight 1 / k, whatever its size.",
    "no correction": RULES["no correction"],
    "inverted": RULES["inverted"],
    "not updated": RULES["not updated"],
    "replaced": RULES["replaced"],
}
NONE_HINT = (" momentum=None means a cumulative average, as in PyTorch: use the weight "
             "1 / num_batches_tracked (counting this batch) instead of a fixed momentum.")


def _construct(cls, case, *args, **kwargs):
    name = f"{getattr(cls, '__name__', 'the class')}(...)"
    try:
        return call_student(cls, *args, case=case, name=name, **kwargs)
    except CheckFailure as failure:
        if kwargs.get("momentum", 0.1) is None and "NoneType" in str(failure):
            raise CheckFailure(f"{failure}{NONE_HINT}") from None
        raise


def _method(obj, name, case):
    method = getattr(obj, name, None)
    if not callable(method):
        fail(case, f"the module has no method {name}(); BatchNorm1d needs {METHODS}.")
    return method


def _get_dict(bn, name, keys, case):
    got = call_student(_method(bn, name, case), case=case, name=f"{name}()")
    if not isinstance(got, dict):
        fail(case, f"{name}() should return a dict, got {type(got).__name__}.")
    if set(got) != set(keys):
        extra = sorted(set(got) - set(keys))
        missing = sorted(set(keys) - set(got))
        hint = ""
        if name == "parameters" and set(extra) & set(BUFFER_KEYS):
            hint = (" The running statistics are not parameters: gradient descent does not "
                    "learn them. They are buffers.")
        if name == "buffers" and set(extra) & set(PARAMETER_KEYS):
            hint = " gamma and beta are learned: they are parameters, not buffers."
        if name == "state_dict" and missing:
            hint = (" A checkpoint needs the parameters AND the buffers: without the running "
                    "statistics a restored model cannot run in eval mode.")
        fail(case, f"{name}() should have exactly the keys {sorted(keys)}; missing {missing}, "
                   f"unexpected {extra}.{hint}")
    return got


def _count(value, case, what):
    try:
        arr = np.asarray(value)
        if arr.size != 1:
            raise ValueError
        number = float(arr.reshape(()))
    except (TypeError, ValueError):
        fail(case, f"{what} should be a whole number, got {type(value).__name__}: {value!r:.60}")
    if not number.is_integer():
        fail(case, f"{what} should be a whole number (a count of batches), got {number}.")
    return int(number)


def _expect_training(bn, expected, case, when):
    flag = getattr(bn, "training", None)
    if not isinstance(flag, (bool, np.bool_)) or bool(flag) is not expected:
        fail(case, f"{when}, bn.training should be {expected}, got {flag!r}. A new module is in "
                   "training mode; eval() sets training = False and train() sets it back.")


COPIES = ("parameters() returned copies: what an optimizer writes into them in place "
          "(p -= lr * grad) never reaches the layer. Return the layer's own arrays, "
          "{'gamma': self.gamma, 'beta': self.beta}, as PyTorch's parameters() does.")


def _own_params(bn, case, d):
    """parameters(): a dict of the layer's own (D,) arrays, ready to be written in place."""
    params = _get_dict(bn, "parameters", PARAMETER_KEYS, case)
    for key in PARAMETER_KEYS:
        value = params[key]
        if not isinstance(value, np.ndarray) or value.shape != (d,):
            shape = getattr(value, "shape", None)
            fail(case, f"parameters()['{key}'] should be a numpy array of shape ({d},), one "
                       f"value per feature, got {type(value).__name__}"
                       + (f" of shape {shape}" if shape is not None else "") + ".")
        if not np.issubdtype(value.dtype, np.floating):
            fail(case, f"parameters()['{key}'] has dtype {value.dtype}; learned parameters are "
                       "floating-point arrays (np.ones(D), np.zeros(D)).")
    return params


def _set_params(bn, gamma, beta, case):
    """Give the module these gamma and beta by writing into parameters() in place."""
    params = _own_params(bn, case, gamma.shape[0])
    params["gamma"][...] = gamma
    params["beta"][...] = beta
    params = _get_dict(bn, "parameters", PARAMETER_KEYS, case)
    for key, value in (("gamma", gamma), ("beta", beta)):
        if not np.allclose(np.asarray(params[key], dtype=np.float64), value):
            fail(case, f"parameters()['{key}'] was written in place, but parameters() still "
                       f"gives the old values: {COPIES}")


def _check_new_module(cls, seed):
    case = Case("a new BatchNorm1d(4)", seed)
    bn = _construct(cls, case, 4)
    _expect_training(bn, True, case, "for a new module")
    params = _get_dict(bn, "parameters", PARAMETER_KEYS, case)
    expect_array(np.asarray(params["gamma"], dtype=np.float64), np.ones(4), case=case,
                 what="parameters()['gamma'] at the start (ones)")
    expect_array(np.asarray(params["beta"], dtype=np.float64), np.zeros(4), case=case,
                 what="parameters()['beta'] at the start (zeros)")
    buffers = _get_dict(bn, "buffers", BUFFER_KEYS, case)
    expect_array(np.asarray(buffers["running_mean"], dtype=np.float64), np.zeros(4), case=case,
                 what="buffers()['running_mean'] at the start (zeros, as in PyTorch)")
    expect_array(np.asarray(buffers["running_var"], dtype=np.float64), np.ones(4), case=case,
                 what="buffers()['running_var'] at the start (ones, as in PyTorch)",
                 mistakes=[("running_var starts at zeros, as in CS231n's assignment; PyTorch "
                            "(and this module) start it at ones.", lambda: np.zeros(4))])
    if _count(buffers["num_batches_tracked"], case, "num_batches_tracked") != 0:
        fail(case, "num_batches_tracked should start at 0.")
    _get_dict(bn, "state_dict", PARAMETER_KEYS + BUFFER_KEYS, case)
    _method(bn, "train", case)
    _method(bn, "eval", case)
    _method(bn, "forward", case)


def _check_parameters_are_the_layers(cls, seed, rng):
    """Write into parameters() in place: forward's output must change (behaviour, not ``is``)."""
    d = 3
    case = Case("parameters() gives the layer's own arrays", seed,
                {"D": d, "test": "write into parameters() in place, then forward again"})
    bn = _construct(cls, case, d)
    x = _batch(rng, 6, d)
    before = np.array(_forward(bn, x, case), dtype=np.float64)
    for key, value in (("gamma", np.array([2.0, 0.5, 3.0])), ("beta", np.array([1.0, -1.0, 0.5]))):
        params = _own_params(bn, case, d)
        params[key][...] = value
        after = np.array(_forward(bn, x, case), dtype=np.float64)
        if after.shape == before.shape and np.allclose(after, before):
            fail(case, f"writing {value.tolist()} into parameters()['{key}'] in place did not "
                       f"change forward's output: {COPIES}")
        before = after


def _forward(bn, x, case):
    return _call(_method(bn, "forward", case), x, case=case, name="forward",
                 forbidden=FORBIDDEN, arg_names=("x",),
                 fix="write `x_centered = x - mean`, not `x -= mean`: the caller's batch must "
                     "stay as it was.")
