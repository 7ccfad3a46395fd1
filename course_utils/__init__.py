"""Shared code of the course *Batch Normalization, from scratch*.

- ``course_utils.reference``: reference implementations of every graded function, one
  module per notebook topic, plain numpy.
- ``course_utils.checks``: ``check_<name>(student)`` for every graded function; what the
  notebooks' test cells call.

Conventions (shapes, biased vs unbiased variance, eps, momentum) are those of the course
specification and are stated once, in the README's "Conventions" section.
"""

__version__ = "0.1.0"
