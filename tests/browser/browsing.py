"""What the browser tests do to the app: open pages, fill the form, wait, look at the layout,
and take screenshots at a laptop's and a projector's size."""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import REPO

VIEWPORTS = [(1280, 800), (1920, 1080)]  # a laptop, and a classroom projector
SHOTS_TAKEN = pytest.StashKey[list]()
README_SHOTS = REPO / "docs" / "screenshots"
README_VIEWPORT = (1280, 900)
README_SHOT_BYTES = 300_000
TALLEST_SHOT = 6000  # pixels: a full-length screenshot stops there
# Streamlit's first run of a page imports pandas and Plotly: seconds on 2 busy cores.
expect.set_options(timeout=30_000)
TRAINING_TIMEOUT = 180_000  # ms: a tiny model on 2 cores, TensorFlow's start included

CHART = '[data-testid="stPlotlyChart"]'
PLOTTED_LINE = ".js-plotly-plot .scatterlayer .trace path.js-line"
PROGRESS = '[data-testid="stProgress"]'
METRIC = '[data-testid="stMetric"]'
ALERT = '[data-testid="stAlert"]'
ERROR = '[data-testid="stAlertContentError"]'

# Problems a person would see at this size, found in the page itself: a sideways
# scroll, a chart wider than the page, a chart title or legend cut off or on top of
# each other, columns on top of each other, a label or number cut off with an ellipsis.
LAYOUT_PROBLEMS_JS = """
() => {
  const problems = [];
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth)
    problems.push(`the page scrolls sideways (${page.scrollWidth} > ${page.clientWidth} px)`);
  const main = document.querySelector('[data-testid="stMain"]');
  if (main.scrollWidth > main.clientWidth + 1)
    problems.push(`the main area scrolls sideways (${main.scrollWidth} > ${main.clientWidth} px)`);
  const area = main.getBoundingClientRect();
  const right = Math.min(area.right, window.innerWidth);
  const overlap = (a, b) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const named = (element) =>
    (element.querySelector('.gtitle, p, label') || element).textContent.trim().slice(0, 60);
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
    const box = chart.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.left < area.left - 1 || box.right > right + 1)
      problems.push(`chart "${named(chart)}" spans ${box.left}-${box.right}, the page ` +
                    `${area.left}-${right}`);
    const svg = chart.querySelector('svg.main-svg');
    if (!svg) continue;
    const frame = svg.getBoundingClientRect();
    if (frame.right > box.right + 1)
      problems.push(`chart "${named(chart)}" is drawn wider than its frame`);
    // Plotly does not wrap a title or shrink a legend: in a narrow column they run
    // past the chart's edge, or the legend's rows climb over the title.
    const title = chart.querySelector('.gtitle');
    const legend = chart.querySelector('.legend');
    const titleBox = title && title.getBoundingClientRect();
    if (titleBox && (titleBox.right > frame.right + 1 || titleBox.left < frame.left - 1))
      problems.push(`chart title cut off: "${title.textContent}"`);
    if (legend) {
      const legendBox = legend.getBoundingClientRect();
      if (legendBox.right > frame.right + 1)
        problems.push(`chart legend cut off in "${named(chart)}"`);
      if (titleBox && overlap(titleBox, legendBox))
        problems.push(`chart legend over the title in "${named(chart)}"`);
    }
  }
  for (const row of document.querySelectorAll('[data-testid="stHorizontalBlock"]')) {
    const boxes = [...row.children].map((column) => column.getBoundingClientRect())
      .filter((box) => box.width > 0 && box.height > 0);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        if (overlap(boxes[i], boxes[j]))
          problems.push(`columns overlap in a row starting "${named(row)}"`);
      }
  }
  // Streamlit shortens a label or value that does not fit with an ellipsis ("Bidi…").
  const cut = new Set();
  for (const element of document.querySelectorAll('[data-testid="stAppViewContainer"] *')) {
    if (element.scrollWidth <= element.clientWidth + 1 || !element.getClientRects().length)
      continue;
    const style = getComputedStyle(element);
    const text = element.textContent.trim();
    if (text && style.textOverflow === 'ellipsis' && style.overflowX !== 'visible')
      cut.add(text.slice(0, 60));
  }
  for (const text of cut) problems.push(`text cut off: "${text}"`);
  return problems;
}
"""

FULL_HEIGHT_JS = """
() => Math.max(...['stMain', 'stSidebarContent'].map((id) => {
  const element = document.querySelector(`[data-testid="${id}"]`);
  return element ? element.scrollHeight : 0;
}))
"""


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in (
        "127.0.0.1",
        "localhost",
    )


@dataclass
class AppPage:
    """One browser session on the app, and where its screenshots go."""

    page: Page
    url: str
    shot_dir: Path
    shots_taken: list[Path] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    # Layout problems by screenshot; checked at the end of a test, so that a cut-off
    # label does not hide whether the rest of the flow works.
    layout: dict[str, list[str]] = field(default_factory=dict)
    layout_checked: bool = False

    def note(self, what: str) -> None:
        """A timeline on stdout: pytest shows it when a test fails."""
        print(f"{time.monotonic() - self.started:7.1f} s  {what}")

    # -- moving around --------------------------------------------------------------

    def open(self, path: str = "/") -> AppPage:
        self.note(f"open {path}")
        self.page.goto(self.url + path)
        expect(self.page.get_by_test_id("stSidebarNav")).to_be_visible()
        return self

    def go_to(self, title: str) -> None:
        """Click a page in the sidebar, as a person would (the session stays)."""
        self.page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
        expect(self.main().get_by_role("heading", name=title, exact=True)).to_be_visible()

    def open_tab(self, label: str) -> None:
        """Click a tab of the page, as a person would; its content is drawn on the click."""
        tab = self.main().get_by_role("tab", name=label, exact=True)
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        self.wait_until_drawn()

    def sidebar(self) -> Locator:
        return self.page.get_by_test_id("stSidebar")

    def main(self) -> Locator:
        return self.page.get_by_test_id("stMain")

    # -- what is drawn ---------------------------------------------------------------

    def wait_for_charts(self, count: int = 1, timeout: float = 60_000) -> None:
        """At least ``count`` Plotly charts with a drawn line (not just an empty frame)."""
        self.page.wait_for_function(
            """([selector, count]) => [...document.querySelectorAll(selector)]
                 .filter((path) => (path.getAttribute('d') || '').length > 100).length >= count""",
            arg=[PLOTTED_LINE, count],
            timeout=timeout,
        )

    def wait_until_drawn(self, timeout: float = 30_000) -> None:
        """Until the script has stopped running and no element is still a placeholder.

        Pages that poll a training (a fragment every second) are never idle for
        long, so this waits for one quiet moment, not for silence.
        """
        self.page.wait_for_function(
            """() => !document.querySelector(
                   '[data-testid="stStatusWidget"], [data-testid="stSkeleton"],'
                   + ' [data-stale="true"]')""",
            timeout=timeout,
            polling=100,
        )

    def legend(self) -> list[str]:
        return self.page.locator(".js-plotly-plot .legendtext").all_text_contents()

    def layout_problems(self) -> list[str]:
        return self.page.evaluate(LAYOUT_PROBLEMS_JS)

    # -- the Train and Compare pages ---------------------------------------------------

    def fill_settings(
        self,
        *,
        units: str = "4",
        epochs: int = 3,
        window: int = 10,
        batch_size: int = 256,
        learning_rate: float = 0.01,
    ) -> None:
        """A tiny model in the page's settings (not yet started).

        A large batch keeps an epoch of the 7,983-day sample to about a second, and
        a larger learning rate gets a fit worth a screenshot out of 2 or 3 epochs.
        """
        for label, value in (
            ("Window (days of history per prediction)", window),
            ("Units per recurrent layer", units),
            ("Learning rate", learning_rate),
            ("Epochs", epochs),
            ("Batch size", batch_size),
        ):
            self.set_field(label, value)

    def set_field(self, label: str, value: object) -> None:
        """Type into a field as a person does: select it, type, leave it (Tab)."""
        field_ = self.field(label)
        field_.fill(str(value))
        field_.press("Tab")
        # The rerun the edit starts: a person does not click the next thing within
        # a blink, and a click during Streamlit's rerun can be lost.
        self.page.wait_for_timeout(400)
        self.wait_until_drawn()

    def field(self, label: str) -> Locator:
        """The page's one field with this label (once the last page's copy is gone:
        Streamlit keeps the old page's elements until the new page's run replaces them)."""
        field_ = self.main().get_by_label(label, exact=True)
        expect(field_).to_have_count(1)
        return field_

    def field_value(self, label: str) -> str:
        return self.field(label).input_value()

    def start(self, button: str = "Train") -> None:
        """The page's primary button: Train, Compare, ..."""
        self.main().get_by_role("button", name=button, exact=True).click()

    def wait_for_progress(self) -> Locator:
        bar = self.page.locator(PROGRESS)
        expect(bar).to_be_visible(timeout=TRAINING_TIMEOUT)
        expect(bar).to_contain_text(re.compile(r"epoch \d+ of \d+", re.IGNORECASE))
        self.note(f"progress: {bar.inner_text()}")
        return bar

    def wait_for_results(self, title_start: str = "Results:") -> None:
        heading = self.page.get_by_role("heading", name=re.compile("^" + re.escape(title_start)))
        expect(heading).to_be_visible(timeout=TRAINING_TIMEOUT)
        expect(self.page.locator(METRIC).first).to_be_visible()
        self.note("results")

    # -- screenshots -----------------------------------------------------------------

    def snap(
        self, name: str, *, readme: str | None = None, readme_from: Locator | None = None
    ) -> None:
        """Look for layout problems and save screenshots at each viewport size.

        For each size: ``NAME-WxH.png`` (what a person sees first) and
        ``NAME-WxH-full.png`` (the whole page: Streamlit scrolls an inner
        container, so the viewport is made as tall as the content). With
        RNNSTOCK_UPDATE_SCREENSHOTS=1, ``readme`` is also written to
        docs/screenshots/: the page at README_VIEWPORT, scrolled to ``readme_from``.
        """
        self.note(f"screenshots: {name}")
        for width, height in VIEWPORTS:
            self._resize(width, height)
            self.wait_until_drawn()
            found = self.layout_problems()
            if found:
                self.layout[f"{name} at {width}x{height}"] = found
            self._save(f"{name}-{width}x{height}.png")
            full_height = min(max(self.page.evaluate(FULL_HEIGHT_JS), height), TALLEST_SHOT)
            self._resize(width, full_height)
            self._save(f"{name}-{width}x{height}-full.png")
        if readme and os.environ.get("RNNSTOCK_UPDATE_SCREENSHOTS") == "1":
            self._resize(*README_VIEWPORT)
            if readme_from is not None:
                readme_from.evaluate("element => element.scrollIntoView({block: 'start'})")
                self.page.wait_for_timeout(300)
            save_for_readme(self._save(f"{name}-readme.png"), README_SHOTS / readme)
        self._resize(*VIEWPORTS[0])

    def assert_layout_fits(self) -> None:
        """Nothing cut off or overlapping in any screenshot this test took."""
        self.layout_checked = True
        problems = "\n".join(f"  {shot}: {'; '.join(found)}" for shot, found in self.layout.items())
        assert not problems, f"layout problems (see {self.shot_dir}):\n{problems}"

    def _resize(self, width: int, height: int) -> None:
        size = self.page.viewport_size
        if size != {"width": width, "height": height}:
            self.page.set_viewport_size({"width": width, "height": height})
            # Plotly redraws charts after a short debounce when the page gets wider or
            # narrower; a taller page (the full-length shot) changes no width to redraw for.
            if size is None or size["width"] != width:
                self.page.wait_for_timeout(600)
        # The pointer in an empty corner: no hover effects (Plotly's toolbar) in the picture.
        self.page.mouse.move(width - 2, height - 2)

    def _save(self, filename: str) -> Path:
        self.shot_dir.mkdir(parents=True, exist_ok=True)
        path = self.shot_dir / filename
        self.page.screenshot(path=path, animations="disabled", caret="initial")
        self.shots_taken.append(path)
        return path


def save_for_readme(source: Path, target: Path) -> None:
    """A small PNG for the README: the screenshot in 256 colours, with Pillow (which
    Streamlit already needs); flat UI colours survive that unchanged."""
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            target, optimize=True
        )
    size = target.stat().st_size
    assert size < README_SHOT_BYTES, f"{target} is {size:,} bytes; keep README pictures small"


@contextlib.contextmanager
def student(request, browser, server, screenshot_dir, *, name: str = "", check_layout=True):
    """A fresh browser session on the app (a new context is a new Streamlit session and
    cookie: another student). Fails on a JavaScript error in the page, a request that
    leaves this machine (the app must work offline), and, with ``check_layout``, a
    layout problem no test looked at."""
    width, height = VIEWPORTS[0]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    outside, page_errors = [], []
    context.on("request", lambda r: None if is_local(r.url) else outside.append(r.url))
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    app_page = AppPage(
        page,
        server,
        screenshot_dir / (request.node.name + name),
        request.config.stash[SHOTS_TAKEN],
    )
    try:
        yield app_page
    finally:
        context.close()
    if check_layout and not app_page.layout_checked:  # a test that ended early, or forgot
        app_page.assert_layout_fits()
    assert not outside, f"the page reached outside this machine: {outside[:5]}"
    assert not page_errors, f"JavaScript errors in the page: {page_errors[:5]}"
