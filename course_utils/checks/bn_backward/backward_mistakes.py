"""The catalogue of named mistakes of notebook 04's backward passes: the staged pass done
wrong at one step, the closed forms students get wrong, and hints for a cache read
another course's way. ``backward`` checks with it.
"""

from __future__ import annotations

import numpy as np

EPS_FIXED = ("eps was taken as 1e-5 instead of cache['eps'], the eps this forward pass "
             "used (here it is not 1e-5): read it from the cache, or use cache['std'].")
EPS_MISTAKE = ("eps was left out of the standard deviation or added outside the square root: "
               "use sqrt(var + eps), the std the forward pass divided by (cache['std'] holds "
               "it).")


#: The staged pass as the notebook numbers it (the red numbers of draw_bn_graph).
STEPS = {
    1: "step 1 (out = gamma * x_hat + beta)",
    2: "step 2 (x_hat = xmu * istd)",
    3: "step 3 (istd = 1 / std)",
    4: "step 4 (std = sqrt(var + eps))",
    5: "step 5 (var = mean of sq)",
    6: "step 6 (sq = xmu ** 2)",
    7: "step 7 (xmu = x - mu)",
    8: "step 8 (mu = mean of x)",
}


def _staged(dout, cache, wrong=None, m=None, eps=None):
    """dx of the staged pass, with one step done wrong (``wrong``: a key of STAGE_MISTAKES).

    Every step in float64, one line per node of the graph, so that a student's staged pass
    that goes wrong at one node matches exactly one of these. ``m`` replaces the batch size,
    ``eps`` the cache's eps in the std the backward pass computes (xmu stays the true one).
    """
    dout = np.asarray(dout, dtype=np.float64)
    x_hat = cache["x_hat"].astype(np.float64)
    var = cache["var"].astype(np.float64)
    gamma = cache["gamma"].astype(np.float64)
    true_eps = float(cache["eps"])
    m = dout.shape[0] if m is None else m
    std = np.sqrt(var + (true_eps if eps is None else eps))
    istd = 1 / std
    xmu = x_hat * np.sqrt(var + true_eps)

    def batch_sum(v, step):  # over the batch, or done wrong at this step
        if wrong == f"{step}-axis":
            return v.sum(axis=1)
        return v.mean(axis=0) if wrong == f"{step}-mean" else v.sum(axis=0)

    # 1: out = gamma * x_hat + beta
    dx_hat = dout if wrong == "1-gamma" else dout * gamma
    # 2: x_hat = xmu * istd
    prod = dx_hat * (x_hat if wrong == "2-xhat" else xmu)
    distd = prod if wrong == "2-unsummed" else batch_sum(prod, 2)
    dxmu1 = dx_hat if wrong == "2-istd" else dx_hat * istd
    # 3: istd = 1 / std
    dstd = -distd / (std if wrong == "3-square" else std**2)
    if wrong == "3-sign":
        dstd = -dstd
    # 4: std = sqrt(var + eps)
    if wrong == "4-half":
        dvar = dstd / std
    elif wrong == "4-eps":
        dvar = dstd / (2 * np.sqrt(var))
    elif wrong == "4-inverted":
        dvar = dstd * 2 * std
    else:
        dvar = dstd / (2 * std)
    # 5: var = mean(sq)
    per_example = {"5-m": 1, "5-unbiased": m - 1}.get(wrong, m)
    dsq = np.ones_like(dout) * dvar / per_example
    # 6: sq = xmu ** 2, the second path into xmu
    dxmu2 = (1 if wrong == "6-two" else 2) * xmu * dsq
    dxmu = {"6-replaced": dxmu2, "6-dropped": dxmu1}.get(wrong, dxmu1 + dxmu2)
    # 7: xmu = x - mu
    dmu = -batch_sum(dxmu, 7)
    if wrong == "7-sign":
        dmu = -dmu
    dx = -dxmu if wrong == "7-xsign" else dxmu
    # 8: mu = mean(x), the second path into x
    if wrong == "8-dropped":
        return dx
    return dx + dmu / {"8-m": 1, "8-unbiased": m - 1}.get(wrong, m)


#: (key of _staged, step, what went wrong there and what it should be)
STAGE_MISTAKES = [
    ("1-gamma", 1, "gamma was forgotten in dx: dx_hat = gamma * dout, not dout."),
    ("2-xhat", 2, "d istd sums dx_hat * x_hat; it should sum dx_hat * xmu (the other factor "
                  "of x_hat = xmu * istd is xmu, not x_hat)."),
    ("2-unsummed", 2, "d istd was not summed over the batch: istd is one number per feature "
                      "used by all m examples, so d istd = sum(dx_hat * xmu, axis=0), "
                      "shape (D,)."),
    ("2-mean", 2, "d istd is a mean over the batch; a value used by all m examples collects "
                  "the sum of their gradients: d istd = sum(dx_hat * xmu, axis=0)."),
    ("2-axis", 2, "d istd was summed over axis=1 (the features); sum over the batch, axis=0."),
    ("2-istd", 2, "the first path into xmu lost its factor istd: dxmu = dx_hat * istd."),
    ("3-square", 3, "d(1/std)/d(std) is -1/std**2, not -1/std: d std = -d istd / std**2."),
    ("3-sign", 3, "the minus sign of d(1/std)/d(std) = -1/std**2 was lost: "
                  "d std = -d istd / std**2."),
    ("4-half", 4, "the factor 1/2 of d sqrt(u)/du = 1 / (2 sqrt(u)) is missing: "
                  "d var = d std / (2 * std)."),
    ("4-eps", 4, "eps was left out of this step's derivative: d var = d std / (2 sqrt(var + "
                 "eps)), the same std the forward pass divided by."),
    ("4-inverted", 4, "the derivative of the square root was inverted: d sqrt(u)/du is "
                      "1 / (2 sqrt(u)), so d var = d std / (2 * std), not d std * 2 * std."),
    ("5-m", 5, "the 1/m of the mean is missing: var = (1/m) sum(sq), so d sq = d var / m."),
    ("5-unbiased", 5, "d sq divides by m - 1; the forward pass normalizes with the biased "
                      "variance (divide by m), so d sq = d var / m."),
    ("6-two", 6, "the factor 2 of d(xmu**2)/d(xmu) = 2 xmu is missing: "
                 "dxmu += 2 * xmu * d sq."),
    ("6-replaced", 6, "the second path replaced the first instead of adding to it: "
                      "dxmu = dxmu (from step 2) + 2 * xmu * d sq."),
    ("6-dropped", 6, "the variance path was dropped: var depends on every x_i through sq, so "
                     "dxmu gets a second term, 2 * xmu * d sq, added to the one from step 2."),
    ("7-sign", 7, "d mu has the wrong sign: xmu = x - mu, so d mu = -sum(dxmu, axis=0)."),
    ("7-xsign", 7, "the first path into x has the wrong sign: d(x - mu)/dx = +1, so dx = dxmu "
                   "(the minus belongs to d mu)."),
    ("7-mean", 7, "d mu is a mean over the batch; mu is used by all m examples, so it collects "
                  "the sum: d mu = -sum(dxmu, axis=0)."),
    ("7-axis", 7, "d mu was summed over axis=1 (the features); sum over the batch, axis=0."),
    ("8-dropped", 8, "the mean path was dropped: mu depends on every x_i, so dx gets a second "
                     "term, d mu / m, added to dxmu."),
    ("8-m", 8, "the 1/m of the mean is missing: mu = (1/m) sum(x), so dx = dxmu + d mu / m."),
    ("8-unbiased", 8, "dx adds d mu / (m - 1); the mean divides by m: dx = dxmu + d mu / m."),
]


def _stage_mistakes(dout, cache):
    """Named candidates: the staged pass done wrong at one step (or m taken as D)."""
    out = [(f"{STEPS[step]}: {what}", lambda key=key: _staged(dout, cache, wrong=key))
           for key, step, what in STAGE_MISTAKES]
    d = np.shape(dout)[1]
    out.append(("m is the batch size, N = dout.shape[0] (the rows), not the number of "
                "features dout.shape[1]: in Algorithm 1, m counts the examples of the "
                "mini-batch.", lambda: _staged(dout, cache, m=d)))
    out.append(("m - 1 was used where the batch size m belongs: the forward pass divides by "
                "m (biased variance), so every 1/m of the backward pass is 1/m too.",
                lambda: _staged(dout, cache, m=np.shape(dout)[0] - 1)))
    out.append((EPS_FIXED, lambda: _staged(dout, cache, eps=1e-5)))
    return out


def _backward_mistakes(dout, cache):
    """What common wrong backward passes return: {"dx": [(label, make)], "dgamma": ..., ...}."""
    dout = dout.astype(np.float64)
    x_hat = cache["x_hat"].astype(np.float64)
    var = cache["var"].astype(np.float64)
    gamma = cache["gamma"].astype(np.float64)
    eps = float(cache["eps"])
    m = dout.shape[0]
    std = np.sqrt(var + eps)
    xmu = x_hat * std
    dxh = dout * gamma
    dvar = -0.5 * (dxh * xmu).sum(0) / std**3

    def closed(scale, g, s, d_out=dout):
        return g / (m * s) * (m * d_out - d_out.sum(0) - scale * x_hat * (d_out * x_hat).sum(0))

    dx = [
        ("the mean path was dropped from dx: mu depends on every x_i, so dx also gets "
         "dmu / m (dmu = -sum(dx_hat) / std).", lambda: dxh / std + 2 * xmu * dvar / m),
        ("the variance path was dropped from dx: var depends on every x_i, so dx also gets "
         "dvar * 2 (x_i - mu) / m.", lambda: dxh / std - dxh.sum(0) / (m * std)),
        ("the batch statistics were treated as constants (dx = gamma * dout / std): mean and "
         "variance both depend on x, and their paths must be added.", lambda: dxh / std),
        ("gamma was forgotten in dx: dx_hat = dout * gamma, not dout.",
         lambda: closed(1, 1.0, std)),
        (EPS_MISTAKE, lambda: closed(1, gamma, np.sqrt(var))),
        (EPS_MISTAKE, lambda: closed(1, gamma, np.sqrt(var) + eps)),
        ("the sign of the variance term is flipped: dx = gamma / (m std) * (m dout - sum(dout) "
         "- x_hat * sum(dout * x_hat)).", lambda: closed(-1, gamma, std)),
        ("the unbiased variance (ddof=1, divided by m - 1) went into std; the forward pass "
         "normalized with the biased one, cache['var'] (divided by m): use "
         "sqrt(cache['var'] + eps), which is cache['std'].",
         lambda: closed(1, gamma, np.sqrt(var * m / (m - 1) + eps))),
        (EPS_FIXED, lambda: closed(1, gamma, np.sqrt(var + 1e-5))),
        ("dx was divided by the variance instead of the standard deviation.",
         lambda: closed(1, gamma, var + eps)),
    ]
    dgamma = [
        ("dgamma should be sum(dout * x_hat) over the batch; it looks like x_hat was left out.",
         lambda: dout.sum(0)),
        ("dgamma multiplies dout by the input x; it should use the normalized x_hat.",
         lambda: (dout * (cache["x"].astype(np.float64) if "x" in cache else xmu)).sum(0)),
        ("dgamma is a mean over the batch; the gradient of a sum of losses is a sum.",
         lambda: (dout * x_hat).mean(0)),
        ("dgamma includes gamma: d(gamma * x_hat)/d(gamma) is x_hat alone.",
         lambda: (dout * x_hat).sum(0) * gamma),
        ("dgamma was summed over axis=1 (the features); gamma is one number per feature, "
         "so sum over the batch: sum(dout * x_hat, axis=0).", lambda: (dout * x_hat).sum(1)),
    ]
    dbeta = [
        ("dgamma and dbeta were swapped: return (dx, dgamma, dbeta), in this order.",
         lambda: (dout * x_hat).sum(0)),
        ("the three gradients are in the wrong order: return (dx, dgamma, dbeta).",
         lambda: closed(1, gamma, std)),
        ("dbeta is a mean over the batch; it should be sum(dout, axis=0).",
         lambda: dout.mean(0)),
        ("dbeta was multiplied by gamma; d(out)/d(beta) = 1.", lambda: dout.sum(0) * gamma),
        ("dbeta was summed over axis=1 (the features); sum over the batch: "
         "sum(dout, axis=0).", lambda: dout.sum(1)),
    ]
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


#: What this notebook's cache holds (the course's batchnorm_forward), and what code written for
#: another cache usually reads instead.
CACHE_KEYS = ("x", "x_hat", "mean", "var", "std", "gamma", "beta", "eps")
CACHE_ALIASES = {
    "cache['x_hat']": ("xhat", "x_norm", "x_normalized", "xnorm", "normalized", "xn"),
    "cache['mean']": ("mu", "sample_mean", "batch_mean", "mu_b", "mean_b"),
    "cache['var']": ("sample_var", "batch_var", "sigma2", "variance", "var_b"),
    "cache['std']": ("sqrtvar", "sqrt_var", "sigma", "stddev", "std_b"),
    "1 / cache['std']": ("ivar", "istd", "inv_std", "invstd", "inv_var", "rstd"),
    "cache['x'] - cache['mean']": ("xmu", "xc", "x_centered", "x_minus_mean", "x_mu",
                                   "centered"),
}


def _cache_hint(message: str) -> str:
    """A hint for a crash that comes from reading the cache another course's way."""
    contract = ("This notebook's cache is the dict the course's batchnorm_forward returns, "
                "with the keys " + ", ".join(f"'{k}'" for k in CACHE_KEYS) + " (see the "
                "exercise's text); read what you need by name, e.g. "
                "`x_hat, var = cache['x_hat'], cache['var']`.")
    if "raised KeyError: " in message:
        key = message.split("raised KeyError: ", 1)[1].split(" at line ")[0].strip()
        name = key.strip("'\"")
        if key.lstrip("-").isdigit():
            return (f"\nLikely mistake: the cache was indexed like a tuple (cache[{key}]), "
                    "as in code written for a cache that is a tuple. " + contract)
        for use, aliases in CACHE_ALIASES.items():
            if name.lower() in aliases:
                return (f"\nLikely mistake: the cache has no key {key}; what that name holds "
                        f"elsewhere is {use} here. " + contract)
        return f"\nLikely mistake: the cache has no key {key}. " + contract
    if "values to unpack" in message:
        return ("\nLikely mistake: the cache was unpacked like a tuple (`a, b, ... = cache`), "
                "as in code written for a cache that is a tuple; unpacking a dict gives its "
                "keys. " + contract)
    if "could not be broadcast" in message:
        return ("\nLikely mistake: a sum over the wrong axis, or a missing one? Every value "
                "that is one number per feature (d istd, d var, d mu, dgamma, dbeta) is a sum "
                "over the batch, axis=0, of shape (D,).")
    if "'str'" in message or "<U" in message:
        return ("\nLikely mistake: strings where numbers belong. If the cache was unpacked "
                "like a tuple (`a, b, ... = cache`), that gave its keys, not its values. "
                + contract)
    return ""
