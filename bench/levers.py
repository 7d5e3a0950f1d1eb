"""Speed levers, one at a time, on the DataCamp MasterCard windows.

Each variant trains in a fresh process (TensorFlow's thread pools and its
determinism switch are fixed per process), with rnnstock's windows and the
DataCamp model, and reports seconds per epoch (first epoch, with its
tracing/compilation, included) and test RMSE. Variants alternate within a
repetition so that the machine's load hits every variant alike.

    python -m bench levers [--epochs N] [--reps N] [--cell LSTM|GRU] [--only NAME ...]

Results go to bench/results/levers-<cell>.json (levers-<cell>-selected.json
when --only picked some).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from bench.common import MASTERCARD_CSV, run_isolated


@dataclass(frozen=True)
class Variant:
    """How one training is run; the defaults are rnnstock before this issue."""

    name: str
    cell: str = "LSTM"
    jit_compile: bool = False
    unroll: bool = False
    determinism: bool = True
    intra_threads: int = 0  # 0 = TensorFlow's default (one per core), as before this issue
    inter_threads: int = 0
    steps_per_execution: int = 1
    # "numpy": model.fit(X, y), Keras' own tf.data pipeline with tf.data's autotuner;
    # "no-autotune": the same pipeline with the autotuner off (training.batches);
    # "tf.data": a cached, pre-batched tf.data.Dataset of our own.
    pipeline: str = "numpy"
    # Pinned to this many cores (0: all), as a training is when another one shares the
    # machine (a comparison's two models on 2 cores).
    cores: int = 0
    batch_hook: bool = True  # rnnstock's cancel check after every batch
    malloc_tuned: bool = False  # glibc keeps freed memory instead of unmapping it
    fused: bool = False  # rnnstock.fused's layer (LSTM: TF's BlockLSTM op; GRU: batched grads)
    # The fused LSTM's backward pass (rnnstock.fused.LSTM_BACKWARD): "block" (TensorFlow's
    # BlockLSTMGrad), "graph" or "xla" (the written-out loop); "" leaves rnnstock's choice.
    lstm_backward: str = ""
    env: dict = field(default_factory=dict, hash=False)


def train_variant(variant: Variant, epochs: int, csv: str = str(MASTERCARD_CSV)) -> dict:
    """Train the DataCamp model once under ``variant`` (call in a fresh process)."""
    for key, value in variant.env.items():
        os.environ[key] = str(value)
    if variant.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: variant.cores])
    if variant.malloc_tuned:
        from rnnstock.training import keep_freed_memory

        keep_freed_memory()
    from rnnstock import fused
    from rnnstock.backend import import_keras
    from rnnstock.data import read_price_csv
    from rnnstock.fused import fused_class
    from rnnstock.models import supports_xla
    from rnnstock.presets import get_preset
    from rnnstock.windows import make_windows

    # TensorFlow's own default is one thread per core in each pool; rnnstock uses 1.
    cores = os.cpu_count() or 1
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(variant.intra_threads or cores)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(variant.inter_threads or cores)
    keras = import_keras()
    import tensorflow as tf

    spec = get_preset(f"datacamp-{variant.cell.lower()}").spec
    windows = make_windows(read_price_csv(csv), spec.split)
    keras.utils.set_random_seed(spec.train.seed)
    if variant.determinism:
        tf.config.experimental.enable_op_determinism()
    layer = getattr(keras.layers, variant.cell)
    if variant.lstm_backward:
        fused.LSTM_BACKWARD = variant.lstm_backward
    if variant.fused:
        layer = fused_class(variant.cell)
    model = keras.Sequential(
        [
            keras.Input(shape=(windows.window, 1)),
            layer(125, activation="tanh", unroll=variant.unroll),
            keras.layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss="mse",
        # XLA where the model compiles (not the fused LSTM), as training.fit decides.
        jit_compile=variant.jit_compile and supports_xla(model),
        steps_per_execution=variant.steps_per_execution,
    )
    epoch_seconds: list[float] = []
    epoch_cpu: list[float] = []  # CPU seconds of every thread: less sensitive to others' load
    stop_checks = [0]

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.begun = time.perf_counter()
            self.cpu = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self.begun)
            epoch_cpu.append(time.process_time() - self.cpu)

    class BatchHook(Timer):
        def on_train_batch_end(self, batch, logs=None):
            stop_checks[0] += 1

    callback = BatchHook() if variant.batch_hook else Timer()
    if variant.pipeline == "tf.data":
        data = (
            tf.data.Dataset.from_tensor_slices((windows.X_train, windows.y_train))
            .cache()
            .shuffle(len(windows.X_train), seed=spec.train.seed, reshuffle_each_iteration=True)
            .batch(spec.train.batch_size)
            .prefetch(tf.data.AUTOTUNE)
        )
        fit_args = {"x": data}
    elif variant.pipeline == "no-autotune":
        from rnnstock.training import batches

        batch = spec.train.batch_size
        fit_args = {"x": batches(windows.X_train, windows.y_train, batch, shuffle=True)}
    else:
        fit_args = {
            "x": windows.X_train,
            "y": windows.y_train,
            "batch_size": spec.train.batch_size,
        }
    started = time.perf_counter()
    model.fit(**fit_args, epochs=epochs, callbacks=[callback], verbose=0)
    fit_seconds = time.perf_counter() - started
    predicted = windows.to_prices(model.predict(windows.X_test, batch_size=1024, verbose=0)[:, 0])
    actual = windows.actual_test.to_numpy()
    return {
        "variant": variant.name,
        "cell": variant.cell,
        "epochs": epochs,
        "seconds_per_epoch": fit_seconds / epochs,
        "first_epoch": epoch_seconds[0],
        "steady_epoch": float(np.median(epoch_seconds[1:])) if epochs > 1 else epoch_seconds[0],
        "cpu_first_epoch": epoch_cpu[0],
        "cpu_steady_epoch": float(np.median(epoch_cpu[1:])) if epochs > 1 else epoch_cpu[0],
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
    }


BASE = Variant("rnnstock before (determinism on, no XLA)")
# What rnnstock's training does besides the layer and XLA (rnnstock/training.py).
TUNED = {
    "determinism": False,
    "steps_per_execution": 8,
    "malloc_tuned": True,
    "intra_threads": 1,
    "inter_threads": 1,
}
# The fused layers under XLA where it compiles, 1 intra-op thread, 2 inter-op (the LSTM's
# two halves at once): rnnstock's training apart from its data pipeline.
FUSED_XLA = {"fused": True, "jit_compile": True, **TUNED, "inter_threads": 2}
VARIANTS = {
    "base": BASE,
    "no-determinism": Variant("determinism off", determinism=False),
    "xla-det": Variant("jit_compile=True with determinism (Keras falls back)", jit_compile=True),
    "xla": Variant("jit_compile=True, determinism off", jit_compile=True, determinism=False),
    "unroll": Variant("unroll=True", unroll=True),
    "xla+unroll": Variant(
        "jit_compile + unroll, determinism off", jit_compile=True, unroll=True, determinism=False
    ),
    "spe": Variant("steps_per_execution=8", steps_per_execution=8),
    "spe-38": Variant("steps_per_execution=38 (an epoch)", steps_per_execution=38),
    "tf.data": Variant("tf.data pipeline", pipeline="tf.data"),
    "no-batch-hook": Variant("no per-batch callback", batch_hook=False),
    "threads-1": Variant("1 intra-op thread", intra_threads=1, inter_threads=1),
    "threads-2-1": Variant("2 intra, 1 inter", intra_threads=2, inter_threads=1),
    "malloc": Variant("glibc malloc keeps freed memory", malloc_tuned=True),
    "bfc": Variant("TF BFC allocator on CPU", env={"TF_CPU_ALLOCATOR_USE_BFC": "true"}),
    "1t-malloc": Variant(
        "1 thread + malloc kept", intra_threads=1, inter_threads=1, malloc_tuned=True
    ),
    "xla-malloc": Variant(
        "jit_compile + malloc kept", jit_compile=True, determinism=False, malloc_tuned=True
    ),
    "rnnstock": Variant(
        "XLA, 8 steps/call, malloc kept, 1 thread (Keras' own layer)", jit_compile=True, **TUNED
    ),
    "xnnpack": Variant(
        "XLA + XNNPACK, 8 steps/call, malloc kept, 1 thread",
        jit_compile=True,
        env={"XLA_FLAGS": "--xla_cpu_use_xnnpack=true"},
        **TUNED,
    ),
    "fused": Variant(
        "fused layer (no XLA), 8 steps/call, malloc kept, 1 thread (the LSTM's two halves"
        " of a batch one after the other)",
        fused=True,
        **TUNED,
    ),
    "fused-2t": Variant(
        "fused layer, 2 threads", fused=True, **{**TUNED, "intra_threads": 0, "inter_threads": 0}
    ),
    "fused-xla": Variant(
        "fused layer + XLA where it compiles (GRU), 8 steps/call, malloc kept, 1 intra-op"
        " thread, 2 inter-op (the LSTM's two halves at once)",
        **FUSED_XLA,
    ),
    "fused-xla-1core": Variant(
        "the same on one core, as beside another training", cores=1, **FUSED_XLA
    ),
    "no-autotune": Variant(
        "the same with tf.data's autotuner off (rnnstock now)",
        pipeline="no-autotune",
        **FUSED_XLA,
    ),
    "no-autotune-1core": Variant(
        "the same with the autotuner off, on one core",
        pipeline="no-autotune",
        cores=1,
        **FUSED_XLA,
    ),
    **{
        f"lstm-grad-{backward}{suffix}": Variant(
            f"rnnstock now, the fused LSTM's backward pass by {how}{where}",
            pipeline="no-autotune",
            lstm_backward=backward,
            cores=cores,
            **FUSED_XLA,
        )
        for backward, how in (
            ("block", "TensorFlow's BlockLSTMGrad"),
            ("graph", "a written-out loop in plain TF ops"),
            ("xla", "a written-out loop compiled by XLA"),
        )
        for suffix, where, cores in (("", "", 0), ("-1core", ", on one core", 1))
    },
    "rnnstock-spe32": Variant(
        "XLA, 32 steps/call", jit_compile=True, **{**TUNED, "steps_per_execution": 32}
    ),
    "rnnstock-fastmath": Variant(
        "XLA + fast math",
        jit_compile=True,
        env={"XLA_FLAGS": "--xla_cpu_enable_fast_math=true"},
        **TUNED,
    ),
    "rnnstock-2t": Variant(
        "XLA but 2 threads", jit_compile=True, **{**TUNED, "intra_threads": 0, "inter_threads": 0}
    ),
    "xla-1t": Variant(
        "jit_compile, determinism off, 1 thread",
        jit_compile=True,
        determinism=False,
        intra_threads=1,
        inter_threads=1,
    ),
}


def measure(names: list[str], *, epochs: int, reps: int, cell: str = "LSTM") -> list[dict]:
    """Every variant ``reps`` times, interleaved (A B C A B C ...), each in a fresh process."""
    rows = []
    for rep in range(reps):
        for name in names:
            variant = VARIANTS[name]
            if variant.cell != cell:
                from dataclasses import replace

                variant = replace(variant, cell=cell)
            load_before = os.getloadavg()[0]
            row = run_isolated(train_variant, variant, epochs)
            row.update(key=name, rep=rep, load_before=load_before, load_after=os.getloadavg()[0])
            print(
                f"  rep {rep + 1} {name:<14} {row['seconds_per_epoch']:.3f} s/epoch"
                f" (first {row['first_epoch']:.2f}, steady {row['steady_epoch']:.3f};"
                f" CPU s first {row['cpu_first_epoch']:.2f}, steady {row['cpu_steady_epoch']:.3f})"
                f" RMSE {row['rmse']:.2f}  load {load_before:.1f}",
                flush=True,
            )
            rows.append(row)
    return rows


def _pair_sequential(variant: Variant, epochs: int) -> dict:
    """LSTM, then GRU, in one process (as one training at a time would)."""
    from dataclasses import replace

    rows = [train_variant(replace(variant, cell=cell), epochs) for cell in ("LSTM", "GRU")]
    return {"rmse": {row["cell"]: row["rmse"] for row in rows}}


def both_models(variant: Variant, epochs: int, *, parallel: bool, threads: int) -> float:
    """Wall seconds until an LSTM and a GRU are both trained, process start-up included."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from dataclasses import replace

    variant = replace(variant, intra_threads=threads, inter_threads=threads)
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    if parallel:
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
            futures = [
                pool.submit(train_variant, replace(variant, cell=cell), epochs)
                for cell in ("LSTM", "GRU")
            ]
            for future in futures:
                future.result()
    else:
        run_isolated(_pair_sequential, variant, epochs)
    return time.perf_counter() - started


def summarise(rows: list[dict], names: list[str]) -> list[dict]:
    from bench.common import spread

    base = [r for r in rows if r["key"] == names[0]]
    summary = []
    for name in names:
        mine = [r for r in rows if r["key"] == name]
        ratios = [
            b["seconds_per_epoch"] / m["seconds_per_epoch"] for b, m in zip(base, mine, strict=True)
        ]
        summary.append(
            {
                "key": name,
                "name": VARIANTS[name].name,
                "seconds_per_epoch": spread([r["seconds_per_epoch"] for r in mine]),
                "steady_epoch": float(np.median([r["steady_epoch"] for r in mine])),
                "first_epoch": float(np.median([r["first_epoch"] for r in mine])),
                "speedup": float(np.mean(ratios)),
                "speedup_range": [min(ratios), max(ratios)],
                "rmse": float(np.mean([r["rmse"] for r in mine])),
                "cpu_steady_epoch": float(np.median([r["cpu_steady_epoch"] for r in mine])),
                "cpu_first_epoch": float(np.median([r["cpu_first_epoch"] for r in mine])),
            }
        )
    return summary


DEFAULT_LEVERS = [
    "base",
    "no-determinism",
    "xla",
    "unroll",
    "spe",
    "tf.data",
    "no-batch-hook",
    "threads-1",
    "malloc",
    "bfc",
    "rnnstock",
    "rnnstock-2t",
    "fused",
    "fused-xla",
    "no-autotune",
]


def run_levers(
    *,
    epochs: int,
    reps: int,
    only: list[str] | None = None,
    cell: str = "LSTM",
    extras: bool = True,
):
    """Every lever beside rnnstock's old defaults; with ``extras``, then one vs two
    trainings at once and early stopping."""
    names = list(only or DEFAULT_LEVERS)
    if names[0] != "base":
        names.insert(0, "base")
    rows = measure(names, epochs=epochs, reps=reps, cell=cell)
    summary = summarise(rows, names)
    for row in summary:
        print(
            f"  {row['name']:<44} {row['seconds_per_epoch']['mean']:.3f} s/epoch"
            f" (±{row['seconds_per_epoch']['noise_pct']:.0f} %), after epoch 1"
            f" {row['steady_epoch']:.3f}, first {row['first_epoch']:.2f} s,"
            f" {row['speedup']:.2f}× base, RMSE {row['rmse']:.2f}; CPU s/epoch after epoch 1"
            f" {row['cpu_steady_epoch']:.3f}, epoch 1 {row['cpu_first_epoch']:.2f}"
        )
    parallel = parallel_levers(epochs=epochs, reps=reps) if extras else None
    early = early_stopping_lever(reps=1) if extras else None
    return {
        "epochs": epochs,
        "reps": reps,
        "cell": cell,
        "runs": rows,
        "summary": summary,
        "parallel": parallel,
        "early_stopping": early,
    }


def _early_stopping_run(cell: str, patience: int | None) -> dict:
    """The DataCamp preset through run_experiment, with or without early stopping."""
    from bench.common import MASTERCARD_CSV
    from rnnstock.data import read_price_csv
    from rnnstock.experiment import run_experiment
    from rnnstock.presets import get_preset

    spec = get_preset(f"datacamp-{cell.lower()}").spec
    if patience:
        spec = spec.replace(train=spec.train.replace(validation_fraction=0.1, patience=patience))
    result = run_experiment(spec, prices=read_price_csv(MASTERCARD_CSV))
    return {
        "cell": cell,
        "patience": patience,
        "epochs_run": result.history.epochs_run,
        "best_epoch": result.history.best_epoch,
        "fit_seconds": result.timings["fit"],
        "rmse": result.rmse,
    }


def early_stopping_lever(*, reps: int = 1) -> list[dict]:
    """What early stopping (10 % held out, patience 5) saves on the 50-epoch presets."""
    rows = []
    for _ in range(reps):
        for cell in ("LSTM", "GRU"):
            for patience in (None, 5):
                row = run_isolated(_early_stopping_run, cell, patience)
                rows.append(row)
                print(
                    f"  early stopping {'patience ' + str(patience) if patience else 'off':<11}"
                    f" {cell:<4}: {row['epochs_run']} epochs, {row['fit_seconds']:.1f} s,"
                    f" RMSE {row['rmse']:.2f}",
                    flush=True,
                )
    return rows


def parallel_levers(*, epochs: int, reps: int, variant: Variant | None = None) -> dict:
    """LSTM + GRU: one after the other with every thread, or at once with one thread each."""
    from bench.common import spread

    variant = variant or VARIANTS["no-autotune"]  # what rnnstock does now
    cores = os.cpu_count() or 1
    arms = {
        f"sequential, {cores} threads each": {"parallel": False, "threads": 0},
        "parallel processes, 1 thread each": {"parallel": True, "threads": 1},
        f"parallel processes, {cores} threads each (oversubscribed)": {
            "parallel": True,
            "threads": 0,
        },
    }
    seconds: dict[str, list[float]] = {name: [] for name in arms}
    for rep in range(reps):
        for name, arm in arms.items():
            load = os.getloadavg()[0]
            took = both_models(variant, epochs, **arm)
            seconds[name].append(took)
            print(f"  rep {rep + 1} {name:<52} {took:.1f} s  load {load:.1f}", flush=True)
    return {
        "variant": variant.name,
        "seconds": seconds,
        "summary": {name: spread(values) for name, values in seconds.items()},
    }
