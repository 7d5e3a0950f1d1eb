"""The Data page's pieces: tabs drawn only when open, the statistics table, and what
reading the file left out."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnstock.web import state


def lazy_tabs(labels: list[str], key: str = state.DATA_TAB) -> list:
    """Tabs of which only the open one is drawn (its ``.open`` is True), reopened on the
    same tab when the user comes back to the page. ``st.tabs`` has no ``persist_state``:
    the open tab is kept under a second key that Streamlit does not drop."""
    remembered = f"{key}.remembered"
    if key not in st.session_state and st.session_state.get(remembered) in labels:
        st.session_state[key] = st.session_state[remembered]
    tabs = st.tabs(labels, key=key, on_change="rerun")
    st.session_state[remembered] = st.session_state.get(key, labels[0])
    return tabs


def summary_statistics(prices: pd.DataFrame) -> pd.io.formats.style.Styler:
    """``describe()`` as a class reads it: prices to the cent, counts and volumes whole,
    with thousands separators."""
    whole = [column for column in prices.columns if column == "Volume"]
    return (
        _plain(prices)
        .describe()
        .style.format("{:,.2f}")
        .format("{:,.0f}", subset=(["count"], prices.columns))
        .format("{:,.0f}", subset=(slice(None), whole))
    )


def dropped_when_read(prices: pd.DataFrame) -> str | None:
    """The rows without any price that reading the file dropped (blank lines, Yahoo's
    'null' holiday rows), which the missing-values count no longer shows; None if none."""
    report = prices.attrs.get("read")
    dropped = getattr(report, "dropped", 0)
    if not dropped:
        return None
    rows = "1 row" if dropped == 1 else f"{dropped:,} rows"
    files = "the file was" if len(getattr(report, "files", ())) <= 1 else "the files were"
    return (
        f"{rows} without any price (blank lines, or 'null' rows such as Yahoo's for holidays)"
        f" dropped when {files} read: they are not counted as missing here."
    )


def missing_values(prices: pd.DataFrame) -> pd.Series:
    """Empty cells per column, as the statistics table lists them."""
    return _plain(prices).isna().sum().rename("missing")


def _plain(prices: pd.DataFrame) -> pd.DataFrame:
    """The prices without their ``attrs`` (the read report, warnings), which pandas
    carries into every table made from them and Streamlit cannot send as JSON."""
    plain = prices.copy(deep=False)
    plain.attrs = {}
    return plain
