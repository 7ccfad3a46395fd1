"""Trusting nothing a submission holds: where its kernel runs, what it may read and start.

The steps, in the order a submission meets them:

1. :mod:`~autograder.safety.safefiles`  read it on the host without following a link out of
                                        it, regular files only, bounded;
2. :mod:`~autograder.safety.sandbox`    run its kernel in a bubblewrap sandbox (or say what
                                        protection is missing without one);
3. :mod:`~autograder.safety.standins`   in the sandbox, ``course_utils.reference`` and
                                        ``course_utils.checks`` are stand-ins that compute
                                        nothing;
4. :mod:`~autograder.safety.limits`     how many processes its kernel may have, enforced
                                        where it holds (a pids cgroup, a watchdog);
5. :mod:`~autograder.safety.procs`      the processes it left behind: found and stopped;
6. :mod:`~autograder.safety.sanitize`   its text made safe to print, to page or to put in a
                                        CSV cell.
"""
