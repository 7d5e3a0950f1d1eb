import numpy as np
import pandas as pd
import pytest

from rnnstock.specs import SplitSpec
from rnnstock.windows import make_windows, split_series, windowed_split


def test_datacamp_split_gives_the_tutorials_counts(mastercard):
    split = SplitSpec(
        target="High", window=60, train_start="2016", train_end="2020", train_fraction=None
    )
    windows = make_windows(mastercard, split)
    assert windows.n_train == 1199
    assert len(windows.test_dates) == 195
    assert windows.test_dates[0] == pd.Timestamp("2021-01-04")
    assert windows.test_dates[-1] == pd.Timestamp("2021-10-11")
    assert windows.X_train.shape == (1199, 60, 1) and windows.X_train.dtype == np.float32
    assert windows.X_test.shape == (195, 60, 1)
    # What the Data page shows, counted without scaling anything.
    periods = windowed_split(mastercard, split)
    assert periods.train_windows(60) == 1199 and len(periods.test) == 195


def test_windows_match_a_plain_loop_and_labels_are_the_next_day(prices):
    spec = SplitSpec(target="Close", window=5, train_fraction=0.5)
    windows = make_windows(prices, spec)
    scaled = windows.to_scaled(prices["Close"].to_numpy())
    n_train = int(len(prices) * 0.5)
    for i in (0, 17, n_train - 6):
        np.testing.assert_allclose(windows.X_train[i, :, 0], scaled[i : i + 5], rtol=1e-6)
        np.testing.assert_allclose(windows.y_train[i, 0], scaled[i + 5], rtol=1e-6)
        assert windows.train_dates[i] == prices.index[i + 5]
    # Every test day is predicted from the 5 days just before it.
    assert len(windows.test_dates) == len(prices) - n_train
    np.testing.assert_allclose(windows.X_test[0, :, 0], scaled[n_train - 5 : n_train], rtol=1e-6)
    np.testing.assert_allclose(windows.y_test[:, 0], scaled[n_train:], rtol=1e-6)
    np.testing.assert_allclose(windows.test_previous(), prices["Close"].iloc[n_train - 1 : -1])


def test_scaler_is_fit_on_training_days_only(prices):
    windows = make_windows(prices, SplitSpec(target="Close", window=10, train_fraction=0.5))
    train = prices["Close"].iloc[: len(prices) // 2]
    assert windows.scaler.data_min_[0] == pytest.approx(train.min())
    assert windows.scaler.data_max_[0] == pytest.approx(train.max())
    # Test prices outside the training range stay outside 0..1 rather than being clipped.
    assert windows.to_prices(windows.y_test[:, 0]) == pytest.approx(
        prices["Close"].iloc[len(prices) // 2 :].to_numpy(), rel=1e-5
    )


def test_validation_is_the_tail_of_the_training_windows(prices):
    windows = make_windows(
        prices, SplitSpec(window=10, train_fraction=0.8), validation_fraction=0.25
    )
    total = int(len(prices) * 0.8) - 10
    assert len(windows.X_val) == round(total * 0.25)
    assert len(windows.X_train) + len(windows.X_val) == total
    # The first validation window is the last training window moved on by one day.
    np.testing.assert_array_equal(windows.X_val[0, :-1], windows.X_train[-1, 1:])
    assert windows.y_val[0, 0] == pytest.approx(windows.X_val[1, -1, 0])


def test_a_window_longer_than_the_training_data_is_explained(prices):
    spec = SplitSpec(window=200, train_fraction=0.5)
    for check in (make_windows, windowed_split):  # the pages' check says the same
        with pytest.raises(ValueError, match=r"window \(200 days\).*longer \(150 days\)"):
            check(prices, spec)


def test_a_split_after_the_last_day_leaves_no_test_days(prices):
    with pytest.raises(ValueError, match="no test days"):
        split_series(prices, SplitSpec(train_end="2030", train_fraction=None))


def test_a_split_before_the_data_leaves_no_training_days(prices):
    with pytest.raises(ValueError, match="No training days"):
        split_series(prices, SplitSpec(train_end="2001", train_fraction=None))


def test_a_missing_target_column_names_the_alternatives(prices):
    with pytest.raises(ValueError, match=r"no 'Adj Close' column.*Open, High, Low, Close"):
        split_series(prices, SplitSpec(target="Adj Close"))


def test_test_end_limits_the_test_period(prices):
    spec = SplitSpec(train_end="2015-06-30", test_end="2015-08-31", train_fraction=None, window=20)
    windows = make_windows(prices, spec)
    assert windows.test_dates[0] == pd.Timestamp("2015-07-01")
    assert windows.test_dates[-1] == pd.Timestamp("2015-08-31")
