"""Compare page: several architectures trained on identical windows, side by side."""

import streamlit as st

from rnnstock.web import compare, runs
from rnnstock.web.links import reflect_in_url
from rnnstock.web.sidebar import loaded, require_prices

data = loaded()
st.title("Compare")
require_prices(data)
st.caption(
    "Every model sees the same data, split, window, sizes, epochs and seed; only the"
    " recurrent cell changes. The models train at the same time when the server has the cores."
)
compare.preset_button()
specs = compare.settings(data)
if specs:
    compare.start(specs, data)

jobs = compare.current_jobs()
if jobs:
    runs.progress_panel(compare.PAGE)
    if all(job.done for job in jobs):
        compare.results(jobs)
reflect_in_url(compare.PAGE)
