"""The tutorials' mistakes, measured: each done the tutorial's way beside the right way.

Five mistakes of the tutorials in ../shared/seeds/, each reproduced as the seed's code
does it, on the same data, the same split, the same network and the same seed as the
right way, so that the difference between the two figures is the mistake's effect:

| id | seed | the mistake | measured |
|---|---|---|---|
| scaler-leak | 003 | MinMaxScaler fit on all days, test days included | test RMSE, both ways |
| rmse-formula | 003 | ``np.sqrt(np.mean(predictions - y_test)**2)`` | it vs RMSE in dollars |
| window-builder | 001 | ``create_dataset``: one short, test windows from test days | days lost |
| test-validation | 001 | the test set as validation data (with early stopping) | test RMSE |
| one-run-verdict | 000 | "GRU 5.50 beats LSTM 6.70" from one run of each | the verdict over seeds |

A measurement is a list of trainings (:func:`plan`), each run by :func:`train` (the
right way is :func:`rnnstock.experiment.run_experiment` itself; a wrong way builds the
windows as the seed did and trains on them with the pipeline's own model and fit),
then judged by one function per mistake (:func:`scaler_leak`, :func:`rmse_formula`,
:func:`window_builder`, :func:`validation_on_test_days`, :func:`one_run_verdict`).
:func:`measure` does all three in this process (the command line, the benchmark, the
tests); the web app runs the trainings on a :class:`MeasurementQueue` in the background.

Which settings: each mistake's own tutorial's (rnnstock.presets), on the data given.
``RNNSTOCK_MISTAKES_TINY=1`` shrinks every model to a few units, a 10-day window and
2 epochs: seconds per training, for the tests (declared here, read by :func:`tiny_models`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rnnstock import config
from rnnstock.baselines import PERSISTENCE, PERSISTENCE_SHORT
from rnnstock.evaluation import mae, rmse
from rnnstock.jobs import Job, JobManager
from rnnstock.presets import PRESETS
from rnnstock.settings import MIN_TEST_DAYS, MISTAKES, TARGETS, check, default
from rnnstock.sizes import prediction_batch
from rnnstock.specs import DataSpec, ExperimentSpec
from rnnstock.training import OnEpoch, ShouldStop, TrainingHistory
from rnnstock.windows import Windows, make_windows, windowed_split

if TYPE_CHECKING:
    from rnnstock.experiment import ExperimentResult

TINY_SWITCH = config.MISTAKES_TINY

# How a training is done.
RIGHT_WAY = "right"  # run_experiment: scaler on the training days, every test day predicted
ALL_DAYS_SCALER = "all-days-scaler"  # seed 003
SEED_001_WINDOWS = "seed-001-windows"
TEST_AS_VALIDATION = "test-as-validation"  # seed 001's validation_data=(X_test, y_test)

# Early stopping for the test-validation mistake (seed 001 trained its 80 epochs without
# it; with it, the validation set chooses the epoch kept, which is where the test set used
# as validation does its harm). Both ways hold out the same last 10 % of the training
# windows, so that the two runs differ only in which days choose the epoch.
PATIENCE = 10
VALIDATION_FRACTION = 0.1
SEED_003_YEARS = 5  # seed 003: yf.download('MSFT', period='5y')
DATACAMP_SEED = 455

TINY_UNITS, TINY_WINDOW, TINY_EPOCHS, TINY_BATCH = 4, 10, 2, 64


def tiny_models() -> bool:
    """``RNNSTOCK_MISTAKES_TINY``: tiny models everywhere (tests), off by default."""
    return config.mistakes_tiny()


# -- what each mistake is ------------------------------------------------------------------


@dataclass(frozen=True)
class MistakeInfo:
    id: str
    title: str
    seed: str  # "seed 003"
    preset: str  # the tutorial's preset, whose settings the measurement uses
    reproduces: str  # the seed's lines
    wrong_way: str  # how the figures' two sides are named
    right_way: str
    why: str  # one sentence a teacher can read out
    short: str = ""  # the title in a few words (a chip of the page's choice, the link)


INFO: dict[str, MistakeInfo] = {
    info.id: info
    for info in (
        MistakeInfo(
            "scaler-leak",
            "Scaler fit on all days, test period included",
            "seed 003",
            "msft-simplernn",
            "data_scaled = scaler.fit_transform(np.array(target_data).reshape(-1,1)),"
            " before train_data = data_scaled[0:train_data_len, :]",
            "Scaler fit on all days (seed 003)",
            "Scaler fit on training days only",
            "A scaler fit on all days has seen the test period's lowest and highest prices, so"
            " the days being scored shaped what the model trained on, and its score no longer"
            " says how it does on days it has not seen.",
            short="Scaler fit on all days",
        ),
        MistakeInfo(
            "rmse-formula",
            "RMSE on mixed scales, with the mean inside the square",
            "seed 003",
            "msft-simplernn",
            "rmse = np.sqrt(np.mean(predictions - y_test)**2), with predictions inverse-"
            "transformed to dollars and y_test = data_scaled[train_data_len:, :] still 0–1",
            "Seed 003's formula",
            "RMSE in dollars",
            "The predictions are in dollars but y_test is still scaled to 0–1, and the mean is"
            " taken before squaring, so the square root undoes the square and the figure is"
            " the average predicted price minus a number below 1: not an error at all.",
            short="RMSE on mixed scales",
        ),
        MistakeInfo(
            "window-builder",
            "Window builder one short, test windows cut from the test days alone",
            "seed 001",
            "netflix-simplernn",
            "for i in range(len(dataset)-time_step-1): ... and X_test, y_test ="
            " create_dataset(test, 100)",
            "Seed 001's windows",
            "Every test day predicted",
            "create_dataset stops one window early and cuts the test windows from the test"
            " days alone, so the first test days (a window's worth) and the last are never"
            " predicted, and the score is taken on a shorter period than the one tested.",
            short="Window builder one short",
        ),
        MistakeInfo(
            "test-validation",
            "The test set used as validation data",
            "seed 001",
            "netflix-simplernn",
            "model.fit(X_train, y_train, validation_data = (X_test, y_test), epochs = 80)",
            "Chosen on test days (seed 001)",
            "Chosen on training period's end",
            "When the test days choose which epoch to keep, the model is picked for looking"
            " good on exactly the days it is then scored on, so the test score flatters it.",
            short="Test set as validation",
        ),
        MistakeInfo(
            "one-run-verdict",
            'One run each: "GRU 5.50 beats LSTM 6.70"',
            "seed 000",
            "datacamp-gru",
            "set_seed(455); model_lstm.fit(...); model_gru.fit(...); return_rmse(...) once"
            " each, then 'the GRU model performed better than LSTM'",
            "One run (seed 455)",
            "Over several seeds",
            "A training's score depends on its seed (the starting weights and the batch"
            " order), so when two models' gap is smaller than that spread, one run of each"
            " cannot say which is better.",
            short="One-run verdict",
        ),
    )
}
assert tuple(INFO) == MISTAKES  # declared in rnnstock.settings for the page and the CLI


def mistakes_of(preset_id: str) -> tuple[str, ...]:
    """The mistakes of a preset's tutorial (all of them for a tutorial without any here)."""
    tutorial = {
        "datacamp-lstm": "datacamp-gru",
        "msft-lstm": "msft-simplernn",
    }.get(preset_id, preset_id)
    found = tuple(info.id for info in INFO.values() if info.preset == tutorial)
    return found or MISTAKES


# -- the trainings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Training:
    """One training of a measurement: how (``variant``) and with which settings."""

    variant: str
    spec: ExperimentSpec
    label: str

    def key(self) -> str:
        return f"{self.variant}:{self.spec.key()}"


@dataclass(frozen=True)
class Plan:
    """The trainings each chosen mistake needs (a training two mistakes share runs once)."""

    data: str
    trainings: dict[str, tuple[Training, ...]]  # mistake id -> its trainings
    notes: tuple[str, ...] = ()  # how the tutorials' settings were fitted to this data

    @property
    def mistakes(self) -> list[str]:
        return list(self.trainings)

    def unique(self) -> list[Training]:
        seen: dict[str, Training] = {}
        for trainings in self.trainings.values():
            for training in trainings:
                seen.setdefault(training.key(), training)
        return list(seen.values())

    @property
    def epochs(self) -> int:
        return sum(training.spec.train.epochs for training in self.unique())


def plan(
    prices: pd.DataFrame,
    data: DataSpec,
    mistakes: Iterable[str] = MISTAKES,
    *,
    epochs: int | None = None,
    seeds: int | None = None,
    tiny: bool | None = None,
) -> Plan:
    """The trainings that measure ``mistakes`` on ``prices`` (described by ``data``).

    Each mistake takes its tutorial's settings (``epochs`` overrides every training's);
    ``seeds`` is how many seeds the LSTM-vs-GRU verdict is repeated over. Raises a
    readable ``ValueError`` when a setting or the data does not fit.
    """
    chosen = check("mistakes", mistakes if isinstance(mistakes, str) else list(mistakes))
    epochs = check("mistake_epochs", epochs)
    seeds = check("mistake_seeds", seeds if seeds is not None else default("mistake_seeds"))
    tiny = tiny_models() if tiny is None else tiny
    notes: list[str] = []
    specs: dict[str, ExperimentSpec] = {}

    def spec_of(preset_id: str) -> ExperimentSpec:
        if preset_id not in specs:
            spec = _fitted(PRESETS[preset_id].spec, prices, data, notes, preset_id)
            specs[preset_id] = _sized(spec, epochs, tiny)
        return specs[preset_id]

    trainings: dict[str, tuple[Training, ...]] = {}
    for mistake in MISTAKES:  # in the table's order, whatever the order asked
        if mistake not in chosen:
            continue
        info = INFO[mistake]
        spec = spec_of(info.preset)
        if mistake in ("scaler-leak", "rmse-formula"):
            wrong = Training(ALL_DAYS_SCALER, spec, "Seed 003: scaler fit on all days")
            right = Training(RIGHT_WAY, spec, "Seed 003's network, scaler on training days")
            trainings[mistake] = (wrong, right) if mistake == "scaler-leak" else (wrong,)
        elif mistake == "window-builder":
            trainings[mistake] = (
                Training(SEED_001_WINDOWS, spec, "Seed 001: its create_dataset windows"),
                Training(RIGHT_WAY, spec, "Seed 001's network, every test day"),
            )
        elif mistake == "test-validation":
            stopping = spec.replace(
                train=spec.train.replace(validation_fraction=VALIDATION_FRACTION, patience=PATIENCE)
            )
            trainings[mistake] = (
                Training(TEST_AS_VALIDATION, stopping, "Seed 001: test days as validation"),
                Training(RIGHT_WAY, stopping, "Seed 001: training period's end as validation"),
            )
        else:
            verdict = []
            for seed in range(spec.train.seed, spec.train.seed + seeds):
                for cell in ("LSTM", "GRU"):
                    cell_spec = spec.replace(
                        model=spec.model.replace(cell=cell),
                        train=spec.train.replace(seed=seed),
                    )
                    verdict.append(Training(RIGHT_WAY, cell_spec, f"DataCamp {cell}, seed {seed}"))
            trainings[mistake] = tuple(verdict)
    for spec in specs.values():  # the data fits each tutorial's split: say so before training
        windowed_split(_period(prices, spec.data), spec.split)
    return Plan(data=data.describe(), trainings=trainings, notes=tuple(notes))


def _fitted(
    spec: ExperimentSpec, prices: pd.DataFrame, data: DataSpec, notes: list[str], preset: str
) -> ExperimentSpec:
    """A tutorial's settings on this data: its target (else Close), its period and split."""
    split = spec.split
    target = split.target
    if target not in prices.columns:
        target = next(
            (c for c in ("Close", *TARGETS) if c in prices.columns), split.target
        )  # no column at all: the split's own message says so
        notes.append(
            f"This data has no '{split.target}' column ({PRESETS[preset].title}): measured on"
            f" '{target}' instead."
        )
    split = split.replace(target=target)
    first, last = prices.index[0], prices.index[-1]
    if preset.startswith("msft"):
        start = last - pd.DateOffset(years=SEED_003_YEARS)
        if first < start:
            data = data.replace(start=f"{start:%Y-%m-%d}")
            notes.append(
                f"Seed 003 downloaded the last {SEED_003_YEARS} years: its mistakes are"
                f" measured from {start:%Y-%m-%d} to {last:%Y-%m-%d}."
            )
    if split.mode == "dates":
        split = _date_split(split, prices, notes)
    return spec.replace(data=data, split=split)


def _date_split(split, prices: pd.DataFrame, notes: list[str]):
    """The DataCamp split (train 2016–2020, test 2021 on), moved to this data's last years
    when it does not cover them: the same five training years before one test year."""
    dates = prices.index
    test_start = pd.Timestamp(split.train_end) + pd.Timedelta(days=1)
    train_start = pd.Timestamp(split.train_start)
    covered = dates[0] <= train_start and (dates >= test_start).sum() >= MIN_TEST_DAYS
    if covered:
        return split
    last_year = dates[-1].year
    if (dates.year == last_year).sum() < MIN_TEST_DAYS:
        last_year -= 1
    years = pd.Timestamp(split.train_end).year - train_start.year + 1
    moved = split.replace(
        train_start=str(last_year - years), train_end=str(last_year - 1), test_end=None
    )
    if dates[0] > pd.Timestamp(moved.train_start):
        moved = moved.replace(train_start=None)
    notes.append(
        f"This data does not cover the DataCamp split (train {train_start.year}–"
        f"{test_start.year - 1}, test {test_start.year} on): measured with train"
        f" {moved.train_start[:4] if moved.train_start else 'from the first day'}–"
        f"{last_year - 1}, test {last_year} on."
    )
    return moved


def _sized(spec: ExperimentSpec, epochs: int | None, tiny: bool) -> ExperimentSpec:
    model, split, train = spec.model, spec.split, spec.train
    if tiny:
        model = model.replace(
            units=tuple(min(u, TINY_UNITS) for u in model.units),
            dense=tuple(min(d, TINY_UNITS) for d in model.dense),
        )
        split = split.replace(window=min(split.window, TINY_WINDOW))
        train = train.replace(epochs=min(train.epochs, TINY_EPOCHS), batch_size=TINY_BATCH)
    if epochs is not None:
        train = train.replace(epochs=epochs)
    return spec.replace(model=model, split=split, train=train)


def _period(prices: pd.DataFrame, data: DataSpec) -> pd.DataFrame:
    """The days of ``prices`` in the spec's period (seed 003: its last five years)."""
    if data.start is None and data.end is None:
        return prices
    kept = prices.loc[data.start : data.end]
    kept.attrs = dict(prices.attrs)
    return kept


# -- the seeds' code, reproduced ---------------------------------------------------------------


def create_dataset(dataset: np.ndarray, time_step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Seed 001's window builder, as the tutorial wrote it (its loop, its bounds).

    ``range(len(dataset)-time_step-1)`` makes one window fewer than there are, so the
    last day never becomes a label; called on the test days alone, the first
    ``time_step`` test days have no window either. (The tutorial's page lost the line
    ``data_X.append(a)``; the code cannot run without it.)
    """
    data_X, data_Y = [], []
    for i in range(len(dataset) - time_step - 1):
        a = dataset[i : (i + time_step), 0]
        data_X.append(a)
        data_Y.append(dataset[i + time_step, 0])
    return np.array(data_X), np.array(data_Y)


def seed_003_rmse(predictions: np.ndarray, y_test: np.ndarray) -> float:
    """Seed 003's "RMSE": ``np.sqrt( np.mean( predictions - y_test )**2 )``, as written.

    ``predictions`` are in dollars (after ``scaler.inverse_transform``) and ``y_test``
    is still scaled; both are columns (n, 1). The mean of the differences is taken
    before squaring, so this is ``abs(mean(predictions - y_test))``.
    """
    return float(np.sqrt(np.mean(predictions - y_test) ** 2))


def all_days_scaler_windows(prices: pd.DataFrame, spec: ExperimentSpec) -> Windows:
    """The pipeline's windows, scaled as seed 003 scaled them: a MinMaxScaler fit on every
    day of the experiment, test days included (``scaler.fit_transform(target_data)``).

    The same days, windows and labels as :func:`make_windows`; only the scaler differs.
    (Seed 003 also split at ``math.ceil`` of 80 %, the pipeline at ``int``: one day at
    most, kept the same on both sides so that only the scaler differs.)
    """
    from sklearn.preprocessing import MinMaxScaler

    windows = make_windows(prices, spec.split)
    split = windows.split
    every_day = split.series.iloc[split.train_start : split.test_stop].to_numpy()
    scaler = MinMaxScaler(feature_range=(0, 1)).fit(every_day.reshape(-1, 1))

    def rescaled(scaled: np.ndarray) -> np.ndarray:
        if scaled.size == 0:  # no validation windows
            return scaled
        prices_ = windows.to_prices(scaled)
        return scaler.transform(prices_.reshape(-1, 1)).reshape(scaled.shape).astype("float32")

    return replace(
        windows,
        scaler=scaler,
        X_train=rescaled(windows.X_train),
        y_train=rescaled(windows.y_train),
        X_val=rescaled(windows.X_val),
        y_val=rescaled(windows.y_val),
        X_test=rescaled(windows.X_test),
        y_test=rescaled(windows.y_test),
    )


def seed_001_windows(prices: pd.DataFrame, spec: ExperimentSpec) -> Windows:
    """Seed 001's windows: ``create_dataset`` on the scaled training days and, apart, on
    the scaled test days (its scaler is fit on the training 80 % only, as here).

    The test windows are the test days' own, so the prediction of test day ``k`` reads
    test days ``k - window`` to ``k - 1``: the first ``window`` test days and the last
    one get none. ``test_dates`` are the days that do get one.
    """
    windows = make_windows(prices, spec.split)
    split, window = windows.split, windows.window
    train = windows.to_scaled(split.train.to_numpy()).reshape(-1, 1)
    test = windows.to_scaled(split.test.to_numpy()).reshape(-1, 1)
    X_train, y_train = create_dataset(train, window)
    X_test, y_test = create_dataset(test, window)
    if len(X_test) == 0:
        raise ValueError(
            f"Seed 001's windows leave no test day to predict: the test period has"
            f" {len(test)} days and each of its windows needs {window + 1}."
        )
    as_input = lambda a: np.ascontiguousarray(a, dtype="float32")[..., np.newaxis]  # noqa: E731
    return replace(
        windows,
        X_train=as_input(X_train),
        y_train=y_train.reshape(-1, 1).astype("float32"),
        X_test=as_input(X_test),
        y_test=y_test.reshape(-1, 1).astype("float32"),
        train_dates=split.train.index[window : window + len(y_train)],
        test_dates=split.test.index[window : window + len(y_test)],
    )


def validation_windows_from_test(prices: pd.DataFrame, spec: ExperimentSpec) -> Windows:
    """The pipeline's windows with the test windows as validation data, as seed 001 passed
    ``validation_data = (X_test, y_test)`` to ``model.fit``.

    Training keeps the same windows as the right way (the last part held out by
    ``spec.train.validation_fraction`` is not trained on either), so the two runs are
    the same until one stops: only the days that choose the epoch differ.
    """
    windows = make_windows(prices, spec.split, validation_fraction=spec.train.validation_fraction)
    return replace(windows, X_val=windows.X_test, y_val=windows.y_test)


WRONG_WINDOWS: dict[str, Callable[[pd.DataFrame, ExperimentSpec], Windows]] = {
    ALL_DAYS_SCALER: all_days_scaler_windows,
    SEED_001_WINDOWS: seed_001_windows,
    TEST_AS_VALIDATION: validation_windows_from_test,
}


# -- one training ------------------------------------------------------------------------------


@dataclass
class Run:
    """A finished training of a measurement: predictions on the days it predicted."""

    training: Training
    predictions: pd.DataFrame  # actual, predicted, persistence on the days predicted
    test_days: pd.DatetimeIndex  # every day of the test period
    scaled_truth: np.ndarray  # the test labels as this run's scaler scaled them
    scaler_range: tuple[float, float]  # the prices its scaler maps to 0 and 1
    training_range: tuple[float, float]  # the lowest and highest training price
    history: TrainingHistory
    parameters: int
    window: int
    seconds: float = 0.0

    @property
    def rmse(self) -> float:
        return rmse(self.predictions["actual"], self.predictions["predicted"])

    @property
    def mae(self) -> float:
        return mae(self.predictions["actual"], self.predictions["predicted"])

    @property
    def persistence_rmse(self) -> float:
        return rmse(self.predictions["actual"], self.predictions[PERSISTENCE])

    @property
    def kept_epoch(self) -> int:
        """The epoch whose weights were kept: with a validation set, its lowest loss
        (Keras' EarlyStopping restores it at the end of training); else the last."""
        if self.training.spec.train.patience and self.history.val_loss:
            return int(np.argmin(self.history.val_loss)) + 1
        return self.history.epochs_run


def train(
    training: Training,
    prices: pd.DataFrame,
    on_epoch: OnEpoch | None = None,
    should_stop: ShouldStop | None = None,
) -> Run:
    """Run one training of a measurement on ``prices`` (its spec's period of them).

    The right way is :func:`run_experiment`; a wrong way builds its windows as the
    seed did and trains on them exactly as run_experiment trains (same seed, model and
    fit), so that the windows are the only difference. Raises ``TrainingCancelled``.
    """
    started = time.perf_counter()
    spec = training.spec
    prices = _period(prices, spec.data)
    if training.variant == RIGHT_WAY:
        from rnnstock.experiment import run_experiment

        result = run_experiment(spec, on_epoch, should_stop, prices=prices)
        run = _run_of(training, result.windows, result.predictions["predicted"], result)
    else:
        windows = WRONG_WINDOWS[training.variant](prices, spec)
        predicted, history, parameters = _fit_and_predict(windows, spec, on_epoch, should_stop)
        run = _run_of(training, windows, predicted, None, history=history, parameters=parameters)
    run.seconds = time.perf_counter() - started
    return run


def _fit_and_predict(
    windows: Windows, spec: ExperimentSpec, on_epoch, should_stop
) -> tuple[np.ndarray, TrainingHistory, int]:
    """run_experiment's build, fit and predict, on windows it does not make itself."""
    from rnnstock.experiment import TrainingCancelled
    from rnnstock.fused import fused_applies
    from rnnstock.models import build_model, standard_model
    from rnnstock.training import fit, seed_everything

    seed_everything(spec.train.seed)
    fused = fused_applies(spec.model)
    model = build_model(spec.model, windows.window, fused=fused)
    history = fit(model, windows, spec.train, on_epoch=on_epoch, should_stop=should_stop)
    if history.cancelled:
        raise TrainingCancelled(history)
    if fused:
        model = standard_model(model, spec.model, windows.window)
    batch = prediction_batch(spec.model, spec.train.batch_size)
    scaled = model.predict(windows.X_test, batch_size=batch, verbose=0)[:, 0]
    return windows.to_prices(scaled), history, int(model.count_params())


def _run_of(
    training: Training,
    windows: Windows,
    predicted,
    result: ExperimentResult | None,
    *,
    history: TrainingHistory | None = None,
    parameters: int = 0,
) -> Run:
    split = windows.split
    series = split.series
    dates = windows.test_dates
    previous = series.shift(1)
    predictions = pd.DataFrame(
        {
            "actual": series.loc[dates].to_numpy(),
            "predicted": np.asarray(predicted, dtype="float64"),
            PERSISTENCE: previous.loc[dates].to_numpy(),
        },
        index=dates,
    )
    scaler = windows.scaler
    return Run(
        training=training,
        predictions=predictions,
        test_days=split.test.index,
        scaled_truth=windows.y_test[:, 0].astype("float64"),
        scaler_range=(float(scaler.data_min_[0]), float(scaler.data_max_[0])),
        training_range=(float(split.train.min()), float(split.train.max())),
        history=result.history if result is not None else history,
        parameters=result.parameters if result is not None else parameters,
        window=windows.window,
    )


# -- the measured effect -------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One side's figure: what it is, its value and a line of context."""

    label: str
    value: float
    detail: str = ""


@dataclass(frozen=True)
class Chart:
    """What a mistake's chart shows; rnnstock.charts.mistake_figure draws it.

    ``kind``: "prices" (dated lines, ``series``; ``spans`` shaded), "bars" (``bars``),
    "spread" (``groups`` of RMSEs, ``line`` the persistence RMSE) or "losses"
    (``series`` by epoch, ``marks`` the epochs kept).
    """

    kind: str
    title: str
    y_title: str = ""
    series: dict[str, pd.Series] = field(default_factory=dict)
    spans: tuple[tuple[pd.Timestamp, pd.Timestamp, str], ...] = ()
    bars: dict[str, float] = field(default_factory=dict)
    groups: dict[str, list[float]] = field(default_factory=dict)
    line: float | None = None
    marks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A mistake measured: the tutorial's figure beside the right one, and why they differ."""

    id: str
    title: str
    seed: str
    measured: str  # what the two figures are
    wrong: Figure
    right: Figure
    why: str
    facts: tuple[str, ...]
    table: pd.DataFrame
    chart: Chart | None = None
    settings: str = ""  # the settings both sides trained with

    @property
    def difference(self) -> float:
        return self.wrong.value - self.right.value

    @property
    def reproduces(self) -> str:
        return INFO[self.id].reproduces


def _mistake(mistake_id: str, run: Run, **fields) -> Mistake:
    info = INFO[mistake_id]
    fields.setdefault("settings", _settings_text(run))
    return Mistake(id=info.id, title=info.title, seed=info.seed, why=info.why, **fields)


def _settings_text(run: Run) -> str:
    spec = run.training.spec
    return "; ".join(
        (spec.data.describe(), spec.split.describe(), spec.model.describe(), spec.train.describe())
    )


def _money(value: float) -> str:
    return f"{value:,.2f}"


def scaler_leak(wrong: Run, right: Run) -> Mistake:
    """Seed 003's scaler (fit on all days) beside one fit on the training days: the test
    RMSE in dollars of both, beside "tomorrow = today" on the same days."""
    info = INFO["scaler-leak"]
    persistence = right.persistence_rmse
    low, high = wrong.scaler_range
    train_low, train_high = right.training_range
    actual = right.predictions["actual"]
    outside = int(((actual > train_high) | (actual < train_low)).sum())
    facts = (
        f"Fit on all days, the scaler's 0 and 1 are {_money(low)} and {_money(high)}; fit on"
        f" the training days, {_money(train_low)} and {_money(train_high)}.",
        f"On {outside} of {len(actual)} test days the price is outside the training range:"
        " the leaky scaler told the model in advance how far the test prices go.",
        f"{_capital(PERSISTENCE_SHORT)} scores {_money(persistence)} on the same days.",
    )
    table = pd.DataFrame(
        {
            "RMSE": [wrong.rmse, right.rmse, persistence],
            "MAE": [wrong.mae, right.mae, mae(actual, right.predictions[PERSISTENCE])],
            "Skill vs persistence": [
                1 - wrong.rmse / persistence,
                1 - right.rmse / persistence,
                0.0,
            ],
        },
        index=[info.wrong_way, info.right_way, _capital(PERSISTENCE_SHORT)],
    )
    return _mistake(
        "scaler-leak",
        right,
        measured="Test RMSE in dollars",
        wrong=Figure(info.wrong_way, wrong.rmse, f"persistence {_money(persistence)}"),
        right=Figure(info.right_way, right.rmse, f"persistence {_money(persistence)}"),
        facts=facts,
        table=table,
        chart=Chart(
            "prices",
            "Test days: the two scalers' predictions",
            "Price",
            series={
                "Real": actual,
                "Scaler fit on all days": wrong.predictions["predicted"],
                "Scaler fit on training days": right.predictions["predicted"],
            },
        ),
    )


def rmse_formula(run: Run) -> Mistake:
    """Seed 003's formula on seed 003's own predictions (scaler fit on all days, as it
    did) beside the RMSE in dollars of the same predictions."""
    info = INFO["rmse-formula"]
    predictions = run.predictions["predicted"].to_numpy().reshape(-1, 1)
    y_test = run.scaled_truth.reshape(-1, 1)
    formula = seed_003_rmse(predictions, y_test)
    dollars = run.rmse
    facts = (
        f"The formula equals |mean(prediction − scaled truth)|: the mean predicted price"
        f" ({_money(float(predictions.mean()))}) minus the mean scaled truth"
        f" ({float(y_test.mean()):.2f}), whatever the model's error.",
        "So the tutorial's 295.53 (SimpleRNN) and 293.75 (LSTM) are about MSFT's average"
        " price on its test days, not errors: their order says nothing about the models.",
    )
    table = pd.DataFrame(
        {
            "Value": [
                formula,
                dollars,
                float(predictions.mean()),
                float(y_test.mean()),
                run.persistence_rmse,
            ]
        },
        index=[
            "Seed 003's formula",
            "RMSE in dollars (same predictions)",
            "Mean predicted price",
            "Mean of y_test (scaled 0–1)",
            f"{_capital(PERSISTENCE_SHORT)} RMSE",
        ],
    )
    return _mistake(
        "rmse-formula",
        run,
        measured="The figure reported",
        wrong=Figure(info.wrong_way, formula, "dollars minus 0–1 values"),
        right=Figure(info.right_way, dollars, "both in dollars"),
        facts=facts,
        table=table,
        chart=Chart(
            "bars",
            "The same predictions, two figures",
            "Dollars",
            bars={
                "Seed 003's formula": formula,
                "Mean predicted price": float(predictions.mean()),
                "RMSE in dollars": dollars,
                f"{_capital(PERSISTENCE_SHORT)} RMSE": run.persistence_rmse,
            },
        ),
    )


def window_builder(wrong: Run, right: Run) -> Mistake:
    """Seed 001's create_dataset windows beside the pipeline's: how many test days lose
    their prediction, and the RMSE on the days that remain."""
    info = INFO["window-builder"]
    total = len(right.test_days)
    kept = wrong.predictions.index
    lost = total - len(kept)
    first_lost = int(right.test_days.get_loc(kept[0]))
    last_lost = lost - first_lost
    same_days = right.predictions.loc[kept]
    right_on_same = rmse(same_days["actual"], same_days["predicted"])
    facts = (
        f"{lost} of {total:,} test days get no prediction: the first {first_lost} (the test"
        f" windows start {wrong.window} days into the test period) and the last"
        f" {last_lost} (range(len(dataset)-time_step-1) stops one window early).",
        f"Of the difference, {right_on_same - right.rmse:+,.2f} is the days scored (the right"
        f" way's model: {_money(right_on_same)} on seed 001's {len(kept):,} days,"
        f" {_money(right.rmse)} on all {total:,}) and {wrong.rmse - right_on_same:+,.2f} the"
        " model: one training window fewer changes every batch, so another model is trained.",
        f"{_capital(PERSISTENCE_SHORT)}: {_money(wrong.persistence_rmse)} on seed 001's days,"
        f" {_money(right.persistence_rmse)} on all of them.",
    )
    table = pd.DataFrame(
        {
            "Test days predicted": [len(kept), total, len(kept)],
            "Test days lost": [lost, 0, lost],
            "RMSE": [wrong.rmse, right.rmse, right_on_same],
            "Persistence RMSE": [
                wrong.persistence_rmse,
                right.persistence_rmse,
                wrong.persistence_rmse,
            ],
        },
        index=[info.wrong_way, info.right_way, "The right way, on seed 001's days only"],
    )
    spans = []
    if first_lost:
        spans.append((right.test_days[0], right.test_days[first_lost - 1], "no prediction"))
    if last_lost:
        spans.append((right.test_days[-last_lost], right.test_days[-1], "no prediction"))
    return _mistake(
        "window-builder",
        right,
        measured="Test RMSE in dollars",
        wrong=Figure(
            f"{info.wrong_way} ({len(kept):,} days)", wrong.rmse, f"{lost} test days lost"
        ),
        right=Figure(f"Every test day ({total:,} days)", right.rmse, "0 test days lost"),
        facts=facts,
        table=table,
        chart=Chart(
            "prices",
            f"{lost} test days without a prediction",
            "Price",
            series={
                "Real": right.predictions["actual"],
                "Seed 001's windows": wrong.predictions["predicted"],
                "Every test day": right.predictions["predicted"],
            },
            spans=tuple(spans),
        ),
    )


def validation_on_test_days(wrong: Run, right: Run) -> Mistake:
    """Early stopping that watches the test days (seed 001's validation data) beside one
    that watches the end of the training period: the test RMSE of the epoch each keeps."""
    info = INFO["test-validation"]
    wrong_epoch, right_epoch = wrong.kept_epoch, right.kept_epoch
    persistence = right.persistence_rmse
    facts = (
        f"Watching the test days, training kept epoch {wrong_epoch} of"
        f" {wrong.history.epochs_run}; watching the training period's last"
        f" {VALIDATION_FRACTION:.0%}, epoch {right_epoch} of {right.history.epochs_run}"
        f" (patience {PATIENCE}).",
        "Both trained on the same windows from the same seed: up to the first stop they are"
        " the same model, so the difference is which days chose the epoch.",
        f"{_capital(PERSISTENCE_SHORT)} scores {_money(persistence)} on the same days.",
    )
    table = pd.DataFrame(
        {
            "Epoch kept": [wrong_epoch, right_epoch],
            "Epochs run": [wrong.history.epochs_run, right.history.epochs_run],
            "Test RMSE": [wrong.rmse, right.rmse],
            "Persistence RMSE": [persistence, persistence],
        },
        index=[info.wrong_way, info.right_way],
    )
    series = {
        "Loss on the test days": pd.Series(
            wrong.history.val_loss, index=range(1, len(wrong.history.val_loss) + 1)
        ),
        "Loss on the training period's end": pd.Series(
            right.history.val_loss, index=range(1, len(right.history.val_loss) + 1)
        ),
    }
    return _mistake(
        "test-validation",
        right,
        measured="Test RMSE of the epoch kept",
        wrong=Figure(
            info.wrong_way, wrong.rmse, f"epoch {wrong_epoch} of {wrong.history.epochs_run} kept"
        ),
        right=Figure(
            info.right_way, right.rmse, f"epoch {right_epoch} of {right.history.epochs_run} kept"
        ),
        facts=facts,
        table=table,
        chart=Chart(
            "losses",
            "Validation loss: the epoch each keeps",
            "Validation loss (scaled MSE)",
            series=series,
            marks={
                "Loss on the test days": wrong_epoch,
                "Loss on the training period's end": right_epoch,
            },
        ),
    )


def one_run_verdict(runs: Sequence[Run]) -> Mistake:
    """LSTM against GRU at the DataCamp settings, seed by seed: the one run's verdict
    (the tutorial's seed, 455) beside the verdict over every seed, and how often it flips."""
    info = INFO["one-run-verdict"]
    by_seed: dict[int, dict[str, Run]] = {}
    for run in runs:
        spec = run.training.spec
        by_seed.setdefault(spec.train.seed, {})[spec.model.cell] = run
    seeds = sorted(by_seed)
    lstm = np.array([by_seed[s]["LSTM"].rmse for s in seeds])
    gru = np.array([by_seed[s]["GRU"].rmse for s in seeds])
    gaps = lstm - gru  # above 0: GRU better, the tutorial's verdict
    flips = int((gaps <= 0).sum())
    first = seeds[0]
    persistence = by_seed[first]["GRU"].persistence_rmse
    spread = float(gaps.std(ddof=1)) if len(gaps) > 1 else 0.0
    winner = "GRU" if gaps[0] > 0 else "LSTM"
    facts = (
        f'The verdict "GRU beats LSTM" flips on {flips} of {len(seeds)} seeds'
        f" ({', '.join(str(s) for s, g in zip(seeds, gaps, strict=True) if g <= 0) or 'none'}).",
        f"Seed {first}: LSTM {_money(lstm[0])}, GRU {_money(gru[0])}, so {winner} wins this"
        " run (the tutorial published LSTM 6.70, GRU 5.50).",
        f"Over {len(seeds)} seeds: LSTM {_money(lstm.mean())} ± {_money(_sd(lstm))}, GRU"
        f" {_money(gru.mean())} ± {_money(_sd(gru))} (mean ± sd);"
        f" {_capital(PERSISTENCE_SHORT)} {_money(persistence)}.",
    )
    table = pd.DataFrame(
        {
            "LSTM RMSE": lstm,
            "GRU RMSE": gru,
            "LSTM − GRU": gaps,
            "Better": ["GRU" if g > 0 else "LSTM" for g in gaps],
        },
        index=pd.Index([f"seed {s}" for s in seeds]),
    )
    spec = by_seed[first]["GRU"].training.spec
    settings = "; ".join(
        (
            spec.data.describe(),
            spec.split.describe(),
            f"{spec.model.describe()}, and the same with LSTM",
            spec.train.describe().replace(f"seed {first}", f"seeds {first}–{seeds[-1]}"),
        )
    )
    return _mistake(
        "one-run-verdict",
        by_seed[first]["GRU"],
        settings=settings,
        measured="LSTM − GRU above 0: GRU better",
        wrong=Figure(f"{info.wrong_way}: LSTM − GRU", float(gaps[0]), f"{winner} wins this run"),
        right=Figure(
            f"Mean over {len(seeds)} seeds: LSTM − GRU",
            float(gaps.mean()),
            f"± {_money(spread)} sd; flips on {flips} of {len(seeds)}",
        ),
        facts=facts,
        table=table,
        chart=Chart(
            "spread",
            "Test RMSE of each seed",
            "RMSE",
            groups={"LSTM": list(lstm), "GRU": list(gru)},
            line=persistence,
        ),
    )


def _sd(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _capital(text: str) -> str:
    index = next((i for i, c in enumerate(text) if c.isalpha()), 0)
    return text[:index] + text[index].upper() + text[index + 1 :]


JUDGES: dict[str, Callable[..., Mistake]] = {
    "scaler-leak": scaler_leak,
    "rmse-formula": rmse_formula,
    "window-builder": window_builder,
    "test-validation": validation_on_test_days,
}


def assess(measurement: Plan, runs: dict[str, Run]) -> list[Mistake]:
    """Each planned mistake judged from its trainings' runs (``runs`` by training key)."""
    judged = []
    for mistake, trainings in measurement.trainings.items():
        mine = [runs[training.key()] for training in trainings]
        if mistake == "one-run-verdict":
            judged.append(one_run_verdict(mine))
        else:
            judged.append(JUDGES[mistake](*mine))
    return judged


OnTraining = Callable[[int, int, Training], OnEpoch | None]


def run_plan(
    measurement: Plan, prices: pd.DataFrame, on_training: OnTraining | None = None
) -> dict[str, Run]:
    """Every training of a plan, here, one after another (by training key)."""
    trainings = measurement.unique()
    runs = {}
    for index, training in enumerate(trainings):
        on_epoch = on_training(index, len(trainings), training) if on_training else None
        runs[training.key()] = train(training, prices, on_epoch)
    return runs


def measure(
    prices: pd.DataFrame,
    data: DataSpec,
    mistakes: Iterable[str] = MISTAKES,
    *,
    epochs: int | None = None,
    seeds: int | None = None,
    tiny: bool | None = None,
    on_training: OnTraining | None = None,
) -> list[Mistake]:
    """Plan, train (here, one after another) and judge. ``on_training(index, count,
    training)`` may return a per-epoch callback for that training."""
    measurement = plan(prices, data, mistakes, epochs=epochs, seeds=seeds, tiny=tiny)
    return assess(measurement, run_plan(measurement, prices, on_training))


def _measure_one(mistake: str, prices: pd.DataFrame, data: DataSpec, **options) -> Mistake:
    return measure(prices, data, [mistake], **options)[0]


def measure_scaler_leak(prices: pd.DataFrame, data: DataSpec, **options) -> Mistake:
    return _measure_one("scaler-leak", prices, data, **options)


def measure_rmse_formula(prices: pd.DataFrame, data: DataSpec, **options) -> Mistake:
    return _measure_one("rmse-formula", prices, data, **options)


def measure_window_builder(prices: pd.DataFrame, data: DataSpec, **options) -> Mistake:
    return _measure_one("window-builder", prices, data, **options)


def measure_validation_on_test_days(prices: pd.DataFrame, data: DataSpec, **options) -> Mistake:
    return _measure_one("test-validation", prices, data, **options)


def measure_one_run_verdict(prices: pd.DataFrame, data: DataSpec, **options) -> Mistake:
    return _measure_one("one-run-verdict", prices, data, **options)


def report_lines(mistakes: Sequence[Mistake]) -> list[str]:
    """Each mistake as text: its two figures, their difference, the facts and why."""
    lines = []
    for number, mistake in enumerate(mistakes, 1):
        width = max(len(mistake.wrong.label), len(mistake.right.label), len("Difference"))
        lines += [
            f"{number}. {mistake.title} ({mistake.seed})",
            f"   Reproduces: {mistake.reproduces}",
            f"   Settings: {mistake.settings}",
            f"   {mistake.measured}:",
            f"     {mistake.wrong.label:<{width}}  {_money(mistake.wrong.value):>10}"
            f"   {mistake.wrong.detail}",
            f"     {mistake.right.label:<{width}}  {_money(mistake.right.value):>10}"
            f"   {mistake.right.detail}",
            f"     {'Difference':<{width}}  {mistake.difference:>+10,.2f}",
            *(f"   - {fact}" for fact in mistake.facts),
            f"   Why: {mistake.why}",
            "",
        ]
    return lines


# -- in the background (the web app) ----------------------------------------------------------


# A measurement is many trainings (13 minutes at full size): on a shared queue they go
# behind any training a student asks for meanwhile (rnnstock.jobs priorities).
MEASUREMENT_PRIORITY = -1


def submit_training(
    manager: JobManager, training: Training, *, prices: pd.DataFrame, label: str = ""
) -> Job:
    """Queue one training of a measurement on ``manager`` (rnnstock.jobs): its workers
    train it the tutorial's way or the right way (:func:`train`), with per-epoch progress
    and cancel as for any run. A job's ``result`` is a :class:`Run`."""
    return manager.submit(
        training.spec,
        prices=prices,
        label=label or training.label,
        work=functools.partial(train, training),
        priority=MEASUREMENT_PRIORITY,
    )
