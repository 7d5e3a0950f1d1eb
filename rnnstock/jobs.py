"""Background training for the web app and the CLI: a shared queue, progress, cancel.

A Streamlit script reruns on every click, so training cannot live in it. Jobs go
to a Dask distributed cluster (rnnstock.cluster): by default one embedded in the
server, with a worker process per core; or a shared one on lab machines. Its
scheduler keeps one queue for every session (and every server) in submission
order, and each job knows its place in it; at most one training runs on each
worker thread. Workers are separate processes, so trainings do not share
TensorFlow's global seed, a crash costs only its own training, and the server
process never imports TensorFlow.

What the engine does here: the queue and its order (the scheduler's queued tasks,
one per worker thread at a time), moving specs, data and results between
processes, restarting a worker that died (its nanny), ending the workers with the
server (parent-death pipes). What stays ours: per-epoch progress (the worker logs
an event on this manager's topic), a cooperative stop flag (a Dask ``Event``
checked by the training's Keras callback), ownership and forgetting of jobs, and
replacing workers that have trained their share (TensorFlow does not give their
memory back).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rnnstock import cluster, config
from rnnstock.specs import ExperimentSpec
from rnnstock.training import EpochProgress

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client, Future

    from rnnstock.experiment import ExperimentResult

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
TOPIC = "rnnstock-progress-"  # + the manager's token: each manager hears its own jobs
STOP_GRACE_SECONDS = 5.0  # a training that has not stopped by then: its worker is restarted
POLL_SECONDS = 1.0  # how often the queue's order is read from the scheduler
START_ATTEMPTS = 3  # imports of Dask when the cluster starts (see _start_client)
RETRY_SECONDS = 5.0  # a failed start or a lost lab scheduler is tried again at most this often
LOST_CONNECTION = (
    "The connection to the trainers was lost before this training finished (their"
    " scheduler went away). Your settings are as you left them: train again in a moment."
)
LOST_WORKER = (
    "The process training this model stopped before it finished (it may have run out"
    " of memory, or its machine went away). Nothing else was lost: your settings are"
    " as you left them; train again, or try a smaller model."
)


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
    priority: int = 0  # higher goes first; equal ones in submission order
    place: int | None = None  # in the cluster's queue, 1 = next (None: not waiting there)
    assigned: bool = False  # a worker has taken it and is getting ready to train
    worker: str | None = None  # the worker's address, once it has started
    stop_asked: float | None = None  # when cancel was asked for a running job
    trainings_on_worker: int = 0  # that worker's trainings so far, this one included
    worker_pid: int | None = None  # that worker's process
    stop_forced: bool = False  # its worker was restarted because it did not stop

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


# TensorFlow 2.21 keeps about 10 MB per model.fit in the process for good
# (keras.backend.clear_session and gc do not free it; tensorflow#61791), so a
# worker that has trained this many models is restarted by its nanny once it sits
# idle with no results left on it. The next training there then pays TensorFlow's
# import again (a few seconds, started at once by the worker's plugin).
JOBS_PER_WORKER = 4


class JobManager:
    """Runs jobs on the cluster; safe to share between Streamlit sessions.

    Returns at once: the cluster is started (or reached) in a thread, and jobs
    submitted meanwhile wait for it. ``scheduler`` is a shared cluster's address
    (default ``RNNSTOCK_SCHEDULER``); ``workers`` the size of an embedded one.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        scheduler: str | None = None,
        jobs_per_worker: int = JOBS_PER_WORKER,
    ) -> None:
        self.jobs_per_worker = jobs_per_worker
        self.worker_restarts = 0  # workers replaced to give memory back
        self.start_error: str | None = None  # why the cluster could not be started or reached
        self._requested_workers = workers
        self._scheduler = scheduler
        self._threads = workers or (None if scheduler or config.scheduler() else default_workers())
        self._running = 0
        self._client: Client | None = None
        self._ready = threading.Event()
        self._token = uuid.uuid4().hex[:8]
        self.topic = TOPIC + self._token
        self._jobs: dict[str, Job] = {}
        self._futures: dict[str, Future] = {}
        self._waiting_for_cluster: list[tuple[Job, tuple]] = []
        self._lock = threading.RLock()  # _mark takes it, also from under it
        self._ids = itertools.count(1)
        self._closed = False
        self._wake = threading.Event()
        self._recycling: set[str] = set()
        self._scheduler_id: str | None = None  # the scheduler the manager was set up on
        self._start()

    def _start(self) -> None:
        """Start (or reach) the cluster in the manager's thread; jobs wait for it."""
        self.start_error = None
        self._ready.clear()
        self._retry_after = time.monotonic() + RETRY_SECONDS
        threading.Thread(target=self._run, name="rnnstock-jobs", daemon=True).start()

    # -- what the pages call -------------------------------------------------

    @property
    def workers(self) -> int:
        """Trainings at once on the cluster (its worker threads); the requested
        number until the cluster has said."""
        return self._threads or default_workers()

    @property
    def ready(self) -> bool:
        """The cluster is up (or reached): a job submitted now goes to its queue."""
        return self._ready.is_set() and self._client is not None

    def client(self, timeout: float | None = None) -> Client:
        """The Dask client, once the cluster is up (for the class board). After a failed
        start, asking again (at most every RETRY_SECONDS) tries the start again."""
        with self._lock:
            if self.start_error is not None and time.monotonic() > self._retry_after:
                self._start()
        if not self._ready.wait(timeout):
            raise TimeoutError("The trainers did not start in time.")
        if self._client is None:
            raise cluster.ClusterUnavailable(self.start_error or "The trainers did not start.")
        return self._client

    def submit(
        self,
        spec: ExperimentSpec,
        *,
        prices: pd.DataFrame | None = None,
        label: str = "",
        watch: pd.DataFrame | None = None,
        work: Callable[..., Any] | None = None,
        priority: int = 0,
    ) -> Job:
        """Queue a training; returns at once. ``prices`` saves the worker a reload.

        ``watch``, the test days (their real prices and the persistence forecast,
        see ``rnnstock.web.runs``), asks the worker for the test predictions as the
        model learns (``run_experiment``'s ``watch``); the page draws them beside.

        ``work`` trains something other than ``run_experiment(spec)``: a picklable
        callable that the worker calls as ``work(prices, on_epoch=..., should_stop=...)``
        (the Mistakes page trains a tutorial's way with it); its return value is the
        job's result. ``priority``: higher starts first; a class's trainings are 0.
        """
        if self._closed:
            raise RuntimeError("The job manager has been shut down.")
        job_id = f"rnnstock-job-{next(self._ids)}-{spec.key()[:6]}-{self._token}"
        job = Job(
            id=job_id,
            spec=spec,
            label=label or spec.model.describe(),
            test_days=watch,
            priority=priority,
        )
        arguments = (spec, prices, watch is not None, work)
        with self._lock:
            self._jobs[job_id] = job
            if self.start_error is not None:
                # The last start failed (a lab's scheduler not up yet, say): this job
                # tries again, so the class need not restart the server once it is.
                self._start()
            if not self.ready:
                self._waiting_for_cluster.append((job, arguments))
                return job
        self._send(job, arguments)
        return job

    def job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def queue_position(self, job: Job) -> int | None:
        """1 for the next job to start on the cluster, 2 for the one after, …; None
        unless the job waits in the cluster's queue (read once a second)."""
        return job.place if job.status == QUEUED else None

    def running(self) -> int:
        """Trainings running on the cluster now, from any session or server."""
        return self._running

    def cancel(self, job_id: str) -> None:
        """Stop a job: a queued one never starts, a running one stops after its batch
        (within about a second; its worker is restarted if it does not)."""
        with self._lock:
            job = self._jobs.get(job_id)
            future = self._futures.get(job_id)
        if job is None or job.done:
            return
        if future is None:  # still waiting for the cluster
            with self._lock:
                self._waiting_for_cluster = [
                    waiting for waiting in self._waiting_for_cluster if waiting[0] is not job
                ]
            self._mark(job, CANCELLED)
            return
        job.stop_asked = time.time()
        if job.status == RUNNING:
            # It stops after its batch (the worker clears the flag as it ends). In a
            # thread: with a lab's scheduler out of reach, Event.set waits for Dask's
            # connect timeout, and the page that clicked Cancel would wait with it.
            threading.Thread(
                target=self._raise_stop_flag, args=(job,), name="rnnstock-stop", daemon=True
            ).start()
        else:
            # Never started: it leaves the queue. Had a worker just taken it, that worker
            # sees its task released and stops (rnnstock.worker._StopFlag).
            try:
                future.cancel(reason="cancelled by its owner")
            except Exception:  # a client closed for good: the job is out of reach anyway
                self._mark(job, CANCELLED)
        self._wake.set()

    def forget(self, job_id: str) -> None:
        """Drop a finished job and its result (the model with it) to free memory."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.done:
                return
            del self._jobs[job_id]
            self._futures.pop(job_id, None)

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
        """Cancel every job and close the client (and an embedded cluster with it)."""
        self._closed = True
        for job in self.jobs():
            self.cancel(job.id)
        self._wake.set()
        if self._client is not None:
            self._close(self._client)

    def _close(self, client: Client) -> None:
        """Close the client, and the embedded cluster with it (not a lab's)."""
        embedded = getattr(client, "cluster", None)
        try:
            with contextlib.suppress(Exception):  # a client already closed
                client.unsubscribe_topic(self.topic)
            client.close(timeout=10)
        finally:
            if embedded is not None:
                embedded.close(timeout=10)

    # -- inside -----------------------------------------------------------------

    def _run(self) -> None:
        """The manager's thread: start the cluster, then read the queue once a second."""
        try:
            client = self._start_client()
            self._set_up_or_close(client)
        except Exception as error:  # the page shows it on each job; the server keeps going
            self._refuse_all(_start_message(error))
            return
        with self._lock:
            if self._closed:  # shut down while the cluster started
                closed = True
            else:
                closed = False
                self._client = client
                self._ready.set()
                waiting, self._waiting_for_cluster = self._waiting_for_cluster, []
        if closed:
            self._close(client)
            return
        for job, arguments in waiting:
            if not job.done:  # cancelled while the cluster started
                self._send(job, arguments)
        while not self._closed:
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            if self._closed:
                return
            try:
                client = self._keep_connected(client)
                self._poll(client)
            except Exception:  # a scheduler that went away: the jobs' futures say so
                time.sleep(POLL_SECONDS)

    def _set_up(self, client: Client) -> None:
        """What this manager needs from a scheduler: its jobs' progress (its topic), the
        workers' plugin, a lab scheduler's settings; and which scheduler that is."""
        from rnnstock.worker import PrepareWorker

        client.subscribe_topic(self.topic, self._on_event)
        client.register_plugin(PrepareWorker(), name=PrepareWorker.name)
        if not cluster.embedded(client):
            cluster.adopt(client)
        self._scheduler_id = client.scheduler_info(n_workers=0)["id"]
        self._threads = cluster.nthreads(client) or self._threads

    def _set_up_or_close(self, client: Client) -> None:
        """``_set_up``, closing the client (and an embedded cluster) if it fails, so that
        a scheduler that answers but cannot be used leaves nothing open behind."""
        try:
            self._set_up(client)
        except BaseException:
            with contextlib.suppress(Exception):
                self._close(client)
            raise

    def _keep_connected(self, client: Client) -> Client:
        """A lab's scheduler that was restarted (its workers with it, README) is a new
        scheduler: it knows nothing of this manager's topic, plugin or settings. Dask's
        client reconnects by itself within CONNECT_SECONDS; the set-up is done again
        then. After a longer outage that client has closed for good, and a new one is
        made once the scheduler answers again (until then each poll tries). Jobs that
        were running or queued failed with LOST_CONNECTION meanwhile."""
        if cluster.embedded(client):  # its scheduler lives and dies with this process
            return client
        if client.status in ("closing", "closed"):
            if time.monotonic() < self._retry_after:
                return client
            self._retry_after = time.monotonic() + RETRY_SECONDS
            fresh = self._start_client()  # ClusterUnavailable while it is still away
            self._set_up_or_close(fresh)
            with self._lock:
                closed = self._closed
                if not closed:
                    self._client = fresh
            self._fail_jobs_of(client)
            if closed:  # shut down meanwhile
                self._close(fresh)
                return client
            with contextlib.suppress(Exception):
                client.close(timeout=1)
            return fresh
        if client.status == "running":
            self._set_up_if_new(client)
        return client

    def _set_up_if_new(self, client: Client) -> None:
        """Set the manager up on ``client``'s scheduler if it is not the one it was set up
        on (a lab's scheduler restarted, and Dask's client reconnected to the new one)."""
        if client.scheduler_info(n_workers=0)["id"] != self._scheduler_id:
            self._set_up(client)

    def _fail_jobs_of(self, client: Client) -> None:
        """Jobs sent through a client that closed for good whose futures it never ended
        (sent in the instant it was closing) fail as lost, rather than wait for ever."""
        with self._lock:
            stranded = [
                self._jobs[key]
                for key, future in self._futures.items()
                if future.client is client and key in self._jobs
            ]
        for job in stranded:
            self._fail(job, LOST_CONNECTION)

    def _start_client(self) -> Client:
        """``cluster.start``, tried again after an import error: Streamlit adds and
        removes a script's folder at the front of ``sys.path`` around each run (when it
        is not there already), and an import in this thread that walks ``sys.path`` at
        that moment can skip an entry and miss an installed package. (Only this
        process's imports: what the scheduler runs comes later, in ``_set_up``.)"""
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                return cluster.start(self._scheduler, self._requested_workers)
            except ImportError:
                if attempt == START_ATTEMPTS:
                    raise
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def _refuse_all(self, message: str) -> None:
        with self._lock:
            self.start_error = message
            waiting, self._waiting_for_cluster = self._waiting_for_cluster, []
            self._ready.set()
        for job, _ in waiting:
            self._fail(job, message)

    def _send(self, job: Job, arguments: tuple) -> None:
        from dask._task_spec import Task

        from rnnstock.worker import train

        # Marked as a data producer, the training waits in the scheduler's queue (not
        # on a worker) until a worker thread is free: one queue for the whole cluster,
        # ordered by priority, then by submission (fifo_timeout=0: each submission is a
        # generation of its own).
        task = Task(job.id, train, job.id, self.topic, *arguments, _data_producer=True)
        client = self._client
        assert client is not None
        if not cluster.embedded(client):
            # A lab's scheduler: not while Dask's client reconnects (the job would reach
            # a scheduler not yet set up, its progress unheard), and set up first on one
            # that has restarted since the last poll.
            try:
                if client.status != "running":
                    raise OSError(client.status)
                self._set_up_if_new(client)
            except Exception:
                self._fail(job, LOST_CONNECTION)
                return
        try:
            future = client.get(
                {job.id: task}, job.id, sync=False, priority=job.priority, fifo_timeout=0
            )
        except Exception:  # a client closed after its scheduler went away for good
            self._fail(job, LOST_CONNECTION)
            return
        with self._lock:
            self._futures[job.id] = future
        future.add_done_callback(lambda done, job=job: self._finish(job, done))
        self._wake.set()

    def _poll(self, client: Client) -> None:
        """Places in the queue, trainings running, threads; stuck stops; old workers."""
        mine = [job for job in self.jobs() if not job.done]
        if not mine:
            return
        from rnnstock.worker import queue_view, restart_if_training

        view = client.run_on_scheduler(queue_view)
        threads = view["threads"]
        # An embedded cluster's size is fixed: a worker being replaced (recycled, or after
        # a crash) is back in seconds, and "2 train at once" must not read 1 meanwhile.
        # A lab's changes as machines join and leave, but not with our own recycling.
        growing = threads >= (self._threads or 0)
        if threads and not cluster.embedded(client) and (growing or not self._recycling):
            self._threads = threads
        self._running = len(view["processing"])
        places = {key: place for place, key in enumerate(view["queued"], 1)}
        taken = set(view["processing"])
        for job in mine:
            job.place = places.get(job.id)
            job.assigned = job.id in taken
            if (
                job.stop_asked is not None
                and not job.stop_forced
                and job.worker is not None
                and time.time() - job.stop_asked > STOP_GRACE_SECONDS
                and not job.done
            ):
                # The training did not see its stop flag (stuck in one long step): the
                # engine's fallback, a new process for its worker, if the scheduler still
                # has it training this job (not, by now, someone else's).
                job.stop_forced = True
                client.run_on_scheduler(restart_if_training, address=job.worker, key=job.id)

    def _on_event(self, event: tuple[float, dict]) -> None:
        """A worker's 'started' or per-epoch message for one of this manager's jobs."""
        from rnnstock.worker import progress_from

        _, message = event
        job = self._jobs.get(message.get("job"))
        if job is None:
            return
        if message["kind"] == "started":
            with self._lock:  # never after _mark has finished the job
                if job.done:
                    return
                job.started = time.time()
                job.status = RUNNING
                job.place = None
                job.worker = message["worker"]
                job.worker_pid = message["pid"]
                job.progress = []  # a job started again elsewhere starts its epochs again
                job.trainings_on_worker = message["trainings"]
        elif message["kind"] == "epoch" and not job.done:
            progress = progress_from(message["progress"])
            if progress.predicted is not None:
                _forget_watched(job)  # only the newest is drawn
            job.progress.append(progress)

    def _raise_stop_flag(self, job: Job) -> None:
        with contextlib.suppress(Exception):  # a scheduler gone: the task is released anyway
            self._stop_flag(job).set()

    def _stop_flag(self, job: Job):
        from distributed import Event

        from rnnstock.worker import stop_name

        return Event(stop_name(job.id), client=self._client)

    def _finish(self, job: Job, future: Future) -> None:
        from distributed import KilledWorker

        from rnnstock.experiment import TrainingCancelled

        try:
            result = future.result()
        except TrainingCancelled:
            self._mark(job, CANCELLED)
        except CancelledError:  # by its owner, or by a client whose scheduler went away
            if job.stop_asked is not None or self._closed:
                self._mark(job, CANCELLED)
            else:
                self._fail(job, LOST_CONNECTION)
        except KilledWorker:
            if job.stop_asked is not None or job.status == CANCELLED:
                self._mark(job, CANCELLED)
            else:
                self._fail(job, LOST_WORKER)
        except ValueError as error:  # bad data or settings: the message is for the user
            self._fail(job, str(error))
        except Exception as error:  # a crash in the worker: say so plainly, keep serving
            self._fail(job, f"Training failed unexpectedly ({type(error).__name__}: {error}).")
        else:
            job.result = result
            self._mark(job, DONE)
        finally:
            future.release()  # the worker forgets the result: it is here now
            with self._lock:
                self._futures.pop(job.id, None)
        if job.worker and job.trainings_on_worker >= self.jobs_per_worker and not self._closed:
            self._recycle(job.worker)

    def _recycle(self, address: str) -> None:
        """Restart a worker that has trained its share once it is idle (rnnstock.worker.recycle);
        meanwhile the other workers take the queue."""
        with self._lock:
            if address in self._recycling:
                return
            self._recycling.add(address)

        from rnnstock.worker import recycle

        def restart() -> None:
            try:
                if self._client is not None and self._client.run_on_scheduler(
                    recycle, address=address
                ):
                    self.worker_restarts += 1
            except Exception:  # the worker or scheduler went away meanwhile
                pass
            finally:
                with self._lock:
                    self._recycling.discard(address)

        threading.Thread(target=restart, name="rnnstock-recycle", daemon=True).start()

    def _fail(self, job: Job, message: str) -> None:
        job.error = message
        self._mark(job, FAILED)

    def _mark(self, job: Job, status: str) -> None:
        with self._lock:
            if job.done:
                return
            job.finished = time.time()
            if job.started is None and status != CANCELLED:
                job.started = job.submitted
            job.status = status
            job.place = None
            # The learning chart is gone with the training: the result has its predictions.
            _forget_watched(job)
            job.test_days = None


def _forget_watched(job: Job) -> None:
    """Drop the test predictions of a job's earlier epochs (a 1,000-epoch run on 4,000
    test days would keep 16 MB of them)."""
    for index, progress in enumerate(job.progress):
        if progress.predicted is not None:
            job.progress[index] = dataclasses.replace(progress, predicted=None)


def _start_message(error: Exception) -> str:
    """Why the trainers could not start, as the pages say it on each job."""
    if isinstance(error, cluster.ClusterUnavailable):
        return str(error)
    # Raised on the lab's scheduler and re-raised here (the module's name is in the text).
    if isinstance(error, ImportError) and "No module named 'rnnstock" in str(error):
        return (
            "The lab's Dask scheduler (or its workers) cannot import rnnstock: start them in"
            ' this project\'s checkout with PYTHONPATH=$PWD (README, "A class of 200").'
        )
    return f"The trainers could not start: {error}"
