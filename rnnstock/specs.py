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
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from rnnstock.settings import (
    ACTIVATIONS,
    CELLS,
    DATA_SOURCES,
    LEARN_FROM_NAMES,
    MEMORY_BUDGET_MB,
    OPTIMIZER_NAMES,
    OPTIMIZERS,
    SPLIT_MODES,
    TARGETS,
    check,
    default,
    parse_date,
)
from rnnstock.sizes import training_memory_mb

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "DATA_SOURCES",
    "OPTIMIZERS",
    "TARGETS",
    "DataSpec",
    "ExperimentSpec",
    "ModelSpec",
    "SplitSpec",
    "TrainSpec",
]


def _parse_date(value: Any, what: str, *, end_of_year: bool = False) -> str | None:
    """An optional date as ISO text (see ``rnnstock.settings.parse_date``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_date(value, what, end_of_year=end_of_year)


def _set(spec: Any, name: str, value: Any) -> None:
    object.__setattr__(spec, name, value)


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

    target: str = default("target")
    window: int = default("window")
    learn_from: str = default("learn_from")
    train_start: str | None = None
    train_end: str | None = None
    test_end: str | None = None
    train_fraction: float | None = default("train_fraction")

    MODES: ClassVar[tuple[str, ...]] = SPLIT_MODES

    def __post_init__(self) -> None:
        _set(self, "target", check("target", self.target))
        _set(self, "window", check("window", self.window))
        _set(self, "learn_from", check("learn_from", self.learn_from))
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
        _set(self, "train_start", train_start)
        _set(self, "train_end", train_end)
        _set(self, "test_end", test_end)
        fraction = self.train_fraction
        if train_end is not None:
            fraction = None  # a date split ignores the fraction
        elif fraction is None:
            raise ValueError(
                "Choose how to split: a last training date (like 2020) or a training fraction."
            )
        else:
            fraction = check("train_fraction", fraction)
        _set(self, "train_fraction", fraction)

    @property
    def mode(self) -> str:
        return "dates" if self.train_end else "fraction"

    def describe(self) -> str:
        learns = "" if self.learn_from == "price" else f"; {LEARN_FROM_NAMES[self.learn_from]}"
        if self.mode == "dates":
            start = self.train_start or "the first day"
            return f"train {start} to {self.train_end}, test after it; window {self.window}{learns}"
        return f"first {self.train_fraction:.0%} train, rest test; window {self.window}{learns}"


@dataclass(frozen=True)
class ModelSpec(_Spec):
    """The network: stacked recurrent layers, optional dropout, a dense head.

    ``units`` has one entry per recurrent layer, e.g. ``(125,)`` for the
    DataCamp LSTM or ``(20, 20, 20)`` for the Netflix SimpleRNN. ``dense``
    lists hidden Dense layer sizes before the single-output layer.
    """

    cell: str = default("cell")
    units: tuple[int, ...] = default("units")
    dropout: float = default("dropout")
    bidirectional: bool = default("bidirectional")
    dense: tuple[int, ...] = default("dense")
    activation: str = default("activation")

    def __post_init__(self) -> None:
        for name in ("cell", "units", "dense", "dropout", "bidirectional", "activation"):
            _set(self, name, check(name, getattr(self, name)))

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

    optimizer: str = default("optimizer")
    learning_rate: float | None = default("learning_rate")
    epochs: int = default("epochs")
    batch_size: int = default("batch_size")
    seed: int = default("seed")
    validation_fraction: float = default("validation_fraction")
    patience: int | None = default("patience")

    def __post_init__(self) -> None:
        for name in ("optimizer", "learning_rate", "epochs", "batch_size", "seed"):
            _set(self, name, check(name, getattr(self, name)))
        validation = check("validation_fraction", self.validation_fraction)
        _set(self, "validation_fraction", validation)
        patience = check("patience", self.patience)
        if patience is not None and validation == 0.0:
            raise ValueError(
                "Early stopping watches the validation loss: set a validation fraction"
                " above 0 (for example 0.1) or turn early stopping off."
            )
        _set(self, "patience", patience)

    def describe(self) -> str:
        rate = f" lr {self.learning_rate:g}" if self.learning_rate else ""
        text = (
            f"{OPTIMIZER_NAMES[self.optimizer]}{rate}, {self.epochs} epochs,"
            f" batch {self.batch_size},"
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
        needed = training_memory_mb(self.model, self.split.window, self.train.batch_size)
        if needed > MEMORY_BUDGET_MB:
            raise ValueError(
                f"Training {self.model.describe()} on windows of {self.split.window} days in"
                f" batches of {self.train.batch_size} would need about {needed / 1024:,.1f} GB,"
                f" more than the {MEMORY_BUDGET_MB / 1024:.1f} GB one training may use on a"
                " shared server. Use fewer units or layers, a shorter window or a smaller batch."
            )

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
