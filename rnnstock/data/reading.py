"""Price tables in: CSV files as people really have them, and one normalisation for every source.

:func:`read_price_csv` turns a path, bytes or an open file into rows;
:func:`normalize_prices` turns any raw table (those rows, a yfinance frame) into
the canonical frame described in :mod:`rnnstock.data`, raising
:class:`~rnnstock.data.errors.DataError` with the column and line of any problem.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from rnnstock.data.errors import DataError

PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close")
VOLUME = "Volume"
MIN_DAYS = 30
"""Fewer priced days than this cannot be split into training and test windows."""


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
