"""One normalisation for every source: any raw price table to the canonical frame.

:func:`normalize_prices` turns a raw table (a CSV file's rows as text, a
yfinance frame) into the frame described in :mod:`rnnstock.data`, raising
:class:`~rnnstock.data.errors.DataError` with the column and line of any
problem. It reads column names in the languages a class has, numbers with a
decimal dot or a decimal comma (decided once for the whole file), dates in any
common order (decided from the whole column), and lists what looks implausible
in ``attrs['warnings']`` instead of accepting it without a word.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from rnnstock.data.decoding import sentence
from rnnstock.data.errors import DataError
from rnnstock.settings import FIRST_DAY

PRICE_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close")
VOLUME = "Volume"
MIN_DAYS = 30
"""Fewer priced days than this cannot be split into training and test windows."""

GAP_DAYS = 7
"""Calendar days without prices that are more than a weekend and a holiday (9/11 closed 6)."""

# Header text -> canonical name, compared on letters only, accents and case
# folded ("Adj_Close ", "adj close" and "Adj Close**" are all "adjclose";
# "Eröffn." is "eroffn"). English first, then the exports of Investing.com and
# spreadsheets in German, French, Spanish, Italian, Portuguese and Dutch.
_COLUMN_NAMES = {
    "Date": "date datetime timestamp time day datum fecha data",
    "Open": "open opening eroffnung eroffn erster offnung ouverture ouv apertura abertura"
    " openingskoers",
    "High": "high hoch tageshoch hochst hochstkurs plushaut haut maximo maxima massimo max hoog",
    "Low": "low tief tagestief tiefst tiefstkurs plusbas bas minimo minima min laag",
    "Close": "close closelast price last schluss schlusskurs zuletzt letzter cloture dernier"
    " cierre ultimo chiusura fechamento fecho slot slotkoers",
    "Adj Close": "adjclose adjustedclose clotureajustee cierreajustado chiusuraaggiustata"
    " chiusuraadj fechamentoajustado",
    VOLUME: "volume vol volumen umsatz",
}
_CANONICAL = {key: name for name, keys in _COLUMN_NAMES.items() for key in keys.split()}

# Dates are read as text: a time of day and a UTC offset (Yahoo's
# "2006-05-25 00:00:00-04:00") are cut off, which keeps the exchange's own
# calendar date instead of shifting it to another day through UTC.
_TIME_OF_DAY = (
    r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"  # 00:00, 00:00:00, 00:00:00.000
    r"\s*(?:[AaPp][Mm])?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?$"  # am/pm, then a zone or offset
)


@dataclass(frozen=True)
class DateOrder:
    format: str
    says: str
    """How the facts name it: 'month first (10/11/2021)'."""


# Every format tried on a sample, then on the whole column. Of a month-first
# and a day-first reading that both fit, the one listed first wins only if the
# other does not keep the rows in order (see _dates).
_DATE_ORDERS = (
    DateOrder("ISO8601", "year-month-day (2021-10-11)"),
    DateOrder("%Y/%m/%d", "year/month/day (2021/10/11)"),
    DateOrder("%Y.%m.%d", "year.month.day (2021.10.11)"),
    DateOrder("%Y%m%d", "year month day (20211011)"),
    DateOrder("%m/%d/%Y", "month first (10/11/2021)"),
    DateOrder("%d/%m/%Y", "day first (11/10/2021)"),
    DateOrder("%d.%m.%Y", "day first (11.10.2021)"),
    DateOrder("%m.%d.%Y", "month first (10.11.2021)"),
    DateOrder("%m-%d-%Y", "month first (10-11-2021)"),
    DateOrder("%d-%m-%Y", "day first (11-10-2021)"),
    DateOrder("%m/%d/%y", "month first, two-digit years (10/11/21)"),
    DateOrder("%d/%m/%y", "day first, two-digit years (11/10/21)"),
    DateOrder("%d.%m.%y", "day first, two-digit years (11.10.21)"),
    DateOrder("%d-%b-%Y", "day-month name-year (11-Oct-2021)"),
    DateOrder("%d-%b-%y", "day-month name-year (11-Oct-21)"),
    DateOrder("%b %d, %Y", "month name first (Oct 11, 2021)"),
    DateOrder("%B %d, %Y", "month name first (October 11, 2021)"),
    DateOrder("%d %b %Y", "day first, month name (11 Oct 2021)"),
    DateOrder("%d %B %Y", "day first, month name (11 October 2021)"),
)
_SAMPLE = 64  # dates a format must read before it is tried on the whole column
_LONGEST_DATE = 40  # characters: "Wednesday, September 15, 2021 00:00:00 UTC" is not longer

# Numbers. Cells are text with the currency and the outer spaces removed;
# a space inside a number is allowed only between groups of three digits.
_CURRENCY = r"[$€£¥]"
_SPACES = "\u00a0\u202f "  # a space, no-break space and narrow no-break space (French)
# A cell that can only be read one way: a group separator then a decimal (1,234.5),
# decimals that are not three digits (3.75, 0.1234), four digits or more before the
# mark (1234.567: a thousands group has at most three), or two thousands groups.
_DOT_DECIMAL = (
    r"^[+-]?(?:\d{1,3}(?:,\d{3})+\.\d+|\d+\.(?:\d{1,2}|\d{4,})|\d{4,}\.\d+"
    r"|\d{1,3}(?:,\d{3}){2,})$"
)
_COMMA_DECIMAL = (
    r"^[+-]?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+,(?:\d{1,2}|\d{4,})|\d{4,},\d+"
    r"|\d{1,3}(?:\.\d{3}){2,})$"
)
_GROUPED = {
    ".": r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$",
    ",": r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?$",
}
_SPACE_GROUPED = r"^[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d*)?$"
_VOLUME_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9}  # Investing.com: 2.77M, 564.84K, 1.2B
DECIMALS = {".": "a dot (1,234.56)", ",": "a comma (1.234,56)"}


def column_key(label: object) -> str:
    """A header as letters only: accents and case folded ('Eröffn.' is 'eroffn')."""
    text = unicodedata.normalize("NFKD", str(label).casefold())
    return re.sub(r"[^a-z]", "", text)


def canonical_name(label: object) -> str | None:
    """The canonical column a header names ('Schluss' is 'Close'), or None."""
    return _CANONICAL.get(column_key(label))


SHOWN_CHARS = 40
"""Characters of a cell or header a message quotes: a damaged file's cell can be megabytes."""


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """Outside text as a message quotes it: one line, no control characters, cut short."""
    text = str(value)[: limit + 1]
    text = "".join(" " if char < " " or char == "\x7f" else char for char in text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def row_name(label: object, line_numbers: bool) -> str:
    if line_numbers:
        return f"line {label}"
    if isinstance(label, pd.Timestamp):
        return f"the row dated {label:%Y-%m-%d}"
    return f"row {label}"


def within(origin: str | None) -> str:
    return f"In {origin}, " if origin else ""


@dataclass(frozen=True)
class Normalized:
    """The canonical frame and how its table was read (for the facts of a file)."""

    frame: pd.DataFrame
    dates: str
    decimals: str
    dropped: int
    ignored: tuple[str, ...]


def normalize_prices(
    frame: pd.DataFrame, *, origin: str | None = None, line_numbers: bool = False
) -> pd.DataFrame:
    """Canonical, validated daily prices from a raw table (CSV rows or a yfinance frame).

    The dates come from a 'Date'-like column or, failing that, the index.
    Column names are matched loosely ('adj_close' is 'Adj Close', 'Schluss' is
    'Close'); columns that are not prices or volume (Dividends, Change %, empty
    trailing columns) are dropped. Rows without any price (blank lines,
    holidays written as 'null') are dropped; every other problem raises
    :class:`DataError`. ``attrs['warnings']`` lists implausible prices.

    ``origin`` names the data in messages (a file name); ``line_numbers`` says
    the index holds each row's line number in the file, so messages can point
    at the line.
    """
    return normalize_table(frame, origin=origin, line_numbers=line_numbers).frame


def normalize_table(
    frame: pd.DataFrame,
    *,
    origin: str | None = None,
    line_numbers: bool = False,
    separator: str = ",",
    min_days: int = MIN_DAYS,
) -> Normalized:
    """:func:`normalize_prices`, and how it read the table. ``separator`` is the file's:
    a ';' file whose numbers cannot tell writes decimal commas."""
    named: dict[str, object] = {}
    for label in frame.columns:
        canonical = canonical_name(label)
        if canonical is None:
            continue
        if canonical in named:
            raise DataError(
                f'{within(origin)}the columns "{shown(named[canonical])}" and'
                f' "{shown(label)}" both hold {canonical} values.'
                " Keep one of them (one stock per file)."
            )
        named[canonical] = label
    ignored = tuple(
        str(label)
        for label in frame.columns
        if label not in named.values() and str(label).strip() and not _unnamed(label)
    )

    price_names = [c for c in PRICE_COLUMNS if c in named]
    if not price_names:
        found = ", ".join(f'"{shown(c)}"' for c in frame.columns[:12]) or "none"
        raise DataError(
            f"{within(origin)}there is no price column. Expected at least one of"
            f" {', '.join(PRICE_COLUMNS)} (columns found: {found})."
        )
    if "Date" in named:
        raw_dates = frame[named["Date"]]
    elif isinstance(frame.index, pd.DatetimeIndex) or column_key(frame.index.name) == "date":
        raw_dates = frame.index.to_series(index=frame.index)
    else:
        found = ", ".join(f'"{shown(c)}"' for c in frame.columns[:12])
        raise DataError(
            f"{within(origin)}there is no date column. The first line should name the columns,"
            f' one of them "Date" (columns found: {found}).'
        )

    value_names = price_names + ([VOLUME] if VOLUME in named else [])
    mark, decided = _decimal_mark(frame, named, value_names, origin, line_numbers, separator)
    values = pd.DataFrame(
        {
            name: _numbers(frame[named[name]], name, origin, line_numbers, mark)
            for name in value_names
        },
        index=frame.index,
    )
    # A column with no value at all (an empty "Adj Close") says nothing; drop it.
    values = values.loc[:, values.notna().any()]
    price_names = [c for c in price_names if c in values.columns]
    if not price_names:
        raise DataError(
            f"{within(origin)}the price columns ({', '.join(str(named[c]) for c in value_names)})"
            " are empty. Choose a file with prices in it."
        )

    # A row without any price is not a trading day (blank line, 'null' holiday row).
    priced = values[price_names].notna().any(axis=1)
    dated = raw_dates.astype("string").str.strip().fillna("") != ""
    dropped = int((~priced & dated).sum())
    values = values[priced]
    dates, date_order = _dates(raw_dates[priced], origin, line_numbers)

    missing = values[price_names].isna()
    if missing.any(axis=None):
        label = missing.any(axis=1).idxmax()
        column = missing.loc[label].idxmax()
        raise DataError(
            f"{sentence(row_name(label, line_numbers))}{' of ' + origin if origin else ''}"
            f" has no {column} price. Fill in the missing value or delete that line."
        )

    repeated = dates.duplicated(keep=False)
    if repeated.any():
        day = dates[repeated].iloc[0]
        rows = dates.index[dates == day]
        if line_numbers:
            where = f"lines {rows[0]} and {rows[1]}"
        else:
            where = " and ".join(row_name(label, line_numbers) for label in rows[:2])
        raise DataError(
            f"{within(origin)}the date {day:%Y-%m-%d} appears more than once ({where})."
            " Each trading day must appear once; delete the extra rows."
        )
    # A typo'd year first (its neighbours say what it should be), then any date no price
    # history can hold; only then nanoseconds, which end in 2262.
    _check_order(dates, origin, line_numbers)
    _check_range(dates, raw_dates[priced], origin, line_numbers)
    dates = dates.astype("datetime64[ns]")

    result = values.set_axis(pd.DatetimeIndex(dates, name="Date")).sort_index(kind="stable")
    result.attrs = dict(frame.attrs)
    if len(result) < min_days:
        raise DataError(
            f"{within(origin)}there {_only(len(result))} with prices; at least"
            f" {min_days} are needed to train and test a model. Use a longer history."
        )
    result.attrs["warnings"] = implausible(result)
    decimals = _decimals_said(mark, decided, separator)
    if not decided:
        result.attrs["warnings"] += _two_ways(frame, named, value_names, mark)
    return Normalized(result, date_order, decimals, dropped, ignored)


def _unnamed(label: object) -> bool:
    return str(label).startswith("Unnamed: ")


# -- numbers -------------------------------------------------------------------------


def _cells(column: pd.Series) -> pd.Series:
    """Text cells without currency signs and outer spaces; blank and '-' are missing."""
    text = column.astype("string").str.replace(_CURRENCY, "", regex=True).str.strip(_SPACES)
    return text.mask(text.isin(["", "-", "—", "null", "NULL", "None", "NaN", "nan", "N/A"]))


def _decimal_mark(
    frame: pd.DataFrame,
    named: dict[str, object],
    value_names: list[str],
    origin: str | None,
    line_numbers: bool,
    separator: str,
) -> tuple[str, bool]:
    """'.' or ',' for the whole file, from the cells that can only be read one way, and
    whether any cell could (else the mark is assumed; a frame of floats needs none).

    A file with cells of both kinds is refused: '3,75' among '3.80's is a typo,
    and reading it as 375 would put a spike in the prices without a word.
    """
    first: dict[str, tuple[str, object, str] | None] = {".": None, ",": None}
    counts = {".": 0, ",": 0}
    texts = 0
    for name in value_names:
        column = frame[named[name]]
        if pd.api.types.is_numeric_dtype(column):
            continue
        texts += 1
        text = _cells(column)
        if name == VOLUME:
            text = text.str.replace(r"(?i)[kmb]$", "", regex=True)
        spaced = text.str.fullmatch(_SPACE_GROUPED).fillna(False)
        text = text.mask(spaced, text.str.replace(f"[{_SPACES}]", "", regex=True))
        for mark, pattern in ((".", _DOT_DECIMAL), (",", _COMMA_DECIMAL)):
            hits = text.str.fullmatch(pattern).fillna(False)
            counts[mark] += int(hits.sum())
            if first[mark] is None and hits.any():
                label = hits.idxmax()
                first[mark] = (name, label, str(text.loc[label]))
    dot, comma = first["."], first[","]
    if dot and comma:
        # The odd one out is the kind fewer cells have; the message quotes it first.
        odd, usual = (",", ".") if counts[","] <= counts["."] else (".", ",")
        name, label, value = first[odd]
        _, usual_label, usual_value = first[usual]
        words = {".": ("dot", "3.75"), ",": ("comma", "3,75")}
        raise DataError(
            f'{within(origin)}the {name} column has "{shown(value)}" on'
            f" {row_name(label, line_numbers)}, with a decimal {words[odd][0]}, while"
            f" {counts[usual]:,} other prices have a decimal {words[usual][0]}"
            f' ("{shown(usual_value)}" on {row_name(usual_label, line_numbers)}).'
            f" Use a {words[usual][0]} for decimals, like {words[usual][1]}, everywhere in"
            " the file, and fix or delete that line."
        )
    decided = bool(dot or comma) or texts == 0
    if comma or (not dot and separator == ";"):
        return ",", decided
    return ".", decided


_TWO_WAYS = r"^[+-]?\d{1,3}[.,]\d{3}$"  # 3,750 or 995.500: a decimal, or a thousands group


def _two_ways(
    frame: pd.DataFrame, named: dict[str, object], value_names: list[str], mark: str
) -> list[str]:
    """A warning when the file's numbers could be read with either decimal mark and one was
    assumed: "3,750" is 3.75 with decimal commas and 3750 with a thousands comma."""
    for name in value_names:
        column = frame[named[name]]
        if pd.api.types.is_numeric_dtype(column):
            continue
        cells = _cells(column)
        hits = cells.str.fullmatch(_TWO_WAYS).fillna(False)
        if hits.any():
            cell = str(cells[hits.idxmax()])
            as_decimal = float(cell.replace(",", "."))
            as_group = float(cell.replace(",", "").replace(".", ""))
            read, other = (as_decimal, as_group) if cell[-4] == mark else (as_group, as_decimal)
            return [
                f'Numbers like "{shown(cell)}" in the {name} column can be read two ways:'
                f" they were read as {read:,.10g}, but could be {other:,.10g}. No number in"
                " the file tells which decimal mark it uses; check a price you know."
            ]
    return []


def _decimals_said(mark: str, decided: bool, separator: str) -> str:
    """How the facts say the decimal mark was chosen."""
    if decided:
        return DECIMALS[mark]
    why = "the ';' separator" if separator == ";" else "the usual"
    return f"{DECIMALS[mark]}, assumed from {why}: no number in the file could tell"


def _numbers(
    column: pd.Series, name: str, origin: str | None, line_numbers: bool, mark: str
) -> pd.Series:
    """A column as float64; text that is not a number raises, naming column and row."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = column.astype("float64")
        text = column.astype("string")
        cells = text
    else:
        text = column.astype("string").str.strip()
        cells = _cells(column)
        scale = pd.Series(1.0, index=column.index)
        if name == VOLUME:
            suffix = cells.str.extract(r"(?i)([kmb])$", expand=False).str.upper()
            scale = suffix.map(_VOLUME_SUFFIX).astype("float64").fillna(1.0)
            cells = cells.str.replace(r"(?i)[kmb]$", "", regex=True)
        spaced = cells.str.fullmatch(_SPACE_GROUPED).fillna(False)
        plain = cells.mask(spaced, cells.str.replace(f"[{_SPACES}]", "", regex=True))
        grouped = plain.str.fullmatch(_GROUPED[mark]).fillna(False)
        separator = "," if mark == "." else "."
        plain = plain.mask(grouped, plain.str.replace(separator, "", regex=False))
        if mark == ",":
            # A dot left after the thousands groups went is no decimal comma's: 999.885
            # in a file read with decimal commas is not a number, never 999885.
            plain = plain.mask(plain.str.contains(".", regex=False).fillna(False), "no")
            plain = plain.str.replace(",", ".", regex=False)
        plain = plain.mask(plain.str.contains(r"[^0-9.eE+-]").fillna(False), "not a number")
        numbers = pd.to_numeric(plain, errors="coerce").astype("float64") * scale
    bad = (numbers.isna() & cells.notna()) | np.isinf(numbers)
    if bad.any():
        label = bad.idxmax()
        value = text.loc[label]
        hint = ""
        if mark == "." and "," in str(value):
            hint = " Use a dot for decimals, like 3.75."
        elif mark == "," and "." in str(value):
            hint = " This file writes decimals with a comma, like 3,75."
        raise DataError(
            f'{within(origin)}the {name} column has "{shown(value)}" on'
            f" {row_name(label, line_numbers)}, which is not a number.{hint}"
            " Fix or delete that line."
        )
    return numbers


# -- dates ---------------------------------------------------------------------------


def _dates(raw: pd.Series, origin: str | None, line_numbers: bool) -> tuple[pd.Series, str]:
    """Calendar dates (tz-naive, midnight; not yet checked to be in range) and how they
    were read.

    Every format that reads the whole column is a candidate. If both a
    month-first and a day-first reading fit (every day is 12 or less), the one
    that keeps the rows running in one direction wins, and the facts say so.
    """
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raw = raw.dt.tz_localize(None)  # keep the exchange's local wall-clock date
    if pd.api.types.is_datetime64_any_dtype(raw):
        dates = raw.dt.normalize()
        return dates, "dates and times"
    text = raw.astype("string").str.strip().str.replace(_TIME_OF_DAY, "", regex=True)
    blank = text.isna() | (text == "")
    filled = text[~blank]
    if filled.empty:
        label = raw.index[0]
        raise DataError(
            f"{sentence(row_name(label, line_numbers))}{' of ' + origin if origin else ''}"
            " has prices but no date. Add the date or delete that line."
        )
    long = filled.str.len() > _LONGEST_DATE
    if long.any():
        label = long.idxmax()
        raise DataError(
            f'{within(origin)}the date "{shown(raw.loc[label])}" on {row_name(label, line_numbers)}'
            " cannot be read. Write dates like 2021-10-11 (or 10/11/2021) and check that line."
        )
    fits: list[tuple[DateOrder, pd.Series]] = []
    best, best_failures = None, -1
    sample = filled.iloc[:_SAMPLE]
    for order in _candidates(filled):
        if pd.to_datetime(sample, format=order.format, errors="coerce").isna().any():
            continue
        parsed = pd.to_datetime(text, format=order.format, errors="coerce")
        if "%y" in order.format:  # two-digit years: never in the future ('68' is 1968)
            future = parsed > pd.Timestamp(datetime.date.today())
            parsed = parsed.mask(future, parsed - pd.DateOffset(years=100))
        failures = int((parsed.isna() & ~blank).sum())
        if failures == 0:
            fits.append((order, parsed))
        elif best is None or failures < best_failures:
            best, best_failures = parsed, failures
    if not fits:
        if best is None:
            best = pd.to_datetime(text, format="ISO8601", errors="coerce")
        label = (best.isna() & ~blank).idxmax()
        raise DataError(
            f'{within(origin)}the date "{shown(raw.loc[label])}" on {row_name(label, line_numbers)}'
            " cannot be read. Write dates like 2021-10-11 (or 10/11/2021) and check that line."
        )
    if blank.any():
        label = blank.idxmax()
        raise DataError(
            f"{sentence(row_name(label, line_numbers))}{' of ' + origin if origin else ''}"
            " has prices but no date. Add the date or delete that line."
        )
    order, dates = fits[0]
    says = order.says
    if len(fits) > 1 and fits[0][1].ne(fits[1][1]).any():
        in_order = [fit for fit in fits if _one_direction(fit[1])]
        order, dates = (in_order or fits)[0]
        reason = "keeps the rows in date order" if in_order else "is the most common"
        says = f"{order.says}: every day is 12 or less, and this reading {reason}"
    return dates, says


def _candidates(filled: pd.Series) -> list[DateOrder]:
    """The known orders, with pandas' own guess for the first date tried first."""
    first = str(filled.iloc[0])
    guesses = []
    for dayfirst in (False, True):
        with warnings.catch_warnings():  # "Parsing dates in %Y-%m-%d format when dayfirst..."
            warnings.simplefilter("ignore", UserWarning)
            guess = guess_datetime_format(first, dayfirst=dayfirst)
        if guess and all(guess != order.format for order in _DATE_ORDERS):
            guesses.append(DateOrder(guess, f"as {first} is written ({guess})"))
    return [*_DATE_ORDERS, *guesses]


def _one_direction(dates: pd.Series) -> bool:
    steps = dates.diff().dropna()
    return bool((steps > pd.Timedelta(0)).all() or (steps < pd.Timedelta(0)).all())


def _check_range(dates: pd.Series, raw: pd.Series, origin: str | None, line_numbers: bool) -> None:
    """History runs from 1900 (``settings.FIRST_DAY``) to today; anything else is a typo."""
    today = pd.Timestamp(datetime.date.today())
    for wrong, says in (
        (dates < pd.Timestamp(FIRST_DAY), f"before {FIRST_DAY.year}"),
        (dates > today + pd.Timedelta(days=1), f"after today ({today:%Y-%m-%d})"),
    ):
        if wrong.any():
            label = wrong.idxmax()
            raise DataError(
                f'{within(origin)}the date "{shown(raw.loc[label])}" on'
                f" {row_name(label, line_numbers)} is {says}; a price history cannot hold it."
                " Check the year on that line."
            )


def _check_order(dates: pd.Series, origin: str | None, line_numbers: bool) -> None:
    """A date far from both neighbours in a file that runs in one direction is a typo.

    ('2036-03-04' between 2016-03-03 and 2016-03-07 would move to the end of
    the history.) A whole file in reverse, or neighbouring rows swapped, is
    simply sorted.
    """
    if len(dates) < 3:
        return
    values = dates.to_numpy()
    steps = np.diff(values).astype("timedelta64[D]").astype(np.int64)
    rising, falling = int((steps > 0).sum()), int((steps < 0).sum())
    if min(rising, falling) == 0 or min(rising, falling) > len(steps) // 10:
        return  # in order already, or no order to keep
    direction = 1 if rising >= falling else -1
    days = values.astype("datetime64[D]").astype(np.int64)
    month = 31
    far = np.abs(np.diff(days)) > month  # far[i]: rows i and i + 1 are over a month apart
    against = np.diff(days) * direction < 0  # row i + 1 comes before row i in the file's way
    typo = np.zeros(len(days), dtype=bool)
    across = (days[2:] - days[:-2]) * direction  # the neighbours of rows 1 .. n-2
    typo[1:-1] = far[:-1] & far[1:] & (across > 0) & (across <= month)
    typo[0] = far[0] & against[0]  # a first row after the second, far from it
    typo[-1] = far[-1] & against[-1]  # a last row before the one above it
    if not typo.any():
        return
    i = int(np.argmax(typo))
    neighbours = [values[j] for j in (i - 1, i + 1) if 0 <= j < len(values)]
    label = dates.index[i]
    around = " and ".join(f"{pd.Timestamp(v):%Y-%m-%d}" for v in neighbours)
    raise DataError(
        f"{within(origin)}the date {pd.Timestamp(values[i]):%Y-%m-%d} on"
        f" {row_name(label, line_numbers)} is out of order: the rows around it are dated"
        f" {around}. Is the year a typo? Fix or delete that line."
    )


# -- what looks wrong but is kept ----------------------------------------------------


def implausible(prices: pd.DataFrame) -> list[str]:
    """Warnings about prices that were accepted but are unlikely to be real.

    Zero or negative prices, a High below the Low or an Open or Close outside
    the day's Low-High range (swapped columns, or a Close not adjusted for a
    split), negative volumes, and gaps of more than :data:`GAP_DAYS` days.
    """
    found = []
    prices_only = prices[[c for c in PRICE_COLUMNS if c in prices.columns]]
    nonpositive = (prices_only <= 0).any(axis=1)
    if nonpositive.any():
        day = nonpositive.idxmax()
        column = (prices_only.loc[day] <= 0).idxmax()
        found.append(
            f"{_days(nonpositive.sum())} a zero or negative price (first {day:%Y-%m-%d}:"
            f" {column} {prices_only.loc[day, column]:,.2f}). A model learns from them as if real."
        )
    if {"High", "Low"} <= set(prices.columns):
        high, low = prices["High"], prices["Low"]
        slack = 1e-6 * high.abs() + 1e-9  # rounding in the last digit is not a problem
        outside = low > high + slack
        for column in ("Open", "Close"):
            if column in prices.columns:
                value = prices[column]
                outside |= (value > high + slack) | (value < low - slack)
        if outside.any():
            day = outside.idxmax()
            row = prices.loc[day]
            shown = ", ".join(
                f"{c} {row[c]:,.2f}" for c in ("Open", "High", "Low", "Close") if c in row
            )
            found.append(
                f"{_days(outside.sum())} a price outside that day's Low to High range, or"
                f" a High below the Low (first {day:%Y-%m-%d}: {shown}). Columns may be"
                " swapped, or the Close not adjusted for a split."
            )
    if VOLUME in prices.columns and (prices[VOLUME] < 0).any():
        negative = prices[VOLUME] < 0
        found.append(
            f"{_days(negative.sum())} a negative volume (first"
            f" {negative.idxmax():%Y-%m-%d}). Volumes count shares traded."
        )
    gaps = prices.index.to_series().diff() > pd.Timedelta(days=GAP_DAYS)
    if gaps.any():
        ends = prices.index[gaps.to_numpy()]
        starts = prices.index[np.flatnonzero(gaps.to_numpy()) - 1]
        shown = "; ".join(
            f"no prices from {start:%Y-%m-%d} to {end:%Y-%m-%d} ({(end - start).days} days)"
            for start, end in list(zip(starts, ends, strict=True))[:3]
        )
        more = f" and {len(ends) - 3} more" if len(ends) > 3 else ""
        found.append(
            f"{len(ends)} gap{'s' if len(ends) > 1 else ''} of more than a week:"
            f" {shown}{more}. Windows across a gap join prices weeks apart."
        )
    return found


def _only(count: int) -> str:
    return "is only 1 day" if count == 1 else f"are only {count:,} days"


def _days(count: int) -> str:
    return "1 day has" if count == 1 else f"{count:,} days have"
