"""Does check_BatchNorm1d (notebook 05) accept a right module however its state is kept, and
name each wrong module of its catalogue (forward part)?"""

import copy

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import CheckFailure, check_BatchNorm1d
from tests.helpers import accepted, mistakes_rejected, rejected

pytestmark = pytest.mark.nb05

_rejected = rejected


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
