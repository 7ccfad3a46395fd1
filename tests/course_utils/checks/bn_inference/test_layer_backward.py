"""Does check_BatchNorm1d's backward part (notebook 05) accept a right backward and name each
wrong one of its catalogue?"""

import numpy as np
import pytest
import torch

from course_utils.checks import check_BatchNorm1d
from tests.helpers import rejected

from .test_layer import RightBN

pytestmark = pytest.mark.nb05

_rejected = rejected


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
