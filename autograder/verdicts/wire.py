"""Values across the boundary between the grader and a student's kernel, without trust.

The grader (trusted) and the student's kernel (untrusted, sandboxed) exchange JSON trees:

- data travels **by value**: None, bool, int, float, complex, str, bytes, tuples, lists,
  dicts, sets, slices, numpy arrays and scalars (numeric dtypes only), dtypes, torch
  tensors (as arrays);
- anything else travels **by reference**: the sending side keeps the object in a handle
  table and the receiver gets a proxy that asks the owner for attributes and calls
  (student classes and methods on the grader's side, the checks' callables and random
  generators on the kernel's side).

Arrays are *shared*: each array that crosses gets an id (``sid``) on both sides, and every
message carries the arrays its sender changed since the last message (``sync``). So a
student function that changes its input in place changes the grader's copy too (the
checks see it, as they would in one process), and an array the checks change after a
student method returned it reaches the student's object before its next call.

Decoding never runs code (no pickle): a tree is validated while it is rebuilt, object
dtypes are refused and sizes are bounded. This module runs on both sides, so it uses only
the standard library and numpy. It is the handles and the shared arrays (:class:`Side`);
what travels by value, the limits and exceptions are in :mod:`wire_values`, and every name
of both is ``wire.X``.
"""

from __future__ import annotations

import sys

import numpy as np

# the values (and the names the grader and the harness use as ``wire.X``) are in
# wire_values: a module of this package in the grader, a file beside this one in the
# kernel (``sandbox.KERNEL_FILES``), where this module is imported as plain ``wire``
try:
    from .wire_values import (  # noqa: F401
        MAX_DEPTH, MAX_NODES, MIME, SAFE_KINDS, SIMPLE_TYPES, ForeignBaseException, WireError,
        _b64, _digest, _is_torch_tensor, _unb64, array_fields, array_from_fields,
        describe_exception, dumps, exception_class, loads, rebuild_exception, safe_dtype)
except ImportError:  # no parent package: the kernel's copy
    from wire_values import (  # noqa: F401
        MAX_DEPTH, MAX_NODES, MIME, SAFE_KINDS, SIMPLE_TYPES, ForeignBaseException, WireError,
        _b64, _digest, _is_torch_tensor, _unb64, array_fields, array_from_fields,
        describe_exception, dumps, exception_class, loads, rebuild_exception, safe_dtype)


#: ``sys.getrefcount`` of a shared array held by nothing but its entry in ``Side.arrays``
#: (the entry, and the call's own argument)
ONLY_THIS_TABLE = 2


def _memory_only_here(base) -> bool:
    """Is the memory under a shared array (the chain of its ``base``) held by nothing but
    that array? Anything but arrays (a buffer, a mapped file) counts as held elsewhere."""
    while base is not None:
        # references: the array above it, this function's name for it, getrefcount's own
        if not isinstance(base, np.ndarray) or sys.getrefcount(base) > 3:
            return False
        base = base.base
    return True


class Side:
    """One end of the wire: its own handles, the shared arrays, and how to proxy the other's.

    ``name`` is ``"t"`` (trusted grader) or ``"k"`` (kernel). ``make_proxy(info)`` turns
    the other side's handle description into a local proxy object; ``proxy_ref(obj)``
    returns the other side's handle id when ``obj`` is such a proxy (else None).
    """

    def __init__(self, name: str, make_proxy, proxy_ref):
        self.name = name
        self.make_proxy = make_proxy
        self.proxy_ref = proxy_ref
        self.reset()

    def reset(self) -> None:
        self.handles: dict[int, object] = {}
        self._handle_of: dict[int, int] = {}
        self.arrays: dict[str, list] = {}  # sid -> [array, digest]
        self._sid_of: dict[int, str] = {}
        self._proxies: dict[int, object] = {}
        self._counter = 0
        self._nodes = 0
        self._allow_refs = True

    # ---- handles -------------------------------------------------------------------------
    def handle(self, obj) -> int:
        key = id(obj)
        if key not in self._handle_of:
            self._counter += 1
            self._handle_of[key] = self._counter
            self.handles[self._counter] = obj
        return self._handle_of[key]

    def own(self, handle) -> object:
        if not isinstance(handle, int) or handle not in self.handles:
            raise WireError(f"unknown handle {handle!r:.20}")
        return self.handles[handle]

    # ---- shared arrays -------------------------------------------------------------------
    def _share(self, arr: np.ndarray) -> str:
        sid = self._sid_of.get(id(arr))
        if sid is None or self.arrays.get(sid, [None])[0] is not arr:
            self._counter += 1
            sid = f"{self.name}{self._counter}"
            self._sid_of[id(arr)] = sid
            self.arrays[sid] = [arr, None]
        self.arrays[sid][1] = _digest(arr)
        return sid

    def changes(self) -> list:
        """The shared arrays changed in place since they were last sent or received.

        An array that nothing but this table refers to any more, and whose memory nothing
        else holds either (a view of an array still in use stays watched: a change made
        through it reaches that array), can change no further and is no longer watched (its
        last change goes out now). What is watched is what is alive, not every array a test
        cell ever sent, so a long check costs no more per request as it goes on. If the
        other side sends it again, it arrives as a new array, which nobody here can tell
        apart from the old one.
        """
        out, gone = [], []
        for sid, entry in self.arrays.items():
            try:
                now = _digest(entry[0])
            except Exception:  # an array whose memory went away
                continue
            if now != entry[1]:
                entry[1] = now
                out.append({"sid": sid, **array_fields(entry[0])})
            if sys.getrefcount(entry[0]) <= ONLY_THIS_TABLE and _memory_only_here(entry[0].base):
                gone.append(sid)
        for sid in gone:
            self._sid_of.pop(id(self.arrays.pop(sid)[0]), None)
        return out

    def apply(self, updates) -> None:
        if not isinstance(updates, list):
            raise WireError("sync must be a list")
        for tree in updates:
            if not isinstance(tree, dict):
                raise WireError("bad sync entry")
            entry = self.arrays.get(tree.get("sid"))
            if entry is None:
                continue
            self._overwrite(entry, array_from_fields(tree))

    @staticmethod
    def _overwrite(entry: list, new: np.ndarray) -> None:
        arr = entry[0]
        try:
            if arr.shape == new.shape and arr.dtype == new.dtype:
                arr[...] = new
            elif arr.dtype.kind in "fc" and arr.size:
                arr[...] = np.nan  # reshaped in place: cannot be mirrored, so make it differ
        except (ValueError, TypeError):  # read-only arrays stay as they were
            pass
        entry[1] = _digest(arr)

    # ---- encoding ------------------------------------------------------------------------
    def encode(self, value, depth: int = 0, seen: frozenset = frozenset()):
        if value is None or isinstance(value, (bool, str)):
            return value
        if type(value) in (int, float):
            return value
        ref = self.proxy_ref(value)
        if ref is not None:
            return {"$ref": ref}
        if depth > MAX_DEPTH or id(value) in seen:
            return self._as_handle(value)
        try:
            return self._encode_data(value, depth, seen | {id(value)})
        except _NotData:
            return self._as_handle(value)

    def _encode_data(self, value, depth, seen):
        enc = lambda v: self.encode(v, depth + 1, seen)  # noqa: E731
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in SAFE_KINDS or value.dtype.fields is not None:
                raise _NotData
            return {"$nd": self._share(value), **array_fields(value)}
        if isinstance(value, np.generic):
            if value.dtype.kind not in SAFE_KINDS:
                raise _NotData
            return {"$np": value.dtype.str, "data": _b64(np.asarray(value).tobytes())}
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, complex):
            return {"$complex": [value.real, value.imag]}
        if isinstance(value, (bytes, bytearray)):
            return {"$bytes": _b64(bytes(value))}
        if isinstance(value, tuple):
            return {"$tuple": [enc(v) for v in value]}
        if isinstance(value, list):
            return [enc(v) for v in value]
        if isinstance(value, dict):
            return {"$dict": [[enc(k), enc(v)] for k, v in value.items()]}
        if isinstance(value, (set, frozenset)):
            return {"$set": [enc(v) for v in value], "frozen": isinstance(value, frozenset)}
        if isinstance(value, slice):
            return {"$slice": [enc(value.start), enc(value.stop), enc(value.step)]}
        if isinstance(value, range):
            return {"$range": [value.start, value.stop, value.step]}
        if value is Ellipsis:
            return {"$ellipsis": True}
        if isinstance(value, np.dtype):
            if value.kind not in SAFE_KINDS:
                raise _NotData
            return {"$dtype": value.str}
        if isinstance(value, type):
            if issubclass(value, np.generic) and np.dtype(value).kind in SAFE_KINDS:
                return {"$nptype": np.dtype(value).str}
            if value in SIMPLE_TYPES.values():
                return {"$type": value.__name__}
            raise _NotData
        if _is_torch_tensor(value):
            arr = value.detach().cpu().numpy()
            if arr.dtype.kind not in SAFE_KINDS:
                raise _NotData
            return {"$torch": array_fields(arr), "requires_grad": bool(value.requires_grad)}
        raise _NotData

    def _as_handle(self, value) -> dict:
        try:
            cls = value if isinstance(value, type) else type(value)
            name = str(getattr(cls, "__qualname__", cls.__name__))[:200]
            module = str(getattr(cls, "__module__", "") or "")[:200]
            is_callable = callable(value)
        except Exception:  # an object that cannot even be described
            name, module, is_callable = "object", "", False
        return {"$handle": self.handle(value), "type": name, "module": module,
                "callable": is_callable, "isclass": isinstance(value, type)}

    # ---- decoding ------------------------------------------------------------------------
    def decode(self, tree, depth: int = 0, *, allow_refs: bool = True):
        """The value a tree stands for. ``allow_refs=False``: the tree may not name one of
        this side's own objects (``$ref``), so the value is data or proxies of the other
        side's objects only."""
        self._nodes = 0
        self._allow_refs = allow_refs
        try:
            return self._decode(tree, depth)
        finally:
            self._allow_refs = True

    def _decode(self, tree, depth: int):
        if depth > MAX_DEPTH + 2:
            raise WireError("too deeply nested")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise WireError(f"more than {MAX_NODES} values in one message")
        if tree is None or isinstance(tree, (bool, int, float, str)):
            return tree
        dec = lambda t: self._decode(t, depth + 1)  # noqa: E731
        if isinstance(tree, list):
            return [dec(t) for t in tree]
        if not isinstance(tree, dict) or len(tree) == 0:
            raise WireError(f"unexpected {type(tree).__name__} in a value tree")
        tag = next(iter(tree))
        body = tree[tag]
        if tag == "$nd":
            return self._decode_array(tree)
        if tag == "$np":
            dtype = safe_dtype(body)
            data = _unb64(tree.get("data"))
            if len(data) != dtype.itemsize:
                raise WireError("bad numpy scalar")
            return np.frombuffer(data, dtype=dtype)[0]
        if tag == "$complex":
            return complex(*[float(v) for v in self._list(body, 2)])
        if tag == "$bytes":
            return _unb64(body)
        if tag == "$tuple":
            return tuple(dec(t) for t in self._list(body))
        if tag == "$dict":
            out = {}
            for pair in self._list(body):
                key, val = self._list(pair, 2)
                key = dec(key)
                try:
                    out[key] = dec(val)
                except TypeError:
                    raise WireError("unhashable dict key") from None
            return out
        if tag == "$set":
            items = [dec(t) for t in self._list(body)]
            try:
                return frozenset(items) if tree.get("frozen") else set(items)
            except TypeError:
                raise WireError("unhashable set item") from None
        if tag == "$slice":
            return slice(*[dec(t) for t in self._list(body, 3)])
        if tag == "$range":
            return range(*[int(v) for v in self._list(body, 3)])
        if tag == "$ellipsis":
            return Ellipsis
        if tag == "$dtype":
            return safe_dtype(body)
        if tag == "$nptype":
            return safe_dtype(body).type
        if tag == "$type":
            if body not in SIMPLE_TYPES:
                raise WireError(f"type {body!r:.40} is not allowed")
            return SIMPLE_TYPES[body]
        if tag == "$torch":
            import torch  # only when a tensor actually arrives

            tensor = torch.from_numpy(array_from_fields(body))
            return tensor.requires_grad_(True) if tree.get("requires_grad") and \
                tensor.is_floating_point() else tensor
        if tag == "$ref":
            if not self._allow_refs:
                raise WireError("a value that names one of the receiver's own objects")
            return self.own(body)
        if tag == "$handle":
            if not isinstance(body, int) or isinstance(body, bool):
                raise WireError("bad handle")
            proxy = self._proxies.get(body)
            if proxy is None:
                info = {"handle": body, "type": str(tree.get("type", "object"))[:200],
                        "module": str(tree.get("module", ""))[:200],
                        "callable": tree.get("callable") is True,
                        "isclass": tree.get("isclass") is True}
                proxy = self._proxies[body] = self.make_proxy(info)
            return proxy
        raise WireError(f"unknown tag {tag!r:.40}")

    def _decode_array(self, tree) -> np.ndarray:
        sid = tree.get("$nd")
        if not isinstance(sid, str) or len(sid) > 40:
            raise WireError("bad array id")
        new = array_from_fields(tree)
        entry = self.arrays.get(sid)
        if entry is not None and entry[0].shape == new.shape and entry[0].dtype == new.dtype:
            self._overwrite(entry, new)  # the same array again: keep its identity
            return entry[0]
        self.arrays[sid] = [new, _digest(new)]
        self._sid_of[id(new)] = sid
        return new

    @staticmethod
    def _list(body, length: int | None = None) -> list:
        if not isinstance(body, list) or (length is not None and len(body) != length):
            raise WireError("malformed value tree")
        return body


class _NotData(Exception):
    """Raised while encoding: this value goes by reference."""
