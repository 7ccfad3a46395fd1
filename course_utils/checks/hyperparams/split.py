"""``check_train_val_split`` (notebook 08): every example in exactly one part, rows still
paired with their labels (each row is traced back to its index), the validation fraction,
and the same split for the same seed.
"""

from __future__ import annotations

import numpy as np

from .._core import Case, call_student, expect_raises, expect_tuple, fail, make_rng
from ._shared import FORBIDDEN

__all__ = ["check_train_val_split"]


# ---------------------------------------------------------------------------------------
# train_val_split
# ---------------------------------------------------------------------------------------


def _identifiable(rng, shape, dtype):
    """Random examples whose rows are all different, so each can be traced back."""
    return rng.standard_normal(shape).astype(dtype)


def _row_index(X):
    return {np.ascontiguousarray(row).tobytes(): i for i, row in enumerate(X)}


def _trace(part, index, X, case, what):
    """The original index of every row of ``part``."""
    found = []
    for k, row in enumerate(part):
        i = index.get(np.ascontiguousarray(row, dtype=X.dtype).tobytes())
        if i is None:
            fail(case, f"row {k} of {what} is not a row of X: the split must return the "
                       "examples themselves, unchanged (no scaling, no copies of other rows).")
        found.append(i)
    return np.array(found, dtype=int)


def _split_cases(seed, rng, hidden):
    cases = []

    def add(label, X, y, frac, by_keyword=True, **details):
        details = {"X.shape": X.shape, "dtype": X.dtype.name, "val_fraction": frac, **details}
        cases.append((Case(label, seed, details), X, y, frac, by_keyword))

    n = 50
    add("random data, labels sorted by class", _identifiable(rng, (n, 3), np.float64),
        np.repeat(np.arange(5), 10), 0.2)
    add("float32 images of shape (1, 4, 4)", _identifiable(rng, (40, 1, 4, 4), np.float32),
        rng.integers(0, 10, 40), 0.25)
    add("val_fraction given by position", _identifiable(rng, (30, 2), np.float64),
        np.arange(30) % 3, 0.3, by_keyword=False)
    add("two examples (N = 2)", _identifiable(rng, (2, 3), np.float64), np.array([0, 1]), 0.5)
    wide = _identifiable(rng, (25, 8), np.float64)
    add("non-contiguous X[:, ::2]", wide[:, ::2], rng.integers(0, 3, 25), 0.2)
    if hidden:
        add("one-hot targets y of shape (n, 3)", _identifiable(rng, (33, 4), np.float64),
            np.eye(3)[rng.integers(0, 3, 33)], 0.15)
        add("larger data", _identifiable(rng, (200, 5), np.float32), rng.integers(0, 10, 200),
            0.1)
        add("most of it for validation", _identifiable(rng, (20, 2), np.float64),
            np.arange(20), 0.7)
    return cases


def _one_split(student, X, y, frac, by_keyword, seed_arg, case):
    if by_keyword:
        result = call_student(student, X, y, val_fraction=frac, seed=seed_arg, case=case,
                              name="train_val_split", forbidden=FORBIDDEN, arg_names=("X", "y"))
    else:
        result = call_student(student, X, y, frac, seed_arg, case=case, name="train_val_split",
                              forbidden=FORBIDDEN, arg_names=("X", "y"))
    parts = expect_tuple(result, 4, case=case, name="train_val_split",
                         what="(X_train, y_train, X_val, y_val)")
    names = ("X_train", "y_train", "X_val", "y_val")
    shapes = [np.shape(p)[1:] for p in parts]
    if (X.shape[1:] != y.shape[1:] and shapes[1] == X.shape[1:] and shapes[2] == y.shape[1:]):
        fail(case, "the four arrays come back in scikit-learn's order (X_train, X_val, y_train, "
                   "y_val); this function returns (X_train, y_train, X_val, y_val).")
    for part, what, like in zip(parts, names, (X, y, X, y)):
        if not isinstance(part, np.ndarray):
            fail(case, f"{what} should be a numpy ndarray, got {type(part).__name__}.")
        if part.shape[1:] != like.shape[1:]:
            fail(case, f"{what} has shape {part.shape}; its rows should keep the shape "
                       f"{like.shape[1:]} of the rows of {'X' if what[0] == 'X' else 'y'}.")
        if part.dtype != like.dtype:
            fail(case, f"{what} has dtype {part.dtype}, expected {like.dtype} (the input's).")
    return parts


def check_train_val_split(student, seed=0, hidden=False):
    """Check ``train_val_split(X, y, val_fraction=0.2, seed=0) -> (X_train, y_train, X_val, y_val)``.

    Every example must land in exactly one part, still paired with its own label; the
    validation part must hold ``round(val_fraction * n)`` examples (floor or ceil accepted),
    chosen at random (not the first or last rows); the same seed must give the same split
    and different seeds different splits. Impossible input raises ValueError.
    """
    seed, rng = make_rng(seed)
    for case, X, y, frac, by_keyword in _split_cases(seed, rng, hidden):
        n = len(X)
        split_seed = int(rng.integers(0, 2**31 - 1))
        X_tr, y_tr, X_va, y_va = _one_split(student, X, y, frac, by_keyword, split_seed, case)
        if len(X_tr) != len(y_tr) or len(X_va) != len(y_va):
            fail(case, f"X_train has {len(X_tr)} rows but y_train {len(y_tr)}, X_val "
                       f"{len(X_va)} but y_val {len(y_va)}: each X part needs its labels.")
        # round(val_fraction * n), within one example either way (floor, ceil, or n minus
        # the rounded training size all pass), never an empty part
        allowed = {min(max(k, 1), n - 1) for k in range(n + 1) if abs(k - frac * n) <= 1 + 1e-9}
        if len(X_va) not in allowed:
            hint = ""
            if abs((n - len(X_va)) - frac * n) <= 1 + 1e-9:
                hint = (" It looks swapped: val_fraction is the share that goes to "
                        "validation, the rest is for training.")
            elif len(X_tr) + len(X_va) != n:
                hint = f" The two parts hold {len(X_tr) + len(X_va)} rows in all, not n = {n}."
            fail(case, f"X_val has {len(X_va)} rows; with n = {n} and val_fraction = {frac} "
                       f"it should have round(val_fraction * n) = "
                       f"{min(max(round(frac * n), 1), n - 1)} (one more or less is "
                       f"accepted).{hint}")
        index = _row_index(X)
        tr, va = _trace(X_tr, index, X, case, "X_train"), _trace(X_va, index, X, case, "X_val")
        both = np.intersect1d(tr, va)
        if both.size:
            fail(case, f"{both.size} example(s) (e.g. example {both[0]} of X) are in both the "
                       "training and the validation set. Validation must be data the model "
                       "never trained on: split one permutation into two disjoint parts.")
        for idx, what in ((tr, "the training set"), (va, "the validation set")):
            if len(np.unique(idx)) != len(idx):
                fail(case, f"an example appears twice in {what}: draw without replacement "
                           "(a permutation), not with rng.choice(..., replace=True) or "
                           "rng.integers.")
        if len(tr) + len(va) != n:
            fail(case, f"{n - len(tr) - len(va)} example(s) are in neither part: every example "
                       "should be used, either for training or for validation.")
        for idx, ys, what in ((tr, y_tr, "y_train"), (va, y_va, "y_val")):
            if not np.array_equal(ys, y[idx]):
                k = int(np.flatnonzero(np.any((ys != y[idx]).reshape(len(idx), -1), axis=1))[0])
                fail(case, f"{what}[{k}] is not the label of the example in the same row of "
                           f"X_{what[2:]} (that is example {idx[k]} of X): X and y were shuffled "
                           "differently. Use ONE permutation and index both X and y with it.")
        if n >= 20 and (set(va) == set(range(len(va))) or set(va) == set(range(n - len(va), n))):
            where = "first" if 0 in set(va) else "last"
            fail(case, f"the validation set is the {where} {len(va)} rows of X: the split was "
                       "not shuffled. When the data are sorted (here the labels are sorted by "
                       "class) validation would hold only some classes. Shuffle with a "
                       "permutation drawn from np.random.default_rng(seed) first.")

    # the same seed gives the same split, another seed another split
    X = _identifiable(rng, (60, 2), np.float64)
    y = np.arange(60)
    case = Case("the same seed twice", seed, {"X.shape": X.shape, "seed argument": 7})
    first = _one_split(student, X, y, 0.2, True, 7, case)
    again = _one_split(student, X, y, 0.2, True, 7, case)
    if not all(np.array_equal(a, b) for a, b in zip(first, again)):
        fail(case, "two calls with seed=7 gave different splits. The split must be reproducible: "
                   "build the generator from the seed argument, np.random.default_rng(seed), "
                   "instead of using np.random's global state.")
    case = Case("two different seeds", seed, {"X.shape": X.shape, "seed arguments": (7, 8)})
    other = _one_split(student, X, y, 0.2, True, 8, case)
    if np.array_equal(np.sort(first[3]), np.sort(other[3])):
        fail(case, "seed=7 and seed=8 gave the same validation set: the seed argument seems to "
                   "be ignored (a fixed seed inside the function?).")

    bad = [("val_fraction = 0", 0.0), ("val_fraction = 1", 1.0), ("val_fraction = 1.5", 1.5),
           ("val_fraction = -0.2", -0.2)]
    X, y = np.ones((10, 2)), np.arange(10)
    for label, frac in bad:
        expect_raises(student, X, y, val_fraction=frac, case=Case(label, seed),
                      name="train_val_split",
                      why="the validation share must be strictly between 0 and 1")
    expect_raises(student, np.ones((10, 2)), np.arange(9), case=Case("X has 10 rows, y 9", seed),
                  name="train_val_split", why="X and y must have one row per example each")
