"""Memory: a server-like process after 20 trainings in one session.

The process does what the Train page does: one shared JobManager (its embedded
Dask cluster: one worker process per core), each training submitted with the
prices already loaded, results kept, and only the newest KEEP_MODELS runs keep
their Keras model (``result.release_model()``, as ``rnnstock.web.runs`` does
for a browser). Trainings go two at a time (a comparison's worth) so both
workers are used. The processes are found with psutil, every process below the
server (with the fork-server start method the workers are the fork server's
children); the workers are told apart by the pids the cluster reports
(``client.run(os.getpid)``), refreshed after every pair since the manager
replaces a worker after ``jobs_per_worker`` trainings. Resident memory is
sampled every 0.2 s and after each pair; PSS (shared library pages split
between the processes that map them) is given beside RSS, which counts
TensorFlow's libraries once per process.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

KEEP_MODELS = 3  # as rnnstock.web.runs.KEEP_MODELS (not imported: it would load Streamlit)


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren, …), by psutil."""
    import psutil

    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [child.pid for child in children if child.status() != psutil.STATUS_ZOMBIE]


def snapshot(pid: int | None = None, workers: set[int] | frozenset = frozenset()) -> dict:
    """RSS and PSS in MB of a process, of the ``workers`` below it, and of the whole
    tree below it (workers, fork server, resource tracker)."""
    pid = pid or os.getpid()
    below = descendants(pid)
    tree = [pid, *below]
    mine = [p for p in below if p in workers]
    return {
        "parent_rss_mb": _status_kb(pid, "VmRSS") / 1024,
        "parent_peak_rss_mb": _status_kb(pid, "VmHWM") / 1024,
        "parent_pss_mb": _pss_kb(pid) / 1024,
        "workers_rss_mb": sum(_status_kb(p, "VmRSS") for p in mine) / 1024,
        "workers_pss_mb": sum(_pss_kb(p) for p in mine) / 1024,
        "worker_rss_mb": {str(p): _status_kb(p, "VmRSS") / 1024 for p in mine},
        "tree_rss_mb": sum(_status_kb(p, "VmRSS") for p in tree) / 1024,
        "tree_pss_mb": sum(_pss_kb(p) for p in tree) / 1024,
        "processes": len(tree),
        "workers": len(mine),
        "rss_mb_below_server": {str(p): _status_kb(p, "VmRSS") / 1024 for p in below},
    }


def slope(rows: list[dict], key: str) -> float | None:
    """Least-squares growth of ``key`` per training across ``rows``."""
    if len(rows) < 2:
        return None
    xs = [row["trainings"] for row in rows]
    ys = [row[key] for row in rows]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )


KEYS = ("parent_rss_mb", "parent_pss_mb", "workers_rss_mb", "workers_pss_mb", "tree_pss_mb")


def twenty_trainings(csv: str, *, trainings: int = 20, epochs: int = 2) -> dict:
    """Run ``trainings`` small but real DataCamp-sized trainings through a JobManager."""
    from bench.speed import workers_prepared
    from rnnstock.data import read_price_csv
    from rnnstock.jobs import DONE, JobManager
    from rnnstock.presets import get_preset

    prices = read_price_csv(csv)
    cells = ["LSTM", "GRU", "SimpleRNN"]
    base = get_preset("datacamp-lstm").spec
    peak = {key: 0.0 for key in ("tree_rss_mb", "tree_pss_mb", "parent_rss_mb", *KEYS)}
    workers: set[int] = set()
    seen_workers: set[int] = set()
    sampling = True

    peak_at: dict = {}

    def sample() -> None:
        while sampling:
            now = snapshot(workers=frozenset(workers))
            if now["tree_pss_mb"] > peak["tree_pss_mb"]:  # what made the peak, and when
                peak_at.update(now, trainings_done=len(runs), seconds=time.perf_counter() - started)
            for key in peak:
                peak[key] = max(peak[key], now[key])
            time.sleep(0.2)

    started = time.perf_counter()
    manager = JobManager()
    client = manager.client(300)
    ready_s = time.perf_counter() - started

    def worker_pids() -> set[int]:
        return set(client.run(os.getpid).values())

    workers |= worker_pids()
    seen_workers |= workers
    runs, after_each = [], []
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        for first in range(0, trainings, 2):
            batch = []
            for index in range(first, min(first + 2, trainings)):
                spec = base.replace(
                    model=base.model.replace(cell=cells[index % len(cells)]),
                    train=base.train.replace(epochs=epochs, seed=base.train.seed + index),
                )
                batch.append(manager.submit(spec, prices=prices))
            for job in batch:
                manager.wait(job.id, timeout=600)
                if job.status != DONE:
                    raise RuntimeError(f"training {job.label} ended {job.status}: {job.error}")
                runs.append(job)
            for job in runs[:-KEEP_MODELS]:  # as release_old_runs
                if job.result is not None:
                    job.result.release_model()
            # Like with like: a worker due for replacement has begun its restart (0.5 s),
            # and every worker is back with TensorFlow imported before measuring.
            time.sleep(0.5)
            client.wait_for_workers(manager.workers, timeout=120)
            workers_prepared(manager)
            workers.clear()
            workers.update(worker_pids())
            seen_workers.update(workers)
            now = snapshot(workers=frozenset(workers))
            after_each.append(
                {"trainings": len(runs), "worker_restarts": manager.worker_restarts, **now}
            )
            print(
                f"  after {len(runs):2d} trainings: server {now['parent_rss_mb']:.0f} MB RSS,"
                f" {now['workers']} workers {now['workers_rss_mb']:.0f} MB RSS"
                f" ({now['workers_pss_mb']:.0f} PSS: "
                + ", ".join(f"{mb:.0f}" for mb in now["worker_rss_mb"].values())
                + f"), all {now['processes']} processes {now['tree_pss_mb']:.0f} MB PSS;"
                f" worker restarts {manager.worker_restarts}",
                flush=True,
            )
    finally:
        sampling = False
        sampler.join(timeout=2)
        final = snapshot(workers=frozenset(workers))
        restarts = manager.worker_restarts
        manager.shutdown()
    seconds = time.perf_counter() - started
    half = after_each[len(after_each) // 2 :]
    return {
        "trainings": len(runs),
        "epochs_each": epochs,
        "seconds": seconds,
        "cluster_ready_s": ready_s,
        "workers": manager.workers,
        "jobs_per_worker": manager.jobs_per_worker,
        "worker_restarts": restarts,
        "worker_processes_seen": len(seen_workers),
        "peak_sampled": peak,
        "peak_at": peak_at,
        "parent_peak_rss_mb": final["parent_peak_rss_mb"],
        "after_each_pair": after_each,
        "first": {key: after_each[0][key] for key in KEYS},
        "last": {key: after_each[-1][key] for key in KEYS},
        # Growth per training by least squares: over every pair, and over the second
        # half (after warm-up).
        "growth_mb_per_training": {key: slope(after_each, key) for key in KEYS},
        "growth_mb_per_training_second_half": {key: slope(half, key) for key in KEYS},
    }
