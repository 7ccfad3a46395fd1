"""Checks for notebook 05: running statistics, Algorithm 2, inference mode, a BatchNorm1d class.

``check_update_running_stats``, ``check_population_statistics``, ``check_batchnorm_inference``
and ``check_BatchNorm1d``. The class is compared with ``torch.nn.BatchNorm1d`` run on the same
sequence of batches (outputs and buffers after every batch).

One module per graded function or pair, each with its catalogue of named mistakes:

- ``running_stats``: ``check_update_running_stats``, ``check_population_statistics``;
- ``inference``: ``check_batchnorm_inference``;
- ``layer``: ``check_BatchNorm1d``, built from ``layer_state`` (construction, parameters,
  buffers, modes), ``layer_sequence`` (a sequence of batches against torch) and
  ``layer_backward`` (the gradients in both modes);
- ``_shared``: the forbidden functions, the batches and the fixes the messages suggest.
"""

from .inference import check_batchnorm_inference
from .layer import check_BatchNorm1d
from .running_stats import check_population_statistics, check_update_running_stats

__all__ = ["check_update_running_stats", "check_population_statistics", "check_batchnorm_inference",
           "check_BatchNorm1d"]
