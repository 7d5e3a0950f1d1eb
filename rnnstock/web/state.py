"""What a user set, kept across pages: the settings store and every session key.

Streamlit forgets a widget's value once a page stops drawing it, and in 1.67
``persist_state="session"`` does not carry a value between two pages that draw
a widget under the same key: the element id includes the page, so the second
page's widget starts at its minimum (Open / window 2 / share 0.50; the walks in
``tests/test_walk.py`` and ``tests/browser/`` would catch it coming back). So the
settings a user made live in one plain dictionary in the session, the *store*,
and every settings widget is drawn from it and writes back to it when changed:

- a **shared** setting (the data split: target, window, split mode, share and
  dates) has one value for the Data, Train and Compare pages and the Learn
  and Forecast pages that read it; the last value set anywhere shows everywhere;
- every other setting belongs to one page (the Train page's network and the
  Compare page's are separate, so a comparison does not overwrite what Train
  trains), kept for that page across visits to others;
- a setting nobody touched shows its declared default (``rnnstock.settings``).

Presets, shared links and "use these settings" buttons write to the store the
same way, so the widgets show them on whichever page draws them next. The
store is also remembered for the browser (its id cookie, see ``owner_id``): a
reloaded tab starts a new Streamlit session, which starts from the browser's
last settings instead of the defaults.
View toggles that belong to one widget on one page (candlesticks, the fit on
the training days) use Streamlit's own ``persist_state``, which does keep a
value for one page.
"""

from __future__ import annotations

import datetime
import re
import secrets
import threading
from collections import OrderedDict
from typing import Any

import streamlit as st

from rnnstock.settings import SETTINGS, SPLIT_SETTINGS, SUGGESTED_BY, Setting
from rnnstock.web.browser import COOKIE

# -- session keys that are not settings --------------------------------------------------
STORE = "settings"  # setting key -> the value its widget shows (and LEARN_FOLLOWS)
LOADED_DATA = "loaded_data"  # the sidebar's LoadedData for this run
URL_RESTORED = "url_restored"  # a shared link's settings were read (once per session)
LINKED_CSV = "linked_csv"  # the CSV file a shared link names
UPLOAD = "upload"  # ((file name, bytes), ...): the CSV files last uploaded, kept across sources
UPLOAD_KEY = "upload_key"  # ((file name, sha256), ...) of those files: the reader's cache key
UPLOAD_IDS = "upload_ids"  # the uploader's ids of those files (a new upload has new ones)
TICKER_FAILURE = "ticker_failure"  # (ticker, message) of the last failed download
OWNER = "owner"  # this session's owner id when the browser sends no cookie
KERAS_CHECK = "learn_keras_check"  # the Learn page's last comparison with Keras
LEARN_FOLLOWS = "learn:follows"  # in the store: the Train settings Learn last copied
FORECAST_RUN = "forecast.run"  # the run the Forecast page forecasts with
MISTAKES_PRESET = "mistakes.preset"  # the preset whose link last opened the Mistakes page
INSIDE_OPEN = "train.inside"  # the Train page's "Inside the model" expander is open
INSIDE_DAY = "train.inside_day"  # the test day it looks inside
DATA_TAB = "data.tab"  # the Data page's open tab
SHOWN_PAGE = "shown_page"  # the page this run draws (until the next run starts)
DRAWN_BEFORE = "drawn_before"  # settings widgets the last full run drew
DRAWN_NOW = "drawn_now"  # settings widgets this run has drawn so far
BOARD_NAME = "board:name"  # in the store: the name this browser shows on the class board
BOARD_NAME_INPUT = "board.name"  # the class board's box for that name
BOARD_SAID = "board.said"  # (kind, message) of the class board's last put or remove

# -- sidebar widgets (drawn by app.py on every page, so their keys stay put) -------------
DATA_SOURCE = "data_source"
SAMPLE_NAME = "sample_name"
TICKER = "ticker"
CSV_UPLOAD = "csv_upload"
UPLOAD_FACTS = "upload_facts"  # the expander saying how the uploaded files were read
RETRY_TICKER = "retry_ticker"

# The settings one value of which serves every page (the data split)...
SHARED = SPLIT_SETTINGS
# ...but the Learn page, which works on a copy of the Train page's model and window so
# that a what-if there changes nothing a training uses.
OWN_COPIES = ("learn",)


MAX_BROWSERS = 500  # browsers whose settings and runs one server remembers
_OWNER = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def owner_id() -> str:
    """This browser's id: the cookie server.py gave it, else this session's own id
    (``streamlit run app.py`` and AppTest send no cookie)."""
    cookie = st.context.cookies.get(COOKIE) if st.context.cookies else None
    if cookie and _OWNER.match(cookie):
        return cookie
    return st.session_state.setdefault(OWNER, secrets.token_urlsafe(16))


class PerBrowser:
    """Something kept for each browser on this server (the oldest forgotten first)."""

    def __init__(self, make, on_forget=None) -> None:
        self._make = make
        self._on_forget = on_forget  # called with what a forgotten browser had
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, owner: str) -> Any:
        with self._lock:
            item = self._items.pop(owner, None)
            self._items[owner] = item if item is not None else self._make()
            forgotten = self._trim()
            item = self._items[owner]
        self._forget(forgotten)
        return item

    def put(self, owner: str, item: Any) -> None:
        with self._lock:
            self._items.pop(owner, None)
            self._items[owner] = item
            forgotten = self._trim()
        self._forget(forgotten)

    def _trim(self) -> list:
        forgotten = []
        while len(self._items) > MAX_BROWSERS:
            forgotten.append(self._items.popitem(last=False)[1])
        return forgotten

    def _forget(self, forgotten: list) -> None:
        if self._on_forget is not None:
            for item in forgotten:
                self._on_forget(item)


@st.cache_resource
def _remembered() -> PerBrowser:
    """Each browser's last settings: a reloaded tab (a new session) starts from them."""
    return PerBrowser(dict)


def store() -> dict[str, Any]:
    if STORE not in st.session_state:
        st.session_state[STORE] = dict(_remembered().of(owner_id()))
    return st.session_state[STORE]


def _remember() -> None:
    _remembered().put(owner_id(), dict(store()))


def store_key(name: str, page: str) -> str:
    """Where a setting's value lives: its name when shared, else under its page."""
    return name if name in SHARED and page not in OWN_COPIES else f"{page}.{name}"


def widget_key(name: str, page: str) -> str:
    return f"{page}.{name}"


def as_shown(setting: Setting, value: Any) -> Any:
    """A setting's value as its widget holds it (text for sizes, a date for dates)."""
    if value is None:
        value = setting.widget_default
    if value is None:
        return None
    if setting.kind == "sizes":
        return value if isinstance(value, str) else ", ".join(map(str, value))
    if setting.kind == "date":
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    if setting.kind == "choices":
        return list(value)
    if setting.kind == "float":
        return float(value)
    if setting.kind == "int":
        return int(value)
    return value


def get(name: str, page: str) -> Any:
    """The value a setting's widget shows on ``page``: what was set, else the default
    (for a setting whose default depends on another, the one that goes with it)."""
    value = store().get(store_key(name, page))
    if value is not None:
        return value
    if name in SUGGESTED_BY:
        other, suggestions = SUGGESTED_BY[name]
        return suggestions[get(other, page)]
    return as_shown(SETTINGS[name], None)


def is_set(name: str, page: str) -> bool:
    return store().get(store_key(name, page)) is not None


def put(page: str, **values: Any) -> None:
    """Set settings as if the user had (a preset, a link, a button)."""
    for name, value in values.items():
        store()[store_key(name, page)] = as_shown(SETTINGS[name], value)
    _remember()


def forget(page: str, *names: str) -> None:
    """Back to the default (or, for the split dates, the data's own)."""
    for name in names:
        store().pop(store_key(name, page), None)
    _remember()


def arrive(page: str) -> None:
    """Called by app.py at the start of every full run, before the page is drawn."""
    st.session_state[SHOWN_PAGE] = page
    st.session_state[DRAWN_BEFORE] = st.session_state.get(DRAWN_NOW, set())
    st.session_state[DRAWN_NOW] = set()


def bound(name: str, page: str, shown: Any = None) -> dict[str, Any]:
    """Widget arguments that draw the setting from the store and save edits to it.

    A widget the last run did not draw (a page or tab opened, the back button, a
    reload) is told its value even when Streamlit still holds the same one: a
    widget mounted again otherwise showed its empty default in the browser while
    the server held the value, and the next click sent that default back (the
    browser walk in tests/browser found it). ``shown`` overrides what the widget
    shows without saving it (the split dates follow the data until set).
    """
    key = widget_key(name, page)
    _mount(key, get(name, page) if shown is None else shown)
    return {"key": key, "on_change": _save, "args": (name, page)}


def _mount(key: str, value: Any) -> None:
    state = st.session_state
    mounted = key not in state.get(DRAWN_BEFORE, ())
    state.setdefault(DRAWN_NOW, set()).add(key)
    if mounted or key not in state or state[key] != value:
        state[key] = value


def _save(name: str, page: str) -> None:
    """An edit, saved; a value sent for a widget of a page no longer shown (a browser
    resending what it held before a page switch) is not an edit."""
    if st.session_state.get(SHOWN_PAGE) != page:
        return
    store()[store_key(name, page)] = st.session_state[widget_key(name, page)]
    _remember()


def bound_value(key: str, kept_as: str, page: str, default: Any = "") -> dict[str, Any]:
    """Like ``bound``, for a value that is not a setting (the name shown on the class
    board): the widget ``key`` shows what the store keeps under ``kept_as``, for the
    browser, and an edit on ``page`` is saved there."""
    _mount(key, store().get(kept_as, default))
    return {"key": key, "on_change": _save_value, "args": (key, kept_as, page)}


def _save_value(key: str, kept_as: str, page: str) -> None:
    if st.session_state.get(SHOWN_PAGE) != page:
        return
    store()[kept_as] = st.session_state[key]
    _remember()


def kept(key: str) -> dict[str, str]:
    """A view toggle that belongs to one page: kept while the user visits others."""
    return {"key": key, "persist_state": "session"}
