"""Class load (issue 17): a class of students press Train at the same moment.

Each student submits what the Train page submits with its default settings
(rnnstock.specs: LSTM(50), window 60, 20 epochs, the bundled MSFT sample), with
the page's ``watch`` on (the test days' predictions as the model learns). The
manager is made at the clock's start, as by the first student's page, and all
the clicks follow at once, so the trainers' start is inside every figure.
Three ways, each in a fresh Python process (no TensorFlow state shared):

- ``pool``: the hand-written process pool, rnnstock.jobs as it was in the last
  commit whose jobs.py has ``ProcessPoolExecutor``, unpacked beside the tree
  (``git archive``) and run with PYTHONPATH there, in the same venv;
- ``dask``: this tree's JobManager on its embedded LocalCluster;
- ``lab``: this tree's JobManager on a loopback "lab", a ``dask scheduler`` and
  two ``dask worker --nthreads 1`` processes started before the class.

Every SAMPLE_SECONDS the driver reads each job's status, ``queue_position`` and
the line the runs table shows for it (that version's own
``rnnstock.web.runs.status_line``, shortened), keeping each change. A place
that went up while waiting, or a line seen again after another (such as
"starting" → "waiting (place 1)" → "starting"), is flagged.

This file is also the driver: the parent runs it with ``python -c`` in each
variant's checkout, so only the standard library is imported at its top.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VARIANTS = ("pool", "dask", "lab")
DESCRIBED = {
    "pool": "process pool (the old rnnstock.jobs)",
    "dask": "Dask, embedded LocalCluster",
    "lab": "Dask, 2 `dask worker` processes (loopback lab)",
}
SAMPLE_SECONDS = 0.25
POOL_MARKER = "ProcessPoolExecutor"  # what the old rnnstock/jobs.py is recognised by
TARGET_RATIO = 1.10  # Dask's total within 10 % of the pool's
# The driver runs this file as __main__ from the variant's checkout (the current
# directory, first on sys.path), so that `import rnnstock` finds that version.
RUNNER = (
    "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)


# -- the old pool, beside the tree (parent side) ----------------------------------------


def pool_commit(repo: Path = REPO) -> str:
    """The newest commit on HEAD's line whose rnnstock/jobs.py is the process pool.

    ``RNNSTOCK_BENCH_POOL_COMMIT`` names one instead.
    """
    named = os.environ.get("RNNSTOCK_BENCH_POOL_COMMIT", "").strip()
    if named:
        return _git(repo, "rev-parse", "--verify", f"{named}^{{commit}}").strip()
    for commit in _git(repo, "rev-list", "--first-parent", "HEAD").split():
        found = subprocess.run(
            ["git", "grep", "-q", POOL_MARKER, commit, "--", "rnnstock/jobs.py"],
            cwd=repo,
            check=False,
        )
        if found.returncode == 0:
            return commit
    raise RuntimeError(f"no commit reachable from HEAD has {POOL_MARKER} in rnnstock/jobs.py")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


@contextlib.contextmanager
def checkout(commit: str, repo: Path = REPO):
    """``commit``'s files unpacked in a temporary folder (``git archive``: nothing is
    added to the repository's .git), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"rnnstock-pool-{commit[:7]}-"))
    try:
        archive = subprocess.Popen(["git", "archive", commit], cwd=repo, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(folder)], stdin=archive.stdout, check=True)
        archive.stdout.close()
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {commit} failed")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- one variant, in its own process (parent side) --------------------------------------


def run_variant(
    variant: str, root: Path, *, students: int, epochs: int, timeout: float = 1800
) -> dict:
    """The driver below, in a fresh Python whose ``rnnstock`` is the one in ``root``."""
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RNNSTOCK_SCHEDULER": "",
        "PYTHONUNBUFFERED": "1",
    }
    with tempfile.TemporaryDirectory(prefix="rnnstock-class-") as scratch:
        out = Path(scratch) / "result.json"
        params = {"variant": variant, "students": students, "epochs": epochs, "tree": str(REPO)}
        with open(Path(scratch) / "log", "w+") as log:
            driver = subprocess.Popen(
                [sys.executable, "-c", RUNNER, __file__, json.dumps(params), str(out)],
                cwd=root,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                returncode = driver.wait(timeout=timeout)
            finally:
                if driver.poll() is None:  # stopped or timed out: the driver ends its lab
                    driver.terminate()
                    try:
                        driver.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        driver.kill()
                        driver.wait()
            if returncode != 0 or not out.exists():
                log.seek(0)
                raise RuntimeError(
                    f"class load, {variant}: the driver exited {returncode}:\n" + log.read()[-3000:]
                )
        return json.loads(out.read_text())


# -- the driver (runs in the variant's process) -----------------------------------------


DASK_SCHEDULER = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
# One thread each, on the loopback interface, no dashboard (as tests/lab.py starts them).
DASK_WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
WORKER_OPTIONS = ["--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def loopback_lab(tree: str, workers: int = 2):
    """A `dask scheduler` and ``workers`` `dask worker --nthreads 1` processes on
    127.0.0.1, as README's "A class of 200" starts them (as tests/lab.py does);
    yields the scheduler's address once every worker has joined."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": tree, "RNNSTOCK_SCHEDULER": ""}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": tree}
    port = address.rsplit(":", 1)[1]
    processes = [
        subprocess.Popen(
            [*DASK_SCHEDULER, "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        for _ in range(workers):
            processes.append(
                subprocess.Popen(
                    [*DASK_WORKER, address, *WORKER_OPTIONS],
                    **quiet,
                )
            )
        with Client(address, timeout=90, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=90)
        yield address
    finally:
        for process in processes:
            process.terminate()
        deadline = time.monotonic() + 20
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by this process and every process below it (the manager's
    workers, a lab's scheduler and workers) since it was made, beside the machine's:
    the difference is what other people's work took meanwhile."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self._me = psutil.Process()
        self._seen: dict[tuple[int, float], float] = {}
        self._machine = machine_busy_seconds()
        self.sample()
        self._baseline = sum(self._seen.values())

    def sample(self) -> None:
        for process in [self._me, *self._me.children(recursive=True)]:
            try:
                times = process.cpu_times()
                self._seen[(process.pid, process.create_time())] = times.user + times.system
            except self._psutil.Error:
                pass

    def totals(self) -> dict[str, float]:
        self.sample()
        own = sum(self._seen.values()) - self._baseline
        machine = machine_busy_seconds() - self._machine
        return {"own_cpu_s": own, "machine_cpu_s": machine, "others_cpu_s": machine - own}


def _page_line(status_line, job, manager) -> str:
    """What the page says of the job under its progress bar, shortened to the words
    that change ("waiting: place 3 in the queue (2 train at once here)" is "place 3",
    "starting a trainer (TensorFlow takes …)" is "starting a trainer"): its queue line
    while it waits, then 'training' (epochs left out), then how it ended."""
    if job.status != "queued":
        return "training" if job.status == "running" else job.status
    if status_line is None:
        return "queued"
    line = status_line(job, manager).split(" (", 1)[0]
    return re.sub(r"^waiting: (place \d+) in the queue$", r"\1", line)


def drive(variant: str, students: int, epochs: int, tree: str) -> dict:
    """``students`` default Train-page trainings submitted at once to a new manager."""
    import pandas as pd

    from rnnstock.baselines import PERSISTENCE, persistence
    from rnnstock.data import load_prices
    from rnnstock.jobs import JobManager
    from rnnstock.specs import ExperimentSpec
    from rnnstock.windows import windowed_split

    try:  # this version's own wording (imports Streamlit, not TensorFlow)
        from rnnstock.web.runs import status_line
    except ImportError:
        status_line = None

    spec = ExperimentSpec()
    spec = spec.replace(train=spec.train.replace(epochs=epochs))
    prices = load_prices(spec.data)  # the sidebar has loaded the sample
    split = windowed_split(prices, spec.split)  # as rnnstock.web.runs.submit(watch=True)
    test_days = pd.DataFrame(
        {"actual": split.test, PERSISTENCE: persistence(split)}, index=split.test.index
    )

    lab = loopback_lab(tree) if variant == "lab" else contextlib.nullcontext()
    with lab as address:
        load_before = os.getloadavg()
        meter = CpuMeter()
        t0 = time.time()
        manager = JobManager(scheduler=address) if address else JobManager()
        jobs = [
            manager.submit(spec, prices=prices, label=f"student {n}", watch=test_days)
            for n in range(1, students + 1)
        ]
        submitted_s = time.time() - t0
        timelines: dict[str, list] = {job.id: [] for job in jobs}
        ready_s = None
        workers = manager.workers
        stop = threading.Event()

        def sample() -> None:
            nonlocal ready_s, workers
            while True:
                now = round(time.time() - t0, 2)
                meter.sample()
                workers = max(workers, manager.workers)
                if ready_s is None and getattr(manager, "ready", False):
                    ready_s = now  # the pool has no such moment: its processes start lazily
                for job in jobs:
                    view = [job.status, manager.queue_position(job)]
                    view.append(_page_line(status_line, job, manager))
                    line = timelines[job.id]
                    if not line or line[-1][1:] != view:
                        line.append([now, *view])
                if stop.is_set() or all(job.done for job in jobs):
                    return
                time.sleep(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            for job in jobs:
                manager.wait(job.id, timeout=1800)
        finally:
            stop.set()
            sampler.join(timeout=5)
            ended = time.time()
            cpu = meter.totals()
            restarts = manager.worker_restarts
            manager.shutdown()
    rows = [student_row(job, timelines[job.id], t0) for job in jobs]
    return {
        "variant": variant,
        "students": students,
        "epochs": epochs,
        "watch": True,
        "workers": workers,
        "total_s": max(job.finished for job in jobs) - t0,
        "all_waited_for_s": ended - t0,
        "submitted_all_s": submitted_s,
        "cluster_ready_s": ready_s,
        "worker_restarts": restarts,
        **cpu,
        "load_during": list(load_before),
        "load_end": list(os.getloadavg()),
        "students_rows": rows,
    }


def student_row(job, timeline: list, t0: float) -> dict:
    """One student's figures and what the page showed them while they waited."""
    waiting = [point for point in timeline if point[1] == "queued"]
    places = _changes([point[2] for point in waiting if point[2] is not None])
    shown = _changes([point[3] for point in timeline])
    shown_waiting = _changes([point[3] for point in waiting])
    shown_places = _changes(
        [int(m.group(1)) for point in waiting if (m := re.search(r"place (\d+)", point[3]))]
    )
    result = job.result
    return {
        "student": job.label,
        "status": job.status,
        "error": job.error,
        "submitted_s": job.submitted - t0,
        "wait_s": None if job.started is None else job.started - job.submitted,
        "result_s": None if job.finished is None else job.finished - job.submitted,
        "rmse": getattr(result, "rmse", None),
        # Inside the worker: run_experiment's own clock (the rest of result_s is the
        # wait, the transfers and the manager's bookkeeping).
        "fit_s": getattr(result, "timings", {}).get("fit"),
        "in_worker_s": getattr(result, "timings", {}).get("total"),
        "epochs_seen": len(job.progress),
        "worker": getattr(job, "worker", None),
        "places": places,
        "shown": shown,
        "place_went_up": _went_up(places) or _went_up(shown_places),
        "alternated": len(shown_waiting) != len(set(shown_waiting)),
        "timeline": timeline,
    }


def _changes(values: list) -> list:
    """``values`` with repeats in a row dropped: the sequence a student saw."""
    return [v for i, v in enumerate(values) if i == 0 or v != values[i - 1]]


def _went_up(places: list[int]) -> bool:
    return any(later > earlier for earlier, later in itertools.pairwise(places))


# -- the section (parent side) ----------------------------------------------------------


def class_load(*, students: int = 8, epochs: int = 20, reps: int = 1) -> dict:
    """Every variant ``reps`` times, alternating their order, each in a fresh process.
    A run of the three during which other processes took more than
    common.DISTURBED_CPU_S is run again (kept under ``set_aside``)."""
    commit = pool_commit()
    subject = _git(REPO, "log", "-1", "--format=%h %s", commit).strip()
    print(f"  the pool: {subject[:100]}", flush=True)
    runs = []
    # A bench stopped with SIGTERM still removes the checkout (and ends the driver).
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return _class_load(commit, subject, students, epochs, reps, runs)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _class_load(commit: str, subject: str, students: int, epochs: int, reps: int, runs: list):
    from bench.common import RETRIES, disturbed, loadavg, spread

    set_aside: list[dict] = []
    with checkout(commit) as old:
        roots = {"pool": old, "dask": REPO, "lab": REPO}
        for rep in range(reps):
            order = list(VARIANTS) if rep % 2 == 0 else list(reversed(VARIANTS))
            for attempt in range(RETRIES + 1):
                rows = []
                for variant in order:
                    load = loadavg()
                    row = run_variant(variant, roots[variant], students=students, epochs=epochs)
                    row.update(rep=rep, load_before=load, load_after=loadavg())
                    rows.append(row)
                    print(describe_run(row), flush=True)
                worst = disturbed(rows)
                if not worst or attempt == RETRIES:
                    runs += rows
                    break
                set_aside += rows
                print(
                    f"  run {rep + 1}: other processes used {worst:.0f} CPU s during a way;"
                    " set aside, this run of the three ways again",
                    flush=True,
                )
    summary = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r["variant"] == variant]
        rows = [s for r in mine for s in r["students_rows"]]
        summary[variant] = {
            "total_s": spread([r["total_s"] for r in mine]),
            "wait_s": spread([s["wait_s"] for s in rows if s["wait_s"] is not None]),
            "result_s": spread([s["result_s"] for s in rows if s["result_s"] is not None]),
            "place_went_up": sum(s["place_went_up"] for s in rows),
            "alternated": sum(s["alternated"] for s in rows),
            "not_done": sum(s["status"] != "done" for s in rows),
        }
    by_rep = {(r["variant"], r["rep"]): r["total_s"] for r in runs}
    ratios = {
        variant: spread([by_rep[(variant, rep)] / by_rep[("pool", rep)] for rep in range(reps)])
        for variant in ("dask", "lab")
    }
    return {
        "students": students,
        "epochs": epochs,
        "reps": reps,
        "watch": True,
        "pool_commit": commit,
        "pool_commit_subject": subject,
        "target_ratio": TARGET_RATIO,
        "runs": runs,
        "set_aside": set_aside,
        "summary": summary,
        "ratio_to_pool": ratios,
    }


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def seen(row: dict) -> str:
    """The lines a student saw while waiting, in order, and the flags."""
    waiting = [line for line in row["shown"] if line not in ("training", "done")]
    flags = [
        flag
        for flag, on in (("place went UP", row["place_went_up"]), ("ALTERNATED", row["alternated"]))
        if on
    ]
    return " → ".join(waiting) + (f" [{', '.join(flags)}]" if flags else "")


def describe_run(row: dict) -> str:
    lines = [
        f"  {DESCRIBED[row['variant']]}, run {row['rep'] + 1}: all {row['students']} done after"
        f" {row['total_s']:.1f} s (trainers ready at {seconds(row['cluster_ready_s'])} s,"
        f" {row['workers']} at once, {row['worker_restarts']} worker restart(s)),"
        f" load {row['load_before'][0]:.2f}→{row['load_after'][0]:.2f}; CPU: this run"
        f" {row['own_cpu_s']:.0f} s, other processes {row['others_cpu_s']:.0f} s"
    ]
    for student in row["students_rows"]:
        lines.append(
            f"    {student['student']:<10} {student['status']:<9} wait {seconds(student['wait_s'])}"
            f" s, result {seconds(student['result_s'])} s (fit {seconds(student['fit_s'])} s);"
            f" saw: {seen(student)}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    # SIGTERM from the bench runs the clean-up (the manager's shutdown, the lab's stop).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parameters = json.loads(sys.argv[1])
    figures = drive(**parameters)
    Path(sys.argv[2]).write_text(json.dumps(figures, default=str))
