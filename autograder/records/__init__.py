"""The class's records: what a grading (or a merge) leaves behind, and in which shapes.

The steps, in order:

1. :mod:`~autograder.records.results`       the one writer of a grading's folder, the same
                                            bytes for a run, a shard and a merge (it calls
                                            the three that follow);
2. :mod:`~autograder.records.report`        the grades table: a row per student and
                                            assignment, as CSV, text and a summary;
3. :mod:`~autograder.records.feedback`      a page per student and assignment, never a
                                            hidden test in it, and the written answers'
                                            page, with :mod:`~autograder.records.markdown`
                                            (the students' answers as Markdown with math,
                                            without raw HTML);
4. :mod:`~autograder.records.class_report`  the class's mistakes, for the instructor;
5. :mod:`~autograder.records.gradebook`     the grades where nbgrader's own tools read them
                                            (the gradebook, ``autograded/``), recorded by
                                            ``grade`` and ``merge``;
6. :mod:`~autograder.records.export`        ``python -m autograder export``: the grades in
                                            the shapes learning platforms import.
"""
