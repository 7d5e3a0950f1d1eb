"""Watch it learn (issue 15) in Chromium: while a model trains, the Train page redraws the
real-vs-predicted chart of the test days after its epochs, keeping score in the title."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.browsing import AppPage

# The title's two lines, which the page's text joins without a space.
LEARNING = re.compile(
    r"Learning: epoch (\d+) of 200test RMSE [\d,.]+, \"tomorrow = today\" [\d,.]+$"
)


def _epoch_shown(app: AppPage) -> int:
    """The latest epoch drawn (while Streamlit swaps the chart, both copies are there)."""
    titles = app.main().locator(".gtitle").filter(has_text=LEARNING)
    expect(titles.first).to_be_attached(timeout=60_000)
    return max(int(LEARNING.search(text).group(1)) for text in titles.all_text_contents())


def test_the_prediction_chart_redraws_as_the_model_learns(app: AppPage):
    app.open("/train")
    # Small batches: epochs of about a second, long enough to watch (and to cancel).
    app.fill_settings(units="4", epochs=200, window=10, batch_size=16)
    app.start()
    app.wait_for_progress()
    first = _epoch_shown(app)
    legend = app.legend()
    assert "Real" in legend and any(
        name.startswith("Predicted (LSTM) after epoch") for name in legend
    )
    app.snap("learning")
    # A few seconds on, a later epoch is drawn: the chart follows the training.
    app.page.wait_for_function(
        """first => [...document.querySelectorAll('.gtitle')].some(t => {
            const m = t.textContent.match(/Learning: epoch (\\d+) of 200/);
            return m && Number(m[1]) > first; })""",
        arg=first,
        timeout=60_000,
    )
    assert _epoch_shown(app) > first
    app.main().get_by_role("button", name="Cancel").click()
    expect(app.main()).to_contain_text("cancelled", timeout=30_000)
    expect(app.main().locator(".gtitle").filter(has_text=LEARNING)).to_have_count(0)
