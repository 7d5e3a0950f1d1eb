"""The Data page's pieces: tabs drawn only when open, the statistics table."""

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
        prices.describe()
        .style.format("{:,.2f}")
        .format("{:,.0f}", subset=(["count"], prices.columns))
        .format("{:,.0f}", subset=(slice(None), whole))
    )
