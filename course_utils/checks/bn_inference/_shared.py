"""What every check of notebook 05 shares: the forbidden torch functions, the batches,
the fixes its messages suggest, and ``call_student`` in this notebook's terms.
"""

from __future__ import annotations

import numpy as np

from .._core import call_student, fail

FORBIDDEN = {"torch": {"batch_norm", "native_batch_norm", "_batch_norm_impl_index",
                       "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
                       "instance_norm", "layer_norm", "group_norm"}}
#: backward is written from scratch too: autograd must not stand in for it
FORBIDDEN_BACKWARD = {"torch": FORBIDDEN["torch"] | {"backward", "grad", "run_backward",
                                                     "_engine_run_backward", "vjp"}}


OLD_VALUE = ("momentum was used as the weight of the OLD value, running = momentum * running + "
             "(1 - momentum) * batch: the convention of Keras and of CS231n's and d2l's teaching "
             "code (0.9 there; Keras's default is 0.99). The course follows PyTorch: momentum is "
             "the weight of the NEW batch, running = (1 - momentum) * running + momentum * batch.")


def _batch(rng, n, d, dtype=np.float64, loc=None, scale=None):
    loc = rng.uniform(-3, 3, size=d) if loc is None else loc
    scale = rng.uniform(0.5, 3.0, size=d) if scale is None else scale
    return (loc + scale * rng.standard_normal((n, d))).astype(dtype)


UPDATE_FIX = ("build new arrays and return them, `new_mean = (1 - momentum) * running_mean + "
              "momentum * batch_mean`, not `running_mean *= 1 - momentum`.")
POPULATION_FIX = ("compute new arrays, `var = batch_vars.mean(axis=0) * (m / (m - 1))`, not "
                  "`batch_vars *= m / (m - 1)`.")
INFERENCE_FIX = "write `x_centered = x - running_mean`, not `x -= running_mean`."


def _call(func, *args, case, name, arg_names, fix, forbidden=None, **kwargs):
    """``call_student``, with an in-place change of an input explained in this notebook's terms.

    (The shared advice, "write `x = x - m`", reads wrong here, where m is the batch size.)
    """
    if not callable(func):
        return call_student(func, *args, case=case, name=name, arg_names=arg_names, **kwargs)

    def guarded(*a, **k):
        before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else None for v in a]
        result = func(*a, **k)
        for label, b, v in zip(arg_names, before, a):
            if b is not None and not (isinstance(v, np.ndarray) and v.shape == b.shape
                                      and np.array_equal(v, b, equal_nan=True)):
                fail(case, f"{name} changed its input `{label}` in place. Graded functions "
                           f"never modify their inputs: {fix}")
        return result

    return call_student(guarded, *args, case=case, name=name, forbidden=forbidden,
                        arg_names=arg_names, **kwargs)
