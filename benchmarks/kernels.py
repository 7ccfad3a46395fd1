"""Batch norm forward+backward: the course's numpy reference against torch's CPU kernel.

For each shape, in float64, in this one process: the reference's training-mode forward
and its compact backward (``course_utils.reference``), against ``F.batch_norm`` in training
mode with autograd's backward (``torch``, its default threads on this machine). Times are
per call, the median of 7 repeats of a loop long enough to time. The ratio
numpy / torch is the figure; the budget is numpy no slower (ratio <= 1). The staged
backward (node by node, notebook 04) is timed against the compact one on the first shape.
"""

from __future__ import annotations

import time

import numpy as np

from course_utils import reference as ref

from .measure import Row, log, median

SHAPES = [(256, 1024), (4096, 256), (32, 64, 32, 32)]
EPS = 1e-5


def per_call(fn, repeat: int = 7, min_time: float = 0.2) -> list[float]:
    """Seconds per call of ``fn()``: ``repeat`` loops, each long enough to time."""
    fn()  # warm up: first-call allocations and lazy initialisation
    loops = 1
    while True:
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        if time.perf_counter() - started >= min_time / repeat or loops >= 1 << 16:
            break
        loops *= 2
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        out.append((time.perf_counter() - started) / loops)
    return out


def _inputs(shape, seed: int = 0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    return (rng.normal(1.0, 2.0, size=shape), rng.normal(size=c), rng.normal(size=c),
            rng.normal(size=shape))


def numpy_step(shape):
    x, gamma, beta, dout = _inputs(shape)
    if len(shape) == 2:
        forward, backward = ref.batchnorm_forward, ref.batchnorm_backward_alt
    else:
        forward, backward = ref.spatial_batchnorm_forward, ref.spatial_batchnorm_backward

    def step():
        _, cache = forward(x, gamma, beta, EPS)
        return backward(dout, cache)
    return step


def torch_step(shape):
    import torch
    import torch.nn.functional as F

    x, gamma, beta, dout = (torch.from_numpy(a) for a in _inputs(shape))
    x.requires_grad_(True)
    gamma.requires_grad_(True)
    beta.requires_grad_(True)

    def step():
        x.grad = gamma.grad = beta.grad = None
        out = F.batch_norm(x, None, None, gamma, beta, training=True, eps=EPS)
        out.backward(dout)
        return x.grad, gamma.grad, beta.grad
    return step


def agree(shape) -> float:
    """The largest difference between the two gradients: both must compute the same thing."""
    ours = numpy_step(shape)()
    theirs = torch_step(shape)()
    return max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(ours, theirs))


def measure(repeat: int) -> list[Row]:
    import torch

    threads = torch.get_num_threads()
    rows = []
    for shape in SHAPES:
        gap = agree(shape)
        if gap > 1e-8:
            raise RuntimeError(f"numpy and torch gradients differ by {gap:.2e} at {shape}")
        ours = per_call(numpy_step(shape))
        theirs = per_call(torch_step(shape))
        ratio = median(ours) / median(theirs)
        name = "x".join(map(str, shape))
        log(f"  kernels: {name} numpy {median(ours) * 1e3:.2f} ms, torch {median(theirs) * 1e3:.2f} ms")
        rows.append(Row("kernels", f"{name}: numpy reference", 1e3 * median(ours), "ms",
                        [1e3 * t for t in ours]))
        rows.append(Row("kernels", f"{name}: torch ({threads} threads)", 1e3 * median(theirs),
                        "ms", [1e3 * t for t in theirs]))
        rows.append(Row("kernels", f"{name}: numpy / torch", ratio, "x", [], "<= 1x",
                        ratio <= 1.0, note=f"gradients agree to {gap:.0e}"))
    x, gamma, beta, dout = _inputs(SHAPES[0])
    _, cache = ref.batchnorm_forward(x, gamma, beta, EPS)
    staged = per_call(lambda: ref.batchnorm_backward(dout, cache))
    compact = per_call(lambda: ref.batchnorm_backward_alt(dout, cache))
    name = "x".join(map(str, SHAPES[0]))
    rows.append(Row("kernels", f"{name}: staged backward", 1e3 * median(staged), "ms",
                    [1e3 * t for t in staged]))
    rows.append(Row("kernels", f"{name}: compact backward", 1e3 * median(compact), "ms",
                    [1e3 * t for t in compact]))
    rows.append(Row("kernels", f"{name}: staged / compact", median(staged) / median(compact),
                    "x", []))
    return rows
