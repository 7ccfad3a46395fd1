"""Do the notebook 05 checks reject the mistakes students make and accept any right answer?"""

import copy

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure, check_batchnorm_inference, check_BatchNorm1d, check_population_statistics,
    check_update_running_stats,
)

from tests.helpers import accepted, mistakes_rejected, rejected

pytestmark = pytest.mark.nb05


_rejected = rejected


# ---- update_running_stats ----------------------------------------------------------------

def _needs_batch(m):
    if m < 2:
        raise ValueError("m must be at least 2")


def update_right(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    _needs_batch(m)
    unbiased = batch_var * m / (m - 1)
    return ((1 - momentum) * running_mean + momentum * batch_mean,
            (1 - momentum) * running_var + momentum * unbiased)


def update_lerp(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    """Right too: written as a step towards the batch value."""
    _needs_batch(m)
    new_mean = running_mean + momentum * (batch_mean - running_mean)
    new_var = running_var + momentum * (batch_var * (m / (m - 1)) - running_var)
    return new_mean, new_var


def update_loops(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    _needs_batch(m)
    new_mean = np.empty_like(running_mean)
    new_var = np.empty_like(running_var)
    for j in range(len(running_mean)):
        new_mean[j] = (1 - momentum) * running_mean[j] + momentum * batch_mean[j]
        new_var[j] = (1 - momentum) * running_var[j] + momentum * batch_var[j] * m / (m - 1)
    return new_mean, new_var


test_right_update_accepted = accepted(
    check_update_running_stats, [update_right, update_lerp, update_loops], [0, 4, None],
    """Is a correct running-statistics update accepted, however written?""")


def _update(mean_rule, var_rule):
    def update_running_stats(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
        _needs_batch(m)
        return (mean_rule(running_mean, batch_mean, m, momentum),
                var_rule(running_var, batch_var, m, momentum))
    return update_running_stats


def _pt(r, b, m, mom):
    return (1 - mom) * r + mom * b


def _pt_var(r, b, m, mom):
    return (1 - mom) * r + mom * b * m / (m - 1)


def update_in_place(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    _needs_batch(m)
    running_mean *= 1 - momentum
    running_mean += momentum * batch_mean
    running_var *= 1 - momentum
    running_var += momentum * batch_var * m / (m - 1)
    return running_mean, running_var


def update_no_check(running_mean, running_var, batch_mean, batch_var, m, momentum=0.1):
    with np.errstate(all="ignore"):
        t = np.asarray(batch_var).dtype.type
        unbiased = batch_var * t(m) / t(m - 1)
    return (1 - momentum) * running_mean + momentum * batch_mean, \
        (1 - momentum) * running_var + momentum * unbiased


UPDATE_MISTAKES = [
    (_update(lambda r, b, m, mom: mom * r + (1 - mom) * b, _pt_var), "Keras's"),
    (_update(_pt, lambda r, b, m, mom: mom * r + (1 - mom) * b * m / (m - 1)), "Keras's"),
    (_update(_pt, _pt), "was not corrected"),
    (_update(_pt, lambda r, b, m, mom: (1 - mom) * r + mom * b * (m - 1) / m), "inverted"),
    (_update(_pt, lambda r, b, m, mom: _pt(r, b, m, mom) * m / (m - 1)), "whole average"),
    (_update(lambda r, b, m, mom: _pt(r, b, m, 0.1), _pt_var), "momentum argument was ignored"),
    (_update(lambda r, b, m, mom: _pt(r, b * m / (m - 1), m, mom), _pt_var),
     "only the variance is biased"),
    (_update(lambda r, b, m, mom: b, _pt_var), "replaced by the batch mean"),
    (_update(lambda r, b, m, mom: r, _pt_var), "running mean was not updated"),
    (update_in_place, "changed its input `running_mean` in place"),
    (update_no_check, "should raise ValueError"),
    (_update(lambda r, b, m, mom: _pt(r, b, m, mom).astype(np.float64), _pt_var),
     "dtype float64, expected float32"),
]


test_update_mistakes_rejected = mistakes_rejected(
    check_update_running_stats, UPDATE_MISTAKES,
    """Is each wrong update rejected with a message naming the mistake?""",
    ids=[w for _, w in UPDATE_MISTAKES])


def test_in_place_hint_does_not_reuse_the_batch_size_m():
    """Does the in-place hint say what to write, without `running_mean - m` (m is the batch
    size in that very function)?"""
    message = _rejected(check_update_running_stats, update_in_place,
                        ["new_mean = (1 - momentum) * running_mean + momentum * batch_mean",
                         "not `running_mean *= 1 - momentum`"])
    assert "- m`" not in message, message


# ---- population_statistics ---------------------------------------------------------------

def _validated(means, vars_, m):
    means, vars_ = np.asarray(means), np.asarray(vars_)
    if means.ndim != 2 or means.shape != vars_.shape:
        raise ValueError("batch_means and batch_vars must both be (K, D)")
    _needs_batch(m)
    return means, vars_


def population_right(batch_means, batch_vars, m):
    means, vars_ = _validated(batch_means, batch_vars, m)
    return means.mean(axis=0), m / (m - 1) * vars_.mean(axis=0)


def population_float64_inside(batch_means, batch_vars, m):
    means, vars_ = _validated(batch_means, batch_vars, m)
    k = means.shape[0]
    mean = means.astype(np.float64).sum(0) / k
    var = vars_.astype(np.float64).sum(0) / k * m / (m - 1)
    return mean.astype(means.dtype), var.astype(vars_.dtype)


test_right_population_statistics_accepted = accepted(
    check_population_statistics, [population_right, population_float64_inside], [0, 9, None],
    """Is a correct Algorithm 2 accepted?""")


def _population(mean_rule, var_rule):
    def population_statistics(batch_means, batch_vars, m):
        means, vars_ = _validated(batch_means, batch_vars, m)
        return mean_rule(means, m), var_rule(means, vars_, m)
    return population_statistics


def _mean(means, m):
    return means.mean(0)


def population_in_place(batch_means, batch_vars, m):
    means, vars_ = _validated(batch_means, batch_vars, m)
    vars_ *= m / (m - 1)
    return means.mean(0), vars_.mean(0)


POPULATION_MISTAKES = [
    (_population(_mean, lambda mu, v, m: v.mean(0)), "correction is missing"),
    (_population(_mean, lambda mu, v, m: v.mean(0) * (m - 1) / m), "inverted"),
    (_population(_mean, lambda mu, v, m: v.mean(0) * len(v) / (len(v) - 1)),
     "not the number of batches"),
    (_population(_mean, lambda mu, v, m: mu.var(0)), "variance of the batch means"),
    (_population(_mean, lambda mu, v, m: v.mean(0) + mu.var(0)), "pooled data"),
    (_population(lambda mu, m: mu.mean(0) * m / (m - 1), lambda mu, v, m: v.mean(0) * m / (m - 1)),
     "only the variance is corrected"),
    (_population(lambda mu, m: mu.sum(0), lambda mu, v, m: v.mean(0) * m / (m - 1)), "summed"),
    (_population(lambda mu, m: mu.mean(1), lambda mu, v, m: v.mean(1) * m / (m - 1)), "shape"),
    (lambda bm, bv, m: population_right(np.atleast_2d(bm), np.atleast_2d(bv), m),
     "should raise ValueError"),
    (population_in_place, ["changed its input `batch_vars` in place",
                           "not `batch_vars *= m / (m - 1)`"]),
]


test_population_mistakes_rejected = mistakes_rejected(
    check_population_statistics, POPULATION_MISTAKES,
    """Is each wrong Algorithm 2 rejected with a message naming the mistake?""",
    ids=[w if isinstance(w, str) else w[0] for _, w in POPULATION_MISTAKES])


# ---- batchnorm_inference -----------------------------------------------------------------

def _validated_x(x, gamma):
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != np.shape(gamma)[0]:
        raise ValueError("x must be (N, D) with D = len(gamma)")
    return x


def inference_right(x, gamma, beta, running_mean, running_var, eps=1e-5):
    x = _validated_x(x, gamma)
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta


def inference_folded(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Algorithm 2's last line: one scale and one shift per feature."""
    x = _validated_x(x, gamma)
    scale = gamma / np.sqrt(running_var + eps)
    return x * scale + (beta - scale * running_mean)


test_right_inference_accepted = accepted(
    check_batchnorm_inference, [inference_right, inference_folded], [0, 2, None],
    """Is a correct inference-mode batch norm accepted, in either form?""")


def _inference(rule):
    def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
        x = _validated_x(x, gamma)
        return rule(x, gamma, beta, running_mean, running_var, eps)
    return batchnorm_inference


def batch_stats_at_inference(x, gamma, beta, rm, rv, eps=1e-5):
    x = _validated_x(x, gamma)
    if x.shape[0] == 1:
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta


def inference_in_place(x, gamma, beta, running_mean, running_var, eps=1e-5):
    x = _validated_x(x, gamma)
    x -= running_mean
    return gamma * x / np.sqrt(running_var + eps) + beta


INFERENCE_MISTAKES = [
    (batch_stats_at_inference, "batch's own statistics"),
    (_inference(lambda x, g, b, rm, rv, e: g * (x - rm) / (rv + e) + b), "instead of its square"),
    (_inference(lambda x, g, b, rm, rv, e: g * (x - rm) / (np.sqrt(rv) + e) + b), "outside"),
    (_inference(lambda x, g, b, rm, rv, e: g * (x - rm) / np.sqrt(rv + 1e-5) + b), "ignored"),
    (_inference(lambda x, g, b, rm, rv, e: b * (x - rm) / np.sqrt(rv + e) + g), "swapped"),
    (_inference(lambda x, g, b, rm, rv, e: g * (x - rm) / np.sqrt(rv + e)), "beta was not added"),
    (_inference(lambda x, g, b, rm, rv, e: g * x / np.sqrt(rv + e) + b), "not subtracted"),
    (lambda x, g, b, rm, rv, eps=1e-5: torch.nn.functional.batch_norm(
        torch.from_numpy(np.asarray(x)), torch.from_numpy(rm), torch.from_numpy(rv),
        torch.from_numpy(g), torch.from_numpy(b), training=False, eps=eps).numpy(),
     "torch's batch_norm"),
    (inference_in_place, ["changed its input `x` in place", "x_centered = x - running_mean"]),
]


test_inference_mistakes_rejected = mistakes_rejected(
    check_batchnorm_inference, INFERENCE_MISTAKES,
    """Is each wrong inference pass rejected with a message naming the mistake?""",
    ids=[w if isinstance(w, str) else w[0] for _, w in INFERENCE_MISTAKES])


# ---- BatchNorm1d -------------------------------------------------------------------------

class RightBN:
    """A correct module, written independently of the reference (a staged backward)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.d, self.eps, self.momentum = num_features, eps, momentum
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.num_batches_tracked = 0
        self.training = True
        self.cache = None

    def train(self, mode=True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)

    def _check(self, x):
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.d:
            raise ValueError(f"expected (N, {self.d})")
        return x

    def batch_stats(self, x):
        return x.mean(0), x.var(0)

    def weight(self):
        """The weight of the new batch (momentum=None: the cumulative average)."""
        if self.momentum is None:
            return 1 / (self.num_batches_tracked + 1)
        return self.momentum

    def update(self, mean, var, m):
        mom = self.weight()
        self.running_mean = (1 - mom) * self.running_mean + mom * mean
        self.running_var = (1 - mom) * self.running_var + mom * var * m / (m - 1)
        self.num_batches_tracked += 1

    def forward(self, x):
        x = self._check(x)
        if self.training:
            if x.shape[0] < 2:
                raise ValueError("need two examples in training mode")
            mean, var = self.batch_stats(x)
            self.update(mean, var, x.shape[0])
        else:
            mean, var = self.running_mean, self.running_var
        xmu = x - mean
        istd = 1 / np.sqrt(var + self.eps)
        self.cache = {"train": self.training, "xmu": xmu, "istd": istd, "gamma": self.gamma.copy(),
                      "dtype": x.dtype}
        out = self.gamma * xmu * istd + self.beta
        return out.astype(x.dtype)

    def backward(self, dout):
        if self.cache is None:
            raise ValueError("forward first")
        c = self.cache
        dout = np.asarray(dout)
        if dout.shape != c["xmu"].shape:
            raise ValueError("dout must have the shape of the output")
        x_hat = c["xmu"] * c["istd"]
        dgamma, dbeta = (dout * x_hat).sum(0), dout.sum(0)
        dxhat = dout * c["gamma"]
        if not c["train"]:
            return (dxhat * c["istd"]).astype(c["dtype"]), dgamma, dbeta
        m = dout.shape[0]
        dvar = (dxhat * c["xmu"]).sum(0) * -0.5 * c["istd"] ** 3
        dmean = -(dxhat * c["istd"]).sum(0) + dvar * (-2 * c["xmu"]).mean(0)
        dx = dxhat * c["istd"] + dvar * 2 * c["xmu"] / m + dmean / m
        return dx.astype(c["dtype"]), dgamma, dbeta

    def parameters(self):
        return {"gamma": self.gamma, "beta": self.beta}

    def buffers(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var,
                "num_batches_tracked": self.num_batches_tracked}

    def state_dict(self):
        return copy.deepcopy({**self.parameters(), **self.buffers()})


class CountersAndInPlace(RightBN):
    """Right too: a numpy counter, in-place buffer updates, float64 parameter gradients for a
    float32 batch, and a closed-form backward."""

    def update(self, mean, var, m):
        mom = self.weight()
        self.running_mean *= 1 - mom
        self.running_mean += mom * mean
        self.running_var *= 1 - mom
        self.running_var += mom * var * m / (m - 1)
        self.num_batches_tracked = np.int64(self.num_batches_tracked + 1)

    def backward(self, dout):
        if self.cache is None:
            raise ValueError("forward first")
        c = self.cache
        dout = np.asarray(dout, dtype=np.float64)
        if dout.shape != c["xmu"].shape:
            raise ValueError("dout must have the shape of the output")
        x_hat = c["xmu"] * c["istd"]
        dgamma, dbeta = (dout * x_hat).sum(0), dout.sum(0)
        if c["train"]:
            m = dout.shape[0]
            dx = c["gamma"] * c["istd"] / m * (m * dout - dbeta - x_hat * dgamma)
        else:
            dx = dout * c["gamma"] * c["istd"]
        return dx.astype(c["dtype"]), dgamma.astype(np.float64), dbeta.astype(np.float64)

    def state_dict(self):
        return {k: np.array(v) for k, v in {**self.parameters(), **self.buffers()}.items()}


class ParametersInADict(RightBN):
    """Right too: the parameters live in a dict that forward reads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = {"gamma": self.gamma, "beta": self.beta}

    def parameters(self):
        return self.params


test_right_modules_accepted = accepted(
    check_BatchNorm1d, [RightBN, CountersAndInPlace, ParametersInADict], [0, 6, None],
    """Is a correct module accepted, forward and backward, however its state is kept?""",
    argname="cls")


class KerasMomentum(RightBN):
    def update(self, mean, var, m):
        mom = self.momentum
        self.running_mean = mom * self.running_mean + (1 - mom) * mean
        self.running_var = mom * self.running_var + (1 - mom) * var * m / (m - 1)
        self.num_batches_tracked += 1


class CS231nRule(RightBN):
    """CS231n's assignment pasted in: momentum on the old value, the biased variance."""

    def update(self, mean, var, m):
        mom = self.momentum
        self.running_mean = mom * self.running_mean + (1 - mom) * mean
        self.running_var = mom * self.running_var + (1 - mom) * var
        self.num_batches_tracked += 1


class CS231nDefault(RightBN):
    """CS231n's default momentum 0.9 hard-coded, on the old value, with the biased variance."""

    def update(self, mean, var, m):
        self.running_mean = 0.9 * self.running_mean + 0.1 * mean
        self.running_var = 0.9 * self.running_var + 0.1 * var
        self.num_batches_tracked += 1


class CS231nStartValues(RightBN):
    """CS231n's bn_param.get('running_var', np.zeros(D))."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.running_var = np.zeros(self.d)


class NoCorrection(RightBN):
    def update(self, mean, var, m):
        super().update(mean, var * (m - 1) / m, m)


class InvertedCorrection(RightBN):
    def update(self, mean, var, m):
        super().update(mean, var * ((m - 1) / m) ** 2, m)


class BatchStatsInEval(RightBN):
    def forward(self, x):
        x = self._check(x)
        if not self.training and x.shape[0] > 1:
            mean, var = self.batch_stats(x)
            return self.gamma * (x - mean) / np.sqrt(var + self.eps) + self.beta
        return super().forward(x)


class FrozenBuffers(RightBN):
    def update(self, mean, var, m):
        self.num_batches_tracked += 1


class NoCounter(RightBN):
    def update(self, mean, var, m):
        super().update(mean, var, m)
        self.num_batches_tracked -= 1


class UpdatesInEval(RightBN):
    def forward(self, x):
        x = self._check(x)
        if not self.training and x.shape[0] > 1:
            self.update(*self.batch_stats(x), x.shape[0])
        return super().forward(x)


class UpdatesAfterEvalOutput(RightBN):
    def forward(self, x):
        out = super().forward(x)
        x = np.asarray(x)
        if not self.training and x.shape[0] > 1:
            self.update(*self.batch_stats(x), x.shape[0])
        return out


class NeverEval(RightBN):
    def eval(self):
        return self


class RunningStatsInTraining(RightBN):
    def forward(self, x):
        x = self._check(x)
        if self.training:
            if x.shape[0] < 2:
                raise ValueError("two examples")
            out = self.gamma * (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
            self.update(*self.batch_stats(x), x.shape[0])
            return out + self.beta
        return super().forward(x)


class UnbiasedNormalization(RightBN):
    def batch_stats(self, x):
        return x.mean(0), x.var(0, ddof=1)

    def update(self, mean, var, m):
        super().update(mean, var * (m - 1) / m, m)


class BuffersAsParameters(RightBN):
    def parameters(self):
        return {**super().parameters(), "running_mean": self.running_mean,
                "running_var": self.running_var}


class ParametersOnlyCheckpoint(RightBN):
    def state_dict(self):
        return copy.deepcopy(self.parameters())


class ParametersCopies(RightBN):
    """The stub asks for the layer's own arrays; an optimizer's update would be lost."""

    def parameters(self):
        return {"gamma": self.gamma.copy(), "beta": self.beta.copy()}


class ParametersCopiedOnce(RightBN):
    """parameters() returns the same dict every time, but of copies forward never reads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.params = {"gamma": self.gamma.copy(), "beta": self.beta.copy()}

    def parameters(self):
        return self.params


class BetaCopied(RightBN):
    def parameters(self):
        return {"gamma": self.gamma, "beta": np.array(self.beta)}


class CheckpointOfReferences(CountersAndInPlace):
    """state_dict() as PyTorch's: references, which later training changes."""

    def state_dict(self):
        return {**self.parameters(), **self.buffers()}


class CheckpointOfParameterReferences(RightBN):
    """Buffers are replaced each batch (so they look like copies); gamma and beta are not."""

    def state_dict(self):
        return {**self.parameters(), **self.buffers()}


class EvalNeedsTwo(RightBN):
    def forward(self, x):
        if np.asarray(x).shape[0] < 2:
            raise ValueError("need two examples")
        return super().forward(x)


class InPlaceInput(RightBN):
    def forward(self, x):
        out = super().forward(x)
        if self.training:
            x -= x.mean(0)
        return out


class MomentumIgnored(RightBN):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__(num_features, eps=eps)


class MomentumNoneCrashes(RightBN):
    def weight(self):
        return self.momentum


class MomentumNoneAsDefault(RightBN):
    def weight(self):
        return 0.1 if self.momentum is None else self.momentum


class MomentumNoneOffByOne(RightBN):
    def weight(self):
        return 1 / (self.num_batches_tracked + 2) if self.momentum is None else self.momentum


class MomentumNoneSizeWeighted(RightBN):
    """Pools the batches: each weighs its size, not 1 / k."""

    seen = 0

    def update(self, mean, var, m):
        if self.momentum is not None:
            return super().update(mean, var, m)
        w = m / (self.seen + m)
        self.seen += m
        self.running_mean = (1 - w) * self.running_mean + w * mean
        self.running_var = (1 - w) * self.running_var + w * var * m / (m - 1)
        self.num_batches_tracked += 1


class MomentumZeroAsNone(RightBN):
    """`momentum or ...`: a momentum of 0 is taken for None."""

    def weight(self):
        return self.momentum or 1 / (self.num_batches_tracked + 1)


class Float64Out(RightBN):
    def forward(self, x):
        return super().forward(x).astype(np.float64)


class WrapsTorch(RightBN):
    def forward(self, x):
        out = torch.nn.functional.batch_norm(
            torch.from_numpy(np.asarray(x, dtype=np.float64)), torch.from_numpy(self.running_mean),
            torch.from_numpy(self.running_var), torch.from_numpy(self.gamma),
            torch.from_numpy(self.beta), training=self.training, momentum=self.momentum,
            eps=self.eps)
        return out.numpy().astype(np.asarray(x).dtype)


class StartsInEval(RightBN):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.training = False


class NoStateDict(RightBN):
    state_dict = None


MODULE_MISTAKES = [
    (KerasMomentum, ["weight of the OLD value", "Keras", "CS231n"]),
    (CS231nRule, ["weight of the OLD value", "was not corrected"]),
    (CS231nDefault, ["biased batch variances", "CS231n"]),
    (CS231nStartValues, "running_var starts at zeros, as in CS231n's assignment"),
    (NoCorrection, "multiply each by m / (m - 1)"),
    (InvertedCorrection, "inverted"),
    (BatchStatsInEval, "eval mode used the batch's statistics"),
    (FrozenBuffers, "the buffers do not update"),
    (NoCounter, "num_batches_tracked is 0"),
    (UpdatesInEval, "eval mode updated the running statistics"),
    (UpdatesAfterEvalOutput, "changed in eval mode"),
    (NeverEval, "after eval(), bn.training should be False"),
    (RunningStatsInTraining, "training mode normalized with the running statistics"),
    (UnbiasedNormalization, "unbiased variance was used to normalize"),
    (BuffersAsParameters, "are not parameters"),
    (ParametersOnlyCheckpoint, "A checkpoint needs the parameters AND the buffers"),
    (ParametersCopies, ["parameters() returned copies", "in place"]),
    (ParametersCopiedOnce, ["did not change forward's output", "parameters() returned copies"]),
    (BetaCopied, ["parameters()['beta'] in place did not change", "copies"]),
    (CheckpointOfReferences, ["the checkpoint changed after it was taken", "return copies"]),
    (CheckpointOfParameterReferences, ["state_dict()['gamma'] followed the layer"]),
    (EvalNeedsTwo, "forward raised ValueError"),
    (InPlaceInput, ["changed its input `x` in place", "x_centered = x - mean"]),
    (MomentumIgnored, "momentum given to the constructor was ignored"),
    (MomentumNoneCrashes, ["raised TypeError", "momentum=None means a cumulative average"]),
    (MomentumNoneAsDefault, "momentum=None was treated as 0.1"),
    (MomentumNoneOffByOne, "the cumulative average is off by one"),
    (MomentumNoneSizeWeighted, "weighted by their size"),
    (MomentumZeroAsNone, ["momentum=0 keeps the start values", "self.momentum is None"]),
    (Float64Out, "dtype float64, expected float32"),
    (WrapsTorch, "torch's batch_norm"),
    (StartsInEval, "bn.training should be True"),
    (NoStateDict, "no method state_dict()"),
]


test_module_mistakes_rejected = mistakes_rejected(
    check_BatchNorm1d, MODULE_MISTAKES,
    """Is each wrong module rejected with a message naming the mistake?""",
    ids=[c.__name__ for c, _ in MODULE_MISTAKES])


@pytest.mark.parametrize("cls, words", MODULE_MISTAKES[:3], ids=["keras", "cs231n", "default"])
def test_pasted_conventions_are_named_in_the_forward_part_alone(cls, words):
    """Does the test cell of the forward part (part="forward") name them too?"""
    with pytest.raises(CheckFailure) as info:
        check_BatchNorm1d(cls, seed=0, part="forward")
    for w in [words] if isinstance(words, str) else words:
        assert w in str(info.value), str(info.value)


# ---- BatchNorm1d.backward ----------------------------------------------------------------

class NoBackward(RightBN):
    def backward(self, dout):
        raise NotImplementedError()


def test_forward_part_passes_without_a_backward():
    """Does a module whose backward is not written yet earn the forward part's points?"""
    check_BatchNorm1d(NoBackward, seed=0, part="forward")
    check_BatchNorm1d(NoBackward, seed=None, hidden=True, part="forward")
    _rejected(lambda cls, **kw: check_BatchNorm1d(cls, part="backward", **kw), NoBackward,
              "backward is not written yet")


class ConstantStatsGradient(RightBN):
    """The eval-mode (affine) gradient used in training mode too."""

    def backward(self, dout):
        dx, dgamma, dbeta = super().backward(dout)
        c = self.cache
        return (dout * c["gamma"] * c["istd"]).astype(dx.dtype), dgamma, dbeta


class ModeAtBackwardTime(RightBN):
    """Decides the formula by the mode the layer is in now, not the one the forward ran in."""

    def backward(self, dout):
        if self.cache is None:
            return super().backward(dout)
        ran_in = self.cache["train"]
        self.cache["train"] = self.training
        try:
            return super().backward(dout)
        finally:
            self.cache["train"] = ran_in


class TrainingFormulaInEval(RightBN):
    def backward(self, dout):
        if self.cache is not None:
            self.cache["train"] = True
        return super().backward(dout)


class GradientWithoutGamma(RightBN):
    def backward(self, dout):
        if self.cache is not None:
            self.cache["gamma"] = np.ones_like(self.cache["gamma"])
        return super().backward(dout)


class AveragedParameterGradients(RightBN):
    def backward(self, dout):
        dx, dgamma, dbeta = super().backward(dout)
        m = np.shape(dout)[0]
        return dx, dgamma / m, dbeta / m


class SwappedParameterGradients(RightBN):
    def backward(self, dout):
        dx, dgamma, dbeta = super().backward(dout)
        return dx, dbeta, dgamma


class DgammaOfX(RightBN):
    def forward(self, x):
        self.x = np.asarray(x, dtype=np.float64)
        return super().forward(x)

    def backward(self, dout):
        dx, dgamma, dbeta = super().backward(dout)
        return dx, (dout * self.x).sum(0), dbeta


class StepsInsideBackward(RightBN):
    """Updates gamma and beta itself: the optimizer's job."""

    def backward(self, dout):
        dx, dgamma, dbeta = super().backward(dout)
        self.gamma -= 0.01 * dgamma
        self.beta -= 0.01 * dbeta
        return dx, dgamma, dbeta


class CacheOnlyInTraining(RightBN):
    """Keeps the cache of the last *training* forward: backward after an eval forward is stale."""

    def forward(self, x):
        old = self.cache
        out = super().forward(x)
        if not self.training and old is not None:
            self.cache = old
        return out


class BackwardWithoutChecks(RightBN):
    """CS231n's backward pasted in: no ValueError before a forward or for a wrong dout."""

    def backward(self, dout):
        c = self.cache
        x_hat = c["xmu"] * c["istd"]
        dgamma, dbeta = (dout * x_hat).sum(0), dout.sum(0)
        m = x_hat.shape[0]
        if c["train"]:
            dx = c["gamma"] * c["istd"] / m * (m * dout - dbeta - x_hat * dgamma)
        else:
            dx = dout * c["gamma"] * c["istd"]
        return dx.astype(c["dtype"]), dgamma, dbeta


class BroadcastsWrongDout(RightBN):
    """Checks that a forward ran, but lets a (4, 1) dout broadcast."""

    def backward(self, dout):
        if self.cache is None:
            raise ValueError("forward first")
        return BackwardWithoutChecks.backward(self, np.asarray(dout))


class ChangesDout(RightBN):
    def backward(self, dout):
        dx, dgamma, dbeta = super().backward(dout)
        dout *= 2
        return dx, dgamma, dbeta


class AutogradBackward(RightBN):
    """Lets torch's autograd differentiate a forward redone in torch."""

    def forward(self, x):
        self.x = np.asarray(x)
        return super().forward(x)

    def backward(self, dout):
        c = self.cache
        if c is None:
            raise ValueError("forward first")
        if np.shape(dout) != c["xmu"].shape:
            raise ValueError("shape")
        x = torch.tensor(np.asarray(self.x, dtype=np.float64), requires_grad=True)
        g = torch.tensor(c["gamma"], requires_grad=True)
        b = torch.zeros(self.d, dtype=torch.float64, requires_grad=True)
        if c["train"]:
            mean = x.mean(0)
            var = (x - mean).pow(2).mean(0)
        else:
            mean, var = torch.from_numpy(self.running_mean), torch.from_numpy(self.running_var)
        out = g * (x - mean) / torch.sqrt(var + self.eps) + b
        out.backward(torch.from_numpy(np.asarray(dout, dtype=np.float64)))
        return (x.grad.numpy().astype(c["dtype"]), g.grad.numpy(), b.grad.numpy())


class Float64Dx(RightBN):
    def backward(self, dout):
        dx, dgamma, dbeta = super().backward(dout)
        return dx.astype(np.float64), dgamma, dbeta


BACKWARD_MISTAKES = [
    (ConstantStatsGradient, "treats the batch mean and variance as constants"),
    (ModeAtBackwardTime, ["backward used the mode the layer is in now", "eval() was called"]),
    (TrainingFormulaInEval, "the training-mode formula was used in eval mode"),
    (GradientWithoutGamma, "dx leaves out gamma"),
    (AveragedParameterGradients, "dgamma was averaged over the batch"),
    (SwappedParameterGradients, "swapped"),
    (DgammaOfX, "not sum(dout * x)"),
    (StepsInsideBackward, ["backward changed gamma", "an optimizer updates the parameters"]),
    (CacheOnlyInTraining, ["raised ValueError", "shape of the last forward's output",
                           "the cache of an earlier forward"]),
    (BackwardWithoutChecks, ["backward before any forward", "should raise ValueError"]),
    (BroadcastsWrongDout, ["dout.shape=(4, 1)", "should raise ValueError"]),
    (ChangesDout, ["changed its input `dout` in place", "dx = dout * ..."]),
    (AutogradBackward, "calls torch's backward"),
    (Float64Dx, "dtype float64, expected float32"),
]


@pytest.mark.parametrize("cls, words", BACKWARD_MISTAKES,
                         ids=[c.__name__ for c, _ in BACKWARD_MISTAKES])
def test_backward_mistakes_rejected(cls, words):
    """Is each wrong backward rejected by the backward part, with a message naming it?"""
    _rejected(lambda c, **kw: check_BatchNorm1d(c, part="backward", **kw), cls, words)
    check_BatchNorm1d(cls, seed=0, part="forward")   # and the forward part still passes


def test_mode_switch_after_an_eval_forward_is_named_too():
    """After an eval forward then train(), is a backward that follows the mode now named?"""
    class ModeNowInEvalSteps(ModeAtBackwardTime):
        def backward(self, dout):
            if self.cache is None or self.cache["train"]:   # wrong only after eval forwards
                return RightBN.backward(self, dout)
            return super().backward(dout)

    _rejected(lambda c, **kw: check_BatchNorm1d(c, part="backward", **kw), ModeNowInEvalSteps,
              ["backward used the mode the layer is in now", "train() was called"])


def test_an_unknown_part_is_a_value_error():
    """Does a typo in part= fail loudly instead of checking nothing?"""
    with pytest.raises(ValueError, match="part must be one of"):
        check_BatchNorm1d(RightBN, part="backwards")


def test_an_instance_instead_of_the_class_is_explained():
    """Does passing BatchNorm1d(3) instead of BatchNorm1d get a message, not a traceback?"""
    _rejected(check_BatchNorm1d, RightBN(3), "not an instance")


def test_reference_class_is_rejected_by_the_tripwire():
    """Does a class that delegates to the course's reference fail?"""
    class Delegates(RightBN):
        def forward(self, x):
            return ref.batchnorm_inference(x, self.gamma, self.beta, self.running_mean,
                                           self.running_var, self.eps) if not self.training \
                else super().forward(x)
    _rejected(check_BatchNorm1d, Delegates, "course_utils.reference")


def _memorise_visible_population():
    """The visible test's answers (seed 0), keyed by the input, as a student could copy them."""
    from course_utils.checks._core import make_rng

    seed, rng = make_rng(0)
    memo = {}
    original = check_population_statistics.__globals__["call_student"]

    def spy(fn, *args, **kwargs):
        result = original(fn, *args, **kwargs)
        memo[np.asarray(args[0]).tobytes()] = tuple(np.copy(r) for r in result)
        return result

    check_population_statistics.__globals__["call_student"] = spy
    try:
        check_population_statistics(population_right, seed=0)
    finally:
        check_population_statistics.__globals__["call_student"] = original
    return memo


def test_hard_coded_population_passes_visible_but_not_hidden():
    """Do answers memorised from the visible test fail the hidden test's other seeds?"""
    memo = _memorise_visible_population()

    def hard_coded(batch_means, batch_vars, m):
        _validated(batch_means, batch_vars, m)
        d = np.shape(batch_means)[1]
        return memo.get(np.asarray(batch_means).tobytes(), (np.zeros(d), np.zeros(d)))

    check_population_statistics(hard_coded, seed=0)
    with pytest.raises(CheckFailure):
        check_population_statistics(hard_coded, seed=5050, hidden=True)
