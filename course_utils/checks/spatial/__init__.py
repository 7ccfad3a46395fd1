"""Checks for notebook 06: ``spatial_batchnorm_forward``, ``spatial_batchnorm_backward``,
``fold_batchnorm``.

One module per graded function, each with its catalogue of named mistakes: ``forward``,
``backward``, ``fold``; ``_shared`` holds what they share.
"""

from .backward import check_spatial_batchnorm_backward
from .fold import check_fold_batchnorm
from .forward import check_spatial_batchnorm_forward

__all__ = ["check_spatial_batchnorm_forward", "check_spatial_batchnorm_backward",
           "check_fold_batchnorm"]
