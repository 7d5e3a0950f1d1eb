"""Data page: the price history, a preview of the train/test split, and statistics."""

import streamlit as st

from rnnstock.charts import price_figure, split_figure
from rnnstock.web.data import dropped_when_read, lazy_tabs, missing_values, summary_statistics
from rnnstock.web.pages import DATA
from rnnstock.web.sidebar import loaded, require_prices
from rnnstock.web.split import split_controls
from rnnstock.web.state import kept
from rnnstock.windows import windowed_split

data = loaded()
st.title("Data")
prices = require_prices(data)
st.caption(prices.attrs.get("source", data.title))
# Only the open tab is drawn: the page opens on one chart, not two charts and two
# tables, and the browser draws the price history sooner.
history, split_tab, statistics = lazy_tabs(["Price history", "Train / test split", "Statistics"])

if history.open:
    with history:
        candlestick = st.toggle(
            "Candlesticks",
            help="Open, high, low and close for each day",
            **kept(f"{DATA.url}.candlestick"),
        )
        st.plotly_chart(price_figure(prices, data.title, candlestick=candlestick))

if split_tab.open:
    with split_tab:
        split = split_controls(data, DATA.url)
        if split is not None:
            periods = windowed_split(prices, split)
            st.plotly_chart(split_figure(periods, data.title))
            train_days, test_days, train_windows, _ = st.columns(4)
            train_days.metric("Training days", f"{len(periods.train):,}")
            test_days.metric("Test days", f"{len(periods.test):,}")
            train_windows.metric(
                "Training windows",
                f"{periods.train_windows(split.window, split.learn_from):,}",
                help=f"Each window: {split.window} days in, the next day's price out.",
            )

if statistics.open:
    with statistics:
        stats, missing = st.columns([3, 1])
        stats.subheader("Summary statistics")
        stats.table(summary_statistics(prices))
        missing.subheader("Missing values")
        missing.table(missing_values(prices))
        dropped = dropped_when_read(prices)
        if dropped:
            missing.caption(dropped)
