"""Do the demo helpers of notebooks 06 and 07 build, train and draw what they claim?"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils.demos import conv as conv_demos  # noqa: E402
from course_utils import reference as ref  # noqa: E402
from course_utils.demos.data import load_digits  # noqa: E402

pytestmark = [pytest.mark.nb06, pytest.mark.nb07]

KINDS = {
    "batch norm": lambda x: ref.normalize(x, (0, 2, 3)),
    "layer norm": lambda x: ref.normalize(x, (1, 2, 3)),
    "instance norm": ref.instance_norm,
    "group norm": lambda x: ref.group_norm(x, np.ones(6), np.zeros(6), 3),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_shaded_cells_are_the_values_that_share_statistics(kind):
    """Are the shaded cells exactly the outputs that move when value (0, 0, 0) moves?"""
    x = np.random.default_rng(0).normal(size=(6, 6, 6, 1))    # (N, C, H*W, 1)
    moved = x.copy()
    moved[0, 0, 0, 0] += 3.0
    changed = ~np.isclose(KINDS[kind](moved), KINDS[kind](x), rtol=0, atol=1e-12)[..., 0]
    np.testing.assert_array_equal(changed, conv_demos.shared_statistics(kind, 6, 6, 6, 3))


def test_cube_drawing_runs_and_refuses_unknown_kinds():
    """Does draw_norm_cube draw on a 3-D axes, and refuse a kind it does not know?"""
    import matplotlib.pyplot as plt

    fig = plt.figure()
    ax = fig.add_subplot(projection="3d")
    assert conv_demos.draw_norm_cube(ax, "group norm", groups=2) is ax
    with pytest.raises(ValueError, match="unknown kind"):
        conv_demos.draw_norm_cube(ax, "weight norm")
    plt.close(fig)


@pytest.mark.parametrize("norm, image_size", [(None, 8), ("bn", 8), ("gn", 28)])
def test_small_cnn_shapes_and_biases(norm, image_size):
    """Does small_cnn give 10 logits, with conv biases only where no normalization follows?"""
    model = conv_demos.small_cnn(norm, image_size=image_size, hidden=16)
    assert model(torch.zeros(3, 1, image_size, image_size)).shape == (3, 10)
    convs = [m for m in model if isinstance(m, torch.nn.Conv2d)]
    assert all((c.bias is None) == (norm is not None) for c in convs)


def test_small_cnn_hidden_norm_can_be_left_out():
    """Does hidden_norm=None leave the hidden layer unnormalized (with a bias)?"""
    model = conv_demos.small_cnn("bn", image_size=8, hidden=32, hidden_norm=None)
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in model)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model) == 2
    assert model[9].bias is not None


def test_train_classifier_records_what_it_promises():
    """Does a short run record every step's loss and the evaluations it was asked for?"""
    digits = load_digits("sklearn", flatten=False)
    model = conv_demos.small_cnn("bn", image_size=8)
    history = conv_demos.train_classifier(model, digits, batch_size=16, max_steps=5,
                                          eval_every=2, progress=False)
    assert history["step"] == [1, 2, 3, 4, 5] and len(history["train_loss"]) == 5
    assert history["eval_step"] == [0, 2, 4, 5]
    assert all(0 <= a <= 1 for a in history["test_accuracy"])
    with pytest.raises(ValueError, match="flatten=False"):
        conv_demos.train_classifier(model, load_digits("sklearn"), max_steps=1, progress=False)


def test_batch_size_sweep_returns_errors_per_norm_and_batch():
    """Does a tiny sweep return one test error per batch size and norm, in percent?"""
    digits = load_digits("sklearn", flatten=False)
    result = conv_demos.batch_size_sweep(digits, batch_sizes=(2, 4), examples=8, seeds=(0, 1),
                                         progress=False)
    for norm in ("bn", "gn"):
        assert result[norm].shape == (2,) and result[f"{norm} runs"].shape == (2, 2)
        assert np.all((0 <= result[norm]) & (result[norm] <= 100))
