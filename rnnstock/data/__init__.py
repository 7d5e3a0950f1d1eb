"""Prices in: bundled offline samples, CSV files as people really have them, Yahoo Finance.

Every route ends in :func:`normalize_prices`, so a frame from any source looks
the same: a tz-naive ``DatetimeIndex`` named ``Date`` (one row per trading
day, ascending), float64 columns for whichever of :data:`PRICE_COLUMNS` exist,
then ``Volume``. ``frame.attrs['source']`` says where the prices came from and
``frame.attrs['notice']`` (if present) says what the user should know, e.g.
that a saved copy is shown because Yahoo Finance is rate-limiting.

Every problem with the data raises :class:`DataError` with a message a teacher
can read aloud: what is wrong, where (column, line), and what to do about it.

This module holds the two entry points, :func:`load_prices` (what a
``DataSpec`` describes) and :func:`fetch_ticker` (a download, at most once a
day), and re-exports the public names of its parts; import them from here:

- :mod:`~rnnstock.data.errors`: ``DataError`` and ``FetchError``.
- :mod:`~rnnstock.data.limits`: every cap on a file (size, unpacked size, rows,
  columns, files), declared once.
- :mod:`~rnnstock.data.decoding`: a file's bytes to text (gzip, encodings) within the caps.
- :mod:`~rnnstock.data.normalize`: ``normalize_prices``, the canonical columns and
  ``MIN_DAYS``; column names in several languages, numbers, dates, and the
  warnings about implausible prices.
- :mod:`~rnnstock.data.reading`: ``read_price_csv``, ``read_price_csvs`` (several
  files of one stock) and ``ReadReport``, the facts of what was read.
- :mod:`~rnnstock.data.samples`: the bundled offline samples (``SAMPLES``,
  ``list_samples``, ``load_sample``).
- :mod:`~rnnstock.data.yahoo`: ``validate_ticker``, ``yahoo_fetcher`` and what a
  failed download means (``FetchError.reason`` and the messages).
- :mod:`~rnnstock.data.cache`: the disk and memory caches of downloads, and
  ``save_upload``.

Each part imports only the ones above it in that list. ``fetch_ticker`` lives
here, not in ``yahoo``, because its default download is this module's
``yahoo_fetcher``: replacing ``rnnstock.data.yahoo_fetcher`` (as the app's
tests do) changes what every caller downloads with.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rnnstock.data import cache
from rnnstock.data.cache import (
    _cache_root,
    _read_copy,
    _save_copy,
    _saved_on,
    default_cache_dir,
    save_upload,
    ticker_cache_path,
)
from rnnstock.data.errors import DataError, FetchError
from rnnstock.data.normalize import MIN_DAYS, PRICE_COLUMNS, normalize_prices
from rnnstock.data.reading import ReadReport, read_price_csv, read_price_csvs, read_report
from rnnstock.data.samples import SAMPLES, Sample, list_samples, load_sample
from rnnstock.data.yahoo import (
    Fetcher,
    _failure_message,
    _failure_notice,
    _failure_reason,
    validate_ticker,
    yahoo_fetcher,
)

if TYPE_CHECKING:
    from rnnstock.specs import DataSpec

__all__ = [
    "MIN_DAYS",
    "PRICE_COLUMNS",
    "SAMPLES",
    "DataError",
    "FetchError",
    "Fetcher",
    "ReadReport",
    "Sample",
    "default_cache_dir",
    "fetch_ticker",
    "list_samples",
    "load_prices",
    "load_sample",
    "normalize_prices",
    "read_price_csv",
    "read_price_csvs",
    "read_report",
    "save_upload",
    "ticker_cache_path",
    "validate_ticker",
    "yahoo_fetcher",
]

logger = logging.getLogger(__name__)


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
    frame = cache.remembered_download(memory_key)
    if frame is not None:
        return frame

    path = ticker_cache_path(symbol, root)
    saved_on = _saved_on(path)
    # A saved copy is read at most once per call, as unpacking it is the costly
    # part: today's copy before downloading, an older one only if the download
    # fails. If today's copy is unreadable, it is not read again after a failure.
    read_first = saved_on == today
    frame = _read_copy(path, symbol, saved_on) if read_first else None
    if frame is None:
        try:
            raw = (fetcher or yahoo_fetcher)(symbol)
            if raw is None or len(raw) == 0:
                raise FetchError(_failure_message("empty", symbol), reason="empty", ticker=symbol)
            frame = normalize_prices(raw, origin=f"Yahoo Finance's data for {symbol}")
        except Exception as error:  # any failure: fall back to the saved copy if there is one
            reason = _failure_reason(error)
            saved = _read_copy(path, symbol, saved_on) if saved_on and not read_first else None
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
    cache.remember_download(memory_key, frame)
    return frame.copy()
