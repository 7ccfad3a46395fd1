"""Talk to one grading kernel: start it, run code with a deadline, interrupt it, stop it.

The kernel is started by the grader itself (``sandbox.kernel_command``) with IPC transport
in a folder of its own, so notebooks graded side by side never race for TCP ports, and
interrupts are sent as messages (a signal sent to bubblewrap would not reach the kernel).

:meth:`KernelSession.execute` runs one cell and returns what it printed and raised;
:meth:`KernelSession.request` sends one replay request to the harness and returns its reply,
answering the harness's call-backs meanwhile. Both raise :class:`TimeLimit` when the
deadline passes (the kernel is interrupted and, if it does not come back, stopped) and
:class:`KernelGone` when the kernel is no longer there.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from ..safety import limits
from ..safety.sandbox import KernelCommand
from . import wire

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INTERRUPT_GRACE = 5.0
UNRESPONSIVE = "the kernel did not stop when interrupted at the time limit and was shut down"
MAX_TEXT = 20_000
#: the largest message (one frame) the grader takes from a kernel: a reply, an output
MAX_MESSAGE = 16 * 2**20
#: messages a channel may queue in the grader before the kernel's are dropped
RECEIVE_QUEUE = 64
#: what all the replies to one request may add up to
MAX_REPLIES = 2 * MAX_MESSAGE
CPU_LIMIT = "the kernel used up its CPU-time limit and was stopped"
TOO_LARGE = (f"the kernel sent a message larger than {MAX_MESSAGE // 2**20} MiB (the grader's "
             "limit on one reply or output) and was stopped")


class KernelGone(BaseException):
    """The kernel died or was stopped; nothing more can run in it.

    A BaseException: it must pass through a check's ``except Exception`` untouched.
    """


class TimeLimit(BaseException):
    """A cell ran past its deadline (the kernel was interrupted and is still usable)."""


@dataclass
class Execution:
    """What one cell did."""

    stdout: str = ""
    stderr: str = ""
    error: tuple[str, str] | None = None       # (ename, evalue)
    replies: list[str] = field(default_factory=list)  # harness replies (wire.MIME)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "\n[... cut ...]"


class KernelSession:
    def __init__(self, command: KernelCommand, connection_file: Path):
        self.command = command
        self.connection_file = Path(connection_file)
        self.proc: subprocess.Popen | None = None
        self.client: BlockingKernelClient | None = None
        self.stopped_reason: str | None = None
        self.limit_hit: str | None = None   # which limit stopped the kernel, if one did
        self.cgroup: limits.Cgroup | None = None
        self.watchdog: limits.Watchdog | None = None
        self._monitors: list = []

    # ---- life cycle ----------------------------------------------------------------------
    def start(self, timeout: float) -> None:
        self.launch()
        self.connect(timeout)

    def launch(self) -> None:
        """Start the kernel's process (``connect`` then waits until it answers)."""
        ip = str(self.connection_file.parent / "ipc")
        write_connection_file(str(self.connection_file), ip=ip, transport="ipc")
        argv = self.command.argv
        if getattr(self.command, "limit_processes", True):
            self.cgroup = limits.Cgroup.make()
            argv = self.cgroup.wrap(argv) if self.cgroup else argv
        self.proc = subprocess.Popen(argv, env=self.command.env,
                                     cwd=self.command.cwd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.watchdog = limits.Watchdog(self.proc.pid, self._over_limit, self.cgroup)

    def connect(self, timeout: float) -> None:
        client = BlockingKernelClient(connection_file=str(self.connection_file))
        client.load_connection_file()
        # a message larger than this from the kernel drops the connection instead of the
        # grader's memory, and a channel queues only so many (the sockets are made from
        # this context's defaults); a dropped connection stops the kernel (_check_monitors)
        client.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        client.context.setsockopt(zmq.RCVHWM, RECEIVE_QUEUE)
        client.start_channels(hb=False)
        self.client = client
        self._monitors = [channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
                          for channel in (client.iopub_channel, client.shell_channel,
                                          client.stdin_channel)]
        deadline = time.monotonic() + timeout
        while True:  # ready = a kernel_info reply on shell AND IOPub connected (a status)
            if not self.alive():
                raise KernelGone("the kernel did not start")
            if time.monotonic() > deadline:
                self.kill("the kernel did not start in time")
                raise KernelGone("the kernel did not start in time")
            self._check_monitors()
            client.kernel_info()
            if not client.shell_channel.socket.poll(1000):
                continue
            if client.shell_channel.get_msg(timeout=0)["msg_type"] != "kernel_info_reply":
                continue
            if client.iopub_channel.socket.poll(300):
                break
        time.sleep(0.05)
        while client.iopub_channel.msg_ready():  # drain the start-up chatter
            client.iopub_channel.get_msg(timeout=0)
        while client.shell_channel.msg_ready():
            client.shell_channel.get_msg(timeout=0)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _over_limit(self, why: str) -> None:
        self.limit_hit = self.limit_hit or why
        self.kill(why)

    def _check_monitors(self) -> None:
        """A channel that dropped its connection got a message over :data:`MAX_MESSAGE`."""
        if not any(monitor.poll(0) for monitor in self._monitors):
            return
        try:  # a kernel that ended drops its connections too: that is not a message's size
            self.proc.wait(timeout=0.5)
            return
        except subprocess.TimeoutExpired:
            pass
        self._over_limit(TOO_LARGE)
        raise KernelGone(TOO_LARGE)

    def kill(self, reason: str) -> None:
        self.stopped_reason = self.stopped_reason or reason
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def shutdown(self) -> None:
        if self.client is not None and self.alive():
            try:
                self.client.shutdown()
                self.proc.wait(timeout=3)
            except Exception:
                pass
        self.kill("shut down")
        if self.watchdog is not None:
            self.watchdog.close()
        if self.cgroup is not None:
            self.cgroup.close()
        for channel, monitor in zip(("iopub_channel", "shell_channel", "stdin_channel"),
                                    self._monitors):
            try:
                getattr(self.client, channel).socket.disable_monitor()
            except Exception:
                pass
            monitor.close(linger=0)
        self._monitors = []
        if self.client is not None:
            self.client.stop_channels()

    def interrupt(self) -> None:
        msg = self.client.session.msg("interrupt_request", content={})
        self.client.control_channel.send(msg)

    # ---- running code --------------------------------------------------------------------
    def execute(self, code: str, deadline: float, *, on_input=None,
                allow_stdin: bool = False) -> Execution:
        """Run ``code``; ``on_input(prompt) -> str`` answers the kernel's input requests."""
        if not self.alive():
            raise KernelGone(self.stopped_reason or "the kernel died")
        client = self.client
        msg_id = client.execute(code, silent=False, store_history=not allow_stdin,
                                allow_stdin=allow_stdin, stop_on_error=False)
        result = Execution()
        replied = 0
        poller = zmq.Poller()
        for channel in (client.iopub_channel, client.stdin_channel, client.shell_channel):
            poller.register(channel.socket, zmq.POLLIN)
        for monitor in self._monitors:
            poller.register(monitor, zmq.POLLIN)
        interrupted_at = None
        while True:
            self._check_monitors()
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                self.interrupt()
                interrupted_at = now
            if interrupted_at is not None and now > interrupted_at + INTERRUPT_GRACE:
                self.kill(UNRESPONSIVE)
                raise KernelGone(self.stopped_reason)
            if not self.alive():
                raise KernelGone(self._death())
            ready = dict(poller.poll(timeout=100))
            if client.stdin_channel.socket in ready:
                msg = client.stdin_channel.get_msg(timeout=0)
                if msg["msg_type"] == "input_request":
                    prompt = msg["content"].get("prompt", "")
                    answer = "" if on_input is None or interrupted_at else on_input(prompt)
                    client.input(answer)
            if client.shell_channel.socket in ready:
                client.shell_channel.get_msg(timeout=0)
            if client.iopub_channel.socket not in ready:
                continue
            while client.iopub_channel.msg_ready():
                msg = client.iopub_channel.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    name = "stderr" if content.get("name") == "stderr" else "stdout"
                    text = getattr(result, name) + content.get("text", "")
                    setattr(result, name, _clip(text))
                elif kind == "error":
                    result.error = (str(content.get("ename", ""))[:200],
                                    ANSI.sub("", str(content.get("evalue", "")))[:4000])
                elif kind in ("display_data", "execute_result"):
                    data = content.get("data", {})
                    if allow_stdin and isinstance(data, dict) and isinstance(
                            data.get(wire.MIME), str):
                        replied += len(data[wire.MIME])
                        if replied > MAX_REPLIES:
                            self._over_limit(TOO_LARGE)
                            raise KernelGone(TOO_LARGE)
                        result.replies.append(data[wire.MIME])
                elif kind == "status" and content.get("execution_state") == "idle":
                    if interrupted_at is not None:
                        raise TimeLimit("the cell ran past its time limit")
                    return result

    def _death(self) -> str:
        code = self.proc.poll() if self.proc else None
        if self.stopped_reason:
            return self.stopped_reason
        # bubblewrap reports a child killed by signal N as exit code 128 + N
        signum = -code if code is not None and code < 0 else (
            code - 128 if code is not None and 128 < code < 160 else None)
        if signum == signal.SIGXCPU:
            self.limit_hit = self.limit_hit or CPU_LIMIT
            return CPU_LIMIT
        if code is not None and code < 0:
            try:
                return f"the kernel died (signal {signal.Signals(-code).name})"
            except ValueError:
                return f"the kernel died (signal {-code})"
        return "the kernel died"

    def request(self, request: dict, deadline: float, on_callback) -> dict:
        """Send one replay request to the harness; ``on_callback(request) -> reply``."""
        code = f"__bn_grader__.serve({wire.dumps(request)!r})"

        def on_input(prompt: str) -> str:
            try:
                message = wire.loads(prompt)
            except wire.WireError:
                return ""
            if not isinstance(message, dict) or not isinstance(message.get("callback"), dict):
                return ""
            return wire.dumps(on_callback(message["callback"]))

        done = self.execute(code, deadline, on_input=on_input, allow_stdin=True)
        for text in done.replies:
            reply = wire.loads(text)
            if isinstance(reply, dict) and reply.get("id") == request.get("id"):
                reply["_stderr"] = done.stderr
                return reply
        problem = f"{done.error[0]}: {done.error[1]}" if done.error else "no reply"
        raise HarnessError(f"the grading harness in the kernel did not answer ({problem})")


class HarnessError(RuntimeError):
    """The harness in the kernel is gone or broken (a submission may have removed it)."""
