"""Start-up: from `streamlit run server.py` (what `make run` starts) to the Data page's
chart in headless Chromium, then the Train page usable; and whether the server has
loaded TensorFlow by then.

Chromium (Debian's /usr/bin/chromium, never a browser of Playwright's own) is
started before the server, so its own start is not counted. The clock starts
when the server process is launched.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import REPO
from bench.memory import descendants

# Shared with the browser tests (tests/browser/conftest.py).
CHROMIUM = os.environ.get("RNNSTOCK_CHROMIUM", "/usr/bin/chromium")
# The flags that work on these machines: as root (no sandbox), no GPU, and no
# connections of Chromium's own, which a closed network refuses many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A Plotly chart with its data and a drawn line, not just an empty frame.
CHART_DRAWN_JS = """
() => [...document.querySelectorAll('.js-plotly-plot')].some((plot) =>
  Array.isArray(plot.data) && plot.data.length > 0 &&
  [...plot.querySelectorAll('.scatterlayer .trace path.js-line, .trace path')]
    .some((path) => (path.getAttribute('d') || '').length > 100))
"""
TRAIN_BUTTON = '[data-testid="stMain"] [data-testid="stBaseButton-primary"]'
DATACAMP_BUTTON = re.compile("DataCamp tutorial's LSTM vs GRU")


def streamlit_command(port: int, script: str = "server.py") -> list[str]:
    """`streamlit run server.py` as `make run` starts it (or ``script``), headless, on
    ``port`` of the loopback interface only."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tensorflow_loaded(pid: int) -> bool:
    """Whether the process has TensorFlow's shared libraries mapped (i.e. imported it)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    return "libtensorflow" in maps or "_pywrap_tensorflow" in maps


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def workers_with_tensorflow(server: int, timeout: float) -> dict:
    """Wait for the training workers below the server (the Train page has made the
    JobManager, whose cluster's workers import TensorFlow as they start) to have
    TensorFlow loaded: how many processes below the server have it, and when."""
    started = time.perf_counter()
    expected = int(os.environ.get("RNNSTOCK_WORKERS") or os.cpu_count() or 1)
    while True:
        below = descendants(server)
        loaded = [pid for pid in below if tensorflow_loaded(pid)]
        waited = time.perf_counter() - started
        if len(loaded) >= expected or waited > timeout:
            return {
                "processes_below_server": len(below),
                "workers_with_tensorflow": len(loaded),
                "workers_expected": expected,
                "workers_tensorflow_s_after_train_page": waited if loaded else None,
            }
        time.sleep(0.25)


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 (the server's health check)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """The server and everything it started (its own process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def _server(timeout: float, script: str = "server.py"):
    """`streamlit run` on a free port; yields (process, url, launch time) once it answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cache = tempfile.mkdtemp(prefix="rnnstock-bench-cache-")
    env = dict(os.environ, RNNSTOCK_CACHE_DIR=cache, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            streamlit_command(port, script),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = started + timeout
            while not answers(f"{url}/_stcore/health"):
                if process.poll() is not None or time.perf_counter() > deadline:
                    log.seek(0)
                    raise RuntimeError(
                        "streamlit run did not start:\n"
                        + log.read().decode(errors="replace")[-2000:]
                    )
                time.sleep(0.05)
            yield process, url, started
        finally:
            _stop(process)


def measure_startup(timeout: float = 90.0) -> dict:
    """One cold start of the server, watched from a fresh browser."""
    from playwright.sync_api import sync_playwright

    figures: dict = {"load_before": list(os.getloadavg())}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            with _server(timeout) as (process, url, started):
                figures["server_answers_s"] = time.perf_counter() - started
                page.goto(url)
                # The page's title: the script has run its imports and started drawing.
                page.get_by_test_id("stMain").get_by_role(
                    "heading", name="Data", exact=True
                ).wait_for(timeout=timeout * 1000)
                figures["data_title_s"] = time.perf_counter() - started
                page.wait_for_function(CHART_DRAWN_JS, timeout=timeout * 1000)
                figures["first_chart_s"] = time.perf_counter() - started
                figures["tensorflow_after_data_page"] = tensorflow_loaded(process.pid)
                figures["server_rss_mb_after_data_page"] = rss_mb(process.pid)
                figures["processes_below_server_after_data_page"] = len(descendants(process.pid))

                navigated = time.perf_counter()
                page.goto(f"{url}/train")
                page.locator(TRAIN_BUTTON).first.wait_for(state="visible", timeout=timeout * 1000)
                now = time.perf_counter()
                figures["train_page_usable_s"] = now - started
                figures["train_page_after_navigation_s"] = now - navigated
                figures["tensorflow_after_train_page"] = tensorflow_loaded(process.pid)
                figures["server_rss_mb_after_train_page"] = rss_mb(process.pid)
                figures.update(workers_with_tensorflow(process.pid, timeout))
                # Once the workers have it, the server still has not loaded it.
                figures["tensorflow_in_server_at_end"] = tensorflow_loaded(process.pid)
        finally:
            browser.close()
    figures["load_after"] = list(os.getloadavg())
    return figures


def measure_returning_browser(timeout: float = 90.0) -> dict:
    """A cold server, watched from a browser that has opened the app before.

    The teacher's laptop in the second lesson: the browser profile has
    Streamlit's and Plotly's scripts in its HTTP cache and their compiled code
    in V8's code cache (two earlier visits, to another server run); the
    server is started fresh, as before every class.
    """
    from playwright.sync_api import sync_playwright

    figures: dict = {"load_before": list(os.getloadavg())}
    profile = tempfile.mkdtemp(prefix="rnnstock-bench-profile-")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            page = browser.new_page()
            with _server(timeout) as (_, url, _started):
                for _visit in range(2):  # V8 caches a script's code from its second load on
                    page.goto(url)
                    page.wait_for_function(CHART_DRAWN_JS, timeout=timeout * 1000)
                page.goto("about:blank")
            with _server(timeout) as (_, url, started):
                figures["server_answers_s"] = time.perf_counter() - started
                page.goto(url)
                page.wait_for_function(CHART_DRAWN_JS, timeout=timeout * 1000)
                figures["first_chart_s"] = time.perf_counter() - started
        finally:
            browser.close()
    figures["load_after"] = list(os.getloadavg())
    return figures


def measure_floor(timeout: float = 90.0) -> dict:
    """The first chart's floor on this machine: Streamlit and Plotly alone.

    An app with the Data page's price chart and nothing else (bench/floor_app.py),
    on a server that has already run it once (its imports done, as server.py's
    warm-up does for the dashboard): the server's start-up plus the time from a
    fresh browser tab's navigation to the drawn chart.
    """
    from playwright.sync_api import sync_playwright

    figures: dict = {"load_before": list(os.getloadavg())}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            with _server(timeout, "bench/floor_app.py") as (_, url, started):
                figures["server_answers_s"] = time.perf_counter() - started
                for visit in ("warm-up", "timed"):
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    navigated = time.perf_counter()
                    page.goto(url)
                    page.wait_for_function(CHART_DRAWN_JS, timeout=timeout * 1000)
                    figures[f"{visit}_visit_s"] = time.perf_counter() - navigated
                    context.close()
        finally:
            browser.close()
    figures["first_chart_s"] = figures["server_answers_s"] + figures["timed_visit_s"]
    figures["load_after"] = list(os.getloadavg())
    return figures


def server_import_time() -> dict:
    """What the server imports before its first page: ``python -X importtime`` of app.py's
    imports (the pages' modules included), and whether TensorFlow is among them."""
    code = (
        "import streamlit, rnnstock.web.sidebar, rnnstock.charts, rnnstock.windows;"
        "import rnnstock.web.train;"
        "import sys; print('TF' if 'tensorflow' in sys.modules else 'noTF')"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    top = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line[len("import time:") :].split("|")]
        if len(parts) == 3 and parts[1].isdigit() and not parts[2].startswith(" "):
            top.append((int(parts[1]), parts[2]))
    top.sort(reverse=True)
    return {
        "seconds": seconds,
        "tensorflow_imported": done.stdout.strip().splitlines()[-1:] == ["TF"],
        "slowest_imports_ms": [(name.strip(), us / 1000) for us, name in top[:6]],
    }


def measure_comparison_in_browser(epochs: int, csv: str, timeout: float = 1800.0) -> dict:
    """The Compare page's DataCamp LSTM vs GRU as a teacher runs it, in Chromium.

    `streamlit run server.py` as `make run` starts it; the tutorial's CSV
    uploaded in the sidebar; the Compare page opened, its DataCamp button
    pressed, and then, 3 s later (the teacher reads the settings), Compare.
    ``seconds`` runs from that click until the results' three charts are
    drawn. It includes what the bench's JobManager figure leaves out: the
    page's polling and drawing, in the same 2 cores as the trainings.
    ``server_cpu_s`` is the server process's CPU time over the same span
    (its workers not included).
    """
    from playwright.sync_api import expect, sync_playwright

    figures: dict = {"load_before": list(os.getloadavg())}
    drawn = """() => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length > 0
        && [...document.querySelectorAll('h3')].some((h) => h.textContent.startsWith('Comparison:'))
        && document.querySelectorAll('.js-plotly-plot').length >= 3"""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            with _server(timeout) as (process, url, _started):
                page.goto(url)
                page.wait_for_function(CHART_DRAWN_JS, timeout=timeout * 1000)
                sidebar = page.get_by_test_id("stSidebar")
                sidebar.get_by_text("CSV upload", exact=True).click()
                sidebar.get_by_test_id("stFileUploader").locator(
                    "input[type=file]"
                ).set_input_files(csv)
                expect(sidebar).to_contain_text("trading days", timeout=timeout * 1000)
                page.get_by_test_id("stSidebarNavLink").filter(has_text="Compare").click()
                epochs_field = page.get_by_test_id("stMain").get_by_label("Epochs", exact=True)
                # The page drawn and settled (one Epochs field: while a script reruns,
                # Streamlit can show the old elements beside the new for a while; a
                # click then can be lost, as one in a `make bench` run was).
                expect(epochs_field).to_have_count(1, timeout=60_000)
                for attempt in range(3):
                    page.get_by_role("button", name=DATACAMP_BUTTON).click()
                    try:
                        expect(epochs_field).to_have_count(1, timeout=30_000)
                        expect(epochs_field).to_have_value("50", timeout=15_000)
                        break
                    except AssertionError:
                        if attempt == 2:
                            raise
                if epochs != 50:
                    epochs_field.fill(str(epochs))
                    epochs_field.press("Tab")
                page.wait_for_timeout(3000)
                cpu_before = cpu_seconds(process.pid)
                clicked = time.perf_counter()
                page.locator(TRAIN_BUTTON).click()
                # Checked twice a second: polling on every frame would take CPU from the run.
                page.wait_for_function(drawn, timeout=timeout * 1000, polling=500)
                figures["seconds"] = time.perf_counter() - clicked
                figures["server_cpu_s"] = cpu_seconds(process.pid) - cpu_before
                figures["progress"] = [  # "LSTM(125) + Dense(1) · seed 455: done after 23 s"
                    text
                    for text in page.get_by_test_id("stMain").inner_text().splitlines()
                    if re.search(r": (done|failed|cancelled) after \d+ s$", text)
                ]
        finally:
            browser.close()
    figures["load_after"] = list(os.getloadavg())
    return figures
