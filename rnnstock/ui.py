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
from rnnstock.share import from_params, to_params
from rnnstock.specs import TARGETS, DataSpec, SplitSpec
from rnnstock.windows import windowed_split

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


def warm_up() -> None:
    """What the first visit would otherwise wait for, done while the server starts.

    Run by server.py in a thread as soon as Streamlit is up (the browser is
    still loading its scripts then): the pages' modules (pandas, Plotly's
    figure classes; never TensorFlow nor scikit-learn), the default offline
    sample into the shared cache, and one price chart, which loads Plotly's
    validators and JSON encoder. Saves the first visitor about 0.7 s
    (bench/README.md). Nothing for the Data page's other tabs: they are drawn
    only when opened, and this thread shares the 2 cores with the browser.
    """
    import rnnstock.charts
    import rnnstock.ui_compare
    import rnnstock.ui_forecast
    import rnnstock.ui_train

    name = DataSpec().name
    prices = cached_sample(name)
    rnnstock.charts.price_figure(prices, name).to_json()  # as st.plotly_chart sends it


def kept(key: str) -> dict[str, str]:
    """Widget arguments for a setting that keeps its value on other pages and when the
    user comes back (Streamlit drops a widget's value once a page does not draw it)."""
    return {"key": key, "persist_state": "session"}


def lazy_tabs(labels: list[str], key: str) -> list:
    """Tabs of which only the open one is drawn (its ``.open`` is True), reopened on the
    same tab when the user comes back to the page. ``st.tabs`` has no ``persist_state``:
    the open tab is kept under a second key that Streamlit does not drop."""
    remembered = f"{key}_remembered"
    if key not in st.session_state and st.session_state.get(remembered) in labels:
        st.session_state[key] = st.session_state[remembered]
    tabs = st.tabs(labels, key=key, on_change="rerun")
    st.session_state[remembered] = st.session_state.get(key, labels[0])
    return tabs


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
            "Offline sample",
            list(samples),
            key="sample_name",
            format_func=lambda key: samples[key].label,
        )
        spec, title = DataSpec("sample", name), samples[name].title
        try:
            prices = cached_sample(name)
        except DataError as error:  # a damaged installation; say so rather than crash
            return _failed(spec, title, str(error))
    elif source == "ticker":
        ticker = st.sidebar.text_input(
            "Ticker symbol",
            key="ticker",
            placeholder="e.g. AAPL, MA, ^GSPC",
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
            "CSV file of daily prices",
            type=["csv", "txt", "gz"],
            key="csv_upload",
            help="A Date column and at least one of Open, High, Low, Close, Adj Close."
            " Yahoo and Kaggle exports work as they are.",
        )
        expected = st.session_state.get("expected_csv")
        if upload is None:
            st.sidebar.info(
                f"Upload **{expected}** to run the experiment of the link you opened."
                if expected
                else "Upload a CSV with a Date column and prices."
            )
            return LoadedData(DataSpec("sample", "msft"), "", None)
        st.session_state["expected_csv"] = upload.name  # so a shared link names the file
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
        f"{len(prices):,} trading days, {prices.index[0]:%Y-%m-%d} to {prices.index[-1]:%Y-%m-%d}"
    )
    return LoadedData(spec, title, prices)


_TICKER_FAILURE = "ticker_failure"  # (ticker, message) of this session's last failed download


def _failed(spec: DataSpec, title: str, message: str, *, retry: bool = False) -> LoadedData:
    """The page shows the whole message (require_prices); the sidebar says where to look."""
    st.sidebar.error(f"{title} could not be loaded: the page says why.", icon=":material/error:")
    if retry:
        st.sidebar.button(
            "Try again",
            key="retry_ticker",
            on_click=_forget_ticker_failure,
            icon=":material/refresh:",
        )
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
        st.button(
            "Use the offline sample instead",
            on_click=_use_sample,
            type="primary",
            icon=":material/cloud_off:",
        )
    else:
        st.info("Choose data in the sidebar: an offline sample works without a network.")
    st.stop()


def summary_statistics(prices: pd.DataFrame) -> pd.io.formats.style.Styler:
    """``describe()`` as a class reads it: prices to the cent, counts and volumes whole,
    with thousands separators."""
    whole = [column for column in prices.columns if column == "Volume"]
    return (
        prices.describe()
        .style.format("{:,.2f}")
        .format("{:,.0f}", subset=(["count"], prices.columns))
        .format("{:,.0f}", subset=(slice(None), whole))
    )


# -- split settings shared by the Data and Train pages -----------------------------

# -- settings in the link -------------------------------------------------------------


def restore_from_url(page: str) -> None:
    """Once per browser session: settings from a shared link go into the widgets."""
    if st.session_state.get("url_restored"):
        return
    st.session_state["url_restored"] = True
    settings, problems = from_params(page, st.query_params.to_dict())
    st.session_state.update(settings)
    if "train_start" in settings or "train_end" in settings:
        mark_split_dates_chosen()
    if problems:
        st.session_state["url_problems"] = problems


def reflect_in_url(page: str) -> None:
    """Put the page's current settings in the address bar, ready to be copied."""
    problems = st.session_state.pop("url_problems", None)
    if problems:
        st.warning(
            "Some settings in the link could not be used and were skipped: "
            + "; ".join(problems)
            + "."
        )
    params = to_params(page, st.session_state)
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)


_ANY_DAY = {"min_value": datetime.date(1900, 1, 1), "max_value": datetime.date(2100, 12, 31)}
_AUTO_DATES = "split_dates_auto"  # (data key, start, end) when the app chose the dates


def _default_split_dates(data: LoadedData) -> None:
    """Start the date split at the data's first day and 80 % point, unless chosen.

    Dates set by hand, by a preset or by a link are kept when other data is
    picked (pick the DataCamp preset, then upload its CSV, and the split is
    still 2016–2020); if they do not fit the new data, the split says so.
    """
    prices, key, state = data.prices, data.spec.key(), st.session_state
    start, end = state.get("train_start"), state.get("train_end")
    if isinstance(start, datetime.date) and isinstance(end, datetime.date):
        auto = state.get(_AUTO_DATES)
        if auto is None or tuple(auto[1:]) != (start, end) or auto[0] == key:
            return
    first, end = prices.index[0].date(), prices.index[int(len(prices) * 0.8)].date()
    state.update({"train_start": first, "train_end": end, _AUTO_DATES: (key, first, end)})


def mark_split_dates_chosen() -> None:
    """The split dates were set on purpose (by a preset or a link): keep them."""
    st.session_state.pop(_AUTO_DATES, None)


def split_mode_control(container=st) -> str:
    """By share or by date. Inside a form a change would only show after submitting,
    so the Train page draws this above its form."""
    return container.radio(
        "Split",
        ["fraction", "dates"],
        **kept("split_mode"),
        horizontal=True,
        format_func={"fraction": "By share", "dates": "By date"}.get,
    )


def split_controls(data: LoadedData, *, container=st, mode: str | None = None) -> SplitSpec | None:
    """Target, window and split widgets; returns the spec or shows why it is invalid.

    ``mode`` is the split mode when it was chosen outside (above a form).
    """
    targets = data.targets
    if st.session_state.get("target") not in targets:
        st.session_state["target"] = "Close" if "Close" in targets else targets[0]
    _default_split_dates(data)
    left, middle, right = container.columns(3)
    target = left.selectbox("Predict", targets, **kept("target"))
    st.session_state.setdefault("window", 60)
    window = middle.number_input(
        "Window (days of history per prediction)",
        min_value=2,
        max_value=500,
        step=1,
        **kept("window"),
    )
    if mode is None:
        mode = split_mode_control(right)
    try:
        if mode == "fraction":
            st.session_state.setdefault("train_fraction", 0.8)
            share = container.slider(
                "Share of days used for training",
                0.5,
                0.95,
                step=0.01,
                **kept("train_fraction"),
            )
            split = SplitSpec(target=target, window=int(window), train_fraction=share)
        else:
            start_col, end_col = container.columns(2)
            train_start = start_col.date_input("Train from", **kept("train_start"), **_ANY_DAY)
            train_end = end_col.date_input(
                "Train until (test after it)", **kept("train_end"), **_ANY_DAY
            )
            split = SplitSpec(
                target=target,
                window=int(window),
                train_start=str(train_start),
                train_end=str(train_end),
                train_fraction=None,
            )
        windowed_split(data.prices, split)  # the data must fit the split: say why if not
    except ValueError as error:
        container.error(str(error))
        return None
    return split
