"""Reference implementations of every graded function, one module per notebook topic.

Each function has the name and signature the course specification fixes, so that
``course_utils.reference.batchnorm_forward`` is the model answer to the exercise of the same
name. Students should not call these from their solutions: the checks notice.
"""

from course_utils._discover import export_all

__all__ = export_all(__name__, __path__, globals())
