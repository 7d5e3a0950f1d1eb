"""rnnstock dashboard: the entry point (page config, navigation, the shared data sidebar).

Pages live in app_pages/ and stay thin: widgets in, one rnnstock call, charts out.
Everything they share is in rnnstock/web/ (see rnnstock/web/pages.py for why the
folder is not called pages/).
"""

import streamlit as st

from rnnstock.web import pages, state
from rnnstock.web.links import restore_from_url
from rnnstock.web.sidebar import data_sidebar

st.set_page_config(page_title="rnnstock", page_icon="📈", layout="wide")

page = pages.navigation()
state.arrive(pages.by_url(page.url_path).url)
restore_from_url(page.url_path)  # a shared link's settings, once per session
# The sidebar is drawn on every page so the chosen data follows the user around.
st.session_state[state.LOADED_DATA] = data_sidebar()
page.run()
