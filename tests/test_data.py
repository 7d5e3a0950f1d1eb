"""rnnstock.data's entry points: fetch_ticker (download once a day, saved copies, failures)
and load_prices. The parts have their own files: test_data_reading.py (CSV files),
test_data_samples.py, test_data_yahoo.py (tickers, yfinance) and test_data_cache.py.

Everything is offline: downloads go through fake fetchers.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from yfinance.exceptions import (
    YFPricesMissingError,
    YFRateLimitError,
    YFTickerMissingError,
    YFTzMissingError,
)

from rnnstock import data
from rnnstock.data import (
    PRICE_COLUMNS,
    DataError,
    FetchError,
    fetch_ticker,
    load_prices,
    read_price_csv,
)
from rnnstock.data import cache as data_cache
from rnnstock.specs import DataSpec
from tests.data_helpers import (
    DAY_1,
    DAY_2,
    FakeFetcher,
    assert_canonical,
    csv_text,
    price_lines,
    yahoo_like_frame,
)


@pytest.fixture(autouse=True)
def _fresh_memory_cache(monkeypatch):
    """Each test starts with an empty in-memory download cache."""
    monkeypatch.setattr(data_cache, "_DOWNLOADED", {})


def test_importing_data_is_light():
    code = (
        "import sys, rnnstock.data;"
        "heavy = {'yfinance', 'pmdarima', 'arch', 'tensorflow', 'keras'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_download_is_normalized_and_saved(tmp_path):
    fetcher = FakeFetcher()
    frame = fetch_ticker("aapl", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert fetcher.calls == ["AAPL"]
    assert_canonical(frame, days=60)
    assert list(frame.columns) == [*PRICE_COLUMNS, "Volume"]
    assert frame.attrs["source"] == "Yahoo Finance AAPL (downloaded 2026-11-21)"
    assert "notice" not in frame.attrs
    saved = tmp_path / "prices" / "AAPL.csv.gz"
    assert saved.is_file()
    assert not [p for p in saved.parent.iterdir() if p.name.endswith(".tmp")]
    pd.testing.assert_frame_equal(read_price_csv(saved), frame)


def test_same_day_second_call_does_not_download(tmp_path):
    fetcher = FakeFetcher()
    first = fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    second = fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert len(fetcher.calls) == 1
    pd.testing.assert_frame_equal(first, second)
    second.iloc[0, 0] = -1.0  # callers get copies
    assert fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2).iloc[0, 0] > 0


def test_same_day_disk_copy_is_used_after_a_restart(tmp_path, monkeypatch):
    fetcher = FakeFetcher()
    first = fetch_ticker("^GSPC", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    monkeypatch.setattr(data_cache, "_DOWNLOADED", {})  # a new process: memory is empty
    second = fetch_ticker("^GSPC", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert fetcher.calls == ["^GSPC"]
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs["source"] == "Yahoo Finance ^GSPC (downloaded 2026-11-21)"
    assert (tmp_path / "prices" / "_GSPC.csv.gz").is_file()


def test_next_day_downloads_again(tmp_path):
    fetcher = FakeFetcher()
    fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_1)
    fetcher.result = yahoo_like_frame(70)
    frame = fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert len(fetcher.calls) == 2
    assert len(frame) == 70
    assert len(read_price_csv(tmp_path / "prices" / "AAPL.csv.gz")) == 70


FAILURES = [
    pytest.param(YFRateLimitError(), "rate_limited", "rate-limiting", id="rate-limit"),
    pytest.param(
        YFTickerMissingError("AAPL", "no price data found"),
        "not_found",
        "no daily prices",
        id="ticker-missing",
    ),
    pytest.param(YFPricesMissingError("AAPL", ""), "not_found", "no daily prices", id="prices"),
    pytest.param(YFTzMissingError("AAPL"), "not_found", "Check the symbol", id="tz-missing"),
    pytest.param(pd.DataFrame(), "empty", "sent no prices", id="empty-frame"),
    pytest.param(TimeoutError("timed out"), "timeout", "did not answer in time", id="timeout"),
    pytest.param(ConnectionError("refused"), "network", "could not be reached", id="network"),
    pytest.param(RuntimeError("boom"), "error", "failed (RuntimeError: boom)", id="other"),
    pytest.param(yahoo_like_frame(10), "error", "only 10 days", id="too-short"),
]


def third_party_failures():
    """The timeout and connection errors of the HTTP libraries yfinance uses."""
    from curl_cffi.requests import exceptions as curl
    from requests import exceptions as requests

    return [
        (curl.ReadTimeout("read timed out"), "timeout"),
        (curl.ConnectTimeout("connect timed out"), "timeout"),
        (curl.ConnectionError("connection refused"), "network"),
        (curl.DNSError("could not resolve host"), "network"),
        (requests.ReadTimeout("read timed out"), "timeout"),
        (requests.ConnectionError("connection refused"), "network"),
    ]


@pytest.mark.parametrize(("failure", "reason", "wording"), FAILURES)
def test_failure_without_a_saved_copy_raises_fetch_error(tmp_path, failure, reason, wording):
    with pytest.raises(FetchError) as caught:
        fetch_ticker("AAPL", fetcher=FakeFetcher(failure), cache_dir=tmp_path, today=DAY_2)
    error = caught.value
    assert error.reason == reason
    assert error.ticker == "AAPL"
    assert wording in str(error)
    assert "offline sample such as Microsoft (MSFT) 1986–2017" in str(error)
    assert isinstance(error, DataError)
    assert not (tmp_path / "prices" / "AAPL.csv.gz").exists()


@pytest.mark.parametrize(("failure", "reason", "wording"), FAILURES)
def test_failure_with_a_saved_copy_returns_it_with_a_notice(tmp_path, failure, reason, wording):
    saved = fetch_ticker("AAPL", fetcher=FakeFetcher(), cache_dir=tmp_path, today=DAY_1)
    frame = fetch_ticker("AAPL", fetcher=FakeFetcher(failure), cache_dir=tmp_path, today=DAY_2)
    pd.testing.assert_frame_equal(frame, saved, check_flags=False)
    notice = frame.attrs["notice"]
    assert notice.endswith("showing the copy of AAPL saved on 2026-11-20.")
    phrase = {
        "rate_limited": "Yahoo Finance is rate-limiting requests right now;",
        "not_found": "did not recognise AAPL",
        "empty": "sent no prices for AAPL",
        "timeout": "did not answer in time",
        "network": "could not be reached",
        "error": "Downloading AAPL from Yahoo Finance failed",
    }[reason]
    assert phrase in notice
    assert frame.attrs["source"] == "Yahoo Finance AAPL (downloaded 2026-11-20)"


def test_http_library_failures_are_recognised(tmp_path):
    for failure, reason in third_party_failures():
        with pytest.raises(FetchError) as caught:
            fetch_ticker("AAPL", fetcher=FakeFetcher(failure), cache_dir=tmp_path, today=DAY_2)
        assert caught.value.reason == reason, failure


def test_a_failed_download_is_retried_on_the_next_call(tmp_path):
    fetcher = FakeFetcher(YFRateLimitError())
    with pytest.raises(FetchError):
        fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    fetcher.result = yahoo_like_frame()
    assert len(fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)) == 60
    assert len(fetcher.calls) == 2


# ---------------------------------------------------------------- load_prices and uploads


def test_load_prices_sample_with_a_date_range():
    frame = load_prices(DataSpec("sample", "sp500", start="2008", end="2009"))
    assert frame.index[0] == pd.Timestamp("2008-01-02")
    assert frame.index[-1] == pd.Timestamp("2009-12-31")
    assert len(frame) == 505
    assert frame.attrs["source"] == "Offline sample S&P 500 index (^GSPC) 1999–2018"


def test_load_prices_whole_sample():
    assert len(load_prices(DataSpec("sample", "nasdaq"))) == 5031


def test_load_prices_range_too_short():
    spec = DataSpec("sample", "msft", start="2017-11-01")
    with pytest.raises(DataError, match="From 2017-11-01 to 2017-11-10 there are only 8 days") as e:
        load_prices(spec)
    assert "runs from 1986-03-13 to 2017-11-10" in str(e.value)


def test_load_prices_csv(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(csv_text(price_lines(60)))
    frame = load_prices(DataSpec("csv", str(path), end="2021-02-26"))
    assert frame.index[-1] == pd.Timestamp("2021-02-26")
    assert len(frame) == 40
    assert frame.attrs["source"] == "CSV file prices.csv"


def test_load_prices_ticker_keeps_the_notice(tmp_path):
    fetch_ticker("AAPL", fetcher=FakeFetcher(), cache_dir=tmp_path, today=DAY_1)
    frame = load_prices(
        DataSpec("ticker", "aapl", start="2021-01-01", end="2021-03-31"),
        fetcher=FakeFetcher(YFRateLimitError()),
        cache_dir=tmp_path,
    )
    assert len(frame) == 60
    assert "rate-limiting" in frame.attrs["notice"]
    assert frame.attrs["source"] == "Yahoo Finance AAPL (downloaded 2026-11-20)"


def test_fetch_ticker_downloads_with_the_packages_yahoo_fetcher(monkeypatch, tmp_path):
    """The app's tests replace rnnstock.data.yahoo_fetcher; every default download must use it."""
    fetcher = FakeFetcher()
    monkeypatch.setattr(data, "yahoo_fetcher", fetcher)
    fetch_ticker("aapl", cache_dir=tmp_path, today=DAY_2)
    load_prices(DataSpec("ticker", "msft"), cache_dir=tmp_path)
    assert fetcher.calls == ["AAPL", "MSFT"]
