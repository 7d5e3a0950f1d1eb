"""Changes instead of prices (issue 15): a model that learns each day's change (or log
return) never sees the price level, and is still scored in prices beside "tomorrow = today"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnstock.baselines import PERSISTENCE
from rnnstock.experiment import run_experiment
from rnnstock.forecast import backtest, forecast_future
from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from rnnstock.windows import make_windows, windowed_split

LEARNS = ["change", "log_return"]


def split(learn_from: str, window: int = 5, **changes) -> SplitSpec:
    return SplitSpec(
        target="Close", window=window, train_fraction=0.8, learn_from=learn_from, **changes
    )


@pytest.mark.parametrize("learn_from", LEARNS)
def test_the_windows_hold_changes_and_their_labels_map_back_to_the_real_prices(prices, learn_from):
    windows = make_windows(prices, split(learn_from))
    close = prices["Close"].to_numpy()
    step = np.diff(np.log(close)) if learn_from == "log_return" else np.diff(close)
    n_train = int(len(close) * 0.8)
    # The last value of the first test window is the change into the last training day.
    assert windows.unscale(windows.X_test[0, -1, 0]) == pytest.approx(step[n_train - 2], abs=1e-5)
    # The scaler saw the training days' changes only.
    assert windows.scaler.data_max_[0] == pytest.approx(step[: n_train - 1].max())
    # Labels are changes; with the day before they are the real prices again, on the test
    # days and on the training days.
    np.testing.assert_allclose(
        windows.to_prices(windows.y_test[:, 0], windows.test_previous()),
        prices["Close"].iloc[n_train:],
        rtol=1e-5,
    )
    fit_and_val = np.concatenate([windows.y_train[:, 0], windows.y_val[:, 0]])
    np.testing.assert_allclose(
        windows.to_prices(fit_and_val, windows.train_previous()),
        prices["Close"].loc[windows.train_dates],
        rtol=1e-5,
    )
    assert len(windows.train_dates) == n_train - 1 - 5  # the first day has no change


def test_a_predicted_change_of_zero_is_tomorrow_equals_today(prices):
    windows = make_windows(prices, split("change"))
    zero = windows.to_scaled(np.zeros(len(windows.test_dates)))
    np.testing.assert_allclose(
        windows.to_prices(zero, windows.test_previous()), windows.test_previous()
    )
    with pytest.raises(ValueError, match="beside the price of the day before"):
        windows.to_prices(zero)


@pytest.mark.parametrize("learn_from", LEARNS)
def test_a_run_that_learns_changes_is_scored_in_prices(prices, learn_from):
    spec = ExperimentSpec(
        data=DataSpec("csv", "in-memory"),
        split=split(learn_from, window=10),
        model=ModelSpec(cell="GRU", units=(4,)),
        train=TrainSpec(optimizer="adam", epochs=2, batch_size=32, seed=5),
    )
    result = run_experiment(spec, prices=prices)
    predictions = result.predictions
    assert predictions.index.equals(prices.index[int(len(prices) * 0.8) :])
    # Every prediction is the day before's price plus a change the size of daily moves,
    # so it sits next to "tomorrow = today", never at the 0-1 or change scale.
    moves = prices["Close"].diff().abs().max()
    gap = (predictions["predicted"] - predictions[PERSISTENCE]).abs()
    assert np.isfinite(predictions["predicted"]).all() and gap.max() < 3 * moves
    assert result.scores.persistence.rmse == pytest.approx(
        np.sqrt(np.mean((predictions["actual"] - predictions[PERSISTENCE]) ** 2))
    )
    assert len(result.train_fit) == result.windows.n_train
    # Forecasts past the last day and backtests add the changes up from a real price.
    future = forecast_future(result.model, result.windows, 5)
    assert np.isfinite(future["forecast"]).all()
    assert abs(future["forecast"].iloc[0] - prices["Close"].iloc[-1]) < 3 * moves
    paths = backtest(result.model, result.windows, 5, count=3)
    first = paths[paths["horizon"] == 1]
    starts = prices.index.get_indexer(first["date"])
    assert (first["forecast"] - prices["Close"].to_numpy()[starts - 1]).abs().max() < 3 * moves


def test_path_prices_add_the_changes_up():
    windows = make_windows(
        pd.DataFrame(
            {"Close": np.linspace(100, 160, 80)}, index=pd.bdate_range("2020-01-01", periods=80)
        ),
        split("change"),
    )
    steps = windows.to_scaled(np.array([1.0, 2.0, -0.5]))
    np.testing.assert_allclose(windows.path_prices(steps, 100.0), [101, 103, 102.5])


def test_a_window_of_changes_needs_one_day_more(prices):
    short = prices.iloc[:50]  # 40 training days: 39 daily changes
    windowed_split(short, split("price", window=39))
    with pytest.raises(ValueError, match=r"\(39 daily changes\)"):
        windowed_split(short, split("change", window=39))


def test_log_returns_need_positive_prices(prices):
    broken = prices.copy()
    broken.iloc[3, broken.columns.get_loc("Close")] = 0.0
    with pytest.raises(ValueError, match="zero or negative: a log return needs positive"):
        windowed_split(broken, split("log_return"))
    windowed_split(broken, split("change"))  # a change from or to 0 is still a number


def test_what_the_model_learns_from_is_a_setting_with_a_message():
    with pytest.raises(ValueError, match=r"from .differences. is not one of: price, change"):
        split("differences")
    assert "Daily changes" in split("change").describe()
    assert split("price").describe() == "first 80% train, rest test; window 5"
