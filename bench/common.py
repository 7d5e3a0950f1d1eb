"""Shared helpers: run a function in a fresh process, summarise repetitions, save results."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MASTERCARD_CSV = REPO.parent / "shared" / "data" / "Mastercard_stock_history.csv"
RESULTS = Path(__file__).resolve().parent / "results"  # --quick: results/quick


def run_isolated(function, *args, **kwargs):
    """Call ``function`` in a fresh spawned process and return its result.

    Every measured training gets a clean TensorFlow: its own thread pools,
    determinism switch and graph caches, none left over from the last one.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args, **kwargs).result()


def spread(values: list[float]) -> dict[str, float]:
    """Mean, min, max and the relative half-range (the run-to-run noise)."""
    values = [float(v) for v in values]
    mean = statistics.fmean(values)
    low, high = min(values), max(values)
    return {
        "mean": mean,
        "median": statistics.median(values),
        "min": low,
        "max": high,
        "noise_pct": 100 * (high - low) / 2 / mean if mean else 0.0,
        "n": len(values),
    }


def steady_epoch(epoch_seconds: list[float]) -> float:
    """The median epoch after the first (which carries tracing and compilation)."""
    steady = sorted(epoch_seconds[1:]) or epoch_seconds
    return steady[len(steady) // 2]


@contextlib.contextmanager
def cpu_watch(interval: float = 0.5):
    """Yields a dict that, on leaving, holds the CPU seconds used meanwhile by this
    process and every process below it (``own_cpu_s``: the measured run, its workers,
    its browser) and by every other process on the machine (``others_cpu_s``: other
    people's work). The load average cannot tell the two apart: a comparison on 2
    cores loads them by itself. Processes are sampled every ``interval`` s, so one
    that ends loses at most that much of its CPU time to ``others``."""
    from bench.class_load import CpuMeter

    meter = CpuMeter()
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            meter.sample()

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    figures: dict[str, float] = {}
    try:
        yield figures
    finally:
        stop.set()
        thread.join()
        figures.update(meter.totals())


# A repetition during which other processes used more CPU seconds than this (someone's
# tests on the same 2 cores) is set aside and run again, at most RETRIES times.
DISTURBED_CPU_S = 10.0
RETRIES = 2


def disturbed(rows: list[dict]) -> float:
    """The most CPU seconds other processes used during any of ``rows``' runs, if that
    is more than DISTURBED_CPU_S (else 0)."""
    worst = max((row.get("others_cpu_s", 0.0) for row in rows), default=0.0)
    return worst if worst > DISTURBED_CPU_S else 0.0


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)  # read when called: main() may move it
    path = RESULTS / f"{name}.json"
    payload = {"written": time.strftime("%Y-%m-%d %H:%M:%S"), **payload}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
