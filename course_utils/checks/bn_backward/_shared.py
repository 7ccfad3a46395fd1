"""What the checks of notebook 04 share: the forbidden torch functions, the batches, and
the rule that a named mistake is skipped where its output is the right answer.
"""

from __future__ import annotations

import numpy as np

#: Library functions that would do the exercise for the student (autograd, torch's BN kernels).
FORBIDDEN = {"torch": {"backward", "grad", "batch_norm", "native_batch_norm",
                       "batch_norm_backward", "native_batch_norm_backward",
                       "cudnn_batch_norm_backward"}}


def _batch(rng, n, d, dtype=np.float64, loc=None, scale=None):
    """A batch with per-feature offsets and scales, so per-feature statistics matter."""
    loc = rng.uniform(-3, 3, size=d) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=d) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


class _RightHere(Exception):
    """A mistake whose output is the right answer in this case (diagnose skips it)."""


def _unlike(mistakes, expected, rtol, atol):
    """The mistakes, each skipped where its output is (close to) the right answer.

    A wrong formula can coincide with the right one for some inputs (|a + b| = |a| + |b|
    when both are positive; m = D for a square batch): where it would pass the check itself
    (``rtol``, ``atol``: the check's tolerances), naming it would mislead. The candidates
    are still computed only when a check fails (diagnose calls them).
    """
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0

    def unless_right(make):
        def candidate():
            value = np.asarray(make(), dtype=np.float64)
            if value.shape == expected.shape and np.allclose(value, expected, rtol=rtol,
                                                             atol=atol * scale):
                raise _RightHere
            return value
        return candidate

    return [(label, unless_right(make)) for label, make in mistakes]
