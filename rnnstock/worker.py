"""What runs inside the cluster (rnnstock.cluster): in its workers and on its scheduler.

Imported by the workers and, lazily, by rnnstock.jobs once it talks to the cluster
(never by a page before its first chart: distributed takes a second to import).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time

import numpy as np
from distributed import Event, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from rnnstock.training import EpochProgress

STOP_CHECK_SECONDS = 0.25  # how often a training asks whether it should stop
RECYCLE_PATIENCE = 1800.0  # seconds a worker due for a restart may take to become idle


def stop_name(job_id: str) -> str:
    """The name of a job's stop flag, a Dask ``Event`` on the scheduler."""
    return f"{job_id}-stop"


def progress_message(progress: EpochProgress) -> dict:
    """An epoch's progress as plain msgpack data (an event is never unpickled: anyone who
    can reach a lab's scheduler can publish on a topic)."""
    message = dataclasses.asdict(progress)
    predicted = message.pop("predicted")
    if predicted is not None:
        message["predicted"] = np.asarray(predicted, dtype="<f8").tobytes()
    return message


def progress_from(message: dict) -> EpochProgress:
    """The EpochProgress of a progress_message, with only the fields it declares."""
    fields = {
        f.name: message[f.name] for f in dataclasses.fields(EpochProgress) if f.name in message
    }
    if fields.get("predicted") is not None:
        fields["predicted"] = np.frombuffer(fields["predicted"], dtype="<f8")
    return EpochProgress(**fields)


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


async def recycle(dask_scheduler, address: str, patience: float = RECYCLE_PATIENCE) -> bool:
    """Restart a worker that has trained its share (its nanny starts a new process).

    First the scheduler stops giving it trainings (paused, as Dask pauses a worker short
    of memory): with a queue that never empties, a worker handed its next training the
    moment it finished one would never be idle. Once it trains nothing and holds no
    result a client has yet to fetch, it is restarted. False if it went away, or was
    not idle within ``patience`` seconds (then it takes trainings again)."""
    import asyncio

    stimulus = f"rnnstock-recycle-{time.time()}"
    dask_scheduler.handle_worker_status_change("paused", address, stimulus)
    deadline = time.monotonic() + patience
    restarted = False
    try:
        while True:
            worker = dask_scheduler.workers.get(address)
            if worker is None:
                return False
            if not worker.processing and not worker.has_what:
                break
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        await dask_scheduler.restart_workers([address], stimulus_id=stimulus, on_error="return")
        restarted = True
        return True
    finally:
        if not restarted:
            dask_scheduler.handle_worker_status_change("running", address, stimulus)


async def restart_if_training(dask_scheduler, address: str, key: str) -> bool:
    """The fallback of a cancel: restart the worker at ``address`` if it still trains
    ``key`` (and not, by now, someone else's training)."""
    worker = dask_scheduler.workers.get(address)
    task = dask_scheduler.tasks.get(key)
    if worker is None or task is None or task.processing_on is not worker:
        return False
    await dask_scheduler.restart_workers(
        [address], stimulus_id=f"rnnstock-stop-{time.time()}", on_error="return"
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
    """``should_stop`` for a training: true once its owner asked (the job's Dask
    ``Event``, asked at most every STOP_CHECK_SECONDS: each ask is a round trip to the
    scheduler), or once nobody waits for it any more (the worker has released the task:
    its future was cancelled, or the server that asked for it went away)."""

    def __init__(self, worker, key: str) -> None:
        self._worker = worker
        self._key = key
        self.event = Event(stop_name(key))
        self._asked = 0.0
        self._set = False

    def __call__(self) -> bool:
        if self._set:
            return True
        task = self._worker.state.tasks.get(self._key)
        if task is None or task.state in ("cancelled", "released", "forgotten"):
            self._set = True
            return True
        now = time.monotonic()
        if now - self._asked >= STOP_CHECK_SECONDS:
            self._asked = now
            self._set = self.event.is_set()
        return self._set


def train(job_id, topic, spec, prices, watch, work=None):
    """Runs in a worker: one experiment, reporting back on the manager's topic."""
    from rnnstock.backend import import_keras
    from rnnstock.experiment import TrainingCancelled, run_experiment
    from rnnstock.training import TrainingHistory

    global _trainings_here
    worker = get_worker()
    should_stop = _StopFlag(worker, job_id)

    def send(kind: str, **fields) -> None:
        worker.log_event(topic, {"job": job_id, "kind": kind, **fields})

    def on_epoch(progress: EpochProgress) -> None:
        send("epoch", progress=progress_message(progress))

    try:
        import_keras().backend.clear_session()  # forget the previous job's graphs
        if should_stop():  # asked while waiting, or while TensorFlow was imported
            raise TrainingCancelled(TrainingHistory(cancelled=True))
        _trainings_here += 1
        send("started", worker=worker.address, pid=os.getpid(), trainings=_trainings_here)
        if work is not None:
            return work(prices, on_epoch=on_epoch, should_stop=should_stop)
        return run_experiment(
            spec, on_epoch=on_epoch, should_stop=should_stop, prices=prices, watch=watch
        )
    finally:
        if should_stop():
            should_stop.event.clear()  # the scheduler forgets the flag (if it was set)
