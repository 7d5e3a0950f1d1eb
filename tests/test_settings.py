"""Every setting declared once (rnnstock.settings): the specs, the widgets and the links
all use the same type, default and bounds, and a bad value gets a message, never a crash."""

import datetime
import math

import pytest
from streamlit.testing.v1 import AppTest

from rnnstock.settings import SETTINGS, Setting, check
from rnnstock.specs import ModelSpec, SplitSpec, TrainSpec
from rnnstock.web import state
from rnnstock.web.links import from_params
from rnnstock.web.pages import COMPARE, DATA, TRAIN
from rnnstock.web.widgets import FORMATS
from tests.conftest import REPO

NUMBERS = [s for s in SETTINGS.values() if s.kind in ("int", "float")]


@pytest.mark.parametrize("setting", SETTINGS.values(), ids=lambda s: s.name)
def test_each_default_and_proposed_value_is_allowed(setting: Setting):
    assert check(setting.name, setting.default) == setting.default or setting.default is None
    if setting.widget_default is not None:
        check(setting.name, setting.widget_default)


@pytest.mark.parametrize("setting", NUMBERS, ids=lambda s: s.name)
def test_the_bounds_are_allowed_and_one_step_past_them_is_refused_with_the_range(setting):
    assert check(setting.name, setting.low) == setting.low
    assert check(setting.name, setting.high) == setting.high
    step = setting.step or (1 if setting.kind == "int" else setting.low / 2)
    for outside in (setting.low - step, setting.high + step):
        with pytest.raises(ValueError, match=f"must be from {setting.range_text}"):
            check(setting.name, outside)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ModelSpec(units=1.5), "must be a whole number, not 1.5"),
        (lambda: ModelSpec(units=math.nan), "must be a whole number"),
        (lambda: ModelSpec(units=None), "Units per recurrent layer is missing"),
        (lambda: ModelSpec(units="8, 8, 8, 8, 8"), "use at most 4"),
        (lambda: ModelSpec(units=1024), "from 1 to 512, not 1,024"),
        (lambda: ModelSpec(bidirectional="maybe"), "on or off"),
        (lambda: TrainSpec(seed=-1), "from 0 to 2,147,483,647, not -1"),
        (lambda: TrainSpec(seed=2**64), "from 0 to 2,147,483,647"),
        (lambda: TrainSpec(epochs=0), "from 1 to 1,000, not 0"),
        (lambda: TrainSpec(batch_size=4096), "from 1 to 1,024"),
        (lambda: TrainSpec(learning_rate=0), "from 1e-05 to 1, not 0"),
        (lambda: SplitSpec(window=1), "The window must be from 2 to 500, not 1"),
        (lambda: SplitSpec(train_end="0000"), "0000 is outside 1900-2100"),
        (lambda: SplitSpec(train_end="9999"), "9999 is outside 1900-2100"),
        (lambda: SplitSpec(train_fraction=0.3), "from 0.5 to 0.95, not 0.3"),
    ],
)
def test_a_bad_setting_is_a_message_that_says_what_is_allowed(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_on_and_off_are_read_as_people_write_them():
    assert ModelSpec(bidirectional="false").bidirectional is False
    assert ModelSpec(bidirectional="yes").bidirectional is True
    assert ModelSpec(bidirectional=0).bidirectional is False


def test_a_link_is_read_with_the_same_declarations():
    _, settings, problems = from_params(
        TRAIN.url, {"window": "1", "units": "[click here](http://x)", "epochs": "7", "train": "0.3"}
    )
    assert settings == {"epochs": 7}
    assert any(p.startswith("window=1 (The window must be from 2 to 500") for p in problems)
    assert any(p.startswith("train=0.3 (The training share must be from 0.5") for p in problems)
    assert any(p.startswith("units=[click here]") for p in problems)


def _offered(app: AppTest, page: str) -> None:
    """Each slider offers exactly its declared range, each choice its declared options."""
    for slider in app.slider:
        name = slider.key.split(".", 1)[1]
        setting = SETTINGS[name]
        assert (slider.min, slider.max) == (setting.low, setting.high), slider.key
    for box in app.selectbox:
        if not box.key.startswith(f"{page}.") or box.key.endswith(".preset"):
            continue
        name = box.key.split(".", 1)[1]
        shown = {FORMATS.get(name, str)(choice) for choice in SETTINGS[name].choices}
        if name == "target":  # the columns this data has, of those declared
            assert set(box.options) <= shown and "Close" in box.options, box.key
        else:
            assert set(box.options) == shown, box.key
    for number in app.number_input:
        name = number.key.split(".", 1)[1]
        # No minimum or maximum of its own: the spec says the range (the help does too).
        assert number.min is None and number.max is None, number.key
        assert f"From {SETTINGS[name].range_text}." in number.help, number.key


@pytest.mark.parametrize("page", [TRAIN, COMPARE, DATA], ids=lambda p: p.url)
def test_the_widgets_offer_exactly_what_the_declarations_allow(page):
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.session_state[state.DATA_TAB] = "Train / test split"
    app.session_state[state.STORE] = {"train.early_stopping": True}
    app.run()
    app.switch_page(page.path).run()
    assert not app.exception
    _offered(app, page.url)


def test_an_out_of_range_number_says_the_range_and_keeps_train_disabled():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    app.switch_page(TRAIN.path).run()
    app.number_input(key="train.epochs").set_value(0).run()
    assert any("The number of epochs must be from 1 to 1,000, not 0" in e.value for e in app.error)
    assert app.button(key="train.start").disabled
    app.number_input(key="train.epochs").set_value(5).run()
    assert not app.error and not app.button(key="train.start").disabled


def test_a_split_with_too_few_test_days_is_refused_with_a_message():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.session_state[state.STORE] = {
        "split_mode": "dates",
        "train_end": datetime.date(2017, 11, 6),  # the MSFT sample ends on 2017-11-10
    }
    app.run()
    app.switch_page(TRAIN.path).run()
    assert any("leaves only 4 test day(s)" in e.value for e in app.error)
    assert app.button(key="train.start").disabled
