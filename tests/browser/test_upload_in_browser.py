"""Uploading price files in a real browser (Chromium): an Investing.com export is read and
the sidebar says how; a course's two files picked at once make one history."""

from __future__ import annotations

import numpy as np
import pandas as pd
from playwright.sync_api import expect

from tests.browser.browsing import AppPage

INVESTING_DAYS = pd.bdate_range("2023-01-03", periods=250)
UPLOAD_FACTS = '[data-testid="stExpander"]'


def investing_csv(days: pd.DatetimeIndex = INVESTING_DAYS) -> str:
    """As Investing.com exports a history: newest first, quoted thousands, the close
    called Price, volumes like 2.77M, and a Change % column nobody needs."""
    rng = np.random.default_rng(16)
    close = 1500 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    lines = ['"Date","Price","Open","High","Low","Vol.","Change %"']
    for day, price, before in reversed(
        list(zip(days, close, np.r_[close[0], close[:-1]], strict=True))
    ):
        lines.append(
            f'"{day:%m/%d/%Y}","{price:,.2f}","{price * 0.998:,.2f}","{price * 1.01:,.2f}",'
            f'"{price * 0.99:,.2f}","{rng.uniform(1, 9):.2f}M","{100 * (price / before - 1):.2f}%"'
        )
    return "\n".join(lines) + "\n"


def course_csv(days: pd.DatetimeIndex, first_price: float) -> str:
    lines = ["Date,Open,High,Low,Close,Volume"]
    for i, day in enumerate(days):
        price = first_price + i * 0.5
        lines.append(
            f"{day.month}/{day.day}/{day.year},{price:.2f},{price + 2:.2f},{price - 2:.2f},"
            f'{price + 1:.2f},"{1_500_000 + 1_000 * i:,}"'
        )
    return "\n".join(lines) + "\n"


def pick_files(app: AppPage, *files: tuple[str, str]) -> None:
    """Choose files in the uploader's dialog, several at once."""
    uploader = app.sidebar().get_by_test_id("stFileUploader")
    uploader.locator("input[type=file]").set_input_files(
        files=[
            {"name": name, "mimeType": "text/csv", "buffer": text.encode()} for name, text in files
        ]
    )


def test_an_investing_com_export_is_read_and_the_sidebar_says_how(app: AppPage):
    app.open("/")
    app.wait_for_charts()
    app.sidebar().get_by_text("CSV upload", exact=True).click()
    expect(app.sidebar().get_by_test_id("stFileUploader")).to_be_visible()

    pick_files(app, ("AAPL Historical Data.csv", investing_csv()))
    sidebar = app.sidebar()
    expect(sidebar.get_by_text(f"{len(INVESTING_DAYS)} trading days")).to_contain_text(
        f"{INVESTING_DAYS[0]:%Y-%m-%d} to {INVESTING_DAYS[-1]:%Y-%m-%d}"
    )
    facts = sidebar.locator(UPLOAD_FACTS).filter(has_text="How the file was read")
    expect(facts).to_be_visible()
    # Open after the upload: the facts are on screen, not behind a click.
    expect(facts.locator("li").first).to_be_visible()
    expect(facts).to_contain_text("Change %")  # the column left out, named
    expect(facts).to_contain_text("month first")  # how 01/02/2023 was read
    expect(app.main().locator(".gtitle").first).to_have_text("AAPL Historical Data.csv price")
    app.wait_for_charts()
    app.snap("investing-upload")
    # The file removed from the uploader is no longer used.
    sidebar.get_by_role("button", name="Remove AAPL Historical Data.csv").click()
    expect(sidebar).to_contain_text("Upload a CSV with a Date column and prices.")
    expect(sidebar.locator(UPLOAD_FACTS)).to_have_count(0)
    app.assert_layout_fits()


def test_a_courses_two_files_picked_at_once_make_one_history(app: AppPage):
    app.open("/")
    app.wait_for_charts()
    app.sidebar().get_by_text("CSV upload", exact=True).click()
    train_days = pd.bdate_range(end="2016-12-30", periods=250)
    test_days = pd.bdate_range("2017-01-03", periods=20)
    pick_files(
        app,
        ("Google_Stock_Price_Train.csv", course_csv(train_days, 700.0)),
        ("Google_Stock_Price_Test.csv", course_csv(test_days, 830.0)),
    )
    sidebar = app.sidebar()
    expect(sidebar.get_by_text(f"{len(train_days) + len(test_days)} trading days")).to_contain_text(
        f"{train_days[0]:%Y-%m-%d} to {test_days[-1]:%Y-%m-%d}"
    )
    expect(
        sidebar.locator(UPLOAD_FACTS).filter(has_text="How the 2 files were read")
    ).to_be_visible()
    # The title joins the names, in two lines (Plotly's lines run together in its text).
    expect(app.main().locator(".gtitle").first).to_have_text(
        "Google_Stock_Price_Train.csv +Google_Stock_Price_Test.csv price"
    )
    app.wait_for_charts()
    app.snap("course-upload")
    # A look at a sample and back: the uploader shows no files, the two are still used,
    # also after the next click.
    days = f"{len(train_days) + len(test_days)} trading days"
    sidebar.get_by_text("Offline sample", exact=True).click()
    expect(sidebar).to_contain_text("7,983 trading days")
    app.wait_until_drawn()
    sidebar.get_by_text("CSV upload", exact=True).click()
    expect(sidebar).to_contain_text("uploaded earlier")
    app.open_tab("Statistics")
    expect(sidebar).to_contain_text(days)
    expect(sidebar).to_contain_text(
        "Using Google_Stock_Price_Train.csv + Google_Stock_Price_Test.csv, uploaded earlier."
    )
    app.assert_layout_fits()


def test_implausible_prices_are_kept_with_a_warning_beside_the_data(app: AppPage):
    days = pd.bdate_range("2021-01-04", periods=120)
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for i, day in enumerate(days):  # High and Low swapped in every row
        lines.append(f"{day:%Y-%m-%d},{100 + i},{98 + i},{102 + i},{101 + i},{101 + i},{1000 + i}")
    app.open("/")
    app.wait_for_charts()
    app.sidebar().get_by_text("CSV upload", exact=True).click()
    pick_files(app, ("swapped.csv", "\n".join(lines) + "\n"))
    expect(app.sidebar().get_by_text(f"{len(days)} trading days")).to_be_visible()
    warning = app.sidebar().get_by_test_id("stAlertContentWarning")
    expect(warning).to_contain_text("High below the Low (first 2021-01-04")
    app.wait_for_charts()
    app.snap("implausible-upload")
    app.assert_layout_fits()
