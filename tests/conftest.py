"""Shared fixtures. Every test runs offline: a guard refuses any connection
that leaves this machine, so a test that would reach Yahoo fails loudly."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

REPO = Path(__file__).resolve().parents[1]
MASTERCARD_CSV = REPO.parent / "shared" / "data" / "Mastercard_stock_history.csv"

_real_connect = socket.socket.connect


def _is_local(address) -> bool:
    if isinstance(address, str | bytes):  # a Unix socket path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path_factory):
    """No network, and a private cache folder per test session."""

    def guarded_connect(self, address):
        if not _is_local(address):
            raise OSError(f"tests are offline: refused a connection to {address!r}")
        return _real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setenv("RNNSTOCK_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def make_prices(days: int = 300, *, start: str = "2015-01-01", seed: int = 0) -> pd.DataFrame:
    """A deterministic random-walk OHLCV frame on business days."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=days, name="Date")
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    open_ = close * (1 + rng.normal(0, 0.002, days))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.004, days)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.004, days)))
    volume = rng.integers(1_000_000, 5_000_000, days).astype("float64")
    return pd.DataFrame(
        {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": volume}, index=dates
    )


@pytest.fixture
def prices() -> pd.DataFrame:
    return make_prices()


@pytest.fixture(scope="session")
def mastercard() -> pd.DataFrame:
    """The DataCamp tutorial's CSV from ../shared/data, read by rnnstock's own loader."""
    if not MASTERCARD_CSV.exists():
        pytest.skip(f"{MASTERCARD_CSV} is not here (it lives in the shared folder beside the repo)")
    from rnnstock.data import read_price_csv

    return read_price_csv(MASTERCARD_CSV)


def assert_not_imported(script: str, modules=("tensorflow", "keras")) -> None:
    """Run ``script`` in a fresh interpreter and check none of ``modules`` got imported."""
    check = (
        f"heavy = [m for m in {tuple(modules)!r} if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; {script}; {check}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- two processes (pytest-xdist, `-n 2` in pyproject.toml) ------------------------------
# A file runs in one process, so its module fixtures (a cluster, a lab) start once, and the
# browser tests run in one process, as they share one Streamlit server. The longest of these
# units start first, so that neither process is left with a long one at the end.
LONGEST_FIRST = (
    "tests/browser",
    "tests/test_jobs.py",
    "tests/test_walk.py",
    "tests/test_cluster_start.py",
    "tests/test_mistakes.py",
    "tests/test_app.py",
    "tests/test_pages.py",
    "tests/test_data_fuzz.py",
)


def _unit(nodeid: str) -> str:
    """The share of work one process runs: the browser tests, or else a file."""
    path = nodeid.split("::", 1)[0]
    return "tests/browser" if path.startswith("tests/browser/") else path


def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the longest units first
        rank = {unit: place for place, unit in enumerate(LONGEST_FIRST)}
        items.sort(key=lambda item: rank.get(_unit(item.nodeid), len(rank)))


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    config.option.loadscopereorder = False  # keep the order above
    return ByUnit(config, log)
