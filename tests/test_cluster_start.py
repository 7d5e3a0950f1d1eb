"""The trainers' start, when it fails and when it is tried again: a lab whose scheduler
comes up after the server did, a lab restarted under a running server, and an import
that fails once while the cluster starts."""

from __future__ import annotations

import subprocess
import sys
import time

from distributed import Client

from rnnstock import cluster
from rnnstock.jobs import DONE, FAILED, LOST_CONNECTION, JobManager
from tests.conftest import make_prices
from tests.lab import ROOT, _environment, _wait_for_workers, free_port
from tests.test_experiment import TINY

_SCHEDULER = ("distributed.cli.dask_scheduler",)
_LOCAL = ("--host", "127.0.0.1", "--no-dashboard")


def _scheduler_and_worker(port: int) -> list[subprocess.Popen]:
    """`dask scheduler` on ``port`` and one `dask worker` of one thread, on 127.0.0.1."""
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    common = {"env": _environment(), "cwd": ROOT, **quiet}
    worker = ("distributed.cli.dask_worker", address, "--nthreads", "1")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", *_SCHEDULER, "--port", str(port), *_LOCAL], **common
        ),
        subprocess.Popen([sys.executable, "-m", *worker, *_LOCAL], **common),
    ]
    _wait_for_workers(address, 1)
    return processes


def _stop(processes: list[subprocess.Popen]) -> None:
    """The scheduler as a lab stops it (its workers close with it); the workers killed
    rather than left to finish a 500-epoch training's batch (the nanny's worker ends with
    its nanny)."""
    scheduler, *workers = processes
    scheduler.terminate()
    for worker in workers:
        worker.kill()
    for process in processes:
        process.wait(timeout=20)


def _scheduler_id(port: int) -> str:
    with Client(f"tcp://127.0.0.1:{port}", timeout=10, set_as_default=False) as client:
        return client.scheduler_info(n_workers=0)["id"]


def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.1)


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
        _stop(processes)


def test_a_lab_restarted_under_a_running_server_trains_with_progress_again():
    """The lab's scheduler is restarted mid-lesson (its workers stop with it and are
    started again), twice: within Dask's reconnect window (the client reconnects by
    itself) and after a longer outage (that client has closed for good; a new one is
    made). The training that was running says the connection was lost; the next one
    trains on the new scheduler with its epochs shown, and the server is not restarted."""
    port = free_port()
    processes = _scheduler_and_worker(port)
    jobs = JobManager(scheduler=f"tcp://127.0.0.1:{port}")
    long = TINY.replace(train=TINY.train.replace(epochs=500))
    try:
        running = jobs.submit(long, prices=make_prices())
        _until(lambda: running.progress, 180, "the long training's first epoch")
        for outage in (0.0, cluster.CONNECT_SECONDS + 2.0):
            before = jobs.client()
            _stop(processes)
            jobs.wait(running.id, timeout=60)
            assert running.status == FAILED and running.error == LOST_CONNECTION
            time.sleep(outage)
            processes = _scheduler_and_worker(port)
            restarted = _scheduler_id(port)
            _until(lambda: jobs._scheduler_id == restarted, 60, "the manager's new set-up")  # noqa: B023

            running = jobs.submit(long, prices=make_prices())
            _until(lambda: len(running.progress) >= 2, 180, f"epochs after a {outage:.0f} s outage")  # noqa: B023
            assert [epoch.epoch for epoch in running.progress[:2]] == [1, 2]
            assert running.worker is not None  # its "started" message was heard too
            # Dask's client reconnected by itself after the quick restart; after the long
            # outage it had closed for good and the manager made a new one.
            assert (jobs.client() is before) == (outage == 0.0)
    finally:
        jobs.shutdown()
        _stop(processes)


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
        # The first start itself succeeds (no failed start for a later click to redo).
        jobs.client(timeout=120)
        assert jobs.start_error is None
        job = jobs.submit(TINY, prices=make_prices())
        jobs.wait(job.id, timeout=180)
        assert job.status == DONE, job.error
        assert len(calls) == 2
    finally:
        jobs.shutdown()


def test_a_lab_scheduler_without_rnnstock_on_its_path_is_named_and_leaves_no_clients(tmp_path):
    """README's step 2 forgotten (no PYTHONPATH=$PWD): each Train says how to start the
    scheduler, and the server does not pile up clients on it (nor run out of files)."""
    port = free_port()
    environment = {key: value for key, value in _environment().items() if key != "PYTHONPATH"}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", *_SCHEDULER, "--port", str(port), *_LOCAL],
        env=environment,
        cwd=tmp_path,  # not the checkout: rnnstock cannot be imported there
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    jobs = JobManager(scheduler=f"tcp://127.0.0.1:{port}")
    try:
        _until(lambda: _answers(port), 60, "the scheduler's start")
        for _ in range(3):  # three clicks of Train
            job = jobs.submit(TINY, prices=make_prices())
            jobs.wait(job.id, timeout=60)
            assert job.status == FAILED
            assert "cannot import rnnstock" in job.error and "PYTHONPATH=$PWD" in job.error
        with Client(f"tcp://127.0.0.1:{port}", timeout=10, set_as_default=False) as probe:
            clients = probe.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.clients))
        assert clients <= 2  # the probe's own, and at most one of the server's closing
    finally:
        jobs.shutdown()
        scheduler.terminate()
        scheduler.wait(timeout=20)


def _answers(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
