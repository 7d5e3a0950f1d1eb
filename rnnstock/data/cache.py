"""Downloads and uploads kept on disk (under ``rnnstock.config.cache_dir()``) and in memory.

``<cache>/prices/`` holds the last download of each ticker (its modification
date is the download day); ``<cache>/uploads/`` holds uploaded CSV files by
content. Files are written atomically, so a reader never sees half a file.
In memory, the :data:`DOWNLOADS_IN_MEMORY` downloads used most recently are kept.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path

import pandas as pd

from rnnstock import config
from rnnstock.data.errors import DataError
from rnnstock.data.reading import read_price_csv
from rnnstock.data.yahoo import validate_ticker

logger = logging.getLogger(__name__)


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


DOWNLOADS_IN_MEMORY = 64
"""How many downloaded price histories the server keeps in memory, at most.

A class uses a handful of tickers a day, so 64 keeps all of them with room to
spare, while one person typing ticker after ticker cannot fill the server's
memory: a 55-year history takes about 0.8 MB, so 64 of them take about 60 MB
(300 took 241 MB before there was a limit). When the limit is reached, the
download used longest ago is dropped; it is read from disk again if needed.
"""

DownloadKey = tuple[str, str, datetime.date]
"""(symbol, cache folder, day): the day is part of the key, so tomorrow downloads again."""

# Downloads by DownloadKey, so reruns of a page do not even read the disk;
# filled and read by rnnstock.data.fetch_ticker through remembered_download and
# remember_download. A dict keeps the order keys were added in, and each use
# moves its key to the end, so the first key is always the one used longest
# ago. Many Streamlit sessions use it at once from their own threads: only
# touch it while holding the lock.
_DOWNLOADED: dict[DownloadKey, pd.DataFrame] = {}
_DOWNLOADED_LOCK = threading.Lock()


def remembered_download(key: DownloadKey) -> pd.DataFrame | None:
    """A copy of the download kept in memory under ``key``, or None.

    The download counts as just used, so it is the last to be dropped.
    """
    with _DOWNLOADED_LOCK:
        frame = _DOWNLOADED.pop(key, None)
        if frame is None:
            return None
        _DOWNLOADED[key] = frame  # back in at the end: the most recently used
    return frame.copy()  # kept frames are never changed, so copying outside the lock is safe


def remember_download(key: DownloadKey, frame: pd.DataFrame) -> None:
    """Keep ``frame`` in memory under ``key``, dropping the downloads used longest ago
    so that at most :data:`DOWNLOADS_IN_MEMORY` are kept. Do not change ``frame`` afterwards.
    """
    with _DOWNLOADED_LOCK:
        _DOWNLOADED.pop(key, None)
        _DOWNLOADED[key] = frame
        while len(_DOWNLOADED) > DOWNLOADS_IN_MEMORY:
            del _DOWNLOADED[next(iter(_DOWNLOADED))]


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
