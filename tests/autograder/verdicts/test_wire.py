"""Does the wire between grader and kernel carry values faithfully, and refuse the rest?"""

import numpy as np
import pytest

from autograder.verdicts import wire


class Proxy:
    def __init__(self, info):
        self.info = info


def pair():
    """Two ends of a wire, as in grading: 't' (the grader) and 'k' (the kernel)."""
    t = wire.Side("t", Proxy, lambda o: o.info["handle"] if isinstance(o, Proxy) else None)
    k = wire.Side("k", Proxy, lambda o: o.info["handle"] if isinstance(o, Proxy) else None)
    return t, k


def cross(value, sender, receiver):
    return receiver.decode(wire.loads(wire.dumps(sender.encode(value))))


@pytest.mark.parametrize("value", [
    None, True, 0, -3, 2**70, 1.5, float("inf"), "text", b"\x00\xff", 2 + 3j,
    (1, (2, "x")), [1, [2.5]], {"a": 1, 2: [3]}, {1, 2}, frozenset({"x"}), slice(1, None, 2),
    range(2, 9, 3), Ellipsis, np.float32(1.25), np.int64(-7), np.bool_(True),
    np.dtype("float32"), np.float32, float, int,
])
def test_plain_values_arrive_equal_and_of_the_same_type(value):
    """Does every kind of data a check passes or a student returns arrive unchanged?"""
    t, k = pair()
    got = cross(value, t, k)
    assert type(got) is type(value)
    assert got == value


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "bool", "complex128", "<U3"])
def test_arrays_keep_dtype_shape_and_values(dtype):
    """Do arrays of every safe dtype, including 0-d and empty ones, cross exactly?"""
    t, k = pair()
    rng = np.random.default_rng(0)
    for shape in [(), (0, 3), (4,), (3, 5), (2, 3, 4)]:
        arr = np.asarray(rng.normal(size=shape) * 10).astype(dtype)
        got = cross(arr, t, k)
        assert got.dtype == arr.dtype and got.shape == arr.shape
        assert np.array_equal(got, arr)


def test_memory_layout_is_kept():
    """Do Fortran-ordered and non-contiguous inputs stay so (the checks test both)?"""
    t, k = pair()
    base = np.arange(40.0).reshape(5, 8)
    fortran = cross(np.asfortranarray(base), t, k)
    assert fortran.flags.f_contiguous and not fortran.flags.c_contiguous
    strided = cross(base[:, ::2], t, k)
    assert not strided.flags.c_contiguous and not strided.flags.f_contiguous
    assert np.array_equal(strided, base[:, ::2])


def test_in_place_changes_come_back_into_the_senders_array():
    """Does a change made on the far side reach the original array (and its base)?"""
    t, k = pair()
    base = np.zeros((3, 4))
    view = base[:, ::2]
    theirs = cross(view, t, k)
    theirs[0, 0] = 7.0
    t.apply(wire.loads(wire.dumps(k.changes())))
    assert view[0, 0] == 7.0 and base[0, 0] == 7.0
    assert t.changes() == [] and k.changes() == []  # nothing left to send back and forth


def test_the_same_array_comes_back_as_the_same_object():
    """Does an input returned unchanged keep its identity (as it would in one process)?"""
    t, k = pair()
    x = np.ones(3)
    theirs = cross(x, t, k)
    assert cross(theirs, k, t) is x


def test_only_arrays_still_in_use_are_watched():
    """Does a side stop watching an array nothing refers to any more (after sending its last
    change), keep watching one that a view or a variable still holds, and so watch no more
    arrays after many requests than are alive?"""
    t, k = pair()
    kept, dropped = np.zeros(3), np.zeros(2)
    theirs_kept, theirs_dropped = cross([kept, dropped], t, k)
    dropped[0] = 5.0  # changed in place, then let go: the change still goes out
    del dropped
    sync = t.changes()
    assert [u["sid"] for u in sync] == ["t2"] and len(t.arrays) == 1
    k.apply(wire.loads(wire.dumps(sync)))
    assert theirs_dropped[0] == 5.0
    base = np.arange(4.0)
    view = base[1:]
    cross(base, t, k)
    del base
    t.changes()
    assert len(t.arrays) == 2  # the view holds its base: still watched
    view[0] = 9.0
    assert len(t.changes()) == 1
    del view
    t.changes()
    assert len(t.arrays) == 1
    for n in range(300):  # a long check: one new array per request, none of them kept
        k.apply(wire.loads(wire.dumps(t.changes())))
        cross(np.full(3, float(n)), t, k)
        k.changes()
    t.changes()
    assert len(t.arrays) == 1 and len(k.arrays) <= 2, (len(t.arrays), len(k.arrays))
    kept[1] = 4.0  # what is still held keeps coming across
    k.apply(wire.loads(wire.dumps(t.changes())))
    assert theirs_kept[1] == 4.0
    own = np.zeros(3)  # the student's array; the grader gets a view of it, not kept there
    got = cross(own[1:], k, t)
    k.changes()
    got[0] = 7.0  # written through the view, as a check writes into parameters()
    k.apply(wire.loads(wire.dumps(t.changes())))
    assert own[1] == 7.0
    gone = cross(np.zeros(4).reshape(2, 2), k, t)  # a view of memory nobody else holds
    k.changes()
    assert not any(entry[0].shape == (2, 2) for entry in k.arrays.values())
    assert gone.shape == (2, 2)


def test_torch_tensors_arrive_as_tensors():
    """Does a student's torch tensor arrive as one, so the check can say 'return numpy'?"""
    torch = pytest.importorskip("torch")
    t, k = pair()
    got = cross(torch.arange(3.0), k, t)
    assert isinstance(got, torch.Tensor) and got.tolist() == [0.0, 1.0, 2.0]


def test_objects_travel_by_reference():
    """Are functions and other objects sent as handles, resolved back to themselves?"""
    t, k = pair()

    def f(x):
        return x

    tree = wire.loads(wire.dumps(t.encode({"f": f, "rng": np.random.default_rng(0)})))
    proxies = k.decode(tree)
    assert isinstance(proxies["f"], Proxy) and proxies["f"].info["callable"]
    assert proxies["rng"].info["type"] == "Generator" and not proxies["rng"].info["callable"]
    ref = k.encode(proxies["f"])
    assert ref == {"$ref": proxies["f"].info["handle"]}
    assert t.decode(ref) is f


@pytest.mark.parametrize("tree", [
    {"$nd": "k1", "dtype": "|O", "shape": [1], "layout": "C", "data": "AAAAAAAAAAA="},
    {"$nd": "k1", "dtype": "<f8", "shape": [2], "layout": "C", "data": "AAAAAAAAAAA="},
    {"$nd": "k1", "dtype": "<f8", "shape": [-1], "layout": "C", "data": ""},
    {"$np": "|O", "data": ""},
    {"$type": "object"},
    {"$pickle": "gASVAAAAAAAAAAB9lC4="},
    {"$ref": 12345},
    {"$dict": [[["unhashable"], 1]]},
    {"not": "a tag"},
])
def test_malformed_or_dangerous_trees_are_refused(tree):
    """Are object dtypes, size mismatches, unknown tags and handles never seen refused?"""
    t, _ = pair()
    with pytest.raises(wire.WireError):
        t.decode(tree)


def test_exceptions_keep_their_type_message_and_builtin_base():
    """Does a student's exception come back as one the checks can tell apart?"""
    class NotReady(ValueError):
        pass

    for exc, base in [(ValueError("bad shape"), ValueError), (KeyError("x"), KeyError),
                      (NotImplementedError(), NotImplementedError), (NotReady("no"), ValueError),
                      (SystemExit(3), wire.ForeignBaseException)]:
        back = wire.rebuild_exception(wire.loads(wire.dumps(wire.describe_exception(exc, None))))
        assert isinstance(back, base) and type(back).__name__ == type(exc).__name__
        assert str(back) == str(exc)
