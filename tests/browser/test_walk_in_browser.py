"""Settings a class can trust, in a real browser: pages walked the way people do.

The sidebar, the browser's back button, reloads, presets, edits and a tiny
training, in a seeded random order; after every step each setting on screen
must show what the user last set (or its default). The teacher's cases are
named tests: Data -> Train -> Compare, and a reload during a training.
"""

from __future__ import annotations

import random
import re
from urllib.parse import quote, urlparse

from playwright.sync_api import expect

from rnnstock.presets import PRESETS, get_preset
from rnnstock.settings import SETTINGS
from rnnstock.web.pages import COMPARE, DATA, LEARN, PAGES, TRAIN, by_url
from tests.browser.browsing import PROGRESS, AppPage

WINDOW = SETTINGS["window"].label
LEARN_WINDOW = "Window (days)"
UNITS, EPOCHS, BATCH, SEED = (SETTINGS[n].label for n in ("units", "epochs", "batch_size", "seed"))
PRESET_BOX = "Start from a tutorial's settings"
SPLIT_TAB = "Train / test split"
TITLES = {page.title: page for page in PAGES}
WALK_STEPS = 60  # about 0.6 s a step; seed 11: every page by step 36, reload, back, training at 54


class BrowserWalker:
    """A person clicking through the app, and what they expect each field to show."""

    def __init__(self, app: AppPage, seed: int) -> None:
        self.app, self.random = app, random.Random(seed)
        self.values = {"window": "60"}  # shared; page-own under "<page>.<label>"
        for page in (TRAIN, COMPARE):
            self.values.update(
                {f"{page.url}.{UNITS}": "50", f"{page.url}.{EPOCHS}": "20"}
                | {f"{page.url}.{BATCH}": "32", f"{page.url}.{SEED}": "42"}
            )
        self.train_model = {"cell": "LSTM", "dense": "", "bidirectional": False}
        self.learn_follows: tuple | None = None
        self.trained = False
        self.log: list[str] = []

    # -- what is on screen -------------------------------------------------------------

    def page(self):
        heading = self.app.main().get_by_role("heading", level=1).first
        expect(heading).to_be_visible()
        return TITLES[heading.inner_text().strip()]

    def follows(self) -> tuple:
        return (
            self.values["window"],
            self.values[f"{TRAIN.url}.{UNITS}"],
            tuple(sorted(self.train_model.items())),
        )

    def expected(self, page, label: str) -> str:
        if label in (WINDOW, LEARN_WINDOW):
            return self.values[f"learn.{LEARN_WINDOW}" if page is LEARN else "window"]
        return self.values[f"{page.url}.{label}"]

    def fields(self, page) -> list[str]:
        if page is DATA:
            tab = self.app.main().get_by_role("tab", name=SPLIT_TAB, exact=True)
            return [WINDOW] if tab.get_attribute("aria-selected") == "true" else []
        if page is LEARN:
            return [LEARN_WINDOW, UNITS]
        if page in (TRAIN, COMPARE):
            return [WINDOW, UNITS, EPOCHS, BATCH, SEED]
        return []

    def check(self) -> None:
        self.app.wait_until_drawn()
        page = self.page()
        expect(self.app.main().get_by_test_id("stException")).to_have_count(0)
        for label in self.fields(page):
            want = self.expected(page, label)
            field = self.app.field(label)
            try:
                expect(field).to_have_value(want, timeout=5_000)
            except AssertionError:
                shown = field.input_value()
                raise AssertionError(
                    (page.title, label, want, shown, "\n".join(self.log))
                ) from None

    # -- what a person does --------------------------------------------------------------

    def arrive(self, page) -> None:
        """What the app does on arrival: the Learn page copies a changed Train model."""
        if page is LEARN and self.follows() != self.learn_follows:
            self.learn_follows = self.follows()
            self.values[f"learn.{LEARN_WINDOW}"] = self.values["window"]
            self.values[f"learn.{UNITS}"] = self.values[f"{TRAIN.url}.{UNITS}"]

    def go(self, page) -> None:
        self.log.append(f"sidebar {page.title}")
        self.app.go_to(page.title)
        self.arrive(page)

    def back(self) -> None:
        self.log.append("back")
        self.app.page.go_back()
        self.arrive(self.shown_page())

    def reload(self) -> None:
        self.log.append("reload")
        self.app.page.reload()
        expect(self.app.page.get_by_test_id("stSidebarNav")).to_be_visible()
        self.arrive(self.shown_page())

    def shown_page(self):
        """The page the address names, once its heading is drawn (not the one before)."""
        path = urlparse(self.app.page.url).path.strip("/")
        page = by_url(path)
        heading = self.app.main().get_by_role("heading", level=1, name=page.title, exact=True)
        expect(heading).to_be_visible()
        self.app.wait_until_drawn()
        return page

    def edit(self, page, label: str, value: str) -> None:
        self.log.append(f"{page.title}: {label} = {value}")
        self.app.set_field(label, value)
        if label in (WINDOW, LEARN_WINDOW):
            self.values[f"learn.{LEARN_WINDOW}" if page is LEARN else "window"] = value
        else:
            self.values[f"{page.url}.{label}"] = value

    def random_value(self, label: str) -> str:
        r = self.random
        return str(
            {
                WINDOW: r.randint(2, 200),
                LEARN_WINDOW: r.randint(2, 200),
                UNITS: r.choice(["8", "16, 8", "32", "64"]),
                EPOCHS: r.randint(1, 60),
                BATCH: r.choice([16, 32, 64, 128]),
                SEED: r.randint(0, 999),
            }[label]
        )

    def choose_preset(self) -> None:
        preset_id = self.random.choice(list(PRESETS))
        self.log.append(f"preset {preset_id}")
        box = self.app.main().get_by_role("combobox", name=PRESET_BOX)
        if box.input_value() == PRESETS[preset_id].title:
            return  # already chosen: choosing it again changes nothing
        box.click()  # a searchable list: type the preset's name, as a person would
        self.app.page.keyboard.type(PRESETS[preset_id].title)
        self.app.page.keyboard.press("Enter")
        expect(box).to_have_value(PRESETS[preset_id].title)
        self.app.wait_until_drawn()
        spec = get_preset(preset_id).spec
        self.values["window"] = str(spec.split.window)
        for label, value in (
            (UNITS, ", ".join(map(str, spec.model.units))),
            (EPOCHS, spec.train.epochs),
            (BATCH, spec.train.batch_size),
            (SEED, spec.train.seed),
        ):
            self.values[f"{TRAIN.url}.{label}"] = str(value)
        self.train_model = {
            "cell": spec.model.cell,
            "dense": ", ".join(map(str, spec.model.dense)),
            "bidirectional": spec.model.bidirectional,
        }

    def train_tiny(self) -> None:
        """A tiny training: what it reports is what the fields showed."""
        for label, value in ((WINDOW, "10"), (UNITS, "4"), (EPOCHS, "1"), (BATCH, "512")):
            self.edit(TRAIN, label, value)
        self.log.append("train")
        self.app.start("Train")
        cell = self.train_model["cell"]
        self.app.wait_for_results(f"Results: {cell}(4)")
        expect(self.app.main()).to_contain_text("1 epoch in")
        self.trained = True

    def step(self) -> None:
        r, page = self.random, self.page()
        roll = r.random()
        if roll < 0.25:
            self.go(r.choice(PAGES))
        elif roll < 0.32:
            self.back()
        elif roll < 0.38:
            self.reload()
        elif page is DATA and roll < 0.6:
            self.log.append("split tab")
            self.app.open_tab(SPLIT_TAB)
        elif page is TRAIN and roll < 0.45:
            self.choose_preset()
        elif page is TRAIN and not self.trained and len(self.log) > 20:
            self.train_tiny()
        elif self.fields(page):
            label = r.choice(self.fields(page))
            self.edit(page, label, self.random_value(label))
        else:
            self.go(r.choice(PAGES))
        self.check()


def test_a_random_walk_in_the_browser_keeps_every_setting(app: AppPage):
    walker = BrowserWalker(app, seed=11)
    app.open("/")
    walker.check()
    for _ in range(WALK_STEPS):
        walker.step()
    assert walker.trained, walker.log
    assert {"sidebar Train", "sidebar Compare", "reload", "back"} <= set(walker.log)
    app.assert_layout_fits()


def test_data_then_train_then_compare_keeps_the_split_in_the_browser(app: AppPage):
    """The blocker a teacher met: Compare showed Open / window 2 / share 0.50."""
    walker = BrowserWalker(app, seed=0)
    app.open("/")
    app.open_tab(SPLIT_TAB)
    walker.edit(DATA, WINDOW, "30")
    for page in (TRAIN, COMPARE, TRAIN, COMPARE):
        walker.go(page)
        walker.check()
        expect(app.main()).to_contain_text("0.80")  # the share, not its minimum 0.50
    expect(app.page).to_have_url(re.compile(r"[?&]window=30(&|$)"))  # and the link to copy
    walker.reload()
    walker.check()
    walker.back()
    walker.check()


def test_a_reload_during_a_training_finds_it_again(app: AppPage, browser, server):
    app.open("/train")
    app.fill_settings(units="4", epochs=300, window=10)  # far longer than this test
    app.start()
    app.wait_for_progress()
    app.page.reload()
    progress = app.page.locator(PROGRESS)
    expect(progress).to_contain_text(re.compile(r"epoch [1-9]\d* of 300"), timeout=60_000)
    expect(app.main().get_by_role("heading", name="Your runs")).to_be_visible()
    app.snap("reloaded-while-training")
    # Another browser sees nothing of it.
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        stranger = other.new_page()
        stranger.goto(server + "/train")
        expect(stranger.get_by_role("heading", name="Train", exact=True)).to_be_visible()
        stranger.wait_for_timeout(1500)
        expect(stranger.locator(PROGRESS)).to_have_count(0)
        expect(stranger.get_by_role("heading", name="Your runs")).to_have_count(0)
    finally:
        other.close()
    # The reloaded page can still cancel it.
    app.page.get_by_role("button", name="Cancel").click()
    expect(app.main()).to_contain_text("Training was cancelled", timeout=60_000)


def test_text_from_a_link_or_a_file_name_is_never_a_link(app: AppPage):
    """A shared link whose text is Markdown, or a bare address, shows as typed."""
    hostile = "[click here](http://example.com) **urgent** www.example.com me@example.com"
    link = "units=" + quote(hostile) + "&data=csv&file=" + quote(":red[x] https://example.org")
    app.open("/train?" + link)
    expect(app.sidebar()).to_contain_text("https:")  # the file name the link asks for
    warning = app.main().get_by_test_id("stAlert").filter(has_text="could not be used")
    expect(warning).to_contain_text("[click here](http")
    expect(warning).to_contain_text("**urgent**")
    for place in (app.main(), app.sidebar()):
        expect(place.get_by_test_id("stAlert").locator("a")).to_have_count(0)
    expect(app.main().get_by_test_id("stAlert").locator("strong")).to_have_count(0)
    # The sidebar names the file in bold, as typed: no colour, no link inside.
    [name] = app.sidebar().get_by_test_id("stAlert").locator("strong").all_inner_texts()
    assert name.replace("\u2060", "") == ":red[x] https://example.org"
