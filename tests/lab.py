"""A lab of machines on 127.0.0.1: a `dask scheduler` and `dask worker` processes, started
the way README's "A class of 200" tells a teacher to, for the tests that use a shared
cluster. Nothing listens beyond the loopback address."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Lab:
    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def worker_pids(self) -> list[int]:
        """The worker processes proper (each `dask worker` is a nanny with one child)."""
        import psutil

        return [
            child.pid for nanny in self.workers for child in psutil.Process(nanny.pid).children()
        ]


def _environment() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RNNSTOCK_SCHEDULER": "",
    }


def _wait_for_workers(address: str, count: int, timeout: float = 90) -> None:
    from distributed import Client

    with Client(address, timeout=timeout, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=timeout)


@contextlib.contextmanager
def lab(workers: int = 2) -> Iterator[Lab]:
    """A scheduler and ``workers`` worker processes of one thread each, stopped after."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen(
        [*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        env=_environment(),
        cwd=ROOT,
        **quiet,
    )
    started = Lab(address=address, scheduler=scheduler)
    try:
        for _ in range(workers):
            started.workers.append(
                subprocess.Popen(
                    [
                        *[sys.executable, "-m", "distributed.cli.dask_worker"],
                        address,
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                    ],
                    env=_environment(),
                    cwd=ROOT,
                    **quiet,
                )
            )
        _wait_for_workers(address, workers)
        yield started
    finally:
        for process in [*started.workers, scheduler]:
            process.terminate()
        deadline = time.monotonic() + 20
        for process in [*started.workers, scheduler]:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def workers_have(client, module: str, timeout: float = 120) -> bool:
    """Whether every worker of ``client``'s cluster has finished importing ``module`` within
    ``timeout`` seconds (the worker plugin imports Keras as each worker starts)."""

    def imported() -> bool:
        # In sys.modules from the start of its import: done once its spec says so (a check
        # made meanwhile found Keras there but TensorFlow's library not yet loaded).
        loaded = sys.modules.get(module)
        return loaded is not None and not getattr(loaded.__spec__, "_initializing", False)

    deadline = time.monotonic() + timeout
    while not all(client.run(imported).values()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
