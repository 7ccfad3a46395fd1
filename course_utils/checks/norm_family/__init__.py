"""Checks for notebook 07: ``normalize``, ``layer_norm``, ``instance_norm``, ``group_norm``.

One module per graded function: ``normalize``, ``layer_norm``, ``instance_norm``,
``group_norm``; ``_shared`` holds the data and the mistakes the family shares.
"""

from .group_norm import check_group_norm
from .instance_norm import check_instance_norm
from .layer_norm import check_layer_norm
from .normalize import check_normalize

__all__ = ["check_normalize", "check_layer_norm", "check_instance_norm", "check_group_norm"]
