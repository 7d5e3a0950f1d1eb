"""The price chart's range buttons in plotly.js itself (the version plotly.py bundles),
in Debian's Chromium: a button that plotly.js undoes shows up here."""

from __future__ import annotations

from pathlib import Path

import plotly
import pytest

from rnnstock import charts
from tests.conftest import make_prices
from tests.test_charts import buttons_of

RANGES_JS = """() => {
  const layout = document.getElementById('chart')._fullLayout;
  return ['xaxis', 'yaxis', 'yaxis2'].map((axis) => layout[axis].range);
}"""
REDRAWN_JS = """(start) =>
  String(document.getElementById('chart')._fullLayout.xaxis.range[0]).startsWith(start)"""


def test_each_range_button_shows_its_range_with_y_fitted(browser, tmp_path):
    """Click every button and read the ranges plotly.js drew."""
    history = make_prices(1600)
    figure = charts.price_figure(history, "Test")
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    page_file = tmp_path / "price.html"
    html = figure.to_html(include_plotlyjs=False, div_id="chart", default_height=450)
    page_file.write_text(
        html.replace("<head>", f"<head><script src='{plotly_js.as_uri()}'></script>", 1)
    )
    drawn = {}
    context = browser.new_context(viewport={"width": 1280, "height": 600})
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        page.wait_for_function("document.getElementById('chart')?._fullLayout")
        for label, args in buttons_of(figure).items():
            page.locator(".updatemenu-button", has_text=label).click()
            first = f"{history.index[0]:%Y-%m-%d}" if label == "All" else args["xaxis.range"][0]
            page.wait_for_function(REDRAWN_JS, arg=first)  # slow on a busy machine
            page.wait_for_timeout(100)
            drawn[label] = page.evaluate(RANGES_JS)
    finally:
        context.close()
    for label, args in buttons_of(figure).items():
        x, y, volume = drawn[label]
        if label == "All":  # the whole history, as the page opens
            assert x[0][:10] == f"{history.index[0]:%Y-%m-%d}"
            assert y[0] < history["Close"].min() and y[1] > history["Close"].max()
            assert volume[0] == 0
            continue
        assert [end[:10] for end in x] == args["xaxis.range"], label
        assert y == pytest.approx(args["yaxis.range"]), label
        assert volume == pytest.approx(args["yaxis2.range"]), label
