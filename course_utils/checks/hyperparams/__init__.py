"""Checks for notebook 08: ``train_val_split``, ``log_uniform``, ``random_search``,
``narrow_space``, ``lr_at`` and ``early_stopping_epoch``.

Where the course's contract leaves a choice open (which examples go to validation, the
order of random draws), the checks test the properties every right answer has rather
than the reference's exact numbers: every example in exactly one part, rows still paired
with their labels, values inside the range, the right distribution, scores equal to the
objective, sorted lowest first, and the same result for the same seed.

One module per graded function, each with its catalogue of named mistakes: ``split``,
``log_uniform``, ``random_search``, ``narrow_space``, ``lr_schedule`` (``lr_at``),
``early_stopping``; ``_shared`` holds what they share.
"""

from .early_stopping import check_early_stopping_epoch
from .log_uniform import check_log_uniform
from .lr_schedule import check_lr_at
from .narrow_space import check_narrow_space
from .random_search import check_random_search
from .split import check_train_val_split

__all__ = ["check_train_val_split", "check_log_uniform", "check_random_search",
           "check_narrow_space", "check_lr_at", "check_early_stopping_epoch"]
