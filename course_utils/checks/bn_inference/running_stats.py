"""``check_update_running_stats`` and ``check_population_statistics`` (notebook 05), with
their catalogues of named mistakes: the momentum convention, the variance's correction, and
the population estimate of Algorithm 2 compared with torch over a sequence of batches.
"""

from __future__ import annotations

import numpy as np

from course_utils import reference as ref

from .._core import Case, expect_array, expect_raises, expect_tuple, make_rng
from ._shared import OLD_VALUE, POPULATION_FIX, UPDATE_FIX, _batch, _call

__all__ = ["check_update_running_stats", "check_population_statistics"]


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
