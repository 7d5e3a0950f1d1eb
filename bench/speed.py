"""Sections 1, 2 and 5: training speed beside the reference, time to a comparison, and the
reproduction table. Every measured training runs in a fresh process."""

from __future__ import annotations

import os
import statistics
import time

from bench.common import (
    MASTERCARD_CSV,
    RETRIES,
    cpu_watch,
    disturbed,
    loadavg,
    run_isolated,
    spread,
    steady_epoch,
)
from bench.reference import run_reference

CELLS = ("LSTM", "GRU")


# -- one training each way (run in a fresh process) ---------------------------------------


def fit_figures(result) -> dict:
    """What a benchmark records of one run_experiment: scores, size and the fit's timing."""
    history = result.history
    return {
        "epochs": history.epochs_run,
        "train_windows": result.windows.n_train,
        "parameters": result.parameters,
        "rmse": result.rmse,
        "persistence_rmse": result.scores.persistence.rmse,
        "fit_seconds": result.timings["fit"],
        "seconds_per_epoch": result.timings["fit"] / history.epochs_run,
        "first_epoch": history.epoch_seconds[0],
        "steady_epoch": steady_epoch(history.epoch_seconds),
        "epoch_seconds": history.epoch_seconds,
    }


def reference_training(cell: str, epochs: int, seed: int, csv: str = str(MASTERCARD_CSV)):
    return run_reference(cell, epochs, csv, seed=seed).to_dict()


def pipeline_training(cell: str, epochs: int, seed: int, csv: str = str(MASTERCARD_CSV)):
    """``run_experiment`` on the DataCamp preset, as the app and the CLI call it."""
    from rnnstock.data import read_price_csv
    from rnnstock.experiment import run_experiment
    from rnnstock.presets import get_preset

    started = time.perf_counter()
    spec = get_preset(f"datacamp-{cell.lower()}").spec
    spec = spec.replace(train=spec.train.replace(epochs=epochs, seed=seed))
    result = run_experiment(spec, prices=read_price_csv(csv))
    return {
        "cell": cell,
        "seed": seed,
        **fit_figures(result),
        "total_seconds": time.perf_counter() - started,
    }


# -- section 1 --------------------------------------------------------------------------


def training_speed(*, epochs: int, reps: int, csv: str = str(MASTERCARD_CSV)) -> dict:
    """Reference and pipeline alternating, per cell; rep k uses seed 455 + k for both.

    Odd repetitions run the pipeline first, so a slow drift in the machine's
    load favours neither.
    """
    runs: list[dict] = []
    for rep in range(reps):
        seed = 455 + rep
        for cell in CELLS:
            order = [("reference", reference_training), ("rnnstock", pipeline_training)]
            if rep % 2:
                order.reverse()
            for who, function in order:
                load = loadavg()
                row = run_isolated(function, cell, epochs, seed, csv)
                row.update(who=who, rep=rep, load_before=load, load_after=loadavg())
                runs.append(row)
                print(
                    f"  rep {rep + 1}/{reps} {who:<9} {cell:<4} seed {seed}:"
                    f" {row['seconds_per_epoch']:.3f} s/epoch (first {row['first_epoch']:.2f} s,"
                    f" then {row['steady_epoch']:.3f}), RMSE {row['rmse']:.2f},"
                    f" load {load[0]:.1f}→{row['load_after'][0]:.1f}",
                    flush=True,
                )
    summary = {}
    for cell in CELLS:
        ref = [r for r in runs if r["cell"] == cell and r["who"] == "reference"]
        ours = [r for r in runs if r["cell"] == cell and r["who"] == "rnnstock"]
        ratios = [
            a["seconds_per_epoch"] / b["seconds_per_epoch"] for a, b in zip(ref, ours, strict=True)
        ]
        steady_ratios = [
            a["steady_epoch"] / b["steady_epoch"] for a, b in zip(ref, ours, strict=True)
        ]
        summary[cell] = {
            "reference_s_per_epoch": spread([r["seconds_per_epoch"] for r in ref]),
            "rnnstock_s_per_epoch": spread([r["seconds_per_epoch"] for r in ours]),
            "reference_steady_epoch": spread([r["steady_epoch"] for r in ref]),
            "rnnstock_steady_epoch": spread([r["steady_epoch"] for r in ours]),
            "speedup": spread(ratios),
            "steady_speedup": spread(steady_ratios),
            "reference_rmse": spread([r["rmse"] for r in ref]),
            "rnnstock_rmse": spread([r["rmse"] for r in ours]),
            "rmse_by_seed": [
                {"seed": a["seed"], "reference": a["rmse"], "rnnstock": b["rmse"]}
                for a, b in zip(ref, ours, strict=True)
            ],
            "persistence_rmse": ours[0]["persistence_rmse"],
        }
    return {"epochs": epochs, "reps": reps, "runs": runs, "summary": summary}


# -- section 2 --------------------------------------------------------------------------


def reference_comparison(epochs: int, csv: str = str(MASTERCARD_CSV)) -> dict:
    """The tutorial's notebook: LSTM, then GRU, in one process (Keras already imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras  # noqa: F401  a notebook has imported TensorFlow before it trains; not counted

    started = time.perf_counter()
    runs = [run_reference(cell, epochs, csv) for cell in CELLS]
    return {
        "seconds": time.perf_counter() - started,
        "rmse": {run.cell: run.rmse for run in runs},
        "fit_seconds": {run.cell: run.fit_seconds for run in runs},
    }


def workers_prepared(manager, timeout: float = 300) -> float:
    """Wait until every worker of the manager's cluster has imported TensorFlow (its
    PrepareWorker thread has finished); returns the seconds waited."""
    started = time.perf_counter()
    client = manager.client(timeout)

    def prepared() -> bool:  # nested: cloudpickle sends it by value, bench is not needed there
        import sys
        import threading

        preparing = any(t.name == "rnnstock-prepare" for t in threading.enumerate())
        return "tensorflow" in sys.modules and not preparing

    while True:
        done = client.run(prepared)
        if len(done) >= manager.workers and all(done.values()):
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"the workers had not imported TensorFlow after {timeout} s")
        time.sleep(0.2)


def pipeline_comparison(epochs: int, csv: str = str(MASTERCARD_CSV), warm: bool = False) -> dict:
    """What the Compare page does: both DataCamp presets to one JobManager, wait for both.

    Runs in a fresh process that, like the server, has not imported TensorFlow.
    *Cold* (``warm=False``): the JobManager is made at the click, so the clock
    counts the cluster's start, the workers' start and TensorFlow's import in
    them. *Warm*: the manager was made when the page was opened, and the click
    comes once every worker has imported TensorFlow (``prepared_s`` after).
    """
    from rnnstock.data import read_price_csv
    from rnnstock.jobs import DONE, JobManager
    from rnnstock.presets import get_preset

    prices = read_price_csv(csv)  # the page already has them
    specs = []
    for cell in CELLS:
        spec = get_preset(f"datacamp-{cell.lower()}").spec
        specs.append(spec.replace(train=spec.train.replace(epochs=epochs)))
    prepared = None
    if warm:
        manager = JobManager()  # the page's first render
        prepared = workers_prepared(manager)
        started = time.perf_counter()  # the click
    else:
        started = time.perf_counter()  # the click, and the page's first render with it
        manager = JobManager()
    try:
        jobs = [manager.submit(spec, prices=prices, label=spec.model.cell) for spec in specs]
        for job in jobs:
            manager.wait(job.id, timeout=1800)
        seconds = time.perf_counter() - started
        failed = [f"{job.label}: {job.status} {job.error}" for job in jobs if job.status != DONE]
        if failed:
            raise RuntimeError("; ".join(failed))
        return {
            "how": "warm" if warm else "cold",
            "seconds": seconds,
            "prepared_s": prepared,
            "workers": manager.workers,
            "rmse": {job.label: job.result.rmse for job in jobs},
            "fit_seconds": {job.label: job.result.timings["fit"] for job in jobs},
            "seconds_per_epoch": {job.label: job.result.history.seconds_per_epoch for job in jobs},
            # Submission to "started" in the worker (cold: the cluster's start and
            # TensorFlow's import; warm: the queue and the worker's pick-up).
            "worker_start_s": {job.label: job.started - job.submitted for job in jobs},
        }
    finally:
        manager.shutdown()


def warm_pipeline_comparison(epochs: int, csv: str = str(MASTERCARD_CSV)) -> dict:
    return pipeline_comparison(epochs, csv, warm=True)


def _comparison_run(who: str, function, rep: int, reps: int, epochs: int, csv: str) -> dict:
    load = loadavg()
    with cpu_watch() as cpu:
        row = run_isolated(function, epochs, csv)
    row.update(who=who, rep=rep, load_before=load, load_after=loadavg(), **cpu)
    rmse = ", ".join(f"{cell} {value:.2f}" for cell, value in row["rmse"].items())
    extra = ""
    if row.get("prepared_s") is not None:
        extra = f" (clicked once the workers had TensorFlow, {row['prepared_s']:.1f} s in)"
    print(
        f"  rep {rep + 1}/{reps} {who:<9} LSTM + GRU: {row['seconds']:.1f} s{extra}"
        f" (RMSE {rmse}), load {load[0]:.1f}→{row['load_after'][0]:.1f}, CPU s:"
        f" this run {cpu['own_cpu_s']:.0f}, other processes {cpu['others_cpu_s']:.0f}",
        flush=True,
    )
    return row


def time_to_comparison(*, epochs: int, reps: int, csv: str = str(MASTERCARD_CSV)) -> dict:
    """The reference, the cold and the warm comparison, each in a fresh process, their
    order rotated every repetition; the fractions are taken within a repetition. A
    repetition during which other processes took more than common.DISTURBED_CPU_S is run
    again (kept under ``set_aside``)."""
    arms = [
        ("reference", reference_comparison),
        ("cold", pipeline_comparison),
        ("warm", warm_pipeline_comparison),
    ]
    runs, set_aside = [], []
    for rep in range(reps):
        order = arms[rep % 3 :] + arms[: rep % 3]
        for attempt in range(RETRIES + 1):
            rows = [
                _comparison_run(who, function, rep, reps, epochs, csv) for who, function in order
            ]
            worst = disturbed(rows)
            if not worst or attempt == RETRIES:
                runs += rows
                break
            set_aside += rows
            print(
                f"  rep {rep + 1}: other processes used {worst:.0f} CPU s during a run;"
                " set aside, this repetition again",
                flush=True,
            )
    by = {(r["who"], r["rep"]): r["seconds"] for r in runs}
    seconds = {who: [by[(who, rep)] for rep in range(reps)] for who, _ in arms}
    return {
        "epochs": epochs,
        "reps": reps,
        "runs": runs,
        "reference_seconds": spread(seconds["reference"]),
        "rnnstock_seconds": spread(seconds["cold"]),
        "rnnstock_warm_seconds": spread(seconds["warm"]),
        "fraction_of_reference": spread(
            [ours / ref for ref, ours in zip(seconds["reference"], seconds["cold"], strict=True)]
        ),
        "warm_fraction_of_reference": spread(
            [ours / ref for ref, ours in zip(seconds["reference"], seconds["warm"], strict=True)]
        ),
        "set_aside": set_aside,
        "clock": "cold: from the click, the JobManager made at the click; warm: from the click,"
        " the JobManager made when the page was opened and its workers' TensorFlow imported",
    }


# -- section 5 --------------------------------------------------------------------------

# Offline stand-ins for presets whose data is a Yahoo ticker (no network here):
# the closest bundled sample over a span of the same length, same target where it exists.
OFFLINE_DATA = {
    "netflix-simplernn": (
        {"source": "sample", "name": "nasdaq", "start": "2006-12-01", "end": "2018-12-31"},
        None,
        "NFLX 2010-04..2022-04 is not offline: NASDAQ Composite sample over the same"
        " length (2006-12..2018-12), Close",
    ),
    "msft-simplernn": (
        {"source": "sample", "name": "msft", "start": "2012-11-12", "end": "2017-11-10"},
        "Close",
        "MSFT 2018–2022 is not offline: the bundled MSFT sample's last 5 years"
        " (2012-11..2017-11), Close (the sample has no Adj Close)",
    ),
    "msft-lstm": (
        {"source": "sample", "name": "msft", "start": "2012-11-12", "end": "2017-11-10"},
        "Close",
        "MSFT 2018–2022 is not offline: the bundled MSFT sample's last 5 years"
        " (2012-11..2017-11), Close (the sample has no Adj Close)",
    ),
    "google-lstm": (
        {"source": "sample", "name": "sp500", "start": "2012-01-01", "end": "2017-12-31"},
        None,
        "GOOG is not offline: S&P 500 sample over the tutorial's dates (train 2012–2016,"
        " test 2017), Open",
    ),
}


def preset_training(preset_id: str, quick: bool, csv: str = str(MASTERCARD_CSV)) -> dict:
    """One preset at full size (or, with ``quick``, 1 epoch and batch ≥ 32) on offline data."""
    from rnnstock.data import read_price_csv, ticker_cache_path
    from rnnstock.experiment import run_experiment
    from rnnstock.presets import get_preset
    from rnnstock.specs import DataSpec

    preset = get_preset(preset_id)
    spec = preset.spec
    prices = None
    if preset_id.startswith("datacamp"):
        prices = read_price_csv(csv)
        data_note = "the tutorial's own Kaggle CSV (../shared/data)"
    elif ticker_cache_path(spec.data.name).exists():
        data_note = f"{spec.data.name} from the on-disk ticker cache (the real data)"
    else:
        data, target, data_note = OFFLINE_DATA[preset_id]
        spec = spec.replace(data=DataSpec(**data))
        if target:
            spec = spec.replace(split=spec.split.replace(target=target))
    if quick:
        spec = spec.replace(
            train=spec.train.replace(epochs=1, batch_size=max(32, spec.train.batch_size))
        )
    result = run_experiment(spec, prices=prices)
    return {
        "preset": preset_id,
        "title": preset.title,
        "data": data_note,
        "published": preset.published,
        "published_note": preset.published_note,
        **fit_figures(result),
        "batch_size": spec.train.batch_size,
        "window": result.windows.window,
        "total_seconds": result.timings["total"],
        "model": spec.model.to_dict(),
    }


def reproduction(*, quick: bool, reuse: dict | None = None) -> dict:
    """Every preset once. ``reuse`` maps preset ids to a section-1 run of the same spec."""
    from rnnstock.presets import PRESETS

    rows = []
    for preset_id in PRESETS:
        if reuse and preset_id in reuse:
            row = reuse[preset_id]
            print(f"  {preset_id:<18} (the seed-455 run of section 1)", flush=True)
        else:
            load = loadavg()
            row = run_isolated(preset_training, preset_id, quick)
            row["load_before"] = load
        rows.append(row)
        published = row["published"].get("RMSE")
        print(
            f"  {preset_id:<18} published {published if published else '—'},"
            f" ours {row['rmse']:.2f}, persistence {row['persistence_rmse']:.2f},"
            f" {row['fit_seconds']:.1f} s ({row['epochs']} epochs)",
            flush=True,
        )
    return {"quick": quick, "rows": rows}


def median(values):
    return statistics.median(values) if values else float("nan")
