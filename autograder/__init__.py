"""The course's grading command line: ``python -m autograder generate | check | grade``
(and ``key | merge``, to grade in shards).

Read as a pipeline:

- :mod:`autograder.paths`     where the course's notebooks live;
- :mod:`autograder.cells`     nbgrader cell metadata: which cells are tests, restoring them;
- :mod:`autograder.generate`  solutions/ -> notebooks/ through nbgrader generate_assignment;
- :mod:`autograder.execute`   run a notebook in a fresh kernel, in a scratch folder;
- :mod:`autograder.check`     self-study: run a notebook with the hidden tests, score it;
- :mod:`autograder.grade`     instructors: grade a class, safely (its steps below), grades
                              CSV and feedback (docs/instructors.md);
- :mod:`autograder.cli`       the command line that ties them together.

``grade``'s steps, one module each: :mod:`~autograder.sandbox` (where kernels run),
:mod:`~autograder.collect` (what to grade), :mod:`~autograder.prepare` (test cells
restored), :mod:`~autograder.pool` and :mod:`~autograder.worker` (notebooks side by side,
each in its kernel: :mod:`~autograder.kernel`), :mod:`~autograder.replay` (test cells judged
in the grader, against the kernel's :mod:`~autograder.harness`, over :mod:`~autograder.wire`),
:mod:`~autograder.report` (the grades table) and :mod:`~autograder.feedback` (the pages),
written by :mod:`~autograder.results`; hidden seeds from :mod:`~autograder.keys`. Trusting
nothing a submission holds: :mod:`~autograder.safefiles` (read it without following links,
bounded), :mod:`~autograder.sanitize` (what is printed, paged or put in a CSV),
:mod:`~autograder.standins` (no callable reference or checks in the sandbox) and
:mod:`~autograder.limits` (the kernel's processes). Grading
past one machine: :mod:`~autograder.shards` (``grade --shard K/N``) and
:mod:`~autograder.merge`.
:mod:`autograder.demo` builds the demo class in ``autograder/demo_class``.
"""
