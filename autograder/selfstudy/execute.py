"""Run a notebook top to bottom in a fresh kernel, in a scratch folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError


@dataclass
class Run:
    nb: object
    problem: str | None  # None when every cell ran (errors inside cells are in their outputs)


def run_notebook(nb, folder: Path | None = None, timeout: int = 300) -> Run:
    """Execute ``nb`` with errors allowed, in a copy of ``folder`` (nothing is written there).

    The kernel is the environment's own ``python3``; its working directory is a temporary
    copy of the notebook's folder, so files a notebook writes never land in the repository.
    """
    with tempfile.TemporaryDirectory(prefix="bn-course-run-") as scratch:
        workdir = Path(scratch) / "work"
        if folder is not None and Path(folder).is_dir():
            shutil.copytree(folder, workdir, ignore=shutil.ignore_patterns("*.ipynb", ".*"))
        else:
            workdir.mkdir()
        env_backup = os.environ.get("MPLBACKEND")
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
        # IPC sockets in a folder of this run's own: no TCP ports to collide on when several
        # notebooks run at once, and nothing listening on the network.
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=str(Path(scratch) / "kernel"))
        client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=True,
                                resources={"metadata": {"path": str(workdir)}})
        try:
            client.execute()
            problem = None
        except CellTimeoutError:
            problem = f"a cell ran longer than the {timeout} s time limit"
        except DeadKernelError:
            problem = "the kernel died while running the notebook"
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)
            if env_backup is None:
                os.environ.pop("MPLBACKEND", None)
            else:
                os.environ["MPLBACKEND"] = env_backup
        return Run(nb, problem)
