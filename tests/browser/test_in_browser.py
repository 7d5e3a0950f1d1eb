"""The main flows in a real browser (Chromium): what AppTest cannot show, i.e. the
components, the websocket, uploads, Plotly's drawing and the page layout. All offline."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from playwright.sync_api import expect

from tests.browser.browsing import ERROR, METRIC, PROGRESS, TRAINING_TIMEOUT, AppPage


def test_the_app_opens_on_the_offline_sample_and_draws_its_chart(app: AppPage):
    app.open("/")
    app.wait_for_charts()  # the price history: the other tabs are drawn when opened
    main = app.main()
    expect(main.get_by_role("heading", name="Data", exact=True)).to_be_visible()
    expect(main.locator(".gtitle")).to_have_text(["Microsoft (MSFT) price"])
    expect(app.sidebar()).to_contain_text("7,983 trading days")
    app.snap("data", readme="data.png")
    app.assert_layout_fits()

    app.open_tab("Train / test split")
    expect(main.locator(METRIC).filter(has_text="Training days")).to_be_visible()
    expect(main.locator(".gtitle")).to_have_text(["Microsoft (MSFT) stock price"])
    expect(main.locator(".legendtext").first).to_contain_text("Train (before")
    app.snap("data-split")
    app.assert_layout_fits()

    # A teacher who shows the Train page and comes back finds the split preview again.
    app.go_to("Train")
    app.go_to("Data")
    split_tab = main.get_by_role("tab", name="Train / test split", exact=True)
    expect(split_tab).to_have_attribute("aria-selected", "true")
    expect(main.locator(METRIC).filter(has_text="Training days")).to_be_visible()

    app.open_tab("Statistics")
    expect(main.get_by_test_id("stTable")).to_have_count(2)
    expect(main.get_by_test_id("stTable").first).to_contain_text("7,983")
    app.snap("data-statistics")


def test_a_tiny_lstm_trains_with_live_progress_and_shows_its_results(app: AppPage):
    app.open("/train")
    app.fill_settings(units="4", epochs=3, window=10)
    app.start()
    progress = app.wait_for_progress()
    expect(progress).to_contain_text("of 3")
    expect(progress.get_by_role("progressbar")).to_be_visible()
    app.snap("training")
    app.wait_for_results("Results: LSTM(4)")
    app.wait_for_charts()
    legend = app.legend()
    assert "Real" in legend and "Predicted (LSTM)" in legend, legend
    labels = app.page.locator(f"{METRIC} [data-testid='stMetricLabel']").all_text_contents()
    assert {"RMSE", "MAE", "MAPE %", "R²"} <= {label.strip() for label in labels}, labels
    expect(app.main()).to_contain_text('"tomorrow = today"')
    app.snap(
        "trained",
        readme="train.png",
        readme_from=app.page.get_by_role("heading", name=re.compile("^Results:")),
    )

    # The Forecast page picks up the session's trained model.
    app.go_to("Forecast")
    app.wait_for_charts()
    expect(app.main().locator(".legendtext").filter(has_text="Forecast (LSTM")).to_be_visible()
    app.snap("forecast")
    app.assert_layout_fits()


MESSY_DAYS = pd.bdate_range("2019-01-02", periods=400)


def messy_csv(dates: pd.DatetimeIndex = MESSY_DAYS) -> str:
    """Prices as a spreadsheet exports them: quoted thousands, M/D/YYYY dates and a
    trailing comma on every line (an empty last column)."""
    days = len(dates)
    rng = np.random.default_rng(5)
    close = 1200 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    lines = ['"Date","Open","High","Low","Close","Volume",']
    for day, price in zip(dates, close, strict=True):
        lines.append(
            f'{day.month}/{day.day}/{day.year},"{price * 0.999:,.2f}","{price * 1.01:,.2f}",'
            f'"{price * 0.99:,.2f}","{price:,.2f}","{int(price * 1000):,}",'
        )
    return "\n".join(lines) + "\n"


def upload(app: AppPage, name: str, text: str) -> None:
    uploader = app.sidebar().get_by_test_id("stFileUploader")
    uploader.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )


def test_a_messy_csv_upload_works_and_a_broken_one_shows_a_message(app: AppPage):
    app.open("/")
    app.wait_for_charts()
    app.sidebar().get_by_text("CSV upload", exact=True).click()
    expect(app.sidebar().get_by_test_id("stFileUploader")).to_be_visible()

    upload(app, "messy-export.csv", messy_csv())
    caption = app.sidebar().get_by_text(f"{len(MESSY_DAYS)} trading days")
    expect(caption).to_contain_text(f"2019-01-02 to {MESSY_DAYS[-1]:%Y-%m-%d}")
    expect(app.main()).to_contain_text("CSV file messy-export.csv")
    expect(app.main().locator(".gtitle").first).to_have_text("messy-export.csv price")
    app.wait_for_charts()
    app.snap("csv-upload")

    upload(app, "broken.csv", "day,amount\n1,2\n2,3\n")
    expect(app.sidebar().locator(ERROR)).to_contain_text("broken.csv could not be loaded")
    expect(app.main().locator(ERROR)).to_contain_text("broken.csv, there is no price column")
    expect(app.main().get_by_test_id("stPlotlyChart")).to_have_count(0)
    app.snap("csv-broken")
    # The way back that the message offers.
    app.main().get_by_role("button", name="Use the offline sample instead").click()
    expect(app.sidebar()).to_contain_text("7,983 trading days")
    app.wait_for_charts()
    app.assert_layout_fits()


def test_a_training_goes_on_while_the_user_visits_another_page(app: AppPage):
    app.open("/train")
    app.fill_settings(units="4", epochs=300, window=10)  # far longer than this test
    app.start()
    progress = app.wait_for_progress()
    expect(progress).to_contain_text(re.compile(r"epoch [1-9]\d* of 300"), timeout=120_000)
    epochs_before = int(re.search(r"epoch (\d+)", progress.inner_text()).group(1))

    try:
        app.go_to("Data")
        app.wait_for_charts()
        app.go_to("Train")
        # The same run, further along, with the settings it was started with on screen.
        progress = app.page.locator(PROGRESS)
        expect(progress).to_contain_text(re.compile(r"epoch \d+ of 300"))
        epochs_now = int(re.search(r"epoch (\d+)", progress.inner_text()).group(1))
        assert epochs_now >= epochs_before
        settings = {
            label: app.field_value(label)
            for label in (
                "Units per recurrent layer",
                "Epochs",
                "Window (days of history per prediction)",
            )
        }
        app.snap("back-on-train-while-running")
    finally:
        # Cancel frees the server's single trainer for the next test.
        app.page.get_by_role("button", name="Cancel").click()
        expect(app.main()).to_contain_text("Training was cancelled", timeout=60_000)
    assert settings == {
        "Units per recurrent layer": "4",
        "Epochs": "300",
        "Window (days of history per prediction)": "10",
    }, settings
    app.assert_layout_fits()


def test_two_tiny_models_are_compared(app: AppPage):
    app.open("/compare")
    architectures = app.page.get_by_test_id("stMultiSelect")
    expect(architectures).to_contain_text("LSTM")
    expect(architectures).to_contain_text("GRU")
    app.fill_settings(units="4", epochs=2, window=10)
    app.start("Compare")
    # One trainer on this server: the second model waits for the first.
    expect(app.page.locator(PROGRESS)).to_have_count(2, timeout=60_000)
    app.snap("comparing")
    expect(app.page.get_by_role("heading", name="Comparison: LSTM vs GRU")).to_be_visible(
        timeout=TRAINING_TIMEOUT
    )
    app.wait_for_charts(3)  # real vs each model, and a loss curve per model
    legend = app.legend()
    assert {"Real", "Predicted (LSTM)", "Predicted (GRU)"} <= set(legend), legend
    # Persistence learns nothing: its parameters, time and epochs read "–", not "None".
    persistence = (
        app.main().get_by_test_id("stTable").get_by_role("row").filter(has_text="tomorrow = today")
    )
    expect(persistence).to_contain_text("–")
    expect(persistence).not_to_contain_text("None")
    app.snap(
        "compared",
        readme="compare.png",
        readme_from=app.page.get_by_role("heading", name=re.compile("^Comparison:")),
    )
    app.assert_layout_fits()


def test_the_learn_page_opens_and_fits_the_screen(app: AppPage):
    app.open("/learn")
    app.wait_for_charts()
    expect(app.main().get_by_test_id("stException")).to_have_count(0)
    app.snap("learn")
    app.assert_layout_fits()
