"""Memory: a server-like process after 20 trainings in one session.

The process does what the Train page does: one shared JobManager (workers =
cores), each training submitted with the prices already loaded, results kept,
and only the newest KEEP_MODELS runs keep their Keras model
(``result.release_model()``, as ``rnnstock.web.runs`` does for a browser).
Trainings go two at a time (a comparison's worth) so both workers are used.
Resident memory of the parent and of every process it started (the
multiprocessing manager and the workers) is sampled every 0.2 s and after each
pair; PSS (shared library pages split between the processes that map them)
is given beside RSS, which counts TensorFlow's libraries once per process.
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
    """Every live process below ``pid`` (children, grandchildren, …)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2 :].split()
        if fields[0] not in ("Z", "X"):
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def snapshot(pid: int | None = None) -> dict[str, float]:
    """RSS and PSS in MB of a process and of the whole tree below it."""
    pid = pid or os.getpid()
    tree = [pid, *descendants(pid)]
    return {
        "parent_rss_mb": _status_kb(pid, "VmRSS") / 1024,
        "parent_peak_rss_mb": _status_kb(pid, "VmHWM") / 1024,
        "tree_rss_mb": sum(_status_kb(p, "VmRSS") for p in tree) / 1024,
        "tree_pss_mb": sum(_pss_kb(p) for p in tree) / 1024,
        "processes": len(tree),
    }


def twenty_trainings(csv: str, *, trainings: int = 20, epochs: int = 2) -> dict:
    """Run ``trainings`` small but real DataCamp-sized trainings through a JobManager."""
    from rnnstock.data import read_price_csv
    from rnnstock.jobs import DONE, JobManager
    from rnnstock.presets import get_preset

    prices = read_price_csv(csv)
    cells = ["LSTM", "GRU", "SimpleRNN"]
    base = get_preset("datacamp-lstm").spec
    peak = {"tree_rss_mb": 0.0, "tree_pss_mb": 0.0, "parent_rss_mb": 0.0}
    sampling = True

    def sample() -> None:
        while sampling:
            now = snapshot()
            for key in peak:
                peak[key] = max(peak[key], now[key])
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    manager = JobManager()
    runs, after_each = [], []
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
            now = snapshot()
            after_each.append({"trainings": len(runs), **now})
            print(
                f"  after {len(runs):2d} trainings: parent {now['parent_rss_mb']:.0f} MB,"
                f" parent + {now['processes'] - 1} children RSS {now['tree_rss_mb']:.0f} MB"
                f" (PSS {now['tree_pss_mb']:.0f} MB)",
                flush=True,
            )
    finally:
        sampling = False
        sampler.join(timeout=2)
        final = snapshot()
        manager.shutdown()
    seconds = time.perf_counter() - started
    # Growth per training over the second half (after warm-up), by least squares.
    half = after_each[len(after_each) // 2 :]
    growth = {}
    for key in ("parent_rss_mb", "tree_rss_mb", "tree_pss_mb"):
        if len(half) >= 2:
            xs = [row["trainings"] for row in half]
            ys = [row[key] for row in half]
            mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
            slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
                (x - mean_x) ** 2 for x in xs
            )
            growth[key] = slope
    return {
        "trainings": len(runs),
        "epochs_each": epochs,
        "seconds": seconds,
        "peak_sampled": peak,
        "parent_peak_rss_mb": final["parent_peak_rss_mb"],
        "after_each_pair": after_each,
        "growth_mb_per_training_second_half": growth,
    }
