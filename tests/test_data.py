"""rnnstock.data: offline samples, CSV shapes people really have, Yahoo Finance + cache.

Everything is offline: downloads go through fake fetchers, and yfinance itself
is monkeypatched where its exceptions are mapped.
"""

from __future__ import annotations

import datetime
import gzip
import io
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import yfinance
from yfinance.exceptions import (
    YFPricesMissingError,
    YFRateLimitError,
    YFTickerMissingError,
    YFTzMissingError,
)

from rnnstock import data
from rnnstock.data import (
    PRICE_COLUMNS,
    SAMPLES,
    DataError,
    FetchError,
    fetch_ticker,
    list_samples,
    load_prices,
    load_sample,
    normalize_prices,
    read_price_csv,
    save_upload,
    ticker_cache_path,
    validate_ticker,
    yahoo_fetcher,
)
from rnnstock.specs import DataSpec

MASTERCARD_CSV = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "Mastercard_stock_history.csv"
)
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


def set_cell(lines: list[str], row: int, column: int, value: str) -> None:
    """Replace one comma-separated cell of ``lines[row]``."""
    parts = lines[row].split(",")
    parts[column] = value
    lines[row] = ",".join(parts)


def read(text: str | bytes, name: str = "prices.csv") -> pd.DataFrame:
    content = text.encode() if isinstance(text, str) else text
    return read_price_csv(content, name=name)


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


@pytest.fixture(autouse=True)
def _fresh_memory_cache(monkeypatch):
    """Each test starts with an empty in-memory download cache."""
    monkeypatch.setattr(data, "_DOWNLOADED", {})


# ---------------------------------------------------------------- CSV shapes


def test_plain_csv_gives_canonical_frame(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(csv_text(price_lines()))
    frame = read_price_csv(path)
    assert_canonical(frame)
    assert list(frame.columns) == [*PRICE_COLUMNS, "Volume"]
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    assert frame["Close"].iloc[0] == 101.0
    assert frame.attrs["source"] == "CSV file prices.csv"
    # a str path, a file object and bytes all read the same
    pd.testing.assert_frame_equal(read_price_csv(str(path)), frame)
    with path.open("rb") as file:
        pd.testing.assert_frame_equal(read_price_csv(file), frame)
    assert read_price_csv(io.StringIO(path.read_text())).equals(frame)


def test_mastercard_tutorial_csv():
    if not MASTERCARD_CSV.exists():
        pytest.skip(f"the tutorial CSV is not at {MASTERCARD_CSV} (shared folder beside the repo)")
    frame = read_price_csv(MASTERCARD_CSV)
    assert_canonical(frame, days=3872)
    assert frame.index[0] == pd.Timestamp("2006-05-25")
    assert frame.index[-1] == pd.Timestamp("2021-10-11")
    assert "Dividends" not in frame.columns
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert frame.attrs["source"] == "CSV file Mastercard_stock_history.csv"


def test_yahoo_export_with_time_offsets_and_actions():
    dates = pd.bdate_range("2021-01-04", periods=40)
    lines = [
        f"{day:%Y-%m-%d} 00:00:00{'+09:00' if i == 0 else '-05:00'},{10 + i},{11 + i},{9 + i},"
        f"{10.5 + i},{500 + i},{0.25 if i == 3 else 0.0},{2.0 if i == 5 else 0.0}"
        for i, day in enumerate(dates)
    ]
    header = "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits"
    frame = read(csv_text(lines, header))
    assert_canonical(frame)
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    # the local calendar date is kept, even where UTC would be the day before
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    assert frame.index[-1] == dates[-1]


def test_us_month_day_year_dates():
    frame = read(csv_text(price_lines(date_format="%-m/%-d/%Y")))
    assert_canonical(frame)
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    assert frame.index[-1] == pd.bdate_range("2021-01-04", periods=40)[-1]


def test_quoted_thousands_separators():
    lines = [
        f'{line.split(",", 1)[0]},"1,{100 + i}.50",1200,1000,"1,101.25",1101.25,"1,657,{300 + i}"'
        for i, line in enumerate(price_lines())
    ]
    frame = read(csv_text(lines))
    assert frame["Open"].iloc[0] == 1100.5
    assert frame["Close"].iloc[0] == 1101.25
    assert frame["Volume"].iloc[0] == 1_657_300


def test_decimal_comma_is_an_error_not_a_silent_375():
    lines = price_lines()
    lines[4] = lines[4].replace(",104,", ',"3,75",', 1)
    with pytest.raises(DataError, match=r'"3,75" on line 6.*dot for decimals'):
        read(csv_text(lines))


def test_trailing_comma_makes_an_unnamed_column_that_is_dropped():
    frame = read(csv_text([line + "," for line in price_lines()], HEADER + ","))
    assert_canonical(frame)
    assert list(frame.columns) == [*PRICE_COLUMNS, "Volume"]


def test_trailing_comma_on_data_rows_only_does_not_shift_columns():
    frame = read(csv_text([line + "," for line in price_lines()]))
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    assert frame["Open"].iloc[0] == 100.0


@pytest.mark.parametrize(
    "header",
    [
        " date , open , high , low , close , adj close , volume ",
        "DATE,OPEN,HIGH,LOW,CLOSE,ADJ_CLOSE,VOLUME",
        "date,Open,High,Low,Close/Last,Adj_Close,Vol.",
        "Date,Open,High,Low,Close*,Adj Close**,Volume",
    ],
)
def test_loose_headers(header):
    frame = read(csv_text(price_lines(), header))
    assert list(frame.columns) == [*PRICE_COLUMNS, "Volume"]
    assert frame["Adj Close"].iloc[0] == 100.5


def test_rows_out_of_order_are_sorted():
    lines = price_lines()
    shuffled = lines[::-1]
    frame = read(csv_text(shuffled))
    pd.testing.assert_frame_equal(frame, read(csv_text(lines)))
    assert frame["Open"].iloc[0] == 100.0


def test_utf8_bom_and_windows_line_ends():
    content = b"\xef\xbb\xbf" + csv_text(price_lines()).replace("\n", "\r\n").encode()
    frame = read(content)
    assert_canonical(frame)
    assert frame.index[0] == pd.Timestamp("2021-01-04")


def test_utf16_excel_text_with_tabs():
    text = csv_text([line.replace(",", "\t") for line in price_lines()], HEADER.replace(",", "\t"))
    assert_canonical(read(text.encode("utf-16")))


def test_semicolon_separated():
    text = csv_text([line.replace(",", ";") for line in price_lines()], HEADER.replace(",", ";"))
    assert_canonical(read(text))


def test_gzip_compressed_csv():
    assert_canonical(read(gzip.compress(csv_text(price_lines()).encode())))


def test_blank_lines_and_null_rows_are_dropped_and_line_numbers_stay_true():
    lines = price_lines(41)
    lines.insert(3, "")
    lines[6] = lines[6].split(",", 1)[0] + ",null,null,null,null,null,null"
    frame = read(csv_text(lines))
    assert len(frame) == 40  # 41 days minus the 'null' holiday row
    set_cell(lines, 10, 1, "abc")
    # header is line 1, so list position 10 is line 12, blank line included
    with pytest.raises(DataError, match=r'the Open column has "abc" on line 12'):
        read(csv_text(lines))


def test_only_close_and_no_volume():
    lines = [",".join(line.split(",")[::4]) for line in price_lines()]
    frame = read(csv_text(lines, "Date,Close"))
    assert list(frame.columns) == ["Close"]


def test_yfinance_download_to_csv_three_header_lines():
    dates = pd.bdate_range("2021-01-04", periods=40)
    lines = ["Ticker,AAPL,AAPL,AAPL,AAPL,AAPL", "Date,,,,,"] + [
        f"{day:%Y-%m-%d},{10 + i},{11 + i},{9 + i},{10 + i},{100 + i}"
        for i, day in enumerate(dates)
    ]
    frame = read(csv_text(lines, "Price,Close,High,Low,Open,Volume"))
    assert_canonical(frame)
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]


def test_unnamed_first_column_holds_the_dates():
    assert_canonical(read(csv_text(price_lines(), "," + HEADER.split(",", 1)[1])))


def test_an_empty_price_column_is_dropped():
    lines = [line.rsplit(",", 2)[0] + ",," + line.rsplit(",", 1)[1] for line in price_lines()]
    frame = read(csv_text(lines))
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    empty = [line.split(",", 1)[0] + ",,,,,," for line in price_lines()]
    with pytest.raises(DataError, match=r"the price columns \(Open, .*\) are empty"):
        read(csv_text(empty))


def test_normalize_prices_on_a_yfinance_like_frame():
    frame = yahoo_like_frame(35)
    result = normalize_prices(frame)
    assert_canonical(result, days=35)
    assert result.index[0] == pd.Timestamp("2021-01-04")
    assert "Dividends" not in result.columns


# ---------------------------------------------------------------- CSV errors


def test_no_date_column():
    lines = [line.split(",", 1)[1] for line in price_lines()]
    with pytest.raises(DataError, match=r'no date column.*"Date"'):
        read(csv_text(lines, HEADER.split(",", 1)[1]))


def test_unparseable_date_names_line_and_text():
    lines = price_lines()
    lines[5] = "2021-13-45" + lines[5][10:]
    with pytest.raises(DataError, match=r'the date "2021-13-45" on line 7 cannot be read'):
        read(csv_text(lines))


def test_duplicate_dates_are_named():
    lines = price_lines()
    lines[8] = lines[7]
    with pytest.raises(DataError, match=r"2021-01-13 appears more than once \(lines 9 and 10\)"):
        read(csv_text(lines))


def test_no_price_column_says_what_is_expected():
    lines = [f"{line.split(',')[0]},{i}" for i, line in enumerate(price_lines())]
    with pytest.raises(DataError, match=r"no price column\. Expected at least one of Open, High"):
        read(csv_text(lines, "Date,Volume"))


def test_non_numeric_price_names_column_line_and_value():
    lines = price_lines()
    lines[8] = lines[8].replace(",109,", ",n/a?,", 1)
    with pytest.raises(DataError, match=r'In prices.csv, the Close column has "n/a\?" on line 10'):
        read(csv_text(lines))


def test_missing_price_cell_names_column_and_line():
    lines = price_lines()
    set_cell(lines, 12, 3, "")
    with pytest.raises(DataError, match=r"Line 14 of prices\.csv has no Low price"):
        read(csv_text(lines))


def test_prices_without_a_date():
    lines = price_lines()
    lines[2] = "," + lines[2].split(",", 1)[1]
    with pytest.raises(DataError, match=r"Line 4 of prices\.csv has prices but no date"):
        read(csv_text(lines))


def test_too_few_rows_says_how_many():
    with pytest.raises(DataError, match="only 29 days with prices; at least 30"):
        read(csv_text(price_lines(29)))
    assert len(read(csv_text(price_lines(30)))) == 30


@pytest.mark.parametrize("content", [b"", b"   \n\n  ", b"\xef\xbb\xbf"])
def test_empty_file(content):
    with pytest.raises(DataError, match=r"prices\.csv is empty"):
        read(content)


def test_unnamed_upload_messages_start_with_a_capital():
    with pytest.raises(DataError, match=r"^The uploaded file is empty"):
        read_price_csv(b"")


def test_header_without_rows():
    with pytest.raises(DataError, match="header line but no prices"):
        read(HEADER + "\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 8, "not a CSV text file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a CSV text file"),
        (b"PK\x03\x04" + b"\x00" * 64, "Excel workbook"),
        (b"<!DOCTYPE html><html><body>Prices</body></html>", "web page"),
        (b"\x1f\x8b\x08\x00broken", "damaged .gz"),
    ],
)
def test_binary_junk_and_other_non_csv_files(content, message):
    with pytest.raises(DataError, match=message):
        read(content)


def test_ragged_rows_name_the_line():
    lines = price_lines()
    lines[3] += ",1,2"
    with pytest.raises(DataError, match=r"Line 5 of prices\.csv has 9 values"):
        read(csv_text(lines))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="There is no file at"):
        read_price_csv(tmp_path / "nope.csv")


# ---------------------------------------------------------------- samples


@pytest.mark.parametrize(
    ("name", "rows", "columns"),
    [
        ("msft", 7983, ["Open", "High", "Low", "Close", "Volume"]),
        ("sp500", 5031, [*PRICE_COLUMNS, "Volume"]),
        ("nasdaq", 5031, [*PRICE_COLUMNS, "Volume"]),
    ],
)
def test_each_sample_loads(name, rows, columns):
    sample = SAMPLES[name]
    frame = load_sample(name)
    assert_canonical(frame, days=rows)
    assert list(frame.columns) == columns
    assert frame.index[0] == pd.Timestamp(sample.start)
    assert frame.index[-1] == pd.Timestamp(sample.end)
    assert frame[[c for c in columns if c != "Volume"]].gt(0).all(axis=None)
    assert (frame["High"] >= frame["Low"]).all()
    assert frame.attrs["source"] == f"Offline sample {sample.label}"
    assert sample.file == f"{name}.csv.gz"


def test_sample_values_are_kept_exactly():
    sp500 = load_sample("sp500")
    assert sp500.loc["1999-01-04", "Open"] == 1229.22998
    assert sp500.loc["2018-12-31", "Close"] == 2506.850098
    msft = load_sample("msft")
    assert msft.loc["1986-03-13", "Close"] == 0.07533
    assert msft.loc["2017-11-10", "Volume"] == 19396301


def test_samples_listing_and_unknown_name():
    assert [s.name for s in list_samples()] == ["msft", "sp500", "nasdaq"]
    assert [s.ticker_like for s in list_samples()] == ["MSFT", "^GSPC", "^IXIC"]
    assert SAMPLES["msft"].label == "Microsoft (MSFT) 1986–2017"
    assert load_sample(" MSFT ").shape == load_sample("msft").shape
    with pytest.raises(DataError, match=r'no offline sample called "tsla".*msft.*sp500.*nasdaq'):
        load_sample("tsla")


def test_load_sample_returns_a_copy():
    frame = load_sample("msft")
    frame.iloc[0, 0] = -1.0
    frame.attrs["source"] = "changed"
    again = load_sample("msft")
    assert again.iloc[0, 0] == 0.0672
    assert again.attrs["source"].startswith("Offline sample")


def test_importing_data_is_light():
    code = (
        "import sys, rnnstock.data;"
        "heavy = {'yfinance', 'pmdarima', 'arch', 'tensorflow', 'keras'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


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


def test_cache_file_name_is_safe(tmp_path):
    assert ticker_cache_path("^gspc", tmp_path) == tmp_path / "prices" / "_GSPC.csv.gz"
    assert ticker_cache_path("BRK-B", tmp_path).name == "BRK-B.csv.gz"
    with pytest.raises(DataError):
        ticker_cache_path("../etc", tmp_path)
    fetcher = FakeFetcher()
    with pytest.raises(DataError, match="not a ticker symbol"):
        fetch_ticker("../etc", fetcher=fetcher, cache_dir=tmp_path)
    assert fetcher.calls == []
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------- Yahoo Finance


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
    monkeypatch.setattr(data, "_DOWNLOADED", {})  # a new process: memory is empty
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
    monkeypatch.setattr(yfinance, "Ticker", FakeTicker)
    monkeypatch.setattr(FakeTicker, "outcome", yahoo_like_frame())
    frame = fetch_ticker("MSFT", cache_dir=tmp_path, today=DAY_2)
    assert len(frame) == 60
    assert FakeTicker.seen["symbol"] == "MSFT"


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNSTOCK_CACHE_DIR", str(tmp_path / "here"))
    assert data.default_cache_dir() == tmp_path / "here"
    assert ticker_cache_path("AAPL") == tmp_path / "here" / "prices" / "AAPL.csv.gz"


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


def test_save_upload_stores_by_content(tmp_path):
    content = csv_text(price_lines()).encode()
    path = save_upload(content, "../../My prices.csv", cache_dir=tmp_path)
    assert path.parent == tmp_path / "uploads"
    assert len(path.stem) == 16 and path.suffix == ".csv"
    assert path.read_bytes() == content
    assert save_upload(content, "again.csv", cache_dir=tmp_path) == path
    frame = load_prices(DataSpec("csv", str(path)))
    assert_canonical(frame)


def test_save_upload_rejects_bad_files_without_storing(tmp_path):
    with pytest.raises(DataError, match=r"In notes\.csv, there is no price column"):
        save_upload(b"Date,Comment\n2021-01-04,hello\n", "notes.csv", cache_dir=tmp_path)
    assert not (tmp_path / "uploads").exists()
