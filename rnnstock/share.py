"""Settings in a link: the Train and Compare pages' settings as URL query parameters.

A teacher sets up an experiment, copies the address bar and hands the link
out; opening it restores the same data choice, split, model and training
settings. Each page's settings are a list of fields: the session-state key
the widget uses, the short name in the URL, and how to read and write the
value. A value that cannot be read is skipped and reported, never fatal.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rnnstock.data import SAMPLES, DataError, validate_ticker
from rnnstock.specs import CELLS, OPTIMIZERS, TARGETS


@dataclass(frozen=True)
class Field:
    key: str  # the widget's session-state key
    param: str  # its name in the URL
    read: Callable[[str], Any]  # URL text -> value, ValueError when it cannot be read
    write: Callable[[Any], str] = str


def _number(kind: type, low: float, high: float) -> Callable[[str], Any]:
    what = "a whole number" if kind is int else "a number"

    def read(text: str):
        try:
            value = kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
        except ValueError:
            raise ValueError(f"not {what}") from None
        if not low <= value <= high:
            raise ValueError(f"not between {low:g} and {high:g}")
        return value

    return read


def _choice(options: Iterable[str]) -> Callable[[str], str]:
    options = tuple(options)

    def read(text: str) -> str:
        by_lower = {option.lower(): option for option in options}
        if text.strip().lower() not in by_lower:
            raise ValueError(f"not one of {', '.join(options)}")
        return by_lower[text.strip().lower()]

    return read


def _choices(options: Iterable[str]) -> Callable[[str], list[str]]:
    one = _choice(options)
    return lambda text: [one(part) for part in text.split(",") if part.strip()]


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in {"1", "0", "true", "false", "yes", "no"}:
        raise ValueError("not 1 or 0")
    return value in {"1", "true", "yes"}


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("not a date like 2020-12-31") from None


def _ticker(text: str) -> str:
    try:
        return validate_ticker(text)
    except DataError as error:
        raise ValueError(str(error)) from None


def _sizes(text: str) -> str:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise ValueError("not a list of whole numbers like 50,25")
    return ", ".join(parts)


def _compact(value: Any) -> str:
    return value.replace(" ", "") if isinstance(value, str) else str(value)


_FLAG = {"read": _flag, "write": lambda value: "1" if value else "0"}
_DATE = {"read": _date, "write": lambda value: str(value)}

DATA_FIELDS = (
    Field("data_source", "data", _choice(("sample", "ticker", "csv"))),
    Field("sample_name", "sample", _choice(SAMPLES)),
    Field("ticker", "ticker", _ticker),
    Field("expected_csv", "file", lambda text: text.strip()[:200]),
)
SPLIT_FIELDS = (
    Field("target", "target", _choice(TARGETS)),
    Field("window", "window", _number(int, 2, 500)),
    Field("split_mode", "split", _choice(("fraction", "dates"))),
    Field("train_fraction", "train", _number(float, 0.5, 0.95)),
    Field("train_start", "from", **_DATE),
    Field("train_end", "until", **_DATE),
)


def _training_fields(prefix: str) -> tuple[Field, ...]:
    return (
        Field(f"{prefix}units", "units", _sizes, _compact),
        Field(
            f"{prefix}dense", "dense", lambda text: _sizes(text) if text.strip() else "", _compact
        ),
        Field(f"{prefix}dropout", "dropout", _number(float, 0.0, 0.8)),
        Field(f"{prefix}bidirectional", "bidi", **_FLAG),
        Field(f"{prefix}optimizer", "opt", _choice(OPTIMIZERS)),
        Field(f"{prefix}learning_rate", "lr", _number(float, 1e-5, 1.0), lambda v: f"{v:g}"),
        Field(f"{prefix}epochs", "epochs", _number(int, 1, 1000)),
        Field(f"{prefix}batch_size", "batch", _number(int, 1, 4096)),
        Field(f"{prefix}seed", "seed", _number(int, 0, 2**31 - 1)),
    )


PAGE_FIELDS: dict[str, tuple[Field, ...]] = {
    "train": (
        *DATA_FIELDS,
        *SPLIT_FIELDS,
        Field("cell", "cell", _choice(CELLS)),
        *_training_fields(""),
        Field("early_stopping", "es", **_FLAG),
        Field("validation_fraction", "val", _number(float, 0.05, 0.5)),
        Field("patience", "patience", _number(int, 1, 100)),
    ),
    "compare": (
        *DATA_FIELDS,
        *SPLIT_FIELDS,
        Field("cmp_cells", "cells", _choices(CELLS), lambda cells: ",".join(cells)),
        *_training_fields("cmp_"),
        Field("cmp_repeats", "repeats", _number(int, 1, 5)),
    ),
}


def to_params(page: str, state: Mapping[str, Any]) -> dict[str, str]:
    """The page's current settings as query parameters (only those that are set)."""
    params = {}
    source = state.get("data_source", "sample")
    for field in PAGE_FIELDS.get(page, ()):
        if field.key not in state or state[field.key] is None:
            continue
        if field in DATA_FIELDS and not _used_by_source(field, source):
            continue
        if field.key in ("train_start", "train_end") and state.get("split_mode") != "dates":
            continue
        if field.key == "train_fraction" and state.get("split_mode") == "dates":
            continue
        params[field.param] = field.write(state[field.key])
    return params


def _used_by_source(field: Field, source: str) -> bool:
    return (
        field.key == "data_source"
        or {"sample": "sample_name", "ticker": "ticker", "csv": "expected_csv"}[source] == field.key
    )


def from_params(page: str, params: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Settings to put in session state, and a line per parameter that was skipped."""
    settings: dict[str, Any] = {}
    problems = []
    for field in PAGE_FIELDS.get(page, ()):
        if field.param not in params:
            continue
        text = params[field.param]
        try:
            settings[field.key] = field.read(text)
        except ValueError as error:
            problems.append(f"{field.param}={text} ({error})")
    start, end = settings.get("train_start"), settings.get("train_end")
    if start and end and start >= end:
        problems.append("from/until (the training period must start before it ends)")
        del settings["train_start"], settings["train_end"]
    return settings, problems
