"""The demo class: a submission per scenario the grader must handle, built from notebook 03.

``python -m autograder.demo`` (re)writes ``autograder/demo_class/<student>/03_bn_forward/``
for every scenario (:mod:`~autograder.demo.scenarios`): honest work (all right, stub left
in, half right, the unbiased variance where batch norm uses the biased one), accidents
(infinite loops, crashes, a memory bomb, a renamed or broken notebook, a wrong folder),
and cheats (reading the solutions or a classmate's work, writing the grades, calling the
network, leaving processes behind, patching numpy or the course's checks, hard-coding the
visible tests' answers, deleting or editing test cells). ``autograder/demo_expected_grades.csv``
holds the row each one deserves; ``python -m autograder grade`` with no argument grades
this class and compares. Each student's folder is named for its scenario.

The cheats are real (``tests/autograder/safety/test_sandbox.py`` shows them succeeding where the
sandbox is off) but harmless to run: they read, or append to the demo's own grades file
(``grading-demo/grades.csv``, rewritten at the end of every run), nothing else.

Read in this order (each module's docstring says more):

1. :mod:`~autograder.demo.answers`    what the students wrote: each scenario's code;
2. :mod:`~autograder.demo.notebooks`  notebook 03's student version with those cells;
3. :mod:`~autograder.demo.scenarios`  the catalogue: student folder -> submission;
4. :mod:`~autograder.demo.build`      writing the class (``python -m autograder.demo``).
"""

# the names the tests and benchmarks use, as ``demo.X``
from .answers import (ASSIGNMENT, BACKGROUND, CLASS_DIR, FORK_BOMB, NAMED_MISTAKES,  # noqa: F401
                      NETWORK_PORT, ORPHAN_MARK)
from .build import build  # noqa: F401
from .notebooks import _forward, _key, _solution_source, notebook  # noqa: F401
from .scenarios import FORMULA_STUDENT, scenarios  # noqa: F401
