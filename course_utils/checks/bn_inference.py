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
#: backward is written from scratch too: autograd must not stand in for it
FORBIDDEN_BACKWARD = {"torch": FORBIDDEN["torch"] | {"backward", "grad", "run_backward",
                                                     "_engine_run_backward", "vjp"}}


OLD_VALUE = ("momentum was used as the weight of the OLD value, running = momentum * running + "
             "(1 - momentum) * batch: the convention of Keras and of CS231n's and d2l's teaching "
             "code (0.9 there; Keras's default is 0.99). The course follows PyTorch: momentum is "
             "the weight of the NEW batch, running = (1 - momentum) * running + momentum * batch.")


def _batch(rng, n, d, dtype=np.float64, loc=None, scale=None):
    loc = rng.uniform(-3, 3, size=d) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=d) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


UPDATE_FIX = ("build new arrays and return them, `new_mean = (1 - momentum) * running_mean + "
              "momentum * batch_mean`, not `running_mean *= 1 - momentum`.")
POPULATION_FIX = ("compute new arrays, `var = batch_vars.mean(axis=0) * (m / (m - 1))`, not "
                  "`batch_vars *= m / (m - 1)`.")
INFERENCE_FIX = "write `x_centered = x - running_mean`, not `x -= running_mean`."


def _call(func, *args, case, name, arg_names, fix, forbidden=None, **kwargs):
    """``call_student``, with an in-place change of an input explained in this notebook's terms.

    (The shared advice, "write `x = x - m`", reads wrong here, where m is the batch size.)
    """
    if not callable(func):
        return call_student(func, *args, case=case, name=name, arg_names=arg_names, **kwargs)

    def guarded(*a, **k):
        before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else None for v in a]
        result = func(*a, **k)
        for label, b, v in zip(arg_names, before, a):
            if b is not None and not (isinstance(v, np.ndarray) and v.shape == b.shape
                                      and np.array_equal(v, b, equal_nan=True)):
                fail(case, f"{name} changed its input `{label}` in place. Graded functions "
                           f"never modify their inputs: {fix}")
        return result

    return call_student(guarded, *args, case=case, name=name, forbidden=forbidden,
                        arg_names=arg_names, **kwargs)


# ---------------------------------------------------------------------------------------
# update_running_stats
# ---------------------------------------------------------------------------------------


def _update_mistakes(rm, rv, bm, bv, m, mom, what):
    rm, rv, bm, bv = (np.asarray(a, dtype=np.float64) for a in (rm, rv, bm, bv))
    c = m / (m - 1)
    if what == "new_mean":
        return [
            (OLD_VALUE, lambda: mom * rm + (1 - mom) * bm),
            ("the momentum argument was ignored (0.1 was used).",
             lambda: 0.9 * rm + 0.1 * bm),
            ("the mean was multiplied by m / (m - 1); only the variance is biased.",
             lambda: (1 - mom) * rm + mom * bm * c),
            ("the running mean was replaced by the batch mean (no averaging).", lambda: bm),
            ("the running mean was not updated.", lambda: rm),
        ]
    return [
        ("the batch variance was not corrected (CS231n's and d2l's teaching code and Keras "
         "average the biased one): Algorithm 2 and PyTorch use the unbiased "
         "batch_var * m / (m - 1) in the running variance.",
         lambda: (1 - mom) * rv + mom * bv),
        ("the correction is inverted: multiply by m / (m - 1), not (m - 1) / m.",
         lambda: (1 - mom) * rv + mom * bv * (m - 1) / m),
        (OLD_VALUE, lambda: mom * rv + (1 - mom) * bv * c),
        (OLD_VALUE + " And the batch variance was not corrected (the rule of Keras, CS231n and "
         "d2l): multiply it by m / (m - 1) first.", lambda: mom * rv + (1 - mom) * bv),
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
        result = _call(student, *arrays, m, case=case, name="update_running_stats",
                       arg_names=names + ("m",), fix=UPDATE_FIX, **kwargs)
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
        result = _call(student, rm, rv, x.mean(0), x.var(0), int(m), momentum=momentum,
                       case=case, name="update_running_stats",
                       arg_names=("running_mean", "running_var", "batch_mean", "batch_var", "m"),
                       fix=UPDATE_FIX)
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
        result = _call(student, means, vars_, m, case=case, name="population_statistics",
                       arg_names=("batch_means", "batch_vars", "m"), fix=POPULATION_FIX)
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
    result = _call(student, x.mean(1), x.var(1), m, case=case, name="population_statistics",
                   arg_names=("batch_means", "batch_vars", "m"), fix=POPULATION_FIX)
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
    args = ("x", "gamma", "beta", "running_mean", "running_var")

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

    for case, x, gamma, beta, rm, rv, eps in cases:
        out = _call(student, x, gamma, beta, rm, rv, eps=eps, case=case,
                    name="batchnorm_inference", forbidden=FORBIDDEN, arg_names=args,
                    fix=INFERENCE_FIX)
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
        whole = _call(student, x, gamma, beta, rm, rv, case=case, name="batchnorm_inference",
                      arg_names=args, fix=INFERENCE_FIX)
        alone = _call(student, x[3:4], gamma, beta, rm, rv, case=case,
                      name="batchnorm_inference", arg_names=args, fix=INFERENCE_FIX)
        expect_array(alone, np.asarray(whole)[3:4], case=case,
                     what="out for example 3 alone (vs inside the batch)")


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


def _forward_part(cls, seed, rng, hidden):
    _check_new_module(cls, seed)
    _check_parameters_are_the_layers(cls, seed, rng)
    _run_sequence(cls, seed, rng, "three training batches", 3, [8, 4, 16])
    _run_sequence(cls, seed, rng, "momentum and eps passed by keyword", 2, [5, 2, 9, 3],
                  eps=1e-3, momentum=0.3)
    _run_sequence(cls, seed, rng, "momentum=None: the cumulative average", 3, [6, 20, 3, 9],
                  momentum=None)
    _run_sequence(cls, seed, rng, "momentum=0 keeps the start values", 2, [4, 7],
                  momentum=0.0, eval_sizes=(3,))
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
        _run_sequence(cls, seed, rng, "momentum=None, random batches", 2,
                      [int(s) for s in rng.integers(2, 40, size=6)], momentum=None)
        _run_sequence(cls, seed, rng, "float32, momentum and eps by keyword", 3, [7, 3, 12],
                      eps=0.01, momentum=0.5, dtype=np.float32)


PARTS = (None, "forward", "backward")


def check_BatchNorm1d(cls, seed=0, hidden=False, part=None):
    """Check a numpy ``class BatchNorm1d(num_features, eps=1e-5, momentum=0.1)``.

    ``part="forward"``: a new module (training True, gamma ones, beta zeros, running_mean
    zeros, running_var ones, num_batches_tracked 0; parameters(), buffers() and state_dict()
    with exactly the right keys); parameters() gives the layer's own arrays (writing into
    them in place changes forward's output); the module and ``torch.nn.BatchNorm1d`` see the
    same training batches (outputs and buffers compared after each; momentum 0.1, 0.3 and
    None, the cumulative average), switch to eval mode (a batch of 5 and a batch of one;
    buffers must not change) and back; state_dict() matches torch's and is a snapshot that
    does not follow later training. A batch of one in training mode and a batch with the
    wrong number of features raise ValueError.

    ``part="backward"``: over a sequence of training and eval batches (with train() or eval()
    called between a forward and its backward), backward(dout) gives autograd's dx, dgamma
    and dbeta for the last forward, changes no parameter or buffer, and the parameters
    follow an SGD step written into parameters() in place; backward before any forward and
    a dout of the wrong shape raise ValueError.

    ``part=None`` checks both. ``hidden=True`` adds random sequences, momenta, eps, float32.
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    seed, rng = make_rng(seed)
    if not isinstance(cls, type):
        fail(Case("the class itself", seed), f"check_BatchNorm1d expects the class BatchNorm1d "
                                             f"(not an instance), got {type(cls).__name__}.")
    if part in (None, "forward"):
        _forward_part(cls, seed, rng, hidden)
    if part in (None, "backward"):
        _backward_part(cls, seed, rng, hidden)
