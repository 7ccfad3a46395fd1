"""Do the notebook 05 checks reject the mistakes students make and accept any right answer?"""

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import (
    CheckFailure, check_batchnorm_inference, check_BatchNorm1d, check_population_statistics,
    check_update_running_stats,
)

from tests.helpers import rejected

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


@pytest.mark.parametrize("student", [update_right, update_lerp, update_loops])
@pytest.mark.parametrize("seed", [0, 4, None])
def test_right_update_accepted(student, seed):
    """Is a correct running-statistics update accepted, however written?"""
    check_update_running_stats(student, seed=seed, hidden=True)


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


@pytest.mark.parametrize("student, words", UPDATE_MISTAKES, ids=[w for _, w in UPDATE_MISTAKES])
def test_update_mistakes_rejected(student, words):
    """Is each wrong update rejected with a message naming the mistake?"""
    _rejected(check_update_running_stats, student, words)


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


@pytest.mark.parametrize("student", [population_right, population_float64_inside])
@pytest.mark.parametrize("seed", [0, 9, None])
def test_right_population_statistics_accepted(student, seed):
    """Is a correct Algorithm 2 accepted?"""
    check_population_statistics(student, seed=seed, hidden=True)


def _population(mean_rule, var_rule):
    def population_statistics(batch_means, batch_vars, m):
        means, vars_ = _validated(batch_means, batch_vars, m)
        return mean_rule(means, m), var_rule(means, vars_, m)
    return population_statistics


def _mean(means, m):
    return means.mean(0)


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
]


@pytest.mark.parametrize("student, words", POPULATION_MISTAKES,
                         ids=[w for _, w in POPULATION_MISTAKES])
def test_population_mistakes_rejected(student, words):
    """Is each wrong Algorithm 2 rejected with a message naming the mistake?"""
    _rejected(check_population_statistics, student, words)


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


@pytest.mark.parametrize("student", [inference_right, inference_folded])
@pytest.mark.parametrize("seed", [0, 2, None])
def test_right_inference_accepted(student, seed):
    """Is a correct inference-mode batch norm accepted, in either form?"""
    check_batchnorm_inference(student, seed=seed, hidden=True)


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
]


@pytest.mark.parametrize("student, words", INFERENCE_MISTAKES,
                         ids=[w for _, w in INFERENCE_MISTAKES])
def test_inference_mistakes_rejected(student, words):
    """Is each wrong inference pass rejected with a message naming the mistake?"""
    _rejected(check_batchnorm_inference, student, words)


# ---- BatchNorm1d -------------------------------------------------------------------------

class RightBN:
    """A correct module, written independently of the reference."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.d, self.eps, self.momentum = num_features, eps, momentum
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.num_batches_tracked = 0
        self.training = True

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

    def update(self, mean, var, m):
        mom = self.momentum
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
        out = self.gamma * (x - mean) / np.sqrt(var + self.eps) + self.beta
        return out.astype(x.dtype)

    def parameters(self):
        return {"gamma": self.gamma, "beta": self.beta}

    def buffers(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var,
                "num_batches_tracked": self.num_batches_tracked}

    def state_dict(self):
        return {**self.parameters(), **self.buffers()}


class CopiesAndCounters(RightBN):
    """Right too: parameters() returns copies (set through attributes), a numpy counter,
    float32 buffers for float32 input, and in-place buffer updates."""

    def parameters(self):
        return {"gamma": self.gamma.copy(), "beta": self.beta.copy()}

    def update(self, mean, var, m):
        self.running_mean *= 1 - self.momentum
        self.running_mean += self.momentum * mean
        self.running_var *= 1 - self.momentum
        self.running_var += self.momentum * var * m / (m - 1)
        self.num_batches_tracked = np.int64(self.num_batches_tracked + 1)

    def state_dict(self):
        return {k: np.array(v) for k, v in {**self.parameters(), **self.buffers()}.items()}


@pytest.mark.parametrize("cls", [RightBN, CopiesAndCounters])
@pytest.mark.parametrize("seed", [0, 6, None])
def test_right_modules_accepted(cls, seed):
    """Is a correct module accepted, whether its parameters() returns views or copies?"""
    check_BatchNorm1d(cls, seed=seed, hidden=True)


class KerasMomentum(RightBN):
    def update(self, mean, var, m):
        mom = self.momentum
        self.running_mean = mom * self.running_mean + (1 - mom) * mean
        self.running_var = mom * self.running_var + (1 - mom) * var * m / (m - 1)
        self.num_batches_tracked += 1


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
        return dict(self.parameters())


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
    (KerasMomentum, "Keras's"),
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
    (EvalNeedsTwo, "forward raised ValueError"),
    (InPlaceInput, "changed its input `x` in place"),
    (MomentumIgnored, "momentum given to the constructor was ignored"),
    (Float64Out, "dtype float64, expected float32"),
    (WrapsTorch, "torch's batch_norm"),
    (StartsInEval, "bn.training should be True"),
    (NoStateDict, "no method state_dict()"),
]


@pytest.mark.parametrize("cls, words", MODULE_MISTAKES, ids=[w for _, w in MODULE_MISTAKES])
def test_module_mistakes_rejected(cls, words):
    """Is each wrong module rejected with a message naming the mistake?"""
    _rejected(check_BatchNorm1d, cls, words)


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
