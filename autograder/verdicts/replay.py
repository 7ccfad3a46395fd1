"""Trusted verdicts: run a test cell's checks in the grader, on the student's code in the kernel.

A test cell such as ``check_batchnorm_forward(batchnorm_forward, seed=0)`` is executed
*here*, in the grader's own process, with the course's real ``check_*`` functions. The
names the cell takes from the student (``batchnorm_forward``) are bound to proxies: calling
one sends the arguments the check chose to the student's kernel, runs the student's
function there, and brings back what a check needs to judge it (see ``harness.py``):

- the result, or the exception raised again here with the student's line;
- the arrays it changed in place (written into the check's own arrays, so the check's
  in-place test sees them);
- the warnings it raised (raised again here, so the check records them);
- the functions it called, replayed as empty calls with the same module and name, so the
  check's tripwire (calls into ``course_utils.reference``, forbidden torch functions)
  fires exactly as it would have.

Nothing the submission does in its kernel can change a verdict: ``numpy``, ``course_utils``
and the checks used here are the grader's, and seeds the cell leaves to chance
(``seed=None``) are drawn here, from a secret the kernel never sees. What the kernel may
ask back is narrow: it can call only the functions a check handed to the student, and
only use the methods of a numpy random Generator the check passed.

Trust goes one way. A test cell's namespace is made anew for every cell: the course's own
import lines (from the source notebook, executed here) bind its trusted names, and each
other name the cell reads gets the one value the kernel sends for it, which must decode to
data or a proxy of a kernel object (never one of the grader's objects). Whatever else a
kernel puts in its reply is ignored, so no submission can add or rebind a name a test cell
uses: not a check, not ``np``, not a builtin.

This module is the session (:class:`Replay`: requests, and the kernel asking back) and one
test cell (:func:`run_test_cell`); the proxies and the replaying of calls and exceptions
are in :mod:`remote`.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
import hmac
import io
import secrets
import sys
import warnings

import numpy as np

from . import wire
from .remote import (MAX_TEXT, RemoteCallable, RemoteClass, RemoteObject, _instance,
                     _remote_ref, _warning_category, raise_where, replay_calls)
from .kernel import HarnessError, KernelGone, TimeLimit

GENERATOR_METHODS = {
    "random", "integers", "uniform", "normal", "standard_normal", "choice", "permutation",
    "shuffle", "permuted", "exponential", "standard_exponential", "binomial", "poisson",
    "beta", "gamma", "lognormal", "multivariate_normal", "dirichlet", "laplace", "logistic",
    "geometric", "triangular", "bytes", "spawn",
}
MAX_STDERR = 20_000
MAX_WARNING_TEXT = 500
MAX_METHODS = 10_000  # ordinary methods of the student's objects kept per test cell


class ReplayError(RuntimeError):
    """The kernel asked for something it may not have, or answered nonsense."""


class Replay:
    """The grader's end of one notebook's kernel: proxies, requests, call-backs."""

    def __init__(self, session, reference_dir: str):
        self.session = session
        self.reference_dir = reference_dir
        self.side = wire.Side("t", self._make_proxy, _remote_ref)
        self.deadline = float("inf")
        self.stderr = ""
        self._counter = 0
        self._classes: dict[tuple, type] = {}
        self._callable_handles: set[int] = set()
        self._in_callback = False
        self._methods: dict[tuple[int, str], RemoteCallable] = {}

    def _make_proxy(self, info):
        key = (info["module"], info["type"])
        if info["isclass"]:
            cls = RemoteClass(str(info["type"]).rsplit(".", 1)[-1] or "Student", (RemoteObject,),
                              {"__module__": info["module"] or "student", "__slots__": ()})
            type.__setattr__(cls, "_r_class_info", info)
            type.__setattr__(cls, "_r_class_replay", self)
            self._classes[key] = cls
            return cls
        if key in self._classes:
            return _instance(self._classes[key], info, self)
        kind = RemoteCallable if info["callable"] else RemoteObject
        return kind(info, self)

    def reset(self) -> None:
        """Forget every handle and shared array (between test cells), on both sides."""
        self.side.reset()
        self._classes.clear()
        self._callable_handles.clear()
        self._methods.clear()
        self.rpc("reset", None)

    def describe(self, names) -> dict:
        """The student's objects behind ``names`` (missing names are left out).

        Only the names asked for are taken from the reply, and each value must be data or a
        proxy of a kernel object: a reply that names one of the grader's own objects is
        refused (:class:`wire.WireError`), keys that were not asked for are ignored.
        """
        wanted = sorted(set(names))
        found = self.rpc("describe", None, args=[], extra={"names": wanted}, trusted=False)
        if not isinstance(found, dict):
            return {}
        return {name: found[name] for name in wanted if name in found}

    # ---- one request ---------------------------------------------------------------------
    def rpc(self, op, target, name=None, args=(), kwargs=None, extra=None, trusted=True):
        if self._in_callback:
            raise ReplayError("the student's code cannot be called back while it is running")
        method_key = None
        if op == "getattr" and isinstance(target, RemoteObject) and not isinstance(target, type):
            method_key = (_remote_ref(target), name)
            if method_key in self._methods:  # an ordinary method, asked for before
                return self._methods[method_key]
        saved = sys.getprofile()
        sys.setprofile(None)
        try:
            self._counter += 1
            request = {"id": self._counter, "op": op, "name": name,
                       "sync": self.side.changes(),
                       "target": None if target is None else {"$ref": _remote_ref(target)},
                       "args": self._encode_args(list(args)),
                       "kwargs": self._encode_args(dict(kwargs or {})), **(extra or {})}
            reply = self.session.request(request, self.deadline, self._callback(saved))
            if len(self.stderr) < MAX_STDERR:
                self.stderr = (self.stderr + str(reply.get("_stderr") or ""))[:MAX_STDERR]
            self.side.apply(reply.get("sync") or [])
            value = (self.side.decode(reply.get("value"), allow_refs=trusted)
                     if reply.get("ok") else None)
            containers = reply.get("containers")
            self._write_back(args, kwargs or {}, containers if isinstance(containers, dict)
                             else {})
        finally:
            sys.setprofile(saved)
        calls = reply.get("calls")
        replay_calls(calls if isinstance(calls, list) else [], self.reference_dir)
        caught = reply.get("warnings")
        for entry in (caught if isinstance(caught, list) else [])[:5]:
            if isinstance(entry, list) and len(entry) == 2:
                warnings.warn(str(entry[1])[:MAX_WARNING_TEXT], _warning_category(entry[0]),
                              stacklevel=2)
        if not reply.get("ok"):
            info = reply.get("exc") or {}
            raise_where(wire.rebuild_exception(info), info.get("where"))
        if (method_key is not None and reply.get("method") is True
                and isinstance(value, RemoteCallable) and len(self._methods) < MAX_METHODS):
            self._methods[method_key] = value
        return value

    def _encode_args(self, value):
        before = set(self.side.handles)
        tree = self.side.encode(value)
        self._callable_handles |= {h for h in set(self.side.handles) - before
                                   if callable(self.side.handles[h])}
        return tree

    def _write_back(self, args, kwargs, containers: dict) -> None:
        """Lists and dicts the student changed in place change here too."""
        for key, tree in list(containers.items())[:len(args) + len(kwargs)]:
            if not isinstance(key, str):
                continue
            target = kwargs.get(key) if not key.isdigit() else (
                args[int(key)] if int(key) < len(args) else None)
            new = self.side.decode(tree)
            if isinstance(target, list) and isinstance(new, list):
                target[:] = new
            elif isinstance(target, dict) and isinstance(new, dict):
                target.clear()
                target.update(new)

    # ---- the kernel asking back ----------------------------------------------------------
    def _callback(self, profile):
        def answer(request: dict) -> dict:
            self._in_callback = True
            try:
                return self._answer(request, profile)
            except (wire.WireError, ReplayError, KeyError, TypeError) as exc:
                return {"ok": False, "exc": wire.describe_exception(exc, None)}
            finally:
                self._in_callback = False
        return answer

    def _answer(self, request: dict, profile) -> dict:
        self.side.apply(request.get("sync") or [])
        target = self.side.decode(request.get("target"))
        handle = (request.get("target") or {}).get("$ref")
        args = self.side.decode(request.get("args") or [])
        kwargs = self.side.decode(request.get("kwargs") or {"$dict": []})
        op, name = request.get("op"), request.get("name")
        if op == "call" and handle in self._callable_handles:
            action = lambda: target(*args, **kwargs)  # noqa: E731
        elif (op == "getattr" and isinstance(target, np.random.Generator)
              and name in GENERATOR_METHODS):
            action = lambda: getattr(target, name)  # noqa: E731
        else:
            raise ReplayError(f"the grader's object cannot be used that way ({op} {name or ''})")
        sys.setprofile(profile)  # the check's own code runs as it would have
        try:
            value = action()
            reply = {"ok": True}
        except Exception as exc:  # the check's function raised: the student's code sees it
            value, reply = None, {"ok": False, "exc": wire.describe_exception(exc, None)}
        finally:
            sys.setprofile(None)
        if op == "getattr":
            reply["value"] = {"$handle": self.side.handle(value), "type": "method",
                              "module": "numpy.random", "callable": True, "isclass": False}
            self._callable_handles.add(reply["value"]["$handle"])
        else:
            before = set(self.side.handles)
            reply["value"] = self.side.encode(value)
            if set(self.side.handles) - before:
                raise ReplayError("a check's function returned an object the kernel may not use")
        reply["sync"] = self.side.changes()
        return reply


# ---- one test cell -------------------------------------------------------------------------

def free_names(source: str) -> set[str]:
    """Names a cell reads that it does not define and that are not builtins."""
    tree = ast.parse(source)
    loaded, stored = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return {n for n in loaded - stored if not hasattr(builtins, n)}


def import_statements(sources: list[str]) -> dict[str, str]:
    """name -> the import statement that binds it, over a notebook's (trusted) code cells."""
    found: dict[str, str] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found[(alias.asname or alias.name).split(".")[0]] = ast.unparse(
                        ast.Import(names=[alias]))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name != "*":
                        found[alias.asname or alias.name] = ast.unparse(
                            ast.ImportFrom(module=node.module, names=[alias], level=0))
    return found


@contextlib.contextmanager
def secret_seeds(key: bytes, label: str):
    """``secrets.randbelow`` (how ``make_rng(None)`` draws a fresh seed) made repeatable per
    submission and cell, from a key only the grader holds: a re-grade draws the same seeds,
    a student cannot predict them."""
    counter = [0]
    original = secrets.randbelow

    def randbelow(n: int) -> int:
        counter[0] += 1
        digest = hmac.new(key, f"{label}/{counter[0]}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") % n

    secrets.randbelow = randbelow
    try:
        yield
    finally:
        secrets.randbelow = original


class Verdict:
    def __init__(self, passed: bool, message: str, output: str = "", problem: str | None = None):
        self.passed, self.message, self.output, self.problem = passed, message, output, problem


def run_test_cell(replay: Replay, source: str, namespace: dict, imports: dict[str, str],
                  deadline: float, key: bytes, label: str) -> Verdict:
    """Execute a test cell's source here, its student names bound to proxies; judge it.

    The cell runs in a namespace made for it alone: a copy of ``namespace`` (trusted names
    a caller provides; the grader passes none), the course's import lines in ``imports``
    for the names the cell reads, and the kernel's value for each other name it reads.
    ``problem`` in the verdict is "time limit", "kernel gone" or "harness" (the kernel's
    harness did not answer) when that stopped it.
    """
    replay.deadline = deadline
    replay.stderr = ""
    out = io.StringIO()
    cell_namespace = dict(namespace)
    try:
        names = free_names(source)
        for name in sorted(names & imports.keys()):
            if name not in cell_namespace:
                exec(imports[name], cell_namespace)  # noqa: S102 - the course's own import line
        student = sorted(n for n in names if n not in imports and n not in cell_namespace)
        replay.reset()
        if student:
            cell_namespace.update(replay.describe(student))
        code = compile(source, f"<test cell {label}>", "exec")
        with contextlib.redirect_stdout(_Capped(out)), secret_seeds(key, label):
            exec(code, cell_namespace)  # noqa: S102 - the course's own test cell
    except TimeLimit:
        return Verdict(False, "the cell ran past the per-cell time limit", out.getvalue(),
                       "time limit")
    except KernelGone as exc:
        return Verdict(False, f"did not finish: {exc}", out.getvalue(), "kernel gone")
    except HarnessError as exc:  # only the submission can have broken it
        return Verdict(False, f"not graded: {exc}", out.getvalue(), "harness")
    except AssertionError as exc:  # a check's CheckFailure: its message is the feedback
        return Verdict(False, f"{type(exc).__name__}: {exc}"[:MAX_TEXT], out.getvalue())
    except BaseException as exc:  # noqa: BLE001 - any other error fails the cell, with its name
        return Verdict(False, f"{type(exc).__name__}: {exc}"[:MAX_TEXT], out.getvalue())
    if replay.stderr.strip():
        return Verdict(False, "wrote to stderr (nbgrader scores this 0): "
                       + replay.stderr.strip()[:500], out.getvalue())
    return Verdict(True, "passed", out.getvalue())


class _Capped(io.TextIOBase):
    """What a test cell prints, kept up to :data:`MAX_TEXT` characters."""

    def __init__(self, target: io.StringIO):
        self.target = target

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        room = MAX_TEXT - self.target.tell()
        if room > 0:
            self.target.write(str(text)[:room])
        return len(text)
