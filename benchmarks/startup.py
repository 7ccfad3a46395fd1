"""Cold start: the first import of the course's code in a fresh process.

Each figure is a fresh interpreter importing the module(s) and timing only the import
(the interpreter's own start is reported separately). "First ever" adds what a brand-new
machine pays once: matplotlib building its font cache, measured with an empty
``MPLCONFIGDIR``. The operating system's file cache is warm in every run (clearing it
needs root and says little about a learner's second day).
"""

from __future__ import annotations

import os
import tempfile

from .measure import Row, log, median, python, timed_run

STACK = ["numpy", "matplotlib.pyplot", "torch", "sklearn.linear_model", "tqdm.auto",
         "ipywidgets", "course_utils.checks", "course_utils.reference", "course_utils.demos.data",
         "course_utils.widgets", "course_utils.demos.bn", "course_utils.demos.conv",
         "course_utils.demos.mnist_experiment", "course_utils.demos.scaling"]

PROBE = ("import time; t = time.perf_counter(); {imports}; "
         "print(time.perf_counter() - t)")


def import_seconds(modules: list[str], env: dict | None = None) -> float:
    code = PROBE.format(imports="; ".join(f"import {m}" for m in modules))
    _, done = timed_run(python("-c", code), env=env)
    return float(done.stdout.strip().splitlines()[-1])


def measure(repeat: int) -> list[Row]:
    rows = []
    bare = [timed_run(python("-c", "pass"))[0] for _ in range(repeat)]
    rows.append(Row("startup", "python itself (interpreter start, no import)", median(bare), "s",
                    bare))
    for label, modules in (("import course_utils", ["course_utils"]),
                           ("import course_utils.checks (a test cell's import)",
                            ["course_utils.checks"]),
                           ("the whole stack (" + ", ".join(STACK[:6]) + ", all of course_utils)",
                            STACK)):
        runs = [import_seconds(modules) for _ in range(repeat)]
        log(f"  startup: {label.split(' (')[0]} {median(runs):.2f} s")
        rows.append(Row("startup", label, median(runs), "s", runs))
    first = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bn-bench-mpl-") as fresh:
            env = dict(os.environ, MPLCONFIGDIR=fresh)
            first.append(import_seconds(["matplotlib.pyplot"], env=env))
    warm = [import_seconds(["matplotlib.pyplot"]) for _ in range(repeat)]
    rows.append(Row("startup", "import matplotlib.pyplot, first ever (font cache built)",
                    median(first), "s", first))
    rows.append(Row("startup", "import matplotlib.pyplot, afterwards", median(warm), "s", warm))
    return rows
