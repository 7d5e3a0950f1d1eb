"""Streamlit glue shared by the pages: cached loaders, the data sidebar, shared settings.

Pages stay storyboards (widgets, one rnnstock call, charts); what they share
lives here. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from rnnstock.data import DataError, fetch_ticker, list_samples, load_sample, read_price_csv
from rnnstock.specs import TARGETS, DataSpec, SplitSpec

SOURCES = {"sample": "Offline sample", "ticker": "Ticker (Yahoo Finance)", "csv": "CSV upload"}


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


# -- cached loaders (st.cache_data: each source is parsed once per server) ---------


@st.cache_data(show_spinner="Loading the offline sample…")
def cached_sample(name: str) -> pd.DataFrame:
    return load_sample(name)


@st.cache_data(show_spinner="Reading the CSV file…", max_entries=16)
def cached_csv(content: bytes, filename: str) -> pd.DataFrame:
    return read_price_csv(content, name=filename)


@st.cache_data(show_spinner="Downloading from Yahoo Finance…", max_entries=32)
def cached_ticker(ticker: str, day: datetime.date) -> pd.DataFrame:
    """At most one download per ticker per day (``day`` is part of the cache key)."""
    return fetch_ticker(ticker, today=day)


# -- the shared sidebar ----------------------------------------------------------


def data_sidebar() -> LoadedData:
    """Data source widgets in the sidebar; shows any problem there, never a traceback."""
    samples = {sample.name: sample for sample in list_samples()}
    st.sidebar.header("Data")
    source = st.sidebar.radio(
        "Source", list(SOURCES), format_func=SOURCES.get, key="data_source", horizontal=False
    )
    if source == "sample":
        name = st.sidebar.selectbox(
            "Offline sample", list(samples), key="sample_name",
            format_func=lambda key: samples[key].label,
        )
        spec, title = DataSpec("sample", name), samples[name].title
        try:
            prices = cached_sample(name)
        except DataError as error:  # a damaged installation; say so rather than crash
            return _failed(spec, title, str(error))
    elif source == "ticker":
        ticker = st.sidebar.text_input(
            "Ticker symbol", key="ticker", placeholder="e.g. AAPL, MA, ^GSPC",
            help="Any Yahoo Finance symbol. Downloaded once a day and saved for offline use.",
        ).strip()
        if not ticker:
            st.sidebar.info("Type a ticker symbol and press Enter.")
            return LoadedData(DataSpec("sample", "msft"), "", None)
        spec, title = DataSpec("ticker", ticker), ticker.upper()
        failed = st.session_state.get(_TICKER_FAILURE)
        if failed and failed[0] == title:
            # Not retried on every click: a rate-limited service would only say no again,
            # and each try can take seconds. "Try again" clears this.
            return _failed(spec, title, failed[1], retry=True)
        try:
            prices = cached_ticker(ticker, datetime.date.today())
        except DataError as error:
            st.session_state[_TICKER_FAILURE] = (title, str(error))
            return _failed(spec, title, str(error), retry=True)
    else:
        upload = st.sidebar.file_uploader(
            "CSV file of daily prices", type=["csv", "txt", "gz"], key="csv_upload",
            help="A Date column and at least one of Open, High, Low, Close, Adj Close."
            " Yahoo and Kaggle exports work as they are.",
        )
        if upload is None:
            st.sidebar.info("Upload a CSV with a Date column and prices.")
            return LoadedData(DataSpec("sample", "msft"), "", None)
        content = upload.getvalue()
        spec, title = DataSpec("csv", upload.name), upload.name
        try:
            prices = cached_csv(content, upload.name)
        except DataError as error:
            return _failed(spec, title, str(error))
    notice = prices.attrs.get("notice")
    if notice:
        st.sidebar.warning(notice)
    st.sidebar.caption(
        f"{len(prices):,} trading days, {prices.index[0]:%Y-%m-%d} to"
        f" {prices.index[-1]:%Y-%m-%d}"
    )
    return LoadedData(spec, title, prices)


_TICKER_FAILURE = "ticker_failure"  # (ticker, message) of this session's last failed download


def _failed(spec: DataSpec, title: str, message: str, *, retry: bool = False) -> LoadedData:
    """The page shows the whole message (require_prices); the sidebar says where to look."""
    st.sidebar.error(f"{title} could not be loaded: the page says why.", icon=":material/error:")
    if retry:
        st.sidebar.button("Try again", key="retry_ticker", on_click=_forget_ticker_failure,
                          icon=":material/refresh:")
    return LoadedData(spec, title, None, error=message)


def _forget_ticker_failure() -> None:
    st.session_state.pop(_TICKER_FAILURE, None)


def _use_sample() -> None:
    st.session_state["data_source"] = "sample"


def require_prices(data: LoadedData) -> pd.DataFrame:
    """The loaded prices, or stop the page with what went wrong and a way on."""
    if data.prices is not None:
        return data.prices
    if data.error:
        st.error(data.error)
        st.button("Use the offline sample instead", on_click=_use_sample, type="primary",
                  icon=":material/cloud_off:")
    else:
        st.info("Choose data in the sidebar: an offline sample works without a network.")
    st.stop()


# -- split settings shared by the Data and Train pages -----------------------------

# Widget values that must survive switching pages (Streamlit drops the state of
# widgets a page does not draw unless it is handed back each run; see app.py).
SHARED_KEYS = (
    "target", "window", "split_mode", "train_fraction", "train_start", "train_end",
)
_ANY_DAY = {"min_value": datetime.date(1900, 1, 1), "max_value": datetime.date(2100, 12, 31)}


def keep_shared_state() -> None:
    for key in SHARED_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def split_mode_control(container=st) -> str:
    """By share or by date. Inside a form a change would only show after submitting,
    so the Train page draws this above its form."""
    return container.radio(
        "Split", ["fraction", "dates"], key="split_mode", horizontal=True,
        format_func={"fraction": "By share", "dates": "By date"}.get,
    )


def split_controls(
    data: LoadedData, *, container=st, mode: str | None = None
) -> SplitSpec | None:
    """Target, window and split widgets; returns the spec or shows why it is invalid.

    ``mode`` is the split mode when it was chosen outside (above a form).
    """
    prices = data.prices
    targets = data.targets
    if st.session_state.get("target") not in targets:
        st.session_state["target"] = "Close" if "Close" in targets else targets[0]
    if st.session_state.get("split_dates_for") != data.spec.key():
        # New data: start the date split from its own first day and 80 % point.
        st.session_state["split_dates_for"] = data.spec.key()
        st.session_state["train_start"] = prices.index[0].date()
        st.session_state["train_end"] = prices.index[int(len(prices) * 0.8)].date()
    left, middle, right = container.columns(3)
    target = left.selectbox("Predict", targets, key="target")
    window = middle.number_input(
        "Window (days of history per prediction)", min_value=2, max_value=500, value=60,
        step=1, key="window",
    )
    if mode is None:
        mode = split_mode_control(right)
    try:
        if mode == "fraction":
            share = container.slider(
                "Share of days used for training", 0.5, 0.95, 0.8, 0.01, key="train_fraction"
            )
            return SplitSpec(target=target, window=int(window), train_fraction=share)
        start_col, end_col = container.columns(2)
        train_start = start_col.date_input("Train from", key="train_start", **_ANY_DAY)
        train_end = end_col.date_input(
            "Train until (test after it)", key="train_end", **_ANY_DAY
        )
        return SplitSpec(
            target=target, window=int(window), train_start=str(train_start),
            train_end=str(train_end), train_fraction=None,
        )
    except ValueError as error:
        container.error(str(error))
        return None
