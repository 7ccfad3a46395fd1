"""What the checks of notebook 02 share: the forbidden functions and correlated data
(standard normal rows stretched, rotated and offset).
"""

from __future__ import annotations

import numpy as np

#: The one-line library versions of the exercises.
COV_FORBIDDEN = {"numpy": {"cov", "corrcoef"}, "torch": {"cov", "corrcoef"}}
ZCA_FORBIDDEN = {"torch": {"cov"}}


def _cloud(rng, n, d, dtype=np.float64, loc=None, spread=1.0):
    """Correlated data: standard normal rows stretched (by 0.3 to 3) and rotated, plus offsets.

    The covariance is ``spread**2 * R^T diag(s**2) R``: correlated, and conditioned well
    enough (condition number at most 100) that eps hardly matters when N > D.
    """
    loc = rng.uniform(-3, 3, size=d) if loc is None else loc
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    mix = (rng.uniform(0.3, 3.0, size=d)[:, None] * rotation) * spread
    return (loc + rng.standard_normal((n, d)) @ mix).astype(dtype)


def _details(X, **more):
    return {"X.shape": X.shape, "dtype": X.dtype.name, **more}
