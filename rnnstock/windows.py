"""Split a price history, scale it on the training part only, cut sliding windows.

Each input window holds ``window`` consecutive scaled prices and its label
is the price of the next day. The test windows take their context from
the ``window`` days just before each test day, so the first test day is
predicted from the last days of training, as in the DataCamp tutorial, and
every test day gets a prediction.
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

    def train_windows(self, window: int) -> int:
        """Training windows of ``window`` days (each labelled with the day after it)."""
        return max(0, self.train_stop - self.train_start - window)


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

    @property
    def target(self) -> str:
        return str(self.split.series.name)

    @property
    def n_train(self) -> int:
        """Training windows, validation windows included."""
        return self.split.train_windows(self.window)

    def to_prices(self, scaled: np.ndarray) -> np.ndarray:
        """Map scaled values (any shape) back to prices."""
        values = np.asarray(scaled, dtype="float64")
        return self.scaler.inverse_transform(values.reshape(-1, 1)).reshape(values.shape)

    def to_scaled(self, prices: np.ndarray) -> np.ndarray:
        values = np.asarray(prices, dtype="float64")
        return self.scaler.transform(values.reshape(-1, 1)).reshape(values.shape)

    def test_previous(self) -> np.ndarray:
        """The real price on the day before each test day (last value of each window)."""
        split = self.split
        return split.series.iloc[split.train_stop - 1 : split.test_stop - 1].to_numpy()

    def test_window_means(self) -> np.ndarray:
        """The mean real price over each test day's window (the moving-average baseline)."""
        return self.to_prices(self.X_test[:, :, 0]).mean(axis=1)

    @property
    def actual_test(self) -> pd.Series:
        return self.split.test


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
    n_train_days = split.train_stop - split.train_start
    if n_train_days <= window:
        raise ValueError(
            f"The window ({window} days) is as long as the training data or longer"
            f" ({n_train_days} days), so there is nothing to learn from. Use a window"
            f" shorter than {n_train_days} days or train on a longer period."
        )
    if split.train_stop < window:
        raise ValueError(
            f"The first test day needs {window} days of history before it, but only"
            f" {split.train_stop} exist. Shorten the window or move the split later."
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

    scaler = MinMaxScaler(feature_range=(0, 1))
    scaler.fit(split.train.to_numpy().reshape(-1, 1))
    scaled = scaler.transform(split.series.to_numpy().reshape(-1, 1))[:, 0].astype("float32")

    # Training: windows inside the training period, label = the next day.
    train_scaled = scaled[split.train_start : split.train_stop]
    X_train = sliding_window_view(train_scaled[:-1], window)
    y_train = train_scaled[window:]
    train_dates = split.series.index[split.train_start + window : split.train_stop]

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
    )


def _as_input(windows: np.ndarray) -> np.ndarray:
    """(samples, window) -> contiguous float32 (samples, window, 1) for Keras."""
    return np.ascontiguousarray(windows, dtype="float32")[..., np.newaxis]
