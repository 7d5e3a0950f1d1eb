"""Train page: settings (or a tutorial's preset), training in the background, results."""

import streamlit as st

from rnnstock import ui_train
from rnnstock.ui import reflect_in_url, require_prices

data = st.session_state["loaded_data"]
st.title("Train")
require_prices(data)

ui_train.preset_picker()
spec = ui_train.settings_form(data)
if spec is not None:
    ui_train.start_training(spec, data)

job = ui_train.current_job()
if job is not None:
    ui_train.progress_panel()
    if job.done:
        ui_train.results(job)
ui_train.runs_table()
reflect_in_url("train")
