"""A widget for each setting, drawn from its declaration: label, help, bounds and default.

Number boxes have no minimum or maximum of their own: Streamlit only outlines an
out-of-range number in red and keeps the old value, which leaves a class
wondering why Train does nothing. Here any number reaches the spec, and the
spec's message says the range (the help text says it too). Sliders and
choices offer exactly what the declaration allows.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from rnnstock.settings import (
    FIRST_DAY,
    LAST_DAY,
    LEARN_FROM_NAMES,
    OPTIMIZER_NAMES,
    SETTINGS,
    SPLIT_MODE_NAMES,
    Setting,
)
from rnnstock.web.state import bound

FORMATS = {
    "optimizer": OPTIMIZER_NAMES.get,
    "split_mode": SPLIT_MODE_NAMES.get,
    "learn_from": LEARN_FROM_NAMES.get,
}


def help_text(setting: Setting) -> str | None:
    parts = [setting.help] if setting.help else []
    if setting.kind in ("int", "float") and setting.low is not None:
        parts.append(f"From {setting.range_text}.")
    return " ".join(parts) or None


def widget(
    name: str,
    page: str,
    container: Any = st,
    *,
    shown: Any = None,
    options: list[str] | None = None,
    radio: bool = False,
    label: str | None = None,
) -> Any:
    """Draw the setting ``name`` for ``page``; returns what the widget holds."""
    setting = SETTINGS[name]
    common = {"label": label or setting.label, "help": help_text(setting)}
    args = {**common, **bound(name, page, shown)}
    kind = setting.kind
    if kind == "int":
        return container.number_input(step=1, **args)
    if kind == "float" and setting.step is not None:
        return container.slider(
            min_value=float(setting.low), max_value=float(setting.high), step=setting.step, **args
        )
    if kind == "float":
        return container.number_input(format="%.5f", step=0.0001, **args)
    if kind == "bool":
        return container.checkbox(**args)
    if kind == "choice":
        choices = list(options or setting.choices)
        format_func = FORMATS.get(name, str)
        if radio:
            return container.radio(
                options=choices, format_func=format_func, horizontal=True, **args
            )
        return container.selectbox(options=choices, format_func=format_func, **args)
    if kind == "choices":
        return container.multiselect(
            options=list(setting.choices), max_selections=setting.max_items, **args
        )
    if kind == "sizes":
        return container.text_input(**args)
    if kind == "date":
        return container.date_input(min_value=FIRST_DAY, max_value=LAST_DAY, **args)
    return container.text_input(**args)
