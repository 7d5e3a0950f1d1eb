"""Every setting a user can choose, declared once: type, default, bounds, label and help.

The specs validate with these declarations, the web app draws its widgets
from them (default, minimum, maximum, step, label, help), a shared link is
read with them and the command line's flags are typed by them. No other file
states a bound or a default. Modelled on scikit-learn's
``_parameter_constraints``: a declaration says what is allowed, and
``check`` turns any value into the setting's type or raises a ``ValueError``
that a teacher can read aloud.

Why the bounds are where they are:

- ``units`` (each recurrent layer) 1-512, at most 4 layers; ``dense`` 1-512
  each, at most 4; ``batch_size`` 1-1024; ``window`` 2-500: the largest model
  the form allows was 8 x LSTM(1024) with batch 4096, which passed 6 GB on a
  class's shared server.
- ``train_fraction`` 0.5-0.95: below half the days, the test period is longer
  than the training one, which no tutorial does and which leaves the scaler
  little to learn from.
- ``dropout`` 0-0.8: above that a layer keeps too little of its input to learn.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TARGETS = ("Open", "High", "Low", "Close", "Adj Close")
CELLS = ("SimpleRNN", "LSTM", "GRU")
OPTIMIZERS = ("rmsprop", "adam", "sgd")
OPTIMIZER_NAMES = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD"}
# Keras' own default learning rate per optimizer: what "no learning rate given" means.
KERAS_LEARNING_RATES = {"rmsprop": 0.001, "adam": 0.001, "sgd": 0.01}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
# What the model sees and predicts: the prices, as every tutorial does, or each day's
# change from the day before (in price or as a log return), added back to the last real
# price so it is scored in prices beside "tomorrow = today" (a change of 0).
LEARN_FROM = ("price", "change", "log_return")
LEARN_FROM_NAMES = {"price": "Prices", "change": "Daily changes", "log_return": "Log returns"}
SPLIT_MODES = ("fraction", "dates")
# The data split's settings, as the pages draw them: what Data, Train and Compare share
# (rnnstock.web.state) and the run card's first group (rnnstock.runcard).
SPLIT_SETTINGS = (
    "target",
    "learn_from",
    "window",
    "split_mode",
    "train_fraction",
    "train_start",
    "train_end",
)
SPLIT_MODE_NAMES = {"fraction": "By share", "dates": "By date"}
DATA_SOURCES = ("sample", "csv", "ticker")
FIRST_DAY = datetime.date(1900, 1, 1)  # dates outside these are typos, not history
LAST_DAY = datetime.date(2100, 12, 31)
MAX_LAYERS = 4
# One training's memory beyond TensorFlow's own, as rnnstock.sizes estimates it: a class
# shares a server (2 trainings at once on 2 cores, with the server and its browsers).
# bench/model_memory.py measures the estimate against real trainings.
MEMORY_BUDGET_MB = 1500
# Fewer test days than this cannot be scored: R² needs two, and a handful of days
# says nothing about a model.
MIN_TEST_DAYS = 10
# The tutorials' mistakes the Mistakes page measures (rnnstock.mistakes says what each is).
MISTAKES = ("scaler-leak", "rmse-formula", "window-builder", "test-validation", "one-run-verdict")

_YEAR = re.compile(r"^\d{4}$")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Setting:
    """One setting: what it is called, what it holds and what is allowed."""

    name: str  # the spec field (and the base of its widget key)
    kind: str  # "int", "float", "bool", "choice", "choices", "sizes", "date", "text"
    default: Any
    label: str
    what: str  # how a message names it: "The window"
    help: str = ""
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    max_items: int | None = None  # for sizes and choices
    min_items: int = 0
    param: str | None = None  # its name in a shared link, if links carry it
    optional: bool = False  # None allowed (means "not set": the spec decides)
    suggested: Any = None  # what a widget proposes when the setting is off or None

    @property
    def range_text(self) -> str:
        return f"{_plain(self.low)} to {_plain(self.high)}"

    @property
    def widget_default(self) -> Any:
        """What a widget shows before the user touches it: the value it proposes (0.1 held
        out once early stopping is on), else the default."""
        return self.suggested if self.suggested is not None else self.default

    def check(self, value: Any) -> Any:
        """``value`` as this setting's type, or a ValueError that says what is allowed."""
        if value is None or (isinstance(value, str) and not value.strip() and self.optional):
            if self.optional:
                return None
            raise ValueError(f"{self.what} is missing; {self._allowed()}.")
        checker = getattr(self, f"_check_{self.kind}")
        return checker(value)

    def _allowed(self) -> str:
        if self.kind in ("int", "float"):
            whole = "a whole number" if self.kind == "int" else "a number"
            return f"give {whole} from {self.range_text}"
        if self.kind in ("choice", "choices"):
            return f"choose from {', '.join(self.choices)}"
        if self.kind == "sizes":
            return f"give up to {self.max_items} sizes from {self.range_text}, like 50 or 50, 25"
        if self.kind == "date":
            years = f"{FIRST_DAY.year} to {LAST_DAY.year}"
            return f"give a year like 2020 or a date like 2020-12-31, from {years}"
        return "give a value"

    def _in_range(self, number: float, shown: str) -> None:
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise ValueError(f"{self.what} must be from {self.range_text}, not {shown}.")

    def _check_int(self, value: Any) -> int:
        number = _number(value, self.what, whole=True)
        self._in_range(number, f"{int(number):,}" if abs(number) < 1e15 else f"{number:g}")
        return int(number)

    def _check_float(self, value: Any) -> float:
        number = _number(value, self.what, whole=False)
        self._in_range(number, f"{number:g}")
        return float(number)

    def _check_bool(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"{self.what} must be on or off (true or false), not '{value}'.")

    def _check_choice(self, value: Any) -> str:
        by_lower = {choice.lower(): choice for choice in self.choices}
        found = by_lower.get(str(value).strip().lower())
        if found is None:
            raise ValueError(f"{self.what} '{value}' is not one of: {', '.join(self.choices)}.")
        return found

    def _check_choices(self, value: Any) -> tuple[str, ...]:
        parts = _parts(value)
        chosen = tuple(dict.fromkeys(self._check_choice(part) for part in parts))
        if len(chosen) < self.min_items:
            raise ValueError(f"{self.what}: pick at least {self.min_items}.")
        if self.max_items is not None and len(chosen) > self.max_items:
            raise ValueError(f"{self.what}: pick at most {self.max_items}.")
        return chosen

    def _check_sizes(self, value: Any) -> tuple[int, ...]:
        sizes = []
        for part in _parts(value):
            number = _number(part, self.what, whole=True)
            self._in_range(number, f"{int(number):,}")
            sizes.append(int(number))
        if len(sizes) < self.min_items:
            raise ValueError(f"{self.what}: give at least {self.min_items}, like 50 or 50, 25.")
        if self.max_items is not None and len(sizes) > self.max_items:
            raise ValueError(
                f"{self.what}: {len(sizes)} layers is too many; use at most {self.max_items}."
            )
        return tuple(sizes)

    def _check_date(self, value: Any) -> str:
        return parse_date(value, self.what)

    def _check_text(self, value: Any) -> str:
        return str(value).strip()


def parse_date(value: Any, what: str, *, end_of_year: bool = False) -> str:
    """'2016', '2016-03-01' or a date to ISO 'YYYY-MM-DD', between FIRST_DAY and LAST_DAY.

    A bare year means its first day, or its last day when ``end_of_year``:
    'train until 2020' includes 31 December 2020, as in the DataCamp tutorial.
    """
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        text = str(value).strip()
        if _YEAR.match(text):
            if not FIRST_DAY.year <= int(text) <= LAST_DAY.year:
                raise ValueError(
                    f"{what} {text} is outside {FIRST_DAY.year}-{LAST_DAY.year}; check the year."
                )
            text = f"{text}-12-31" if end_of_year else f"{text}-01-01"
        try:
            day = datetime.date.fromisoformat(text[:10]) if len(text) >= 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(
                f"{what} '{_shorten(text)}' is not a date. Use a year like 2020 or a date"
                " like 2020-12-31."
            )
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            f"{what} {day.isoformat()} is outside {FIRST_DAY.year}-{LAST_DAY.year}; check the year."
        )
    return day.isoformat()


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parts(value: Any) -> list:
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value.strip()) if part]
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def _number(value: Any, what: str, *, whole: bool) -> float:
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool):
        raise ValueError(f"{what} must be {kind}, not {value}.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be {kind}, not '{_shorten(str(value))}'.") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be {kind}, not {value}.")
    if whole and not number.is_integer():
        raise ValueError(f"{what} must be {kind}, not {value}.")
    return number


def _plain(number: float | None) -> str:
    if number is None:
        return "…"
    if float(number).is_integer():
        return f"{int(number):,}"
    return f"{number:g}"


def _declare(*settings: Setting) -> dict[str, Setting]:
    return {setting.name: setting for setting in settings}


SETTINGS: dict[str, Setting] = _declare(
    # -- data and split ---------------------------------------------------------------
    Setting(
        "target",
        "choice",
        "Close",
        "Predict",
        "The target column",
        choices=TARGETS,
        param="target",
        help="The price column the model learns to predict.",
    ),
    Setting(
        "learn_from",
        "choice",
        "price",
        "Learn from",
        "What the model learns from",
        choices=LEARN_FROM,
        param="learn",
        help="Prices: each window holds prices and the model predicts the next price, as"
        " the tutorials do. Daily changes or log returns: the window holds each day's change"
        " from the day before and the model predicts the next change, which is added to the"
        ' last real price; it is scored in prices, beside "tomorrow = today" (a change of 0).'
        " A model that never sees the price level cannot just copy it.",
    ),
    Setting(
        "window",
        "int",
        60,
        "Window (days of history per prediction)",
        "The window",
        low=2,
        high=500,
        step=1,
        param="window",
        help="How many past days each prediction reads.",
    ),
    Setting(
        "split_mode",
        "choice",
        "fraction",
        "Split",
        "The split",
        choices=SPLIT_MODES,
        param="split",
    ),
    Setting(
        "train_fraction",
        "float",
        0.8,
        "Share of days used for training",
        "The training share",
        low=0.5,
        high=0.95,
        step=0.01,
        param="train",
    ),
    Setting(
        "train_start",
        "date",
        None,
        "Train from",
        "The training start",
        optional=True,
        param="from",
    ),
    Setting(
        "train_end",
        "date",
        None,
        "Train until (test after it)",
        "The training end",
        optional=True,
        param="until",
    ),
    Setting("test_end", "date", None, "Test until", "The test end", optional=True),
    # -- the network -----------------------------------------------------------------------
    Setting(
        "cell",
        "choice",
        "LSTM",
        "Architecture",
        "The architecture",
        choices=CELLS,
        param="cell",
    ),
    Setting(
        "cells",
        "choices",
        ("LSTM", "GRU"),
        "Architectures",
        "The architectures to compare",
        choices=CELLS,
        min_items=2,
        max_items=len(CELLS),
        param="cells",
    ),
    Setting(
        "units",
        "sizes",
        (50,),
        "Units per recurrent layer",
        "Units per recurrent layer",
        low=1,
        high=512,
        min_items=1,
        max_items=MAX_LAYERS,
        param="units",
        help="Units of each recurrent layer: '125' is one layer, '50, 50' stacks two.",
    ),
    Setting(
        "dense",
        "sizes",
        (),
        "Dense layers",
        "Dense layer sizes",
        low=1,
        high=512,
        max_items=MAX_LAYERS,
        param="dense",
        help="Dense layers between the recurrent ones and the output, e.g. '25'; empty for none.",
    ),
    Setting(
        "dropout",
        "float",
        0.0,
        "Dropout",
        "Dropout",
        low=0.0,
        high=0.8,
        step=0.05,
        param="dropout",
        help="Share of units dropped after each recurrent layer while training.",
    ),
    Setting(
        "bidirectional",
        "bool",
        False,
        "Bidirectional",
        "Bidirectional",
        param="bidi",
        help="Each recurrent layer also reads the window backwards.",
    ),
    Setting(
        "activation",
        "choice",
        "tanh",
        "Activation",
        "The activation",
        choices=ACTIVATIONS,
    ),
    # -- training ---------------------------------------------------------------------------
    Setting(
        "optimizer",
        "choice",
        "adam",
        "Optimizer",
        "The optimizer",
        choices=OPTIMIZERS,
        param="opt",
    ),
    Setting(
        "learning_rate",
        "float",
        None,
        "Learning rate",
        "The learning rate",
        low=1e-5,
        high=1.0,
        optional=True,
        suggested=KERAS_LEARNING_RATES["adam"],
        param="lr",
        help="Keras' default for the optimizer until you change it.",
    ),
    Setting(
        "epochs",
        "int",
        20,
        "Epochs",
        "The number of epochs",
        low=1,
        high=1000,
        step=1,
        param="epochs",
    ),
    Setting(
        "batch_size",
        "int",
        32,
        "Batch size",
        "The batch size",
        low=1,
        high=1024,
        step=1,
        param="batch",
    ),
    Setting(
        "seed",
        "int",
        42,
        "Seed",
        "The seed",
        low=0,
        high=2**31 - 1,
        step=1,
        param="seed",
        help="The same seed, data and settings give the same model.",
    ),
    Setting(
        "early_stopping",
        "bool",
        False,
        "Early stopping",
        "Early stopping",
        param="es",
        help="Hold out the end of the training period and stop when its loss stops"
        " improving; the best epoch's weights are kept.",
    ),
    Setting(
        "validation_fraction",
        "float",
        0.0,
        "Held out for validation (early stopping)",
        "The validation share",
        low=0.0,
        high=0.5,
        step=0.05,
        suggested=0.1,
        param="val",
    ),
    Setting(
        "patience",
        "int",
        None,
        "Patience in epochs (early stopping)",
        "The early-stopping patience",
        low=1,
        high=100,
        step=1,
        optional=True,
        suggested=5,
        param="patience",
    ),
    Setting(
        "repeats",
        "int",
        1,
        "Repeat each model over seeds",
        "The number of seeds",
        low=1,
        high=5,
        step=1,
        param="repeats",
        help="Seeds run from the seed above upwards. With 3 or more, the page shows the"
        " spread of each model's RMSE, so you can see whether a difference is noise.",
    ),
    Setting(
        "forecast_days",
        "int",
        10,
        "Business days to forecast",
        "The forecast length",
        low=1,
        high=60,
        step=1,
    ),
    # -- the Mistakes page -------------------------------------------------------------------
    Setting(
        "mistakes",
        "choices",
        MISTAKES,
        "Mistakes to measure",
        "The mistakes to measure",
        choices=MISTAKES,
        min_items=1,
        help="Each is trained the tutorial's way and the right way on the same data.",
    ),
    Setting(
        "mistake_epochs",
        "int",
        None,
        "Epochs (empty: each tutorial's own)",
        "The number of epochs",
        low=1,
        high=100,
        step=1,
        optional=True,
        help="Unset, each tutorial's own: 1 epoch (seed 003), 80 (seed 001), 50 (seed 000)."
        " Fewer finish sooner and measure less trained models.",
    ),
    Setting(
        "mistake_seeds",
        "int",
        5,
        "Seeds for LSTM vs GRU",
        "The number of seeds",
        low=2,
        high=10,
        step=1,
        help="The DataCamp comparison is repeated from seed 455 upwards: 2 trainings a seed.",
    ),
)


# A setting whose proposed value depends on another: (that setting, value -> proposal).
SUGGESTED_BY = {"learning_rate": ("optimizer", KERAS_LEARNING_RATES)}


def setting(name: str) -> Setting:
    return SETTINGS[name]


def default(name: str) -> Any:
    return SETTINGS[name].default


def check(name: str, value: Any) -> Any:
    return SETTINGS[name].check(value)


def learning_rate_for(optimizer: str) -> float:
    """The rate a form proposes for an optimizer: Keras' own default."""
    return KERAS_LEARNING_RATES[check("optimizer", optimizer)]
