"""Train page: settings (or a tutorial's preset), training in the background, results."""

import streamlit as st

from rnnstock.web import inside, runs, train
from rnnstock.web.links import reflect_in_url
from rnnstock.web.sidebar import loaded, require_prices

data = loaded()
st.title("Train")
require_prices(data)

train.preset_picker()
spec = train.settings(data)
if spec is not None:
    train.start(spec, data)

job = train.current_job()
if job is not None:
    runs.progress_panel(train.PAGE)
    if job.done:
        train.results(job)
        inside.inside_the_model(job)
runs.runs_table()
reflect_in_url(train.PAGE)
