"""Prices in: bundled offline samples, CSV files as people really have them, Yahoo Finance.

Every route ends in :func:`normalize_prices`, so a frame from any source looks
the same: a tz-naive ``DatetimeIndex`` named ``Date`` (one row per trading
day, ascending), float64 columns for whichever of :data:`PRICE_COLUMNS` exist,
then ``Volume``. ``frame.attrs['source']`` says where the prices came from and
``frame.attrs['notice']`` (if present) says what the user should know, e.g.
that a saved copy is shown because Yahoo Finance is rate-limiting.

Every problem with the data raises :class:`DataError` with a message a teacher
can read aloud: what is wrong, where (column, line), and what to do about it.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import logging
import os
import re
import tempfile
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd

from rnnstock import config

if TYPE_CHECKING:
    from rnnstock.specs import DataSpec

__all__ = [
    "MIN_DAYS",
    "PRICE_COLUMNS",
    "SAMPLES",
    "DataError",
    "FetchError",
    "Fetcher",
    "Sample",
    "default_cache_dir",
    "fetch_ticker",
    "list_samples",
    "load_prices",
    "load_sample",
    "normalize_prices",
    "read_price_csv",
    "save_upload",
    "ticker_cache_path",
    "validate_ticker",
    "yahoo_fetcher",
]

logger = logging.getLogger(__name__)

PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close")
VOLUME = "Volume"
MIN_DAYS = 30
"""Fewer priced days than this cannot be split into training and test windows."""


class DataError(ValueError):
    """Any problem with price data; the message says what is wrong and what to do."""


class FetchError(DataError):
    """Downloading a ticker failed and no saved copy could stand in.

    ``reason`` is one of :attr:`REASONS`; ``ticker`` is the validated symbol.
    """

    REASONS = ("rate_limited", "not_found", "empty", "network", "timeout", "error")

    def __init__(self, message: str, *, reason: str = "error", ticker: str = "") -> None:
        if reason not in self.REASONS:
            raise ValueError(f"Unknown FetchError reason {reason!r}.")
        super().__init__(message)
        self.reason = reason
        self.ticker = ticker

    def __reduce__(self):  # keep reason and ticker when sent between processes
        return (_rebuild_fetch_error, (str(self), self.reason, self.ticker))


def _rebuild_fetch_error(message: str, reason: str, ticker: str) -> FetchError:
    return FetchError(message, reason=reason, ticker=ticker)


# --------------------------------------------------------------------------
# Offline samples
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A bundled daily price history (see ``samples/PROVENANCE.md``)."""

    name: str
    title: str
    ticker_like: str
    file: str
    description: str
    start: str
    end: str

    @property
    def label(self) -> str:
        """Title with its years, e.g. 'Microsoft (MSFT) 1986–2017'."""
        return f"{self.title} {self.start[:4]}–{self.end[:4]}"


SAMPLES: dict[str, Sample] = {
    sample.name: sample
    for sample in (
        Sample(
            name="msft",
            title="Microsoft (MSFT)",
            ticker_like="MSFT",
            file="msft.csv.gz",
            description=(
                "Microsoft shares, every trading day from the 1986 listing to November 2017."
                " Prices are adjusted for splits and dividends, so Close is already the"
                " adjusted close. From Kaggle's 'Huge Stock Market Dataset'."
            ),
            start="1986-03-13",
            end="2017-11-10",
        ),
        Sample(
            name="sp500",
            title="S&P 500 index (^GSPC)",
            ticker_like="^GSPC",
            file="sp500.csv.gz",
            description=(
                "The S&P 500 stock index, every trading day 1999–2018: the dot-com bust,"
                " the 2008 crash and the long recovery. Yahoo Finance data as shipped"
                " with the arch package."
            ),
            start="1999-01-04",
            end="2018-12-31",
        ),
        Sample(
            name="nasdaq",
            title="NASDAQ Composite index (^IXIC)",
            ticker_like="^IXIC",
            file="nasdaq.csv.gz",
            description=(
                "The technology-heavy NASDAQ Composite index, every trading day 1999–2018."
                " Yahoo Finance data as shipped with the arch package."
            ),
            start="1999-01-04",
            end="2018-12-31",
        ),
    )
}


def list_samples() -> list[Sample]:
    """The bundled samples, in display order."""
    return list(SAMPLES.values())


def load_sample(name: str) -> pd.DataFrame:
    """Prices of a bundled sample ('msft', 'sp500' or 'nasdaq'); works offline."""
    key = str(name).strip().lower()
    if key not in SAMPLES:
        available = "; ".join(f"{s.name} ({s.label})" for s in SAMPLES.values())
        raise DataError(f'There is no offline sample called "{name}". Available: {available}.')
    return _sample_prices(key).copy()


@cache
def _sample_prices(key: str) -> pd.DataFrame:
    sample = SAMPLES[key]
    content = resources.files("rnnstock").joinpath("samples").joinpath(sample.file).read_bytes()
    frame = read_price_csv(content, name=sample.file)
    frame.attrs["source"] = f"Offline sample {sample.label}"
    return frame


# --------------------------------------------------------------------------
# One normalisation for every source
# --------------------------------------------------------------------------

# Header text -> canonical name, compared on letters only ("Adj_Close ",
# "adj close" and "Adj Close**" are all "adjclose").
_COLUMN_NAMES = {
    "date": "Date",
    "datetime": "Date",
    "timestamp": "Date",
    "time": "Date",
    "day": "Date",
    "open": "Open",
    "high": "High",
    "low": "Low",
    "close": "Close",
    "closelast": "Close",  # nasdaq.com exports "Close/Last"
    "adjclose": "Adj Close",
    "adjustedclose": "Adj Close",
    "volume": VOLUME,
    "vol": VOLUME,
}

# Dates are read as text: a time of day and a UTC offset (Yahoo's
# "2006-05-25 00:00:00-04:00") are cut off, which keeps the exchange's own
# calendar date instead of shifting it to another day through UTC.
_TIME_OF_DAY = (
    r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"  # 00:00, 00:00:00, 00:00:00.000
    r"\s*(?:[AaPp][Mm])?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?$"  # am/pm, then a zone or offset
)
# Tried in order on the whole column; the first that reads every date wins.
# Ambiguous day/month dates are read US-style (M/D/YYYY), as Yahoo writes them.
_DATE_FORMATS = (
    "ISO8601",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y%m%d",
    "%m/%d/%y",
    "%d-%b-%Y",
    "%b %d, %Y",
)
_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$"
_CURRENCY = r"[$€£\s]"


def _column_key(label: object) -> str:
    return re.sub(r"[^a-z]", "", str(label).lower())


def _row_name(label: object, line_numbers: bool) -> str:
    if line_numbers:
        return f"line {label}"
    if isinstance(label, pd.Timestamp):
        return f"the row dated {label:%Y-%m-%d}"
    return f"row {label}"


def _in(origin: str | None) -> str:
    return f"In {origin}, " if origin else ""


def _capital(text: str) -> str:
    """Start a sentence with a capital, but never change a file name ('prices.csv is ...')."""
    if text.split(" ", 1)[0] in ("the", "line", "row"):
        return text[:1].upper() + text[1:]
    return text


def normalize_prices(
    frame: pd.DataFrame, *, origin: str | None = None, line_numbers: bool = False
) -> pd.DataFrame:
    """Canonical, validated daily prices from a raw table (CSV rows or a yfinance frame).

    The dates come from a 'Date'-like column or, failing that, the index.
    Column names are matched loosely ('adj_close' is 'Adj Close'); columns that
    are not prices or volume (Dividends, Stock Splits, empty trailing columns)
    are dropped. Rows without any price (blank lines, holidays written as
    'null') are dropped; every other problem raises :class:`DataError`.

    ``origin`` names the data in messages (a file name); ``line_numbers`` says
    the index holds each row's line number in the file, so messages can point
    at the line.
    """
    named: dict[str, object] = {}
    for label in frame.columns:
        canonical = _COLUMN_NAMES.get(_column_key(label))
        if canonical is None:
            continue
        if canonical in named:
            raise DataError(
                f'{_in(origin)}the columns "{named[canonical]}" and "{label}" both hold'
                f" {canonical} values. Keep one of them (one stock per file)."
            )
        named[canonical] = label

    price_names = [c for c in PRICE_COLUMNS if c in named]
    if not price_names:
        found = ", ".join(f'"{c}"' for c in frame.columns) or "none"
        raise DataError(
            f"{_in(origin)}there is no price column. Expected at least one of"
            f" {', '.join(PRICE_COLUMNS)} (columns found: {found})."
        )
    if "Date" in named:
        raw_dates = frame[named["Date"]]
    elif isinstance(frame.index, pd.DatetimeIndex) or _column_key(frame.index.name) == "date":
        raw_dates = frame.index.to_series(index=frame.index)
    else:
        found = ", ".join(f'"{c}"' for c in frame.columns)
        raise DataError(
            f"{_in(origin)}there is no date column. The first line should name the columns,"
            f' one of them "Date" (columns found: {found}).'
        )

    value_names = price_names + ([VOLUME] if VOLUME in named else [])
    values = pd.DataFrame(
        {name: _numbers(frame[named[name]], name, origin, line_numbers) for name in value_names},
        index=frame.index,
    )
    # A column with no value at all (an empty "Adj Close") says nothing; drop it.
    values = values.loc[:, values.notna().any()]
    price_names = [c for c in price_names if c in values.columns]
    if not price_names:
        raise DataError(
            f"{_in(origin)}the price columns ({', '.join(named[c] for c in value_names)})"
            " are empty. Choose a file with prices in it."
        )

    # A row without any price is not a trading day (blank line, 'null' holiday row).
    priced = values[price_names].notna().any(axis=1)
    values = values[priced]
    dates = _dates(raw_dates[priced], origin, line_numbers)

    missing = values[price_names].isna()
    if missing.any(axis=None):
        label = missing.any(axis=1).idxmax()
        column = missing.loc[label].idxmax()
        raise DataError(
            f"{_capital(_row_name(label, line_numbers))}{' of ' + origin if origin else ''}"
            f" has no {column} price. Fill in the missing value or delete that line."
        )
    if dates.isna().any():
        label = dates.isna().idxmax()
        raise DataError(
            f"{_capital(_row_name(label, line_numbers))}{' of ' + origin if origin else ''}"
            " has prices but no date. Add the date or delete that line."
        )

    repeated = dates.duplicated(keep=False)
    if repeated.any():
        day = dates[repeated].iloc[0]
        rows = dates.index[dates == day]
        if line_numbers:
            where = f"lines {rows[0]} and {rows[1]}"
        else:
            where = " and ".join(_row_name(label, line_numbers) for label in rows[:2])
        raise DataError(
            f"{_in(origin)}the date {day:%Y-%m-%d} appears more than once ({where})."
            " Each trading day must appear once; delete the extra rows."
        )

    result = values.set_axis(pd.DatetimeIndex(dates, name="Date")).sort_index(kind="stable")
    result.attrs = dict(frame.attrs)
    if len(result) < MIN_DAYS:
        raise DataError(
            f"{_in(origin)}there are only {len(result)} days with prices; at least"
            f" {MIN_DAYS} are needed to train and test a model. Use a longer history."
        )
    return result


def _numbers(column: pd.Series, name: str, origin: str | None, line_numbers: bool) -> pd.Series:
    """A column as float64; text that is not a number raises, naming column and row."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = column.astype("float64")
        text = column.astype("string")
    else:
        text = column.astype("string").str.strip()
        plain = text.str.replace(_CURRENCY, "", regex=True)
        # Only proper thousands groups lose their commas: pandas' own thousands=","
        # would silently read a European "3,75" as 375.
        plain = plain.mask(
            plain.str.fullmatch(_THOUSANDS).fillna(False), plain.str.replace(",", "", regex=False)
        )
        numbers = pd.to_numeric(plain.replace("", pd.NA), errors="coerce").astype("float64")
    bad = (numbers.isna() & text.notna() & (text.str.strip() != "")) | np.isinf(numbers)
    if bad.any():
        label = bad.idxmax()
        value = text.loc[label]
        hint = " Use a dot for decimals, like 3.75." if "," in str(value) else ""
        where = _row_name(label, line_numbers)
        raise DataError(
            f'{_in(origin)}the {name} column has "{value}" on {where}, which is not a number.'
            f"{hint} Fix or delete that line."
        )
    return numbers


def _dates(raw: pd.Series, origin: str | None, line_numbers: bool) -> pd.Series:
    """Calendar dates (tz-naive, midnight, ns) from text or datetimes; NaT where blank."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raw = raw.dt.tz_localize(None)  # keep the exchange's local wall-clock date
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw.dt.normalize().astype("datetime64[ns]")
    text = raw.astype("string").str.strip().str.replace(_TIME_OF_DAY, "", regex=True)
    blank = text.isna() | (text == "")
    best, best_failures = None, -1
    for date_format in _DATE_FORMATS:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        failures = int((parsed.isna() & ~blank).sum())
        if failures == 0:
            return parsed.astype("datetime64[ns]")
        if best is None or failures < best_failures:
            best, best_failures = parsed, failures
    label = (best.isna() & ~blank).idxmax()
    raise DataError(
        f'{_in(origin)}the date "{raw.loc[label]}" on {_row_name(label, line_numbers)} cannot'
        " be read. Write dates like 2021-10-11 (or 10/11/2021) and check that line."
    )


# --------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------


def read_price_csv(
    source: str | os.PathLike[str] | bytes | IO, *, name: str | None = None
) -> pd.DataFrame:
    """Daily prices from a CSV file: a path, the file's bytes, or an open file.

    Reads the shapes people really have: Yahoo and Kaggle exports (times with
    UTC offsets, Dividends and Stock Splits columns), ``M/D/YYYY`` dates,
    quoted thousands separators, trailing commas, loose headers such as
    ``adj close`` or ``Adj_Close``, rows in any order, a UTF-8 BOM, ``;`` or
    tab separators, gzip-compressed files and ``yf.download(...).to_csv()``'s
    three header lines. ``name`` is how messages and ``attrs['source']``
    call the file (default: its file name).
    """
    content, default_name = _read_source(source)
    name = name or default_name
    text = _decode(content, name)
    body = text.lstrip("\r\n\t ")
    if not body:
        raise DataError(
            _capital(f"{name} is empty. Choose a CSV file with a header line and prices.")
        )
    if body.startswith("<"):
        raise DataError(
            _capital(f"{name} looks like a web page (HTML), not a CSV file.")
            + " On the price history page use the Download link, and upload the .csv file."
        )
    skipped_lines = text[: len(text) - len(body)].count("\n")
    header = body.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    try:
        table = pd.read_csv(
            io.StringIO(body),
            sep=delimiter,
            dtype=str,  # numbers are checked by normalize_prices, naming any bad cell
            index_col=False,  # a trailing comma on every row must not shift the columns
            skip_blank_lines=False,  # keeps table row i on file line i + 2
            skipinitialspace=True,
        )
    except pd.errors.EmptyDataError:
        raise DataError(
            _capital(f"{name} is empty. Choose a CSV file with a header line and prices.")
        ) from None
    except (pd.errors.ParserError, UnicodeError) as error:
        raise DataError(_parser_problem(name, str(error), skipped_lines)) from None
    table.index = pd.RangeIndex(2, len(table) + 2) + skipped_lines
    table = _fix_header_shapes(table)
    if table.empty:
        raise DataError(_capital(f"{name} has a header line but no prices below it."))
    frame = normalize_prices(table, origin=name, line_numbers=True)
    frame.attrs["source"] = f"CSV file {name}"
    return frame


def _read_source(source: str | os.PathLike[str] | bytes | IO) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "the uploaded file"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise DataError(f"There is no file at {path}. Check the path, or upload the file.")
        return path.read_bytes(), path.name
    if hasattr(source, "read"):
        content = source.read()
        if isinstance(content, str):
            content = content.encode("utf-8")
        return bytes(content), Path(str(getattr(source, "name", "") or "")).name or "the file"
    raise TypeError(f"read_price_csv needs a path, bytes or a file, not {type(source).__name__}.")


def _decode(content: bytes, name: str) -> str:
    """The file's text: gzip unpacked, UTF-8 (with or without BOM), UTF-16 or Windows-1252."""
    if content[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error):
            raise DataError(
                _capital(f"{name} is a damaged .gz file; unpack it and upload the CSV.")
            ) from None
    if content[:4] == b"PK\x03\x04":
        raise DataError(
            _capital(f"{name} is an Excel workbook or a ZIP archive, not a CSV file.")
            + " In Excel use File > Save As > CSV, then upload that file."
        )
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return content.decode("utf-16")
    head = content[:4096]
    controls = sum(head.count(bytes([code])) for code in range(32) if code not in (9, 10, 13))
    if controls > len(head) // 100:
        raise DataError(
            _capital(f"{name} is not a CSV text file (it contains binary data).")
            + " Choose a .csv file with a header line such as Date,Open,High,Low,Close,Volume."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _parser_problem(name: str, detail: str, skipped_lines: int) -> str:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
    if found:
        expected, line, saw = (int(n) for n in found.groups())
        return (
            f"Line {line + skipped_lines} of {name} has {saw} values but the header names"
            f" {expected} columns. Check that line for extra commas (numbers like 1,234"
            " must be in quotes)."
        )
    return _capital(f"{name} could not be read as a CSV table ({detail.strip()}).")


def _fix_header_shapes(table: pd.DataFrame) -> pd.DataFrame:
    """Headers that put the dates in a column not called Date.

    ``df.to_csv()`` of a frame with an unnamed date index writes an empty first
    header; ``yf.download(...).to_csv()`` writes 'Price,...', 'Ticker,...' and
    'Date,,,' lines above the prices.
    """
    if table.empty or len(table.columns) < 2:
        return table
    first_column = str(table.columns[0])
    has_date = any(_COLUMN_NAMES.get(_column_key(c)) == "Date" for c in table.columns)
    if first_column.startswith("Unnamed: 0") and not has_date:
        return table.rename(columns={table.columns[0]: "Date"})
    if _column_key(first_column) != "price":
        return table
    first = table.iloc[:2, 0].astype("string").str.strip().str.lower().tolist()
    if first[:1] != ["ticker"]:
        return table
    extra_rows = 2 if first[1:] == ["date"] else 1
    return table.iloc[extra_rows:].rename(columns={table.columns[0]: "Date"})


# --------------------------------------------------------------------------
# Tickers and Yahoo Finance
# --------------------------------------------------------------------------

_TICKER = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=^]{0,14}$")

Fetcher = Callable[[str], pd.DataFrame]
"""Takes a validated ticker, returns its raw full daily history (like yfinance), or raises."""


def validate_ticker(text: str) -> str:
    """The symbol stripped and upper-cased ('brk-b' -> 'BRK-B'), or DataError.

    Letters, digits and ``. - = ^`` only, at most 15 characters after an
    optional leading ``^``: AAPL, BRK-B, ^GSPC, EURUSD=X, 0700.HK.
    """
    shown = str(text).strip() if text is not None else ""
    if not shown:
        raise DataError("Type a ticker symbol, such as AAPL, MSFT or ^GSPC.")
    symbol = shown.upper()
    if not _TICKER.match(symbol):
        if len(shown) > 20:
            shown = shown[:19] + "…"
        raise DataError(
            f'"{shown}" is not a ticker symbol. Symbols use only letters, digits and . - = ^'
            " (at most 15 characters), like AAPL, BRK-B, ^GSPC, EURUSD=X or 0700.HK."
        )
    return symbol


_YFINANCE_LOCK = threading.Lock()


def yahoo_fetcher(ticker: str, *, timeout: float = 15.0) -> pd.DataFrame:
    """The full daily history of ``ticker`` from Yahoo Finance (needs the internet).

    Returns yfinance's frame unchanged (Open, High, Low, Close, Adj Close,
    Volume on a tz-aware index). Every failure raises :class:`FetchError`
    with a ``reason``: yfinance is told to raise its errors instead of
    logging them and returning an empty frame.
    """
    import yfinance as yf

    symbol = validate_ticker(ticker)
    with _YFINANCE_LOCK:  # yfinance's settings are global; one download at a time
        hidden = yf.config.debug.hide_exceptions
        yf.config.debug.hide_exceptions = False
        try:
            frame = yf.Ticker(symbol).history(
                period="max",
                interval="1d",
                auto_adjust=False,
                actions=False,
                timeout=timeout,
            )
        except Exception as error:
            reason = _failure_reason(error)
            raise FetchError(
                _failure_message(reason, symbol, error), reason=reason, ticker=symbol
            ) from error
        finally:
            yf.config.debug.hide_exceptions = hidden
    if frame is None or frame.empty:
        raise FetchError(_failure_message("empty", symbol), reason="empty", ticker=symbol)
    return frame


def _failure_reason(error: BaseException) -> str:
    """Which of FetchError.REASONS an exception from a download means.

    Judged by class names as well as types, so yfinance, curl_cffi and
    requests need not be imported to recognise their exceptions.
    """
    if isinstance(error, FetchError):
        return error.reason
    names = {kind.__name__ for kind in type(error).__mro__}
    status = getattr(getattr(error, "response", None), "status_code", None)
    if "YFRateLimitError" in names or status == 429 or "Too Many Requests" in str(error):
        return "rate_limited"
    if names & {"YFTickerMissingError", "YFPricesMissingError", "YFTzMissingError"}:
        return "not_found"
    if status == 404:
        return "not_found"
    if isinstance(error, TimeoutError) or names & {"Timeout", "ConnectTimeout", "ReadTimeout"}:
        return "timeout"
    if isinstance(status, int) and status >= 400:
        return "error"
    if isinstance(error, (ConnectionError, OSError)) or names & {"ConnectionError", "DNSError"}:
        return "network"
    return "error"


def _sample_hint() -> str:
    return f"pick an offline sample such as {SAMPLES['msft'].label}"


def _failure_message(reason: str, symbol: str, error: BaseException | None = None) -> str:
    """A FetchError message: what happened in plain words, and what to do instead."""
    hint = _sample_hint()
    if reason == "rate_limited":
        return (
            f"Yahoo Finance is rate-limiting requests right now, so {symbol} could not be"
            f" downloaded. Try again in a few minutes, or {hint}."
        )
    if reason == "not_found":
        return (
            f'Yahoo Finance has no daily prices for "{symbol}". Check the symbol (indexes'
            f" start with ^, like ^GSPC; other exchanges need a suffix, like 0700.HK), or {hint}."
        )
    if reason == "empty":
        return f"Yahoo Finance sent no prices for {symbol}. Try again later, or {hint}."
    if reason == "timeout":
        return (
            f"Yahoo Finance did not answer in time when asked for {symbol}. Try again in a"
            f" minute, or {hint}."
        )
    if reason == "network":
        return (
            f"Yahoo Finance could not be reached to download {symbol}; is this computer"
            f" online? Check the internet connection, or {hint}."
        )
    detail = str(error).strip() if error is not None else ""
    detail = detail if isinstance(error, DataError) else f"{type(error).__name__}: {detail}"
    return f"Downloading {symbol} from Yahoo Finance failed ({detail}). Try again later, or {hint}."


def _failure_notice(reason: str, symbol: str, saved_on: datetime.date) -> str:
    """What to tell the user when a saved copy stands in for a failed download."""
    what = {
        "rate_limited": "Yahoo Finance is rate-limiting requests right now",
        "not_found": f"Yahoo Finance did not recognise {symbol} just now",
        "empty": f"Yahoo Finance sent no prices for {symbol} just now",
        "timeout": "Yahoo Finance did not answer in time",
        "network": "Yahoo Finance could not be reached",
        "error": f"Downloading {symbol} from Yahoo Finance failed",
    }[reason]
    return f"{what}; showing the copy of {symbol} saved on {saved_on:%Y-%m-%d}."


# --------------------------------------------------------------------------
# Disk and memory caches
# --------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where downloads are kept (``rnnstock.config.cache_dir``)."""
    return config.cache_dir()


def _cache_root(cache_dir: str | os.PathLike[str] | None) -> Path:
    return Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()


def ticker_cache_path(ticker: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the saved copy of ``ticker`` lives: ``<cache>/prices/_GSPC.csv.gz`` for ^GSPC.

    The name comes from the validated symbol only ('^' becomes '_', which no
    symbol contains), so user text can never reach another folder.
    """
    symbol = validate_ticker(ticker)
    return _cache_root(cache_dir) / "prices" / f"{symbol.replace('^', '_')}.csv.gz"


def _write_atomic(path: Path, content: bytes) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _saved_on(path: Path) -> datetime.date | None:
    """The day a cached copy was downloaded (its modification date), or None."""
    try:
        return datetime.date.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return None


def _save_copy(path: Path, frame: pd.DataFrame, today: datetime.date) -> None:
    content = gzip.compress(frame.to_csv(date_format="%Y-%m-%d").encode(), mtime=0)
    _write_atomic(path, content)
    # The modification time records the download day, also when ``today`` is injected.
    stamp = datetime.datetime.combine(today, datetime.datetime.now().time()).timestamp()
    os.utime(path, (stamp, stamp))


def _read_copy(path: Path, symbol: str, saved_on: datetime.date) -> pd.DataFrame | None:
    try:
        frame = read_price_csv(path, name=f"the saved copy of {symbol}")
    except (DataError, OSError) as error:
        logger.warning("Ignoring unreadable saved copy %s: %s", path, error)
        return None
    frame.attrs["source"] = f"Yahoo Finance {symbol} (downloaded {saved_on:%Y-%m-%d})"
    return frame


_DOWNLOADED: dict[tuple[str, str, datetime.date], pd.DataFrame] = {}
_DOWNLOADED_LOCK = threading.Lock()


def fetch_ticker(
    ticker: str,
    *,
    fetcher: Fetcher | None = None,
    cache_dir: Path | None = None,
    today: datetime.date | None = None,
) -> pd.DataFrame:
    """The full daily history of a ticker, downloaded at most once a day.

    A copy saved today (in memory or under ``<cache_dir>/prices/``) is used
    as is. Otherwise ``fetcher`` (default :func:`yahoo_fetcher`) downloads it
    and the copy on disk is replaced. If the download fails, an older saved
    copy is returned with ``attrs['notice']`` saying why; with no saved copy a
    :class:`FetchError` explains what happened and suggests an offline sample.
    """
    symbol = validate_ticker(ticker)
    today = today or datetime.date.today()
    root = _cache_root(cache_dir)
    memory_key = (symbol, str(root), today)
    with _DOWNLOADED_LOCK:
        if memory_key in _DOWNLOADED:
            return _DOWNLOADED[memory_key].copy()

    path = ticker_cache_path(symbol, root)
    saved_on = _saved_on(path)
    frame = _read_copy(path, symbol, saved_on) if saved_on == today else None
    if frame is None:
        try:
            raw = (fetcher or yahoo_fetcher)(symbol)
            if raw is None or len(raw) == 0:
                raise FetchError(_failure_message("empty", symbol), reason="empty", ticker=symbol)
            frame = normalize_prices(raw, origin=f"Yahoo Finance's data for {symbol}")
        except Exception as error:  # any failure: fall back to the saved copy if there is one
            reason = _failure_reason(error)
            saved = _read_copy(path, symbol, saved_on) if saved_on else None
            if saved is None:
                message = str(error) if isinstance(error, FetchError) else None
                raise FetchError(
                    message or _failure_message(reason, symbol, error),
                    reason=reason,
                    ticker=symbol,
                ) from error
            saved.attrs["notice"] = _failure_notice(reason, symbol, saved_on)
            return saved
        frame.attrs["source"] = f"Yahoo Finance {symbol} (downloaded {today:%Y-%m-%d})"
        try:
            _save_copy(path, frame, today)
        except OSError as error:  # a read-only disk must not cost the user the prices
            logger.warning("Could not save %s: %s", path, error)
    with _DOWNLOADED_LOCK:
        _DOWNLOADED[memory_key] = frame
    return frame.copy()


# --------------------------------------------------------------------------
# The pipeline's entry point and uploads
# --------------------------------------------------------------------------


def load_prices(
    spec: DataSpec,
    *,
    fetcher: Fetcher | None = None,
    cache_dir: Path | None = None,
) -> pd.DataFrame:
    """The prices a :class:`~rnnstock.specs.DataSpec` describes, cut to its date range.

    ``spec.start`` and ``spec.end`` are inclusive; a range holding fewer than
    30 trading days raises :class:`DataError`. ``attrs`` (source, notice) are kept.
    """
    if spec.source == "sample":
        frame = load_sample(spec.name)
    elif spec.source == "csv":
        frame = read_price_csv(spec.name)
    elif spec.source == "ticker":
        frame = fetch_ticker(spec.name, fetcher=fetcher, cache_dir=cache_dir)
    else:
        raise DataError(f"Unknown data source '{spec.source}'; use sample, csv or ticker.")
    if spec.start is None and spec.end is None:
        return frame
    kept = frame.loc[spec.start : spec.end].copy()
    kept.attrs = dict(frame.attrs)
    if len(kept) < MIN_DAYS:
        first, last = frame.index[0], frame.index[-1]
        source = frame.attrs.get("source", "The data")
        raise DataError(
            f"From {spec.start or f'{first:%Y-%m-%d}'} to {spec.end or f'{last:%Y-%m-%d}'}"
            f" there are only {len(kept)} days of prices; at least {MIN_DAYS} are needed."
            f" {source} runs from {first:%Y-%m-%d} to {last:%Y-%m-%d}: widen the date range."
        )
    return kept


def save_upload(content: bytes, filename: str, *, cache_dir: Path | None = None) -> Path:
    """Check an uploaded CSV and keep it as ``<cache_dir>/uploads/<sha256[:16]>.csv``.

    Raises :class:`DataError` (naming ``filename``) if it is not usable
    prices. The stored name comes from the content, never from ``filename``;
    the same file uploaded twice is stored once. Use the returned path in
    ``DataSpec('csv', str(path))``.
    """
    read_price_csv(content, name=filename)
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = _cache_root(cache_dir) / "uploads" / f"{digest}.csv"
    if not path.is_file():
        _write_atomic(path, bytes(content))
    return path
