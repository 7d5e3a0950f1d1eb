"""Settings a class can trust: walking the pages as people do never changes a setting.

A seeded random walk (AppTest) goes through every page: page switches, the
Data page's tabs, settings edited, presets applied, tiny trainings started and
finished. After every step each visible setting must show what the user last
set (on that page, or anywhere for a shared setting) or its default where nobody
touched it, and a training must use exactly the settings shown. The cases a
teacher met are named tests of their own.
"""

from __future__ import annotations

import datetime
import random

import pytest
from streamlit.testing.v1 import AppTest

from rnnstock.presets import PRESETS, get_preset
from rnnstock.settings import SETTINGS, learning_rate_for
from rnnstock.web import state
from rnnstock.web.learn import FOLLOWED
from rnnstock.web.pages import COMPARE, DATA, FORECAST, LEARN, PAGES, TRAIN
from tests.conftest import REPO

SPLIT_TAB, PRICE_TAB = "Train / test split", "Price history"
# Written out here, not taken from the app: one value of these for Data, Train and
# Compare; every other setting belongs to its page (Learn keeps copies of its own).
SHARED = {
    "target",
    "learn_from",
    "window",
    "split_mode",
    "train_fraction",
    "train_start",
    "train_end",
}
KERAS_RATES = {"adam": 0.001, "rmsprop": 0.001, "sgd": 0.01}  # Keras' own defaults
WIDGETS = ("number_input", "slider", "selectbox", "text_input", "checkbox", "multiselect")
WIDGETS += ("radio", "date_input")
MSFT_TARGETS = ("Open", "High", "Low", "Close")  # the default sample has no Adj Close
WALK_STEPS = 50  # about 1 s a step; seed 7 has visited every page by step 42 and trained at 44


def store_key(name: str, page: str) -> str:
    return name if name in SHARED and page != LEARN.url else f"{page}.{name}"


def open_app() -> AppTest:
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()


def shown_settings(app: AppTest, page: str) -> dict[str, object]:
    """Every settings widget on screen: setting name -> the value it shows."""
    shown = {}
    for kind in WIDGETS:
        for element in getattr(app, kind):
            key = element.key or ""
            prefix, _, name = key.partition(".")
            if prefix == page and name in SETTINGS:
                shown[name] = element.value
    return shown


def widget(app: AppTest, key: str):
    for kind in WIDGETS:
        for element in getattr(app, kind):
            if element.key == key:
                return element
    raise KeyError(key)


class Walker:
    """The app, and what a person who made these clicks expects each setting to show."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.app = open_app()
        self.page = DATA.url
        self.set: dict[str, object] = {}  # store key -> value, as the user set it
        self.learn_follows: dict | None = None
        self.trainings = 0
        self.log: list[str] = []

    # -- what a person expects ------------------------------------------------------------

    def expected(self, name: str, page: str) -> object:
        key = store_key(name, page)
        if key in self.set:
            return self.set[key]
        if name == "learning_rate":  # follows the optimizer until someone sets it
            return KERAS_RATES[self.expected("optimizer", page)]
        return state.as_shown(SETTINGS[name], None)

    def follow_on_learn(self) -> None:
        """The Learn page copies the Train page's model whenever that changed."""
        followed = {name: self.expected(name, TRAIN.url) for name in FOLLOWED}
        if followed != self.learn_follows:
            self.learn_follows = followed
            for name, value in followed.items():
                self.set[store_key(name, LEARN.url)] = value

    def check(self) -> None:
        app = self.app
        assert not app.exception, (self.log[-3:], app.exception)
        shown = shown_settings(app, self.page)
        for name, value in shown.items():
            if name in ("train_start", "train_end") and store_key(name, self.page) not in (
                self.set
            ):
                continue  # the data's own dates until someone picks them
            want = self.expected(name, self.page)
            if name == "target" and want not in MSFT_TARGETS:
                continue  # not in this data: the page says so and keeps the choice
            if isinstance(want, float) or isinstance(value, float):
                assert value == pytest.approx(want), (name, self.page, self.log[-5:])
            else:
                assert value == want, (name, value, want, self.page, self.log[-5:])

    # -- what a person does --------------------------------------------------------------

    def go(self, page) -> None:
        self.log.append(f"go {page.url}")
        self.page = page.url
        if page is LEARN:
            self.follow_on_learn()
        self.app.switch_page(page.path).run()

    def open_tab(self, label: str) -> None:
        self.log.append(f"tab {label}")
        self.app.session_state[state.DATA_TAB] = label
        self.app.run()

    def edit(self, name: str, value: object) -> None:
        key = state.widget_key(name, self.page)
        self.log.append(f"set {key}={value!r}")
        widget(self.app, key).set_value(value).run()
        self.set[store_key(name, self.page)] = state.as_shown(SETTINGS[name], value)

    def random_value(self, name: str):
        r, setting = self.random, SETTINGS[name]
        if name == "window":
            return r.randint(2, 120)
        if name == "learning_rate":
            return r.choice([0.0001, 0.001, 0.01, 0.05])
        if name == "target":
            return r.choice(MSFT_TARGETS)
        if setting.kind == "int":
            return r.randint(int(setting.low), int(min(setting.high, setting.low + 60)))
        if setting.kind == "float":
            steps = round((setting.high - setting.low) / setting.step)
            return round(setting.low + r.randint(0, steps) * setting.step, 4)
        if setting.kind == "choice":
            return r.choice(setting.choices)
        if setting.kind == "choices":
            return r.sample(list(setting.choices), r.randint(2, len(setting.choices)))
        if setting.kind == "sizes":
            return r.choice(["8", "16, 8", "32", ""] if name == "dense" else ["8", "16, 8", "32"])
        if setting.kind == "bool":
            return not self.expected(name, self.page)
        if setting.kind == "date":
            if name == "train_start":
                return datetime.date(r.randint(1987, 1999), r.randint(1, 12), 1)
            return datetime.date(r.randint(2001, 2014), r.randint(1, 12), 28)
        raise AssertionError(name)

    def edit_something(self) -> None:
        names = sorted(shown_settings(self.app, self.page))
        if not names:
            return
        name = self.random.choice(names)
        self.edit(name, self.random_value(name))

    def apply_preset(self) -> None:
        preset_id = self.random.choice(["", *PRESETS])
        box = self.app.selectbox(key="train.preset")
        self.log.append(f"preset {preset_id or 'your own'}")
        changed = box.value != preset_id
        box.set_value(preset_id).run()
        if preset_id and changed:  # choosing the preset already chosen changes nothing
            self.expect_spec(get_preset(preset_id).spec, TRAIN.url)

    def datacamp(self) -> None:
        self.log.append("datacamp button")
        next(b for b in self.app.button if "DataCamp" in b.label).click().run()
        self.expect_spec(get_preset("datacamp-lstm").spec, COMPARE.url)
        self.set[store_key("cells", COMPARE.url)] = ["LSTM", "GRU"]
        self.set[store_key("repeats", COMPARE.url)] = 1

    def expect_spec(self, spec, page: str) -> None:
        split, model, train = spec.split, spec.model, spec.train
        values = {
            "target": split.target,
            "learn_from": split.learn_from,
            "window": split.window,
            "split_mode": split.mode,
            "units": model.units,
            "dense": model.dense,
            "dropout": model.dropout,
            "bidirectional": model.bidirectional,
            "optimizer": train.optimizer,
            "learning_rate": train.learning_rate or learning_rate_for(train.optimizer),
            "epochs": train.epochs,
            "batch_size": train.batch_size,
            "seed": train.seed,
        }
        if split.mode == "fraction":
            values["train_fraction"] = split.train_fraction
        else:
            values["train_end"] = split.train_end
            if split.train_start:
                values["train_start"] = split.train_start
            else:
                self.set.pop(store_key("train_start", page), None)
        if page == TRAIN.url:
            values.update(cell=model.cell, early_stopping=bool(train.patience))
            if train.patience:
                values.update(validation_fraction=train.validation_fraction)
                values.update(patience=train.patience)
        for name, value in values.items():
            self.set[store_key(name, page)] = state.as_shown(SETTINGS[name], value)

    def train_tiny(self) -> None:
        """A tiny model on a short split: the run must use exactly what is shown."""
        for name, value in (
            ("split_mode", "fraction"),
            ("train_fraction", 0.9),
            ("window", 10),
            ("cell", self.random.choice(["LSTM", "GRU", "SimpleRNN"])),
            ("units", "4"),
            ("dense", ""),
            ("epochs", 1),
            ("batch_size", 512),
            ("early_stopping", False),
        ):
            self.edit(name, value)
        shown = shown_settings(self.app, TRAIN.url)
        self.log.append("train")
        self.app.button(key="train.start").click().run()
        assert not self.app.exception and not self.app.error, self.app.error
        job = wait_for_train_job(self.app)
        spec = job.spec
        assert spec.split.window == shown["window"] and spec.split.target == shown["target"]
        assert spec.split.train_fraction == pytest.approx(shown["train_fraction"])
        assert spec.model.cell == shown["cell"] and spec.model.units == (4,)
        assert spec.train.epochs == shown["epochs"] and spec.train.seed == shown["seed"]
        assert spec.train.optimizer == shown["optimizer"]
        assert spec.train.learning_rate == pytest.approx(shown["learning_rate"])
        self.trainings += 1

    def step(self) -> None:
        r = self.random
        roll = r.random()
        if roll < 0.3:
            self.go(r.choice(PAGES))
        elif self.page == DATA.url and roll < 0.45:
            self.open_tab(r.choice([SPLIT_TAB, PRICE_TAB, SPLIT_TAB]))
        elif self.page == TRAIN.url and roll < 0.38:
            self.apply_preset()
        elif self.page == COMPARE.url and roll < 0.36:
            self.datacamp()
        elif self.page == TRAIN.url and roll < 0.42 and self.trainings < 2:
            self.train_tiny()
        else:
            self.edit_something()
        self.check()


def wait_for_train_job(app: AppTest):
    from rnnstock.web.runs import job_manager, owners

    owner = app.session_state[state.OWNER]
    [job_id] = owners().of(owner).shown[TRAIN.url]
    job = job_manager().wait(job_id, 240)
    app.run()
    app.run()
    return job


@pytest.mark.parametrize("seed", [7])
def test_a_random_walk_through_the_pages_keeps_every_setting(seed):
    walker = Walker(seed)
    walker.check()
    for _ in range(WALK_STEPS):
        walker.step()
    assert walker.trainings >= 1, walker.log  # the walk did start and finish a training
    visited = {line.split()[1] for line in walker.log if line.startswith("go ")}
    assert visited >= {page.url for page in PAGES}


def test_data_then_train_then_compare_keeps_the_split():
    """The blocker a teacher met: Compare showed Open / window 2 / share 0.50."""
    walker = Walker(0)
    walker.open_tab(SPLIT_TAB)
    walker.edit("target", "High")
    walker.edit("window", 30)
    walker.edit("train_fraction", 0.7)
    for page in (TRAIN, COMPARE, TRAIN, COMPARE, DATA):
        walker.go(page)
        walker.check()
    walker.open_tab(SPLIT_TAB)
    walker.check()
    assert shown_settings(walker.app, DATA.url)["window"] == 30
    walker.go(COMPARE)
    shown = shown_settings(walker.app, COMPARE.url)
    assert (shown["target"], shown["window"], shown["train_fraction"]) == ("High", 30, 0.7)
    assert "30" in walker.app.query_params["window"]  # and the link says so


def test_a_presets_dates_are_what_compare_shows_and_trains_on():
    walker = Walker(0)
    walker.go(TRAIN)
    walker.app.selectbox(key="train.preset").set_value("datacamp-lstm").run()
    walker.expect_spec(get_preset("datacamp-lstm").spec, TRAIN.url)
    walker.go(COMPARE)
    walker.check()
    assert widget(walker.app, "compare.train_end").value == datetime.date(2020, 12, 31)
    walker.go(TRAIN)
    walker.app.selectbox(key="train.preset").set_value("").run()  # back to "your own"
    walker.go(COMPARE)
    walker.check()
    assert widget(walker.app, "compare.window").value == 60


def test_learn_and_forecast_read_the_split_and_model_set_elsewhere():
    walker = Walker(1)
    walker.go(TRAIN)
    walker.edit("cell", "GRU")
    walker.edit("units", "16, 8")
    walker.edit("window", 45)
    walker.go(LEARN)
    walker.check()
    walker.edit("units", "64")  # a what-if on the Learn page stays there...
    walker.go(FORECAST)
    walker.go(LEARN)
    walker.check()
    assert shown_settings(walker.app, LEARN.url)["units"] == "64"
    walker.go(TRAIN)
    walker.check()
    assert shown_settings(walker.app, TRAIN.url)["units"] == "16, 8"  # ...and not here


def test_an_uploaded_csv_is_still_there_after_a_visit_to_a_sample():
    from tests.test_app import messy_csv

    walker = Walker(2)
    app = walker.app
    app.sidebar.radio(key=state.DATA_SOURCE).set_value("csv").run()
    app.sidebar.file_uploader(key=state.CSV_UPLOAD).upload("prices.csv", messy_csv(), "text/csv")
    app.run()
    assert "300 trading days" in app.sidebar.caption[-1].value
    app.sidebar.radio(key=state.DATA_SOURCE).set_value("sample").run()
    app.sidebar.radio(key=state.DATA_SOURCE).set_value("csv").run()
    assert not app.exception
    captions = " ".join(caption.value for caption in app.sidebar.caption)
    assert "Using prices.csv, uploaded earlier." in captions and "300 trading days" in captions
    # No link was opened, so nothing talks about one.
    assert not any("link you opened" in info.value for info in app.sidebar.info)


def test_the_candlesticks_toggle_stays_on_after_a_visit_elsewhere():
    walker = Walker(3)
    walker.app.toggle(key=f"{DATA.url}.candlestick").set_value(True).run()
    walker.go(TRAIN)
    walker.go(DATA)
    assert walker.app.toggle(key=f"{DATA.url}.candlestick").value is True
    [chart] = walker.app.get("plotly_chart")
    assert '"candlestick"' in chart.proto.spec


def test_text_from_a_link_is_shown_as_typed_never_as_markdown():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.query_params.update(
        {"units": "[click here](http://example.com) **urgent**", "data": "csv", "file": "**Big**"}
    )
    app.switch_page(TRAIN.path).run()
    assert not app.exception
    [warning] = app.warning
    # The Markdown sent to the browser has every link and bold marker escaped.
    joiner = "\u2060"  # invisible: keeps "http://" from becoming a link
    assert rf"\[click here\](http:{joiner}//example.com) \*\*urgent\*\*" in warning.value
    [upload_note] = [info.value for info in app.sidebar.info if "link you opened" in info.value]
    assert r"\*\*Big\*\*" in upload_note
