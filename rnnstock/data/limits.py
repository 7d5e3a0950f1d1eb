"""How much one price file may make the server do: every cap on a file, declared once.

A class shares one server, so a file (an upload, a saved download, a path on
the command line) is refused with a message naming the cap before it can cost
more than a few seconds and a few hundred MB. A daily history is small: the
longest one there is (the Dow since 1896) has about 33,000 trading days, and
Yahoo's full MSFT history is 0.6 MB as CSV.

The README's "Files" section quotes these numbers, and ``.streamlit/config.toml``
sets ``server.maxUploadSize`` to :data:`MAX_FILE_MB` (a test checks both).
"""

from __future__ import annotations

MAX_FILE_MB = 20
"""A file as uploaded (gzip or not), in MB (2**20 bytes): 30 times the longest daily history."""

MAX_TEXT_MB = 20
"""The text inside a file once unpacked, in MB: a 600 KB gzip can unpack to gigabytes."""

MAX_ROWS = 50_000
"""Lines of prices in one file: 200 years of trading days."""

MAX_LINES = 2 * MAX_ROWS
"""Lines of any kind, blank ones included: each costs a row while the table is read."""

MAX_COLUMNS = 50
"""Columns in one file's header: a price table has about seven."""

MAX_FILES = 10
"""Files combined into one history (a course's train and test files are two)."""

MAX_GZIP_LAYERS = 2
"""A gzip inside a gzip (a file compressed twice) is unpacked; deeper nesting is refused."""

MB = 2**20


def megabytes(size: int) -> str:
    """A byte count as a message says it: '20 MB', '0.6 MB'."""
    value = size / MB
    return f"{value:,.0f} MB" if value >= 10 else f"{value:,.1f} MB"
