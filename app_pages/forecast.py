"""Forecast page: a trained model run past the last day, and its backtest."""

import streamlit as st

from rnnstock.web import forecast, runs
from rnnstock.web.sidebar import loaded

st.title("Forecast")
result = forecast.pick_run()
if result is None:
    forecast.quick_training(loaded())
    runs.progress_panel(forecast.PAGE)  # progress, or why the training stopped
    runs.runs_table()
    st.stop()

days = forecast.forecast_days()
if days is not None:
    forecast.forecast(result, days)
