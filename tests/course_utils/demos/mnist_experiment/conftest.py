"""What the tests of notebook 08's MNIST experiment share: one torch thread (the notebook's
setting) for each test module, and the MNIST digits."""

import pytest
import torch

from course_utils.demos import mnist_experiment as mx
from course_utils.demos.data import load_digits


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    mx.configure_torch(1)
    yield
    torch.set_num_threads(threads)
    torch.set_flush_denormal(False)


@pytest.fixture(scope="module")
def digits():
    return load_digits("mnist")
