"""Inside the model, in Chromium: a tiny stacked LSTM trained on the Train page, then its
"Inside the model" expander: the window with each day's effect on the prediction, and each
layer's gates and states drawn as heatmaps, a tab per layer."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.browsing import CHART, VIEWPORTS, AppPage

HEATMAP = ".js-plotly-plot .heatmaplayer .hm image"  # a drawn heatmap: Plotly paints an image
SLIDER = '[data-testid="stSlider"]'


def show(element) -> None:
    """Scrolled to the top of the screen, below Streamlit's header: the screenshots at each
    size show it first."""
    element.evaluate(
        "element => { element.style.scrollMarginTop = '90px';"
        " element.scrollIntoView({block: 'start'}); }"
    )


def projector_shot(app: AppPage, element, name: str) -> None:
    """The section itself at a projector's size (``snap``'s own 1920 shots start at the
    top of the page, or show all of it): ``NAME-projector.png`` beside them."""
    width, height = VIEWPORTS[1]
    app.page.set_viewport_size({"width": width, "height": height})
    app.page.wait_for_timeout(600)  # Plotly redraws after a resize
    show(element)
    app.page.mouse.move(width - 2, height - 2)
    app.wait_until_drawn()
    app.shot_dir.mkdir(parents=True, exist_ok=True)
    path = app.shot_dir / f"{name}-projector.png"
    app.page.screenshot(path=path, animations="disabled", caret="initial")
    app.shots_taken.append(path)
    app.page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS[0], strict=True)))


def test_inside_the_model_draws_every_gate_of_every_layer(app: AppPage):
    app.open("/train")
    app.fill_settings(units="4, 3", epochs=2, window=10)
    app.start()
    app.wait_for_results("Results: LSTM(4) + LSTM(3)")
    app.wait_for_charts()

    main = app.main()
    expander = main.get_by_test_id("stExpander").filter(has_text="Inside the model")
    expect(expander).to_have_count(1)
    charts_before = main.locator(CHART).count()
    expander.get_by_text("Inside the model", exact=True).click()
    app.note("inside the model: opened")

    # The first layer's tab is open: its five heatmaps (i, f, o, c, h) are drawn. (The
    # other tab's may be drawn too, hidden: Streamlit renders a tab's content early.)
    expect(expander.get_by_role("tab")).to_have_text(["Layer 1: LSTM(4)", "Layer 2: LSTM(3)"])
    heatmaps = expander.locator(HEATMAP).filter(visible=True)
    expect(heatmaps).to_have_count(5, timeout=60_000)
    app.wait_until_drawn()
    assert main.locator(CHART).count() == charts_before + 3  # the window; one per layer
    window_chart = expander.locator(CHART).first
    expect(window_chart.locator(".gtitle")).to_have_text(
        re.compile(r"^The 10 days that went in for \d{4}-\d{2}-\d{2}$")
    )
    expect(window_chart.locator(".bars path")).to_have_count(10)  # a bar per input day
    titles = expander.locator(".js-plotly-plot .annotation-text").all_text_contents()
    for name in ("Input gate i", "Forget gate f", "Output gate o", "Cell state c", "Hidden"):
        assert any(title.startswith(name) for title in titles), titles
    expect(expander).to_contain_text("Forget gate f: how much of yesterday's memory")
    expect(expander).to_contain_text("If every day of the window were $1 higher")
    # The picker starts on the last test day, the one the summary names.
    day = expander.locator(SLIDER).get_by_role("slider").get_attribute("aria-valuetext")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day or ""), day
    expect(expander).to_contain_text(f"For {day} the model read the 10 Close prices")
    show(expander)
    app.snap("inside-the-model")
    projector_shot(app, expander, "inside-the-model")

    app.open_tab("Layer 2: LSTM(3)")
    expect(heatmaps).to_have_count(5)
    expect(expander.locator(HEATMAP)).to_have_count(10)
    expect(expander).to_contain_text("The prediction is made from this layer's hidden state")
    show(expander.get_by_role("tab").first)
    app.snap("inside-the-model-layer-2")
    projector_shot(app, expander.get_by_role("tab").first, "inside-the-model-layer-2")

    # An earlier day, picked with the keyboard: the window and its charts follow.
    expander.locator(SLIDER).get_by_role("slider").press("ArrowLeft")
    earlier = re.compile(r"For (\d{4}-\d{2}-\d{2}) the model read")
    expect(expander.get_by_text(earlier)).not_to_contain_text(day)
    expect(window_chart.locator(".gtitle")).not_to_contain_text(day)
    app.wait_until_drawn()
    expect(heatmaps).to_have_count(5)
    app.assert_layout_fits()
