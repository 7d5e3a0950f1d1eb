"""Downloads cannot hurt the server (issue 16): the memory cache of downloads is
bounded, and a saved copy on disk is read at most once per fetch_ticker call.

Everything is offline: downloads go through fake fetchers.
"""

from __future__ import annotations

import datetime
import gzip
import os
import threading

import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError

from rnnstock.data import FetchError, fetch_ticker, ticker_cache_path
from rnnstock.data import cache as data_cache
from tests.data_helpers import DAY_1, DAY_2, FakeFetcher, yahoo_like_frame


@pytest.fixture(autouse=True)
def _fresh_memory_cache(monkeypatch):
    """Each test starts with an empty in-memory download cache."""
    monkeypatch.setattr(data_cache, "_DOWNLOADED", {})


def kept_in_memory() -> list[str]:
    """The symbols kept in memory, the one used longest ago first."""
    return [symbol for symbol, _folder, _day in data_cache._DOWNLOADED]


def test_memory_keeps_the_most_recently_used_downloads(monkeypatch, tmp_path):
    monkeypatch.setattr(data_cache, "DOWNLOADS_IN_MEMORY", 3)
    fetcher = FakeFetcher()
    for symbol in ["AAA", "BBB", "CCC"]:
        fetch_ticker(symbol, fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    fetch_ticker("AAA", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)  # used again
    fetch_ticker("DDD", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert kept_in_memory() == ["CCC", "AAA", "DDD"]  # BBB was used longest ago
    assert fetcher.calls == ["AAA", "BBB", "CCC", "DDD"]

    # BBB left memory, not the disk: it is read from today's saved copy, not downloaded again.
    again = fetch_ticker("BBB", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert fetcher.calls == ["AAA", "BBB", "CCC", "DDD"]
    assert len(again) == 60
    assert again.attrs["source"] == "Yahoo Finance BBB (downloaded 2026-11-21)"
    assert kept_in_memory() == ["AAA", "DDD", "BBB"]


def test_ticker_after_ticker_keeps_only_the_declared_number_in_memory(tmp_path):
    limit = data_cache.DOWNLOADS_IN_MEMORY
    fetcher = FakeFetcher(yahoo_like_frame(40))
    for number in range(limit + 10):
        fetch_ticker(f"T{number}", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert len(fetcher.calls) == limit + 10
    assert kept_in_memory() == [f"T{number}" for number in range(10, limit + 10)]


def test_the_day_is_part_of_the_key(tmp_path):
    fetcher = FakeFetcher()
    fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_1)
    fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert fetcher.calls == ["AAPL", "AAPL"]  # tomorrow downloads again


def test_many_sessions_at_once_stay_within_the_limit(monkeypatch, tmp_path):
    """Streamlit runs each browser's page in its own thread; they share the memory cache."""
    monkeypatch.setattr(data_cache, "DOWNLOADS_IN_MEMORY", 5)
    fetcher = FakeFetcher()
    problems: list[BaseException] = []
    sizes: list[int] = []
    start = threading.Barrier(8)

    def session(number: int) -> None:
        start.wait()
        try:
            for call in range(15):
                symbol = f"S{(number * 7 + call) % 12}"
                frame = fetch_ticker(symbol, fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
                assert len(frame) == 60
                assert frame.attrs["source"] == f"Yahoo Finance {symbol} (downloaded 2026-11-21)"
                sizes.append(len(data_cache._DOWNLOADED))
        except BaseException as problem:  # reported below, in the test's own thread
            problems.append(problem)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert problems == []
    assert len(sizes) == 8 * 15
    assert max(sizes) <= 5


# ---------------------------------------------------------------- saved copies read once


def save_damaged_copy(tmp_path, symbol: str, day: datetime.date) -> None:
    """A saved copy that unpacks to a megabyte of zero bytes, dated ``day``."""
    path = ticker_cache_path(symbol, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"\0" * 1_000_000))
    stamp = datetime.datetime.combine(day, datetime.time(9, 30)).timestamp()
    os.utime(path, (stamp, stamp))


@pytest.mark.parametrize("saved_day", [DAY_2, DAY_1], ids=["saved-today", "saved-yesterday"])
def test_a_damaged_saved_copy_is_read_once(monkeypatch, tmp_path, saved_day):
    save_damaged_copy(tmp_path, "AAPL", saved_day)
    reads: list[object] = []
    real_read = data_cache.read_price_csv

    def counting_read(source, **options):
        reads.append(source)
        return real_read(source, **options)

    monkeypatch.setattr(data_cache, "read_price_csv", counting_read)
    fetcher = FakeFetcher(YFRateLimitError())
    with pytest.raises(FetchError) as caught:
        fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert len(reads) == 1
    assert fetcher.calls == ["AAPL"]
    assert caught.value.reason == "rate_limited"
    assert str(caught.value).startswith("Yahoo Finance is rate-limiting requests right now")
    assert "offline sample" in str(caught.value)


def test_a_damaged_saved_copy_is_replaced_by_a_download(monkeypatch, tmp_path):
    save_damaged_copy(tmp_path, "AAPL", DAY_2)
    frame = fetch_ticker("AAPL", fetcher=FakeFetcher(), cache_dir=tmp_path, today=DAY_2)
    assert len(frame) == 60
    monkeypatch.setattr(data_cache, "_DOWNLOADED", {})  # a new process: memory is empty
    fetcher = FakeFetcher(RuntimeError("never called"))
    again = fetch_ticker("AAPL", fetcher=fetcher, cache_dir=tmp_path, today=DAY_2)
    assert fetcher.calls == []
    pd.testing.assert_frame_equal(again, frame)
