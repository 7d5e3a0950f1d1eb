"""rnnstock dashboard: the entry point (page config, navigation, the shared data sidebar).

Pages live in app_pages/ and stay thin: widgets in, one rnnstock call, charts out.
Not in pages/: Streamlit would also treat that folder as old-style automatic
pages and run a page without this entry script when its URL is opened.
"""

import streamlit as st

from rnnstock.ui import data_sidebar, restore_from_url

st.set_page_config(page_title="rnnstock", page_icon="📈", layout="wide")

page = st.navigation(
    [
        st.Page("app_pages/data.py", title="Data", icon=":material/show_chart:", default=True),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("app_pages/forecast.py", title="Forecast", icon=":material/trending_up:"),
        st.Page("app_pages/learn.py", title="Learn", icon=":material/school:"),
    ]
)
restore_from_url(page.url_path)  # a shared link's settings, once per session
# The sidebar is drawn on every page so the chosen data follows the user around.
st.session_state["loaded_data"] = data_sidebar()
page.run()
