"""The Train page's downloads in a real browser: each button gives its file, the row fits a
laptop's width, and the HTML chart and run card draw with no network."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
from playwright.sync_api import Browser, expect

from tests.browser.browsing import PLOTTED_LINE, AppPage

DOWNLOADS = {  # label -> what the file's name ends with
    "Predictions (CSV)": ".csv",
    "Model (.zip)": ".zip",
    "Chart (HTML)": ".html",
    "Card (HTML)": "-card.html",
    "Card (.md)": "-card.md",
}


def button(app: AppPage, label: str):
    return app.main().get_by_role("button", name=label, exact=True)


def drawn_offline(browser: Browser, path: Path) -> list[str]:
    """Open a downloaded HTML file with the network off; the requests it tried to make."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    tried = []
    context.on(
        "request",
        lambda r: None if r.url.startswith(("file:", "data:", "blob:")) else tried.append(r.url),
    )
    errors = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        page.wait_for_function(
            """(selector) => [...document.querySelectorAll(selector)]
                 .filter((line) => (line.getAttribute('d') || '').length > 100).length >= 2""",
            arg=PLOTTED_LINE,
            timeout=30_000,
        )
        page.screenshot(path=path.with_suffix(".png"), full_page=True)
    finally:
        context.close()
    assert not errors, errors
    return tried


def test_every_download_works_and_the_html_ones_draw_offline(
    app: AppPage, browser: Browser, tmp_path: Path
):
    app.open("/train")
    app.fill_settings(units="4", epochs=2, window=10)
    app.start()
    app.wait_for_results("Results: LSTM(4)")
    app.wait_for_charts()
    buttons = app.main().get_by_test_id("stDownloadButton")
    expect(buttons).to_have_count(len(DOWNLOADS))
    row = (
        app.main()
        .get_by_test_id("stHorizontalBlock")
        .filter(has=app.page.get_by_test_id("stDownloadButton"))
        .last
    )
    row.scroll_into_view_if_needed()
    app.snap("downloads")
    app.assert_layout_fits()
    # One line each: a label that wrapped would make its button taller than the others.
    boxes = [button(app, label).bounding_box() for label in DOWNLOADS]
    assert len({round(box["height"]) for box in boxes}) == 1, boxes
    assert len({round(box["y"]) for box in boxes}) == 1, boxes
    row.screenshot(path=app.shot_dir / "download-row-1280.png")

    files = {}
    for label, ending in DOWNLOADS.items():
        with app.page.expect_download() as started:
            button(app, label).click()
        download = started.value
        assert download.suggested_filename.startswith("rnnstock-lstm-"), label
        assert download.suggested_filename.endswith(ending), label
        files[label] = tmp_path / download.suggested_filename
        download.save_as(files[label])
        app.note(f"{label}: {files[label].stat().st_size:,} bytes")

    predictions = pd.read_csv(files["Predictions (CSV)"], index_col="Date")
    assert list(predictions.columns[:2]) == ["actual", "predicted"]
    with zipfile.ZipFile(io.BytesIO(files["Model (.zip)"].read_bytes())) as archive:
        names = {name.split("/", 1)[1] for name in archive.namelist()}
    assert {"model.keras", "scaler.json", "load.py", "README.txt"} <= names
    card = files["Card (.md)"].read_text()
    assert card.startswith("# Run card: LSTM(4) + Dense(1)") and "Fingerprint (sha256)" in card
    for label in ("Chart (HTML)", "Card (HTML)"):
        assert drawn_offline(browser, files[label]) == [], label
    # Worth a look: the offline card as a person opens it at home.
    card_shot = app.shot_dir / "card-offline.png"
    files["Card (HTML)"].with_suffix(".png").replace(card_shot)
    app.shots_taken.append(card_shot)
