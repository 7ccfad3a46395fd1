"""Does check_log_uniform (notebook 08) accept any log-uniform sampler and name each mistake of
its catalogue?"""

import math

import numpy as np
import pytest

from course_utils.checks import check_log_uniform
from tests.helpers import accepted, mistakes_rejected, rejected

pytestmark = pytest.mark.nb08

_rejected = rejected


# =========================================================================================
# log_uniform
# =========================================================================================

def _log_args(low, high):
    if low <= 0 or high < low:
        raise ValueError("need 0 < low <= high")


def log_uniform_log10(low, high, size, rng):
    _log_args(low, high)
    return 10.0 ** rng.uniform(np.log10(low), np.log10(high), size=size)


def log_uniform_natural(low, high, size, rng):
    """np.exp with np.log: the same distribution in another base."""
    _log_args(low, high)
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))


def log_uniform_reversed(low, high, size, rng):
    """Exponent from the top down: other numbers, the same distribution."""
    _log_args(low, high)
    u = rng.random(size)
    return np.clip(high / (high / low) ** u, low, high)


def log_uniform_loop(low, high, size, rng):
    _log_args(low, high)
    shape = (size,) if isinstance(size, int) else tuple(size)
    out = np.empty(int(np.prod(shape)))
    for i in range(out.size):
        out[i] = 10 ** (math.log10(low) + rng.random() * (math.log10(high) - math.log10(low)))
    return out.reshape(shape)


test_right_log_uniform_accepted = accepted(
    check_log_uniform, [log_uniform_log10, log_uniform_natural, log_uniform_reversed,
    log_uniform_loop], [0, 5, None],
    """Is any log-uniform sampler accepted, whatever its base or draw order?""")


LOG_MISTAKES = [
    (lambda low, high, size, rng: (_log_args(low, high), rng.uniform(low, high, size))[1],
     "uniform instead of log-uniform"),
    (lambda low, high, size, rng: (_log_args(low, high),
                                   10 ** rng.uniform(np.log(low), np.log(high), size))[1],
     "wrong logarithm base"),
    (lambda low, high, size, rng: (_log_args(low, high),
                                   np.exp(rng.uniform(np.log10(low), np.log10(high), size)))[1],
     "wrong logarithm base"),
    (lambda low, high, size, rng: (_log_args(low, high), 10 ** rng.uniform(low, high, size))[1],
     "drawn uniformly between low and high themselves"),
    (lambda low, high, size, rng: (_log_args(low, high),
                                   10 ** np.random.uniform(np.log10(low), np.log10(high), size))[1],
     "same seed gave different values"),
    (lambda low, high, size, rng: log_uniform_log10(low, high, size, np.random.default_rng(0)),
     "rng argument is ignored"),
    (lambda low, high, size, rng: 10.0 ** rng.uniform(np.log10(low), np.log10(high), size),
     "should raise ValueError"),
    (lambda low, high, size, rng: log_uniform_log10(low, high, size, rng).tolist(),
     "numpy array"),
    (lambda low, high, size, rng: log_uniform_log10(low, high, size, rng).ravel(),
     "expected (20, 3)"),
]


test_log_uniform_mistakes_rejected = mistakes_rejected(
    check_log_uniform, LOG_MISTAKES,
    """Is each wrong sampler rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(LOG_MISTAKES)])


def test_uniform_sampling_is_named_by_the_distribution_test_too():
    """Does a uniform sampler with its own draw order still get named (not just 'wrong')?"""
    def shuffled_uniform(low, high, size, rng):
        _log_args(low, high)
        return high - rng.random(size) * (high - low)
    _rejected(check_log_uniform, shuffled_uniform, "not log-uniform")
