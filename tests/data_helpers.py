"""Price data for the rnnstock.data tests: CSV lines, yfinance-like frames, a fake download."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from rnnstock.data import PRICE_COLUMNS

DAY_1 = datetime.date(2026, 11, 20)
DAY_2 = datetime.date(2026, 11, 21)
HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"


def price_lines(days: int = 40, *, date_format: str = "%Y-%m-%d") -> list[str]:
    """CSV data lines for ``days`` business days from 2021-01-04, prices 100, 101, ..."""
    dates = pd.bdate_range("2021-01-04", periods=days)
    return [
        f"{day.strftime(date_format)},{100 + i},{102 + i},{99 + i},{101 + i},{100.5 + i},{1000 + i}"
        for i, day in enumerate(dates)
    ]


def csv_text(lines: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def assert_canonical(frame: pd.DataFrame, days: int = 40) -> None:
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "Date"
    assert frame.index.tz is None
    assert (frame.index == frame.index.normalize()).all()
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert len(frame) == days
    expected = [c for c in PRICE_COLUMNS if c in frame.columns]
    assert list(frame.columns) in (expected, [*expected, "Volume"])
    assert (frame.dtypes == "float64").all()


def yahoo_like_frame(days: int = 60, *, start: str = "2021-01-04") -> pd.DataFrame:
    """What yfinance's history(auto_adjust=False) returns: tz-aware index, int volume."""
    index = pd.bdate_range(start, periods=days, tz="America/New_York", name="Date")
    close = np.linspace(100, 130, days)
    return pd.DataFrame(
        {
            "Open": close - 0.5,
            "High": close + 1,
            "Low": close - 1,
            "Close": close,
            "Adj Close": close * 0.98,
            "Volume": np.arange(days, dtype="int64") + 10_000,
            "Dividends": 0.0,
        },
        index=index,
    )


class FakeFetcher:
    """Returns a yfinance-like frame, or raises / returns what it is told to."""

    def __init__(self, result: object = None):
        self.result = yahoo_like_frame() if result is None else result
        self.calls: list[str] = []

    def __call__(self, ticker: str) -> pd.DataFrame:
        self.calls.append(ticker)
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result
