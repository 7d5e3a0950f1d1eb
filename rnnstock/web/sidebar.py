"""The data sidebar drawn on every page, the cached loaders, and the server's warm-up."""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from rnnstock.data import DataError, fetch_ticker, list_samples, load_sample, read_price_csvs
from rnnstock.data.limits import MAX_FILE_MB, MAX_FILES
from rnnstock.settings import TARGETS
from rnnstock.specs import DataSpec
from rnnstock.text import literal
from rnnstock.web import state

SOURCES = {"sample": "Offline sample", "ticker": "Ticker (Yahoo Finance)", "csv": "CSV upload"}
MESSAGE_LIMIT = 600  # characters of a loader's message shown (an HTML error page is not)
MAX_WARNINGS = 4  # implausible-price warnings shown beside the data (one of each kind)
TITLE_LIMIT = 60  # characters of uploaded file names in a title (chart titles, the runs)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedData:
    """What the sidebar chose and loaded; ``prices`` is None when nothing could be loaded,
    and ``error`` then says why (None when the user has simply not chosen yet)."""

    spec: DataSpec
    title: str
    prices: pd.DataFrame | None
    error: str | None = None

    @property
    def targets(self) -> list[str]:
        if self.prices is None:
            return list(TARGETS)
        return [c for c in TARGETS if c in self.prices.columns]


def loaded() -> LoadedData:
    """This run's data, as the sidebar loaded it (app.py draws the sidebar first)."""
    return st.session_state[state.LOADED_DATA]


# -- cached loaders (st.cache_data: each source is parsed once per server) ---------


@st.cache_data(show_spinner=False)  # a bundled file loads in a blink; server.py preloads one
def cached_sample(name: str) -> pd.DataFrame:
    return load_sample(name)


UploadKey = tuple[tuple[str, str], ...]  # (file name, sha256 of its bytes) per file


@st.cache_data(show_spinner="Reading the CSV files…", max_entries=16)
def cached_upload(
    key: UploadKey, _files: tuple[tuple[str, bytes], ...]
) -> tuple[pd.DataFrame | None, str | None]:
    """The uploaded files as one history, or why not: ``(prices, None)`` or ``(None, message)``.

    The outcome is cached, a refusal too: an exception is not, and a refused file
    would be read again on every click of the session (a gzip bomb took minutes
    each time). ``key``, the files' names and contents' sha256 (computed once per
    upload), is the cache key; the bytes themselves are not hashed on every run.
    """
    try:
        return read_price_csvs(list(_files)), None
    except DataError as error:
        return None, str(error)
    except Exception as error:  # a bug in the reader: said once, not raised on every click
        logger.exception("reading the uploaded files %s failed", [name for name, _ in key])
        return None, (
            f"rnnstock met an error it did not expect ({type(error).__name__}) while reading"
            " them; the server's log has the details."
        )


@st.cache_data(show_spinner="Downloading from Yahoo Finance…", max_entries=32)
def cached_ticker(ticker: str, day: datetime.date) -> pd.DataFrame:
    """At most one download per ticker per day (``day`` is part of the cache key)."""
    return fetch_ticker(ticker, today=day)


# -- the sidebar -------------------------------------------------------------------------


def data_sidebar() -> LoadedData:
    """Data source widgets in the sidebar; shows any problem there, never a traceback."""
    st.sidebar.header("Data")
    source = st.sidebar.radio(
        "Source", list(SOURCES), format_func=SOURCES.get, key=state.DATA_SOURCE
    )
    if source == "sample":
        data = _sample()
    elif source == "ticker":
        data = _ticker()
    else:
        data = _csv()
    if data.prices is not None:
        notice = data.prices.attrs.get("notice")
        if notice:
            st.sidebar.warning(literal(notice, MESSAGE_LIMIT))
        first, last = data.prices.index[0], data.prices.index[-1]
        # Two lines: one would wrap inside a date ("2017-" / "11-10") in the sidebar.
        st.sidebar.caption(
            f"{len(data.prices):,} trading days  \n{first:%Y-%m-%d} to {last:%Y-%m-%d}"
        )
        _price_warnings(data.prices)
        if source == "csv":
            _how_read(data.prices)
    return data


def _price_warnings(prices: pd.DataFrame) -> None:
    """Implausible prices that were kept (High below Low, a gap, ...), from any source:
    in sight beside the data, never a silent accept; one line each, in one box."""
    warnings = [str(warning) for warning in prices.attrs.get("warnings") or ()]
    if not warnings:
        return
    lines = [literal(warning, MESSAGE_LIMIT) for warning in warnings[:MAX_WARNINGS]]
    if len(warnings) > MAX_WARNINGS:
        lines.append(f"…and {len(warnings) - MAX_WARNINGS} more.")
    st.sidebar.warning("  \n".join(lines), icon=":material/warning:")


def _how_read(prices: pd.DataFrame) -> None:
    """What ``python -m rnnstock inspect`` prints: days, dates, columns kept, how dates
    and decimals were read, rows dropped. Open after a fresh upload, so that a class
    sees what was made of its file; closed, it stays closed until the next upload."""
    report = prices.attrs.get("read")
    if report is None:
        return
    count = len(report.files)
    label = "How the file was read" if count == 1 else f"How the {count} files were read"
    with st.sidebar.expander(
        label, key=state.UPLOAD_FACTS, on_change="rerun", icon=":material/fact_check:"
    ):
        # Less what is in sight already: the days and dates (the caption above) and the
        # warnings (the warning box).
        days = f"{report.days:,} trading days"
        warned = tuple(report.warnings)
        facts = [
            line
            for line in report.lines()
            if not line.startswith(days) and not any(warning in line for warning in warned)
        ]
        st.markdown("\n".join(f"- {literal(line, MESSAGE_LIMIT)}" for line in facts))


def _sample() -> LoadedData:
    samples = {sample.name: sample for sample in list_samples()}
    name = st.sidebar.selectbox(
        "Offline sample",
        list(samples),
        key=state.SAMPLE_NAME,
        format_func=lambda key: samples[key].label,
    )
    spec, title = DataSpec("sample", name), samples[name].title
    try:
        return LoadedData(spec, title, cached_sample(name))
    except DataError as error:  # a damaged installation; say so rather than crash
        return _failed(spec, title, str(error))


def _ticker() -> LoadedData:
    from rnnstock.data import validate_ticker

    typed = st.sidebar.text_input(
        "Ticker symbol",
        key=state.TICKER,
        placeholder="e.g. AAPL, MA, ^GSPC",
        help="Any Yahoo Finance symbol. Downloaded once a day and saved for offline use.",
    ).strip()
    if not typed:
        st.sidebar.info("Type a ticker symbol and press Enter.")
        return LoadedData(DataSpec(), "", None)
    try:
        ticker = validate_ticker(typed)
    except DataError as error:  # a typo: nothing to try again, nothing downloaded
        st.sidebar.error(literal(error, MESSAGE_LIMIT), icon=":material/error:")
        return LoadedData(DataSpec(), "", None, error=str(error))
    spec = DataSpec("ticker", ticker)
    failed = st.session_state.get(state.TICKER_FAILURE)
    if failed and failed[0] == ticker:
        # Not retried on every click: a rate-limited service would only say no again,
        # and each try can take seconds. "Try again" clears this.
        return _failed(spec, ticker, failed[1], retry=True)
    try:
        return LoadedData(spec, ticker, cached_ticker(ticker, datetime.date.today()))
    except DataError as error:
        st.session_state[state.TICKER_FAILURE] = (ticker, str(error))
        return _failed(spec, ticker, str(error), retry=True)


def _csv() -> LoadedData:
    uploads = st.sidebar.file_uploader(
        "CSV files of daily prices",
        type=["csv", "txt", "gz"],
        accept_multiple_files=True,
        max_upload_size=MAX_FILE_MB,  # the browser says so before sending a larger file
        key=state.CSV_UPLOAD,
        on_change=_forget_removed_uploads,
        help="A Date column and at least one of Open, High, Low, Close, Adj Close, as Yahoo,"
        " Kaggle, Nasdaq.com, Investing.com or a spreadsheet export them. Several files of"
        " one stock (a course's train and test files) make one history.",
    )
    if uploads and len(uploads) > MAX_FILES:  # refused before their bytes are copied
        message = (
            f"{len(uploads)} files were picked; at most {MAX_FILES} files of one stock make"
            " one history. Remove some with their × buttons."
        )
        return _failed(DataSpec(), "The files", message)
    if uploads and tuple(upload.file_id for upload in uploads) != st.session_state.get(
        state.UPLOAD_IDS
    ):
        _keep(uploads)
    kept = st.session_state.get(state.UPLOAD)
    linked = st.session_state.get(state.LINKED_CSV)
    if not kept:
        st.sidebar.info(
            f"Upload **{literal(linked)}** to run the experiment of the link you opened."
            if linked
            else "Upload a CSV with a Date column and prices."
        )
        return LoadedData(DataSpec(), "", None)
    title = upload_title([name for name, _ in kept])
    if not uploads:
        st.sidebar.caption(f"Using {literal(title)}, uploaded earlier.")
    spec = DataSpec("csv", title)
    prices, error = cached_upload(st.session_state[state.UPLOAD_KEY], kept)
    if error is not None:
        return _failed(spec, title, error)
    return LoadedData(spec, title, prices)


def _keep(uploads: Sequence) -> None:
    """A new upload, kept in the session: the uploader forgets its files when the user
    switches to a sample, and the files are hashed here once, not on every run."""
    files = tuple((upload.name, upload.getvalue()) for upload in uploads)
    st.session_state[state.UPLOAD] = files
    st.session_state[state.UPLOAD_KEY] = tuple(
        (name, hashlib.sha256(content).hexdigest()) for name, content in files
    )
    st.session_state[state.UPLOAD_IDS] = tuple(upload.file_id for upload in uploads)
    st.session_state[state.UPLOAD_FACTS] = True  # how they were read, in sight


def _forget_removed_uploads() -> None:
    """The user removed the last file from the uploader: use none. (Switching to a sample
    and back empties the uploader too, but changes nothing, so the files stay kept.)"""
    if not st.session_state.get(state.CSV_UPLOAD):
        for key in (state.UPLOAD, state.UPLOAD_KEY, state.UPLOAD_IDS):
            st.session_state.pop(key, None)


def upload_title(names: Sequence[str]) -> str:
    """The uploaded files' names as a title: joined, and shortened when long."""
    joined = " + ".join(names)
    if len(joined) <= TITLE_LIMIT:
        return joined
    more = f" + {len(names) - 1} more" if len(names) > 1 else ""
    room = TITLE_LIMIT - len(more)
    first = names[0] if len(names[0]) <= room else names[0][: room - 1] + "…"
    return first + more


def _failed(spec: DataSpec, title: str, message: str, *, retry: bool = False) -> LoadedData:
    """The message in the sidebar, where it shows on every page; the page repeats it."""
    st.sidebar.error(
        f"{literal(title)} could not be loaded. {literal(message, MESSAGE_LIMIT)}",
        icon=":material/error:",
    )
    if retry:
        st.sidebar.button(
            "Try again",
            key=state.RETRY_TICKER,
            on_click=_forget_ticker_failure,
            icon=":material/refresh:",
        )
    return LoadedData(spec, title, None, error=message)


def _forget_ticker_failure() -> None:
    st.session_state.pop(state.TICKER_FAILURE, None)


def _use_sample() -> None:
    st.session_state[state.DATA_SOURCE] = "sample"


def require_prices(data: LoadedData) -> pd.DataFrame:
    """The loaded prices, or stop the page with what went wrong and a way on."""
    if data.prices is not None:
        return data.prices
    if data.error:
        st.error(literal(data.error, MESSAGE_LIMIT))
        st.button(
            "Use the offline sample instead",
            on_click=_use_sample,
            type="primary",
            icon=":material/cloud_off:",
        )
    else:
        st.info("Choose data in the sidebar: an offline sample works without a network.")
    st.stop()
