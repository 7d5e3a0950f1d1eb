"""The trainers' start, when it fails and when it is tried again: a lab whose scheduler
comes up after the server did, and an import that fails once while the cluster starts."""

from __future__ import annotations

import subprocess
import sys

from rnnstock import cluster
from rnnstock.jobs import DONE, FAILED, JobManager
from tests.conftest import make_prices
from tests.lab import ROOT, _environment, _wait_for_workers, free_port
from tests.test_experiment import TINY


def _scheduler_and_worker(port: int) -> list[subprocess.Popen]:
    """`dask scheduler` on ``port`` and one `dask worker` of one thread, on 127.0.0.1."""
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    common = {"env": _environment(), "cwd": ROOT, **quiet}
    local = ("--host", "127.0.0.1", "--no-dashboard")
    scheduler = ("distributed.cli.dask_scheduler", "--port", str(port))
    worker = ("distributed.cli.dask_worker", address, "--nthreads", "1")
    processes = [
        subprocess.Popen([sys.executable, "-m", *scheduler, *local], **common),
        subprocess.Popen([sys.executable, "-m", *worker, *local], **common),
    ]
    _wait_for_workers(address, 1)
    return processes


def test_a_scheduler_started_after_the_server_is_used_by_the_next_training():
    """The teacher forgot to start the lab's scheduler: the first Train says so; once it
    runs, the next Train works, without restarting the app's server."""
    port = free_port()
    jobs = JobManager(scheduler=f"tcp://127.0.0.1:{port}")
    processes: list[subprocess.Popen] = []
    try:
        first = jobs.submit(TINY, prices=make_prices())
        jobs.wait(first.id, timeout=60)
        assert first.status == FAILED
        assert f"Cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in first.error

        processes = _scheduler_and_worker(port)
        second = jobs.submit(TINY, prices=make_prices())
        jobs.wait(second.id, timeout=180)
        assert second.status == DONE, second.error
        assert second.result.rmse > 0
        assert jobs.start_error is None and jobs.ready
    finally:
        jobs.shutdown()
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def test_an_import_that_fails_once_while_the_trainers_start_is_tried_again(monkeypatch):
    """Streamlit takes a script's folder out of sys.path after each run; an import in the
    manager's thread at that moment can miss an installed package once. The trainers
    start all the same, and the job trains."""
    real_start = cluster.start
    calls = []

    def start_once_broken(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise ModuleNotFoundError("No module named 'dask'")
        return real_start(*args, **kwargs)

    monkeypatch.setattr(cluster, "start", start_once_broken)
    jobs = JobManager(workers=1)
    try:
        job = jobs.submit(TINY, prices=make_prices())
        jobs.wait(job.id, timeout=180)
        assert job.status == DONE, job.error
        assert len(calls) == 2
    finally:
        jobs.shutdown()
