"""Checks for notebook 02: ``covariance``, ``zca_whitening_matrix``, ``bias_drift`` and
``fraction_near_linear``.

One module per graded function, each with its catalogue of named mistakes:
``covariance``, ``zca``, ``bias_drift``, ``fraction_near_linear``; ``_shared`` holds the data
and the forbidden functions.
"""

from .bias_drift import check_bias_drift
from .covariance import check_covariance
from .fraction_near_linear import check_fraction_near_linear
from .zca import check_zca_whitening_matrix

__all__ = ["check_covariance", "check_zca_whitening_matrix", "check_bias_drift",
           "check_fraction_near_linear"]
