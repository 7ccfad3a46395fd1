"""Up to N notebooks at once: long-lived worker processes, a backstop time limit for each.

Each worker (``python -m autograder.grading.worker``) grades one notebook at a time and
keeps the course's checks imported between notebooks. A worker that crashes or overruns its
notebook's limit by more than ``BACKSTOP`` seconds is killed with everything under it and
replaced; its notebook gets an explicit reason and the other notebooks carry on.
"""

from __future__ import annotations

import json
import os
import queue
import selectors
import signal
import subprocess
import sys
import threading
import time

from .. import paths
from ..safety import procs

BACKSTOP = 180.0


class Worker:
    def __init__(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(paths.ROOT), env.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.grading.worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, text=True,
                                     start_new_session=True, cwd=str(paths.ROOT))

    def run(self, job: dict, timeout: float) -> dict:
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
        except OSError as exc:
            return self._failed(f"the grading worker could not take the notebook ({exc})")
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                return self._failed("the notebook overran its time limit and its grading "
                                    "worker was stopped", "time limit")
        line = self.proc.stdout.readline()
        if not line:
            return self._failed("the grading worker died")
        try:
            return json.loads(line)
        except ValueError:
            return self._failed("the grading worker answered nonsense")

    def _failed(self, why: str, problem: str = "grader error") -> dict:
        self.stop()
        return {"cells": [], "problem": problem, "notes": [why], "error": why}

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, graceful: bool = False) -> None:
        if graceful:  # no more jobs: a worker ends when its input does
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            procs.kill_all(procs.descendants(self.proc.pid))
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass


def run_all(jobs: list[dict], workers: int, on_done=None, then=None) -> list[dict]:
    """Grade ``jobs`` with up to ``workers`` processes; results in the jobs' order.

    ``then(job, result)``: another job to grade in its place right away (its result
    replaces this one's), or None (``selection``: a selective run graded again in full).
    """
    results: list[dict | None] = [None] * len(jobs)
    todo: queue.Queue = queue.Queue()
    for i, job in enumerate(jobs):
        todo.put(i)
    lock = threading.Lock()

    def slot():
        worker = None
        while True:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                break
            job = jobs[i]
            while job is not None:
                if worker is None or not worker.alive():
                    worker = Worker()
                started = time.monotonic()
                limit = job["settings"]["notebook_timeout"] + BACKSTOP
                result = worker.run(job, limit)
                result.setdefault("seconds", round(time.monotonic() - started, 2))
                job = then(job, result) if then is not None else None
            job = jobs[i]
            results[i] = result
            if on_done is not None:
                with lock:
                    on_done(job, result)
        if worker is not None:
            worker.stop(graceful=True)

    threads = [threading.Thread(target=slot, daemon=True)
               for _ in range(max(1, min(workers, len(jobs))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
