"""The data sidebar drawn on every page, the cached loaders, and the server's warm-up."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from rnnstock.data import DataError, fetch_ticker, list_samples, load_sample, read_price_csv
from rnnstock.settings import TARGETS
from rnnstock.specs import DataSpec
from rnnstock.web import state
from rnnstock.web.text import literal

SOURCES = {"sample": "Offline sample", "ticker": "Ticker (Yahoo Finance)", "csv": "CSV upload"}
MESSAGE_LIMIT = 600  # characters of a loader's message shown (an HTML error page is not)


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


@st.cache_data(show_spinner="Reading the CSV file…", max_entries=16)
def cached_csv(content: bytes, filename: str) -> pd.DataFrame:
    return read_price_csv(content, name=filename)


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
    return data


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
    upload = st.sidebar.file_uploader(
        "CSV file of daily prices",
        type=["csv", "txt", "gz"],
        key=state.CSV_UPLOAD,
        help="A Date column and at least one of Open, High, Low, Close, Adj Close."
        " Yahoo and Kaggle exports work as they are.",
    )
    if upload is not None:
        # Kept when the user switches to a sample and back: the uploader forgets it.
        st.session_state[state.UPLOAD] = (upload.name, upload.getvalue())
    kept = st.session_state.get(state.UPLOAD)
    linked = st.session_state.get(state.LINKED_CSV)
    if kept is None:
        st.sidebar.info(
            f"Upload **{literal(linked)}** to run the experiment of the link you opened."
            if linked
            else "Upload a CSV with a Date column and prices."
        )
        return LoadedData(DataSpec(), "", None)
    name, content = kept
    if upload is None:
        st.sidebar.caption(f"Using {literal(name)}, uploaded earlier.")
    spec = DataSpec("csv", name)
    try:
        return LoadedData(spec, name, cached_csv(content, name))
    except DataError as error:
        return _failed(spec, name, str(error))


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
