"""Does check_train_val_split (notebook 08) accept every right split and name each mistake of
its catalogue?"""

import math

import numpy as np
import pytest

from course_utils.checks import check_train_val_split
from tests.helpers import accepted, mistakes_rejected

pytestmark = pytest.mark.nb08


# =========================================================================================
# train_val_split
# =========================================================================================

def _validate_split(X, y, val_fraction):
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError("X and y lengths differ")
    if not 0 < val_fraction < 1:
        raise ValueError("val_fraction must be in (0, 1)")
    return X, y


def _n_val(n, f, rounding=round):
    return min(max(int(rounding(f * n)), 1), n - 1)


def split_permutation(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[perm[k:]], y[perm[k:]], X[perm[:k]], y[perm[:k]]


def split_shuffle_indices_ceil(X, y, val_fraction=0.2, seed=0):
    """rng.shuffle on an index array, validation at the end, ceil for its size."""
    X, y = _validate_split(X, y, val_fraction)
    idx = np.arange(len(X))
    np.random.default_rng(seed).shuffle(idx)
    k = _n_val(len(X), val_fraction, math.ceil)
    return X[idx[:-k]], y[idx[:-k]], X[idx[-k:]], y[idx[-k:]]


def split_random_mask(X, y, val_fraction=0.2, seed=0):
    """A random choice of validation rows, both parts kept in their original order."""
    X, y = _validate_split(X, y, val_fraction)
    rng = np.random.default_rng(seed)
    val = rng.choice(len(X), size=_n_val(len(X), val_fraction, math.floor), replace=False)
    mask = np.zeros(len(X), bool)
    mask[val] = True
    return X[~mask], y[~mask], X[mask], y[mask]


def split_train_size_first(X, y, val_fraction=0.2, seed=0):
    """n_train = int((1 - val_fraction) * n): floating point can give one more for validation."""
    X, y = _validate_split(X, y, val_fraction)
    n_train = min(max(int((1 - val_fraction) * len(X)), 1), len(X) - 1)
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:n_train]], y[idx[:n_train]], X[idx[n_train:]], y[idx[n_train:]]


test_right_splits_accepted = accepted(
    check_train_val_split, [split_permutation, split_shuffle_indices_ceil, split_random_mask,
    split_train_size_first], [0, 1, None],
    """Is every correct split accepted, whatever rounding, order or shuffling method it uses?""")


def split_no_shuffle(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    k = _n_val(len(X), val_fraction)
    return X[:-k], y[:-k], X[-k:], y[-k:]


def split_two_permutations(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    rng = np.random.default_rng(seed)
    px, py = rng.permutation(len(X)), rng.permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[px[k:]], y[py[k:]], X[px[:k]], y[py[:k]]


def split_overlap(X, y, val_fraction=0.2, seed=0):
    """Validation drawn from the data, training on all of it."""
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[perm], y[perm], X[perm[:k]], y[perm[:k]]


def split_with_replacement(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    rng = np.random.default_rng(seed)
    k = _n_val(len(X), val_fraction)
    val = rng.integers(0, len(X), size=k)
    train = np.setdiff1d(np.arange(len(X)), val)
    return X[train], y[train], X[val], y[val]


def split_swapped_fraction(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[perm[:k]], y[perm[:k]], X[perm[k:]], y[perm[k:]]


def split_global_rng(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.permutation(len(X))
    k = _n_val(len(X), val_fraction)
    return X[perm[k:]], y[perm[k:]], X[perm[:k]], y[perm[:k]]


def split_fixed_seed(X, y, val_fraction=0.2, seed=0):
    return split_permutation(X, y, val_fraction, seed=42)


def split_no_validation(X, y, val_fraction=0.2, seed=0):
    X, y = np.asarray(X), np.asarray(y)
    perm = np.random.default_rng(seed).permutation(len(X))
    k = min(max(int(round(val_fraction * len(X))), 1), len(X) - 1) if len(X) > 1 else 0
    return X[perm[k:]], y[perm[k:]], X[perm[:k]], y[perm[:k]]


def split_lists(X, y, val_fraction=0.2, seed=0):
    return tuple(part.tolist() for part in split_permutation(X, y, val_fraction, seed))


def split_shuffles_in_place(X, y, val_fraction=0.2, seed=0):
    X, y = _validate_split(X, y, val_fraction)
    perm = np.random.default_rng(seed).permutation(len(X))
    X[:] = X[perm]
    y[:] = y[perm]
    k = _n_val(len(X), val_fraction)
    return X[k:].copy(), y[k:].copy(), X[:k].copy(), y[:k].copy()


def split_float64(X, y, val_fraction=0.2, seed=0):
    parts = split_permutation(X, y, val_fraction, seed)
    return parts[0].astype(np.float64), parts[1], parts[2].astype(np.float64), parts[3]


def split_sklearn(X, y, val_fraction=0.2, seed=0):
    from sklearn.model_selection import train_test_split

    _validate_split(X, y, val_fraction)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=val_fraction, random_state=seed)
    return X_tr, y_tr, X_va, y_va


def split_sklearn_order(X, y, val_fraction=0.2, seed=0):
    X_tr, y_tr, X_va, y_va = split_permutation(X, y, val_fraction, seed)
    return X_tr, X_va, y_tr, y_va


def split_stub(X, y, val_fraction=0.2, seed=0):
    raise NotImplementedError()


SPLIT_MISTAKES = [
    (split_no_shuffle, "not shuffled"),
    (split_two_permutations, "shuffled differently"),
    (split_overlap, "in both the training and the validation set"),
    (split_with_replacement, "appears twice"),
    (split_swapped_fraction, "It looks swapped"),
    (split_global_rng, "reproducible"),
    (split_fixed_seed, "seed argument seems to be ignored"),
    (split_no_validation, "should raise ValueError"),
    (split_lists, "should be a numpy ndarray"),
    (split_shuffles_in_place, "in place"),
    (split_float64, "dtype float64, expected float32"),
    (split_sklearn, "sklearn's train_test_split"),
    (split_sklearn_order, "scikit-learn's order"),
    (split_stub, "not written yet"),
]


test_split_mistakes_rejected_with_their_name = mistakes_rejected(
    check_train_val_split, SPLIT_MISTAKES,
    """Is each wrong split rejected, with a message that names the mistake?""",
    ids=[w for _, w in SPLIT_MISTAKES])
