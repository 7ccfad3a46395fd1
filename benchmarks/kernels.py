"""Batch norm forward+backward: the course's numpy reference against torch's CPU kernel.

For each shape, in float64, in this one process: the reference's training-mode forward
and its compact backward (``course_utils.reference``), against ``F.batch_norm`` in training
mode with autograd's backward (``torch``, its default threads on this machine, and, for
one thread, as numpy's elementwise arithmetic runs). Times are per call, 9 repeats of a
loop long enough to time, numpy and torch taken in turn; a ratio numpy / torch is the
median of the repeats' ratios. The budget is the reference within 2x of torch on one
thread (the same cores): it is plain numpy model code that people read, one operation at a
time, against a fused C++ kernel, and it is not to be traded for speed. Against torch's
default threads, and at a check's size, the ratio is information. The staged backward
(node by node, notebook 04) is timed against the compact one on the first shape.
"""

from __future__ import annotations

import time

import numpy as np

from course_utils import reference as ref

from .measure import Row, log, median

SHAPES = [(256, 1024), (4096, 256), (32, 64, 32, 32)]
#: the size of a check's test case: timed for comparison, without a budget
SMALL = (64, 32)
EPS = 1e-5
#: the reference's budget: within this factor of torch held to one thread
ONE_THREAD_BUDGET = 2.0


def per_call(fns: list, repeat: int = 9, min_time: float = 0.3) -> list[list[float]]:
    """Seconds per call of each ``fn()``, ``repeat`` times each, the functions interleaved.

    Each timing is a loop long enough to time (about ``min_time / repeat`` seconds); taking
    the functions in turn within each repeat means a busy moment of the machine slows them
    alike, so their ratio, repeat by repeat, stays fair.
    """
    loops = []
    for fn in fns:
        fn()  # warm up: first-call allocations and lazy initialisation
        n = 1
        while True:
            started = time.perf_counter()
            for _ in range(n):
                fn()
            if time.perf_counter() - started >= min_time / repeat or n >= 1 << 16:
                break
            n *= 2
        loops.append(n)
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, n, times in zip(fns, loops, out):
            started = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - started) / n)
    return out


def ratio(a: list[float], b: list[float]) -> tuple[float, list[float]]:
    """The median of the repeat-by-repeat ratios a / b, and the ratios."""
    ratios = [x / y for x, y in zip(a, b)]
    return median(ratios), ratios


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


def one_thread(step):
    """``step`` with torch held to one thread, as numpy's elementwise arithmetic runs."""
    import torch

    def run():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return step()
        finally:
            torch.set_num_threads(threads)
    return run


def agree(shape) -> float:
    """The largest difference between the two gradients: both must compute the same thing."""
    ours = numpy_step(shape)()
    theirs = torch_step(shape)()
    return max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(ours, theirs))


def measure(repeat: int) -> list[Row]:
    import torch

    threads = torch.get_num_threads()
    rows = []
    for shape in SHAPES + [SMALL]:
        gap = agree(shape)
        if gap > 1e-8:
            raise RuntimeError(f"numpy and torch gradients differ by {gap:.2e} at {shape}")
        ours, theirs, single = per_call([numpy_step(shape), torch_step(shape),
                                         one_thread(torch_step(shape))])
        r, ratios = ratio(ours, theirs)
        name = "x".join(map(str, shape))
        log(f"  kernels: {name} numpy {median(ours) * 1e3:.2f} ms, torch {median(theirs) * 1e3:.2f} ms")
        rows.append(Row("kernels", f"{name}: numpy reference", 1e3 * median(ours), "ms",
                        [1e3 * t for t in ours]))
        rows.append(Row("kernels", f"{name}: torch ({threads} threads)", 1e3 * median(theirs),
                        "ms", [1e3 * t for t in theirs]))
        budgeted = shape != SMALL
        rows.append(Row("kernels", f"{name}: numpy / torch ({threads} threads)", r, "x", ratios,
                        note=f"gradients agree to {gap:.0e}; no budget"))
        alone, alone_ratios = ratio(ours, single)
        rows.append(Row("kernels", f"{name}: numpy / torch on 1 thread", alone, "x",
                        alone_ratios, f"<= {ONE_THREAD_BUDGET:g}x" if budgeted else "",
                        (alone <= ONE_THREAD_BUDGET) if budgeted else None,
                        note=f"torch on 1 thread: {1e3 * median(single):.2f} ms"
                        + ("" if budgeted else "; a check's size, no budget")))
    x, gamma, beta, dout = _inputs(SHAPES[0])
    _, cache = ref.batchnorm_forward(x, gamma, beta, EPS)
    staged, compact = per_call([lambda: ref.batchnorm_backward(dout, cache),
                                lambda: ref.batchnorm_backward_alt(dout, cache)])
    name = "x".join(map(str, SHAPES[0]))
    rows.append(Row("kernels", f"{name}: staged backward", 1e3 * median(staged), "ms",
                    [1e3 * t for t in staged]))
    rows.append(Row("kernels", f"{name}: compact backward", 1e3 * median(compact), "ms",
                    [1e3 * t for t in compact]))
    r, ratios = ratio(staged, compact)
    rows.append(Row("kernels", f"{name}: staged / compact", r, "x", ratios))
    return rows
