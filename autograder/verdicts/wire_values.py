"""The values that cross the wire by value, and the exceptions that cross it described.

Half of :mod:`wire`, apart so each reads in one sitting: the size limits, JSON in and out,
arrays as fields (dtype, shape, layout, base64 data; only dtypes that carry no Python
objects), their digests (which arrays changed), and exceptions as descriptions raised again
as the builtin class or a look-alike of the same name. Like :mod:`wire`, it runs on both
sides (the grader copies it into the kernel's folder: ``sandbox.KERNEL_FILES``), so it uses
only the standard library and numpy, and is imported as a plain module there.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import json

import numpy as np


MIME = "application/vnd.bn-grader.reply+json"
MAX_DEPTH = 40
MAX_ARRAY_BYTES = 256 * 2**20
#: the most values one message may hold (an array counts as one): decoding a reply cannot
#: build more Python objects than this, whatever its size
MAX_NODES = 200_000
#: dtype kinds that carry no Python objects: bool, ints, floats, complex, bytes, str, times
SAFE_KINDS = set("biufcSUMm")
SIMPLE_TYPES = {"int": int, "float": float, "bool": bool, "complex": complex, "str": str,
                "bytes": bytes, "tuple": tuple, "list": list, "dict": dict}


class WireError(ValueError):
    """A tree that is not a valid encoding (malformed, too large, or refused)."""


def dumps(tree) -> str:
    return json.dumps(tree, separators=(",", ":"))


def loads(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"not valid JSON: {exc}") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text) -> bytes:
    if not isinstance(text, str) or len(text) > MAX_ARRAY_BYTES * 4 // 3 + 8:
        raise WireError("array data missing or too large")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise WireError("array data is not base64") from None


def safe_dtype(text) -> np.dtype:
    if not isinstance(text, str) or len(text) > 16:
        raise WireError(f"bad dtype {text!r:.40}")
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise WireError(f"bad dtype {text!r:.40}") from None
    if dtype.kind not in SAFE_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"dtype {text!r} is not allowed")
    return dtype


def _layout(arr: np.ndarray) -> str:
    if arr.flags.c_contiguous or arr.ndim < 2:
        return "C"
    return "F" if arr.flags.f_contiguous else "S"


def _with_layout(flat: np.ndarray, shape: tuple, layout: str) -> np.ndarray:
    """An array holding ``flat`` (C order) in ``shape``, laid out as described."""
    arr = flat.reshape(shape)
    if layout == "F":
        return np.asfortranarray(arr)
    if layout == "S" and arr.ndim >= 1 and arr.size:
        # not contiguous: a strided view into a larger buffer, like x[:, ::2]
        base = np.zeros(shape[:-1] + (2 * shape[-1],), dtype=arr.dtype)
        view = base[..., ::2]
        view[...] = arr
        return view
    return arr.copy()


def array_fields(arr: np.ndarray) -> dict:
    return {"dtype": arr.dtype.str, "shape": list(arr.shape), "layout": _layout(arr),
            "data": _b64(np.ascontiguousarray(arr).tobytes())}


def array_from_fields(tree: dict) -> np.ndarray:
    dtype = safe_dtype(tree.get("dtype"))
    shape = tree.get("shape")
    if (not isinstance(shape, list) or len(shape) > 32
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
        raise WireError(f"bad shape {shape!r:.60}")
    data = _unb64(tree.get("data"))
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count * dtype.itemsize != len(data) or len(data) > MAX_ARRAY_BYTES:
        raise WireError("array data does not match its shape and dtype")
    flat = np.frombuffer(data, dtype=dtype).copy()
    layout = tree.get("layout", "C")
    return _with_layout(flat, tuple(shape), layout if layout in ("C", "F", "S") else "C")


def _digest(arr: np.ndarray) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.digest()


def _is_torch_tensor(value) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("torch") and hasattr(value, "detach") and hasattr(value, "numpy")


# ---- exceptions across the wire ---------------------------------------------------------

def describe_exception(exc: BaseException, where: dict | None) -> dict:
    """What the other side needs to raise an equivalent exception."""
    bases = [c.__name__ for c in type(exc).__mro__
             if c.__module__ == "builtins" and issubclass(c, BaseException)]
    args = []
    for a in getattr(exc, "args", ())[:4]:
        args.append(a if isinstance(a, (str, int, float, bool)) or a is None else str(a)[:2000])
    try:
        message = str(exc)[:4000]
    except Exception:
        message = "<unprintable exception>"
    return {"type": type(exc).__name__[:200], "module": (type(exc).__module__ or "")[:200],
            "bases": bases[:12], "args": args, "message": message, "where": where}


class ForeignBaseException(BaseException):
    """Base of exceptions like SystemExit or KeyboardInterrupt raised by the other side."""


_foreign: dict[tuple, type] = {}


def exception_class(info: dict) -> type:
    """A class for a described exception: the builtin one, or a look-alike of the same name."""
    name = str(info.get("type", "Exception"))[:200]
    module = str(info.get("module", ""))[:200]
    if module == "builtins":
        cls = getattr(builtins, name, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            return cls
    base = Exception
    bases = info.get("bases")
    for candidate in (bases if isinstance(bases, list) else [])[:12]:
        cls = getattr(builtins, str(candidate), None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            base = cls if issubclass(cls, Exception) else ForeignBaseException
            break
    if base is BaseException:
        base = ForeignBaseException
    key = (module, name, base)
    if key not in _foreign:
        if len(_foreign) > 2000:
            _foreign.clear()
        _foreign[key] = type(name or "Exception", (base,), {"__module__": module or "builtins"})
    return _foreign[key]


def rebuild_exception(info: dict) -> BaseException:
    if not isinstance(info, dict):
        info = {}
    cls = exception_class(info)
    args = info.get("args") if isinstance(info.get("args"), list) else []
    args = [a if isinstance(a, (int, float, bool)) or a is None else str(a)[:2000]
            for a in args[:4]]
    message = str(info.get("message", ""))[:4000]
    try:
        exc = cls(*args)
        if str(exc) != message and len(args) <= 1:
            exc = cls(message)
    except Exception:
        exc = cls(message)
    return exc
