"""``check_BatchNorm1d`` (notebook 05): the forward part (``layer_state``,
``layer_sequence``) and the backward part (``layer_backward``), in that order.
"""

from __future__ import annotations

import numpy as np

from .._core import Case, expect_raises, fail, make_rng
from .layer_backward import _backward_part
from .layer_sequence import _run_sequence
from .layer_state import _check_new_module, _check_parameters_are_the_layers, _construct, _method

__all__ = ["check_BatchNorm1d"]


def _forward_part(cls, seed, rng, hidden):
    _check_new_module(cls, seed)
    _check_parameters_are_the_layers(cls, seed, rng)
    _run_sequence(cls, seed, rng, "three training batches", 3, [8, 4, 16])
    _run_sequence(cls, seed, rng, "momentum and eps passed by keyword", 2, [5, 2, 9, 3],
                  eps=1e-3, momentum=0.3)
    _run_sequence(cls, seed, rng, "momentum=None: the cumulative average", 3, [6, 20, 3, 9],
                  momentum=None)
    _run_sequence(cls, seed, rng, "momentum=0 keeps the start values", 2, [4, 7],
                  momentum=0.0, eval_sizes=(3,))
    _run_sequence(cls, seed, rng, "float32 batches", 4, [10, 6], dtype=np.float32)

    case = Case("a batch of one example in training mode", seed, {"x.shape": (1, 3)})
    bn = _construct(cls, case, 3)
    expect_raises(_method(bn, "forward", case), np.ones((1, 3)), case=case, name="forward",
                  why="batch statistics need at least two examples (torch raises too); in eval "
                      "mode a batch of one must work")
    case = Case("a batch with the wrong number of features", seed, {"x.shape": (4, 5), "D": 3})
    bn = _construct(cls, case, 3)
    expect_raises(_method(bn, "forward", case), np.ones((4, 5)), case=case, name="forward",
                  why="the module was built for 3 features")
    if hidden:
        for _ in range(3):
            d = int(rng.integers(1, 7))
            sizes = [int(s) for s in rng.integers(2, 40, size=int(rng.integers(3, 9)))]
            momentum = float(np.round(rng.uniform(0.01, 0.9), 3))
            _run_sequence(cls, seed, rng, "random sequence of batches", d, sizes,
                          momentum=momentum, eval_sizes=(1, int(rng.integers(2, 9))))
        _run_sequence(cls, seed, rng, "momentum=None, random batches", 2,
                      [int(s) for s in rng.integers(2, 40, size=6)], momentum=None)
        _run_sequence(cls, seed, rng, "float32, momentum and eps by keyword", 3, [7, 3, 12],
                      eps=0.01, momentum=0.5, dtype=np.float32)


PARTS = (None, "forward", "backward")


def check_BatchNorm1d(cls, seed=0, hidden=False, part=None):
    """Check a numpy ``class BatchNorm1d(num_features, eps=1e-5, momentum=0.1)``.

    ``part="forward"``: a new module (training True, gamma ones, beta zeros, running_mean
    zeros, running_var ones, num_batches_tracked 0; parameters(), buffers() and state_dict()
    with exactly the right keys); parameters() gives the layer's own arrays (writing into
    them in place changes forward's output); the module and ``torch.nn.BatchNorm1d`` see the
    same training batches (outputs and buffers compared after each; momentum 0.1, 0.3 and
    None, the cumulative average), switch to eval mode (a batch of 5 and a batch of one;
    buffers must not change) and back; state_dict() matches torch's and is a snapshot that
    does not follow later training. A batch of one in training mode and a batch with the
    wrong number of features raise ValueError.

    ``part="backward"``: over a sequence of training and eval batches (with train() or eval()
    called between a forward and its backward), backward(dout) gives autograd's dx, dgamma
    and dbeta for the last forward, changes no parameter or buffer, and the parameters
    follow an SGD step written into parameters() in place; backward before any forward and
    a dout of the wrong shape raise ValueError.

    ``part=None`` checks both. ``hidden=True`` adds random sequences, momenta, eps, float32.
    """
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    seed, rng = make_rng(seed)
    if not isinstance(cls, type):
        fail(Case("the class itself", seed), f"check_BatchNorm1d expects the class BatchNorm1d "
                                             f"(not an instance), got {type(cls).__name__}.")
    if part in (None, "forward"):
        _forward_part(cls, seed, rng, hidden)
    if part in (None, "backward"):
        _backward_part(cls, seed, rng, hidden)
