"""A file's bytes to text: within the caps of :mod:`rnnstock.data.limits`, whatever the encoding.

Gzip is unpacked a piece at a time and stopped at :data:`~rnnstock.data.limits.MAX_TEXT_MB`,
so a small file that unpacks to gigabytes costs a fraction of a second. Byte order
marks say UTF-8, UTF-16 or UTF-32; UTF-16 and UTF-32 without one show as zero
bytes in a fixed pattern; anything else that is not UTF-8 is identified by
``charset-normalizer`` (Windows-1252 and Latin-1 spreadsheets).
"""

from __future__ import annotations

import codecs
import zlib
from dataclasses import dataclass

from rnnstock.data.errors import DataError
from rnnstock.data.limits import MAX_FILE_MB, MAX_GZIP_LAYERS, MAX_TEXT_MB, MB

_GZIP = b"\x1f\x8b"
_CHUNK = MB  # unpacked a megabyte at a time, so the cap stops a bomb early

# Checked longest first: UTF-32's little-endian mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    """How the bytes were read, as the facts say it: 'UTF-8', 'gzip, Windows-1252'."""


def sentence(text: str) -> str:
    """Start a sentence with a capital, but never change a file name ('prices.csv is ...')."""
    if text.split(" ", 1)[0] in ("the", "line", "row"):
        return text[:1].upper() + text[1:]
    return text


def check_size(size: int, name: str) -> None:
    """Refuse a file larger than :data:`MAX_FILE_MB` before reading it."""
    if size > MAX_FILE_MB * MB:
        raise DataError(
            sentence(f"{name} is larger than {MAX_FILE_MB} MB ({size / MB:,.1f} MB).")
            + f" A daily price history is far smaller; files up to {MAX_FILE_MB} MB are read."
        )


def decode(content: bytes, name: str) -> Decoded:
    """The text of a price file, or :class:`DataError` saying why it is not one."""
    check_size(len(content), name)
    layers = 0
    while content[:2] == _GZIP:
        if layers == MAX_GZIP_LAYERS:
            raise DataError(
                sentence(f"{name} is compressed more than twice (gzip inside gzip).")
                + " Unpack it and upload the CSV file."
            )
        content = _gunzip(content, name)
        layers += 1
    packed = "gzip, " if layers else ""
    if content[:4] == b"PK\x03\x04":
        raise DataError(
            sentence(f"{name} is an Excel workbook or a ZIP archive, not a CSV file.")
            + " In Excel use File > Save As > CSV, then upload that file."
        )
    text, encoding = _text(content, name)
    head = text[:4096]
    controls = sum(1 for char in head if char < " " and char not in "\t\n\r")
    if controls > len(head) // 100:
        raise DataError(
            sentence(f"{name} is not a CSV text file (it contains binary data).")
            + " Choose a .csv file with a header line such as Date,Open,High,Low,Close,Volume."
        )
    # Old Mac files end lines with a lone CR: every count and split below is by "\n".
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Decoded(text, packed + encoding)


def _gunzip(content: bytes, name: str) -> bytes:
    """Unpack every gzip member, stopping as soon as the text passes the cap."""
    limit = MAX_TEXT_MB * MB
    pieces: list[bytes] = []
    size = 0
    rest = content
    try:
        while rest[:2] == _GZIP:
            unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            data = rest
            while data:
                piece = unpacker.decompress(data, _CHUNK)
                size += len(piece)
                if size > limit:
                    raise DataError(
                        sentence(f"{name} unpacks to more than {MAX_TEXT_MB} MB of text.")
                        + f" Price files up to {MAX_TEXT_MB} MB are read; a daily history"
                        " is far smaller. Check that this is the right file."
                    )
                pieces.append(piece)
                data = unpacker.unconsumed_tail
            if not unpacker.eof:
                raise EOFError
            rest = unpacker.unused_data
    except (zlib.error, EOFError):
        raise DataError(
            sentence(f"{name} is a damaged .gz file; unpack it and upload the CSV.")
        ) from None
    return b"".join(pieces)


def _text(content: bytes, name: str) -> tuple[str, str]:
    if len(content) > MAX_TEXT_MB * MB:
        raise DataError(
            sentence(f"{name} holds more than {MAX_TEXT_MB} MB of text.")
            + f" Price files up to {MAX_TEXT_MB} MB are read; a daily history is far smaller."
        )
    for mark, codec, label in _BOMS:
        if content.startswith(mark):
            return _strict(content, codec, label, name)
    wide = _wide_encoding(content[:4096])
    if wide:
        return _strict(content, *wide, name)
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: a spreadsheet saved in Western Europe or the Americas is Windows-1252,
    # which the languages a class has all fit. charset-normalizer's guess on a file whose
    # only letters outside ASCII are in its header is often another code page (Windows-932
    # for "Eröffnung"), so it is asked only when Windows-1252 cannot be the encoding.
    try:
        return content.decode("cp1252"), _codec_label("cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(content[:65536]).best()
    codec = best.encoding if best is not None else "cp1252"
    if codec.startswith("utf"):  # a UTF guess for text that is not UTF: a broken file
        codec = "cp1252"
    return content.decode(codec, errors="replace"), _codec_label(codec)


def _codec_label(codec: str) -> str:
    """Python's codec name as people know it: 'cp1252' is 'Windows-1252'."""
    if codec.startswith("cp") and codec[2:].isdigit():
        return f"Windows-{codec[2:]}"
    return {"latin_1": "Latin-1", "iso8859_15": "Latin-9"}.get(codec, codec.upper())


def _strict(content: bytes, codec: str, label: str, name: str) -> tuple[str, str]:
    try:
        return content.decode(codec).lstrip("\ufeff"), label
    except UnicodeDecodeError:
        raise DataError(
            sentence(f"{name} starts like {label} text but is damaged further on.")
            + " Save it again as CSV (UTF-8) and upload that file."
        ) from None


def _wide_encoding(head: bytes) -> tuple[str, str] | None:
    """UTF-16 or UTF-32 without a byte order mark: ASCII text leaves zero bytes in a pattern."""
    if len(head) < 8 or head.count(0) < len(head) // 3:
        return None
    four = len(head) // 4 * 4
    zeros = [sum(1 for i in range(position, four, 4) if head[i] == 0) for position in range(4)]
    quarter = four // 4
    if min(zeros[0], zeros[1], zeros[2]) >= quarter * 0.9 and zeros[3] < quarter * 0.5:
        return "utf-32-be", "UTF-32"
    if min(zeros[1], zeros[2], zeros[3]) >= quarter * 0.9 and zeros[0] < quarter * 0.5:
        return "utf-32-le", "UTF-32"
    if zeros[1] + zeros[3] >= quarter * 1.8 and zeros[0] + zeros[2] < quarter:
        return "utf-16-le", "UTF-16"
    if zeros[0] + zeros[2] >= quarter * 1.8 and zeros[1] + zeros[3] < quarter:
        return "utf-16-be", "UTF-16"
    return None
