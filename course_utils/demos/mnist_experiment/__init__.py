"""Notebook 08's demonstrations: the paper's MNIST network, a small training loop, plots.

Ioffe & Szegedy (2015), Section 4.1: a network with three fully connected hidden layers
of 100 sigmoid units, small Gaussian initial weights, mini-batches of 60, trained with
and without batch normalization on every hidden layer (BN before the sigmoid, with the
layer's bias dropped because BN's beta takes its place, Section 3.2). Figure 1 plots (a)
test accuracy over training and (b, c) the 15th, 50th and 85th percentiles of the input
of one sigmoid of the last hidden layer.

Everything here is plain PyTorch on the CPU, sized to run in seconds. Runs are
reproducible: the weights come from ``torch.manual_seed(seed)`` and the order of the
mini-batches from a ``torch.Generator`` seeded with the same seed.

- ``training``: the network (``make_mlp``) and its training loop (``train``, ``train_epochs``);
- ``figure1``: the replication of Figure 1 and the numbers behind it (``FIGURE1``, its settings);
- ``search``: the search objective, the learning-rate sweep and the search figures.

Every name is imported here: notebook 08 uses ``from course_utils.demos import
mnist_experiment as mx`` and ``mx.<name>``.
"""

from .figure1 import FIGURE1 as FIGURE1  # the replication's settings (not in __all__)
from .figure1 import figure1_summary, plot_figure1, replicate_figure1
from .search import (Tracked, lr_sweep, plot_bergstra_bengio, plot_lr_sweep, plot_search,
                     search_objective)
from .training import (TrainLog, configure_torch, evaluate, make_mlp, sigmoid_inputs, train,
                       train_epochs)

__all__ = ["configure_torch", "make_mlp", "sigmoid_inputs", "evaluate", "TrainLog", "train",
           "train_epochs", "replicate_figure1", "figure1_summary", "plot_figure1",
           "search_objective", "Tracked", "lr_sweep", "plot_lr_sweep", "plot_bergstra_bengio",
           "plot_search"]
