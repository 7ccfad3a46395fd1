"""Does the data helper load real digits offline, split fairly and reproducibly?"""

import numpy as np
import pytest

from course_utils.demos.data import load_digits


@pytest.mark.parametrize("source, n, shape", [("mnist", 5000, (28, 28)), ("sklearn", 1797, (8, 8))])
def test_digits_load_offline_and_split_by_class(source, n, shape):
    """Are all images there, in [0, 1], split with the same share of every class?"""
    d = load_digits(source, test_fraction=0.2, seed=0)
    assert len(d.y_train) + len(d.y_test) == n and d.image_shape == shape
    assert d.X_train.shape[1] == shape[0] * shape[1] and d.X_train.dtype == np.float32
    assert 0 <= d.X_train.min() and d.X_train.max() <= 1 and d.X_train.max() > 0.9
    test_share = np.bincount(d.y_test, minlength=10) / np.bincount(
        np.concatenate([d.y_train, d.y_test]), minlength=10)
    np.testing.assert_allclose(test_share, 0.2, atol=0.01)
    assert len(set(map(bytes, d.X_train[:200])) & set(map(bytes, d.X_test))) == 0


def test_same_seed_same_split_and_image_layout():
    """Does a seed fix the split, and flatten=False give (n, 1, H, W)?"""
    a, b = load_digits("sklearn", seed=3), load_digits("sklearn", seed=3, flatten=False)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert b.X_train.shape[1:] == (1, 8, 8)
    np.testing.assert_array_equal(a.X_train, b.X_train.reshape(len(b.X_train), -1))
    assert not np.array_equal(a.y_train, load_digits("sklearn", seed=4).y_train)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="unknown digits source"):
        load_digits("cifar")
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.5)
