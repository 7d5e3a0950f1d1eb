"""Metrics in price units, and the naive baselines every model must be compared with.

A network that predicts tomorrow's price from the last 60 days mostly learns
to repeat today's price. So beside each model's score stand two forecasts
that need no training: "tomorrow = today" (persistence) and the mean of the
window (moving average). Skill = 1 − RMSE / persistence RMSE: above 0 the
model beat persistence, below 0 it did worse.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from rnnstock.baselines import MOVING_AVERAGE_LABEL, PERSISTENCE_LABEL, PERSISTENCE_SHORT

# scikit-learn's metrics are imported where they are used: it takes about a second to
# load, and the pages import this module for its labels before anything is scored.

DIRECTION_NOTE = (
    "Direction %: how often the predicted move from the day before had the real move's"
    " sign. Persistence predicts no move at all, so it scores close to 0 there."
)

METRIC_LABELS = {
    "rmse": "RMSE",
    "mae": "MAE",
    "mape": "MAPE %",
    "r2": "R²",
    "directional_accuracy": "Direction %",
}


def rmse(actual, predicted) -> float:
    from sklearn.metrics import root_mean_squared_error

    return float(root_mean_squared_error(actual, predicted))


def mae(actual, predicted) -> float:
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(actual, predicted))


def mape(actual, predicted) -> float:
    """Mean absolute percentage error, in percent."""
    from sklearn.metrics import mean_absolute_percentage_error

    return float(mean_absolute_percentage_error(actual, predicted) * 100)


def r2(actual, predicted) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(actual, predicted))


def directional_accuracy(actual, predicted, previous) -> float:
    """Percent of days where the predicted move from the day before has the real move's sign.

    A forecast of "no change" counts as right only on days the price did not move,
    so persistence scores close to 0 here: it never calls a direction.
    """
    actual, predicted, previous = (
        np.asarray(a, dtype="float64") for a in (actual, predicted, previous)
    )
    return float(np.mean(np.sign(predicted - previous) == np.sign(actual - previous)) * 100)


@dataclass(frozen=True)
class Metrics:
    rmse: float
    mae: float
    mape: float
    r2: float
    directional_accuracy: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def score(actual, predicted, previous) -> Metrics:
    """All metrics for one forecast of the test days."""
    return Metrics(
        rmse=rmse(actual, predicted),
        mae=mae(actual, predicted),
        mape=mape(actual, predicted),
        r2=r2(actual, predicted),
        directional_accuracy=directional_accuracy(actual, predicted, previous),
    )


def skill(model_rmse: float, persistence_rmse: float) -> float:
    """1 − model RMSE / persistence RMSE: above 0 the model beat "tomorrow = today"
    (NaN, a model that scored nothing, did not)."""
    return 1.0 - model_rmse / persistence_rmse if persistence_rmse else 0.0


@dataclass(frozen=True)
class Scores:
    """The model's metrics beside both baselines', on the same test days."""

    model: Metrics
    persistence: Metrics
    moving_average: Metrics

    @property
    def skill(self) -> float:
        return skill(self.model.rmse, self.persistence.rmse)

    @property
    def persistence_rmse(self) -> float:
        return self.persistence.rmse

    def table(self) -> pd.DataFrame:
        """Rows: model and baselines; columns: metric labels."""
        rows = {}
        for name, metrics in (
            ("Model", self.model),
            (PERSISTENCE_LABEL, self.persistence),
            (MOVING_AVERAGE_LABEL, self.moving_average),
        ):
            rows[name] = {METRIC_LABELS[k]: v for k, v in metrics.as_dict().items()}
        return pd.DataFrame.from_dict(rows, orient="index")

    def verdict(self) -> str:
        """One plain sentence a teacher can read out."""
        difference = self.persistence.rmse - self.model.rmse
        beat, gap, side = ("beat", difference, "lower")
        if not self.skill > 0:  # NaN too: a model that scored nothing did not beat it
            beat, gap, side = ("did not beat", -difference, "higher")
        return (
            f"The model {beat} {PERSISTENCE_SHORT}: its RMSE is {self.model.rmse:.2f},"
            f" {gap:.2f} {side} than persistence's {self.persistence.rmse:.2f}"
            f" ({self.skill:.0%} skill)."
        )


def evaluate(actual, predicted, previous, window_mean) -> Scores:
    """Score a model's predictions and both baselines against the real prices.

    ``previous`` is the real price the day before each test day (the
    persistence forecast) and ``window_mean`` the mean of each day's window.
    """
    return Scores(
        model=score(actual, predicted, previous),
        persistence=score(actual, previous, previous),
        moving_average=score(actual, window_mean, previous),
    )
