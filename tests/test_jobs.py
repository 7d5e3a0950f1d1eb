"""The background job queue on Dask distributed: a real embedded LocalCluster and a lab
of separate `dask scheduler` and `dask worker` processes on 127.0.0.1, tiny models."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnstock.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    LOST_WORKER,
    QUEUED,
    RUNNING,
    JobManager,
    default_workers,
)
from tests.conftest import make_prices
from tests.lab import lab
from tests.test_experiment import TINY

LONG = TINY.replace(train=TINY.train.replace(epochs=500))


@pytest.fixture(scope="module")
def manager():
    jobs = JobManager(workers=1)
    yield jobs
    jobs.shutdown()


@pytest.fixture(scope="module")
def lab_cluster():
    with lab(workers=2) as started:
        yield started


def _until(condition, timeout: float = 120, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def test_a_job_trains_in_the_background_and_reports_each_epoch(manager):
    prices = make_prices()
    job = manager.submit(TINY, prices=prices, label="tiny GRU")
    assert job.status in (QUEUED, RUNNING)
    manager.wait(job.id, timeout=120)
    assert job.status == DONE, job.error
    assert [p.epoch for p in job.progress] == [1, 2]
    assert job.fraction == 1.0 and job.eta is None and job.elapsed > 0
    assert len(job.result.predictions) == len(prices) - int(len(prices) * 0.8)
    assert job.result.model.count_params() == job.result.parameters


def test_jobs_wait_their_turn_and_know_their_place(manager):
    """One worker: the cluster's queue holds the others, in submission order."""
    prices = make_prices()
    slow = TINY.replace(train=TINY.train.replace(epochs=40))
    first = manager.submit(slow, prices=prices)
    second = manager.submit(TINY, prices=prices)
    third = manager.submit(TINY, prices=prices)
    _until(lambda: manager.queue_position(third) is not None, what="the third's place")
    _until(lambda: first.status == RUNNING, what="the first start")
    assert (manager.queue_position(second), manager.queue_position(third)) == (1, 2)
    assert manager.workers == 1 and manager.running() == 1
    manager.cancel(first.id)
    for job in (first, second, third):
        manager.wait(job.id, timeout=120)
    assert first.status == CANCELLED
    assert (second.status, third.status) == (DONE, DONE)
    assert second.started <= third.started  # in the order they were asked for
    assert manager.queue_position(third) is None


def test_a_higher_priority_goes_first(manager):
    """The Mistakes page's measurements go behind a class's trainings."""
    prices = make_prices()
    blocker = manager.submit(TINY.replace(train=TINY.train.replace(epochs=30)), prices=prices)
    later = manager.submit(TINY, prices=prices, priority=-1)
    class_run = manager.submit(TINY, prices=prices)
    # The blocker on the worker first: until then it is first in the queue (a loaded
    # machine once showed places 2 and 3 here).
    _until(lambda: blocker.status == RUNNING, what="the blocker's start")
    _until(lambda: manager.queue_position(class_run) is not None, what="the queue's order")
    assert (manager.queue_position(class_run), manager.queue_position(later)) == (1, 2)
    manager.cancel(blocker.id)
    for job in (blocker, later, class_run):
        manager.wait(job.id, timeout=120)
    assert class_run.started <= later.started


def test_cancel_stops_a_running_job(manager):
    job = manager.submit(LONG, prices=make_prices())
    _until(lambda: job.progress or job.done, what="training")
    asked = time.monotonic()
    manager.cancel(job.id)
    manager.wait(job.id, timeout=120)
    assert job.status == CANCELLED
    assert len(job.progress) < 500
    stopped_after = time.monotonic() - asked
    # The next training starts on the same worker: the stopped one let go of it.
    after = manager.submit(TINY, prices=make_prices())
    assert manager.wait(after.id, timeout=120).status == DONE, after.error
    print(f"stopped {stopped_after:.2f} s after the click")


def test_cancel_of_a_queued_job_means_it_never_starts(manager):
    prices = make_prices()
    running = manager.submit(LONG, prices=prices)
    queued = manager.submit(TINY, prices=prices)
    manager.cancel(queued.id)
    manager.cancel(running.id)
    for job in (running, queued):
        manager.wait(job.id, timeout=120)
    assert queued.status == CANCELLED and queued.progress == [] and queued.result is None


def test_bad_settings_fail_with_the_readable_message(manager):
    bad = TINY.replace(split=TINY.split.replace(window=290))
    job = manager.submit(bad, prices=make_prices())
    manager.wait(job.id, timeout=120)
    assert job.status == FAILED
    assert "window (290 days)" in job.error
    assert job.result is None


def test_forget_releases_a_finished_job(manager):
    job = manager.submit(TINY, prices=make_prices())
    manager.wait(job.id, timeout=120)
    manager.forget(job.id)
    assert manager.job(job.id) is None


def test_worker_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RNNSTOCK_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("RNNSTOCK_WORKERS", "many")
    with pytest.raises(ValueError, match="whole number"):
        default_workers()


def test_an_unreachable_scheduler_fails_each_job_with_a_message():
    jobs = JobManager(scheduler=f"tcp://127.0.0.1:{_closed_port()}")
    try:
        job = jobs.submit(TINY, prices=make_prices())
        jobs.wait(job.id, timeout=120)
        assert job.status == FAILED
        assert "Cannot reach the Dask scheduler at tcp://127.0.0.1:" in job.error
        assert "dask scheduler" in job.error
        later = jobs.submit(TINY, prices=make_prices())  # tries again, refused with the reason
        jobs.wait(later.id, timeout=60)
        assert later.status == FAILED and later.error == job.error
    finally:
        jobs.shutdown()


def _closed_port() -> int:
    from tests.lab import free_port

    return free_port()  # bound a moment ago, listened on by nobody


# -- a lab: a scheduler and two `dask worker` processes ----------------------------------


def test_a_lab_cluster_trains_with_progress_and_keeps_two_servers_apart(lab_cluster):
    """Two app servers (two managers) on one cluster: each hears only its own jobs."""
    one = JobManager(scheduler=lab_cluster.address)
    other = JobManager(scheduler=lab_cluster.address)
    try:
        prices = make_prices()
        mine = one.submit(TINY, prices=prices)
        theirs = other.submit(TINY.replace(train=TINY.train.replace(epochs=3)), prices=prices)
        assert one.wait(mine.id, 180).status == DONE, mine.error
        assert other.wait(theirs.id, 180).status == DONE, theirs.error
        assert [p.epoch for p in mine.progress] == [1, 2]
        assert [p.epoch for p in theirs.progress] == [1, 2, 3]
        assert one.job(theirs.id) is None and other.job(mine.id) is None
        assert [job.id for job in one.jobs()] == [mine.id]
        assert one.workers == 2
    finally:
        one.shutdown()
        other.shutdown()


def test_a_worker_killed_mid_training_costs_only_its_own_job(lab_cluster):
    """kill -9 of the worker training one job: that job fails with a plain message; the
    other worker's job and the queued one finish; the next training works."""
    jobs = JobManager(scheduler=lab_cluster.address)
    try:
        prices = make_prices()
        doomed = jobs.submit(LONG, prices=prices, label="doomed")
        healthy = jobs.submit(TINY.replace(train=TINY.train.replace(epochs=40)), prices=prices)
        queued = jobs.submit(TINY, prices=prices)
        _until(lambda: doomed.progress and doomed.worker, what="the doomed job's training")
        os.kill(doomed.worker_pid, signal.SIGKILL)
        jobs.wait(doomed.id, timeout=120)
        assert doomed.status == FAILED and doomed.error == LOST_WORKER
        assert jobs.wait(healthy.id, timeout=180).status == DONE, healthy.error
        assert jobs.wait(queued.id, timeout=180).status == DONE, queued.error
        # The nanny started a new worker: the lab has two again, and trainings work.
        jobs.client().wait_for_workers(2, timeout=90)
        again = jobs.submit(TINY, prices=prices)
        assert jobs.wait(again.id, timeout=180).status == DONE, again.error
    finally:
        jobs.shutdown()


def _python(*arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python ARGUMENTS`` in the checkout, as a terminal there runs it."""
    return subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )


def test_a_training_whose_server_went_away_stops_on_the_lab_worker(lab_cluster):
    """A server that crashed (its client gone without a word) leaves no training behind
    on the lab: the worker sees its task released and stops, so the next student's
    training is not stuck behind a run nobody will look at."""
    gone = JobManager(scheduler=lab_cluster.address)
    staying = JobManager(scheduler=lab_cluster.address)
    try:
        job = gone.submit(LONG, prices=make_prices())
        _until(lambda: job.progress, what="the training")
        gone.client().close()  # no cancel: as if the server had been killed

        def trainings_running() -> int:
            counts = staying.client().run(lambda dask_worker: dask_worker.state.executing_count)
            return sum(counts.values())

        _until(lambda: trainings_running() == 0, 60, "the orphaned training's stop")
    finally:
        gone.shutdown()
        staying.shutdown()


def test_the_cli_trains_on_a_lab_cluster(lab_cluster, tmp_path):
    done = _python(
        *["-m", "rnnstock", "run", "--scheduler", lab_cluster.address],
        *["--sample", "MSFT", "--epochs", "2", "--units", "4", "--window", "5", "--quiet"],
        *["--out", str(tmp_path)],
    )
    assert done.returncode == 0, done.stderr
    assert f"on the Dask cluster at {lab_cluster.address}" in done.stderr
    assert "RMSE" in done.stdout


def test_the_cli_says_plainly_when_the_scheduler_is_not_there(tmp_path):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    done = _python("-m", "rnnstock", "run", "--scheduler", address, "--epochs", "1")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(f"rnnstock: Cannot reach the Dask scheduler at {address}")
    )
    assert "Traceback" not in done.stderr


# -- the embedded cluster's processes -------------------------------------------------


def test_workers_do_not_run_the_app_script_again(tmp_path):
    """Under `streamlit run`, __main__ is app.py; a worker, started or restarted, must not
    execute it."""
    marker = tmp_path / "app-ran-in-a-worker"
    script = tmp_path / "app_like.py"
    script.write_text(
        "import pathlib, sys\n"
        "if __name__ != '__main__':\n"
        f"    pathlib.Path({str(marker)!r}).write_text(__name__)\n"
        "else:\n"
        "    from rnnstock.jobs import JobManager\n"
        "    from tests.conftest import make_prices\n"
        "    from tests.test_experiment import TINY\n"
        "    manager = JobManager(workers=1)\n"
        "    job = manager.submit(TINY, prices=make_prices())\n"
        "    print(manager.wait(job.id, timeout=120).status)\n"
        # A nanny starts a new process for a worker that crashed or was recycled.
        "    client = manager.client()\n"
        "    client.restart_workers(list(client.nthreads()))\n"
        "    job = manager.submit(TINY, prices=make_prices())\n"
        "    print(manager.wait(job.id, timeout=120).status)\n"
        "    manager.shutdown()\n"
    )
    done = _python(str(script), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["done", "done"]
    assert not marker.exists(), f"the script ran again as {marker.read_text()}"


def test_workers_are_replaced_after_their_share_of_trainings_even_with_a_queue():
    """TensorFlow keeps memory from every fit, so a worker is restarted after a few; with
    trainings waiting, it is kept from taking more (it may have taken one more as the
    last finished) until it has been replaced."""
    jobs = JobManager(workers=1, jobs_per_worker=2)
    try:
        prices = make_prices()
        submitted = [jobs.submit(TINY, prices=prices) for _ in range(4)]
        statuses = [jobs.wait(job.id, timeout=180).status for job in submitted]
        assert statuses == [DONE] * 4
        pids = [job.worker_pid for job in submitted]
        assert pids[0] == pids[1] != pids[3]  # the fourth ran in a new process
        assert jobs.worker_restarts >= 1
    finally:
        jobs.shutdown()


def _server_like(
    tmp_path: Path, body: str, *, announce: bool = True, train: bool = True
) -> subprocess.Popen:
    """A process holding a JobManager with 2 workers, as the web server does, in its own
    process group (as a terminal runs `make run`); it trains once (unless ``train`` is
    False: then it waits until the workers have imported TensorFlow), prints "ready" and
    its child processes' ids (unless ``body`` does, with ``announce=False``) and then runs
    ``body``."""
    script = tmp_path / "server_like.py"
    script.write_text(
        "import sys\n"
        "import time\n"
        "import psutil\n"
        "from rnnstock.jobs import JobManager\n"
        "from tests.conftest import make_prices\n"
        "from tests.test_experiment import TINY\n"
        "if __name__ == '__main__':\n"
        "    manager = JobManager(workers=2)\n"
        + (
            "    job = manager.submit(TINY, prices=make_prices())\n"
            "    manager.wait(job.id, timeout=120)\n"
            if train
            else "    from tests.lab import workers_have\n"
            "    assert workers_have(manager.client(), 'keras')\n"
        )
        + "    pids = [child.pid for child in psutil.Process().children(recursive=True)]\n"
        + ("    print('ready', *pids, flush=True)\n" if announce else "")
        + body
    )
    return subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[1],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        start_new_session=True,
    )


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_tensorflow_only_in_the_workers_which_end_with_a_server_that_is_killed(tmp_path):
    """Issue 6's decision (a): the workers import TensorFlow as the cluster starts, so the
    first training does not wait for it; the server process never does. And a server
    killed outright (SIGKILL, SIGTERM, a crash) runs no clean-up; its workers, each
    holding TensorFlow, and the manager's process must not live on without it. (One
    server for both: each start costs two workers' TensorFlow import.)"""
    server = _server_like(
        tmp_path,
        "    def has_tensorflow():\n"
        "        return any('libtensorflow' in m.path for m in psutil.Process().memory_maps())\n"
        "    print('server', 'tensorflow' in sys.modules, has_tensorflow(), flush=True)\n"
        "    print('workers', *manager.client().run(has_tensorflow).values(), flush=True)\n"
        "    job = manager.submit(TINY, prices=make_prices())\n"
        "    manager.wait(job.id, timeout=120)\n"
        "    print('ready', *pids, flush=True)\n"
        "    time.sleep(600)\n",
        announce=False,
        train=False,
    )
    try:
        lines = [server.stdout.readline().strip() for _ in range(2)]
        failed = server.stderr.read() if server.poll() is not None else ""
        assert lines == ["server False False", "workers True True"], (lines, failed)
        first = server.stdout.readline().split()
        assert first[:1] == ["ready"], server.stderr.read()
        children = [int(pid) for pid in first[1:]]
        # The fork server and the two workers (and multiprocessing's resource tracker).
        assert len(children) >= 3 and all(_alive(pid) for pid in children)
        os.killpg(server.pid, 0)  # still there
        server.kill()
        server.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)], "processes outlived the server"
    finally:
        if server.poll() is None:
            server.kill()


def test_ctrl_c_stops_the_workers_without_a_traceback_from_each(tmp_path):
    """Ctrl+C in the terminal reaches the whole process group: the server stops its
    workers, and the terminal shows no KeyboardInterrupt traceback from every worker."""
    server = _server_like(
        tmp_path,
        # "ready" inside the try: Ctrl+C can arrive the moment the line is read.
        "    try:\n"
        "        print('ready', *pids, flush=True)\n"
        "        time.sleep(600)\n"
        "    except KeyboardInterrupt:\n"
        "        manager.shutdown()\n"
        "        print('stopped', flush=True)\n",
        announce=False,
    )
    try:
        assert server.stdout.readline().startswith("ready"), server.stderr.read()
        os.killpg(server.pid, signal.SIGINT)
        out, err = server.communicate(timeout=30)
        assert out.split() == ["stopped"], err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    finally:
        if server.poll() is None:
            server.kill()
