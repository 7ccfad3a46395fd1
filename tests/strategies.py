"""Bounded hypothesis strategies shared by the property tests (no NaN, small sizes)."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

floats64 = st.floats(-100, 100, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def batches(draw, min_n=2, max_n=24, min_d=1, max_d=12, dtype=np.float64):
    """A mini-batch (N, D) with per-feature offsets and scales and no constant column."""
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(min_d, max_d))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    loc = rng.uniform(-10, 10, d)
    scale = np.exp(rng.uniform(np.log(0.05), np.log(20), d))
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


def vectors(d, low=-3.0, high=3.0):
    return hnp.arrays(np.float64, (d,), elements=st.floats(low, high, allow_nan=False))
