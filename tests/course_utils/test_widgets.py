"""Do the interactive demos compute what their titles claim?"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import widgets  # noqa: E402


def test_gamma_and_beta_move_inputs_out_of_the_sigmoid_linear_regime():
    """Is over half of a unit-normal input within 0.01 of the tangent, far less after gamma=4?"""
    unit = widgets.gamma_beta_sigmoid_demo(1.0, 0.0)
    assert 0.5 < unit < 0.65  # |z| < ~0.78 for a unit normal: about 57%
    assert widgets.gamma_beta_sigmoid_demo(4.0, 2.0) < 0.2
    assert widgets.gamma_beta_sigmoid_demo(0.5, 0.0) > 0.85


@pytest.mark.parametrize("m", [2, 16, 256])
def test_batch_mean_spread_follows_sigma_over_sqrt_m(m):
    """Does the batch mean's spread match sigma / sqrt(m)?"""
    spread = widgets.batch_noise_demo(m=m, n_batches=4000, sigma=1.5)
    assert spread == pytest.approx(1.5 / np.sqrt(m), rel=0.06)


def test_batch_of_one_is_refused():
    with pytest.raises(ValueError, match="at least 2"):
        widgets.batch_noise_demo(m=1)
