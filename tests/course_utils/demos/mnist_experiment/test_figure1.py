"""Does the real run of ``demos/mnist_experiment/figure1.py``, with the notebook's settings,
show what notebook 08 says Figure 1 shows?"""

import pytest

from course_utils.demos import mnist_experiment as mx

pytestmark = pytest.mark.nb08


def test_replication_shows_what_the_notebook_says(digits):
    """The real run, with the notebook's settings: does the BN network reach 90% test accuracy
    sooner, and does its watched sigmoid input move less than the plain network's?"""
    logs = mx.replicate_figure1(digits, progress=False)
    s = mx.figure1_summary(logs, level=0.9)
    assert s["bn"]["first_step_at_level"] is not None
    assert s["plain"]["first_step_at_level"] is None or (
        s["bn"]["first_step_at_level"] < s["plain"]["first_step_at_level"])
    assert s["bn"]["movement"] < s["plain"]["movement"]
    assert len(logs["bn"].steps) == mx.FIGURE1["steps"] // mx.FIGURE1["eval_every"]
    for name in ("plain", "bn"):                     # the numbers the notebook prints
        print(name, s[name]["final_acc"], s[name]["first_step_at_level"], s[name]["movement"])
