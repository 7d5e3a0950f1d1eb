"""The DataCamp tutorial's MasterCard LSTM/GRU, step by step, in plain Keras.

Written from the tutorial's description (../shared/seeds/000_*), not from
rnnstock: read the CSV with Date as index, drop Dividends and Stock Splits,
take "High", train on 2016–2020 and test on 2021 onwards, MinMaxScaler fit on
the training prices, split_sequence with 60 steps, one LSTM(125, tanh) or
GRU(125) and Dense(1), RMSprop, mse, 50 epochs, batch 32, seed 455; then
the test inputs are the last len(test) + 60 prices, scaled with the same
scaler, predicted and turned back into dollars, and RMSE is taken against
the test prices.

Two deliberate differences, both neutral for timing: ``verbose=0`` instead of
the tutorial's progress bar (the pipeline prints none either), and a callback
that times each epoch. ``python -m bench.reference [LSTM|GRU] [epochs]`` runs it.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
MASTERCARD_CSV = REPO.parent / "shared" / "data" / "Mastercard_stock_history.csv"

TSTART, TEND = 2016, 2020
N_STEPS = 60
FEATURES = 1
UNITS = 125
EPOCHS = 50
BATCH_SIZE = 32
SEED = 455


def load_dataset(path: str | Path = MASTERCARD_CSV) -> pd.DataFrame:
    """The tutorial's read: Date as a DatetimeIndex, without Dividends and Stock Splits."""
    dataset = pd.read_csv(path, index_col="Date", parse_dates=["Date"])
    return dataset.drop(["Dividends", "Stock Splits"], axis=1, errors="ignore")


def train_test_split(dataset: pd.DataFrame, tstart: int = TSTART, tend: int = TEND):
    train = dataset.loc[f"{tstart}" : f"{tend}", "High"].values
    test = dataset.loc[f"{tend + 1}" :, "High"].values
    return train, test


def split_sequence(sequence: np.ndarray, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's loop: each run of ``n_steps`` values, and the value after it."""
    X, y = [], []
    for i in range(len(sequence)):
        end_ix = i + n_steps
        if end_ix > len(sequence) - 1:
            break
        X.append(sequence[i:end_ix])
        y.append(sequence[end_ix])
    return np.array(X), np.array(y)


@dataclass
class Prepared:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    test_set: np.ndarray
    scaler: object


def prepare(path: str | Path = MASTERCARD_CSV, n_steps: int = N_STEPS) -> Prepared:
    """Everything before the model: split, scale on training prices, windows."""
    from sklearn.preprocessing import MinMaxScaler

    dataset = load_dataset(path)
    training_set, test_set = train_test_split(dataset)
    sc = MinMaxScaler(feature_range=(0, 1))
    training_set_scaled = sc.fit_transform(training_set.reshape(-1, 1))
    X_train, y_train = split_sequence(training_set_scaled, n_steps)
    X_train = X_train.reshape(X_train.shape[0], X_train.shape[1], FEATURES)

    dataset_total = dataset.loc[:, "High"]
    inputs = dataset_total[len(dataset_total) - len(test_set) - n_steps :].values
    inputs = sc.transform(inputs.reshape(-1, 1))
    X_test, _ = split_sequence(inputs, n_steps)
    X_test = X_test.reshape(X_test.shape[0], X_test.shape[1], FEATURES)
    return Prepared(X_train, y_train, X_test, test_set, sc)


@dataclass
class ReferenceRun:
    cell: str
    epochs: int
    train_windows: int
    parameters: int
    rmse: float
    fit_seconds: float
    seed: int = SEED
    epoch_seconds: list[float] = field(default_factory=list)
    total_seconds: float = 0.0  # prepare + build + fit + predict

    @property
    def seconds_per_epoch(self) -> float:
        return self.fit_seconds / self.epochs

    def to_dict(self) -> dict:
        from bench.common import steady_epoch

        return {
            **asdict(self),
            "seconds_per_epoch": self.seconds_per_epoch,
            "first_epoch": self.epoch_seconds[0],
            "steady_epoch": steady_epoch(self.epoch_seconds),
        }


def run_reference(
    cell: str = "LSTM",
    epochs: int = EPOCHS,
    path: str | Path = MASTERCARD_CSV,
    seed: int = SEED,
) -> ReferenceRun:
    """Train the tutorial's model once and score it on the 2021 test days."""
    started = time.perf_counter()
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    from sklearn.metrics import mean_squared_error

    data = prepare(path)
    keras.utils.set_random_seed(seed)  # the tutorial seeds Python, NumPy and TensorFlow
    recurrent = {"LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}[cell]
    model = keras.Sequential(
        [
            keras.Input(shape=(N_STEPS, FEATURES)),
            recurrent(units=UNITS, activation="tanh"),
            keras.layers.Dense(units=1),
        ]
    )
    model.compile(optimizer="RMSprop", loss="mse")

    epoch_seconds: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.begun = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self.begun)

    fit_started = time.perf_counter()
    model.fit(
        data.X_train,
        data.y_train,
        epochs=epochs,
        batch_size=BATCH_SIZE,
        verbose=0,
        callbacks=[EpochTimer()],
    )
    fit_seconds = time.perf_counter() - fit_started

    predicted = model.predict(data.X_test, verbose=0)
    predicted = data.scaler.inverse_transform(predicted)
    rmse = float(np.sqrt(mean_squared_error(data.test_set, predicted)))
    return ReferenceRun(
        cell=cell,
        epochs=epochs,
        train_windows=len(data.X_train),
        parameters=int(model.count_params()),
        rmse=rmse,
        fit_seconds=fit_seconds,
        seed=seed,
        epoch_seconds=epoch_seconds,
        total_seconds=time.perf_counter() - started,
    )


if __name__ == "__main__":
    cell = sys.argv[1] if len(sys.argv) > 1 else "LSTM"
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else EPOCHS
    run = run_reference(cell, epochs)
    print(
        f"reference {run.cell}({UNITS}): {run.train_windows} windows, {run.parameters:,} params,"
        f" {run.seconds_per_epoch:.3f} s/epoch over {run.epochs} epochs, RMSE {run.rmse:.2f}"
    )
