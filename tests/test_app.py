"""The dashboard, driven headless with Streamlit's AppTest (no browser, no network)."""

import re
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from rnnstock.web import state
from rnnstock.web.pages import TRAIN
from tests.conftest import MASTERCARD_CSV, REPO, assert_not_imported


@pytest.fixture
def app():
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=60)


def plain(text: str) -> str:
    """A message as the browser shows it: outside text is escaped for Markdown (a\\.b)."""
    return re.sub(r"\\(.)", r"\1", text)


def said(elements) -> list[str]:
    """What a list of messages (errors, warnings, ...) says, as the browser shows it."""
    return [plain(element.value) for element in elements]


SPLIT_TAB = {state.DATA_TAB: "Train / test split"}


def open_tab(app: AppTest, label: str) -> AppTest:
    """Click a tab of the Data page (only the open one is drawn)."""
    app.session_state[state.DATA_TAB] = label
    return app.run()


def test_the_data_page_opens_on_an_offline_sample(app):
    app.run()
    assert not app.exception
    assert app.sidebar.radio(key=state.DATA_SOURCE).value == "sample"
    assert app.sidebar.selectbox(key=state.SAMPLE_NAME).value == "msft"
    assert [tab.label for tab in app.tabs] == ["Price history", "Train / test split", "Statistics"]
    # Only the open tab is drawn: the first view is the price history alone.
    [history] = app.get("plotly_chart")
    assert "Microsoft" in history.proto.spec
    assert not app.metric and not app.table

    open_tab(app, "Train / test split")
    [split] = app.get("plotly_chart")
    assert "Train (before" in split.proto.spec
    metrics = {m.label: m.value for m in app.metric}
    total = int(metrics["Training days"].replace(",", "")) + int(
        metrics["Test days"].replace(",", "")
    )
    assert total == 7983  # every day of the MSFT sample is in one period or the other

    open_tab(app, "Statistics")
    assert not app.get("plotly_chart")
    stats, missing = app.table
    assert list(stats.value.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert (missing.value["missing"] == 0).all()


def test_summary_statistics_read_as_prices_and_whole_counts():
    from rnnstock.data import load_sample
    from rnnstock.web.data import summary_statistics

    shown = summary_statistics(load_sample("msft")).to_string().splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in shown[1:]}
    assert rows["count"] == ["7,983"] * 5
    assert rows["max"] == ["84.77", "86.20", "84.08", "84.56", "1,371,330,506"]


# Each sidebar choice starts a fresh app with that choice already in session state.


def open_app(settings: dict | None = None, **session) -> AppTest:
    """A fresh app with ``session`` keys (the sidebar's, the Data page's tab) and
    ``settings`` in the settings store (shared ones bare, others as "train.units")."""
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    for key, value in session.items():
        app.session_state[key] = value
    if settings:
        app.session_state[state.STORE] = dict(settings)
    return app.run()


@pytest.mark.parametrize(
    ("name", "title"), [("msft", "Microsoft"), ("sp500", "S&P 500"), ("nasdaq", "NASDAQ")]
)
def test_every_sample_can_be_picked(name, title):
    app = open_app(sample_name=name)
    assert not app.exception and not app.error
    [history] = app.get("plotly_chart")
    assert title in history.proto.spec


def test_the_split_preview_follows_the_settings():
    app = open_app(**SPLIT_TAB)
    app.slider(key="data.train_fraction").set_value(0.5).run()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Training days"] == f"{int(7983 * 0.5):,}"
    app.number_input(key="data.window").set_value(499).run()
    app.slider(key="data.train_fraction").set_value(0.5).run()
    assert not app.exception and not app.error
    assert app.number_input(key="data.window").value == 499


def test_a_window_longer_than_the_training_data_is_an_error_not_a_crash():
    app = open_app(sample_name="sp500", **SPLIT_TAB)
    app.radio(key="data.split_mode").set_value("dates").run()
    app.date_input(key="data.train_end").set_value("1999-03-01").run()
    assert not app.exception
    assert any("window" in e for e in said(app.error))


def messy_csv(days: int = 300) -> bytes:
    """As spreadsheets export prices: M/D/YYYY dates, quoted thousands, a trailing comma."""
    lines = ["Date,Open,High,Low,Close,Volume,"]
    for i, day in enumerate(pd.bdate_range("2020-01-02", periods=days)):
        price = 1200 + i
        lines.append(
            f'{day.month}/{day.day}/{day.year},"{price:,.2f}","{price + 5:,.2f}",'
            f'"{price - 5:,.2f}","{price + 1:,.2f}","2,500,000",'
        )
    return "\n".join(lines).encode()


def sidebar_caption(app: AppTest) -> str:
    """The data's description, its line breaks and no-break spaces read as spaces."""
    return re.sub(r"\s+", " ", app.sidebar.caption[0].value)


def upload(app: AppTest, name: str, content: bytes) -> AppTest:
    app.sidebar.file_uploader(key=state.CSV_UPLOAD).upload(name, content, "text/csv")
    return app.run()


def test_a_messy_csv_upload_is_read():
    app = open_app(data_source="csv")
    app = upload(app, "messy.csv", messy_csv())
    assert not app.exception and not app.error
    assert sidebar_caption(app).startswith("300 trading days 2020-01-02 to ")
    assert "messy.csv" in app.get("plotly_chart")[0].proto.spec


def test_a_broken_csv_upload_shows_a_message():
    app = upload(open_app(data_source="csv"), "broken.csv", b"day,amount\n1,2\n")
    assert not app.exception
    assert any("broken.csv" in e and "price column" in e for e in said(app.main.error))
    assert not app.get("plotly_chart")


@pytest.mark.skipif(not MASTERCARD_CSV.exists(), reason="the shared folder is not beside the repo")
def test_the_tutorials_csv_uploads_as_it_is():
    app = upload(open_app(data_source="csv"), MASTERCARD_CSV.name, MASTERCARD_CSV.read_bytes())
    assert not app.exception and not app.error
    assert sidebar_caption(app).startswith("3,872 trading days 2006-05-25 to ")


def _yahoo_saying(error: Exception, calls: list[str]):
    def fetcher(ticker: str, **_):
        calls.append(ticker)
        raise error

    return fetcher


class YFRateLimitError(Exception):
    """Named as yfinance names it; rnnstock recognises the failure by that name."""


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (YFRateLimitError("Too Many Requests. Rate limited."), "rate-limiting"),
        (ConnectionError("Failed to resolve query2.finance.yahoo.com"), "could not be reached"),
        (TimeoutError("timed out"), "did not answer in time"),
    ],
)
def test_a_failed_ticker_download_explains_itself_and_offers_the_sample(monkeypatch, error, says):
    calls: list[str] = []
    monkeypatch.setattr("rnnstock.data.yahoo_fetcher", _yahoo_saying(error, calls))
    app = open_app(data_source="ticker", ticker="ZZTEST")
    assert not app.exception
    assert any(says in e and "offline sample" in e for e in said(app.main.error))
    assert any("ZZTEST could not be loaded" in e for e in said(app.sidebar.error))
    assert not app.get("plotly_chart")
    # Touching the page does not hammer a service that just said no...
    app.run()
    assert calls == ["ZZTEST"]
    # ...until the user asks to try again.
    app.sidebar.button(key=state.RETRY_TICKER).click().run()
    assert calls == ["ZZTEST", "ZZTEST"]
    # One click brings the class back to working data.
    next(b for b in app.main.button if "offline sample" in b.label).click().run()
    assert not app.exception and not app.error
    assert app.sidebar.radio(key=state.DATA_SOURCE).value == "sample"
    assert "Microsoft" in app.get("plotly_chart")[0].proto.spec


def test_an_unknown_ticker_says_to_check_the_symbol(monkeypatch):
    calls: list[str] = []
    missing = type("YFTickerMissingError", (Exception,), {})("possibly delisted")
    monkeypatch.setattr("rnnstock.data.yahoo_fetcher", _yahoo_saying(missing, calls))
    app = open_app(data_source="ticker", ticker="MSFTT")
    assert not app.exception
    assert any('no daily prices for "MSFTT"' in e for e in said(app.main.error))


def test_a_ticker_download_feeds_the_pages(monkeypatch):
    from tests.conftest import make_prices

    monkeypatch.setattr("rnnstock.data.yahoo_fetcher", lambda ticker, **_: make_prices(400))
    app = open_app(data_source="ticker", ticker="abc")
    assert not app.exception and not app.error
    assert "ABC" in app.get("plotly_chart")[0].proto.spec
    assert "400 trading days" in sidebar_caption(app)


WITHOUT_SCIKIT_LEARN = ("tensorflow", "keras", "sklearn")


def test_the_data_and_train_pages_render_without_tensorflow_or_scikit_learn():
    """The first chart and the Train page never wait for TensorFlow, nor scikit-learn (~1 s)."""
    assert_not_imported(
        "from streamlit.testing.v1 import AppTest;"
        f"app = AppTest.from_file({str(REPO / 'app.py')!r}, default_timeout=60).run();"
        "assert not app.exception, app.exception;"
        f"app = app.switch_page({TRAIN.path!r}).run();"
        "assert not app.exception, app.exception;"
        "assert not app.button(key='train.start').disabled",
        WITHOUT_SCIKIT_LEARN,
    )


def test_the_first_chart_starts_no_cluster():
    """Issue 6's decision (a): the Data page's first chart never waits for the trainers:
    Dask is not even imported (test_jobs checks that the workers import TensorFlow as the
    cluster starts, and the server never does)."""
    assert_not_imported(
        "from streamlit.testing.v1 import AppTest;"
        f"app = AppTest.from_file({str(REPO / 'app.py')!r}, default_timeout=60).run();"
        "assert app.get('plotly_chart'), 'no chart';"
        "assert 'distributed' not in sys.modules, 'Dask before the first chart'",
        ("distributed", *WITHOUT_SCIKIT_LEARN),
    )


def test_the_servers_warm_up_loads_the_first_page_without_tensorflow_or_scikit_learn():
    """server.py readies the first page while the browser loads; it must not load TF."""
    assert_not_imported(
        "from rnnstock.web.warmup import warm_up; warm_up();"
        "assert 'plotly.graph_objs' in sys.modules and 'rnnstock.web.train' in sys.modules",
        WITHOUT_SCIKIT_LEARN,
    )


# -- the Train page -------------------------------------------------------------------


def open_train_page(settings: dict | None = None, **session) -> AppTest:
    app = open_app(settings, **session)
    return app.switch_page(TRAIN.path).run()


def shown_job_ids(app: AppTest, page: str = TRAIN.url) -> list[str]:
    """The jobs ``page`` shows this session (AppTest sends no cookie: the owner is the session)."""
    from rnnstock.web.runs import owners

    return list(owners().of(app.session_state[state.OWNER]).shown.get(page, []))


def wait_for_job(app: AppTest, timeout: float = 180) -> AppTest:
    """Rerun the page as the progress fragment would, until the job has finished."""
    from rnnstock.web.runs import job_manager

    [job_id] = shown_job_ids(app)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.run()
        assert not app.exception, app.exception
        if job_manager().job(job_id).done:
            return app.run()
        time.sleep(0.5)
    raise AssertionError("the training job did not finish in time")


def set_tiny_model(app: AppTest, **overrides) -> AppTest:
    settings = {"units": "4", "epochs": 2, "window": 10, **overrides}
    app.text_input(key="train.units").set_value(settings["units"])
    app.number_input(key="train.epochs").set_value(settings["epochs"])
    app.number_input(key="train.window").set_value(settings["window"])
    return app


def train_button(app: AppTest):
    return app.button(key="train.start")


def submit(app: AppTest) -> AppTest:
    return train_button(app).click().run()


def test_a_tiny_model_trains_in_the_background_and_shows_its_results():
    app = submit(set_tiny_model(open_train_page()).run())
    assert not app.exception
    app = wait_for_job(app)
    assert any(s.value.startswith("Results: LSTM(4)") for s in app.subheader)
    charts = [c.proto.spec for c in app.get("plotly_chart")]
    prediction = next(spec for spec in charts if '"Predicted (LSTM)"' in spec)
    assert '"Real"' in prediction
    assert {m.label for m in app.metric} >= {"RMSE", "MAE", "MAPE %", "R²"}
    verdict = [*app.success, *app.warning]
    assert any('"tomorrow = today"' in v.value for v in verdict)
    assert any(s.value == "Your runs" for s in app.subheader)
    runs = app.dataframe[-1].value
    assert list(runs.columns) == [
        "status",
        "model",
        "data",
        "window",
        "epochs",
        "RMSE",
        "persistence RMSE",
        "skill",
    ]
    assert len(runs) == 1 and re.fullmatch(r"done after \d+ s", runs["status"].iloc[0])
    assert runs["model"].iloc[0].startswith("LSTM(4)") and runs["window"].iloc[0] == 10
    assert runs["epochs"].iloc[0] == 2 and runs["RMSE"].iloc[0] > 0


class FakeQueue:
    """What ``status_line`` asks the job manager: the queue and how many train now."""

    workers = 2

    def __init__(self, place: int | None = None, running: int = 0, ready: bool = True) -> None:
        self.place, self._running, self.ready = place, running, ready

    def queue_position(self, job) -> int | None:
        return self.place

    def running(self) -> int:
        return self._running


def test_the_runs_table_says_how_far_a_training_is():
    from rnnstock.jobs import DONE, RUNNING, Job
    from rnnstock.training import EpochProgress
    from rnnstock.web.runs import status_line
    from tests.test_experiment import TINY

    job = Job(id="job-1", spec=TINY, label="tiny")
    assert status_line(job, FakeQueue(place=3, running=2)) == (
        "waiting: place 3 in the queue (2 train at once here)"
    )
    assert status_line(job, FakeQueue(ready=False)).startswith("starting the trainers")
    assert status_line(job, FakeQueue()) == "joining the queue"  # the scheduler has yet to say
    job.assigned = True  # a worker took it: it waits only for that worker to get ready
    assert status_line(job, FakeQueue()).startswith("starting a trainer")
    assert status_line(job, FakeQueue(place=None), short=True) == "starting"
    job.status = RUNNING
    job.started = time.time() - 4
    assert status_line(job, FakeQueue()) == f"epoch 0 of {TINY.train.epochs}"
    job.progress.append(
        EpochProgress(epoch=1, epochs=2, loss=0.1, val_loss=None, seconds=4.0, elapsed=4.0)
    )
    assert re.fullmatch(
        rf"epoch 1 of {TINY.train.epochs} · loss 1\.00e-01 · [45] s · about 4 s left",
        status_line(job, FakeQueue()),
    )
    job.status = DONE
    job.finished = job.started + 12
    assert status_line(job, FakeQueue()) == "done after 12 s"


def test_a_preset_fills_the_settings():
    app = open_train_page()
    app.selectbox(key="train.preset").select("datacamp-gru").run()
    assert app.selectbox(key="train.cell").value == "GRU"
    assert app.text_input(key="train.units").value == "125"
    assert app.number_input(key="train.epochs").value == 50
    assert app.selectbox(key="train.optimizer").value == "rmsprop"
    assert app.number_input(key="train.window").value == 60
    assert app.selectbox(key="train.target").value == "High"
    assert any("5.5" in i.value for i in app.info)


def test_bad_settings_show_a_message_not_a_traceback():
    app = set_tiny_model(open_train_page(), units="fifty").run()
    assert not app.exception
    assert any("whole number" in e for e in said(app.error))
    assert train_button(app).disabled and not shown_job_ids(app)


def test_an_out_of_range_number_says_the_range_and_starts_nothing():
    app = set_tiny_model(open_train_page(), epochs=0).run()
    assert not app.exception
    errors = said(app.error)
    assert any("The number of epochs must be from 1 to 1,000, not 0." in e for e in errors), errors
    assert train_button(app).disabled
    app.number_input(key="train.epochs").set_value(2).run()
    assert not app.error and not train_button(app).disabled


def test_a_worker_killed_mid_training_shows_why_and_the_next_training_works():
    """kill -9 of the worker process training a page's model (out of memory, say): the
    page says what happened in plain words, keeps the settings, and trains again."""
    import os
    import signal

    from rnnstock.jobs import LOST_WORKER
    from rnnstock.web.runs import job_manager

    app = submit(set_tiny_model(open_train_page(), epochs=500).run())
    [job_id] = shown_job_ids(app)
    job = job_manager().job(job_id)
    deadline = time.monotonic() + 120
    while not (job.progress and job.worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    pid = job_manager().client().run(os.getpid, workers=[job.worker])[job.worker]
    os.kill(pid, signal.SIGKILL)
    app = wait_for_job(app)
    assert job.status == "failed"
    assert LOST_WORKER in said(app.error), said(app.error)
    assert app.number_input(key="train.epochs").value == 500  # the settings stay
    app = submit(set_tiny_model(app).run())
    app = wait_for_job(app)
    assert any(s.value.startswith("Results: LSTM(4)") for s in app.subheader)


def test_a_split_that_cannot_train_says_why_before_anything_trains():
    app = open_train_page()
    app.radio(key="train.split_mode").set_value("dates").run()
    app = set_tiny_model(app, window=400)
    app.date_input(key="train.train_start").set_value("2017-01-01")
    app.date_input(key="train.train_end").set_value("2017-06-30")
    app.run()
    assert not app.exception
    errors = said(app.error)
    assert any("window (400 days)" in e for e in errors), errors
    assert train_button(app).disabled and not shown_job_ids(app)


def test_cancel_stops_a_run():
    from rnnstock.web.runs import job_manager

    app = submit(set_tiny_model(open_train_page(), epochs=500).run())
    [job_id] = shown_job_ids(app)
    job = job_manager().job(job_id)
    deadline = time.monotonic() + 120
    while not job.progress and time.monotonic() < deadline:
        time.sleep(0.2)
    app.run()
    [progress] = app.get("progress")
    assert progress.proto.text.startswith("epoch ") and " of 500" in progress.proto.text
    assert train_button(app).disabled  # a second click while it trains starts nothing
    app.button(key="train.cancel").click().run()
    app = wait_for_job(app)
    epochs = len(job.progress)
    assert job.status == "cancelled" and epochs < 500
    expected = f"Training was cancelled after {epochs} epoch{'s' if epochs != 1 else ''}."
    assert expected in said(app.warning), said(app.warning)
    assert not train_button(app).disabled
