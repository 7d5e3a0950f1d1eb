"""Price files in: CSV files as people really have them, one or several of one stock.

:func:`read_price_csv` reads one file (a path, bytes or an open file) and
:func:`read_price_csvs` several (a course's train and test files) into the
canonical frame of :mod:`rnnstock.data`; ``attrs['read']`` is a
:class:`ReadReport`, the facts of what was read that ``rnnstock inspect`` prints
and the sidebar shows. The caps of :mod:`rnnstock.data.limits` are checked
before any work that could grow with the file.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from rnnstock.data.decoding import check_size, decode, sentence
from rnnstock.data.errors import DataError
from rnnstock.data.limits import MAX_COLUMNS, MAX_FILES, MAX_LINES, MAX_ROWS
from rnnstock.data.normalize import (
    MIN_DAYS,
    PRICE_COLUMNS,
    VOLUME,
    canonical_name,
    column_key,
    implausible,
    normalize_table,
)

Source = str | os.PathLike | bytes | IO | tuple[str, bytes]
"""A path, a file's bytes, an open file, or (file name, bytes) as an upload gives them."""

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
_BLANK_LINE = re.compile(r"(?<=\n)[ \t\r]*\n")
DROPPED = "rows without prices dropped (holidays written as null, blank lines)"


@dataclass(frozen=True)
class ReadReport:
    """What reading price files found: the facts a teacher checks before training."""

    files: tuple[str, ...]
    days: int
    first: datetime.date
    last: datetime.date
    columns: tuple[str, ...]
    dates: str
    decimals: str
    separator: str
    encoding: str
    dropped: int = 0
    ignored: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def lines(self) -> list[str]:
        """The facts as short sentences, the warnings last."""
        lines = [
            f"{self.days:,} trading days, {self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}",
            f"Columns: {', '.join(self.columns)}"
            + (f" (not used: {', '.join(self.ignored)})" if self.ignored else ""),
            f"Dates: {self.dates}",
            f"Decimals: {self.decimals}; separator: {self.separator}; encoding: {self.encoding}",
        ]
        if len(self.files) > 1:
            lines.insert(0, f"{len(self.files)} files: {', '.join(self.files)}")
        if self.dropped:
            lines.append(f"{self.dropped:,} {DROPPED}")
        return lines + [f"Warning: {warning}" for warning in self.warnings]


def read_report(frame: pd.DataFrame) -> ReadReport | None:
    """The facts of the file(s) a frame was read from, if it was read from files."""
    report = frame.attrs.get("read")
    return report if isinstance(report, ReadReport) else None


def read_price_csv(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Daily prices from a CSV file: a path, the file's bytes, or an open file.

    Reads the shapes people really have: Yahoo and Kaggle exports (times with
    UTC offsets, Dividends and Stock Splits columns), Investing.com exports
    (newest first, ``Price`` for the close, volumes like ``2.77M``), Nasdaq.com,
    Alpha Vantage and Stooq files, US and day-first dates, European
    spreadsheets (``;``, decimal commas, ``DD.MM.YYYY``, headers in German,
    French, Spanish, Italian, Portuguese or Dutch), quoted thousands
    separators, trailing commas, a UTF-8 BOM, UTF-16 and UTF-32, Windows-1252,
    gzip, and ``yf.download(...).to_csv()``'s three header lines. ``name`` is
    how messages and ``attrs['source']`` call the file (default: its file name).
    """
    return _read(source, name, MIN_DAYS)


def read_price_csvs(
    sources: Sequence[Source], *, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """One history from several files of one stock, such as a course's train and test files.

    Each file is read as by :func:`read_price_csv` (a part may be shorter than
    ``MIN_DAYS``; the whole may not). Where two files hold the same day they
    must agree on every column both have, or :class:`DataError` names the first
    day they differ on; only columns every file has are kept. Gaps between the
    files show in the warnings.
    """
    if not sources:
        raise DataError("No file was given. Choose one or more CSV files of daily prices.")
    if len(sources) > MAX_FILES:
        raise DataError(
            f"{len(sources)} files were given; at most {MAX_FILES} files of one stock are"
            " combined into one history. Choose fewer files."
        )
    names = list(names) if names is not None else [None] * len(sources)
    if len(sources) == 1:
        return read_price_csv(sources[0], name=names[0])
    frames = [_read(source, name, 1) for source, name in zip(sources, names, strict=True)]
    named = [read_report(frame).files[0] for frame in frames]
    # Two prices.csv from two folders: each is called by its place too.
    files = [
        f"{file} (file {i + 1})" if named.count(file) > 1 else file for i, file in enumerate(named)
    ]
    columns = [c for c in frames[0].columns if all(c in frame.columns for frame in frames)]
    if not any(c in PRICE_COLUMNS for c in columns):
        raise DataError(
            f"{' and '.join(files)} have no price column in common. Files of one stock"
            " combine when they name the same columns, such as Date and Close."
        )
    combined = frames[0][columns]
    for position in range(1, len(frames)):
        frame = frames[position][columns]
        _check_overlap(combined, frame, files[:position], files[position])
        combined = combined.combine_first(frame)[columns]
    combined = combined.sort_index()
    combined.index.name = "Date"
    if len(combined) < MIN_DAYS:
        raise DataError(
            f"Together {', '.join(files)} hold only {len(combined)} days with prices; at least"
            f" {MIN_DAYS} are needed to train and test a model. Use a longer history."
        )
    reports = [read_report(frame) for frame in frames]
    dropped_columns = sorted({c for frame in frames for c in frame.columns} - set(columns))
    warnings = implausible(combined)
    combined.attrs = {
        "source": f"CSV files {', '.join(files)}",
        "warnings": warnings,
        "read": ReadReport(
            files=tuple(files),
            days=len(combined),
            first=combined.index[0].date(),
            last=combined.index[-1].date(),
            columns=tuple(columns),
            dates=_joined(r.dates for r in reports),
            decimals=_joined(r.decimals for r in reports),
            separator=_joined(r.separator for r in reports),
            encoding=_joined(r.encoding for r in reports),
            dropped=sum(r.dropped for r in reports),
            ignored=tuple(
                dict.fromkeys([*(i for r in reports for i in r.ignored), *dropped_columns])
            ),
            warnings=tuple(warnings),
        ),
    }
    return combined


def _joined(values) -> str:
    return " / ".join(dict.fromkeys(values))


def _check_overlap(combined: pd.DataFrame, frame: pd.DataFrame, before: list[str], file: str):
    common = combined.index.intersection(frame.index)
    if common.empty:
        return
    left, right = combined.loc[common], frame.loc[common]
    # A cell only one file has (a blank volume) is filled from the other, not a conflict.
    agree = np.isclose(left, right, rtol=1e-6, atol=0.005) | left.isna() | right.isna()
    if agree.to_numpy().all():
        return
    row, column = np.argwhere(~agree.to_numpy())[0]
    day, name = common[row], combined.columns[column]
    raise DataError(
        f"{' and '.join(before)} and {file} disagree on {day:%Y-%m-%d}: {name} is"
        f" {left.iloc[row, column]:,.2f} in {' and '.join(before)} and"
        f" {right.iloc[row, column]:,.2f} in {file}."
        " Files combined into one history must agree on the days they share: check that"
        " they are of the same stock and adjusted the same way."
    )


def _read(source: Source, name: str | None, min_days: int) -> pd.DataFrame:
    content, default_name = _read_source(source)
    name = name or default_name
    decoded = decode(content, name)
    text = decoded.text
    body = text.lstrip("\r\n\t ")
    if not body:
        raise DataError(
            sentence(f"{name} is empty. Choose a CSV file with a header line and prices.")
        )
    if body.startswith("<"):
        raise DataError(
            sentence(f"{name} looks like a web page (HTML), not a CSV file.")
            + " On the price history page use the Download link, and upload the .csv file."
        )
    # Lines below the header: all of them, then those that are not blank, counted
    # without splitting the text.
    lines = body.count("\n") - body.endswith("\n")
    if lines > MAX_LINES:
        raise DataError(
            sentence(f"{name} has {lines:,} lines, more than {MAX_LINES:,} lines.")
            + f" Files of up to {MAX_ROWS:,} trading days (200 years) are read."
        )
    if lines > MAX_ROWS:
        lines -= _BLANK_LINE.subn("", body)[1]
    if lines > MAX_ROWS:
        raise DataError(
            sentence(f"{name} has {lines:,} lines of prices, more than {MAX_ROWS:,} lines.")
            + f" Files of up to {MAX_ROWS:,} trading days (200 years) are read."
        )
    skipped_lines = text[: len(text) - len(body)].count("\n")
    header = body.split("\n", 1)[0]
    separator = max(SEPARATORS, key=header.count)
    fields = _fields(header, separator)
    if len(fields) > MAX_COLUMNS:
        raise DataError(
            sentence(f"{name} has {len(fields):,} columns, more than {MAX_COLUMNS} columns.")
            + " A price table has a Date column and a few price columns."
        )
    _check_widths(body, separator, name, skipped_lines)
    _check_last_line(body, separator, name, skipped_lines)
    try:
        with warnings.catch_warnings():
            # "Length of header or names does not match length of data. This leads to a
            # loss of data": a row longer than the header (a quote never closed, an
            # unquoted comma) would be cut silently; it is a message instead.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(
                io.StringIO(body),
                sep=separator,
                dtype=str,  # numbers are checked by normalize_table, naming any bad cell
                index_col=False,  # a trailing comma on every row must not shift the columns
                skip_blank_lines=False,  # keeps table row i on file line i + 2
                skipinitialspace=True,
            )
    except pd.errors.ParserWarning:
        raise DataError(
            sentence(f"{name} has a line with more values than its header has columns:")
            + " a number with a comma but no quotes, or a quote that is never closed."
            " Check the lines for extra commas and quotes."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            sentence(f"{name} is empty. Choose a CSV file with a header line and prices.")
        ) from None
    except (pd.errors.ParserError, UnicodeError, ValueError) as error:
        raise DataError(_parser_problem(name, str(error), skipped_lines)) from None
    table.index = pd.RangeIndex(2, len(table) + 2) + skipped_lines
    table = _fix_header_shapes(table)
    if table.empty:
        raise DataError(sentence(f"{name} has a header line but no prices below it."))
    try:
        read = normalize_table(
            table, origin=name, line_numbers=True, separator=separator, min_days=min_days
        )
    except DataError as error:
        if "test" in name.lower() and "days with prices" in str(error):
            raise DataError(
                f"{error} If this is a course's test file, upload it together with its"
                " training file (choose both files at once)."
            ) from None
        raise
    frame = read.frame
    frame.attrs["source"] = f"CSV file {name}"
    frame.attrs["read"] = ReadReport(
        files=(name,),
        days=len(frame),
        first=frame.index[0].date(),
        last=frame.index[-1].date(),
        columns=tuple(frame.columns),
        dates=read.dates,
        decimals=read.decimals,
        separator=SEPARATORS[separator],
        encoding=decoded.encoding,
        dropped=read.dropped,
        ignored=read.ignored,
        warnings=tuple(frame.attrs["warnings"]),
    )
    return frame


def _fields(line: str, separator: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=separator), [])
    except csv.Error:
        return line.split(separator)


def _check_widths(body: str, separator: str, name: str, skipped_lines: int) -> None:
    """A line with more separators than any price table has columns: refused before the
    parser (it took minutes over a line of 19 million commas)."""
    for number, line in enumerate(body.split("\n"), start=1 + skipped_lines):
        if line.count(separator) >= MAX_COLUMNS:
            raise DataError(
                f"Line {number} of {name} has more than {MAX_COLUMNS} values; a price table"
                " has a date and a few prices on each line. Check that this is the right file."
            )


def _check_last_line(body: str, separator: str, name: str, skipped_lines: int) -> None:
    """A file that stops in the middle of a line lost that line's last values."""
    if body.endswith(("\n", "\r")):
        return
    lines = body.rsplit("\n", 2)
    if len(lines) < 3:
        return
    previous, last = (_fields(line.rstrip("\r"), separator) for line in lines[-2:])
    if 0 < len(last) < len(previous):
        number = body.count("\n") + 1 + skipped_lines
        values = "1 value" if len(last) == 1 else f"{len(last)} values"
        raise DataError(
            f"Line {number} of {name} is cut off: it has {values} where the line"
            f" before has {len(previous)}, and the file ends in the middle of it. Download the"
            " file again, or delete that line."
        )


def _read_source(source: Source) -> tuple[bytes, str]:
    if isinstance(source, tuple):
        name, content = source
        return bytes(content), str(name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "the uploaded file"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise DataError(f"There is no file at {path}. Check the path, or upload the file.")
        check_size(path.stat().st_size, path.name)
        return path.read_bytes(), path.name
    if hasattr(source, "read"):
        content = source.read()
        if isinstance(content, str):
            content = content.encode("utf-8")
        return bytes(content), Path(str(getattr(source, "name", "") or "")).name or "the file"
    raise TypeError(f"read_price_csv needs a path, bytes or a file, not {type(source).__name__}.")


def _parser_problem(name: str, detail: str, skipped_lines: int) -> str:
    quote = re.search(r"EOF inside string starting at row (\d+)", detail)
    if quote:  # pandas counts the header as row 0: row N is line N + 1
        line = int(quote.group(1)) + 1 + skipped_lines
        return (
            f'Line {line} of {name} opens a quote (") that is never closed, so the rest of'
            " the file reads as one value. Close the quote or delete the stray one."
        )
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
    if found:
        expected, line, saw = (int(n) for n in found.groups())
        return (
            f"Line {line + skipped_lines} of {name} has {saw} values but the header names"
            f" {expected} columns. Check that line for extra commas (numbers like 1,234"
            " must be in quotes)."
        )
    detail = " ".join(detail.split())[:200]
    return sentence(f"{name} could not be read as a CSV table ({detail}).")


def _fix_header_shapes(table: pd.DataFrame) -> pd.DataFrame:
    """Headers that put the dates in a column not called Date.

    ``df.to_csv()`` of a frame with an unnamed date index writes an empty first
    header; ``yf.download(...).to_csv()`` writes 'Price,...', 'Ticker,...' and
    'Date,,,' lines above the prices.
    """
    if table.empty or len(table.columns) < 2:
        return table
    first_column = str(table.columns[0])
    has_date = any(canonical_name(c) == "Date" for c in table.columns)
    if first_column.startswith("Unnamed: 0") and not has_date:
        return table.rename(columns={table.columns[0]: "Date"})
    if column_key(first_column) != "price":
        return table
    first = table.iloc[:2, 0].astype("string").str.strip().str.lower().tolist()
    if first[:1] != ["ticker"]:
        return table
    extra_rows = 2 if first[1:] == ["date"] else 1
    return table.iloc[extra_rows:].rename(columns={table.columns[0]: "Date"})


__all__ = [
    "DROPPED",
    "MIN_DAYS",
    "PRICE_COLUMNS",
    "VOLUME",
    "ReadReport",
    "read_price_csv",
    "read_price_csvs",
    "read_report",
]
