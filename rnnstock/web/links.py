"""Settings in the address bar: a copied link opens the same experiment.

The Train and Compare pages keep their settings in the URL's query, each under
the short name its declaration gives (``rnnstock.settings``: ``window=60``,
``units=125``). Opening a link puts its settings in the store once per session
(``rnnstock.web.state``), as if the user had set them; a value that cannot be
read is skipped and reported, quoted as plain text, never as Markdown. The class
board's link is the exception: it is shown to whoever opens it, and applied only
when they click (``OFFERED``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from rnnstock.data import SAMPLES, DataError, validate_ticker
from rnnstock.settings import DATA_SOURCES, SETTINGS
from rnnstock.text import MAX_SHOWN, literal
from rnnstock.web import state
from rnnstock.web.pages import BOARD, COMPARE, TRAIN

SPLIT = state.SHARED  # the data split, shared by the pages and carried by both links
NETWORK = (
    "units",
    "dense",
    "dropout",
    "bidirectional",
    "optimizer",
    "learning_rate",
    "epochs",
    "batch_size",
    "seed",
)
# What each page's link carries, in the order the link lists them.
PAGE_SETTINGS = {
    TRAIN.url: (*SPLIT, "cell", *NETWORK, "early_stopping", "validation_fraction", "patience"),
    COMPARE.url: (*SPLIT, "cells", *NETWORK, "repeats"),
    BOARD.url: SPLIT,
}
# Pages whose link is shown to whoever opens it, with a button to use it, instead of
# being applied on arrival: the class board's teacher's link (rnnstock.web.board).
OFFERED = (BOARD.url,)


@dataclass(frozen=True)
class SidebarField:
    """A data-source choice in the link: the sidebar widget's key and its reader."""

    key: str
    param: str
    read: Callable[[str], str]
    source: str | None = None  # the data source it belongs to (None: always)


def _choice(options) -> Callable[[str], str]:
    def read(text: str) -> str:
        if text.strip().lower() not in options:
            raise ValueError(f"not one of {', '.join(options)}")
        return text.strip().lower()

    return read


def _ticker(text: str) -> str:
    try:
        return validate_ticker(text)
    except DataError as error:
        raise ValueError(str(error)) from None


SIDEBAR_FIELDS = (
    SidebarField(state.DATA_SOURCE, "data", _choice(DATA_SOURCES)),
    SidebarField(state.SAMPLE_NAME, "sample", _choice(tuple(SAMPLES)), "sample"),
    SidebarField(state.TICKER, "ticker", _ticker, "ticker"),
    SidebarField(state.LINKED_CSV, "file", lambda text: text.strip()[:MAX_SHOWN], "csv"),
)


def _write(name: str, value: Any) -> str:
    kind = SETTINGS[name].kind
    if kind == "bool":
        return "1" if value else "0"
    if kind in ("sizes", "choices"):
        parts = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value))
        return ",".join(str(part) for part in parts if str(part))
    if kind == "float":
        return f"{float(value):g}"
    return str(value)


def to_params(page: str, session: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The page's settings as query parameters, as its widgets show them."""
    session = st.session_state if session is None else session
    source = session.get(state.DATA_SOURCE, "sample")
    params = {}
    for field in SIDEBAR_FIELDS:
        value = session.get(field.key)
        if value and field.source in (None, source):
            params[field.param] = str(value)
    mode = state.get("split_mode", page)
    for name in PAGE_SETTINGS.get(page, ()):
        if name in ("train_start", "train_end") and (
            mode != "dates" or not state.is_set(name, page)
        ):
            continue
        if name == "train_fraction" and mode == "dates":
            continue
        if name in ("validation_fraction", "patience") and not state.get("early_stopping", page):
            continue
        value = state.get(name, page)
        if value is None or (value == "" and SETTINGS[name].kind != "sizes"):
            continue
        params[SETTINGS[name].param] = _write(name, value)
    return params


def from_params(page: str, params: Mapping[str, str]) -> tuple[dict, dict, list[str]]:
    """The sidebar's values, the page's settings, and a line per parameter skipped."""
    sidebar: dict[str, str] = {}
    settings: dict[str, Any] = {}
    problems = []
    for field in SIDEBAR_FIELDS:
        if field.param in params:
            try:
                sidebar[field.key] = field.read(params[field.param])
            except ValueError as error:
                problems.append(f"{field.param}={params[field.param]} ({error})")
    for name in PAGE_SETTINGS.get(page, ()):
        param = SETTINGS[name].param
        if param not in params:
            continue
        text = params[param]
        try:
            value = SETTINGS[name].check(text)
        except ValueError as error:
            problems.append(f"{param}={text} ({error})")
            continue
        if value is not None:
            settings[name] = value
    start, end = settings.get("train_start"), settings.get("train_end")
    if start and end and start >= end:
        problems.append("from/until (the training period must start before it ends)")
        del settings["train_start"], settings["train_end"]
    return sidebar, settings, problems


def restore_from_url(page: str) -> None:
    """Once per browser session: a shared link's settings become the user's settings."""
    if st.session_state.get(state.URL_RESTORED) or page in OFFERED:
        return
    st.session_state[state.URL_RESTORED] = True
    sidebar, settings, problems = from_params(page, st.query_params.to_dict())
    st.session_state.update(sidebar)
    state.put(page, **settings)
    if problems:  # said above the page, whether or not the page can draw (data missing)
        st.warning(
            "Some settings in the link could not be used and were skipped: "
            + literal("; ".join(problems), 600)
            + "."
        )


def reflect_in_url(page: str) -> None:
    """Put the page's current settings in the address bar, ready to be copied."""
    params = to_params(page)
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
