"""Checks for notebook 01: ``min_max_scale``, ``standardize``, ``fit_standardizer``,
``apply_standardizer`` and ``gd_linear_regression``.

One module per graded function or pair, each with its catalogue of named mistakes:
``min_max``, ``standardize`` (``standardize``, ``fit_standardizer``),
``apply_standardizer``, ``gd`` (``gd_linear_regression``); ``_shared`` holds the data sets
and the rounding reports they share.
"""

from .apply_standardizer import check_apply_standardizer
from .gd import check_gd_linear_regression
from .min_max import check_min_max_scale
from .standardize import check_fit_standardizer, check_standardize

__all__ = ["check_min_max_scale", "check_standardize", "check_fit_standardizer",
           "check_apply_standardizer", "check_gd_linear_regression"]
