"""Self-study checking: ``python -m autograder check NOTEBOOK``, for a reader on their own.

The steps, in order:

1. :mod:`~autograder.selfstudy.dataflow`  which code cells the score depends on (the graded
                                          cells and those that bind a name they read), so
                                          the demonstrations can be skipped;
2. :mod:`~autograder.selfstudy.execute`   run a notebook top to bottom in a fresh kernel,
                                          in a scratch folder;
3. :mod:`~autograder.selfstudy.check`     restore the hidden tests from ``solutions/``, run,
                                          score each test cell as nbgrader does.

No sandbox and no gradebook: the reader's own work, on the reader's own machine. Grading a
class is :mod:`autograder.grading`.
"""
