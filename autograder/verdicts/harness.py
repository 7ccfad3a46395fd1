"""The grading kernel's side of the replay: run student code when the grader asks, report.

Runs inside the student's (sandboxed) kernel, installed before any student code as
``__bn_grader__``. The grader never sends test code here: it sends requests ("call the
object behind handle 3 with these arrays") as small ``__bn_grader__.serve(...)`` cells and
reads the reply from a display message of type :data:`wire.MIME`. For each request the
harness records what a check needs to judge the call on the grader's side: the result or
the exception (with the student's line), the warnings, the arrays changed in place, and
which functions the student's code called (so the grader can spot calls into the course's
reference or a forbidden library function).

A submission can replace or break anything here: it only ever changes what is reported
about its own code, which the grader judges anyway. The hidden tests, their seeds before
they are used and the verdicts are never in this process.
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback
import types
import warnings
from inspect import CO_OPTIMIZED

import numpy as np

import wire

#: the course's reference implementations (calls into it are reported)
REFERENCE_DIR = os.environ.get("GRADER_REFERENCE_DIR", "/nonexistent")
MAX_CALLS = 5000
SPECIAL = {"__len__", "__getitem__", "__setitem__", "__contains__", "__iter__", "__repr__",
           "__str__", "__bool__", "__next__"}


class _Abort(KeyboardInterrupt):
    """The grader gave up on this request (its time limit)."""


class TrustedProxy:
    """Stands for one of the grader's objects (a check's function, a random generator).

    Using it asks the grader, over the kernel's stdin channel, to act on the real object.
    """

    __slots__ = ("_info", "_harness", "_methods")

    def __init__(self, info, harness):
        object.__setattr__(self, "_info", info)
        object.__setattr__(self, "_harness", harness)
        object.__setattr__(self, "_methods", {})

    def __call__(self, *args, **kwargs):
        return self._harness.callback("call", self, args=list(args), kwargs=kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._methods:  # a random generator's methods: asked for once
            return self._methods[name]
        value = self._harness.callback("getattr", self, name=name)
        if type(value) is TrustedProxy and value._info["callable"]:
            self._methods[name] = value
        return value

    def __setattr__(self, name, value):
        self._harness.callback("setattr", self, name=name, value=value)

    def __repr__(self):
        return f"<{self._info['type']} from the grader>"

    def __len__(self):
        return self._harness.callback("special", self, name="__len__")

    def __getitem__(self, key):
        return self._harness.callback("special", self, name="__getitem__", args=[key])

    def __iter__(self):
        return iter(self._harness.callback("special", self, name="__iter__"))


class Harness:
    def __init__(self, kernel, publish):
        self.kernel = kernel
        self._publish = publish
        self._raw_input = kernel.raw_input
        self._setprofile = sys.setprofile
        self._getprofile = sys.getprofile
        self.side = wire.Side("k", lambda info: TrustedProxy(info, self),
                              lambda obj: obj._info["handle"] if type(obj) is TrustedProxy
                              else None)
        self._calls: dict | None = None

    # ---- the request loop ----------------------------------------------------------------
    def serve(self, text: str) -> None:
        """Answer one request from the grader (the body of a ``serve(...)`` cell)."""
        reply = {"ok": False}
        try:
            request = wire.loads(text)
            reply["id"] = request.get("id")
            self.side.apply(request.get("sync", []))
            reply.update(self._handle(request))
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a reply
            reply.update(ok=False, exc=wire.describe_exception(exc, _where(exc)))
        self._send(reply)

    def _send(self, reply: dict) -> None:
        try:
            reply["sync"] = self.side.changes()
            text = wire.dumps(reply)
        except BaseException as exc:  # noqa: BLE001 - e.g. a result that cannot be encoded
            text = wire.dumps({"id": reply.get("id"), "ok": False,
                               "exc": wire.describe_exception(exc, None)})
        self._publish({wire.MIME: text})

    def _handle(self, request: dict) -> dict:
        op = request.get("op")
        if op == "reset":
            self.side.reset()
            return {"ok": True}
        if op == "describe":
            ns = self.kernel.shell.user_ns
            found = [[name, self.side.encode(ns[name])] for name in request.get("names", [])
                     if isinstance(name, str) and name in ns]
            return {"ok": True, "value": {"$dict": found}}
        target = self.side.decode(request.get("target"))
        args = self.side.decode(request.get("args", []))
        kwargs = self.side.decode(request.get("kwargs", {"$dict": []}))
        if op == "call":
            action = lambda: target(*args, **kwargs)  # noqa: E731
        elif op == "getattr":
            got = []

            def look_up():  # kept in ``got`` too: _plain_method needs the object, not its code
                got.append(getattr(target, request["name"]))
                return got[0]

            reply = self._run(look_up, args, kwargs)
            if reply["ok"] and got and _plain_method(target, request["name"], got[0]):
                reply["method"] = True  # the grader may use it again without asking
            return reply
        elif op == "setattr":
            action = lambda: setattr(target, request["name"], args[0])  # noqa: E731
        elif op == "special" and request.get("name") in SPECIAL:
            action = self._special(target, request["name"], args)
        else:
            raise ValueError(f"unknown request {op!r}")
        return self._run(action, args, kwargs)

    @staticmethod
    def _special(target, name, args):
        if name == "__iter__":
            return lambda: list(target)
        if name == "__len__":
            return lambda: len(target)
        if name == "__bool__":
            return lambda: bool(target)
        if name in ("__repr__", "__str__"):
            return lambda: (repr if name == "__repr__" else str)(target)
        if name == "__next__":
            return lambda: next(target)
        return lambda: getattr(target, name)(*args)

    # ---- running student code, recorded -------------------------------------------------
    def _run(self, action, args, kwargs) -> dict:
        containers = {i: a for i, a in enumerate(args) if isinstance(a, (list, dict))}
        containers.update({k: v for k, v in kwargs.items() if isinstance(v, (list, dict))})
        before = {k: self._fingerprint(v) for k, v in containers.items()}
        self._calls = {}  # (module, function) in the order first called
        reply: dict = {"ok": True}
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
            warnings.simplefilter("always")
            previous = self._getprofile()
            self._setprofile(self._profile)
            try:
                reply["value"] = action()
            except BaseException as exc:  # noqa: BLE001 - reported to the grader
                reply = {"ok": False, "exc": wire.describe_exception(exc, _where(exc))}
            finally:
                self._setprofile(previous)
        reply["calls"] = list(self._calls)[:MAX_CALLS]
        self._calls = None
        reply["warnings"] = [[w.category.__name__, str(w.message)[:500]] for w in caught[:5]]
        if reply["ok"]:
            reply["value"] = self.side.encode(reply["value"])
        after = {}
        for key, value in containers.items():
            if self._fingerprint(value) != before[key]:
                after[str(key)] = self.side.encode(value)
        reply["containers"] = after
        return reply

    def _fingerprint(self, value) -> str:
        try:
            return wire.dumps(self.side.encode(value))
        except Exception:
            return ""

    def _profile(self, frame, event, arg):
        """Record (module, name, qualified name, from the reference?) of each call, once."""
        calls = self._calls
        if calls is None or len(calls) >= MAX_CALLS:
            return
        if event == "call":
            code = frame.f_code
            if not code.co_flags & CO_OPTIMIZED:
                return  # a module or class body (an import), not a call
            module = str(frame.f_globals.get("__name__", "") or "")
            reference = code.co_filename.startswith(REFERENCE_DIR)
            calls[(module, code.co_name, getattr(code, "co_qualname", code.co_name),
                   reference)] = None
        elif event == "c_call":
            module = getattr(arg, "__module__", None) or ""
            owner = getattr(arg, "__self__", None)
            if not module and owner is not None:
                module = getattr(owner, "__name__", "") or type(owner).__module__ or ""
            name = str(getattr(arg, "__name__", ""))
            calls[(str(module), name, name, False)] = None

    # ---- calling back into the grader ---------------------------------------------------
    def callback(self, op, proxy, name=None, args=(), kwargs=None, value=None):
        """Ask the grader to act on one of its objects; return its answer."""
        previous = self._getprofile()
        self._setprofile(None)
        try:
            request = {"op": op, "target": {"$ref": proxy._info["handle"]}, "name": name,
                       "sync": self.side.changes()}
            request["args"] = self.side.encode(list(args) if value is None else [value])
            request["kwargs"] = self.side.encode(dict(kwargs or {}))
            answer = self._raw_input(wire.dumps({"callback": request}))
            if not answer:
                raise _Abort("the grader stopped this call (time limit)")
            reply = wire.loads(answer)
            self.side.apply(reply.get("sync", []))
            if not reply.get("ok"):
                raise wire.rebuild_exception(reply.get("exc") or {})
            return self.side.decode(reply.get("value"))
        finally:
            self._setprofile(previous)


def _plain_method(target, name, value) -> bool:
    """Is ``value`` (``getattr(target, name)``) an ordinary method: the function of the
    target's class, bound to the target, not shadowed on the instance? The grader keeps
    such an answer for the rest of the test cell instead of asking again."""
    try:
        if isinstance(target, type) or type(value) is not types.MethodType:
            return False
        if value.__self__ is not target:
            return False
        try:
            own = object.__getattribute__(target, "__dict__")
        except AttributeError:
            own = {}
        if not isinstance(own, dict) or name in own:
            return False
        found = inspect.getattr_static(type(target), name, None)
        return isinstance(found, types.FunctionType) and value.__func__ is found
    except Exception:  # noqa: BLE001 - an object that cannot be looked at: ask every time
        return False


def _where(exc: BaseException) -> dict | None:
    """The last line of the student's own code in a traceback, as the checks report it."""
    frames = traceback.extract_tb(exc.__traceback__)
    skip = ("site-packages", "course_utils", os.path.dirname(os.path.abspath(__file__)))
    own = [f for f in frames if not any(p in (f.filename or "") for p in skip)]
    if not own:
        return None
    frame = own[-1]
    return {"file": frame.filename, "line": frame.lineno, "text": (frame.line or "").strip()}


def install(app) -> Harness:
    """Put the harness into a started IPKernelApp's user namespace as ``__bn_grader__``."""
    shell = app.shell
    harness = Harness(app.kernel, shell.display_pub.publish)
    shell.user_ns["__bn_grader__"] = harness
    shell.user_ns_hidden["__bn_grader__"] = harness
    return harness
