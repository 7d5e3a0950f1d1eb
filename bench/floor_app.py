"""The floor for the first chart: a Streamlit app with the Data page's price chart and
nothing else (no sidebar, no tables), timed by bench/startup.py's measure_floor."""

import streamlit as st

from rnnstock.charts import price_figure
from rnnstock.data import load_sample

st.plotly_chart(price_figure(load_sample("msft"), "Microsoft (MSFT)"))
