import numpy as np
import pandas as pd

from rnnstock.baselines import (
    LABELS,
    MOVING_AVERAGE,
    MOVING_AVERAGE_LABEL,
    PERSISTENCE,
    PERSISTENCE_LABEL,
    PERSISTENCE_SHORT,
    carried_forward,
    moving_average,
    persistence,
)
from rnnstock.specs import SplitSpec
from rnnstock.windows import Split, make_windows


def test_persistence_is_the_day_before_each_test_day():
    series = pd.Series(
        [10.0, 11.0, 13.0, 12.0, 15.0, 14.0],
        index=pd.bdate_range("2021-01-04", periods=6),
        name="Close",
    )
    split = Split(series, train_start=0, train_stop=3, test_stop=6)
    np.testing.assert_array_equal(persistence(split), [13.0, 12.0, 15.0])
    # The same as shifting the prices by a day, on the test days.
    np.testing.assert_array_equal(persistence(split), series.shift(1).iloc[3:6])


def test_a_test_period_that_stops_early_ends_its_persistence_there():
    series = pd.Series(np.arange(10.0), index=pd.bdate_range("2021-01-04", periods=10))
    split = Split(series, train_start=2, train_stop=5, test_stop=8)
    np.testing.assert_array_equal(persistence(split), [4.0, 5.0, 6.0])


def test_the_moving_average_is_the_mean_of_each_test_window(prices):
    windows = make_windows(prices, SplitSpec(target="Close", window=10, train_fraction=0.8))
    close = prices["Close"]
    expected = close.rolling(10).mean().shift(1).iloc[windows.split.train_stop :]
    # The model's windows are float32 on the 0..1 scale: equal to a few parts in 10 million.
    np.testing.assert_allclose(moving_average(windows), expected, rtol=1e-6)
    assert len(moving_average(windows)) == len(windows.test_dates)


def test_carried_forward_holds_the_day_before_each_start():
    values = np.array([5.0, 6.0, 7.0, 8.0, 9.0])
    np.testing.assert_array_equal(
        carried_forward(values, np.array([2, 4]), 3), [[6.0, 6.0, 6.0], [8.0, 8.0, 8.0]]
    )
    # Starting after the last day: the last price, carried into the future.
    np.testing.assert_array_equal(carried_forward(values, [len(values)], 2), [[9.0, 9.0]])


def test_each_baseline_is_named_once():
    assert LABELS == {PERSISTENCE: PERSISTENCE_LABEL, MOVING_AVERAGE: MOVING_AVERAGE_LABEL}
    assert PERSISTENCE_SHORT in PERSISTENCE_LABEL  # the legend and the sentences agree
