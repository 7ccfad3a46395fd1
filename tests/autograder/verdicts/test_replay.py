"""Do the checks judge a student's code in the kernel exactly as they would in one process?

``grade`` runs test cells in the grader and only the student's functions in the (sandboxed)
kernel (``autograder/verdicts/replay.py``). For a catalogue of student implementations, right and
wrong in every way a check looks at (values, dtypes, exceptions with the student's line,
in-place changes, warnings, forbidden torch calls, calls into the course's reference,
torch tensors returned, call-backs into a check's function, random generators, classes),
the verdict through the kernel must be the check's own verdict, word for word.
"""

from __future__ import annotations

import textwrap
import time

import numpy as np
import pytest

from autograder.safety import sandbox
from autograder.verdicts.kernel import KernelSession
from autograder.verdicts.replay import Replay, run_test_cell

KEY = bytes(32)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One grading kernel (sandboxed where the machine allows) for the whole catalogue."""
    tmp = tmp_path_factory.mktemp("replay")
    layout = sandbox.Layout(tmp / "work", tmp / "kernel")
    layout.workdir.mkdir()
    layout.kernel_dir.mkdir()
    status = sandbox.detect()
    settings = {"memory_bytes": 4 * 2**30, "file_bytes": 2**28}
    command = sandbox.kernel_command(layout, layout.kernel_dir / "connection.json", settings,
                                     status.enabled, status.bwrap)
    session = KernelSession(command, layout.kernel_dir / "connection.json")
    session.start(120)
    session.execute("import numpy as np", time.monotonic() + 120)
    yield session, Replay(session, sandbox.reference_dir())
    session.shutdown()


def _in_one_process(source: str, name: str, test: str) -> str:
    """The verdict of ``test`` when the student's code runs in this very process."""
    import linecache

    import course_utils.checks as checks

    filename = f"<student cell {name}>"  # as IPython does, so that tracebacks show the line
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    calls = {k: getattr(checks, k) for k in checks.__all__}
    try:
        exec(test, {**calls, name: namespace[name], "np": np})
    except AssertionError as exc:
        return f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return "passed"


def _through_the_kernel(kernel, source: str, name: str, test: str) -> str:
    session, replay = kernel
    done = session.execute(source, time.monotonic() + 120)
    assert done.error is None, done.error
    imports = {k: f"from course_utils.checks import {k}" for k in _check_names()}
    verdict = run_test_cell(replay, test, {}, imports, time.monotonic() + 120, KEY, name)
    return verdict.message


def _check_names():
    import course_utils.checks as checks

    return checks.__all__


def _same_verdict(kernel, source, name, test):
    source = textwrap.dedent(source).strip("\n") + "\n"
    here = _in_one_process(source, name, test)
    there = _through_the_kernel(kernel, source, name, test)
    assert there == here
    return there


FORWARD = {
    "right": """
        def bn_right(x, gamma, beta, eps=1e-5):
            x = np.asarray(x)
            if x.ndim != 2 or x.shape[0] < 2:
                raise ValueError("need a batch")
            mean = x.mean(0)
            var = ((x - mean) ** 2).mean(0)
            x_hat = (x - mean) / np.sqrt(var + x.dtype.type(eps))
            return gamma.astype(x.dtype) * x_hat + beta.astype(x.dtype), {
                "x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma.astype(x.dtype), "eps": eps}
        """,
    "in_place": """
        def bn_in_place(x, gamma, beta, eps=1e-5):
            if x.shape[0] < 2:
                raise ValueError("need a batch")
            mean = x.mean(0)
            x -= mean
            var = (x ** 2).mean(0)
            x_hat = x / np.sqrt(var + eps)
            return gamma * x_hat + beta, {"x_hat": x_hat, "mean": mean, "var": var,
                                          "gamma": gamma, "eps": eps}
        """,
    "unbiased": """
        def bn_unbiased(x, gamma, beta, eps=1e-5):
            if x.shape[0] < 2:
                raise ValueError("need a batch")
            mean, var = x.mean(0), x.var(0, ddof=1)
            x_hat = (x - mean) / np.sqrt(var + eps)
            return (gamma * x_hat + beta).astype(x.dtype), {"x_hat": x_hat, "mean": mean,
                                                            "var": var, "gamma": gamma, "eps": eps}
        """,
    "crashes": """
        def bn_crashes(x, gamma, beta, eps=1e-5):
            mean = x.mean(0)
            return x.reshape(-1, 7) - mean, {}
        """,
    "stub": """
        def bn_stub(x, gamma, beta, eps=1e-5):
            # YOUR CODE HERE
            raise NotImplementedError()
        """,
    "torch_shortcut": """
        import torch
        def bn_torch_shortcut(x, gamma, beta, eps=1e-5):
            if x.shape[0] < 2:
                raise ValueError("need a batch")
            t = torch.nn.functional.batch_norm(torch.from_numpy(np.ascontiguousarray(x)), None, None,
                torch.from_numpy(np.asarray(gamma, x.dtype)), torch.from_numpy(np.asarray(beta, x.dtype)),
                training=True, eps=eps)
            return t.numpy(), {}
        """,
    "reference": """
        from course_utils.reference import batchnorm_forward as _ref
        def bn_reference(x, gamma, beta, eps=1e-5):
            return _ref(x, gamma, beta, eps=eps)
        """,
    "tensor": """
        import torch
        def bn_tensor(x, gamma, beta, eps=1e-5):
            if x.shape[0] < 2:
                raise ValueError("need a batch")
            return torch.from_numpy(np.ascontiguousarray(x)), {}
        """,
    "float64_out": """
        def bn_float64_out(x, gamma, beta, eps=1e-5):
            if x.shape[0] < 2:
                raise ValueError("need a batch")
            x = x.astype(np.float64)
            mean, var = x.mean(0), x.var(0)
            x_hat = (x - mean) / np.sqrt(var + eps)
            return gamma * x_hat + beta, {"x_hat": x_hat, "mean": mean, "var": var,
                                          "gamma": gamma, "eps": eps}
        """,
    "warns": """
        import warnings
        def bn_warns(x, gamma, beta, eps=1e-5):
            if x.shape[0] < 2:
                raise ValueError("need a batch")
            warnings.warn("eps looked small, ignored it")
            x_hat = (x - x.mean(0)) / x.std(0)
            return x_hat + beta, {}
        """,
    "no_value_error": """
        def bn_no_value_error(x, gamma, beta, eps=1e-5):
            x = np.asarray(x)
            mean = x.mean(0)
            var = ((x - mean) ** 2).mean(0)
            x_hat = (x - mean) / np.sqrt(var + x.dtype.type(eps))
            return gamma.astype(x.dtype) * x_hat + beta.astype(x.dtype), {
                "x_hat": x_hat, "mean": mean, "var": var, "gamma": gamma.astype(x.dtype), "eps": eps}
        """,
}


SANDBOXED = sandbox.detect().enabled
#: in the sandbox the kernel has only stand-ins for the reference (autograder/safety/standins.py)
STAND_IN = ("raised RuntimeError: course_utils.reference.batchnorm_forward is not available "
            "while grading")


@pytest.mark.parametrize("variant", sorted(FORWARD))
def test_batchnorm_forward_verdicts_match(kernel, variant):
    """Is each batchnorm_forward variant judged through the kernel as in one process?"""
    name = f"bn_{variant}"
    test = f"check_batchnorm_forward({name}, seed=11, hidden=True)"
    if variant == "reference" and SANDBOXED:  # the call cannot even be made: it fails too
        source = textwrap.dedent(FORWARD[variant]).strip("\n") + "\n"
        assert "calls course_utils.reference" in _in_one_process(source, name, test)
        assert STAND_IN in _through_the_kernel(kernel, source, name, test)
        return
    verdict = _same_verdict(kernel, FORWARD[variant], name, test)
    expected = {"right": "passed", "in_place": "changed its input `x` in place",
                "unbiased": "unbiased variance", "crashes": "raised ValueError",
                "stub": "not written yet", "torch_shortcut": "calls torch's batch_norm",
                "reference": "calls course_utils.reference (batchnorm_forward)",
                "tensor": "torch tensor", "float64_out": "expected float32",
                "warns": "Warnings your code raised: eps looked small",
                "no_value_error": "should raise ValueError"}[variant]
    assert expected in verdict


def test_student_line_is_named_in_a_crash(kernel):
    """Does a crash report the student's own line, as the checks do in one process?"""
    verdict = _same_verdict(kernel, FORWARD["crashes"], "bn_crashes",
                            "check_batchnorm_forward(bn_crashes, seed=1)")
    assert "at line 3: `return x.reshape(-1, 7) - mean, {}`" in verdict, verdict


def test_a_forbidden_library_method_is_caught_through_the_kernel(kernel):
    """Is scikit-learn's scaler, called inside the student's function, caught as before?"""
    if "check_standardize" not in _check_names():
        pytest.skip("notebook 01's checks are not in this checkout")
    source = """
        from sklearn.preprocessing import StandardScaler
        def standardize_sklearn(X):
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError("X must be 2-D")
            return StandardScaler().fit_transform(X).astype(X.dtype)
        """
    verdict = _same_verdict(kernel, source, "standardize_sklearn",
                            "check_standardize(standardize_sklearn, seed=1)")
    assert "calls sklearn's" in verdict, verdict


def test_identity_params_verdicts_match(kernel):
    source = """
        def identity_wrong(x, eps=1e-5):
            return x.var(0) + eps, x.mean(0)
        """
    verdict = _same_verdict(kernel, source, "identity_wrong",
                            "check_identity_params(identity_wrong, seed=4)")
    assert "gamma is the variance" in verdict


NUMGRAD = {
    "right": """
        def numgrad_right(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            it = np.nditer(x, flags=["multi_index"])
            while not it.finished:
                i = it.multi_index
                old = x[i]
                x[i] = old + h
                plus = np.sum(f(x) * dout)
                x[i] = old - h
                minus = np.sum(f(x) * dout)
                x[i] = old
                grad[i] = (plus - minus) / (2 * h)
                it.iternext()
            return grad
        """,
    "not_restored": """
        def numgrad_not_restored(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            for i in np.ndindex(x.shape):
                x[i] += h
                plus = np.sum(f(x) * dout)
                x[i] -= 2 * h
                minus = np.sum(f(x) * dout)
                x[i] += h
                grad[i] = (plus - minus) / (2 * h)
            return grad
        """,
    "forward_difference": """
        def numgrad_forward_difference(f, x, dout, h=1e-5):
            grad = np.zeros_like(x)
            base = np.sum(f(x) * dout)
            for i in np.ndindex(x.shape):
                old = x[i]
                x[i] = old + h
                grad[i] = (np.sum(f(x) * dout) - base) / h
                x[i] = old
            return grad
        """,
}


@pytest.mark.parametrize("variant", sorted(NUMGRAD))
def test_call_backs_into_a_checks_function_match(kernel, variant):
    """Does a student function that calls the check's f (in the grader) get the same verdict?"""
    if "check_numerical_gradient" not in _check_names():
        pytest.skip("notebook 04's checks are not in this checkout")
    name = f"numgrad_{variant}"
    verdict = _same_verdict(kernel, NUMGRAD[variant], name,
                            f"check_numerical_gradient({name}, seed=2)")
    assert {"right": "passed", "not_restored": "x was not restored",
            "forward_difference": "wrong"}[variant] in verdict


def test_random_generators_are_used_through_the_grader(kernel):
    """Does a student drawing from the check's numpy Generator draw the same numbers?"""
    if "check_log_uniform" not in _check_names():
        pytest.skip("notebook 08's checks are not in this checkout")
    source = """
        def log_uniform_right(low, high, size, rng):
            if not 0 < low < high:
                raise ValueError("need 0 < low < high")
            return 10 ** rng.uniform(np.log10(low), np.log10(high), size)
        """
    assert _same_verdict(kernel, source, "log_uniform_right",
                         "check_log_uniform(log_uniform_right, seed=3)") == "passed"


BATCHNORM1D = """
    class BatchNorm1dStudent:
        def __init__(self, num_features, eps=1e-5, momentum=0.1):
            self.eps, self.momentum, self.training = eps, momentum, True
            self.params = {"gamma": np.ones(num_features), "beta": np.zeros(num_features)}
            self.running_mean = np.zeros(num_features)
            self.running_var = np.ones(num_features)
            self.num_batches_tracked = 0
            self.cache = None

        def train(self):
            self.training = True
            return self

        def eval(self):
            self.training = False
            return self

        def forward(self, x):
            x = np.asarray(x)
            if x.ndim != 2 or x.shape[1] != self.running_mean.shape[0]:
                raise ValueError("wrong shape")
            g = self.params["gamma"].astype(x.dtype)
            b = self.params["beta"].astype(x.dtype)
            if self.training:
                m = x.shape[0]
                if m < 2:
                    raise ValueError("need two examples")
                mean, var = x.mean(0), x.var(0)
                self.num_batches_tracked += 1
                mom = 1 / self.num_batches_tracked if self.momentum is None else self.momentum
                self.running_mean[...] = (1 - mom) * self.running_mean + mom * mean
                self.running_var[...] = (1 - mom) * self.running_var + mom * var * m / (m - 1)
            else:
                mean, var = self.running_mean, self.running_var
            std = np.sqrt(var + self.eps)
            x_hat = (x - mean) / std
            self.cache = (self.training, x_hat, std, g)
            return (g * x_hat + b).astype(x.dtype)

        def backward(self, dout):
            if self.cache is None:
                raise ValueError("forward first")
            training, x_hat, std, g = self.cache
            dout = np.asarray(dout)
            if dout.shape != x_hat.shape:
                raise ValueError("dout must have the output's shape")
            dbeta, dgamma = dout.sum(0), (dout * x_hat).sum(0)
            if training:
                m = dout.shape[0]
                dx = g / (m * std) * (m * dout - dbeta - x_hat * dgamma)
            else:
                dx = dout * g / std
            return dx.astype(dout.dtype), dgamma, dbeta

        def parameters(self):
            return self.params   # the module's own arrays, as PyTorch's parameters are

        def buffers(self):
            return {"running_mean": self.running_mean, "running_var": self.running_var,
                    "num_batches_tracked": self.num_batches_tracked}

        def state_dict(self):
            return {k: np.copy(v) for k, v in {**self.parameters(), **self.buffers()}.items()}
    """

#: wrong modules, each a subclass of the right one: what the check must see through proxies
BATCHNORM1D_WRONG = {
    "copies": ("""
        def parameters(self):
            return {k: v.copy() for k, v in self.params.items()}
        """, "parameters() returned copies"),
    "references": ("""
        def state_dict(self):
            return {**self.parameters(), **self.buffers()}
        """, "the checkpoint changed after it was taken"),
    "mode_now": ("""
        def backward(self, dout):
            if self.cache is not None:
                self.cache = (self.training,) + self.cache[1:]
            return super().backward(dout)
        """, "backward used the mode the layer is in now"),
    "steps_itself": ("""
        def backward(self, dout):
            dx, dgamma, dbeta = super().backward(dout)
            self.params["gamma"] -= 0.1 * dgamma
            return dx, dgamma, dbeta
        """, "backward changed gamma"),
}


def test_a_students_class_is_driven_through_proxies(kernel):
    """Does a class (whose parameters() the check changes in place) pass as in one process,
    forward and backward?"""
    if "check_BatchNorm1d" not in _check_names():
        pytest.skip("notebook 05's checks are not in this checkout")
    assert _same_verdict(kernel, BATCHNORM1D, "BatchNorm1dStudent",
                         "check_BatchNorm1d(BatchNorm1dStudent, seed=5)") == "passed"
    assert _same_verdict(kernel, BATCHNORM1D, "BatchNorm1dStudent",
                         "check_BatchNorm1d(BatchNorm1dStudent, seed=None, hidden=True)") \
        == "passed"


@pytest.mark.parametrize("variant", sorted(BATCHNORM1D_WRONG))
def test_a_wrong_class_is_judged_through_proxies_as_in_one_process(kernel, variant):
    """Are parameters() copies, a checkpoint of references and wrong backwards, found by
    behaviour (identity cannot be seen through a proxy), named the same in the kernel?"""
    if "check_BatchNorm1d" not in _check_names():
        pytest.skip("notebook 05's checks are not in this checkout")
    body, words = BATCHNORM1D_WRONG[variant]
    name = f"BatchNorm1d_{variant}"
    source = (textwrap.dedent(BATCHNORM1D).strip("\n") + f"\n\n\nclass {name}("
              "BatchNorm1dStudent):\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    "))
    part = '"backward"' if variant in ("mode_now", "steps_itself") else '"forward"'
    verdict = _same_verdict(kernel, source, name, f"check_BatchNorm1d({name}, seed=5, part={part})")
    assert words in verdict, verdict


def test_the_kernel_can_use_a_checks_objects_only_as_handed_over(kernel):
    """Can student code reach past a check's function or generator into the grader? (no)"""
    session, replay = kernel
    session.execute(textwrap.dedent("""
        def probe(f, rng):
            found = {"f(2)": f(2), "draw": float(rng.uniform(0, 1))}
            for label, attempt in [("globals", lambda: f.__globals__),
                                   ("code", lambda: f.__code__),
                                   ("bit generator", lambda: rng.bit_generator),
                                   ("private", lambda: rng._bit_generator),
                                   ("objects back", lambda: rng.spawn(1)),
                                   ("call rng", lambda: rng())]:
                try:
                    attempt()
                    found[label] = "reached"
                except Exception as exc:
                    found[label] = type(exc).__name__
            return found
        """), time.monotonic() + 60)
    replay.reset()
    probe = replay.describe({"probe"})["probe"]
    found = probe(lambda x: 2 * x, np.random.default_rng(0))
    assert found["f(2)"] == 4 and found["draw"] == np.random.default_rng(0).uniform(0, 1)
    refused = {k: v for k, v in found.items() if k not in ("f(2)", "draw")}
    assert "reached" not in refused.values(), refused


def test_a_time_limit_inside_a_students_function_is_reported(kernel):
    """Does a student function that never returns cost one time limit, then the kernel works?"""
    session, replay = kernel
    session.execute("def forever(x, gamma, beta, eps=1e-5):\n    while True:\n        pass",
                    time.monotonic() + 60)
    imports = {"check_batchnorm_forward": "from course_utils.checks import check_batchnorm_forward"}
    verdict = run_test_cell(replay, "check_batchnorm_forward(forever, seed=0)", {}, imports,
                            time.monotonic() + 3, KEY, "forever")
    assert verdict.problem == "time limit" and not verdict.passed
    assert session.execute("print(1 + 1)", time.monotonic() + 30).stdout == "2\n"


def test_seeds_left_to_chance_are_secret_but_repeatable(kernel):
    """Does seed=None draw the same hidden seed for the same key and label, another for others?"""
    session, replay = kernel
    session.execute("def seed_echo(x, gamma, beta, eps=1e-5):\n    raise TypeError('nope')",
                    time.monotonic() + 60)
    imports = {"check_batchnorm_forward": "from course_utils.checks import check_batchnorm_forward"}

    def seed_in_message(key, label):
        verdict = run_test_cell(replay, "check_batchnorm_forward(seed_echo, seed=None)", {},
                                imports, time.monotonic() + 60, key, label)
        return verdict.message.split("seed ")[1].split(",")[0]

    first = seed_in_message(KEY, "alice/03/t")
    assert seed_in_message(KEY, "alice/03/t") == first
    assert seed_in_message(KEY, "bob/03/t") != first
    assert seed_in_message(bytes([1]) * 32, "alice/03/t") != first


FORGE = """
import types
_answer = __bn_grader__._handle

def _passes(*args, **kwargs):
    return None

def _forged(request):
    reply = _answer(request)
    if request.get("op") == "describe" and reply.get("ok"):
        extra = {name: _passes for name in ("check_batchnorm_forward", "check_identity_params",
                                            "isinstance", "len", "print", "AssertionError",
                                            "__builtins__")}
        extra["np"] = types.SimpleNamespace(allclose=lambda *a, **k: True,
                                            ndarray=object, ones=lambda *a, **k: 1)
        reply["value"] = {"$dict": reply["value"]["$dict"] + [
            [k, __bn_grader__.side.encode(v)] for k, v in extra.items()] + EXTRA}
    return reply

__bn_grader__._handle = _forged

def bn_forged(x, gamma, beta, eps=1e-5):
    raise NotImplementedError()
"""

FORGED_CELL = """
check_batchnorm_forward(bn_forged, seed=0)
assert isinstance(np.ones(2), np.ndarray) and len(np.ones(3)) == 3
print("the cell ran to its end")
"""


@pytest.mark.parametrize("extra", ["[]", '[["bn_forged", {"$ref": 1}]]',
                                   '[["bn_forged", {"$type": "dict"}]]'])
def test_a_forged_describe_reply_adds_or_rebinds_nothing(kernel, extra):
    """A kernel answering with checks that pass, its own np, builtins, or grader objects:
    is every name the cell uses still the grader's, and the stub still 'not written yet'?"""
    session, replay = kernel
    imports = {k: f"from course_utils.checks import {k}" for k in _check_names()}
    imports["np"] = "import numpy as np"
    done = session.execute(FORGE.replace("EXTRA", extra), time.monotonic() + 60)
    assert done.error is None, done.error
    try:
        verdict = run_test_cell(replay, FORGED_CELL, {}, imports, time.monotonic() + 60, KEY,
                                "forged")
    finally:
        session.execute("del __bn_grader__._handle", time.monotonic() + 60)
    assert not verdict.passed and "the cell ran to its end" not in verdict.output
    if extra == "[]":
        assert "batchnorm_forward is not written yet" in verdict.message, verdict.message
    elif "$ref" in extra:
        assert "names one of the receiver's own objects" in verdict.message, verdict.message
    else:  # the type dict in place of a function: judged as the student's answer, and wrong
        assert "batchnorm_forward raised TypeError" in verdict.message, verdict.message


def test_the_grader_takes_bounded_messages_from_the_kernel(kernel):
    """Is every channel capped at one 16 MiB message and a short queue?"""
    import zmq

    from autograder.verdicts.kernel import MAX_MESSAGE, RECEIVE_QUEUE

    session, _ = kernel
    for channel in (session.client.iopub_channel, session.client.shell_channel,
                    session.client.stdin_channel):
        assert channel.socket.getsockopt(zmq.MAXMSGSIZE) == MAX_MESSAGE == 16 * 2**20
        assert channel.socket.getsockopt(zmq.RCVHWM) == RECEIVE_QUEUE


def test_test_cells_share_no_names(kernel):
    """Does a name one test cell defines stay out of the next cell's namespace?"""
    session, replay = kernel
    session.execute("leak = 'from the kernel'", time.monotonic() + 60)
    first = run_test_cell(replay, "leak = 'from the first cell'", {}, {}, time.monotonic() + 60,
                          KEY, "one")
    second = run_test_cell(replay, "print(leak)", {}, {}, time.monotonic() + 60, KEY, "two")
    assert first.passed and second.output == "from the kernel\n"


def _reference_fingerprints() -> dict[str, list[bytes]]:
    """file name -> bytes that only the real file (or its compiled form) holds: its
    docstring's first line and its function names as defined."""
    import re

    from autograder.safety import standins

    found = {}
    for package in standins.PACKAGES:
        for folder in standins.real_folders(package):
            for path in folder.rglob("*.py"):  # the modules of subpackages too
                text = path.read_text()
                doc = text.split('"""')[1].strip().splitlines()[0] if '"""' in text else ""
                marks = [doc.encode()] if len(doc) > 20 else []
                marks += [m.encode() for m in re.findall(r"^def (\w+\(\w+)", text, re.M)][:5]
                found.setdefault(path.name, []).extend(marks)
    return found


REACH = """
import importlib.util, os, sys
found = {}
import course_utils.reference as reference, course_utils.checks as checks
from course_utils.reference import batchnorm_forward
from course_utils.checks import CheckFailure, check_batchnorm_forward
x = np.ones((4, 3))
saved = sys.getprofile(); sys.setprofile(None)
for label, attempt in [
        ("call", lambda: batchnorm_forward(x, np.ones(3), np.zeros(3))),
        ("a check", lambda: check_batchnorm_forward(lambda *a: None)),
        ("a check's helper", lambda: checks.bn_backward._central(None, x, x, 1e-5)),
        ("a private module", lambda: reference._kernels.normalize(x, 1, 0, 1e-5, (0,))),
        ("a subclass", lambda: type("B", (reference.BatchNorm1d,), {})),
        ("from the file", lambda: importlib.util.spec_from_file_location(
            "copy", os.path.join(os.path.dirname(reference.__file__), "bn_forward.py")
        ).loader.load_module().batchnorm_forward(x, np.ones(3), np.zeros(3)))]:
    try:
        attempt()
        found[label] = "ran"
    except Exception as exc:
        found[label] = type(exc).__name__
sys.setprofile(saved)
found["CheckFailure"] = issubclass(CheckFailure, AssertionError)
readable = []
roots = {p for p in sys.path if p and os.path.isdir(p)} | {
    os.path.dirname(os.path.dirname(reference.__file__))}
for root in sorted(roots):
    for folder, dirs, files in os.walk(root):
        for name in files:
            stem = name.split(".")[0] + ".py"
            if stem in FINGERPRINTS:
                try:
                    data = open(os.path.join(folder, name), "rb").read()
                except OSError:
                    continue
                if any(mark in data for mark in FINGERPRINTS[stem]):
                    readable.append(os.path.join(folder, name))
found["readable copies"] = readable
print(repr(found))
"""


@pytest.mark.skipif(not SANDBOXED, reason="the stand-ins are bound by the sandbox")
def test_the_reference_is_out_of_reach_while_grading(kernel):
    """Called openly or unseen, through a check, a private module, a subclass or its file, or
    read anywhere on the kernel's path: is there any of the reference's code to be had? (no)"""
    session, _ = kernel
    fingerprints = _reference_fingerprints()
    assert fingerprints["bn_forward.py"] and fingerprints["_kernels.py"]
    done = session.execute(REACH.replace("FINGERPRINTS", repr(fingerprints)),
                           time.monotonic() + 300)
    assert done.error is None, done.error
    found = eval(done.stdout.strip().splitlines()[-1])  # noqa: S307 - a dict we printed
    assert found.pop("CheckFailure") is True
    assert found.pop("readable copies") == []
    assert found == {"call": "RuntimeError", "a check": "RuntimeError",
                     "a check's helper": "RuntimeError", "a private module": "RuntimeError",
                     "a subclass": "TypeError", "from the file": "RuntimeError"}, found


def test_a_students_ordinary_method_is_asked_for_once_per_test_cell(kernel):
    """Is a method of the student's class looked up in the kernel once per test cell (not
    at every use), while anything else an attribute can be (a data attribute, a function
    stored on the instance, a property, what ``__getattr__`` makes) is asked for each time,
    and does a new test cell ask again?"""
    session, replay = kernel
    session.execute(textwrap.dedent("""
        class Layer:
            def __init__(self):
                self.calls = 0
                self.stored = lambda: "stored"

            def forward(self):
                self.calls += 1
                return self.calls

            @property
            def made(self):
                return self.forward

            def __getattr__(self, name):
                if name == "dynamic":
                    return self.forward
                raise AttributeError(name)

        layer = Layer()
        """), time.monotonic() + 60)

    def requests(use) -> int:
        before = replay._counter
        use()
        return replay._counter - before

    replay.reset()
    layer = replay.describe({"layer"})["layer"]
    assert requests(lambda: layer.forward()) == 2  # look it up, call it
    assert requests(lambda: layer.forward()) == 1  # call it: the lookup is kept
    assert layer.forward() == 3
    for name in ("calls", "stored", "made", "dynamic"):
        assert requests(lambda: getattr(layer, name)) == 1
        assert requests(lambda: getattr(layer, name)) == 1, name
    replay.reset()
    layer = replay.describe({"layer"})["layer"]
    assert requests(lambda: layer.forward) == 1  # a new test cell asks again
