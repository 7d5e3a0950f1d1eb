"""The experiment's settings as frozen, validated, hashable specs.

Every spec checks its own fields in ``__post_init__`` and raises a
``ValueError`` whose message can be read aloud to a class. ``key()`` is a
stable hash of the fields: the same settings give the same key on every
machine and every run, so it doubles as a cache key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import pandas as pd

DATA_SOURCES = ("sample", "csv", "ticker")
TARGETS = ("Open", "High", "Low", "Close", "Adj Close")
CELLS = ("SimpleRNN", "LSTM", "GRU")
OPTIMIZERS = ("rmsprop", "adam", "sgd")

_YEAR = re.compile(r"^\d{4}$")


def _parse_date(value: str | None, what: str, *, end_of_year: bool = False) -> str | None:
    """Normalise '2016' or '2016-03-01' (or any date pandas reads) to ISO 'YYYY-MM-DD'.

    A bare year means its first day, or its last day when ``end_of_year``:
    'train until 2020' includes 31 December 2020, as in the DataCamp tutorial.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if _YEAR.match(text):
        return f"{text}-12-31" if end_of_year else f"{text}-01-01"
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise ValueError(
            f"{what} '{text}' is not a date. Use a year like 2020 or a date like 2020-12-31."
        ) from None
    if pd.isna(stamp):
        raise ValueError(f"{what} is empty; give a year like 2020 or a date like 2020-12-31.")
    return stamp.strftime("%Y-%m-%d")


class _Spec:
    """Shared behaviour: a stable key and plain-dict round trips."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def key(self) -> str:
        """A stable 16-hex-digit hash of every field (the cache key)."""
        payload = json.dumps(
            {"type": type(self).__name__, **self.to_dict()}, sort_keys=True, default=str
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, values: dict[str, Any]):
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown {cls.__name__} setting(s): {', '.join(unknown)}.")
        return cls(**values)

    def replace(self, **changes: Any):
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class DataSpec(_Spec):
    """Where the prices come from.

    ``source`` is 'sample' (a bundled offline history, ``name`` is its id),
    'csv' (``name`` is a file path) or 'ticker' (``name`` is a Yahoo Finance
    symbol). ``start``/``end`` optionally keep only that date range.
    """

    source: str = "sample"
    name: str = "msft"
    start: str | None = None
    end: str | None = None

    def __post_init__(self) -> None:
        if self.source not in DATA_SOURCES:
            raise ValueError(
                f"Data source '{self.source}' is not one of: {', '.join(DATA_SOURCES)}."
            )
        name = str(self.name).strip()
        if not name:
            what = {"sample": "a sample", "csv": "a CSV file", "ticker": "a ticker symbol"}
            raise ValueError(f"Choose {what[self.source]} to load prices from.")
        if self.source == "ticker":
            name = name.upper()
        object.__setattr__(self, "name", name)
        start = _parse_date(self.start, "The data start")
        end = _parse_date(self.end, "The data end", end_of_year=True)
        if start and end and start > end:
            raise ValueError(f"The data start ({start}) is after its end ({end}).")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def describe(self) -> str:
        label = {"sample": "sample", "csv": "CSV", "ticker": "ticker"}[self.source]
        span = ""
        if self.start or self.end:
            span = f" {self.start or '…'} to {self.end or '…'}"
        return f"{label} {self.name}{span}"


@dataclass(frozen=True)
class SplitSpec(_Spec):
    """Which column is predicted, how history is split, and the window length.

    Split by dates (``train_end`` given, as in the DataCamp tutorial: train
    2016–2020, test 2021 and beyond) or by fraction (``train_fraction``, the
    first 80 % of days train, the rest test, as in the other tutorials).
    Test days are those after ``train_end`` up to ``test_end`` (or the last
    day). ``window`` is how many past days each prediction sees.
    """

    target: str = "Close"
    window: int = 60
    train_start: str | None = None
    train_end: str | None = None
    test_end: str | None = None
    train_fraction: float | None = 0.8

    MODES: ClassVar[tuple[str, str]] = ("dates", "fraction")

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(
                f"The target column '{self.target}' is not one of: {', '.join(TARGETS)}."
            )
        window = _whole_number(self.window, "The window")
        if window < 2:
            raise ValueError("The window must be at least 2 days: the model needs a past to read.")
        object.__setattr__(self, "window", window)
        train_start = _parse_date(self.train_start, "The training start")
        train_end = _parse_date(self.train_end, "The training end", end_of_year=True)
        test_end = _parse_date(self.test_end, "The test end", end_of_year=True)
        if train_start and train_end and train_start > train_end:
            raise ValueError(
                f"Training starts ({train_start}) after it ends ({train_end}); swap the two dates."
            )
        if train_end and test_end and test_end <= train_end:
            raise ValueError(
                f"The test period ends ({test_end}) before training ends ({train_end}),"
                " so there would be no test days."
            )
        object.__setattr__(self, "train_start", train_start)
        object.__setattr__(self, "train_end", train_end)
        object.__setattr__(self, "test_end", test_end)
        fraction = self.train_fraction
        if train_end is not None:
            fraction = None  # a date split ignores the fraction
        elif fraction is None:
            raise ValueError(
                "Choose how to split: a last training date (like 2020) or a training fraction."
            )
        else:
            fraction = float(fraction)
            if not 0.05 <= fraction <= 0.95:
                raise ValueError(
                    f"The training fraction {fraction:g} must be between 0.05 and 0.95"
                    " so that both training and test days remain."
                )
        object.__setattr__(self, "train_fraction", fraction)

    @property
    def mode(self) -> str:
        return "dates" if self.train_end else "fraction"

    def describe(self) -> str:
        if self.mode == "dates":
            start = self.train_start or "the first day"
            return f"train {start} to {self.train_end}, test after it; window {self.window}"
        return f"first {self.train_fraction:.0%} train, rest test; window {self.window}"


@dataclass(frozen=True)
class ModelSpec(_Spec):
    """The network: stacked recurrent layers, optional dropout, a dense head.

    ``units`` has one entry per recurrent layer, e.g. ``(125,)`` for the
    DataCamp LSTM or ``(20, 20, 20)`` for the Netflix SimpleRNN. ``dense``
    lists hidden Dense layer sizes before the single-output layer.
    """

    cell: str = "LSTM"
    units: tuple[int, ...] = (50,)
    dropout: float = 0.0
    bidirectional: bool = False
    dense: tuple[int, ...] = ()
    activation: str = "tanh"

    def __post_init__(self) -> None:
        cell = {c.lower(): c for c in CELLS}.get(str(self.cell).strip().lower())
        if cell is None:
            raise ValueError(f"The architecture '{self.cell}' is not one of: {', '.join(CELLS)}.")
        object.__setattr__(self, "cell", cell)
        units = _sizes(self.units, "units per recurrent layer")
        if not units:
            raise ValueError("The model needs at least one recurrent layer.")
        if len(units) > 8:
            raise ValueError(f"{len(units)} recurrent layers is too many; use at most 8.")
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "dense", _sizes(self.dense, "Dense layer sizes"))
        dropout = float(self.dropout)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"Dropout {dropout:g} must be at least 0 and below 1.")
        object.__setattr__(self, "dropout", dropout)
        object.__setattr__(self, "bidirectional", bool(self.bidirectional))
        if self.activation not in ("tanh", "relu", "sigmoid", "linear"):
            raise ValueError(
                f"The activation '{self.activation}' is not one of: tanh, relu, sigmoid, linear."
            )

    def describe(self) -> str:
        layers = " + ".join(
            f"{'Bidirectional ' if self.bidirectional else ''}{self.cell}({u})" for u in self.units
        )
        if self.dropout:
            layers += f" with dropout {self.dropout:g}"
        for size in self.dense:
            layers += f" + Dense({size})"
        return layers + " + Dense(1)"


@dataclass(frozen=True)
class TrainSpec(_Spec):
    """How the network is fitted.

    ``learning_rate`` None means the optimizer's Keras default. With
    ``validation_fraction`` > 0 the last part of the training windows is
    held out for validation loss; ``patience`` then enables early stopping
    on it (best weights restored).
    """

    optimizer: str = "adam"
    learning_rate: float | None = None
    epochs: int = 20
    batch_size: int = 32
    seed: int = 42
    validation_fraction: float = 0.0
    patience: int | None = None

    def __post_init__(self) -> None:
        optimizer = str(self.optimizer).strip().lower()
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"The optimizer '{self.optimizer}' is not one of: RMSprop, Adam, SGD.")
        object.__setattr__(self, "optimizer", optimizer)
        if self.learning_rate is not None:
            rate = float(self.learning_rate)
            if not 0.0 < rate <= 1.0:
                raise ValueError(f"The learning rate {rate:g} must be above 0 and at most 1.")
            object.__setattr__(self, "learning_rate", rate)
        epochs = _whole_number(self.epochs, "The number of epochs")
        if not 1 <= epochs <= 1000:
            raise ValueError(f"The number of epochs ({epochs}) must be between 1 and 1000.")
        object.__setattr__(self, "epochs", epochs)
        batch = _whole_number(self.batch_size, "The batch size")
        if not 1 <= batch <= 4096:
            raise ValueError(f"The batch size ({batch}) must be between 1 and 4096.")
        object.__setattr__(self, "batch_size", batch)
        object.__setattr__(self, "seed", _whole_number(self.seed, "The seed"))
        validation = float(self.validation_fraction)
        if not 0.0 <= validation <= 0.5:
            raise ValueError(f"The validation fraction {validation:g} must be between 0 and 0.5.")
        object.__setattr__(self, "validation_fraction", validation)
        if self.patience is not None:
            patience = _whole_number(self.patience, "The early-stopping patience")
            if patience < 1:
                raise ValueError("The early-stopping patience must be at least 1 epoch.")
            if validation == 0.0:
                raise ValueError(
                    "Early stopping watches the validation loss: set a validation fraction"
                    " above 0 (for example 0.1) or turn early stopping off."
                )
            object.__setattr__(self, "patience", patience)

    def describe(self) -> str:
        names = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD"}
        rate = f" lr {self.learning_rate:g}" if self.learning_rate else ""
        text = (
            f"{names[self.optimizer]}{rate}, {self.epochs} epochs, batch {self.batch_size},"
            f" seed {self.seed}"
        )
        if self.patience:
            text += f", early stop after {self.patience} on {self.validation_fraction:.0%} held out"
        return text


@dataclass(frozen=True)
class ExperimentSpec(_Spec):
    """Everything one run needs: data, split, model and training."""

    data: DataSpec = field(default_factory=DataSpec)
    split: SplitSpec = field(default_factory=SplitSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    train: TrainSpec = field(default_factory=TrainSpec)

    def __post_init__(self) -> None:
        for name, kind in (
            ("data", DataSpec),
            ("split", SplitSpec),
            ("model", ModelSpec),
            ("train", TrainSpec),
        ):
            value = getattr(self, name)
            if isinstance(value, dict):
                object.__setattr__(self, name, kind.from_dict(value))
            elif not isinstance(value, kind):
                raise ValueError(f"ExperimentSpec.{name} must be a {kind.__name__}.")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ExperimentSpec:
        return super().from_dict(values)

    def describe(self) -> str:
        return "; ".join(
            (
                self.data.describe(),
                self.split.describe(),
                self.model.describe(),
                self.train.describe(),
            )
        )


def _whole_number(value: Any, what: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a whole number, not '{value}'.") from None
    if not number.is_integer():
        raise ValueError(f"{what} must be a whole number, not {value}.")
    return int(number)


def _sizes(value: Any, what: str) -> tuple[int, ...]:
    """Layer sizes from a tuple/list or a text like '50, 50'."""
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
    elif isinstance(value, int):
        parts = [value]
    else:
        parts = list(value)
    sizes = tuple(_whole_number(p, what.capitalize()) for p in parts)
    for size in sizes:
        if not 1 <= size <= 1024:
            raise ValueError(f"{what.capitalize()} must be between 1 and 1024, not {size}.")
    return sizes
