"""Background training for the web app: a shared queue, worker processes, progress, cancel.

A Streamlit script reruns on every click, so training cannot live in it.
Jobs go to a pool of worker processes shared by every browser session on
the server; at most ``workers`` train at once (default: one per core) and
the rest wait in submission order, each knowing its place in the queue.
Workers are separate processes so that trainings do not share TensorFlow's
global seed, a crash cannot take the server down, and the server process
itself never has to import TensorFlow to train.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import os
import queue
import signal
import sys
import threading
import time
import types
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.managers import SyncManager
from typing import TYPE_CHECKING, Any

from rnnstock import config
from rnnstock.specs import ExperimentSpec
from rnnstock.training import EpochProgress

if TYPE_CHECKING:
    import pandas as pd

    from rnnstock.experiment import ExperimentResult

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)


def default_workers() -> int:
    """Trainings at once: ``RNNSTOCK_WORKERS`` if set, else one per core."""
    return config.workers()


@dataclass
class Job:
    """One training, as the pages see it; updated by the manager's threads."""

    id: str
    spec: ExperimentSpec
    label: str
    submitted: float = field(default_factory=time.time)
    status: str = QUEUED
    progress: list[EpochProgress] = field(default_factory=list)
    started: float | None = None
    finished: float | None = None
    result: ExperimentResult | None = None  # or what a job's ``work`` returned
    error: str | None = None
    test_days: pd.DataFrame | None = None  # watched jobs: real prices and persistence, by day

    @property
    def watched(self) -> EpochProgress | None:
        """The latest progress that carries test predictions (watched jobs only)."""
        return next((p for p in reversed(self.progress) if p.predicted is not None), None)

    @property
    def done(self) -> bool:
        return self.status in FINISHED

    @property
    def epochs(self) -> int:
        return self.spec.train.epochs

    @property
    def latest(self) -> EpochProgress | None:
        return self.progress[-1] if self.progress else None

    @property
    def fraction(self) -> float:
        """Share of planned epochs finished (1.0 once done)."""
        if self.status == DONE:
            return 1.0
        return len(self.progress) / self.epochs

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.time()) - self.started

    @property
    def eta(self) -> float | None:
        """Seconds left, estimated from the epochs so far (None before the first)."""
        latest = self.latest
        if self.done or latest is None:
            return None
        return latest.eta


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned process that does not run the web app's script again.

    A spawned child first re-runs the parent's ``__main__`` file (as
    ``__mp_main__``) so that functions defined there can be unpickled. Under
    ``streamlit run`` that file is app.py: every worker, and the manager's
    server process, would draw the whole app without a browser (a second or
    two of imports, and "missing ScriptRunContext" warnings in the terminal)
    before its first job. What the workers run lives in rnnstock.jobs, so
    they are started with a bare ``__main__`` in its place.
    """

    @staticmethod
    def _Popen(process_obj):  # noqa: N802 (multiprocessing's name)
        main = sys.modules.get("__main__")
        bare = types.ModuleType("__main__")
        sys.modules["__main__"] = bare
        try:
            return multiprocessing.context.SpawnProcess._Popen(process_obj)
        finally:
            # Streamlit may have put the next script run's module there meanwhile.
            if sys.modules.get("__main__") is bare and main is not None:
                sys.modules["__main__"] = main


class _WorkerContext(multiprocessing.context.SpawnContext):
    """Spawn (no forked TensorFlow state), without re-running the app's script."""

    Process = _WorkerProcess


# TensorFlow 2.21 keeps about 10 MB per model.fit in the process for good
# (keras.backend.clear_session and gc do not free it; tensorflow#61791), so
# workers are replaced after this many trainings each, when the queue is
# empty. The next training then pays TensorFlow's import again (a few
# seconds). Not ProcessPoolExecutor(max_tasks_per_child=...): on Python 3.11
# to 3.13 it deadlocks once a worker retires with jobs waiting (cpython#115634).
JOBS_PER_WORKER = 4


class JobManager:
    """Runs jobs in worker processes; safe to share between Streamlit sessions."""

    def __init__(
        self, workers: int | None = None, *, jobs_per_worker: int = JOBS_PER_WORKER
    ) -> None:
        self.workers = workers or default_workers()
        self.jobs_per_worker = jobs_per_worker
        self.worker_restarts = 0  # times the workers were replaced to give memory back
        self._context = _WorkerContext()
        self._manager = SyncManager(ctx=self._context)
        self._manager.start(_exit_with_server)
        self._events = self._manager.Queue()
        self._executor = self._new_executor()
        self._jobs_on_executor = 0
        self._jobs: dict[str, Job] = {}
        self._futures: dict[str, Future] = {}
        self._cancel_flags: dict[str, object] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = False
        self._listener = threading.Thread(target=self._listen, name="rnnstock-jobs", daemon=True)
        self._listener.start()

    # -- what the pages call -------------------------------------------------

    def submit(
        self,
        spec: ExperimentSpec,
        *,
        prices: pd.DataFrame | None = None,
        label: str = "",
        watch: pd.DataFrame | None = None,
        work: Callable[..., Any] | None = None,
    ) -> Job:
        """Queue a training; returns at once. ``prices`` saves the worker a reload.

        ``watch``, the test days (their real prices and the persistence forecast,
        see ``rnnstock.web.runs``), asks the worker for the test predictions as the
        model learns (``run_experiment``'s ``watch``); the page draws them beside.

        ``work`` trains something other than ``run_experiment(spec)``: a picklable
        callable that the worker calls as ``work(prices, on_epoch=..., should_stop=...)``
        (the Mistakes page trains a tutorial's way with it); its return value is the
        job's result.
        """
        if self._closed:
            raise RuntimeError("The job manager has been shut down.")
        job_id = f"job-{next(self._ids)}-{spec.key()[:6]}"
        job = Job(id=job_id, spec=spec, label=label or spec.model.describe(), test_days=watch)
        cancel_flag = self._manager.Event()
        with self._lock:
            self._replace_workers_if_due()
            self._jobs_on_executor += 1
            self._jobs[job_id] = job
            self._cancel_flags[job_id] = cancel_flag
            future = self._executor.submit(
                _train_in_worker,
                job_id,
                spec,
                prices,
                self._events,
                cancel_flag,
                watch is not None,
                work,
            )
            self._futures[job_id] = future
        future.add_done_callback(lambda done, job=job: self._finish(job, done))
        return job

    def job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def queue_position(self, job: Job) -> int | None:
        """1 for the next job to start, 2 for the one after, …; None unless queued."""
        if job.status != QUEUED:
            return None
        with self._lock:
            waiting = [j for j in self._jobs.values() if j.status == QUEUED]
        waiting.sort(key=lambda j: j.submitted)
        return next((i for i, j in enumerate(waiting, 1) if j.id == job.id), None)

    def running(self) -> int:
        return sum(1 for job in self.jobs() if job.status == RUNNING)

    def cancel(self, job_id: str) -> None:
        """Stop a job: a queued one never starts, a running one stops after its batch."""
        with self._lock:
            job = self._jobs.get(job_id)
            future = self._futures.get(job_id)
            flag = self._cancel_flags.get(job_id)
        if job is None or job.done:
            return
        if flag is not None:
            flag.set()
        if future is not None and future.cancel():
            self._mark(job, CANCELLED)

    def forget(self, job_id: str) -> None:
        """Drop a finished job and its result (the model with it) to free memory."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.done:
                return
            del self._jobs[job_id]
            self._futures.pop(job_id, None)
            self._cancel_flags.pop(job_id, None)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has finished (for the CLI, tests and benchmarks)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        job = self._jobs[job_id]
        while not job.done:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"{job.label} did not finish within {timeout} s.")
            time.sleep(0.05)
        return job

    def shutdown(self) -> None:
        self._closed = True
        for job in self.jobs():
            self.cancel(job.id)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._events.put(None)
        self._listener.join(timeout=5)
        self._manager.shutdown()

    # -- inside -----------------------------------------------------------------

    def _new_executor(self) -> ProcessPoolExecutor:
        """Worker processes, started now: by the time a training is asked for they have
        Python and the pipeline's modules loaded, and only TensorFlow is left to import."""
        executor = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=self._context, initializer=_exit_with_server
        )
        for _ in range(self.workers):  # each submission starts a process while none is idle
            executor.submit(_prepare_worker)
        return executor

    def _replace_workers_if_due(self) -> None:
        """New worker processes once the old ones have trained their share and sit idle.

        Called with the lock held. The old workers have nothing left to do;
        waiting for them to exit (well under a second) keeps the old and the
        new TensorFlow processes from holding memory at the same time.
        """
        if self._jobs_on_executor < self.jobs_per_worker * self.workers:
            return
        if any(not job.done for job in self._jobs.values()):
            return
        self._executor.shutdown(wait=True)
        self._executor = self._new_executor()
        self._jobs_on_executor = 0
        self.worker_restarts += 1

    def _listen(self) -> None:
        """Apply the workers' 'started' and per-epoch messages to their jobs."""
        while True:
            try:
                message = self._events.get()
            except (EOFError, OSError, queue.Empty):  # the manager went away
                return
            if message is None:
                return
            job_id, kind, payload = message
            job = self._jobs.get(job_id)
            if job is None:
                continue
            if kind == "started":
                with self._lock:  # never after _mark has finished the job
                    if job.status == QUEUED:
                        job.started = payload
                        job.status = RUNNING
            elif kind == "epoch":
                if payload.predicted is not None:
                    _forget_watched(job)  # only the newest is drawn
                job.progress.append(payload)

    def _finish(self, job: Job, future: Future) -> None:
        from rnnstock.experiment import TrainingCancelled

        try:
            result = future.result()
        except CancelledError:
            self._mark(job, CANCELLED)
            return
        except TrainingCancelled:
            self._mark(job, CANCELLED)
            return
        except ValueError as error:  # bad data or settings: the message is for the user
            job.error = str(error)
            self._mark(job, FAILED)
            return
        except Exception as error:  # a crash in the worker: say so plainly, keep serving
            job.error = f"Training failed unexpectedly ({type(error).__name__}: {error})."
            self._mark(job, FAILED)
            return
        job.result = result
        self._mark(job, DONE)

    def _mark(self, job: Job, status: str) -> None:
        # Under the lock, so that a job is seen as done only once this has returned:
        # _replace_workers_if_due waits, holding the lock, for the executor's thread
        # that calls this.
        with self._lock:
            if job.done:
                return
            job.finished = time.time()
            if job.started is None and status != CANCELLED:
                job.started = job.submitted
            job.status = status
            self._cancel_flags.pop(job.id, None)
            # The learning chart is gone with the training: the result has its predictions.
            _forget_watched(job)
            job.test_days = None


def _forget_watched(job: Job) -> None:
    """Drop the test predictions of a job's earlier epochs (a 1,000-epoch run on 4,000
    test days would keep 16 MB of them)."""
    for index, progress in enumerate(job.progress):
        if progress.predicted is not None:
            job.progress[index] = dataclasses.replace(progress, predicted=None)


def _exit_with_server() -> None:
    """First thing in each worker and in the manager's process: end with the server.

    A server stopped with SIGTERM or SIGKILL, or one that crashed, runs no
    clean-up. Its workers and the manager's process would live on, idle, each
    worker holding TensorFlow (about 0.8 GB), until the machine ran out of memory
    after a few restarts. So a thread here waits for the parent's end and exits
    with it. Ctrl+C is left to the server, which stops the workers: the terminal
    sends it to the whole process group, and every worker would otherwise print a
    KeyboardInterrupt traceback on the way out.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def exit_when_the_server_does() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(
        target=exit_when_the_server_does, name="rnnstock-server-watch", daemon=True
    ).start()


def _prepare_worker() -> None:
    """A new worker's first task: the pipeline's modules (pandas, NumPy, scikit-learn's
    scaler and metrics), not TensorFlow, which is imported only once a training is asked
    for. scikit-learn brings SciPy: about 0.7 s that the first training no longer waits."""
    import sklearn.metrics
    import sklearn.preprocessing  # noqa: F401

    import rnnstock.experiment  # noqa: F401


def _train_in_worker(job_id, spec, prices, events, cancel_flag, watch, work=None):
    """Runs in a worker process: one experiment, reporting back through ``events``."""
    from rnnstock.backend import import_keras
    from rnnstock.experiment import run_experiment

    if cancel_flag.is_set():
        from rnnstock.experiment import TrainingCancelled
        from rnnstock.training import TrainingHistory

        raise TrainingCancelled(TrainingHistory(cancelled=True))
    import_keras().backend.clear_session()  # forget the previous job's graphs
    events.put((job_id, "started", time.time()))
    if work is not None:
        return work(
            prices,
            on_epoch=lambda progress: events.put((job_id, "epoch", progress)),
            should_stop=cancel_flag.is_set,
        )
    return run_experiment(
        spec,
        on_epoch=lambda progress: events.put((job_id, "epoch", progress)),
        should_stop=cancel_flag.is_set,
        prices=prices,
        watch=watch,
    )
