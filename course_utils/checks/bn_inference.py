"""Checks for notebook 05: running statistics, Algorithm 2, inference mode, a BatchNorm1d class.

``check_update_running_stats``, ``check_population_statistics``, ``check_batchnorm_inference``
and ``check_BatchNorm1d``. The class is compared with ``torch.nn.BatchNorm1d`` run on the same
sequence of batches (outputs and buffers after every batch).
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from ._core import (
    Case, CheckFailure, call_student, expect_array, expect_raises, expect_tuple, fail, make_rng,
    tolerance,
)

__all__ = ["check_update_running_stats", "check_population_statistics",
           "check_batchnorm_inference", "check_BatchNorm1d"]

FORBIDDEN = {"torch": {"batch_norm", "native_batch_norm", "_batch_norm_impl_index",
                       "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
                       "instance_norm", "layer_norm", "group_norm"}}


def _batch(rng, n, d, dtype=np.float64, loc=None, scale=None):
    loc = rng.uniform(-3, 3, size=d) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=d) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


# ---------------------------------------------------------------------------------------
# update_running_stats
# ---------------------------------------------------------------------------------------


def _update_mistakes(rm, rv, bm, bv, m, mom, what):
    rm, rv, bm, bv = (np.asarray(a, dtype=np.float64) for a in (rm, rv, bm, bv))
    c = m / (m - 1)
    if what == "new_mean":
        return [
            ("the momentum convention is Keras's (running = momentum * running + (1 - momentum) "
             "* batch). The course uses PyTorch's: momentum is the weight of the NEW batch, "
             "running = (1 - momentum) * running + momentum * batch.",
             lambda: mom * rm + (1 - mom) * bm),
            ("the momentum argument was ignored (0.1 was used).",
             lambda: 0.9 * rm + 0.1 * bm),
            ("the mean was multiplied by m / (m - 1); only the variance is biased.",
             lambda: (1 - mom) * rm + mom * bm * c),
            ("the running mean was replaced by the batch mean (no averaging).", lambda: bm),
            ("the running mean was not updated.", lambda: rm),
        ]
    return [
        ("the batch variance was not corrected: Algorithm 2 and PyTorch use the unbiased "
         "batch_var * m / (m - 1) in the running variance.",
         lambda: (1 - mom) * rv + mom * bv),
        ("the correction is inverted: multiply by m / (m - 1), not (m - 1) / m.",
         lambda: (1 - mom) * rv + mom * bv * (m - 1) / m),
        ("the momentum convention is Keras's (running = momentum * running + (1 - momentum) "
         "* batch). The course uses PyTorch's: momentum is the weight of the NEW batch.",
         lambda: mom * rv + (1 - mom) * bv * c),
        ("the momentum convention is Keras's and the correction is missing (Keras's own "
         "rule); the course follows PyTorch.", lambda: mom * rv + (1 - mom) * bv),
        ("m / (m - 1) was applied to the whole average; correct the batch variance only, "
         "before it is averaged in.", lambda: ((1 - mom) * rv + mom * bv) * c),
        ("the momentum argument was ignored (0.1 was used).",
         lambda: 0.9 * rv + 0.1 * bv * c),
        ("the running variance was not updated.", lambda: rv),
    ]


def check_update_running_stats(student, seed=0, hidden=False):
    """Check ``update_running_stats(running_mean, running_var, batch_mean, batch_var, m,
    momentum=0.1) -> (new_mean, new_var)``.

    Cases: random statistics, float32, D = 1, m = 2 (where m / (m - 1) = 2), momentum by
    keyword, momentum 0 and 1, large m, non-contiguous arrays, m = 1 (ValueError). With
    ``hidden=True``: a sequence of updates compared with torch.nn.BatchNorm1d's buffers.
    """
    seed, rng = make_rng(seed)
    cases = []

    def add(label, d=4, m=8, momentum=None, dtype=np.float64, contiguous=True):
        arrays = [rng.normal(size=d), rng.uniform(0.5, 2, d), rng.normal(size=d),
                  rng.uniform(0.5, 2, d)]
        if not contiguous:
            arrays = [np.repeat(a, 2)[::2] for a in arrays]
        arrays = [a.astype(dtype) for a in arrays]
        details = {"D": d, "m": m, "dtype": np.dtype(dtype).name}
        if momentum is not None:
            details["momentum"] = momentum
        cases.append((Case(label, seed, details), arrays, m, momentum))

    add("random statistics")
    add("float32", dtype=np.float32, m=16)
    add("one feature (D = 1)", d=1, m=5)
    add("m = 2, where m / (m - 1) = 2", m=2)
    add("momentum passed by keyword", momentum=0.3)
    add("momentum = 0 keeps the running statistics", momentum=0.0)
    add("momentum = 1 takes the (corrected) batch statistics", momentum=1.0, m=4)
    add("large batch (m = 1000)", m=1000, momentum=0.5)
    add("non-contiguous arrays", contiguous=False, m=3)
    if hidden:
        add("random statistics", d=9, m=3, momentum=0.01)
        add("float32, momentum passed by keyword", dtype=np.float32, m=2, momentum=0.7)

    names = ("running_mean", "running_var", "batch_mean", "batch_var")
    for case, arrays, m, momentum in cases:
        kwargs = {} if momentum is None else {"momentum": momentum}
        mom = 0.1 if momentum is None else momentum
        result = call_student(student, *arrays, m, case=case, name="update_running_stats",
                              arg_names=names + ("m",), **kwargs)
        new_mean, new_var = expect_tuple(result, 2, case=case, name="update_running_stats",
                                         what="(new_mean, new_var)")
        exp_mean, exp_var = ref.update_running_stats(*arrays, m, momentum=mom)
        expect_array(new_mean, exp_mean, case=case, what="new_mean",
                     mistakes=_update_mistakes(*arrays, m, mom, "new_mean"))
        expect_array(new_var, exp_var, case=case, what="new_var",
                     mistakes=_update_mistakes(*arrays, m, mom, "new_var"))

    case = Case("a batch of one (m = 1)", seed, {"D": 3, "m": 1})
    expect_raises(student, np.zeros(3), np.ones(3), np.ones(3), np.zeros(3), 1, case=case,
                  name="update_running_stats",
                  why="m / (m - 1) divides by zero: a single example has no variance")
    if hidden:
        _update_sequence_vs_torch(student, seed, rng)


def _update_sequence_vs_torch(student, seed, rng):
    """Feed the student's update the statistics of a sequence of batches; compare with torch."""
    import torch

    d, momentum = 3, 0.2
    bn = torch.nn.BatchNorm1d(d, momentum=momentum, dtype=torch.float64)
    rm, rv = np.zeros(d), np.ones(d)
    sizes = rng.integers(2, 20, size=12)
    case = Case("property: 12 updates agree with torch.nn.BatchNorm1d's buffers", seed,
                {"D": d, "momentum": momentum, "batch sizes": list(map(int, sizes))})
    for m in sizes:
        x = _batch(rng, int(m), d)
        with torch.no_grad():
            bn(torch.from_numpy(x))
        result = call_student(student, rm, rv, x.mean(0), x.var(0), int(m), momentum=momentum,
                              case=case, name="update_running_stats")
        rm, rv = (np.asarray(a) for a in expect_tuple(
            result, 2, case=case, name="update_running_stats", what="(new_mean, new_var)"))
    expect_array(rm, bn.running_mean.numpy(), case=case, what="running mean after 12 batches")
    expect_array(rv, bn.running_var.numpy(), case=case, what="running variance after 12 batches")


# ---------------------------------------------------------------------------------------
# population_statistics
# ---------------------------------------------------------------------------------------


def _population_mistakes(means, vars_, m):
    means, vars_ = np.asarray(means, np.float64), np.asarray(vars_, np.float64)
    k = means.shape[0]
    c = m / (m - 1)
    mean_mistakes = [
        ("the mean was multiplied by m / (m - 1); only the variance is corrected.",
         lambda: means.mean(0) * c),
        ("the batch means were summed, not averaged.", lambda: means.sum(0)),
        ("the median of the batch means was taken; Algorithm 2 averages them.",
         lambda: np.median(means, axis=0)),
    ]
    var_mistakes = [
        ("the m / (m - 1) correction is missing: the average of biased batch variances "
         "underestimates the population variance by the factor (m - 1) / m.",
         lambda: vars_.mean(0)),
        ("the correction is inverted: multiply by m / (m - 1), not (m - 1) / m.",
         lambda: vars_.mean(0) * (m - 1) / m),
        ("m in m / (m - 1) is the batch size, not the number of batches K.",
         lambda: vars_.mean(0) * k / max(k - 1, 1e-300)),
        ("this is the variance of the batch means; Algorithm 2 averages the batch variances.",
         lambda: means.var(0)),
        ("this is the variance of the pooled data (average batch variance plus the variance of "
         "the batch means). Algorithm 2 asks for m / (m - 1) times the average batch "
         "variance: the unbiased estimate of the variance of the population the batches "
         "were drawn from.", lambda: vars_.mean(0) + means.var(0)),
        ("the batch variances were summed, not averaged.", lambda: vars_.sum(0) * c),
    ]
    return mean_mistakes, var_mistakes


def check_population_statistics(student, seed=0, hidden=False):
    """Check ``population_statistics(batch_means, batch_vars, m) -> (mean, var)``.

    Inputs have shape (K, D) for K batches. Cases: random statistics, float32, one batch
    (K = 1), one feature, m = 2, K different from m, non-contiguous inputs; m = 1,
    mismatched shapes and 1-D inputs raise ValueError. ``hidden=True`` adds more shapes and
    a simulation: batches drawn from a known distribution give its variance on average.
    """
    seed, rng = make_rng(seed)
    cases = []

    def add(label, k, d, m, dtype=np.float64, contiguous=True):
        means = rng.normal(size=(k, d))
        vars_ = rng.uniform(0.5, 2, size=(k, d))
        if not contiguous:
            means, vars_ = np.asfortranarray(np.repeat(means, 2, axis=1))[:, ::2], \
                np.repeat(vars_, 2, axis=1)[:, ::2]
        cases.append((Case(label, seed, {"K": k, "D": d, "m": m, "dtype": np.dtype(dtype).name}),
                      means.astype(dtype), vars_.astype(dtype), m))

    add("random statistics", 6, 4, 8)
    add("float32", 5, 3, 16, np.float32)
    add("one batch (K = 1)", 1, 3, 5)
    add("one feature (D = 1)", 7, 1, 4)
    add("m = 2", 4, 3, 2)
    add("many small batches (K = 40, m = 3)", 40, 2, 3)
    add("non-contiguous inputs", 5, 3, 6, contiguous=False)
    if hidden:
        add("random statistics", 3, 9, 100)
        add("float32, m = 2", 8, 2, 2, np.float32)

    for case, means, vars_, m in cases:
        result = call_student(student, means, vars_, m, case=case, name="population_statistics",
                              arg_names=("batch_means", "batch_vars", "m"))
        mean, var = expect_tuple(result, 2, case=case, name="population_statistics",
                                 what="(mean, var)")
        exp_mean, exp_var = ref.population_statistics(means, vars_, m)
        mean_mistakes, var_mistakes = _population_mistakes(means, vars_, m)
        expect_array(mean, exp_mean, case=case, what="mean", mistakes=mean_mistakes)
        expect_array(var, exp_var, case=case, what="var", mistakes=var_mistakes)

    bad = [
        ("m = 1", (np.zeros((3, 2)), np.ones((3, 2)), 1), "m / (m - 1) divides by zero"),
        ("batch_means and batch_vars of different shapes",
         (np.zeros((3, 2)), np.ones((4, 2)), 5), "each batch needs a mean and a variance"),
        ("1-D inputs", (np.zeros(3), np.ones(3), 5),
         "the inputs are (K, D): one row per batch, one column per feature"),
    ]
    for label, args, why in bad:
        expect_raises(student, *args, case=Case(label, seed), name="population_statistics",
                      why=why)
    if hidden:
        _population_simulation(student, seed, rng)


def _population_simulation(student, seed, rng):
    """Many batches of a known normal distribution: the estimate must be close to sigma^2."""
    k, m, d = 4000, 4, 2
    sigma = np.array([0.5, 3.0])
    x = rng.normal(loc=[1.0, -2.0], scale=sigma, size=(k, m, d))
    case = Case("property: 4000 batches of 4 from N(mu, sigma^2) recover sigma^2", seed,
                {"K": k, "m": m, "sigma": sigma.tolist()})
    result = call_student(student, x.mean(1), x.var(1), m, case=case,
                          name="population_statistics")
    _, var = expect_tuple(result, 2, case=case, name="population_statistics", what="(mean, var)")
    # standard error of the estimate is about sigma^2 * sqrt(2 / (k (m - 1))) ~ 0.013 sigma^2
    expect_array(np.asarray(var, dtype=np.float64) / sigma**2, np.ones(d), case=case,
                 what="estimated variance / true variance", rtol=0.08, atol=0)


# ---------------------------------------------------------------------------------------
# batchnorm_inference
# ---------------------------------------------------------------------------------------


def _inference_mistakes(x, gamma, beta, rm, rv, eps):
    x, gamma, beta, rm, rv = (np.asarray(a, np.float64) for a in (x, gamma, beta, rm, rv))
    mistakes = []
    if x.shape[0] >= 2:
        mistakes.append((
            "the batch's own statistics were used; at inference normalize with running_mean "
            "and running_var, so that each example's output does not depend on its batch.",
            lambda: gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta))
    mistakes += [
        ("divided by the running variance instead of its square root.",
         lambda: gamma * (x - rm) / (rv + eps) + beta),
        ("running_var was treated as a standard deviation; it is a variance: divide by "
         "sqrt(running_var + eps).", lambda: gamma * (x - rm) / (rv + eps) + beta),
        ("eps was added outside the square root: use sqrt(running_var + eps).",
         lambda: gamma * (x - rm) / (np.sqrt(rv) + eps) + beta),
        ("the eps argument was ignored (the default 1e-5 was used).",
         lambda: gamma * (x - rm) / np.sqrt(rv + 1e-5) + beta),
        ("eps was left out.", lambda: gamma * (x - rm) / np.sqrt(rv) + beta),
        ("gamma and beta are swapped: out = gamma * x_hat + beta.",
         lambda: beta * (x - rm) / np.sqrt(rv + eps) + gamma),
        ("beta was not added.", lambda: gamma * (x - rm) / np.sqrt(rv + eps)),
        ("gamma was not applied.", lambda: (x - rm) / np.sqrt(rv + eps) + beta),
        ("the running mean was not subtracted.", lambda: gamma * x / np.sqrt(rv + eps) + beta),
    ]
    return mistakes


def check_batchnorm_inference(student, seed=0, hidden=False):
    """Check ``batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5)``.

    Cases: random batches, float32, a single example (N = 1, which must work), D = 1, eps by
    keyword, a small running variance (eps matters), large offsets, non-contiguous x; a
    gamma of the wrong length raises ValueError. ``hidden=True`` adds shapes and the property
    that an example's output does not depend on the rest of its batch.
    """
    seed, rng = make_rng(seed)
    cases = []

    def add(label, x, eps=1e-5, rv=None, rm=None):
        d = x.shape[1]
        gamma = rng.uniform(0.5, 2, d).astype(x.dtype)
        beta = rng.uniform(-1, 1, d).astype(x.dtype)
        rm = rng.normal(size=d).astype(x.dtype) if rm is None else rm
        rv = rng.uniform(0.5, 3, d).astype(x.dtype) if rv is None else rv
        details = {"x.shape": x.shape, "dtype": x.dtype.name}
        if eps != 1e-5:
            details["eps"] = eps
        cases.append((Case(label, seed, details), x, gamma, beta, rm, rv, eps))

    add("random batch", _batch(rng, 8, 5))
    add("float32 batch", _batch(rng, 10, 3, np.float32))
    add("a single example (N = 1)", _batch(rng, 1, 4))
    add("one feature (D = 1)", _batch(rng, 6, 1))
    add("eps passed by keyword", _batch(rng, 5, 3), eps=0.3)
    add("small running variance, where eps matters", _batch(rng, 5, 3, scale=np.full(3, 1e-3)),
        rv=np.full(3, 2e-6))
    add("large offsets (running mean 1e6)", _batch(rng, 6, 2, loc=np.full(2, 1e6)),
        rm=np.full(2, 1e6) + rng.normal(size=2))
    add("non-contiguous x (x[:, ::2])", _batch(rng, 7, 6)[:, ::2])
    if hidden:
        add("random batch", _batch(rng, 33, 9))
        add("a single float32 example", _batch(rng, 1, 5, np.float32))

    args = ("x", "gamma", "beta", "running_mean", "running_var")
    for case, x, gamma, beta, rm, rv, eps in cases:
        out = call_student(student, x, gamma, beta, rm, rv, eps=eps, case=case,
                           name="batchnorm_inference", forbidden=FORBIDDEN, arg_names=args)
        expected = ref.batchnorm_inference(x, gamma, beta, rm, rv, eps=eps)
        expect_array(out, expected, case=case, what="out",
                     mistakes=_inference_mistakes(x, gamma, beta, rm, rv, eps))

    case = Case("gamma of the wrong length", seed, {"x.shape": (4, 3), "gamma.shape": (2,)})
    expect_raises(student, np.ones((4, 3)), np.ones(2), np.zeros(3), np.zeros(3), np.ones(3),
                  case=case, name="batchnorm_inference",
                  why="gamma needs one value per feature")
    if hidden:
        x = _batch(rng, 12, 4)
        gamma, beta = rng.uniform(0.5, 2, 4), rng.normal(size=4)
        rm, rv = rng.normal(size=4), rng.uniform(0.5, 2, 4)
        case = Case("property: an example's output does not depend on its batch", seed,
                    {"x.shape": x.shape})
        whole = call_student(student, x, gamma, beta, rm, rv, case=case,
                             name="batchnorm_inference")
        alone = call_student(student, x[3:4], gamma, beta, rm, rv, case=case,
                             name="batchnorm_inference")
        expect_array(alone, np.asarray(whole)[3:4], case=case,
                     what="out for example 3 alone (vs inside the batch)")


# ---------------------------------------------------------------------------------------
# BatchNorm1d
# ---------------------------------------------------------------------------------------

PARAMETER_KEYS = ("gamma", "beta")
BUFFER_KEYS = ("running_mean", "running_var", "num_batches_tracked")


def _simulate(batches, momentum, rule="pytorch"):
    """Running buffers after each batch, under the right rule or a known wrong one."""
    d = batches[0].shape[1]
    rm, rv = np.zeros(d), np.ones(d)
    history = []
    for x in batches:
        x = x.astype(np.float64)
        m = x.shape[0]
        if m < 2:
            continue
        bm, bv = x.mean(0), x.var(0)
        c = {"no correction": 1.0, "inverted": (m - 1) / m, "keras": m / (m - 1),
             "keras, no correction": 1.0}.get(rule, m / (m - 1))
        mom = {"momentum ignored": 0.1}.get(rule, momentum)
        if rule.startswith("keras"):
            rm, rv = momentum * rm + (1 - momentum) * bm, momentum * rv + (1 - momentum) * bv * c
        elif rule == "not updated":
            pass
        elif rule == "replaced":
            rm, rv = bm, bv * m / (m - 1)
        else:
            rm, rv = (1 - mom) * rm + mom * bm, (1 - mom) * rv + mom * bv * c
        history.append((rm.copy(), rv.copy()))
    return history


RULES = {
    "keras": "the momentum convention is Keras's (running = momentum * running + (1 - momentum) "
             "* batch). This module follows PyTorch: momentum is the weight of the NEW batch.",
    "keras, no correction": "this is Keras's rule (momentum on the old value, no m / (m - 1)); "
                            "this module follows PyTorch.",
    "no correction": "the running variance averages the biased batch variances: multiply each "
                     "by m / (m - 1) first (PyTorch and Algorithm 2 do).",
    "inverted": "the correction is inverted: m / (m - 1), not (m - 1) / m.",
    "momentum ignored": "the momentum given to the constructor was ignored (0.1 was used).",
    "not updated": "the buffers do not update: forward in training mode must update "
                   "running_mean and running_var (and count num_batches_tracked).",
    "replaced": "the running statistics were replaced by the last batch's instead of averaged.",
}


def _construct(cls, case, *args, **kwargs):
    return call_student(cls, *args, case=case, name=f"{getattr(cls, '__name__', 'the class')}(...)",
                        **kwargs)


def _method(obj, name, case):
    method = getattr(obj, name, None)
    if not callable(method):
        fail(case, f"the module has no method {name}(); BatchNorm1d needs train(), eval(), "
                   "forward(x), parameters(), buffers() and state_dict().")
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


def _set_params(bn, gamma, beta, case):
    """Give the module these gamma and beta, through parameters() (or attributes)."""
    params = _get_dict(bn, "parameters", PARAMETER_KEYS, case)
    for key, value in (("gamma", gamma), ("beta", beta)):
        if isinstance(params[key], np.ndarray) and params[key].shape == value.shape:
            params[key][...] = value
    params = _get_dict(bn, "parameters", PARAMETER_KEYS, case)
    if all(np.allclose(np.asarray(params[k], dtype=np.float64), v)
           for k, v in (("gamma", gamma), ("beta", beta))):
        return
    for key, value in (("gamma", gamma), ("beta", beta)):
        if isinstance(getattr(bn, key, None), np.ndarray):
            setattr(bn, key, value.copy())
    params = _get_dict(bn, "parameters", PARAMETER_KEYS, case)
    if not all(np.allclose(np.asarray(params[k], dtype=np.float64), v)
               for k, v in (("gamma", gamma), ("beta", beta))):
        fail(case, "could not set gamma and beta: parameters() should return the module's own "
                   "arrays (not copies), as PyTorch's does, so that an optimizer can update "
                   "them in place (or keep them in attributes self.gamma and self.beta).")


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
                 what="buffers()['running_var'] at the start (ones, as in PyTorch)")
    if _count(buffers["num_batches_tracked"], case, "num_batches_tracked") != 0:
        fail(case, "num_batches_tracked should start at 0.")
    _get_dict(bn, "state_dict", PARAMETER_KEYS + BUFFER_KEYS, case)
    _method(bn, "train", case)
    _method(bn, "eval", case)
    _method(bn, "forward", case)


def _forward(bn, x, case):
    return call_student(_method(bn, "forward", case), x, case=case, name="forward",
                        forbidden=FORBIDDEN, arg_names=("x",))


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
    for key, which in (("running_mean", 0), ("running_var", 1)):
        expected = getattr(tbn, key).numpy()
        # candidates are computed only if the buffers are wrong (diagnose calls them then)
        if eval_batch is not None:
            wrong = [("the running statistics changed in eval mode; eval must only read them.",
                      lambda w=which: _simulate(batches + [eval_batch], momentum)[-1][w])]
        else:
            wrong = [(label, lambda r=rule, w=which: _simulate(batches, momentum, r)[-1][w])
                     for rule, label in RULES.items()]
        expect_array(np.asarray(buffers[key], dtype=np.float64), expected, case=case,
                     what=f"buffers()['{key}'] after {step}", mistakes=wrong, rtol=r, atol=a)


def _run_sequence(cls, seed, rng, label, d, sizes, eps=1e-5, momentum=0.1, dtype=np.float64,
                  eval_sizes=(5, 1)):
    """Train the student's module and torch's on the same batches; compare after each."""
    import torch

    kwargs = {}
    details = {"D": d, "batch sizes": [int(s) for s in sizes], "dtype": np.dtype(dtype).name}
    if eps != 1e-5:
        kwargs["eps"] = details["eps"] = eps
    if momentum != 0.1:
        kwargs["momentum"] = details["momentum"] = momentum
    case = Case(label, seed, details)
    bn = _construct(cls, case, d, **kwargs)
    tbn = torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum, dtype=torch.float64)
    gamma, beta = rng.uniform(0.5, 2, d), rng.uniform(-1, 1, d)
    _set_params(bn, gamma, beta, case)
    with torch.no_grad():
        tbn.weight.copy_(torch.from_numpy(gamma))
        tbn.bias.copy_(torch.from_numpy(beta))
    loc, scale = rng.uniform(-3, 3, d), rng.uniform(0.5, 3, d)
    seen = []
    r, a = tolerance(dtype)
    for step, n in enumerate(sizes, 1):
        x = (loc + scale * rng.standard_normal((int(n), d))).astype(dtype)
        out = _forward(bn, x, case)
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

    # back to training
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


def check_BatchNorm1d(cls, seed=0, hidden=False):
    """Check a numpy ``class BatchNorm1d(num_features, eps=1e-5, momentum=0.1)``.

    A new module: training is True, gamma ones, beta zeros, running_mean zeros,
    running_var ones, num_batches_tracked 0; parameters(), buffers() and state_dict() have
    exactly the right keys. Then the module and ``torch.nn.BatchNorm1d`` see the same
    training batches (outputs and buffers compared after each), switch to eval mode (outputs
    compared on a batch of 5 and a batch of one; buffers must not change), and back to train.
    A batch of one in training mode and a batch with the wrong number of features raise
    ValueError. ``hidden=True`` adds random sequences, momenta, eps and float32.
    """
    seed, rng = make_rng(seed)
    if not isinstance(cls, type):
        fail(Case("the class itself", seed), f"check_BatchNorm1d expects the class BatchNorm1d "
                                             f"(not an instance), got {type(cls).__name__}.")
    _check_new_module(cls, seed)
    _run_sequence(cls, seed, rng, "three training batches", 3, [8, 4, 16])
    _run_sequence(cls, seed, rng, "momentum and eps passed by keyword", 2, [5, 2, 9, 3],
                  eps=1e-3, momentum=0.3)
    _run_sequence(cls, seed, rng, "float32 batches", 4, [10, 6], dtype=np.float32)

    case = Case("a batch of one example in training mode", seed, {"x.shape": (1, 3)})
    bn = _construct(cls, case, 3)
    expect_raises(_method(bn, "forward", case), np.ones((1, 3)), case=case, name="forward",
                  why="batch statistics need at least two examples (torch raises too); in eval "
                      "mode a batch of one must work")
    case = Case("a batch with the wrong number of features", seed, {"x.shape": (4, 5), "D": 3})
    bn = _construct(cls, case, 3)
    expect_raises(_method(bn, "forward", case), np.ones((4, 5)), case=case, name="forward",
                  why="the module was built for 3 features")
    if hidden:
        for _ in range(3):
            d = int(rng.integers(1, 7))
            sizes = [int(s) for s in rng.integers(2, 40, size=int(rng.integers(3, 9)))]
            momentum = float(np.round(rng.uniform(0.01, 0.9), 3))
            _run_sequence(cls, seed, rng, "random sequence of batches", d, sizes,
                          momentum=momentum, eval_sizes=(1, int(rng.integers(2, 9))))
        _run_sequence(cls, seed, rng, "float32, momentum and eps by keyword", 3, [7, 3, 12],
                      eps=0.01, momentum=0.5, dtype=np.float32)
