"""Input validation shared by the reference implementations.

Every graded function follows the same conventions: numpy in, numpy out; float64 by
default; a float32 input gives a float32 output; impossible input raises ``ValueError``
with a message that says what was wrong and how to fix it.
"""

from __future__ import annotations

import numpy as np


def as_float_array(x, name: str, ndim: int | None = None, shape_hint: str = "") -> np.ndarray:
    """Return ``x`` as a floating ndarray (float32 stays float32, anything else float64)."""
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating) or arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        hint = f" {shape_hint}" if shape_hint else ""
        raise ValueError(f"{name} must have {ndim} dimensions{hint}, got shape {arr.shape}")
    return arr


def require_batch(x: np.ndarray, name: str = "x", minimum: int = 2) -> None:
    """Batch statistics need at least two examples: a variance over one example is 0."""
    if x.shape[0] < minimum:
        raise ValueError(
            f"{name} has a batch of {x.shape[0]} example(s); batch statistics need at least "
            f"{minimum} (use running statistics for a single example at inference)"
        )


def param_vector(p, size: int, name: str, dtype) -> np.ndarray:
    """A per-feature (or per-channel) parameter of shape ``(size,)`` in ``dtype``."""
    arr = as_float_array(p, name)
    if arr.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), one value per feature, got {arr.shape}")
    return arr.astype(dtype, copy=False)


def positive_eps(eps) -> float:
    eps = float(eps)
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    return eps
