"""Bad and odd price files built from bytes, for the reader's catalogue and fuzz tests.

Everything here is offline and deterministic: a file is a few KB built from a
list of :class:`Day` rows by a formatter (Yahoo, Investing.com, a European
``;`` file, the Google course files...), then encoded, compressed or damaged.
The few deliberate bombs stay small on disk: :func:`gzip_bomb` repeats one
independently compressed block, so a 1 MB gzip that unpacks to 1 GB is built
in a fraction of a second without ever holding the 1 GB.

:func:`run_within_budget` reads one file and measures it (wall time with
``time.perf_counter``, then peak Python memory with ``tracemalloc``, which numpy
and pandas report to, in a second run); :func:`message_problems` lists what makes a refusal's
message unfit for a teacher (a traceback, Python repr noise, a wall of text).
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import gzip
import io
import re
import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

TODAY = datetime.date.today()
MB = 2**20

# ---------------------------------------------------------------- rows


@dataclass(frozen=True)
class Day:
    """One trading day; Low < Open < Adj Close < Close < High, as a sane file has it."""

    date: datetime.date
    open: float
    high: float
    low: float
    close: float
    adj: float
    volume: float


def history(
    days: int = 40,
    start: str | datetime.date = "2021-01-04",
    *,
    base: float = 100.25,
    step: float = 0.5,
    volume: int = 1000,
    volume_step: int = 1,
    dates: Sequence[datetime.date] | None = None,
) -> list[Day]:
    """``days`` business days from ``start`` (or the given ``dates``), prices rising by ``step``.

    Every price is a multiple of 0.25, so it survives any text round trip exactly.
    """
    if dates is None:
        dates = [d.date() for d in pd.bdate_range(start, periods=days)]
    return [
        Day(
            date=day,
            open=base + step * i,
            high=base + step * i + 2,
            low=base + step * i - 1,
            close=base + step * i + 1,
            adj=base + step * i + 0.5,
            volume=float(volume + volume_step * i),
        )
        for i, day in enumerate(dates)
    ]


def replace(day: Day, **changes: float) -> Day:
    return Day(**{**day.__dict__, **changes})


# ---------------------------------------------------------------- cell formats


def iso(day: datetime.date) -> str:
    return day.isoformat()


def mdy(day: datetime.date) -> str:
    """1/4/2021: the Google course files, Excel in the US."""
    return f"{day.month}/{day.day}/{day.year}"


def mdy0(day: datetime.date) -> str:
    """01/04/2021: Investing.com, Nasdaq.com."""
    return f"{day:%m/%d/%Y}"


def mdyy(day: datetime.date) -> str:
    """1/4/21: two-digit years."""
    return f"{day.month}/{day.day}/{day:%y}"


def dmy_slash(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


def dmy_dot(day: datetime.date) -> str:
    return f"{day:%d.%m.%Y}"


def plain(value: float) -> str:
    return f"{value:.2f}"


def us(value: float) -> str:
    """1,234.50"""
    return f"{value:,.2f}"


def eu(value: float) -> str:
    """1.234,50"""
    return f"{value:,.2f}".translate(str.maketrans(",.", ".,"))


def eu_volume(value: float) -> str:
    """1.234.567"""
    return f"{int(value):,}".replace(",", ".")


def us_volume(value: float) -> str:
    """1,234,567"""
    return f"{int(value):,}"


def whole(value: float) -> str:
    return str(int(value))


def suffixed(value: float, *, decimal: str = ".") -> str:
    """Investing.com's volumes: 2.77M, 564.84K, 1.20B."""
    for suffix, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.2f}".replace(".", decimal) + suffix
    return str(int(value))


# ---------------------------------------------------------------- tables


def table(
    days: Sequence[Day],
    header: Sequence[str],
    cells: Callable[[Day], Sequence[str]],
    *,
    sep: str = ",",
    quote: bool = False,
    newest_first: bool = False,
    newline: str = "\n",
    final_newline: bool = True,
) -> str:
    """A CSV text: ``header`` then one line of ``cells(day)`` per day.

    ``quote`` quotes every field (Investing.com, Excel's "all fields"); otherwise
    only fields holding the separator or a quote are quoted, as csv.writer does.
    """
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=sep,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    for day in reversed(days) if newest_first else days:
        writer.writerow(cells(day))
    text = buffer.getvalue()
    return text if final_newline else text[: -len(newline)]


YAHOO_HEADER = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")


def yahoo(days: Sequence[Day], *, date: Callable = iso, **options) -> str:
    """Yahoo Finance's download: Date,Open,High,Low,Close,Adj Close,Volume, oldest first."""
    return table(
        days,
        YAHOO_HEADER,
        lambda d: [
            date(d.date),
            plain(d.open),
            plain(d.high),
            plain(d.low),
            plain(d.close),
            plain(d.adj),
            whole(d.volume),
        ],
        **options,
    )


INVESTING_HEADER = ("Date", "Price", "Open", "High", "Low", "Vol.", "Change %")


def investing(
    days: Sequence[Day],
    *,
    volume: Callable[[Day], str] | None = None,
    header: Sequence[str] = INVESTING_HEADER,
    date: Callable = mdy0,
    number: Callable = us,
    sep: str = ",",
    newest_first: bool = True,
    **options,
) -> str:
    """Investing.com's export: every field quoted, newest first, 'Price' is the Close."""
    volume = volume or (lambda d: suffixed(d.volume))
    return table(
        days,
        header,
        lambda d: [
            date(d.date),
            number(d.close),
            number(d.open),
            number(d.high),
            number(d.low),
            volume(d),
            "0.42%" if number is us else "0,42%",
        ],
        quote=True,
        sep=sep,
        newest_first=newest_first,
        **options,
    )


# Header words of a European bank's or broker's export, per language (Date, Open, High, Low, Close,
# Volume), and the date format that language's files use.
EUROPEAN = {
    "de": (("Datum", "Eröffnung", "Hoch", "Tief", "Schluss", "Volumen"), dmy_dot),
    "fr": (("Date", "Ouverture", "Plus haut", "Plus bas", "Clôture", "Volume"), dmy_slash),
    "es": (("Fecha", "Apertura", "Máximo", "Mínimo", "Cierre", "Volumen"), dmy_slash),
    "it": (("Data", "Apertura", "Massimo", "Minimo", "Chiusura", "Volume"), dmy_slash),
    "pt": (("Data", "Abertura", "Máxima", "Mínima", "Fechamento", "Volume"), dmy_slash),
    "nl": (("Datum", "Open", "Hoog", "Laag", "Slot", "Volume"), dmy_dot),
}

# Investing.com's localized exports: Date, Close ('Zuletzt', 'Dernier'...), Open, High, Low, Vol.,
# Change.
INVESTING_LOCALIZED = {
    "de": ("Datum", "Zuletzt", "Eröffnung", "Hoch", "Tief", "Vol.", "+/- %"),
    "fr": ("Date", "Dernier", "Ouverture", "Plus haut", "Plus bas", "Vol.", "Variation %"),
    "es": ("Fecha", "Último", "Apertura", "Máximo", "Mínimo", "Vol.", "% var."),
    "it": ("Data", "Ultimo", "Apertura", "Massimo", "Minimo", "Vol.", "Var. %"),
    "pt": ("Data", "Último", "Abertura", "Máxima", "Mínima", "Vol.", "Variação %"),
}


def european(days: Sequence[Day], language: str = "de", *, number: Callable = eu, **options) -> str:
    """A ';' file with decimal commas and day-first dates, headers in ``language``."""
    header, date = EUROPEAN[language]
    return table(
        days,
        header,
        lambda d: [
            date(d.date),
            number(d.open),
            number(d.high),
            number(d.low),
            number(d.close),
            eu_volume(d.volume),
        ],
        sep=";",
        **options,
    )


def nasdaq(days: Sequence[Day]) -> str:
    """Nasdaq.com: Date,Close/Last,Volume,Open,High,Low, newest first, dollar signs."""
    return table(
        days,
        ("Date", "Close/Last", "Volume", "Open", "High", "Low"),
        lambda d: [
            mdy0(d.date),
            f"${d.close:.2f}",
            whole(d.volume),
            f"${d.open:.2f}",
            f"${d.high:.2f}",
            f"${d.low:.2f}",
        ],
        newest_first=True,
    )


def alpha_vantage(days: Sequence[Day]) -> str:
    return table(
        days,
        ("timestamp", "open", "high", "low", "close", "volume"),
        lambda d: [
            iso(d.date),
            plain(d.open),
            plain(d.high),
            plain(d.low),
            plain(d.close),
            whole(d.volume),
        ],
        newest_first=True,
    )


def stooq(days: Sequence[Day]) -> str:
    return table(
        days,
        ("Date", "Open", "High", "Low", "Close", "Volume"),
        lambda d: [
            iso(d.date),
            plain(d.open),
            plain(d.high),
            plain(d.low),
            plain(d.close),
            whole(d.volume),
        ],
    )


# ---------------------------------------------------------------- the Google course files

GOOGLE_SPLIT = datetime.date(2014, 3, 27)
"""Google's 2-for-1 split: before it, the course file's Close is unadjusted (about 2x Open)."""


def google_train_days() -> list[Day]:
    """Like Google_Stock_Price_Train.csv: 2012-01-03 to 2016-12-30, Close unadjusted before
    the split."""
    dates = [d.date() for d in pd.bdate_range("2012-01-03", "2016-12-30")]
    days = []
    for i, day in enumerate(dates):
        price = 300.0 + 0.25 * i
        close = price + 1.0
        if day < GOOGLE_SPLIT:
            close = 2 * close + 0.25
        days.append(Day(day, price, price + 5, price - 5, close, close, 7_380_500.0 - 1000 * i))
    return days


def google_test_days() -> list[Day]:
    """Like Google_Stock_Price_Test.csv: the 20 trading days from 2017-01-03."""
    return history(20, "2017-01-03", base=778.75, step=0.5, volume=1_657_300, volume_step=100)


def google_course(days: Sequence[Day], *, trailing_comma: bool = False) -> str:
    """Date,Open,High,Low,Close,Volume; M/D/YYYY; quoted "1,234.50" and "7,380,500"."""
    text = table(
        days,
        ("Date", "Open", "High", "Low", "Close", "Volume"),
        lambda d: [
            mdy(d.date),
            us(d.open),
            us(d.high),
            us(d.low),
            us(d.close),
            us_volume(d.volume),
        ],
    )
    if trailing_comma:
        text = "".join(line + ",\n" for line in text.splitlines())
    return text


# ---------------------------------------------------------------- bytes


def utf16(text: str, *, endian: str = "le", bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + text).encode(f"utf-16-{endian}")


def utf32(text: str, *, endian: str = "le", bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + text).encode(f"utf-32-{endian}")


def gz(content: bytes | str, layers: int = 1) -> bytes:
    data = content.encode() if isinstance(content, str) else content
    for _ in range(layers):
        data = gzip.compress(data, mtime=0)
    return data


def gzip_bomb(chunk: bytes, packed_size: int, *, head: bytes = b"") -> bytes:
    """A single-member gzip of about ``packed_size`` bytes: ``head`` then ``chunk`` repeated.

    After a full flush deflate forgets its window, so compressing ``chunk`` again gives
    the same bytes: the block is compressed once and repeated, and the CRC is computed
    chunk by chunk. Nothing the size of the unpacked text is ever held.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH) if head else b""
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    assert block == packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush(zlib.Z_FINISH)
    count = max(1, (packed_size - len(first)) // len(block))
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    size = len(head) + len(chunk) * count
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + first + block * count + end + struct.pack("<II", crc, size & 0xFFFFFFFF)


def zip_archive(files: dict[str, bytes]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# ---------------------------------------------------------------- running one file


@dataclass
class Measured:
    """What one read did: the frame or the DataError, and its cost."""

    frame: pd.DataFrame | None
    error: Exception | None
    seconds: float
    peak_mb: float | None


def run_within_budget(call: Callable[[], pd.DataFrame], *, memory: bool = True) -> Measured:
    """Run ``call``, catching any exception: its outcome and wall time, then (``memory``)
    its peak traced memory in a second run.

    tracemalloc makes pandas three to five times slower, so the time is taken on a run
    without it, and the memory on a run with it.
    """
    frame = error = None
    start = time.perf_counter()
    try:
        frame = call()
    except Exception as caught:  # judged by the caller: only DataError is allowed
        error = caught
    seconds = time.perf_counter() - start
    peak = None
    if memory:
        tracemalloc.start()
        with contextlib.suppress(Exception):
            call()
        peak = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
    return Measured(frame, error, seconds, peak)


# Python's own text in a message: a traceback, a repr, a type name. A teacher reads none of it.
_NOISE = tuple(
    re.compile(pattern)
    for pattern in (
        r"Traceback",
        r'File "',
        r"<class ",
        r"<module ",
        r" object at 0x",
        r"(?<![A-Za-z])b'",
        r'(?<![A-Za-z])b"',
        r"\\x[0-9a-fA-F]{2}",
        r"\\u[0-9a-fA-F]{4}",
        r"\\[nrt]",
        r"Timestamp\(",
        r"Timedelta\(",
        r"datetime\.(date|datetime)\(",
        r"np\.(float|int)",
        r"numpy\.",
        r"dtype",
        r"\bNaT\b",
        r"\bnan\b",
        r"\[Errno",
        r"[A-Z][a-z]+Error\b",
        r"\bException\b",
        r"OutOfBounds",
        r"Series\(",
        r"DataFrame",
        r"Index\(",
    )
)


def message_problems(message: str, content: bytes | None = None) -> list[str]:
    """What is wrong with a DataError's message, [] when a teacher can read it.

    Noise that the file itself holds (a cell quoted from it) is not the reader's fault,
    so a pattern found in ``content`` is allowed.
    """
    problems = []
    if not message.strip():
        problems.append("empty message")
    if len(message) >= 1000:
        problems.append(f"{len(message)} characters")
    if "\n\n" in message.strip():
        problems.append("more than one paragraph")
    source = content.decode("latin-1") if content is not None else ""
    for pattern in _NOISE:
        found = pattern.search(message)
        if found and not pattern.search(source):
            problems.append(f"contains {found.group()!r}")
    return problems


def error_summary(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error)[:300]}"


def assert_canonical_frame(frame: pd.DataFrame) -> None:
    """The canonical frame's shape, whatever the number of days."""
    from rnnstock.data import PRICE_COLUMNS

    assert isinstance(frame, pd.DataFrame), type(frame)
    assert isinstance(frame.index, pd.DatetimeIndex), type(frame.index)
    assert frame.index.name == "Date"
    assert frame.index.tz is None
    assert (frame.index == frame.index.normalize()).all()
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert len(frame) >= 30
    assert frame.index[0] >= pd.Timestamp("1900-01-01")
    assert frame.index[-1] <= pd.Timestamp(TODAY)
    prices = [c for c in PRICE_COLUMNS if c in frame.columns]
    assert prices, list(frame.columns)
    assert list(frame.columns) in (prices, [*prices, "Volume"]), list(frame.columns)
    assert (frame.dtypes == "float64").all(), dict(frame.dtypes)
    values = frame[prices].to_numpy()
    assert np.isfinite(values).all(), "a price is NaN or infinite"
    warnings = frame.attrs.get("warnings")
    assert isinstance(warnings, list), f"attrs['warnings'] is {warnings!r}"
    assert all(isinstance(w, str) and w for w in warnings)
    report = frame.attrs.get("read")
    assert report is not None, "attrs['read'] is missing"
    assert report.days == len(frame)
    assert report.first == frame.index[0].date()
    assert report.last == frame.index[-1].date()


def message_family(message: str, names: Sequence[str] = ()) -> str:
    """A refusal's first words with its particulars (file, values, numbers) blanked."""
    text = message
    for name in names:
        text = text.replace(name, "<file>")
    text = re.sub(r'"[^"]*"+', "…", text)
    text = re.sub(r"\d[\d,.:\-/]*", "N", text)
    text = re.sub(r"^In <file>, ", "", text)
    words = text.split()
    return " ".join(words[:6])


# ---------------------------------------------------------------- mutations for the fuzz
#
# Each takes the file's bytes and a numpy Generator and returns new bytes. A mutation
# named in BENIGN changes nothing a reader may see: the frame must equal the base's.


def _lines(content: bytes) -> list[bytes]:
    return content.split(b"\n")


def _join(lines: list[bytes]) -> bytes:
    return b"\n".join(lines)


def _data_rows(lines: list[bytes]) -> list[int]:
    """Positions of non-empty lines after the header."""
    return [i for i in range(1, len(lines)) if lines[i].strip()]


def bit_flip(content: bytes, rng: np.random.Generator) -> bytes:
    data = bytearray(content)
    for _ in range(int(rng.integers(1, 4))):
        if data:
            position = int(rng.integers(len(data)))
            data[position] ^= 1 << int(rng.integers(8))
    return bytes(data)


def delete_line(content: bytes, rng: np.random.Generator) -> bytes:
    lines = _lines(content)
    del lines[int(rng.integers(len(lines)))]
    return _join(lines)


def duplicate_line(content: bytes, rng: np.random.Generator) -> bytes:
    lines = _lines(content)
    row = int(rng.integers(len(lines)))
    lines.insert(row, lines[row])
    return _join(lines)


def truncate(content: bytes, rng: np.random.Generator) -> bytes:
    return content[: int(rng.integers(len(content) + 1))]


def swap_lines(content: bytes, rng: np.random.Generator) -> bytes:
    lines = _lines(content)
    a, b = (int(x) for x in rng.integers(len(lines), size=2))
    lines[a], lines[b] = lines[b], lines[a]
    return _join(lines)


def swap_neighbours(content: bytes, rng: np.random.Generator) -> bytes:
    """Two neighbouring data rows change places: the reader sorts them back."""
    lines = _lines(content)
    rows = _data_rows(lines)
    i = int(rng.integers(len(rows) - 1))
    a, b = rows[i], rows[i + 1]
    lines[a], lines[b] = lines[b], lines[a]
    return _join(lines)


def reverse_rows(content: bytes, rng: np.random.Generator) -> bytes:
    lines = _lines(content)
    rows = _data_rows(lines)
    for position, row in zip(rows, reversed(rows), strict=True):
        lines[position] = _lines(content)[row]
    return _join(lines)


def blank_lines(content: bytes, rng: np.random.Generator) -> bytes:
    lines = _lines(content)
    for _ in range(int(rng.integers(1, 4))):
        lines.insert(int(rng.integers(1, len(lines))), b"")
    return _join(lines)


def crlf(content: bytes, rng: np.random.Generator) -> bytes:
    return content.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def swap_columns(content: bytes, rng: np.random.Generator) -> bytes:
    """Two columns change places on every line (header included, or not: a coin decides)."""
    text = content.decode("latin-1")
    separator = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    quoted = text.startswith('"')
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    width = max((len(row) for row in rows), default=0)
    if width < 2:
        return content
    a, b = (int(x) for x in rng.choice(width, size=2, replace=False))
    with_header = bool(rng.integers(2))
    for number, row in enumerate(rows):
        if (number or with_header) and max(a, b) < len(row):
            row[a], row[b] = row[b], row[a]
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=separator,
        lineterminator="\n",
        quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL,
    )
    writer.writerows(rows)
    return buffer.getvalue().encode("latin-1")


def insert_bytes(content: bytes, rng: np.random.Generator) -> bytes:
    position = int(rng.integers(len(content) + 1))
    junk = rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes()
    return content[:position] + junk + content[position:]


CELL_TOKENS = (
    "", "null", "-", "n/a", "#N/A", "0", "-1", "1e5", "10 11", "3,75", "1.234,5", "$5",
    "abc", "1/1/1500", "3000-01-01", "2021-02-30", "NaN", "inf", '"', "9" * 40,
)  # fmt: skip


def replace_cell(content: bytes, rng: np.random.Generator) -> bytes:
    """One cell of one line becomes a token people (or programs) really write."""
    lines = _lines(content)
    rows = _data_rows(lines)
    if not rows:
        return content
    row = rows[int(rng.integers(len(rows)))]
    separator = b";" if lines[0].count(b";") > lines[0].count(b",") else b","
    cells = lines[row].split(separator)
    cells[int(rng.integers(len(cells)))] = CELL_TOKENS[int(rng.integers(len(CELL_TOKENS)))].encode()
    lines[row] = separator.join(cells)
    return _join(lines)


def _as_text(content: bytes) -> str | None:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def to_utf16(content: bytes, rng: np.random.Generator) -> bytes:
    text = _as_text(content)
    if text is None:
        return content
    return utf16(text, endian=str(rng.choice(["le", "be"])), bom=bool(rng.integers(2)))


def to_cp1252(content: bytes, rng: np.random.Generator) -> bytes:
    text = _as_text(content)
    if text is None:
        return content
    return text.encode("cp1252", errors="replace")


def to_gzip(content: bytes, rng: np.random.Generator) -> bytes:
    return gz(content, int(rng.integers(1, 3)))


MUTATIONS: dict[str, Callable[[bytes, np.random.Generator], bytes]] = {
    "bitflip": bit_flip,
    "delete-line": delete_line,
    "duplicate-line": duplicate_line,
    "truncate": truncate,
    "swap-lines": swap_lines,
    "swap-neighbours": swap_neighbours,
    "reverse-rows": reverse_rows,
    "blank-lines": blank_lines,
    "crlf": crlf,
    "swap-columns": swap_columns,
    "insert-bytes": insert_bytes,
    "replace-cell": replace_cell,
}
ENCODINGS: dict[str, Callable[[bytes, np.random.Generator], bytes]] = {
    "utf16": to_utf16,
    "cp1252": to_cp1252,
    "gzip": to_gzip,
}
BENIGN = frozenset(
    {"swap-neighbours", "reverse-rows", "blank-lines", "crlf", "utf16", "cp1252", "gzip"}
)
