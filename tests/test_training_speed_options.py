"""The speed settings of training (the fused LSTM, XLA for long runs, steps per call, one
thread, malloc, tf.data without its autotuner) keep runs seeded and reproducible. Speed
itself is measured by `make bench`."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from rnnstock.backend import import_keras
from rnnstock.experiment import run_experiment
from rnnstock.specs import TrainSpec
from rnnstock.training import batches, keep_freed_memory, use_xla
from tests.test_experiment import TINY as BASE

# The pipeline tests' tiny run (a GRU: rnnstock's fused LSTM cannot be compiled by XLA),
# with RMSprop for 3 epochs.
TINY = BASE.replace(train=BASE.train.replace(optimizer="rmsprop", epochs=3))
TINY_LSTM = TINY.replace(model=TINY.model.replace(cell="LSTM"))


def test_xla_only_where_its_compilation_pays(monkeypatch):
    monkeypatch.delenv("RNNSTOCK_XLA", raising=False)
    datacamp = TrainSpec(optimizer="rmsprop", epochs=50, batch_size=32, seed=455)
    assert use_xla(datacamp, 1199)  # 50 epochs × 38 batches
    assert not use_xla(TINY.train, 230)  # 3 epochs × 8 batches: compiling would cost more
    early = datacamp.replace(epochs=500, validation_fraction=0.1, patience=1)
    assert not use_xla(early, 100)  # may stop after a few epochs: 5 × 4 batches counted
    monkeypatch.setenv("RNNSTOCK_XLA", "1")
    assert use_xla(TINY.train, 230)
    monkeypatch.setenv("RNNSTOCK_XLA", "0")
    assert not use_xla(datacamp, 1199)


def test_xla_runs_are_reproducible_and_leave_a_plain_model(prices, monkeypatch):
    monkeypatch.setenv("RNNSTOCK_XLA", "1")
    first = run_experiment(TINY, prices=prices)
    second = run_experiment(TINY, prices=prices)
    pd.testing.assert_series_equal(first.predictions["predicted"], second.predictions["predicted"])
    assert not first.model.jit_compile  # predicting and saving do not compile again
    assert first.model.steps_per_execution == 1
    monkeypatch.setenv("RNNSTOCK_XLA", "0")
    plain = run_experiment(TINY, prices=prices)
    # Another compiler, the same training: the same forecasts within a few cents.
    assert plain.predictions["predicted"].to_numpy() == pytest.approx(
        first.predictions["predicted"].to_numpy(), abs=0.05
    )


@pytest.mark.parametrize("spec", [TINY_LSTM, TINY], ids=["LSTM", "GRU"])
def test_fused_runs_are_reproducible_and_agree_with_keras_loop(spec, prices, monkeypatch):
    monkeypatch.setenv("RNNSTOCK_XLA", "0")
    monkeypatch.delenv("RNNSTOCK_FUSED", raising=False)
    first = run_experiment(spec, prices=prices)
    second = run_experiment(spec, prices=prices)
    pd.testing.assert_series_equal(first.predictions["predicted"], second.predictions["predicted"])
    cell = spec.model.cell
    assert [row["type"] for row in first.model_summary] == [cell, "Dense"]
    assert type(first.model.layers[0]).__name__ == cell  # what is saved is plain Keras
    monkeypatch.setenv("RNNSTOCK_FUSED", "0")
    keras_loop = run_experiment(spec, prices=prices)
    # The same equations in another loop: the same forecasts within a cent.
    assert keras_loop.predictions["predicted"].to_numpy() == pytest.approx(
        first.predictions["predicted"].to_numpy(), abs=0.01
    )


def test_tensorflow_runs_one_thread_per_op_and_two_ops_at_once():
    """One thread per op; two ops at once, for the fused LSTM's two halves of a batch."""
    code = (
        "import os; from rnnstock.backend import import_keras; import_keras();"
        "print(os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['TF_NUM_INTEROP_THREADS'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_NUM_")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["1", "2"]


def test_malloc_setting_is_harmless():
    assert keep_freed_memory() in (True, False)  # False off glibc; never raises


def test_batches_train_exactly_as_fitting_the_arrays_does():
    """The pipeline without tf.data's autotuner gives the same batches in the same shuffled
    order as ``model.fit(X, y)``: the same losses and weights, to the last bit."""
    keras = import_keras()
    rng = np.random.default_rng(0)
    X = rng.random((75, 6, 1), dtype=np.float32)  # 75 windows: two batches of 32 and one of 11
    y = X[:, -1] * 2
    X_val, y_val = X[:20], y[:20]

    def train(data: dict):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((6, 1)), keras.layers.GRU(3), keras.layers.Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse")
        history = model.fit(**data, epochs=4, verbose=0)
        return history.history, model.get_weights()

    as_arrays = train(
        {"x": X, "y": y, "batch_size": 32, "shuffle": True, "validation_data": (X_val, y_val)}
    )
    pipeline = batches(X, y, 32, shuffle=True)
    assert pipeline.options().autotune.enabled is False
    assert len(pipeline) == 3
    as_batches = train(  # as training.fit calls it
        {
            "x": pipeline,
            "shuffle": False,
            "steps_per_epoch": len(pipeline),
            "validation_data": batches(X_val, y_val, 32),
        }
    )
    assert as_batches[0] == as_arrays[0]  # every epoch's loss and validation loss
    for mine, keras_own in zip(as_batches[1], as_arrays[1], strict=True):
        np.testing.assert_array_equal(mine, keras_own)
