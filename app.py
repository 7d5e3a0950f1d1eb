"""rnnstock dashboard (first cut): pick an offline sample and see its prices.

The full dashboard (training in the browser, comparisons, forecasts) grows
on top of this; the pipeline itself lives in the rnnstock package.
"""

import streamlit as st

from rnnstock.charts import price_figure
from rnnstock.data import DataError, list_samples, load_sample

st.set_page_config(page_title="rnnstock", page_icon="📈", layout="wide")


@st.cache_data(show_spinner="Loading prices…")
def cached_sample(name: str):
    return load_sample(name)


samples = {sample.name: sample for sample in list_samples()}
with st.sidebar:
    st.header("Data")
    choice = st.selectbox(
        "Offline sample",
        list(samples),
        format_func=lambda name: f"{samples[name].title} ({samples[name].start[:4]}–"
        f"{samples[name].end[:4]})",
    )
    candlestick = st.toggle("Candlesticks", value=False)

sample = samples[choice]
st.title("rnnstock: recurrent networks on stock prices")
try:
    prices = cached_sample(choice)
except DataError as error:
    st.error(str(error))
    st.stop()

st.caption(sample.description)
st.plotly_chart(price_figure(prices, sample.title, candlestick=candlestick), width="stretch")
left, right = st.columns(2)
left.metric("Trading days", f"{len(prices):,}")
last_day = prices.index[-1]
right.metric("Last close", f"{prices['Close'].iloc[-1]:,.2f}", help=f"on {last_day:%Y-%m-%d}")
st.dataframe(prices.describe().T, width="stretch")
