"""Does the check of batchnorm_inference (notebook 05) accept any right answer and name each
mistake of its catalogue?"""

import numpy as np
import pytest
import torch

from course_utils.checks import check_batchnorm_inference
from tests.helpers import accepted, mistakes_rejected

pytestmark = pytest.mark.nb05


# ---- batchnorm_inference -----------------------------------------------------------------

def _validated_x(x, gamma):
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != np.shape(gamma)[0]:
        raise ValueError("x must be (N, D) with D = len(gamma)")
    return x


def inference_right(x, gamma, beta, running_mean, running_var, eps=1e-5):
    x = _validated_x(x, gamma)
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta


def inference_folded(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Algorithm 2's last line: one scale and one shift per feature."""
    x = _validated_x(x, gamma)
    scale = gamma / np.sqrt(running_var + eps)
    return x * scale + (beta - scale * running_mean)


test_right_inference_accepted = accepted(
    check_batchnorm_inference, [inference_right, inference_folded], [0, 2, None],
    """Is a correct inference-mode batch norm accepted, in either form?""")


def _inference(rule):
    def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
        x = _validated_x(x, gamma)
        return rule(x, gamma, beta, running_mean, running_var, eps)
    return batchnorm_inference


def batch_stats_at_inference(x, gamma, beta, rm, rv, eps=1e-5):
    x = _validated_x(x, gamma)
    if x.shape[0] == 1:
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta
    return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta


def inference_in_place(x, gamma, beta, running_mean, running_var, eps=1e-5):
    x = _validated_x(x, gamma)
    x -= running_mean
    return gamma * x / np.sqrt(running_var + eps) + beta


INFERENCE_MISTAKES = [
    (batch_stats_at_inference, "batch's own statistics"),
    (_inference(lambda x, g, b, rm, rv, e: g * (x - rm) / (rv + e) + b), "instead of its square"),
    (_inference(lambda x, g, b, rm, rv, e: g * (x - rm) / (np.sqrt(rv) + e) + b), "outside"),
    (_inference(lambda x, g, b, rm, rv, e: g * (x - rm) / np.sqrt(rv + 1e-5) + b), "ignored"),
    (_inference(lambda x, g, b, rm, rv, e: b * (x - rm) / np.sqrt(rv + e) + g), "swapped"),
    (_inference(lambda x, g, b, rm, rv, e: g * (x - rm) / np.sqrt(rv + e)), "beta was not added"),
    (_inference(lambda x, g, b, rm, rv, e: g * x / np.sqrt(rv + e) + b), "not subtracted"),
    (lambda x, g, b, rm, rv, eps=1e-5: torch.nn.functional.batch_norm(
        torch.from_numpy(np.asarray(x)), torch.from_numpy(rm), torch.from_numpy(rv),
        torch.from_numpy(g), torch.from_numpy(b), training=False, eps=eps).numpy(),
     "torch's batch_norm"),
    (inference_in_place, ["changed its input `x` in place", "x_centered = x - running_mean"]),
]


test_inference_mistakes_rejected = mistakes_rejected(
    check_batchnorm_inference, INFERENCE_MISTAKES,
    """Is each wrong inference pass rejected with a message naming the mistake?""",
    ids=[w if isinstance(w, str) else w[0] for _, w in INFERENCE_MISTAKES])
