"""Forecast page: a trained model run past the last day, and its backtest."""

import streamlit as st

from rnnstock import ui_forecast, ui_train
from rnnstock.ui import kept

st.title("Forecast")
result = ui_forecast.pick_run()
if result is None:
    ui_forecast.quick_training(st.session_state["loaded_data"])
    job = ui_train.current_job()
    if job is not None:
        ui_train.progress_panel()  # progress, or why the training stopped
    st.stop()

steps = st.slider("Business days to forecast", 1, 60, 10, **kept("forecast_days"))
ui_forecast.forecast(result, steps)
