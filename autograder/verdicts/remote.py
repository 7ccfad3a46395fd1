"""The grader's stand-ins for a student's objects, and what happened in the kernel, again here.

Half of :mod:`replay`, apart so each reads in one sitting. A name a test cell takes from
the student is bound to a proxy: :class:`RemoteObject` (an object), :class:`RemoteCallable`
(a function or method) or a class made by :class:`RemoteClass`; each attribute, call and
special method is one request to the kernel through the :class:`replay.Replay` it holds.
What the student's code did there is then done again here: :func:`replay_calls` (the
functions it called, as empty calls with the same module and name, for the checks'
tripwire) and :func:`raise_where` (its exception, raised from a frame with the student's
file, line and code).
"""

from __future__ import annotations

import builtins
import linecache
import os
import sys
import types


PUBLIC_DUNDERS = {"__name__", "__qualname__", "__module__", "__doc__", "__wrapped__"}
MAX_TEXT = 10_000
MAX_FAKES = 20_000      # functions made to replay calls, kept for reuse
MAX_CACHED_FILES = 200  # student file names kept in linecache (for the lines in messages)


# ---- proxies for the student's objects ---------------------------------------------------

class RemoteObject:
    """An object living in the student's kernel; attributes and calls are forwarded."""

    __slots__ = ("_r_info", "_r_replay")

    def __init__(self, info, replay):
        object.__setattr__(self, "_r_info", info)
        object.__setattr__(self, "_r_replay", replay)

    def __getattr__(self, name):
        if name.startswith("__") and name not in PUBLIC_DUNDERS:
            raise AttributeError(name)
        return self._r_replay.rpc("getattr", self, name=name)

    def __setattr__(self, name, value):
        if name in RemoteObject.__slots__:
            raise AttributeError(name)
        self._r_replay.rpc("setattr", self, name=name, args=[value])

    def __repr__(self):
        return str(self._r_replay.rpc("special", self, name="__repr__"))[:MAX_TEXT]

    def __str__(self):
        return str(self._r_replay.rpc("special", self, name="__str__"))[:MAX_TEXT]

    def __len__(self):
        return int(self._r_replay.rpc("special", self, name="__len__"))

    def __bool__(self):
        return bool(self._r_replay.rpc("special", self, name="__bool__"))

    def __getitem__(self, key):
        return self._r_replay.rpc("special", self, name="__getitem__", args=[key])

    def __setitem__(self, key, value):
        self._r_replay.rpc("special", self, name="__setitem__", args=[key, value])

    def __contains__(self, item):
        return bool(self._r_replay.rpc("special", self, name="__contains__", args=[item]))

    def __iter__(self):
        return iter(self._r_replay.rpc("special", self, name="__iter__"))


class RemoteCallable(RemoteObject):
    """A student's function (or method): calling it runs it in the kernel."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return self._r_replay.rpc("call", self, args=list(args), kwargs=kwargs)


class RemoteClass(type):
    """The metaclass of proxies for a student's class: ``Cls(...)`` builds one in the kernel."""

    def __call__(cls, *args, **kwargs):
        return cls._r_class_replay.rpc("call", cls, args=list(args), kwargs=kwargs)

    def __instancecheck__(cls, obj):
        if not isinstance(obj, RemoteObject) or isinstance(obj, type):
            return False
        info, mine = obj._r_info, cls._r_class_info
        return (info["module"], info["type"]) == (mine["module"], mine["type"])

    def __getattr__(cls, name):
        if name.startswith("_") and name not in PUBLIC_DUNDERS:
            raise AttributeError(name)
        return cls._r_class_replay.rpc("getattr", cls, name=name)


def _remote_ref(obj):
    if isinstance(obj, RemoteClass):
        return obj._r_class_info["handle"]
    if isinstance(obj, RemoteObject):
        return obj._r_info["handle"]
    return None


# ---- replaying what happened in the kernel ----------------------------------------------

def _noop():
    return None


_fakes: dict[tuple, types.FunctionType] = {}


def replay_calls(calls, reference_dir: str) -> None:
    """Make each recorded call again as an empty function with the same module, name and
    qualified name (in the reference's folder if it came from there), for the tripwire."""
    if sys.getprofile() is None:
        return
    for entry in calls[:5000]:
        if not (isinstance(entry, list) and len(entry) == 4):
            continue
        module, name, qualname = (str(x)[:200] or "?" for x in entry[:3])
        from_reference = entry[3] is True
        key = (module, name, qualname, from_reference)
        fake = _fakes.get(key)
        if fake is None:
            if len(_fakes) >= MAX_FAKES:
                _fakes.clear()
            filename = (os.path.join(reference_dir, "__replayed__.py") if from_reference
                        else "<student code>")
            code = _noop.__code__.replace(co_name=name, co_qualname=qualname,
                                          co_filename=filename)
            fake = _fakes[key] = types.FunctionType(code, {"__name__": module})
        fake()


def raise_where(exc: BaseException, where) -> None:
    """Raise ``exc`` from a frame that carries the student's file, line and code."""
    line = where.get("line") if isinstance(where, dict) else None
    if type(line) is int and 0 < line < 10**5:
        filename = str(where.get("file") or "<student code>")[:500]
        if os.path.exists(filename):  # never stand in for one of the grader's own files
            filename = f"<student code {filename}>"
        text = str(where.get("text") or "")[:500]
        lines = ["\n"] * (line - 1) + [text + "\n"]
        if filename not in linecache.cache:
            _cached.append(filename)
            if len(_cached) > MAX_CACHED_FILES:
                linecache.cache.pop(_cached.pop(0), None)
        linecache.cache[filename] = (len(text), None, lines, filename)
        code = compile("\n" * (line - 1) + "raise __exc__", filename, "exec")
        exec(code, {"__exc__": exc})  # noqa: S102 - our own two-word program
    raise exc


_cached: list[str] = []  # the student's file names put into linecache, oldest first


def _warning_category(name) -> type:
    cls = getattr(builtins, str(name), None)
    return cls if isinstance(cls, type) and issubclass(cls, Warning) else UserWarning


def _instance(cls, info, replay):
    obj = object.__new__(cls)
    object.__setattr__(obj, "_r_info", info)
    object.__setattr__(obj, "_r_replay", replay)
    return obj
