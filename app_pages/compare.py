"""Compare page: several architectures trained on identical windows, side by side."""

import streamlit as st

from rnnstock import ui_compare
from rnnstock.ui import reflect_in_url, require_prices

data = st.session_state["loaded_data"]
st.title("Compare")
require_prices(data)
st.caption(
    "Every model sees the same data, split, window, sizes, epochs and seed; only the"
    " recurrent cell changes. The models train at the same time when the server has the cores."
)
ui_compare.preset_button()
specs = ui_compare.settings_form(data)
if specs:
    ui_compare.start(specs, data)

jobs = ui_compare.current_jobs()
if jobs:
    ui_compare.progress_panel()
    if all(job.done for job in jobs):
        ui_compare.results(jobs)
reflect_in_url("compare")
