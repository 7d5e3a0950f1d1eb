"""Recursive forecasts past the last known day.

The model only ever learned to predict one day ahead. To go N days out,
each prediction is appended to the window and fed back in, so errors
compound with every step: the further out, the less it means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

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
    series = windows.split.series.dropna()
    if len(series) < windows.window:
        raise ValueError(
            f"A forecast needs the last {windows.window} days of prices;"
            f" the data has {len(series)}."
        )
    context = windows.to_scaled(series.to_numpy()[-windows.window :])
    scaled = roll_forward(model, context[np.newaxis, :], steps)[0]
    dates = future_business_days(series.index[-1], steps)
    return pd.DataFrame(
        {"forecast": windows.to_prices(scaled), "persistence": float(series.iloc[-1])},
        index=dates,
    )
