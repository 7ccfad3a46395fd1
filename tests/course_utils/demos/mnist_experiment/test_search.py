"""Does the learning-rate sweep of ``demos/mnist_experiment/search.py`` show what notebook
08 says: the plain network stuck where the BN network trains?"""

import pytest

from course_utils.demos import mnist_experiment as mx

pytestmark = pytest.mark.nb08


def test_bn_trains_at_rates_where_the_plain_network_is_stuck(digits):
    """The notebook's sweep claim, at two of its rates: plain at chance, BN well above it."""
    X, y = digits.X_train[:3200], digits.y_train[:3200]
    sweep = mx.lr_sweep(X, y, digits.X_train[3200:], digits.y_train[3200:], [10.0, 30.0],
                        steps=400, progress=False)
    assert max(sweep["plain"]["acc"]) < 0.2
    assert min(sweep["bn"]["acc"]) > 0.5
