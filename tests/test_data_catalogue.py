"""The reader against a catalogue of bad and odd price files (issue 16).

Each case is a named file built from bytes in the test (offline, a few KB; the
bombs are small on disk) with what must happen: it reads, and the canonical
frame has these days, first and last dates, prices and warnings; or it is
refused with a DataError whose message holds the contract's key phrase. Every
case also runs within a budget: at most BUDGET_SECONDS of wall time and
BUDGET_MB of peak Python memory (tracemalloc, which numpy and pandas report to,
in a second run: it makes pandas three to five times slower).

The eight reader bugs this catalogue and the fuzz found (Windows-1252 files read
with charset-normalizer's wrong guess and columns lost, typo years called "after
today", the line and column caps' wording, a pandas warning escaping) are fixed;
their cases stay here.
"""

from __future__ import annotations

import datetime
import pickle
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests import hostile_files as hf
from tests.hostile_files import (
    MB,
    TODAY,
    Day,
    eu,
    european,
    gz,
    history,
    investing,
    iso,
    mdy0,
    plain,
    table,
    whole,
    yahoo,
)

BUDGET_SECONDS = 10.0
BUDGET_MB = 500.0

ATTRIBUTE = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj",
    "Volume": "volume",
}
YAHOO = ("Open", "High", "Low", "Close", "Adj Close", "Volume")
OHLCV = ("Open", "High", "Low", "Close", "Volume")

# ---------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Reads:
    """The file reads: these days, first and last dates, values, columns, warnings, report facts."""

    days: int
    first: str
    last: str
    values: tuple[tuple[str, str, float], ...] = ()
    columns: tuple[str, ...] | None = None
    # Each group is a list of regexes one warning must match together; () means no warning at all.
    warnings: tuple[tuple[str, ...], ...] = ()
    # Regexes no warning may match (with warnings expected for other reasons).
    absent: tuple[str, ...] = ()
    # ReadReport field -> regex (text fields), a value (int fields) or a text that must be in it
    # (tuple fields).
    report: tuple[tuple[str, object], ...] = ()
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refused:
    """The file is refused with a DataError whose message matches every regex."""

    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], object]
    expect: Reads | Refused
    many: bool = False  # build returns a list of sources for read_price_csvs
    name: str | None = None  # the name given with bytes (default: the id + .csv)


def reads(
    days: Sequence[Day],
    columns: tuple[str, ...] | None = YAHOO,
    *,
    check: Sequence[int] = (0, -1),
    skip: Sequence[str] = (),
    **options,
) -> Reads:
    """What reading ``days`` must give: the first and last day's values of every column."""
    values = tuple(
        (iso(days[i].date), column, getattr(days[i], ATTRIBUTE[column]))
        for i in check
        for column in columns or ()
        if column not in skip
    )
    return Reads(len(days), iso(days[0].date), iso(days[-1].date), values, columns, **options)


def refused(*patterns: str) -> Refused:
    return Refused(patterns)


def warned(*patterns: str) -> tuple[str, ...]:
    return patterns


CASES: list[Case] = []


def case(case_id: str, expect: Reads | Refused, **options) -> Callable:
    """Register the decorated ``build(tmp_path)`` (or a constant's lambda) as a catalogue case."""

    def register(build: Callable) -> Callable:
        CASES.append(Case(case_id, build, expect, **options))
        return build

    return register


def add(case_id: str, content: object, expect: Reads | Refused, **options) -> None:
    """A case whose source is built once, at collection (small files only)."""
    CASES.append(Case(case_id, lambda _tmp: content, expect, **options))


ISO_DATES = (("dates", r"year-month-day"),)
MONTH_FIRST = (("dates", r"month first"),)
DAY_FIRST = (("dates", r"day first"),)
COMMA = (("decimals", r"comma"),)
DOT = (("decimals", r"dot"),)

D40 = history(40)  # 2021-01-04 .. 2021-02-26, Close 101.25 .. 120.75
TEXT40 = yahoo(D40)

# ================================================================ formats that read

add("yahoo-plain", TEXT40.encode(), reads(D40, report=(*ISO_DATES, *DOT)))
add("exactly-30-days", yahoo(history(30)).encode(), reads(history(30)))
add(
    "yahoo-newest-first-sorted",
    yahoo(D40, newest_first=True).encode(),
    reads(D40),
)
add(
    "yahoo-crlf-and-utf8-bom",
    b"\xef\xbb\xbf" + yahoo(D40, newline="\r\n").encode(),
    reads(D40),
)
add("yahoo-no-final-newline", yahoo(D40, final_newline=False).encode(), reads(D40))
add(
    "yahoo-all-fields-quoted-excel",
    table(
        D40,
        hf.YAHOO_HEADER,
        lambda d: [
            iso(d.date),
            plain(d.open),
            plain(d.high),
            plain(d.low),
            plain(d.close),
            plain(d.adj),
            whole(d.volume),
        ],
        quote=True,
    ).encode(),
    reads(D40),
)


def _swap_neighbours(text: str, pairs: Sequence[int]) -> str:
    lines = text.splitlines()
    for row in pairs:
        lines[row], lines[row + 1] = lines[row + 1], lines[row]
    return "\n".join(lines) + "\n"


add(
    "a-few-neighbouring-rows-swapped-sorted",
    _swap_neighbours(TEXT40, [5, 20, 33]).encode(),
    reads(D40),
)
add(
    "blank-lines-and-trailing-spaces",
    (
        "\n".join(line + "  " for line in TEXT40.splitlines()[:10])
        + "\n\n\n"
        + "\n".join(TEXT40.splitlines()[10:])
        + "\n\n\n"
    ).encode(),
    reads(D40),
)

_NULL_DAYS = history(41)
_null_lines = yahoo(_NULL_DAYS).splitlines()
_null_lines[7] = iso(_NULL_DAYS[6].date) + ",null,null,null,null,null,null"
add(
    "yahoo-null-holiday-row-dropped",
    ("\n".join(_null_lines) + "\n").encode(),
    reads(
        [d for i, d in enumerate(_NULL_DAYS) if i != 6],
        report=(("dropped", 1),),
    ),
)
add(
    "yahoo-utc-offsets-dividends-and-splits",
    table(
        D40,
        ("Date", "Open", "High", "Low", "Close", "Volume", "Dividends", "Stock Splits"),
        lambda d: [
            f"{d.date} 00:00:00{'+09:00' if d is D40[0] else '-05:00'}",
            plain(d.open),
            plain(d.high),
            plain(d.low),
            plain(d.close),
            whole(d.volume),
            "0.25" if d is D40[3] else "0.0",
            "2.0" if d is D40[5] else "0.0",
        ],
    ).encode(),
    reads(D40, OHLCV, report=(("ignored", "Dividends"),)),
)
add(
    "yahoo-iso-times-with-z",
    yahoo(D40, date=lambda day: f"{day}T00:00:00Z").encode(),
    reads(D40),
)
add(
    "google-sheets-googlefinance-close-with-times",
    table(
        D40, ("Date", "Close"), lambda d: [f"{hf.mdy(d.date)} 16:00:00", plain(d.close)]
    ).encode(),
    reads(D40, ("Close",), report=MONTH_FIRST),
)
add(
    "google-sheets-dates-with-pm-times",
    table(
        D40,
        ("Date", "Open", "Close"),
        lambda d: [f"{hf.mdy(d.date)} 4:00:00 PM", plain(d.open), plain(d.close)],
    ).encode(),
    reads(D40, ("Open", "Close"), report=MONTH_FIRST),
)
add(
    "spaces-after-the-commas",
    TEXT40.replace(",", ", ").encode(),
    reads(D40),
)
add(
    "close-only-two-columns",
    table(D40, ("Date", "Close"), lambda d: [iso(d.date), plain(d.close)]).encode(),
    reads(D40, ("Close",)),
)
add(
    "adj-close-only",
    table(D40, ("Date", "Adj Close"), lambda d: [iso(d.date), plain(d.adj)]).encode(),
    reads(D40, ("Adj Close",)),
)
add(
    "tab-separated-utf8",
    yahoo(D40, sep="\t").encode(),
    reads(D40, report=(("separator", r"\t|(?i:tab)"),)),
)
add(
    "yfinance-download-three-header-lines",
    (
        "Price,Close,High,Low,Open,Volume\nTicker,AAPL,AAPL,AAPL,AAPL,AAPL\nDate,,,,,\n"
        + "".join(
            f"{d.date},{plain(d.close)},{plain(d.high)},{plain(d.low)},{plain(d.open)},{whole(d.volume)}\n"
            for d in D40
        )
    ).encode(),
    reads(D40, OHLCV),
)
add(
    "pandas-to-csv-unnamed-date-index",
    ("," + ",".join(hf.YAHOO_HEADER[1:]) + "\n" + "".join(TEXT40.splitlines(True)[1:])).encode(),
    reads(D40),
)
add(
    "nasdaq-com-newest-first-dollars-close-last",
    hf.nasdaq(D40).encode(),
    reads(D40, OHLCV, report=MONTH_FIRST),
)
add(
    "alpha-vantage-lowercase-timestamp-newest-first",
    hf.alpha_vantage(D40).encode(),
    reads(D40, OHLCV),
)
add("stooq-daily", hf.stooq(D40).encode(), reads(D40, OHLCV))
add(
    "google-course-trailing-comma-quoted-volumes",
    hf.google_course(history(40, base=1000.25, volume=1_234_567), trailing_comma=True).encode(),
    reads(history(40, base=1000.25, volume=1_234_567), OHLCV, report=(*MONTH_FIRST, *DOT)),
)

# ---------------------------------------------------------------- Investing.com (US)

_INV = history(40, base=1234.5, step=1.25, volume=2_770_000, volume_step=10_000)
_INV_KM = [
    hf.replace(d, volume=float(564_840 + 10 * i) if i % 2 == 0 else float(2_770_000 + 10_000 * i))
    for i, d in enumerate(_INV)
]
add(
    "investing-com-newest-first-K-M-volumes",
    investing(_INV_KM).encode(),
    reads(
        _INV_KM,
        OHLCV,
        check=(0, 1, -1),
        report=(("ignored", "Change %"), *MONTH_FIRST, *DOT),
    ),
)
_INV_B = [hf.replace(d, volume=float(1_200_000_000 + 10_000_000 * i)) for i, d in enumerate(_INV)]
add(
    "investing-com-B-volumes-with-dash-and-blank",
    investing(
        _INV_B,
        volume=lambda d: "-" if d is _INV_B[5] else "" if d is _INV_B[9] else hf.suffixed(d.volume),
    ).encode(),
    reads(_INV_B, OHLCV),
)
add(
    "investing-com-all-volumes-blank",
    investing(_INV, volume=lambda d: "").encode(),
    reads(_INV, ("Open", "High", "Low", "Close")),  # an empty column says nothing: dropped
)
add(
    "investing-com-month-name-dates",
    investing(_INV, date=lambda day: f"{day:%b %d, %Y}").encode(),
    reads(_INV, OHLCV),
)
add(
    "investing-com-oldest-first-utf8-bom",
    b"\xef\xbb\xbf" + investing(_INV, newest_first=False).encode(),
    reads(_INV, OHLCV),
)

# ---------------------------------------------------------------- Investing.com, localized


def _investing_localized(language: str) -> str:
    return investing(
        _INV,
        header=hf.INVESTING_LOCALIZED[language],
        date=hf.dmy_dot if language == "de" else hf.dmy_slash,
        number=eu,
        sep=";",
        volume=lambda d: hf.suffixed(d.volume, decimal=","),
    )


for _language in hf.INVESTING_LOCALIZED:
    add(
        f"investing-com-localized-{_language}",
        _investing_localized(_language).encode(),
        reads(
            _INV,
            OHLCV,
            check=(0, 1, -1),
            report=(*DAY_FIRST, *COMMA, ("ignored", hf.INVESTING_LOCALIZED[_language][-1])),
        ),
    )
add(
    "investing-com-localized-de-windows-1252",
    _investing_localized("de").encode("cp1252"),
    reads(_INV, OHLCV, report=(("encoding", r"(?i)1252|latin"),)),
)
add(
    "investing-com-localized-pt-windows-1252",
    _investing_localized("pt").encode("cp1252"),
    reads(_INV, OHLCV, report=(("encoding", r"(?i)1252|latin"),)),
)

# ---------------------------------------------------------------- day first or month first

add(
    "day-first-decided-by-a-day-above-12",
    yahoo(D40, date=hf.dmy_slash).encode(),
    reads(D40, report=DAY_FIRST),
)
_LOW_DATES = [d.date() for d in pd.bdate_range("2021-01-01", "2021-06-30") if d.day <= 12]
_LOW = history(dates=_LOW_DATES)
_MONTH_GAPS = (warned(r"gaps? of more than a week", r"no prices from"),)  # days 13-31 are missing
add(
    "day-first-decided-by-order-all-days-below-13",
    yahoo(_LOW, date=hf.dmy_slash).encode(),
    reads(_LOW, report=DAY_FIRST, warnings=_MONTH_GAPS),
)
add(
    "day-first-decided-by-order-newest-first",
    yahoo(_LOW, date=hf.dmy_slash, newest_first=True).encode(),
    reads(_LOW, report=DAY_FIRST, warnings=_MONTH_GAPS),
)
add(
    "month-first-decided-by-order-all-days-below-13",
    yahoo(_LOW, date=mdy0).encode(),
    reads(_LOW, report=MONTH_FIRST, warnings=_MONTH_GAPS),
)
# 01/01, 01/02, 02/02, 02/03 ... 12/12 runs ascending read either way: month first wins.
_STAIRS = [
    datetime.date(year, month, day)
    for year in (2019, 2020)
    for month in range(1, 13)
    for day in (month, month + 1)
    if day <= 12
]
_STAIRS_DAYS = history(dates=_STAIRS)
add(
    "both-orders-run-ascending-month-first-wins",
    yahoo(_STAIRS_DAYS, date=mdy0).encode(),
    reads(_STAIRS_DAYS, check=(0, 1, 2, -1), report=MONTH_FIRST, warnings=_MONTH_GAPS),
)
add(
    "uk-excel-day-first-two-digit-years",
    yahoo(D40, date=lambda day: f"{day:%d/%m/%y}").encode(),
    reads(D40, report=DAY_FIRST),
)
add(
    "day-first-dotted-dates-comma-separated",
    yahoo(D40, date=hf.dmy_dot).encode(),
    reads(D40, report=DAY_FIRST),
)

# ---------------------------------------------------------------- two-digit years

_Y68 = history(40, "1968-10-01")
add(
    "two-digit-years-1968",
    yahoo(_Y68, date=hf.mdyy).encode(),
    reads(_Y68, check=(0, 33, -1)),  # day 33 is 11/15/68
)
assert _Y68[33].date == datetime.date(1968, 11, 15)
_Y29 = history(60, "1929-10-01")
add(
    "two-digit-years-1929-1930-never-2029",
    yahoo(_Y29, date=hf.mdyy).encode(),
    reads(_Y29),
)
_Y99 = history(60, "1999-11-15")
add(
    "two-digit-years-across-2000",
    yahoo(_Y99, date=hf.mdyy).encode(),
    reads(_Y99),
)
_Y26 = history(40, "2026-08-03")
add(
    "two-digit-years-this-year",
    yahoo(_Y26, date=hf.mdyy).encode(),
    reads(_Y26),
)

# ---------------------------------------------------------------- European ';' files

_EU = history(40, base=1234.5, step=0.25, volume=1_234_567, volume_step=1000)
for _language in hf.EUROPEAN:
    add(
        f"european-{_language}-semicolon-decimal-comma",
        european(_EU, _language).encode(),
        reads(
            _EU,
            OHLCV,
            check=(0, 1, -1),
            report=(*DAY_FIRST, *COMMA, ("separator", r";|(?i:semicolon)")),
        ),
    )
add(
    "semicolon-separated-with-decimal-dots",
    yahoo(D40, sep=";").encode(),
    reads(D40, report=(*DOT, ("separator", r";|(?i:semicolon)"))),
)
_SMALL = history(40, base=3.75, step=0.125, volume=1_234_567, volume_step=1000)
add(
    "european-3,750-is-3.75-not-3750",
    european(_SMALL, "de", number=lambda x: f"{x:.3f}".replace(".", ",")).encode(),
    reads(_SMALL, OHLCV, report=COMMA),
)
add(
    "european-plain-decimal-commas-no-thousands",
    european(_EU, "nl", number=lambda x: f"{x:.2f}".replace(".", ",")).encode(),
    reads(_EU, OHLCV),
)
add(
    "french-space-thousands-separator",
    european(_EU, "fr", number=lambda x: f"{x:,.2f}".replace(",", " ").replace(".", ",")).encode(),
    reads(_EU, OHLCV),
)
add(
    "european-de-excel-bom-crlf",
    b"\xef\xbb\xbf" + european(_EU, "de", newline="\r\n").encode(),
    reads(_EU, OHLCV),
)
add(
    "european-de-windows-1252",
    european(_EU, "de").encode("cp1252"),
    reads(_EU, OHLCV, report=(("encoding", r"(?i)1252|latin"),)),
)
add(
    "european-fr-latin-1",
    european(_EU, "fr").encode("latin-1"),
    reads(_EU, OHLCV),
)
add(
    "european-de-utf16-excel-unicode-text-tabs",
    hf.utf16(european(_EU, "de").replace(";", "\t")),
    reads(_EU, OHLCV),
)

# ---------------------------------------------------------------- encodings and gzip

add("utf16-le-bom", hf.utf16(TEXT40), reads(D40, report=(("encoding", r"(?i)utf-?16"),)))
add("utf16-be-bom", hf.utf16(TEXT40, endian="be"), reads(D40))
add("utf16-le-no-bom", hf.utf16(TEXT40, bom=False), reads(D40))
add("utf16-be-no-bom", hf.utf16(TEXT40, endian="be", bom=False), reads(D40))
add("utf32-le-bom", hf.utf32(TEXT40), reads(D40))
add("utf32-be-bom", hf.utf32(TEXT40, endian="be"), reads(D40))
add("utf32-le-no-bom", hf.utf32(TEXT40, bom=False), reads(D40))
add("utf32-be-no-bom", hf.utf32(TEXT40, endian="be", bom=False), reads(D40))
add(
    "cp1252-ignored-column-with-accents-and-euro",
    table(
        D40,
        ("Date", "Open", "High", "Low", "Close", "Volume", "Remarque"),
        lambda d: [
            iso(d.date),
            plain(d.open),
            plain(d.high),
            plain(d.low),
            plain(d.close),
            whole(d.volume),
            "café €" if d is D40[3] else "",
        ],
    ).encode("cp1252"),
    reads(D40, OHLCV),
)
add("gzip", gz(TEXT40), reads(D40))
add("gzip-inside-gzip", gz(TEXT40, 2), reads(D40))
add("gzip-of-utf16", gz(hf.utf16(TEXT40)), reads(D40))
add("gzip-of-european-cp1252", gz(european(_EU, "de").encode("cp1252")), reads(_EU, OHLCV))


def _gzip_with_name(content: bytes) -> bytes:
    import gzip
    import io

    buffer = io.BytesIO()
    with gzip.GzipFile(filename="prices.csv", mode="wb", fileobj=buffer, mtime=0) as packed:
        packed.write(content)
    return buffer.getvalue()


add("gzip-with-file-name-in-header", _gzip_with_name(TEXT40.encode()), reads(D40))
_D60 = history(60)
_lines60 = yahoo(_D60).splitlines(True)
add(
    "gzip-two-members-concatenated",
    gz("".join(_lines60[:41])) + gz("".join(_lines60[41:])),
    reads(_D60),
)

# ---------------------------------------------------------------- warnings (reads, and says so)

_hl = [hf.replace(d, high=d.low, low=d.high) if 5 <= i <= 7 else d for i, d in enumerate(D40)]
add(
    "high-below-low-on-3-days",
    yahoo(_hl).encode(),
    reads(_hl, warnings=(warned(r"below|outside", r"\b3\b", iso(D40[5].date)),)),
)
add(
    "open-column-holds-the-lows-swapped",
    table(
        D40,
        hf.YAHOO_HEADER,
        lambda d: [
            iso(d.date),
            plain(d.low),
            plain(d.high),
            plain(d.open),
            plain(d.close),
            plain(d.adj),
            whole(d.volume),
        ],
    ).encode(),
    Reads(
        40,
        iso(D40[0].date),
        iso(D40[-1].date),
        ((iso(D40[0].date), "Open", D40[0].low), (iso(D40[0].date), "Low", D40[0].open)),
        warnings=(warned(r"outside|below", r"\b40\b", iso(D40[0].date)),),
    ),
)
add(
    "close-column-swapped-with-high",
    table(
        D40,
        hf.YAHOO_HEADER,
        lambda d: [
            iso(d.date),
            plain(d.open),
            plain(d.close),
            plain(d.low),
            plain(d.high),
            plain(d.adj),
            whole(d.volume),
        ],
    ).encode(),
    Reads(
        40,
        iso(D40[0].date),
        iso(D40[-1].date),
        ((iso(D40[0].date), "Close", D40[0].high),),
        warnings=(warned(r"outside|below", r"\b40\b", iso(D40[0].date)),),
    ),
)
add(
    "open-and-close-columns-swapped-inside-the-range-no-warning",
    table(
        D40,
        hf.YAHOO_HEADER,
        lambda d: [
            iso(d.date),
            plain(d.close),
            plain(d.high),
            plain(d.low),
            plain(d.open),
            plain(d.adj),
            whole(d.volume),
        ],
    ).encode(),
    Reads(40, iso(D40[0].date), iso(D40[-1].date), ((iso(D40[0].date), "Open", D40[0].close),)),
)
_zero = [hf.replace(d, close=0.0) if i == 10 else d for i, d in enumerate(D40)]
add(
    "a-zero-close",
    yahoo(_zero).encode(),
    reads(_zero, check=(0, 10, -1), warnings=(warned(r"zero or negative"),)),
)
_negative = [hf.replace(d, low=-1.0) if i == 10 else d for i, d in enumerate(D40)]
add(
    "a-negative-low",
    yahoo(_negative).encode(),
    reads(_negative, check=(0, 10, -1), warnings=(warned(r"zero or negative"),)),
)
_negvol = [hf.replace(d, volume=-500.0) if i == 12 else d for i, d in enumerate(D40)]
add(
    "a-negative-volume",
    yahoo(_negvol).encode(),
    reads(_negvol, check=(0, 12, -1), warnings=(warned(r"negative volume"),)),
)
_GAP_DATES = [d.date() for d in pd.bdate_range("2021-01-04", periods=20)] + [
    d.date() for d in pd.bdate_range("2021-04-01", periods=20)
]
_gap = history(dates=_GAP_DATES)
add(
    "a-two-month-gap",
    yahoo(_gap).encode(),
    reads(_gap, check=(0, 19, 20, -1), warnings=(warned(r"gap|no prices from"),)),
)
_holiday = [d for i, d in enumerate(history(43)) if i not in (10, 11, 12)]  # Mon-Wed missing
add("a-three-day-holiday-no-gap-warning", yahoo(_holiday).encode(), reads(_holiday))

# ---------------------------------------------------------------- the Google course files

TRAIN = hf.google_train_days()
TEST = hf.google_test_days()
TRAIN_NAME, TEST_NAME = "Google_Stock_Price_Train.csv", "Google_Stock_Price_Test.csv"
_UNADJUSTED = sum(d.date < hf.GOOGLE_SPLIT for d in TRAIN)
_SPLIT_WARNING = warned(r"outside|below", rf"\b{_UNADJUSTED}\b", iso(TRAIN[0].date))
add(
    "google-course-train-close-unadjusted-before-2014",
    hf.google_course(TRAIN).encode(),
    reads(TRAIN, OHLCV, check=(0, -1), warnings=(_SPLIT_WARNING,)),
    name=TRAIN_NAME,
)
add(
    "google-course-test-file-alone-20-rows",
    hf.google_course(TEST).encode(),
    refused(r"(?i)together", r"(?i)train"),
    name=TEST_NAME,
)
_PAIR = reads(
    TRAIN + TEST,
    OHLCV,
    check=(0, len(TRAIN) - 1, len(TRAIN), -1),
    warnings=(_SPLIT_WARNING,),
    absent=(r"gap|no prices from",),
    files=(TRAIN_NAME, TEST_NAME),
)
add(
    "google-course-train-and-test-together",
    [(TRAIN_NAME, hf.google_course(TRAIN).encode()), (TEST_NAME, hf.google_course(TEST).encode())],
    _PAIR,
    many=True,
)
add(
    "google-course-test-given-before-train",
    [(TEST_NAME, hf.google_course(TEST).encode()), (TRAIN_NAME, hf.google_course(TRAIN).encode())],
    _PAIR,
    many=True,
)


@case("google-course-pair-as-paths", _PAIR, many=True)
def _pair_paths(tmp: Path) -> list[Path]:
    (tmp / TRAIN_NAME).write_text(hf.google_course(TRAIN))
    (tmp / TEST_NAME).write_text(hf.google_course(TEST))
    return [tmp / TRAIN_NAME, tmp / TEST_NAME]


# ---------------------------------------------------------------- several files of one stock

_D70 = history(70)
_A, _B = yahoo(_D70[:40]).encode(), yahoo(_D70[30:]).encode()
add(
    "two-files-overlapping-and-agreeing",
    [("part-1.csv", _A), ("part-2.csv", _B)],
    reads(_D70, files=("part-1.csv", "part-2.csv")),
    many=True,
)
_B_BAD = yahoo([hf.replace(d, close=d.close + 10) if d is _D70[35] else d for d in _D70[30:]])
add(
    "two-files-overlapping-and-disagreeing-name-the-first-day",
    [("part-1.csv", _A), ("part-2.csv", _B_BAD.encode())],
    refused(iso(_D70[35].date), r"Close", r"part-1\.csv", r"part-2\.csv"),
    many=True,
)
_LATER = history(40, "2021-04-05")
add(
    "two-files-with-a-gap-of-a-month",
    [("jan-feb.csv", TEXT40.encode()), ("apr-may.csv", yahoo(_LATER).encode())],
    reads(D40 + _LATER, warnings=(warned(r"gap|no prices from"),)),
    many=True,
)
add(
    "two-files-utf8-and-gzipped-utf16-agreeing",
    [("a.csv", _A), ("b.csv.gz", gz(hf.utf16(yahoo(_D70[30:]))))],
    reads(_D70),
    many=True,
)
_D330 = history(330)
add(
    "ten-files-at-the-cap",
    [(f"part-{i}.csv", yahoo(_D330[30 * i : 30 * i + 30]).encode()) for i in range(10)],
    reads(_D330[:300]),
    many=True,
)
add(
    "eleven-files-one-more-than-the-cap",
    [(f"part-{i}.csv", yahoo(_D330[30 * i : 30 * i + 30]).encode()) for i in range(11)],
    refused(r"\b10\b"),
    many=True,
)
add(
    "two-files-one-a-web-page",
    [("good.csv", _A), ("page.csv", b"<!DOCTYPE html><html><body>Sign in</body></html>")],
    refused(r"page\.csv", r"web page"),
    many=True,
)
add(
    "two-files-as-bare-bytes",
    [_A, _B],
    reads(_D70),
    many=True,
)
add(
    "one-file-given-to-read-price-csvs",
    [("only.csv", TEXT40.encode())],
    reads(D40, files=("only.csv",)),
    many=True,
)

# ================================================================ refused

add("empty", b"", refused(r"is empty"))
add("only-whitespace-and-newlines", b"  \r\n\n\t\n  ", refused(r"is empty"))
add("only-a-utf8-bom", b"\xef\xbb\xbf", refused(r"is empty"))
add("only-a-utf16-bom", b"\xff\xfe", refused(r"is empty"))
add("gzip-of-nothing", gz(b""), refused(r"is empty"))
add("header-only", (hf.table([], hf.YAHOO_HEADER, list)).encode(), refused(r"(?i)no prices|header"))
add("29-days", yahoo(history(29)).encode(), refused(r"at least 30"))
add(
    "20-rows-not-named-like-a-course-file",
    hf.google_course(TEST).encode(),
    refused(r"at least 30"),
)
add(
    "html-page",
    b"<!DOCTYPE html>\n<html><head><title>AAPL</title></head><body><table></table></body></html>",
    refused(r"web page"),
)
add(
    "html-after-bom-and-blank-lines",
    b"\xef\xbb\xbf\r\n\r\n  <HTML><BODY>Consent</BODY></HTML>",
    refused(r"web page"),
)
add("html-gzipped", gz(b"<html><body>Rate limited</body></html>"), refused(r"web page"))
add("html-utf16", hf.utf16("<!doctype html><html><body>x</body></html>"), refused(r"web page"))
add("xlsx-zip-magic", b"PK\x03\x04" + b"\x00" * 200, refused(r"Excel workbook or a ZIP archive"))
add(
    "zip-archive-holding-the-csv",
    hf.zip_archive({"prices.csv": TEXT40.encode()}),
    refused(r"Excel workbook or a ZIP archive"),
)
add(
    "gzip-of-an-xlsx",
    gz(b"PK\x03\x04" + bytes(range(256)) * 4),
    refused(r"Excel workbook or a ZIP archive"),
)
add("binary-junk-all-bytes", bytes(range(256)) * 8, refused(r"binary data"))
add(
    "binary-junk-seeded-random",
    np.random.default_rng(16).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
    refused(r"binary data"),
)
add(
    "png-image",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2,
    refused(r"binary data"),
)
add(
    "pdf-document",
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 900 /Filter /FlateDecode >>\nstream\n"
    + zlib.compress(bytes(range(256)) * 8),
    refused(r"binary data"),
)
add(
    "old-excel-xls-ole2",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    refused(r"binary data|Excel"),
)
add(
    "triple-gzip",
    gz(TEXT40, 3),
    refused(r"compressed more than twice"),
)
add(
    "gzip-cut-in-half",
    gz(TEXT40)[: len(gz(TEXT40)) // 2],
    refused(r"(?i)damaged|cut off|incomplete|\.gz|gzip"),
)

# ---------------------------------------------------------------- dates out of range, out of order

add("year-1500-whole-file", yahoo(history(40, "1500-01-04")).encode(), refused(r"before 1900"))
add("year-1899-whole-file", yahoo(history(40, "1899-06-01")).encode(), refused(r"before 1900"))
add(
    "history-starting-in-december-1899",
    yahoo(history(40, "1899-12-01")).encode(),
    refused(r"before 1900"),
)
add("year-3000-whole-file", yahoo(history(40, "3000-01-06")).encode(), refused(r"after today"))


def _one_date(days: Sequence[Day], row: int, text: str, **options) -> bytes:
    lines = yahoo(days, **options).splitlines()
    lines[row + 1] = text + lines[row + 1][lines[row + 1].index(",") :]
    return ("\n".join(lines) + "\n").encode()


add(
    "year-1500-on-one-row",
    _one_date(D40, 20, "1500-02-01"),
    refused(r"before 1900|out of order", r"(?i)line 22\b"),
)
add(
    "year-3000-on-one-row",
    _one_date(D40, 20, "3000-02-01"),
    refused(r"after today|out of order", r"(?i)line 22\b"),
)
_RUNS_ON = history(
    dates=[d.date() for d in pd.bdate_range(end=TODAY + datetime.timedelta(days=7), periods=40)]
)
add("history-running-into-next-week", yahoo(_RUNS_ON).encode(), refused(r"after today"))
_D2016 = history(60, "2016-03-01")
add(
    "typo-year-2036-in-a-2016-file",
    _one_date(_D2016, 30, iso(_D2016[30].date).replace("2016", "2036")),
    refused(r"out of order", r"(?i)line 32\b"),
)
add(
    "typo-year-2006-in-a-2016-file",
    _one_date(_D2016, 30, iso(_D2016[30].date).replace("2016", "2006")),
    refused(r"out of order", r"(?i)line 32\b"),
)
add(
    "typo-year-in-a-newest-first-file",
    _one_date(_D2016, 30, iso(_D2016[29].date).replace("2016", "2061"), newest_first=True),
    refused(r"out of order", r"(?i)line 32\b"),
)
add(
    "two-digit-year-typo-in-m-d-yy-file",
    _one_date(_D2016, 30, hf.mdyy(_D2016[30].date).replace("/16", "/61"), date=hf.mdyy),
    refused(r"out of order|before 1900|after today", r"(?i)line 32\b"),
)

# ---------------------------------------------------------------- numbers and shapes


def _cell(days: Sequence[Day], row: int, column: int, value: str, **options) -> bytes:
    """A Yahoo file with one cell replaced; ``row`` counts data rows from 0 (file line row + 2)."""
    lines = yahoo(days, **options).splitlines()
    parts = lines[row + 1].split(options.get("sep", ","))
    parts[column] = value
    lines[row + 1] = options.get("sep", ",").join(parts)
    return ("\n".join(lines) + "\n").encode()


add(
    "a-number-with-a-space-10-11",
    _cell(D40, 10, 1, "10 11"),
    refused(r"not a number", r"(?i)line 12\b"),
)
add(
    "us-file-with-one-decimal-comma",
    _cell(D40, 10, 4, '"110,75"'),
    refused(r"decimal", r"(?i)line 12\b"),
)
_mixed = european(_EU, "de").splitlines()
_parts = _mixed[11].split(";")
_parts[1:5] = [plain(getattr(_EU[10], a)) for a in ("open", "high", "low", "close")]
_mixed[11] = ";".join(_parts)
add(
    "european-file-mixing-decimal-commas-and-dots",
    ("\n".join(_mixed) + "\n").encode(),
    refused(r"decimal"),
)
add(
    "excel-na-in-a-cell",
    _cell(D40, 10, 4, "#N/A"),
    refused(r"Close", r"(?i)line 12\b"),
)
add("a-missing-close", _cell(D40, 10, 4, ""), refused(r"Close", r"(?i)line 12\b"))
_dup = yahoo(D40).splitlines()
_dup[9] = _dup[8]
add(
    "duplicated-dates",
    ("\n".join(_dup) + "\n").encode(),
    refused(iso(D40[7].date), r"(?i)more than once|twice|duplicate"),
)
_ragged = yahoo(D40).splitlines()
_ragged[4] += ",1,2"
add("ragged-row-with-extra-values", ("\n".join(_ragged) + "\n").encode(), refused(r"(?i)line 5\b"))
_short = yahoo(D40).splitlines()
_short[-1] = ",".join(_short[-1].split(",")[:3])
add(
    "short-last-line-with-a-line-break",
    ("\n".join(_short) + "\n").encode(),
    refused(r"(?i)line 41\b"),
)
add(
    "last-line-cut-off-mid-row",
    ("\n".join(_short)).encode(),
    refused(r"cut off"),
)
add(
    "last-line-cut-off-mid-date",
    ("\n".join(yahoo(D40).splitlines()[:-1]) + "\n2021-0").encode(),
    refused(r"cut off"),
)
add(
    "gzip-of-a-file-cut-off",
    gz("\n".join(_short)),
    refused(r"cut off"),
)
add(
    "no-date-column",
    table(D40, ("Open", "Close"), lambda d: [plain(d.open), plain(d.close)]).encode(),
    refused(r"(?i)no date column"),
)
add(
    "no-price-column",
    table(D40, ("Date", "Volume"), lambda d: [iso(d.date), whole(d.volume)]).encode(),
    refused(r"(?i)no price column"),
)
add(
    "unreadable-date",
    _cell(D40, 5, 0, "2021-13-45"),
    refused(r"2021-13-45", r"(?i)line 7\b"),
)
add(
    "prose-text-file",
    b"These are my notes about Apple.\nThe price went up a lot in 2020.\n",
    refused(r"(?i)date|price|column"),
)

# ---------------------------------------------------------------- caps


@case("larger-than-20-MB-as-bytes", refused(r"larger than 20 MB"))
def _big_bytes(_tmp: Path) -> bytes:
    return b"x" * (20 * MB + 1)


@case("larger-than-20-MB-as-a-path", refused(r"larger than 20 MB"))
def _big_path(tmp: Path) -> Path:
    path = tmp / "huge.csv"
    with path.open("wb") as file:
        file.write(TEXT40.encode())
        file.truncate(20 * MB + 1)  # sparse: nothing the size of the file is written
    return path


_ZEROS = b"\x00" * MB


@case("gzip-bomb-600-KB-of-price-lines", refused(r"unpacks to more than 20 MB"))
def _bomb_lines(_tmp: Path) -> bytes:
    line = b"2021-03-01,100.25,102.25,99.25,101.25,100.75,1000\n"
    return hf.gzip_bomb(line * (MB // len(line)), 600_000, head=TEXT40.encode())


@case("gzip-of-zeros-1-MB-unpacking-to-1-GB", refused(r"unpacks to more than 20 MB"))
def _bomb_zeros(_tmp: Path) -> bytes:
    return hf.gzip_bomb(_ZEROS, 1_000_000)


@case("gzip-bomb-inside-a-gzip-a-few-KB", refused(r"unpacks to more than 20 MB"))
def _bomb_nested(_tmp: Path) -> bytes:
    return gz(hf.gzip_bomb(_ZEROS, 1_000_000))


@case("twenty-mb-of-blank-lines", refused(r"more than 100,000 lines"))
def _blank_lines(_tmp: Path) -> bytes:
    return b"Date,Close\n" + b"\n" * (20 * 2**20 - 20)  # read row by row: 15 s, 1.5 GB


@case("a-line-of-19-million-commas", refused(r"Line 2 of .* has more than 50 values"))
def _commas(_tmp: Path) -> bytes:
    return b"Date,Close\n2021-01-01,1" + b"," * (19 * 2**20) + b"\n"  # hung the parser


@case("a-date-cell-of-19-mb", refused(r'the date "2{39}…" on line 2 cannot be read'))
def _long_date(_tmp: Path) -> bytes:
    return b"Date,Close\n" + b"2" * (19 * 2**20) + b",1\n"  # hung the date guess


@case("a-header-cell-of-19-mb", refused(r'no price column.*"C{39}…"'))
def _long_header(_tmp: Path) -> bytes:
    return b"Date," + b"C" * (19 * 2**20) + b"\n2021-01-01,1\n"  # quoted whole


def _calendar_days(count: int) -> bytes:
    """Header and ``count`` price lines, one per calendar day from 1900-01-01 (past today
    after 46,000 lines: no file of more than 50,000 distinct days can be valid)."""
    first = datetime.date(1900, 1, 1)
    rows = [
        f"{first + datetime.timedelta(days=i)},{100 + i % 50},{102 + i % 50},{99 + i % 50},"
        f"{101 + i % 50},1000\n"
        for i in range(count)
    ]
    return ("Date,Open,High,Low,Close,Volume\n" + "".join(rows)).encode()


@case("60000-lines", refused(r"more than 50,000 lines"))
def _many_lines(_tmp: Path) -> bytes:
    return _calendar_days(60_000)


@case(
    "50001-price-lines-one-over-the-cap",
    refused(r"more than 50,000 lines"),
)
def _one_too_many(_tmp: Path) -> bytes:
    return _calendar_days(50_001)


_LONG = history(
    40_000, dates=[datetime.date(1900, 1, 1) + datetime.timedelta(days=i) for i in range(40_000)]
)


@case("a-long-valid-history-40000-days", reads(_LONG, warnings=()))
def _long_history(_tmp: Path) -> bytes:
    return yahoo(_LONG).encode()


@case(
    "a-19-MB-file-45000-days-with-a-notes-column",
    Reads(45_000, "1900-01-01", "2023-03-16", columns=OHLCV),
)
def _nearly_20_mb(_tmp: Path) -> bytes:
    first = datetime.date(1900, 1, 1)
    note = "x" * 400
    rows = [
        f"{first + datetime.timedelta(days=i)},{100 + i % 50},{102 + i % 50},{99 + i % 50},"
        f"{101 + i % 50},1000,{note}\n"
        for i in range(45_000)
    ]
    content = ("Date,Open,High,Low,Close,Volume,Notes\n" + "".join(rows)).encode()
    assert 18 * MB < len(content) < 20 * MB
    return content


add(
    "a-header-of-60-columns",
    table(
        D40,
        (*hf.YAHOO_HEADER, *(f"Note {i}" for i in range(53))),
        lambda d: [
            iso(d.date),
            plain(d.open),
            plain(d.high),
            plain(d.low),
            plain(d.close),
            plain(d.adj),
            whole(d.volume),
            *[""] * 53,
        ],
    ).encode(),
    refused(r"more than 50 columns"),
)

# ================================================================ the test


def _source_bytes(source: object) -> bytes | None:
    if isinstance(source, bytes):
        return source
    if isinstance(source, tuple):
        return source[1]
    return None


STATS: dict[str, tuple[float, float]] = {}


def _params():
    for item in CASES:
        yield pytest.param(item, id=item.id)


def test_catalogue_has_at_least_80_named_cases():
    ids = [item.id for item in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(ids) >= 80, len(ids)
    assert sum(isinstance(item.expect, Reads) for item in CASES) >= 30
    assert sum(isinstance(item.expect, Refused) for item in CASES) >= 30


@pytest.mark.parametrize("item", list(_params()))
def test_catalogue(item: Case, tmp_path: Path):
    from rnnstock import data

    source = item.build(tmp_path)
    name = item.name or f"{item.id}.csv"
    if item.many:
        run = hf.run_within_budget(lambda: data.read_price_csvs(source))
        content = b"".join(b for s in source if (b := _source_bytes(s)) is not None)
    elif isinstance(source, bytes):
        run = hf.run_within_budget(lambda: data.read_price_csv(source, name=name))
        content = source if len(source) < MB else None
    else:
        run = hf.run_within_budget(lambda: data.read_price_csv(source))
        content = None
    STATS[item.id] = (run.seconds, run.peak_mb)

    expect = item.expect
    if isinstance(expect, Refused):
        assert run.frame is None, f"read {len(run.frame)} days; expected a refusal"
        assert isinstance(run.error, data.DataError), hf.error_summary(run.error)
        message = str(run.error)
        for pattern in expect.patterns:
            assert re.search(pattern, message), f"{pattern!r} not in: {message}"
        assert not hf.message_problems(message, content), (
            hf.message_problems(message, content),
            message,
        )
    else:
        assert run.error is None, hf.error_summary(run.error)
        _check_frame(run.frame, expect)

    assert run.seconds <= BUDGET_SECONDS, f"took {run.seconds:.1f} s"
    assert run.peak_mb <= BUDGET_MB, f"peak {run.peak_mb:.0f} MB"


def _check_frame(frame: pd.DataFrame, expect: Reads) -> None:
    hf.assert_canonical_frame(frame)
    assert len(frame) == expect.days
    assert frame.index[0] == pd.Timestamp(expect.first)
    assert frame.index[-1] == pd.Timestamp(expect.last)
    if expect.columns is not None:
        assert list(frame.columns) == list(expect.columns)
    for day, column, value in expect.values:
        assert frame.loc[pd.Timestamp(day), column] == pytest.approx(value, rel=1e-9), (day, column)

    warnings = frame.attrs["warnings"]
    if not expect.warnings:
        assert warnings == [], warnings
    for group in expect.warnings:
        assert any(all(re.search(p, w) for p in group) for w in warnings), (group, warnings)
    for pattern in expect.absent:
        assert not any(re.search(pattern, w) for w in warnings), (pattern, warnings)

    report = frame.attrs["read"]
    assert tuple(report.warnings) == tuple(warnings)
    for field_name, wanted in expect.report:
        got = getattr(report, field_name)
        if isinstance(wanted, int):
            assert got == wanted, (field_name, got)
        elif isinstance(got, tuple):
            assert any(wanted in item for item in got), (field_name, got)
        else:
            assert re.search(wanted, got), (field_name, got)
    for name in expect.files:
        assert any(name in item for item in report.files), report.files
    lines = report.lines()
    assert lines and all(isinstance(line, str) and line for line in lines)
    assert pickle.loads(pickle.dumps(report)) == report


def test_catalogue_budget_summary(capsys):
    """The slowest and hungriest cases, for the report (after the catalogue has run)."""
    if len(STATS) < len(CASES):
        pytest.skip("run the whole catalogue to see its costs")
    slowest = sorted(STATS.items(), key=lambda item: -item[1][0])[:5]
    hungriest = sorted(STATS.items(), key=lambda item: -item[1][1])[:5]
    lines = [
        f"catalogue: {len(STATS)} cases, {sum(s for s, _ in STATS.values()):.1f} s reading in all",
        "slowest: " + "; ".join(f"{k} {s:.2f} s" for k, (s, _) in slowest),
        "most memory: " + "; ".join(f"{k} {m:.0f} MB" for k, (_, m) in hungriest),
    ]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    # Together, the whole catalogue is a few seconds of reading: no case is near its budget.
    assert sum(s for s, _ in STATS.values()) < len(CASES) * BUDGET_SECONDS / 10


def test_normalize_prices_on_a_yfinance_frame_says_its_warnings():
    """attrs['warnings'] is on every canonical frame, not only on a CSV file's."""
    from rnnstock.data import normalize_prices
    from tests.data_helpers import yahoo_like_frame

    clean = normalize_prices(yahoo_like_frame(40))
    assert clean.attrs["warnings"] == []
    raw = yahoo_like_frame(40)
    raw.iloc[5, raw.columns.get_loc("Volume")] = -3
    raw.iloc[8, raw.columns.get_loc("High")] = raw["Low"].iloc[8] - 1
    warnings = normalize_prices(raw).attrs["warnings"]
    assert any("negative volume" in w for w in warnings), warnings
    assert any(re.search(r"below|outside", w) for w in warnings), warnings
