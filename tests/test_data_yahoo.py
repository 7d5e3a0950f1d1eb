"""rnnstock.data.yahoo: ticker symbols, and yfinance's failures mapped to FetchError reasons.

Everything is offline: yfinance.Ticker is monkeypatched with a fake.
"""

from __future__ import annotations

import pickle
import re
from types import SimpleNamespace
from typing import ClassVar

import pandas as pd
import pytest
import yfinance
from yfinance.exceptions import YFPricesMissingError, YFRateLimitError, YFTzMissingError

from rnnstock.data import DataError, FetchError, fetch_ticker, validate_ticker, yahoo_fetcher
from rnnstock.data import cache as data_cache
from rnnstock.data.yahoo import ERROR_DETAIL_CHARS
from tests.data_helpers import DAY_2, FakeFetcher, yahoo_like_frame

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


# ---------------------------------------------------------------- errors that carry a web page


class HTTPError(Exception):
    """Like the HTTP libraries' errors: the server's answer is on ``response``."""

    def __init__(self, status: int, page: str):
        super().__init__(f"{status} Server Error: {page}")
        self.response = SimpleNamespace(status_code=status, text=page)


def error_page(title: str, words: str, size: int = 70_000) -> str:
    """A web page of ``size`` characters, mostly styles and scripts, like Yahoo's error pages."""
    head = f"<!DOCTYPE html><html><head><title>{title}</title>"
    body = f'</head><body><div class="msg"><h1>{title}</h1>\n\n<p>{words}</p></div></body></html>'
    padding = size - len(head) - len(body) - len("<style></style><script></script>")
    style = ".box{margin:0 auto;color:#333}\n" * (padding // 2 // 31)
    script = "if (a < b && c > d) { document.write('<p>hello</p>'); }\n" * (padding // 2 // 56)
    return head + f"<style>{style}</style><script>{script}</script>" + body


@pytest.mark.parametrize(
    ("status", "title", "reason", "says"),
    [
        (503, "Yahoo", "error", "Yahoo Finance had a problem on its side"),
        (502, "Bad Gateway", "error", "Will be right back"),
        (429, "Too Many Requests", "rate_limited", "Yahoo Finance is rate-limiting requests"),
    ],
)
def test_an_error_carrying_a_web_page_gives_a_short_message(
    monkeypatch, tmp_path, status, title, reason, says
):
    page = error_page(title, "Will be right back&hellip; Thank you for your patience.")
    assert len(page) > 69_000
    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    monkeypatch.setattr(FakeTicker, "outcome", HTTPError(status, page))
    monkeypatch.setattr(data_cache, "_DOWNLOADED", {})
    with pytest.raises(FetchError) as from_yahoo:
        yahoo_fetcher("AAPL")
    with pytest.raises(FetchError) as from_any_fetcher:
        fetch_ticker("AAPL", fetcher=FakeFetcher(HTTPError(status, page)), cache_dir=tmp_path)
    for error in (from_yahoo.value, from_any_fetcher.value):
        message = str(error)
        assert error.reason == reason
        assert len(message) < 450
        assert "<" not in message and ">" not in message and "{" not in message
        assert says in message
        assert "offline sample" in message
    if reason == "error":  # the page's first words, its entities turned into characters
        words = f"(HTTPError: {status} Server Error: {title} {title} Will be right back… Thank"
        assert words in str(from_yahoo.value)


def test_a_long_error_is_cut_at_a_word_with_an_ellipsis(tmp_path):
    error = RuntimeError("The server said: " + "sorry, something broke " * 3_000)
    with pytest.raises(FetchError) as caught:
        fetch_ticker("AAPL", fetcher=FakeFetcher(error), cache_dir=tmp_path, today=DAY_2)
    message = str(caught.value)
    detail = message[message.index("(") + 1 : message.index(").")]
    assert detail.startswith("RuntimeError: The server said: sorry, something broke sorry,")
    assert detail.endswith("something…") or detail.endswith("sorry…") or detail.endswith("broke…")
    assert len(detail) <= len("RuntimeError: ") + ERROR_DETAIL_CHARS
    assert message.endswith("pick an offline sample such as Microsoft (MSFT) 1986–2017.")


def test_a_page_without_words_still_names_the_status(tmp_path):
    page = "<html><script>" + "x = 1;" * 20_000 + "</script></html>"
    with pytest.raises(FetchError) as caught:
        fetch_ticker("AAPL", fetcher=FakeFetcher(HTTPError(500, page)), cache_dir=tmp_path)
    assert str(caught.value).startswith(
        "Yahoo Finance had a problem on its side and could not send AAPL"
        " (HTTPError: 500 Server Error). Try again later"
    )
