"""The Mistakes page in a real browser (Chromium): one click from a tutorial's preset on
the Train page, the measurement in the background with tiny models, and each mistake's
figures, reason and chart drawn.

The session's server runs with ``RNNSTOCK_MISTAKES_TINY=1`` (rnnstock.mistakes, see
tests/browser/conftest.py): every model a few units and 2 epochs, so ten trainings take
seconds each, not the tutorials' minutes.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from rnnstock.mistakes import INFO
from rnnstock.presets import PRESETS
from tests.browser.browsing import CHART, METRIC, PROGRESS, TRAINING_TIMEOUT, AppPage

PRESET_BOX = "Start from a tutorial's settings"
CHOSEN = "Mistakes to measure"
MEASURED = 5 * TRAINING_TIMEOUT  # ten tiny trainings, one at a time, TensorFlow's start


def choose(app: AppPage, box_label: str, option: str) -> None:
    """Pick an option of a searchable box as a person does: click, type, Enter."""
    box = app.main().get_by_role("combobox", name=box_label)
    box.click()
    app.page.keyboard.type(option)
    app.page.keyboard.press("Enter")
    app.page.keyboard.press("Escape")
    app.wait_until_drawn()


def test_a_presets_mistakes_are_one_click_away_and_measured_side_by_side(app: AppPage):
    app.open("/train")
    netflix = PRESETS["netflix-simplernn"].title
    choose(app, PRESET_BOX, netflix)
    expect(app.main().get_by_role("combobox", name=PRESET_BOX)).to_have_value(netflix)

    # One click from the preset.
    link = app.main().get_by_role("link", name=re.compile("^Measure what this tutorial got wrong"))
    expect(link).to_contain_text("window builder one short; test set as validation")
    link.click()
    main = app.main()
    expect(main.get_by_role("heading", name="Mistakes", exact=True)).to_be_visible()
    expect(main).to_contain_text(f"Opened from the preset {netflix}")
    chosen = main.get_by_test_id("stMultiSelect")
    for mistake in ("window-builder", "test-validation"):
        expect(chosen).to_contain_text(INFO[mistake].short)
    expect(main).to_contain_text("4 trainings")

    # The three other mistakes too, so that every chart is drawn once.
    for mistake in ("scaler-leak", "rmse-formula", "one-run-verdict"):
        choose(app, CHOSEN, INFO[mistake].short)
    app.set_field("Seeds for LSTM vs GRU", 2)
    expect(main).to_contain_text("10 trainings")
    app.snap("mistakes-settings")

    app.start("Measure")
    bar = app.page.locator(PROGRESS)
    expect(bar).to_contain_text(re.compile(r"Training \d+ of 10"), timeout=TRAINING_TIMEOUT)
    app.note(f"progress: {bar.inner_text()}")

    # Each mistake appears as soon as its trainings are done; all five in the end.
    for info in INFO.values():
        heading = main.get_by_role("heading", name=f"{info.title} ({info.seed})")
        expect(heading).to_be_visible(timeout=MEASURED)
        app.note(f"shown: {info.id}")
    expect(bar).to_contain_text("10 trainings finished")
    expect(main.locator(METRIC)).to_have_count(3 * len(INFO))
    for label in ("Scaler fit on all days (seed 003)", "Seed 003's formula", "RMSE in dollars"):
        expect(main.locator(METRIC).filter(has_text=label).first).to_be_visible()
    expect(main).to_contain_text("11 of")  # seed 001's lost test days: a 10-day window + 1
    expect(main).to_contain_text('The verdict "GRU beats LSTM" flips on')
    expect(main.locator(CHART)).to_have_count(len(INFO))
    app.wait_for_charts(3)  # the lines of the price and loss charts
    # Every chart has its traces drawn: the bars and the seeds' boxes too.
    expect(main.locator(CHART).filter(has=app.page.locator(".trace"))).to_have_count(len(INFO))
    legend = app.legend()
    assert "Seed 001's windows" in legend and "Scaler fit on all days" in legend, legend
    app.snap("mistakes")
    app.assert_layout_fits()
