"""Split a price history, scale it on the training part only, cut sliding windows.

Each input window holds ``window`` consecutive scaled prices and its label
is the price of the next day. The test windows take their context from
the ``window`` days just before each test day, so the first test day is
predicted from the last days of training, as in the DataCamp tutorial, and
every test day gets a prediction.

A split that learns from changes (``SplitSpec.learn_from``: ``"change"`` or
``"log_return"``) windows each day's change from the day before instead of the
price, and labels each window with the next day's change; :meth:`Windows.to_prices`
adds a predicted change back to the real price of the day before, so every
score is in prices. The first day has no change, so such a split needs one day
more of history before its first window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from rnnstock.settings import MIN_TEST_DAYS
from rnnstock.specs import SplitSpec

if TYPE_CHECKING:
    from sklearn.preprocessing import MinMaxScaler


@dataclass(frozen=True)
class Split:
    """Row positions of the training and test periods in the full series."""

    series: pd.Series  # the whole target column, ascending dates
    train_start: int
    train_stop: int  # exclusive; the test period starts here
    test_stop: int  # exclusive

    @property
    def train(self) -> pd.Series:
        return self.series.iloc[self.train_start : self.train_stop]

    @property
    def test(self) -> pd.Series:
        return self.series.iloc[self.train_stop : self.test_stop]

    def train_windows(self, window: int, learn_from: str = "price") -> int:
        """Training windows of ``window`` days (each labelled with the day after it); a
        model that learns changes has one fewer (the first day has no change)."""
        return max(0, self.train_stop - self.train_start - window - first_change(learn_from))


@dataclass(frozen=True)
class Windows:
    """Model-ready arrays with the dates and scaler to map them back to prices.

    Arrays are float32 with shape (samples, window, 1) for inputs and
    (samples, 1) for labels. ``X_val``/``y_val`` are the last windows of
    the training period held out for validation (empty when none).
    """

    split: Split
    window: int
    scaler: MinMaxScaler
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    train_dates: pd.DatetimeIndex  # the day each training label belongs to (fit + validation)
    test_dates: pd.DatetimeIndex
    learn_from: str = "price"  # settings.LEARN_FROM: what the windows and labels hold

    @property
    def target(self) -> str:
        return str(self.split.series.name)

    @property
    def n_train(self) -> int:
        """Training windows, validation windows included."""
        return self.split.train_windows(self.window, self.learn_from)

    @property
    def learns_changes(self) -> bool:
        return self.learn_from != "price"

    @property
    def prices_needed(self) -> int:
        """Real prices one input window is made of: ``window``, or one more for changes."""
        return self.window + first_change(self.learn_from)

    def unscale(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled values (any shape) in the units the model learns: prices or changes."""
        values = np.asarray(scaled, dtype="float64")
        return self.scaler.inverse_transform(values.reshape(-1, 1)).reshape(values.shape)

    def to_prices(self, scaled: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
        """The model's (scaled) outputs as prices.

        When the model learns changes, ``previous`` is the real price of the day
        before each output (``test_previous()``, ``train_previous()``), which the
        predicted change is added to.
        """
        values = self.unscale(scaled)
        if not self.learns_changes:
            return values
        if previous is None:
            raise ValueError("A change is a price only beside the price of the day before.")
        return apply_changes(np.asarray(previous, dtype="float64"), values, self.learn_from)

    def path_prices(self, scaled: np.ndarray, last_price: float | np.ndarray) -> np.ndarray:
        """Outputs fed back one after another (a forecast, shape (..., steps)) as prices:
        each change is added to the price the one before it reached."""
        values = self.unscale(scaled)
        if not self.learns_changes:
            return values
        last = np.asarray(last_price, dtype="float64")[..., np.newaxis]
        if self.learn_from == "log_return":
            return last * np.exp(np.cumsum(values, axis=-1))
        return last + np.cumsum(values, axis=-1)

    def to_scaled(self, values: np.ndarray) -> np.ndarray:
        """Values in the model's units (prices or changes) scaled as it learned them."""
        values = np.asarray(values, dtype="float64")
        return self.scaler.transform(values.reshape(-1, 1)).reshape(values.shape)

    def context(self, prices: np.ndarray) -> np.ndarray:
        """The scaled window that real ``prices`` (oldest first) make for the day after them:
        their last ``window`` values, or changes (which need one price more)."""
        prices = np.asarray(prices, dtype="float64")
        need = self.prices_needed
        if prices.shape[-1] < need:
            raise ValueError(f"A window needs the last {need} prices; only {prices.shape[-1]}.")
        values = changes(prices[..., -need:], self.learn_from)
        return self.to_scaled(values[..., -self.window :])

    def test_previous(self) -> np.ndarray:
        """The real price on the day before each test day."""
        split = self.split
        return split.series.iloc[split.train_stop - 1 : split.test_stop - 1].to_numpy()

    def train_previous(self) -> np.ndarray:
        """The real price on the day before each training label (``train_dates``)."""
        series = self.split.series
        stop = self.split.train_stop - 1
        return series.iloc[stop - len(self.train_dates) : stop].to_numpy()

    def test_window_means(self) -> np.ndarray:
        """The mean real price over each test day's window (the moving-average baseline)."""
        split = self.split
        prices = split.series.to_numpy()[split.train_stop - self.window : split.test_stop - 1]
        return sliding_window_view(prices, self.window).mean(axis=1)

    @property
    def actual_test(self) -> pd.Series:
        return self.split.test


def first_change(learn_from: str) -> int:
    """Days before the first value a model sees: 1 when it learns changes (the first
    day has none), 0 for prices."""
    return 0 if learn_from == "price" else 1


def changes(prices: np.ndarray, learn_from: str) -> np.ndarray:
    """What a model that learns ``learn_from`` sees of ``prices`` (along the last axis):
    the prices, or each day's change from the day before (one value fewer)."""
    prices = np.asarray(prices, dtype="float64")
    if learn_from == "price":
        return prices
    if learn_from == "log_return":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.diff(np.log(prices), axis=-1)
    return np.diff(prices, axis=-1)


def apply_changes(previous: np.ndarray, values: np.ndarray, learn_from: str) -> np.ndarray:
    """The prices that ``values`` (changes the model predicts) make from ``previous``."""
    if learn_from == "log_return":
        return previous * np.exp(values)
    return previous + values


def split_series(prices: pd.DataFrame, spec: SplitSpec) -> Split:
    """Find the training and test periods of ``spec.target`` in ``prices``."""
    if spec.target not in prices.columns:
        available = ", ".join(c for c in prices.columns if c != "Volume")
        raise ValueError(
            f"The data has no '{spec.target}' column to predict. Choose one of: {available}."
        )
    series = prices[spec.target].astype("float64")
    dates = series.index
    if spec.mode == "dates":
        train_start = 0
        if spec.train_start:
            train_start = int(dates.searchsorted(pd.Timestamp(spec.train_start), side="left"))
        train_stop = int(dates.searchsorted(pd.Timestamp(spec.train_end), side="right"))
    else:
        train_start = 0
        train_stop = int(len(series) * spec.train_fraction)
    test_stop = len(series)
    if spec.test_end:
        test_stop = int(dates.searchsorted(pd.Timestamp(spec.test_end), side="right"))
    first, last = dates[0].date(), dates[-1].date()
    if train_stop <= train_start:
        raise ValueError(
            f"No training days: the data runs from {first} to {last}, outside the training"
            f" period {spec.train_start or first} to {spec.train_end}. Move the split."
        )
    if test_stop <= train_stop:
        raise ValueError(
            f"The split leaves no test days: the data ends on {last} and training runs until"
            f" {dates[train_stop - 1].date()}. Choose an earlier training end."
        )
    if test_stop - train_stop < MIN_TEST_DAYS:
        raise ValueError(
            f"The split leaves only {test_stop - train_stop} test day(s), from"
            f" {dates[train_stop].date()} to {dates[test_stop - 1].date()}: scores need at"
            f" least {MIN_TEST_DAYS}. Choose an earlier training end."
        )
    return Split(series, train_start, train_stop, test_stop)


def windowed_split(prices: pd.DataFrame, spec: SplitSpec) -> Split:
    """``split_series``, checked that windows of ``spec.window`` days can be cut from it.

    What the pages call to validate a split and count its windows: no scaling,
    so they never wait for scikit-learn. A ``ValueError`` says what to change.
    """
    split = split_series(prices, spec)
    window = spec.window
    # Learning changes, the first day of training has none: one day fewer to window.
    extra = first_change(spec.learn_from)
    n_train_days = split.train_stop - split.train_start - extra
    if n_train_days <= window:
        unit = "days" if not extra else "daily changes"
        raise ValueError(
            f"The window ({window} days) is as long as the training data or longer"
            f" ({n_train_days} {unit}), so there is nothing to learn from. Use a window"
            f" shorter than {n_train_days} days or train on a longer period."
        )
    if split.train_stop < window + extra:
        raise ValueError(
            f"The first test day needs {window + extra} days of history before it, but only"
            f" {split.train_stop} exist. Shorten the window or move the split later."
        )
    if extra:
        used = split.series.iloc[split.train_start : split.test_stop]
        if (used <= 0).any() and spec.learn_from == "log_return":
            day = used[used <= 0].index[0].date()
            raise ValueError(
                f"The '{spec.target}' price on {day} is zero or negative: a log return needs"
                " positive prices. Learn from daily changes instead."
            )
    if split.series.iloc[split.train_start : split.test_stop].isna().any():
        missing = split.series.iloc[split.train_start : split.test_stop]
        day = missing[missing.isna()].index[0].date()
        raise ValueError(f"The '{spec.target}' column has no value on {day}.")
    return split


def make_windows(
    prices: pd.DataFrame, spec: SplitSpec, *, validation_fraction: float = 0.0
) -> Windows:
    """Split, scale (fit on training days only) and cut windows, with no Python loops."""
    split = windowed_split(prices, spec)
    window = spec.window

    # Imported here: scikit-learn (and SciPy behind it) take most of a second to load,
    # and the Data page's price chart should not wait for them.
    from sklearn.preprocessing import MinMaxScaler

    # What the model sees: prices, or changes (day i's change is from day i - 1 to day i;
    # day 0 has none), and the first training day that has one.
    learn_from = spec.learn_from
    values = split.series.to_numpy()
    first = split.train_start + first_change(learn_from)
    if learn_from != "price":
        values = np.concatenate([[np.nan], changes(values, learn_from)])
    scaler = MinMaxScaler(feature_range=(0, 1))
    scaler.fit(values[first : split.train_stop].reshape(-1, 1))
    scaled = scaler.transform(values.reshape(-1, 1))[:, 0].astype("float32")

    # Training: windows inside the training period, label = the next day.
    train_scaled = scaled[first : split.train_stop]
    X_train = sliding_window_view(train_scaled[:-1], window)
    y_train = train_scaled[window:]
    train_dates = split.series.index[first + window : split.train_stop]

    # Test: each test day's window is the `window` days right before it.
    context = scaled[split.train_stop - window : split.test_stop - 1]
    X_test = sliding_window_view(context, window)
    y_test = scaled[split.train_stop : split.test_stop]
    test_dates = split.series.index[split.train_stop : split.test_stop]

    n_val = round(len(X_train) * validation_fraction)
    if validation_fraction > 0 and not 1 <= n_val < len(X_train):
        raise ValueError(
            f"A validation fraction of {validation_fraction:g} leaves no windows to"
            f" {'validate on' if n_val < 1 else 'train on'} ({len(X_train)} training windows)."
        )
    n_fit = len(X_train) - n_val
    return Windows(
        split=split,
        window=window,
        scaler=scaler,
        X_train=_as_input(X_train[:n_fit]),
        y_train=y_train[:n_fit].reshape(-1, 1),
        X_val=_as_input(X_train[n_fit:]),
        y_val=y_train[n_fit:].reshape(-1, 1),
        X_test=_as_input(X_test),
        y_test=y_test.reshape(-1, 1),
        train_dates=train_dates,
        test_dates=test_dates,
        learn_from=learn_from,
    )


def _as_input(windows: np.ndarray) -> np.ndarray:
    """(samples, window) -> contiguous float32 (samples, window, 1) for Keras."""
    return np.ascontiguousarray(windows, dtype="float32")[..., np.newaxis]
