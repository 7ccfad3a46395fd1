"""The kernel a submission runs in, and how a test cell's verdict is made outside it.

The steps, in order:

1. :mod:`~autograder.verdicts.kernel`          start one grading kernel, run a cell with a
                                               deadline, interrupt it, stop it;
2. :mod:`~autograder.verdicts.grading_kernel`  inside the kernel: limits first, then the
                                               harness, then ipykernel;
3. :mod:`~autograder.verdicts.harness`         inside the kernel: run the student's code when
                                               the grader asks, report what a check needs;
4. :mod:`~autograder.verdicts.wire`            the values between the two, without trust:
                                               handles and shared arrays (the ``Side``), and
   :mod:`~autograder.verdicts.wire_values`     what travels by value, the limits, exceptions;
5. :mod:`~autograder.verdicts.remote`          in the grader: proxies of the student's
                                               objects, their calls and exceptions replayed;
6. :mod:`~autograder.verdicts.replay`          in the grader: a test cell run with the real
                                               checks on those proxies, and its verdict.

``grading_kernel``, ``harness``, ``wire`` and ``wire_values`` run inside the kernel too:
the grader copies them into the kernel's folder (``safety.sandbox.KERNEL_FILES``), where
they import each other as plain modules and use only the standard library and numpy.
"""
