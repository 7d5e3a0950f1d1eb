"""Target, window and split widgets: one value for the Data, Train and Compare pages."""

from __future__ import annotations

import datetime
from typing import Any

import streamlit as st

from rnnstock.settings import default
from rnnstock.specs import SplitSpec
from rnnstock.text import literal
from rnnstock.web import state
from rnnstock.web.pages import DATA
from rnnstock.web.sidebar import LoadedData
from rnnstock.web.widgets import widget
from rnnstock.windows import windowed_split


def automatic_dates(data: LoadedData) -> tuple[datetime.date, datetime.date]:
    """Until the user picks dates: train from the first day to the default share's point."""
    index = data.prices.index
    return index[0].date(), index[int(len(index) * default("train_fraction"))].date()


def shown_target(data: LoadedData, page: str) -> str | None:
    """The target to show when the chosen one is not in this data (the choice is kept)."""
    targets = data.targets
    chosen = state.get("target", page)
    if chosen in targets:
        return None
    return default("target") if default("target") in targets else targets[0]


def split_from_state(data: LoadedData, page: str) -> SplitSpec:
    """The split the widgets show (ValueError if it is not a valid split)."""
    target = shown_target(data, page) or state.get("target", page)
    window = state.get("window", page)
    learn_from = state.get("learn_from", page)
    if state.get("split_mode", page) == "dates":
        auto_start, auto_end = automatic_dates(data)
        start = state.get("train_start", page) or auto_start
        end = state.get("train_end", page) or auto_end
        return SplitSpec(
            target=target,
            window=window,
            learn_from=learn_from,
            train_start=str(start),
            train_end=str(end),
            train_fraction=None,
        )
    return SplitSpec(
        target=target,
        window=window,
        learn_from=learn_from,
        train_fraction=state.get("train_fraction", page),
    )


def split_controls(data: LoadedData, page: str, container: Any = st) -> SplitSpec | None:
    """The split widgets; returns the split, or shows why it cannot be used."""
    # The Data page previews the split; what the model learns from is a training setting.
    trains = page != DATA.url
    columns = container.columns([3, 3, 3, 2] if trains else 3)
    widget("target", page, columns[0], shown=shown_target(data, page), options=data.targets)
    if trains:
        widget("learn_from", page, columns[1])
    widget("window", page, columns[-2])
    mode = widget("split_mode", page, columns[-1], radio=True)
    if mode == "fraction":
        widget("train_fraction", page, container)
    else:
        auto_start, auto_end = automatic_dates(data)
        start_col, end_col = container.columns(2)
        for name, column, auto in (
            ("train_start", start_col, auto_start),
            ("train_end", end_col, auto_end),
        ):
            widget(name, page, column, shown=None if state.is_set(name, page) else auto)
    chosen = state.get("target", page)
    if shown_target(data, page):
        container.caption(
            f"This data has no {literal(chosen)} column; predicting {shown_target(data, page)}."
        )
    try:
        split = split_from_state(data, page)
        windowed_split(data.prices, split)  # the data must fit the split: say why if not
    except ValueError as error:
        container.error(literal(error, 600))
        return None
    return split
