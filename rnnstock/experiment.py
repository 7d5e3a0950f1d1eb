"""run_experiment: the whole pipeline, from a spec to scored predictions.

    prices ─► windows ─► model ─► fit ─► predict ─► evaluate

The web pages, the command line, the tests and the benchmarks all call
this one function.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rnnstock.baselines import MOVING_AVERAGE, PERSISTENCE, moving_average, persistence
from rnnstock.data import Fetcher, load_prices
from rnnstock.evaluation import Scores, evaluate
from rnnstock.sizes import prediction_batch
from rnnstock.specs import ExperimentSpec
from rnnstock.training import OnEpoch, ShouldStop, TrainingHistory
from rnnstock.windows import Windows, make_windows

if TYPE_CHECKING:
    import keras


class TrainingCancelled(Exception):
    """Raised when ``should_stop`` ended a run before it finished."""

    def __init__(self, history: TrainingHistory):
        super().__init__(f"Training was cancelled after {history.epochs_run} epoch(s).")
        self.history = history

    def __reduce__(self):  # travels back from worker processes with its history
        return (TrainingCancelled, (self.history,))


@dataclass
class ExperimentResult:
    spec: ExperimentSpec
    windows: Windows
    predictions: pd.DataFrame  # test days: actual, predicted, persistence, moving_average
    train_fit: pd.Series  # the model's one-day-ahead fit on the training days
    scores: Scores
    history: TrainingHistory
    parameters: int
    model: keras.Model | None = field(repr=False, compare=False)
    timings: dict[str, float] = field(default_factory=dict)
    data_source: str = ""
    data_notice: str | None = None
    model_summary: list[dict[str, object]] = field(default_factory=list)  # as Keras reports

    @property
    def rmse(self) -> float:
        return self.scores.model.rmse

    def summary(self) -> dict[str, Any]:
        """One flat row for a table of runs."""
        return {
            "key": self.spec.key(),
            "data": self.spec.data.describe(),
            "target": self.spec.split.target,
            "window": self.spec.split.window,
            "model": self.spec.model.describe(),
            "training": self.spec.train.describe(),
            "parameters": self.parameters,
            "epochs run": self.history.epochs_run,
            "s/epoch": round(self.history.seconds_per_epoch, 3),
            "RMSE": self.scores.model.rmse,
            "MAE": self.scores.model.mae,
            "MAPE %": self.scores.model.mape,
            "persistence RMSE": self.scores.persistence.rmse,
            "skill": self.scores.skill,
        }

    @property
    def has_model(self) -> bool:
        """Whether the trained model is still here (without loading it)."""
        return self.__dict__.get("model") is not None or bool(self.__dict__.get("_model_file"))

    def model_bytes(self) -> bytes:
        """The trained model as a .keras file's bytes (for a download button)."""
        saved = self.__dict__.get("_model_file")
        if saved:
            return saved
        if self.model is None:
            raise ValueError("This run's model was released to save memory; train it again.")
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.keras"
            self.model.save(path)
            return path.read_bytes()

    def release_model(self) -> None:
        """Drop the Keras model (the biggest part) while keeping predictions and scores."""
        self.model = None
        self.__dict__.pop("_model_file", None)

    # A result crosses from a worker process to the server with its model as a .keras
    # file: the server needs no TensorFlow to receive it (and never imports Keras in a
    # pool's thread while another thread does), and loads the model when first used.

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if state.get("model") is not None:
            state["_model_file"] = self.model_bytes()
        state.pop("model", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __getattr__(self, name: str) -> Any:
        if name != "model":
            raise AttributeError(name)
        saved = self.__dict__.get("_model_file")
        model = _load_model(saved) if saved else None
        self.__dict__["model"] = model
        return model


def run_experiment(
    spec: ExperimentSpec,
    on_epoch: OnEpoch | None = None,
    should_stop: ShouldStop | None = None,
    *,
    prices: pd.DataFrame | None = None,
    fetcher: Fetcher | None = None,
    cache_dir: Path | None = None,
    watch: bool = False,
) -> ExperimentResult:
    """Load, window, build, fit, predict and score one experiment.

    ``prices`` skips loading (the app passes what it already shows);
    otherwise they come from ``spec.data`` (``fetcher``/``cache_dir`` go to
    the ticker loader). ``watch`` puts the test days' predictions (in prices)
    into the progress of the epochs ``training.WATCH_SHARE`` allows, so a page
    can redraw them as the model learns. Raises ``ValueError`` for bad data or
    settings and ``TrainingCancelled`` when ``should_stop`` ends the run.
    """
    from rnnstock.fused import fused_applies
    from rnnstock.models import build_model, standard_model, summary_rows
    from rnnstock.training import fit, seed_everything

    timings: dict[str, float] = {}
    started = time.perf_counter()
    if prices is None:
        prices = load_prices(spec.data, fetcher=fetcher, cache_dir=cache_dir)
    windows = make_windows(prices, spec.split, validation_fraction=spec.train.validation_fraction)
    timings["prepare"] = time.perf_counter() - started

    mark = time.perf_counter()
    seed_everything(spec.train.seed)
    fused = fused_applies(spec.model)
    model = build_model(spec.model, windows.window, fused=fused)
    timings["build"] = time.perf_counter() - mark

    mark = time.perf_counter()
    watched = None
    chunk = prediction_batch(spec.model, spec.train.batch_size)
    if watch and on_epoch is not None:

        def watched(current: keras.Model) -> np.ndarray:
            # predict_on_batch: one call per slice of the test windows (one for the DataCamp
            # LSTM); model.predict would build a tf.data pipeline each time (0.1-0.3 s
            # against 0.03 s). Slices keep to the memory the training step was allowed.
            X = windows.X_test
            scaled = np.concatenate(
                [
                    np.asarray(current.predict_on_batch(X[start : start + chunk]))[:, 0]
                    for start in range(0, len(X), chunk)
                ]
            )
            return windows.to_prices(scaled, windows.test_previous()).astype("float32")

    history = fit(
        model, windows, spec.train, on_epoch=on_epoch, should_stop=should_stop, watch=watched
    )
    if history.cancelled:
        raise TrainingCancelled(history)
    if fused:  # predictions, forecasts and downloads use plain Keras layers
        model = standard_model(model, spec.model, windows.window)
    timings["fit"] = time.perf_counter() - mark

    mark = time.perf_counter()
    # One pass over every window, training ones first: one predict call costs one
    # tf.data pipeline and one traced function instead of two (about 0.1-0.2 s).
    seen = np.concatenate([windows.X_train, windows.X_val])
    scaled = _predict(model, np.concatenate([seen, windows.X_test]), chunk)
    fitted = windows.to_prices(scaled[: len(seen)], windows.train_previous())
    predicted = windows.to_prices(scaled[len(seen) :], windows.test_previous())
    timings["predict"] = time.perf_counter() - mark

    actual = windows.actual_test.to_numpy()
    previous = persistence(windows.split)
    window_mean = moving_average(windows)
    scores = evaluate(actual, predicted, previous, window_mean)
    predictions = pd.DataFrame(
        {
            "actual": actual,
            "predicted": predicted,
            PERSISTENCE: previous,
            MOVING_AVERAGE: window_mean,
        },
        index=windows.test_dates,
    )
    timings["total"] = time.perf_counter() - started
    return ExperimentResult(
        spec=spec,
        windows=windows,
        predictions=predictions,
        train_fit=pd.Series(fitted, index=windows.train_dates, name="fit"),
        scores=scores,
        history=history,
        parameters=int(model.count_params()),
        model=model,
        timings=timings,
        data_source=str(prices.attrs.get("source", spec.data.describe())),
        data_notice=prices.attrs.get("notice"),
        model_summary=summary_rows(model),
    )


def _load_model(content: bytes) -> keras.Model:
    import tempfile

    from rnnstock.backend import import_keras

    keras = import_keras()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(content)
        return keras.saving.load_model(path, compile=False)


def _predict(model: keras.Model, inputs: np.ndarray, batch_size: int) -> np.ndarray:
    if len(inputs) == 0:
        return np.empty(0)
    return model.predict(inputs, batch_size=batch_size, verbose=0)[:, 0]
