"""What runs inside the cluster (rnnstock.cluster): in its workers and on its scheduler.

Imported by the workers and, lazily, by rnnstock.jobs once it talks to the cluster
(never by a page before its first chart: distributed takes a second to import).
"""

from __future__ import annotations

import pickle
import signal
import threading
import time

from distributed import Event, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from rnnstock.training import EpochProgress

STOP_CHECK_SECONDS = 0.25  # how often a training asks whether it should stop


def stop_name(job_id: str) -> str:
    """The name of a job's stop flag, a Dask ``Event`` on the scheduler."""
    return f"{job_id}-stop"


# -- run on the scheduler (client.run_on_scheduler) ------------------------------------


def adopt_settings(dask_scheduler, allowed_failures: int, worker_saturation: float) -> None:
    """A shared scheduler started by a plain `dask scheduler` behaves as an embedded one
    (rnnstock.cluster.ENGINE_SETTINGS): a training whose worker died fails at once, and
    each worker thread takes one training at a time from the queue (Dask's default lets
    a worker take 10 % more, which with one thread means two: a job would wait behind
    another on one worker while the next worker sits idle)."""
    dask_scheduler.allowed_failures = allowed_failures
    dask_scheduler.WORKER_SATURATION = worker_saturation


def queue_view(dask_scheduler) -> dict:
    """The cluster's queue as the pages show it: the keys waiting, first to start first;
    the keys that workers have taken; the worker threads."""
    waiting = sorted(
        [*dask_scheduler.queued, *dask_scheduler.unrunnable], key=lambda task: task.priority
    )
    return {
        "queued": [task.key for task in waiting],
        "processing": [
            task.key for worker in dask_scheduler.workers.values() for task in worker.processing
        ],
        "threads": dask_scheduler.total_nthreads,
    }


async def restart_if_idle(dask_scheduler, address: str, patience: float = 2.0) -> bool:
    """Restart a worker (its nanny starts a new process) once it trains nothing and holds
    no result a client has yet to fetch; the result just fetched may take a moment to be
    released. False if the worker got another training meanwhile, or kept a result:
    the next training to finish there asks again."""
    import asyncio

    deadline = time.monotonic() + patience
    while True:
        worker = dask_scheduler.workers.get(address)
        if worker is None or worker.processing:
            return False
        if not worker.has_what:
            break
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    await dask_scheduler.restart_workers(
        [address], stimulus_id=f"rnnstock-recycle-{time.time()}", on_error="return"
    )
    return True


# -- run in the workers -----------------------------------------------------------------

_trainings_here = 0  # in a worker process: trainings it has started


class PrepareWorker(WorkerPlugin):
    """A Dask worker plugin: each worker, as it starts (and again after a restart),
    imports the pipeline and TensorFlow in a thread, so that the first training does
    not wait for it; and leaves Ctrl+C to whoever started it (the terminal sends it to
    the whole process group, and every worker would print a traceback)."""

    name = "rnnstock-prepare-worker"

    def setup(self, worker) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=_prepare_worker, name="rnnstock-prepare", daemon=True).start()


def _prepare_worker() -> None:
    """The pipeline's modules (pandas, NumPy, scikit-learn's scaler and metrics), then
    Keras and TensorFlow: a few seconds that the first training no longer waits."""
    import sklearn.metrics
    import sklearn.preprocessing  # noqa: F401

    import rnnstock.experiment  # noqa: F401
    from rnnstock.backend import import_keras

    import_keras()


class _StopFlag:
    """``should_stop`` for a training: the job's Dask ``Event``, asked at most every
    STOP_CHECK_SECONDS (each ask is a round trip to the scheduler)."""

    def __init__(self, name: str) -> None:
        self._event = Event(name)
        self._asked = 0.0
        self._set = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self._set and now - self._asked >= STOP_CHECK_SECONDS:
            self._asked = now
            self._set = self._event.is_set()
        return self._set


def train(job_id, topic, spec, prices, watch, work=None):
    """Runs in a worker: one experiment, reporting back on the manager's topic."""
    from rnnstock.backend import import_keras
    from rnnstock.experiment import TrainingCancelled, run_experiment
    from rnnstock.training import TrainingHistory

    global _trainings_here
    worker = get_worker()
    should_stop = _StopFlag(stop_name(job_id))
    if should_stop():
        raise TrainingCancelled(TrainingHistory(cancelled=True))
    _trainings_here += 1

    def send(kind: str, **fields) -> None:
        worker.log_event(topic, {"job": job_id, "kind": kind, **fields})

    def on_epoch(progress: EpochProgress) -> None:
        send("epoch", progress=pickle.dumps(progress))

    import_keras().backend.clear_session()  # forget the previous job's graphs
    send("started", worker=worker.address, trainings=_trainings_here)
    if work is not None:
        return work(prices, on_epoch=on_epoch, should_stop=should_stop)
    return run_experiment(
        spec, on_epoch=on_epoch, should_stop=should_stop, prices=prices, watch=watch
    )
