"""The dashboard, driven headless with Streamlit's AppTest (no browser, no network)."""

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import MASTERCARD_CSV, REPO


@pytest.fixture
def app():
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=60)


def test_the_data_page_opens_on_an_offline_sample(app):
    app.run()
    assert not app.exception
    assert app.sidebar.radio(key="data_source").value == "sample"
    assert app.sidebar.selectbox(key="sample_name").value == "msft"
    charts = app.get("plotly_chart")
    assert len(charts) == 2  # the price history and the split preview
    assert "Microsoft" in charts[0].proto.spec
    assert "Train (before" in charts[1].proto.spec
    metrics = {m.label: m.value for m in app.metric}
    total = int(metrics["Training days"].replace(",", "")) + int(
        metrics["Test days"].replace(",", "")
    )
    assert total == 7983  # every day of the MSFT sample is in one period or the other


# Under st.navigation, AppTest's reruns skip the entry script (a real browser does
# not), so each sidebar choice starts a fresh AppTest with that choice preset.


def open_app(**state) -> AppTest:
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


@pytest.mark.parametrize(("name", "title"), [("msft", "Microsoft"), ("sp500", "S&P 500"),
                                             ("nasdaq", "NASDAQ")])
def test_every_sample_can_be_picked(name, title):
    app = open_app(sample_name=name)
    assert not app.exception and not app.error
    charts = app.get("plotly_chart")
    assert len(charts) == 2
    assert title in charts[0].proto.spec


def test_the_split_preview_follows_the_settings(app):
    app.run()
    app.slider(key="train_fraction").set_value(0.5).run()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Training days"] == f"{int(7983 * 0.5):,}"
    app.number_input(key="window").set_value(499).run()
    app.slider(key="train_fraction").set_value(0.5).run()
    assert not app.exception


def test_a_window_longer_than_the_training_data_is_an_error_not_a_crash():
    app = open_app(sample_name="sp500")
    app.radio(key="split_mode").set_value("dates").run()
    app.date_input(key="train_end").set_value("1999-03-01").run()
    assert not app.exception
    assert any("window" in e.value for e in app.error)


def test_a_broken_csv_upload_shows_a_message():
    """The uploader itself needs a browser; here the loader the sidebar calls is checked."""
    from rnnstock.data import DataError
    from rnnstock.ui import cached_csv

    with pytest.raises(DataError, match=r"broken\.csv, there is no price column"):
        cached_csv.__wrapped__(b"day,price\n1,2\n", "broken.csv")
    if MASTERCARD_CSV.exists():
        prices = cached_csv.__wrapped__(MASTERCARD_CSV.read_bytes(), MASTERCARD_CSV.name)
        assert len(prices) == 3872


def test_the_first_page_renders_without_tensorflow():
    script = (
        "import sys;"
        "from streamlit.testing.v1 import AppTest;"
        f"app = AppTest.from_file({str(REPO / 'app.py')!r}, default_timeout=60).run();"
        "assert not app.exception, app.exception;"
        "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules);"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
