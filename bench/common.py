"""Shared helpers: run a function in a fresh process, summarise repetitions, save results."""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
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


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)  # read when called: main() may move it
    path = RESULTS / f"{name}.json"
    payload = {"written": time.strftime("%Y-%m-%d %H:%M:%S"), **payload}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
