"""The background job queue, with real worker processes and tiny models."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnstock.jobs import CANCELLED, DONE, FAILED, QUEUED, JobManager, default_workers
from tests.conftest import make_prices
from tests.test_experiment import TINY


@pytest.fixture(scope="module")
def manager():
    jobs = JobManager(workers=1)
    yield jobs
    jobs.shutdown()


def test_a_job_trains_in_the_background_and_reports_each_epoch(manager):
    prices = make_prices()
    job = manager.submit(TINY, prices=prices, label="tiny GRU")
    assert job.status in (QUEUED, "running")
    manager.wait(job.id, timeout=120)
    assert job.status == DONE, job.error
    assert [p.epoch for p in job.progress] == [1, 2]
    assert job.fraction == 1.0 and job.eta is None and job.elapsed > 0
    assert len(job.result.predictions) == len(prices) - int(len(prices) * 0.8)
    assert job.result.model.count_params() == job.result.parameters


def test_jobs_wait_their_turn_and_know_their_place(manager):
    prices = make_prices()
    slow = TINY.replace(train=TINY.train.replace(epochs=40))
    first = manager.submit(slow, prices=prices)
    second = manager.submit(TINY, prices=prices)
    third = manager.submit(TINY, prices=prices)
    assert manager.queue_position(third) == manager.queue_position(second) + 1
    manager.cancel(first.id)
    for job in (first, second, third):
        manager.wait(job.id, timeout=120)
    assert first.status == CANCELLED
    assert (second.status, third.status) == (DONE, DONE)
    assert manager.queue_position(third) is None


def test_cancel_stops_a_running_job(manager):
    long_run = TINY.replace(train=TINY.train.replace(epochs=500))
    job = manager.submit(long_run, prices=make_prices())
    while not job.progress and not job.done:  # wait until it is really training
        time.sleep(0.05)
    manager.cancel(job.id)
    manager.wait(job.id, timeout=120)
    assert job.status == CANCELLED
    assert len(job.progress) < 500


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


def test_workers_do_not_run_the_app_script_again(tmp_path):
    """Under `streamlit run`, __main__ is app.py; a spawned worker must not execute it."""
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
        "    manager.shutdown()\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["done"]
    assert not marker.exists(), f"the script ran again as {marker.read_text()}"


def test_workers_are_replaced_after_their_share_of_trainings_when_idle():
    """TensorFlow keeps memory from every fit, so a worker retires after a few trainings."""
    jobs = JobManager(workers=1, jobs_per_worker=2)
    try:
        prices = make_prices()
        statuses = []
        for _ in range(3):
            job = jobs.submit(TINY, prices=prices)
            statuses.append(jobs.wait(job.id, timeout=120).status)
            if len(statuses) == 2:
                assert jobs.worker_restarts == 0
        assert statuses == [DONE, DONE, DONE]  # the third ran on a fresh worker
        assert jobs.worker_restarts == 1
        # Never while a training is queued or running: two submitted at once share workers.
        first, second = jobs.submit(TINY, prices=prices), jobs.submit(TINY, prices=prices)
        assert jobs.worker_restarts == 1
        assert jobs.wait(first.id, timeout=120).status == DONE
        assert jobs.wait(second.id, timeout=120).status == DONE
    finally:
        jobs.shutdown()


def test_workers_start_with_the_manager_but_load_tensorflow_only_for_a_training():
    """A page that makes the manager gets its trainers started; TensorFlow waits for a job."""
    import multiprocessing

    others = {child.pid for child in multiprocessing.active_children()}
    jobs = JobManager(workers=2)
    try:

        def started():  # this manager's processes: its event queue's server and 2 workers
            return [c for c in multiprocessing.active_children() if c.pid not in others]

        deadline = time.monotonic() + 60
        while len(started()) < 3:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        time.sleep(3)  # long enough for a worker to have imported TensorFlow, were it to
        for child in started():
            maps = Path(f"/proc/{child.pid}/maps").read_text()
            assert "libtensorflow" not in maps, f"{child.name} loaded TensorFlow"
        job = jobs.submit(TINY, prices=make_prices())
        assert jobs.wait(job.id, timeout=120).status == DONE, job.error
    finally:
        jobs.shutdown()


def _server_like(tmp_path: Path, body: str, *, announce: bool = True) -> subprocess.Popen:
    """A process holding a JobManager with 2 workers, as the web server does, in its own
    process group (as a terminal runs `make run`); it prints "ready" (unless ``body``
    does, with ``announce=False``) and then runs ``body``."""
    script = tmp_path / "server_like.py"
    script.write_text(
        "import multiprocessing, time\n"
        "from rnnstock.jobs import JobManager\n"
        "from tests.conftest import make_prices\n"
        "from tests.test_experiment import TINY\n"
        "if __name__ == '__main__':\n"
        "    manager = JobManager(workers=2)\n"
        "    job = manager.submit(TINY, prices=make_prices())\n"
        "    manager.wait(job.id, timeout=120)\n"
        "    pids = [child.pid for child in multiprocessing.active_children()]\n"
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


def test_workers_end_with_a_server_that_is_killed(tmp_path):
    """A server killed outright (SIGKILL, SIGTERM, a crash) runs no clean-up; its workers,
    each holding TensorFlow, and the manager's process must not live on without it."""
    server = _server_like(tmp_path, "    time.sleep(600)\n")
    try:
        first = server.stdout.readline().split()
        assert first[:1] == ["ready"], server.stderr.read()
        children = [int(pid) for pid in first[1:]]
        assert len(children) == 3 and all(_alive(pid) for pid in children)
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
