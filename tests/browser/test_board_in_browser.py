"""The class board in a real browser (Chromium): two students, two browsers, one server.

Student A trains a tiny model and puts it on the board as "Ada"; student B, who opened
the board from a teacher's link, sees it appear without reloading, cannot take it off,
and sees it go when A takes it off. The table is a canvas; its cells are read from the
accessible copy Streamlit's grid keeps in the page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import browsing
from tests.browser.browsing import AppPage

CELLS = '[data-testid="stDataFrame"] td'
LIVE = 15_000  # ms: the board reads the scheduler every 2 s


@pytest.fixture
def classmate(request, browser, server, screenshot_dir):
    """A second student: another browser context (its own session and cookie), held to
    the same rules as the ``app`` fixture's (offline, no JavaScript errors)."""
    with browsing.student(
        request, browser, server, screenshot_dir, name="-classmate", check_layout=False
    ) as page:
        yield page


def names_on_board(student: AppPage):
    return student.main().locator(CELLS)


def test_two_students_share_the_class_board_live(app: AppPage, classmate: AppPage):
    ada, bea = app, classmate
    ada.open("/train")
    ada.fill_settings(units="4", epochs=2, window=10)
    ada.start()
    ada.wait_for_results("Results: LSTM(4)")

    # Ada's board is her data and split; its link is what a teacher hands out.
    ada.go_to("Class board")
    ada.main().get_by_role("button", name=re.compile("Copy the link for your class")).click()
    link = ada.page.get_by_test_id("stCode").last.inner_text().strip()
    assert "window=10" in link and link.startswith(ada.url + "/board?"), link
    ada.page.keyboard.press("Escape")

    bea.note("opens the teacher's link")
    bea.page.goto(link)
    main = bea.main()
    expect(main).to_contain_text("Your teacher's link sets:")
    expect(main).to_contain_text("Window (days of history per prediction): 10")
    main.get_by_role("button", name="Use my teacher's settings").click()
    expect(main).to_contain_text("Your teacher's link is in use")
    expect(main).to_contain_text("No runs on this board yet")

    ada.set_field("Your name on the board", "Ada")
    ada.main().get_by_role("button", name="Put on the board").click()
    expect(ada.main()).to_contain_text("is on the board as Ada")

    bea.note("waits for Ada, without a reload")
    expect(names_on_board(bea).filter(has_text=re.compile("^Ada$"))).to_have_count(1, timeout=LIVE)
    expect(names_on_board(bea).filter(has_text=re.compile("^LSTM$"))).to_have_count(1)
    expect(main).to_contain_text("Runs on the board")
    expect(main.get_by_role("button", name="Remove")).to_have_count(0)  # not hers
    bea.snap("board-live")

    ada.main().get_by_role("button", name="Remove").click()
    expect(ada.main()).to_contain_text("Taken off the board")
    expect(names_on_board(bea).filter(has_text=re.compile("^Ada$"))).to_have_count(0, timeout=LIVE)
    expect(main).to_contain_text("No runs on this board yet")
    bea.assert_layout_fits()
