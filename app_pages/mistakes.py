"""Mistakes page: the tutorials' mistakes, each measured beside the right way on this data."""

import streamlit as st

from rnnstock.web import mistakes
from rnnstock.web.sidebar import loaded, require_prices

data = loaded()
st.title("Mistakes")
mistakes.from_preset()
require_prices(data)
st.caption(
    "Each mistake is trained the tutorial's way and the right way on the data in the"
    " sidebar, with the same split, network and seed, so the difference is the mistake's"
    " effect. Each side's settings are its tutorial's."
)
measured = mistakes.settings(data)
if measured is not None:
    mistakes.start(measured, data)

measurement = mistakes.current()
if measurement is not None:
    mistakes.progress(measurement)
    mistakes.results(measurement)
