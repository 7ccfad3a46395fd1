"""Does check_bias_drift (notebook 02) accept any right loop and name each mistake of its
catalogue?"""

import numpy as np
import pytest
import torch

from course_utils import reference as ref
from course_utils.checks import check_bias_drift
from tests.helpers import accepted
from tests.helpers import rejected as _rejects

pytestmark = pytest.mark.nb02


# ---- bias_drift ----------------------------------------------------------------------------

def drift_right(u, t, lr, n_steps):
    u = np.asarray(u)
    b = 0.0
    bs, losses = [], []
    for _ in range(n_steps + 1):
        x = u + b
        x_hat = x - x.mean()
        bs.append(b)
        losses.append(0.5 * np.sum((x_hat - t) ** 2))
        b = b - lr * np.sum(x_hat - t)
    return np.array(bs, dtype=u.dtype), np.array(losses, dtype=u.dtype)


def drift_closed_form(u, t, lr, n_steps):
    """Knows the answer: b_k = k * lr * sum(t), the loss never changes (float64 inside)."""
    u64 = np.asarray(u, dtype=np.float64)
    t64 = np.broadcast_to(np.asarray(t, dtype=np.float64), u64.shape)
    b = lr * t64.sum() * np.arange(n_steps + 1)
    loss = np.full(n_steps + 1, 0.5 * np.sum((u64 - u64.mean() - t64) ** 2))
    return b.astype(np.asarray(u).dtype), loss.astype(np.asarray(u).dtype)


def drift_torch(u, t, lr, n_steps):
    """torch autograd with the mean detached: the gradient that ignores mean(x)'s dependence."""
    ut = torch.from_numpy(np.ascontiguousarray(u))
    tt = torch.as_tensor(t, dtype=ut.dtype)
    b = torch.zeros((), dtype=ut.dtype, requires_grad=True)
    bs, losses = [], []
    for k in range(n_steps + 1):
        x = ut + b
        loss = 0.5 * ((x - x.mean().detach() - tt) ** 2).sum()
        bs.append(b.item())
        losses.append(loss.item())
        if k < n_steps:
            loss.backward()
            with torch.no_grad():
                b -= lr * b.grad
            b.grad = None
    return np.array(bs, dtype=u.dtype), np.array(losses, dtype=u.dtype)


test_right_bias_drift_accepted = accepted(
    check_bias_drift, [drift_right, drift_closed_form, drift_torch], [0, 7, None],
    """Is any correct bias_drift accepted (a loop, the closed form, torch autograd)?""")


def _drift(update="sum", sign=-1.0, loss="sum", half=0.5, center=True, initial=True,
           extra=False, true_gradient=False):
    def bias_drift(u, t, lr, n_steps):
        u = np.asarray(u)
        b = 0.0
        bs, losses = [], []

        def record(b):
            x = u + b
            x_hat = x - x.mean() if center else x
            err = (x_hat - t) ** 2
            bs.append(b)
            losses.append(half * (err.sum() if loss == "sum" else err.mean()))

        if initial:
            record(b)
        for _ in range(n_steps):
            x = u + b
            x_hat = x - x.mean() if center else x
            g = np.sum(x_hat - t) if update == "sum" else np.mean(x_hat - t)
            if true_gradient:
                g = np.sum((x_hat - t) * (1 - 1))  # d x_hat / d b = 1 - d mean / d b = 0
            b = b + sign * lr * g
            record(b)
        if extra:
            record(b)
        return np.array(bs, dtype=u.dtype), np.array(losses, dtype=u.dtype)
    return bias_drift


DRIFT_MISTAKES = [
    (_drift(true_gradient=True), "true gradient"),
    (_drift(sign=1.0), "wrong way"),
    (_drift(update="mean"), "update uses mean(x_hat - t)"),
    (_drift(loss="mean"), "the loss uses a mean"),
    (_drift(half=1.0), "missing the factor 0.5"),
    (_drift(center=False), "mean was not subtracted"),
    (_drift(initial=False), "one too few"),
    (_drift(extra=True), "one too many"),
    (lambda u, t, lr, n_steps: drift_right(u, t, lr, n_steps)[0], "(b_history, loss_history)"),
    (lambda u, t, lr, n_steps: ref.bias_drift(u, t, lr, n_steps), "course_utils.reference"),
]


@pytest.mark.parametrize("student, words", DRIFT_MISTAKES,
                         ids=[str(w) for _, w in DRIFT_MISTAKES])
def test_bias_drift_mistakes_rejected(student, words):
    """Is each bias-drift mistake rejected with a message that names it?"""
    _rejects(check_bias_drift, student, words)


def test_bias_drift_in_place_rejected():
    """Is a bias_drift that adds b into u in place rejected?"""
    def in_place(u, t, lr, n_steps):
        u = np.asarray(u)
        bs, losses, b = [], [], 0.0
        for k in range(n_steps + 1):
            x_hat = u - u.mean()
            bs.append(b)
            losses.append(0.5 * np.sum((x_hat - t) ** 2))
            step = -lr * np.sum(x_hat - t)
            u += step
            b += step
        return np.array(bs, dtype=u.dtype), np.array(losses, dtype=u.dtype)
    _rejects(check_bias_drift, in_place, "in place")
