"""The two naive baselines every model is compared with, computed and named once.

Persistence ("tomorrow = today") forecasts a day with the real price of the day
before; the moving average forecasts it with the mean real price of the window
the model sees. Neither learns anything, yet persistence is hard to beat: a
network that mostly learned to repeat today's price scores about the same.

Column names, labels and descriptions live here so that tables, charts and
pages all say the same thing; NumPy does the arithmetic, without Python loops.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rnnstock.windows import Split, Windows

# The column of a predictions table (and the field of evaluation.Scores) for each baseline.
PERSISTENCE = "persistence"
MOVING_AVERAGE = "moving_average"

# How tables and legends name them.
PERSISTENCE_LABEL = 'Persistence ("tomorrow = today")'
MOVING_AVERAGE_LABEL = "Moving average of the window"

# How sentences name them.
PERSISTENCE_SHORT = '"tomorrow = today"'
MOVING_AVERAGE_SHORT = "moving average"

PERSISTENCE_DESCRIPTION = (
    "Forecasts each day with the real price of the day before: no training, no parameters."
)
MOVING_AVERAGE_DESCRIPTION = (
    "Forecasts each day with the mean real price of the window the model sees."
)

LABELS = {PERSISTENCE: PERSISTENCE_LABEL, MOVING_AVERAGE: MOVING_AVERAGE_LABEL}


def persistence(split: Split) -> np.ndarray:
    """The persistence forecast of each test day: the real price of the day before."""
    return split.series.to_numpy()[split.train_stop - 1 : split.test_stop - 1]


def moving_average(windows: Windows) -> np.ndarray:
    """The moving-average forecast of each test day: the mean real price over the
    ``window`` days before it (the days the model's input window covers)."""
    return windows.test_window_means()


def carried_forward(values: np.ndarray, starts: np.ndarray, steps: int) -> np.ndarray:
    """Persistence ``steps`` days out from each start: the price of the day before it, held.

    ``values`` are the real prices and ``starts`` positions in them; the result has
    shape (starts, steps). ``starts = [len(values)]`` carries the last price forward.
    """
    held = np.asarray(values, dtype="float64")[np.asarray(starts, dtype="int64") - 1]
    return np.repeat(held[:, np.newaxis], steps, axis=1)
