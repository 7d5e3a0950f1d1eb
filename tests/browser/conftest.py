"""The dashboard in a real browser: `streamlit run server.py` on a loopback port, driven
by Playwright in Debian's Chromium (never a browser of Playwright's own).

One server serves the whole session (its worker process loads TensorFlow once);
every test opens its own browser context, which is a fresh Streamlit session.
Screenshots go to ``browser-screenshots/`` (or ``$RNNSTOCK_SCREENSHOT_DIR``), and
the run names that folder at the end. ``RNNSTOCK_UPDATE_SCREENSHOTS=1`` also
refreshes the README's pictures in ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

try:
    from tests.browser import browsing
except ModuleNotFoundError as missing:  # a failure, never a skip
    raise ImportError(
        f"the browser tests need Playwright for Python ({missing}); `make test` installs it"
        " from requirements-dev.txt"
    ) from missing
from bench.startup import CHROMIUM, CHROMIUM_ARGS, answers, free_port, streamlit_command
from rnnstock.config import MISTAKES_TINY
from tests.conftest import REPO

SCREENSHOT_DIR = Path(os.environ.get("RNNSTOCK_SCREENSHOT_DIR") or REPO / "browser-screenshots")
SERVER_START_TIMEOUT = 60.0


def pytest_configure(config):
    config.stash[browsing.SHOTS_TAKEN] = []


def pytest_terminal_summary(terminalreporter, config):
    shots = config.stash.get(browsing.SHOTS_TAKEN, [])
    if not shots:
        return
    terminalreporter.section("browser screenshots")
    terminalreporter.write_line(f"{len(shots)} screenshots in {SCREENSHOT_DIR}")
    log = SCREENSHOT_DIR / "streamlit-server.log"
    if log.exists():
        terminalreporter.write_line(f"the Streamlit server's log: {log}")


# -- the server -------------------------------------------------------------------------


def _group_members(group: int) -> list[str]:
    """Live (not zombie) processes of a process group, as 'pid name' lines."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name_end = text.rfind(")")
        fields = text[name_end + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state not in ("Z", "X"):
            members.append(f"{stat.parent.name} {text[text.find('(') + 1 : name_end]}")
    return members


def _stop_group(group: int, leader: subprocess.Popen) -> list[str]:
    """Stop the server, its job-pool workers and the multiprocessing manager."""
    for sig, patience in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            if leader.poll() is not None and not _group_members(group):
                return []
            time.sleep(0.1)
    leader.wait(timeout=5)
    return _group_members(group)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    if SCREENSHOT_DIR.exists():
        shutil.rmtree(SCREENSHOT_DIR)
    SCREENSHOT_DIR.mkdir(parents=True)
    return SCREENSHOT_DIR


@pytest.fixture(scope="session")
def server(tmp_path_factory, screenshot_dir) -> str:
    """`streamlit run server.py` as `make run` starts it, headless on a free loopback port."""
    port = free_port()
    env = dict(
        os.environ,
        RNNSTOCK_CACHE_DIR=str(tmp_path_factory.mktemp("server-cache")),
        RNNSTOCK_WORKERS="1",  # one trainer: TensorFlow loads once, the tests' runs queue
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONUNBUFFERED="1",
        # The Mistakes page trains tiny models (a few units, 2 epochs; rnnstock.mistakes):
        # ten trainings in seconds each, not the tutorials' minutes. No other page reads it.
        **{MISTAKES_TINY: "1"},
    )
    command = streamlit_command(port)
    log_path = screenshot_dir / "streamlit-server.log"
    with open(log_path, "w") as log:
        # Its own process group, so that one signal reaches every process it starts.
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not answers(f"{url}/_stcore/health"):
            if process.poll() is not None:
                pytest.fail(
                    f"streamlit run exited ({process.returncode}):\n" + log_path.read_text()[-3000:]
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit run did not answer within {SERVER_START_TIMEOUT:.0f} s:\n"
                    + log_path.read_text()[-3000:]
                )
            time.sleep(0.2)
        yield url
    finally:
        left = _stop_group(process.pid, process)
    assert not left, f"processes left behind by the Streamlit server: {left}"


# -- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless; a missing Chromium is a failure, not a skip."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
            " (apt-get install chromium); the browser tests need it."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def app(request, browser, server, screenshot_dir) -> browsing.AppPage:
    """A fresh browser session on the app (see ``student``)."""
    with browsing.student(request, browser, server, screenshot_dir) as app_page:
        yield app_page
