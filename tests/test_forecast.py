import numpy as np
import pandas as pd
import pytest

from rnnstock.forecast import forecast_future, future_business_days, roll_forward


class ShiftModel:
    """A stand-in model that predicts last value + 0.01: easy to follow by hand."""

    def __call__(self, inputs, training=False):
        return np.asarray(inputs)[:, -1, :] + 0.01


def test_roll_forward_feeds_each_prediction_back():
    contexts = np.array([[0.1, 0.2, 0.3], [0.5, 0.5, 0.5]])
    out = roll_forward(ShiftModel(), contexts, steps=3)
    np.testing.assert_allclose(out, [[0.31, 0.32, 0.33], [0.51, 0.52, 0.53]], rtol=1e-5)


def test_future_days_skip_weekends():
    days = future_business_days(pd.Timestamp("2021-10-08"), 3)  # a Friday
    assert list(days.strftime("%a %d")) == ["Mon 11", "Tue 12", "Wed 13"]


def test_forecast_after_the_last_day_of_a_real_run(prices):
    from rnnstock.experiment import run_experiment
    from tests.test_experiment import TINY

    result = run_experiment(TINY, prices=prices)
    future = forecast_future(result.model, result.windows, 7)
    assert len(future) == 7
    assert future.index[0] > prices.index[-1]
    assert (future.index.day_of_week < 5).all()
    assert np.isfinite(future["forecast"]).all()
    assert future["persistence"].eq(prices["Close"].iloc[-1]).all()


def test_zero_steps_is_refused():
    with pytest.raises(ValueError, match="at least 1 day"):
        roll_forward(ShiftModel(), np.zeros((1, 3)), 0)
