"""Recursive forecasts past the last known day.

The model only ever learned to predict one day ahead. To go N days out,
each prediction is appended to the window and fed back in, so errors
compound with every step: the further out, the less it means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rnnstock.baselines import PERSISTENCE, carried_forward
from rnnstock.settings import check

if TYPE_CHECKING:
    import keras

    from rnnstock.windows import Windows


def roll_forward(model: keras.Model, contexts: np.ndarray, steps: int) -> np.ndarray:
    """Predict ``steps`` values after each scaled context, feeding predictions back.

    ``contexts`` has shape (starts, window); the result (starts, steps). All
    starting points advance together, one batched model call per step.
    """
    if steps < 1:
        raise ValueError("Forecast at least 1 day ahead.")
    current = np.array(contexts, dtype="float32", copy=True)
    if current.ndim != 2:
        raise ValueError("Contexts must have shape (starts, window).")
    predictions = np.empty((len(current), steps), dtype="float32")
    for step in range(steps):
        next_values = np.asarray(model(current[..., np.newaxis], training=False))[:, 0]
        predictions[:, step] = next_values
        current = np.concatenate([current[:, 1:], next_values[:, np.newaxis]], axis=1)
    return predictions


def future_business_days(last_day: pd.Timestamp, steps: int) -> pd.DatetimeIndex:
    """The ``steps`` business days (Mon–Fri) after ``last_day``; holidays are not known."""
    return pd.bdate_range(last_day + pd.offsets.BDay(1), periods=steps, name="Date")


def forecast_future(model: keras.Model, windows: Windows, steps: int) -> pd.DataFrame:
    """Forecast ``steps`` business days after the last day of the data.

    Columns: ``forecast`` (the model, recursive) and ``persistence`` (the
    last real price repeated: "tomorrow = today" carried forward).
    """
    check("forecast_days", steps)  # a bound, so one request cannot keep the server busy
    series = windows.split.series.dropna()
    prices = series.to_numpy()
    context = windows.context(prices)  # says how many days a window needs if too few
    scaled = roll_forward(model, context[np.newaxis, :], steps)[0]
    dates = future_business_days(series.index[-1], steps)
    held = carried_forward(prices, [len(series)], steps)[0]
    forecast = windows.path_prices(scaled, prices[-1])
    return pd.DataFrame({"forecast": forecast, PERSISTENCE: held}, index=dates)


def backtest_starts(windows: Windows, steps: int, count: int) -> np.ndarray:
    """Up to ``count`` evenly spaced test-period positions with ``steps`` real days after them."""
    check("forecast_days", steps)
    split = windows.split
    last = split.test_stop - steps  # the last start whose whole path has real prices
    if last < split.train_stop or split.train_stop < windows.prices_needed:
        raise ValueError(
            f"The test period has {split.test_stop - split.train_stop} days, fewer than the"
            f" {steps} days to forecast; shorten the forecast or move the split earlier."
        )
    return np.unique(np.linspace(split.train_stop, last, num=max(1, count)).round().astype(int))


def backtest(model: keras.Model, windows: Windows, steps: int, count: int = 8) -> pd.DataFrame:
    """The same recursive forecast, started on past test days where the truth is known.

    One row per (start, horizon): the start date, the forecast date, the
    real price, the model's recursive forecast and persistence (the price of
    the day before the start, carried forward). Shows how errors compound.
    """
    starts = backtest_starts(windows, steps, count)
    series = windows.split.series
    values = series.to_numpy()
    need = windows.prices_needed  # a change needs the day before too
    contexts = windows.context(np.stack([values[start - need : start] for start in starts]))
    forecasts = windows.path_prices(roll_forward(model, contexts, steps), values[starts - 1])
    held = carried_forward(values, starts, steps)
    horizon = np.arange(1, steps + 1)
    frames = [
        pd.DataFrame(
            {
                "start": series.index[start],
                "date": series.index[start : start + steps],
                "horizon": horizon,
                "actual": values[start : start + steps],
                "forecast": forecasts[row],
                PERSISTENCE: held[row],
            }
        )
        for row, start in enumerate(starts)
    ]
    return pd.concat(frames, ignore_index=True)


def error_by_horizon(paths: pd.DataFrame) -> pd.DataFrame:
    """RMSE over all backtest starts at each horizon, for the model and for persistence."""
    squared = paths[["forecast", PERSISTENCE]].sub(paths["actual"], axis=0) ** 2
    squared = squared.rename(columns={"forecast": "model"})
    return np.sqrt(squared.groupby(paths["horizon"]).mean())
