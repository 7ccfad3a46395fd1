"""The course's grading command line: ``python -m autograder generate | check | grade``
(and ``key | merge``, to grade in shards; ``export``, ``translations``).

The folders are its pipelines; each subpackage's docstring lists its steps in order:

- :mod:`autograder.course`     authoring: solutions/ -> notebooks/ through nbgrader, the
                               navigation, the translations and their editions;
- :mod:`autograder.selfstudy`  ``check``: a reader's notebook run with the hidden tests;
- :mod:`autograder.grading`    ``grade``: a class collected, prepared and graded side by
                               side (``key``: the secret its fresh seeds come from);
- :mod:`autograder.verdicts`   the kernel a submission runs in, and each test cell judged
                               in the grader, over the wire, against the kernel's harness;
- :mod:`autograder.safety`     trusting nothing a submission holds: the sandbox, the
                               stand-ins, process limits, links, text;
- :mod:`autograder.records`    what a grading leaves: the grades table, feedback pages, the
                               class report, nbgrader's gradebook, ``export``;
- :mod:`autograder.sharding`   grading past one machine: ``grade --shard K/N``, ``merge``;
- :mod:`autograder.demo`       the demo class in ``autograder/demo_class`` (its expected
                               grades: ``autograder/demo_expected_grades.csv``).

At the top: :mod:`autograder.cli` (the one command line, ``python -m autograder``),
:mod:`autograder.paths` (where the course's files live) and :mod:`autograder.cells` (nbgrader
cell metadata, which every pipeline reads), beside the files nbgrader and Jupyter load by
path from this folder: ``nbgrader_config.py``, ``jupyter_server_config.json``,
``labconfig/``.
"""
