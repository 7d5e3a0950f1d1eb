"""`streamlit run server.py`: the dashboard (app.py), its first page readied as the server starts.

Streamlit runs app.py only when a browser connects, so the first visitor
would wait for its imports and the default sample to load. Here Streamlit's
``st.App`` starts that work (rnnstock.web.warmup) in a thread as soon
as the server is up, while the browser is still loading Streamlit's scripts.
It also gives each browser an id cookie (rnnstock.web.browser), so a reloaded
tab finds its trainings again. ``streamlit run app.py`` still works, without
the head start, and with runs that last as long as the tab.
"""

import threading
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from rnnstock.web.browser import BrowserIdMiddleware


def _warm_up() -> None:
    from rnnstock.web.warmup import warm_up  # imported here: pandas alone takes half a second

    warm_up()


@asynccontextmanager
async def lifespan(_app):
    threading.Thread(target=_warm_up, name="rnnstock-warm-up", daemon=True).start()
    yield


app = st.App("app.py", lifespan=lifespan, middleware=[Middleware(BrowserIdMiddleware)])
