"""Small helpers for the demonstrations of notebooks 01 and 02 (not graded).

Notebook 01 (gradient descent on a linear regression): the curvature of the loss, its
least-squares minimum, how many steps a run took, and the path of a run. Notebook 02: a
timer. Each helper is a few lines, so that the notebooks show what they teach and keep
the bookkeeping here.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["with_bias_column", "curvature", "least_squares", "steps_to_converge", "gd_path",
           "best_seconds"]


def with_bias_column(X):
    """``[X, 1]``: the bias is the weight of a feature that is always 1. Shape (N, D + 1)."""
    X = np.asarray(X, dtype=np.float64)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def curvature(X):
    """Eigenvalues of the Hessian of ``0.5 * mean((X @ w + b - y)**2)`` in (w, b).

    The Hessian is ``A.T @ A / N`` with ``A = [X, 1]`` (introduced in notebook 01). Returns
    ``(lam_min, lam_max, kappa)`` with ``kappa = lam_max / lam_min`` the condition number.
    """
    A = with_bias_column(X)
    lam = np.linalg.eigvalsh(A.T @ A / A.shape[0])
    return float(lam[0]), float(lam[-1]), float(lam[-1] / lam[0])


def least_squares(X, y):
    """The exact minimum of the mean squared error: ``(w, b, loss)`` with loss
    ``0.5 * mean((X @ w + b - y)**2)``."""
    A = with_bias_column(X)
    theta = np.linalg.lstsq(A, np.asarray(y, dtype=np.float64), rcond=None)[0]
    loss = 0.5 * float(np.mean((A @ theta - y) ** 2))
    return theta[:-1], float(theta[-1]), loss


def steps_to_converge(losses, best_loss, tol=1e-6):
    """The first step k at which ``losses[k] - best <= tol * (losses[0] - best)``, or None.

    "Converged" means: all but a fraction ``tol`` of the initial excess loss is gone.
    """
    losses = np.asarray(losses, dtype=np.float64)
    excess = losses - best_loss
    done = np.flatnonzero(excess <= tol * excess[0])
    return int(done[0]) if done.size else None


def gd_path(gd, X, y, lr, n_steps):
    """The parameters after 0, 1, ..., n_steps steps of ``gd(X, y, lr, k) -> (w, b, losses)``.

    Runs ``gd`` once per k (gradient descent is deterministic, so the k-th run passes through
    the same points as a longer one). Returns an array of shape (n_steps + 1, D + 1) whose
    rows are ``[w..., b]``.
    """
    rows = []
    for k in range(n_steps + 1):
        w, b, _ = gd(X, y, lr, k)
        rows.append(np.append(np.asarray(w, dtype=np.float64), float(b)))
    return np.array(rows)


def best_seconds(fn, repeats=5, threads=1):
    """The fastest wall-clock time of ``fn()`` over ``repeats`` calls (time.perf_counter).

    The fastest run is the one least disturbed by other work on the machine. numpy's BLAS is
    limited to ``threads`` threads meanwhile, so that timings compare the algorithms rather
    than how many cores the library happened to grab.
    """
    from threadpoolctl import threadpool_limits

    times = []
    with threadpool_limits(limits=threads):
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return float(min(times))
