"""The course's grading command line: ``python -m autograder generate | check | grade``.

Read as a pipeline:

- :mod:`autograder.paths`     where the course's notebooks live;
- :mod:`autograder.cells`     nbgrader cell metadata: which cells are tests, restoring them;
- :mod:`autograder.generate`  solutions/ -> notebooks/ through nbgrader generate_assignment;
- :mod:`autograder.execute`   run a notebook in a fresh kernel, in a scratch folder;
- :mod:`autograder.check`     self-study: run a notebook with the hidden tests, score it;
- :mod:`autograder.grade`     instructors: nbgrader autograde over a class, grades CSV;
- :mod:`autograder.cli`       the command line that ties them together.
"""
