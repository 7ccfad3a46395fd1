"""Checks for notebook 04: gradient checking tools and the batch norm backward pass.

``check_relative_error``, ``check_numerical_gradient``, ``check_batchnorm_backward`` (staged)
and ``check_batchnorm_backward_alt`` (closed form). The backward checks build the cache with
the course's reference forward pass, so they do not depend on a student's notebook 03.

One module per graded function or pair, each beside its catalogue of named mistakes:

- ``relative_error``: ``check_relative_error``;
- ``numerical_gradient``: ``check_numerical_gradient``;
- ``backward``: ``check_batchnorm_backward``, ``check_batchnorm_backward_alt``, with their
  catalogue in ``backward_mistakes``;
- ``_shared``: the forbidden functions, the batches, skipping a mistake that is right here.
"""

from .backward import check_batchnorm_backward, check_batchnorm_backward_alt
from .numerical_gradient import check_numerical_gradient
from .relative_error import check_relative_error

__all__ = ["check_relative_error", "check_numerical_gradient", "check_batchnorm_backward",
           "check_batchnorm_backward_alt"]
