"""What the course costs its users, measured: ``python -m benchmarks`` (``make bench``).

One module per question, each returning rows for the report:

- ``notebooks``  each solution notebook run top to bottom, and the whole course;
- ``checking``   ``python -m autograder check`` per notebook next to its floor (a kernel
                 start plus the notebook's imports, measured the same way);
- ``grading``    ``grade`` on the demo class with 1 and 2 workers;
- ``kernels``    the numpy reference's batch norm forward+backward against torch's CPU
                 kernel, and the staged against the compact backward;
- ``startup``    the first import of ``course_utils`` and of the whole stack.

``report`` writes the markdown table (medians over repeated runs, the machine, the
versions) with every budget marked pass or fail. Budgets are checked here, never in the
test suite: tests verify, benchmarks measure.
"""
