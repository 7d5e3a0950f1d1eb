"""rnnstock.data.yahoo: ticker symbols, and yfinance's failures mapped to FetchError reasons.

Everything is offline: yfinance.Ticker is monkeypatched with a fake.
"""

from __future__ import annotations

import pickle
import re
from typing import ClassVar

import pandas as pd
import pytest
import yfinance
from yfinance.exceptions import YFPricesMissingError, YFRateLimitError, YFTzMissingError

from rnnstock.data import DataError, FetchError, fetch_ticker, validate_ticker, yahoo_fetcher
from rnnstock.data import cache as data_cache
from tests.data_helpers import DAY_2, yahoo_like_frame

# ---------------------------------------------------------------- tickers


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("aapl", "AAPL"),
        ("  ^gspc ", "^GSPC"),
        ("brk-b", "BRK-B"),
        ("BRK.B", "BRK.B"),
        ("EURUSD=X", "EURUSD=X"),
        ("0700.hk", "0700.HK"),
        ("ES=F", "ES=F"),
    ],
)
def test_valid_tickers(text, symbol):
    assert validate_ticker(text) == symbol


@pytest.mark.parametrize(
    "text", ["AAPL!", "../etc", "..", "A B", "^", "-AAPL", "aapl/x", "ABCDEFGHIJKLMNOP", "$AAPL"]
)
def test_invalid_tickers(text):
    with pytest.raises(DataError, match=f'"{re.escape(text)}" is not a ticker symbol'):
        validate_ticker(text)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_ticker(text):
    with pytest.raises(DataError, match="Type a ticker symbol"):
        validate_ticker(text)


def test_fetch_error_survives_pickling():
    error = FetchError("Yahoo is slow.", reason="timeout", ticker="AAPL")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.reason, copy.ticker) == ("Yahoo is slow.", "timeout", "AAPL")


class FakeTicker:
    """Stands in for yfinance.Ticker; records the history() arguments."""

    outcome: object = None
    seen: ClassVar[dict] = {}

    def __init__(self, symbol: str):
        self.symbol = symbol

    def history(self, **kwargs):
        FakeTicker.seen = {"symbol": self.symbol, **kwargs}
        FakeTicker.seen["hide_exceptions"] = yfinance.config.debug.hide_exceptions
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (YFRateLimitError(), "rate_limited"),
        (YFPricesMissingError("ZZZZ", ""), "not_found"),
        (YFTzMissingError("ZZZZ"), "not_found"),
        (TimeoutError("timed out"), "timeout"),
        (OSError("Could not resolve host: query2.finance.yahoo.com"), "network"),
        (pd.DataFrame(), "empty"),
    ],
)
def test_yahoo_fetcher_maps_yfinance_failures(monkeypatch, outcome, reason):
    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    monkeypatch.setattr(FakeTicker, "outcome", outcome)
    with pytest.raises(FetchError) as caught:
        yahoo_fetcher("zzzz", timeout=3)
    assert caught.value.reason == reason
    assert caught.value.ticker == "ZZZZ"
    assert "offline sample" in str(caught.value)
    assert FakeTicker.seen["hide_exceptions"] is False  # yfinance raises instead of logging
    assert yfinance.config.debug.hide_exceptions is not False  # and is put back afterwards


def test_yahoo_fetcher_asks_for_the_full_unadjusted_daily_history(monkeypatch):
    frame = yahoo_like_frame()
    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    monkeypatch.setattr(FakeTicker, "outcome", frame)
    assert yahoo_fetcher("^gspc", timeout=3) is frame
    assert FakeTicker.seen == {
        "symbol": "^GSPC",
        "period": "max",
        "interval": "1d",
        "auto_adjust": False,
        "actions": False,
        "timeout": 3,
        "hide_exceptions": False,
    }
    with pytest.raises(DataError, match="not a ticker symbol"):
        yahoo_fetcher("../etc")


def test_fetch_ticker_uses_yahoo_by_default(monkeypatch, tmp_path):
    monkeypatch.setattr(data_cache, "_DOWNLOADED", {})  # leave no download behind in memory
    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    monkeypatch.setattr(FakeTicker, "outcome", yahoo_like_frame())
    frame = fetch_ticker("MSFT", cache_dir=tmp_path, today=DAY_2)
    assert len(frame) == 60
    assert FakeTicker.seen["symbol"] == "MSFT"
