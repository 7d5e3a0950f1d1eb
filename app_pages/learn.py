"""Learn page: the tutorials' ideas, computed for the app's current settings, each with a link
to the page where the class can try it. TensorFlow loads only when "Check against Keras" is
clicked."""

import streamlit as st

from rnnstock.web import learn
from rnnstock.web.sidebar import loaded

st.title("Learn")
st.markdown(
    "What the tutorials explain, worked out for **your** model: shapes, cells, gradients and"
    " parameter counts are computed from the settings below, not copied from a book."
)
spec, window = learn.settings()
learn.sections(spec, window, loaded())
