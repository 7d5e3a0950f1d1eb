"""Where trainings run: a Dask distributed cluster, embedded or shared.

By default the server (or CLI) starts an embedded ``LocalCluster`` on
127.0.0.1: a scheduler in this process and one worker process per core
(``RNNSTOCK_WORKERS``), one thread each. With ``RNNSTOCK_SCHEDULER`` (or the
CLI's ``--scheduler``) set to ``tcp://host:8786`` it connects to an existing
cluster instead, whose workers were started on lab machines with
``dask worker tcp://host:8786 --nthreads 1`` (README, "A class of 200").

What the engine does for us, and what the old process pool did by hand:
queueing across every session and server (the scheduler's own task queue),
restarting a worker process that died (its nanny), and ending the workers
with the process that started them (the nanny's and worker's parent-death
pipes). What stays ours is in rnnstock.jobs: progress, cancel, ownership.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import socket
import sys
import threading
import types
from typing import TYPE_CHECKING

from rnnstock import config

if TYPE_CHECKING:
    from distributed import Client

# The engine's settings this project relies on, set before a cluster starts here
# (a shared cluster's scheduler should be started with the same; README):
ENGINE_SETTINGS = {
    # A worker that dies mid-training (out of memory, kill -9) costs that training
    # only, at once, with a message; a retry would train it again from the start
    # on another worker, and a model that kills its worker would take each in turn.
    "distributed.scheduler.allowed-failures": 0,
    # At most one training per worker thread leaves the scheduler's queue at a
    # time, so the queue's order is the order trainings start in, on any worker.
    "distributed.scheduler.worker-saturation": 1.0,
    # No work stealing: a training that has started is never moved.
    "distributed.scheduler.work-stealing": False,
    # Worker processes come from a fork server (quicker restarts: Dask's own modules
    # are loaded there once), each started with a bare __main__ (_start_with_a_bare_main).
    "distributed.worker.multiprocessing-method": "forkserver",
    # The scheduler keeps this many events a topic (a manager's progress, with the
    # watched test predictions) and transitions: Dask's 1,000 would hold tens of MB.
    "distributed.admin.low-level-log-length": 64,
    # A training's memory is TensorFlow's; the nanny's memory watchdog (which would
    # kill a worker mid-training at 95 %) stays off unless the lab sets a limit.
    "distributed.worker.memory.terminate": False,
}
CONNECT_SECONDS = 10  # to reach a shared scheduler before saying it cannot be reached


class ClusterUnavailable(RuntimeError):
    """The scheduler named by RNNSTOCK_SCHEDULER or --scheduler cannot be reached."""


@contextlib.contextmanager
def _bare_main():
    """Start processes without re-running the web app's script in them.

    A spawned (or fork-server) child first re-runs the parent's ``__main__``
    file (as ``__mp_main__``) so that functions defined there can be unpickled.
    Under ``streamlit run`` that file is the app: every worker would draw the
    whole app without a browser before its first training. What workers run
    lives in rnnstock, so the processes start with a bare ``__main__``.
    """
    main = sys.modules.get("__main__")
    bare = types.ModuleType("__main__")
    sys.modules["__main__"] = bare
    try:
        yield
    finally:
        # Streamlit may have put the next script run's module there meanwhile.
        if sys.modules.get("__main__") is bare and main is not None:
            sys.modules["__main__"] = main


_start_lock = threading.Lock()


class _BareMainProcess(multiprocessing.context.ForkServerProcess):
    """A fork-server process started with a bare ``__main__`` (_bare_main)."""

    @staticmethod
    def _Popen(process_obj):  # noqa: N802 (multiprocessing's name)
        with _bare_main():
            return multiprocessing.context.ForkServerProcess._Popen(process_obj)


def _start_with_a_bare_main() -> None:
    """Every worker process Dask starts here, now or when a nanny restarts one, is
    started with a bare ``__main__``: multiprocessing reads ``__main__`` as each
    process starts, and under Streamlit that is whichever session's script is running.
    The context is the one Dask asks for (distributed.utils.get_mp_context)."""
    assert ENGINE_SETTINGS["distributed.worker.multiprocessing-method"] == "forkserver"
    multiprocessing.get_context("forkserver").Process = _BareMainProcess


def start(address: str | None = None, workers: int | None = None) -> Client:
    """A client of the shared cluster at ``address``, or of a new embedded one.

    An embedded cluster listens on 127.0.0.1 only, has no dashboard, and ends
    with this process (its nannies and workers watch their parent).
    """
    import dask
    from distributed import Client, LocalCluster

    address = address or config.scheduler()
    if address:
        try:
            _probe(address)
            return Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterUnavailable(
                f"Cannot reach the Dask scheduler at {address} ({error}). Is"
                " `dask scheduler` running there, and is the address right?"
            ) from None
    # For good, not for the start only: a nanny reads them again each time it restarts
    # its worker (after a crash, or to give TensorFlow's memory back).
    dask.config.set(ENGINE_SETTINGS)
    _start_with_a_bare_main()
    with _start_lock:
        cluster = LocalCluster(
            n_workers=workers or config.workers(),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # its health page; Bokeh's dashboard is absent
            memory_limit=0,  # see ENGINE_SETTINGS: no watchdog kills a training
            silence_logs=logging.ERROR,
        )
        try:
            client = Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close(timeout=10)
            raise
    return client


def adopt(client: Client) -> None:
    """Give a shared scheduler the settings of ENGINE_SETTINGS that it reads as it runs
    (its start-up settings are the lab's): at connect, and again when it has restarted
    (rnnstock.jobs sets its client up). It runs rnnstock's code, so the scheduler needs
    the checkout on its path (README, "A class of 200")."""
    from rnnstock.worker import adopt_settings

    client.run_on_scheduler(
        adopt_settings,
        allowed_failures=ENGINE_SETTINGS["distributed.scheduler.allowed-failures"],
        worker_saturation=ENGINE_SETTINGS["distributed.scheduler.worker-saturation"],
    )


def embedded(client: Client) -> bool:
    """Whether ``client``'s cluster was started here (it ends with this process)."""
    return getattr(client, "cluster", None) is not None


def _probe(address: str) -> None:
    """Fail at once on a port nobody listens on (a typo, a scheduler not started), where
    Dask's client would try again for CONNECT_SECONDS."""
    scheme, _, place = address.partition("://")
    if scheme != "tcp" or ":" not in place:
        return
    host, _, port = place.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"'{port}' is not a port number")
    with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS):
        pass


def nthreads(client: Client) -> int:
    """Trainings the cluster runs at once: its workers' threads."""
    return sum(client.nthreads().values())
