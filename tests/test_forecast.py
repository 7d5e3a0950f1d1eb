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


class IdentityScaler:
    def transform(self, values):
        return np.asarray(values, dtype="float64")

    inverse_transform = transform


def _windows_on(values, train_stop, window=3):
    """Windows over a hand-made series (identity scaling) for backtest arithmetic."""
    from rnnstock.windows import Split, Windows

    series = pd.Series(
        values,
        index=pd.bdate_range("2020-01-01", periods=len(values)),
        name="Close",
        dtype="float64",
    )
    empty = np.empty((0, window, 1), dtype="float32")
    return Windows(
        split=Split(series, 0, train_stop, len(values)),
        window=window,
        scaler=IdentityScaler(),
        X_train=empty,
        y_train=empty[:, 0],
        X_val=empty,
        y_val=empty[:, 0],
        X_test=empty,
        y_test=empty[:, 0],
        train_dates=series.index[:0],
        test_dates=series.index[train_stop:],
    )


def test_a_backtest_starts_inside_the_test_period_and_compounds():
    from rnnstock.forecast import backtest, error_by_horizon

    values = np.arange(20, dtype="float64")  # rises by 1 a day
    windows = _windows_on(values, train_stop=10)
    paths = backtest(ShiftModel(), windows, steps=4, count=3)
    assert sorted(paths["start"].unique()) == list(windows.split.series.index[[10, 13, 16]])
    first = paths[paths["start"] == paths["start"].min()]
    # From day 10 the model knows day 9 (= 9) and adds 0.01 per step; persistence holds 9.
    np.testing.assert_allclose(first["forecast"], [9.01, 9.02, 9.03, 9.04], rtol=1e-5)
    np.testing.assert_allclose(first["actual"], [10, 11, 12, 13])
    assert first["persistence"].eq(9).all()
    errors = error_by_horizon(paths)
    assert list(errors.index) == [1, 2, 3, 4]
    assert errors["model"].is_monotonic_increasing  # errors compound with each step
    np.testing.assert_allclose(errors["persistence"], [1, 2, 3, 4])


def test_a_backtest_longer_than_the_test_period_is_refused():
    from rnnstock.forecast import backtest

    windows = _windows_on(np.arange(20.0), train_stop=17)
    with pytest.raises(ValueError, match="fewer than the 5 days"):
        backtest(ShiftModel(), windows, steps=5)
