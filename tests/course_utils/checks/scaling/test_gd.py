"""Does check_gd_linear_regression (notebook 01) accept any right run and name each mistake of
its catalogue?"""

import numpy as np
import pytest
import torch

from course_utils.checks import check_gd_linear_regression
from tests.helpers import accepted
from tests.helpers import rejected as _rejects

from .test_min_max import _matrix

pytestmark = pytest.mark.nb01


# ---- gd_linear_regression ------------------------------------------------------------------

def _xy(X, y):
    X, y = _matrix(X), np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError("y needs one value per row of X")
    return X, y


def gd_right(X, y, lr, n_steps):
    X, y = _xy(X, y)
    n = len(y)
    w, b, losses = np.zeros(X.shape[1], X.dtype), 0.0, []
    for _ in range(n_steps):
        r = X @ w + b - y
        losses.append(0.5 * np.mean(r**2))
        w = w - lr * X.T @ r / n
        b = b - lr * r.mean()
    return w, b, np.array(losses, dtype=X.dtype)


def gd_augmented(X, y, lr, n_steps):
    """Bias as a column of ones, gradient as one matrix product, float64 inside."""
    X, y = _xy(X, y)
    A = np.hstack([X.astype(np.float64), np.ones((len(y), 1))])
    theta = np.zeros(A.shape[1])
    losses = np.empty(n_steps)
    for k in range(n_steps):
        r = A @ theta - y
        losses[k] = r @ r / (2 * len(y))
        theta -= lr / len(y) * (A.T @ r)
    return theta[:-1].astype(X.dtype), float(theta[-1]), losses.astype(X.dtype)


test_right_gd_accepted = accepted(
    check_gd_linear_regression, [gd_right, gd_augmented], [0, 5, None],
    """Is a correct gradient descent accepted, however it is written?""")


def _gd_variant(record="before", div="mean", half=0.5, update_b=True, sequential=False,
                factor=1.0, extra_loss=False, sign=-1.0):
    def gd_linear_regression(X, y, lr, n_steps):
        X, y = _xy(X, y)
        n = len(y) if div == "mean" else 1
        w, b, losses = np.zeros(X.shape[1], X.dtype), 0.0, []
        for _ in range(n_steps):
            r = X @ w + b - y
            if record == "before":
                losses.append(half * np.mean(r**2))
            w = w + sign * lr * factor * X.T @ r / n
            if update_b:
                if sequential:
                    r = X @ w + b - y
                b = b + sign * lr * factor * r.sum() / n
            if record == "after":
                losses.append(half * np.mean((X @ w + b - y) ** 2))
        if extra_loss:
            losses.append(half * np.mean((X @ w + b - y) ** 2))
        return w, b, np.array(losses, dtype=X.dtype)
    return gd_linear_regression


def gd_torch(X, y, lr, n_steps):
    X, y = _xy(X, y)
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(y)
    w = torch.zeros(X.shape[1], dtype=Xt.dtype, requires_grad=True)
    b = torch.zeros((), dtype=Xt.dtype, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(n_steps):
        opt.zero_grad()
        loss = 0.5 * torch.nn.functional.mse_loss(Xt @ w + b, yt)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return w.detach().numpy(), b.item(), np.array(losses, dtype=X.dtype)


GD_MISTAKES = [
    (_gd_variant(record="after"), "loss was recorded after each step"),
    (_gd_variant(extra_loss=True), "one too many"),
    (_gd_variant(div="sum"), ["diverged", "summed over the examples"]),
    (_gd_variant(factor=2.0), "extra factor 2"),
    (_gd_variant(half=1.0), "missing the factor 0.5"),
    (_gd_variant(update_b=False), "b is never updated"),
    (_gd_variant(sequential=True), "recomputed after w changed"),
    (_gd_variant(sign=1.0), "diverged"),
    (lambda X, y, lr, n_steps: _gd_variant()(X, y, lr, n_steps)[:2], "should return (w, b, "),
    (lambda X, y, lr, n_steps: gd_right(X, np.broadcast_to(y, (len(y),)), lr, n_steps)
     if np.shape(X)[0] == np.shape(y)[0] else gd_right(X, y[:1].repeat(len(X)), lr, n_steps),
     "should raise ValueError"),
]


@pytest.mark.parametrize("student, words", GD_MISTAKES, ids=[str(w) for _, w in GD_MISTAKES])
def test_gd_mistakes_rejected(student, words):
    """Is each gradient-descent mistake rejected with a message that names it?"""
    _rejects(check_gd_linear_regression, student, words)


def test_gd_float64_losses_for_float32_data_rejected():
    """Is a float32 problem answered with float64 losses told about the dtype?"""
    def wrong_dtype(X, y, lr, n_steps):
        w, b, losses = gd_right(X, y, lr, n_steps)
        return w, b, losses.astype(np.float64)
    _rejects(check_gd_linear_regression, wrong_dtype, "dtype float64, expected float32")


def test_gd_with_torch_autograd_is_a_right_answer():
    """torch autograd is not a shortcut here (no single built-in does the exercise): accepted?"""
    check_gd_linear_regression(gd_torch, seed=0)
