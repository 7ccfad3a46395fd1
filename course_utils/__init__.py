"""Shared code of the course *Batch Normalization, from scratch*.

- ``course_utils.reference``: reference implementations of every graded function, one
  module per notebook topic, plain numpy.
- ``course_utils.checks``: ``check_<name>(student)`` for every graded function; what the
  notebooks' test cells call.
- ``course_utils.demos``: the data, training and figure helpers the notebooks' demonstrations
  use (``from course_utils.demos.data import load_digits``, ``from course_utils.demos import
  conv``); nothing there is graded.
- ``course_utils.widgets``: the interactive sliders of notebook 03.

Conventions (shapes, biased vs unbiased variance, eps, momentum) are those of the course
specification and are stated once, in the README's "Conventions" section.
"""

__version__ = "0.1.0"
