"""Uploading price files in the sidebar, walked as a user does (AppTest, no browser):
several files of one stock become one history, a refused file is read once per
content, how a file was read and its implausible prices are in sight; and the caps
that the README and Streamlit's config quote are the ones in rnnstock.data.limits."""

from __future__ import annotations

import gzip
import re
import tomllib

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from rnnstock.data import limits
from rnnstock.specs import DataSpec
from rnnstock.web import state
from rnnstock.web.pages import TRAIN
from rnnstock.web.sidebar import TITLE_LIMIT, cached_upload, upload_title
from tests.conftest import REPO
from tests.test_app import plain, said

# -- files as people have them ----------------------------------------------------------

COURSE_HEADER = "Date,Open,High,Low,Close,Volume"


def course_csv(days: pd.DatetimeIndex, first_price: float) -> bytes:
    """As the Google course files are: M/D/YYYY dates, quoted volumes with thousands."""
    lines = [COURSE_HEADER]
    for i, day in enumerate(days):
        price = first_price + i
        lines.append(
            f"{day.month}/{day.day}/{day.year},{price:.2f},{price + 2:.2f},{price - 2:.2f},"
            f'{price + 1:.2f},"{1_500_000 + 1_000 * i:,}"'
        )
    return ("\n".join(lines) + "\n").encode()


TRAIN_DAYS = pd.bdate_range(end="2016-12-30", periods=60)
TEST_DAYS = pd.bdate_range("2017-01-03", periods=20)
COURSE = (
    ("Google_Stock_Price_Train.csv", course_csv(TRAIN_DAYS, 700.0)),
    ("Google_Stock_Price_Test.csv", course_csv(TEST_DAYS, 760.0)),
)


def yahoo_csv(days: int = 60, *, swap_high_low: bool = False, null_rows: int = 0) -> bytes:
    """A Yahoo export; ``null_rows`` holidays written as 'null' (Yahoo does that)."""
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for i, day in enumerate(pd.bdate_range("2021-01-04", periods=days)):
        high, low = 102 + i, 98 + i
        if swap_high_low:
            high, low = low, high
        lines.append(f"{day:%Y-%m-%d},{100 + i},{high},{low},{101 + i},{100.5 + i},{1000 + i}")
        if i < null_rows:
            lines.append(f"{day + pd.Timedelta(days=1):%Y-%m-%d},null,null,null,null,null,null")
    return ("\n".join(lines) + "\n").encode()


def gzip_bomb() -> bytes:
    """A few KB that unpack to more text than the cap (the 177-seconds-a-click file)."""
    return gzip.compress(b"0" * (limits.MAX_TEXT_MB * limits.MB + limits.MB), compresslevel=9)


# -- the app, walked ---------------------------------------------------------------------


def csv_app() -> AppTest:
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.session_state[state.DATA_SOURCE] = "csv"
    return app.run()


def upload(app: AppTest, *files: tuple[str, bytes]) -> AppTest:
    """Pick files in the uploader's dialog at once (the uploader's list is replaced)."""
    app.sidebar.file_uploader(key=state.CSV_UPLOAD).set_value(
        [(name, content, "text/csv") for name, content in files]
    )
    return app.run()


def sidebar_text(app: AppTest) -> str:
    """Every caption and Markdown text in the sidebar, as the browser shows it."""
    parts = [element.value for element in (*app.sidebar.caption, *app.sidebar.markdown)]
    return plain(re.sub(r"\s+", " ", " ".join(parts)))


def facts(app: AppTest):
    """The sidebar's expander saying how the files were read."""
    [expander] = [e for e in app.sidebar.expander if e.label.startswith("How the")]
    return expander


@pytest.fixture(autouse=True)
def _fresh_reader_cache():
    """Each test reads its files anew (the cache lives as long as the process)."""
    cached_upload.clear()
    yield
    cached_upload.clear()


def test_the_uploader_takes_several_files_up_to_the_size_cap():
    uploader = csv_app().sidebar.file_uploader(key=state.CSV_UPLOAD)
    assert uploader.accept_multiple_files
    assert uploader.proto.max_upload_size_mb == limits.MAX_FILE_MB


def test_a_courses_train_and_test_files_make_one_history():
    from rnnstock.data import read_price_csvs

    app = upload(csv_app(), *COURSE)
    assert not app.exception and not app.error
    days = len(TRAIN_DAYS) + len(TEST_DAYS)
    text = sidebar_text(app)
    assert f"{days} trading days {TRAIN_DAYS[0]:%Y-%m-%d} to {TEST_DAYS[-1]:%Y-%m-%d}" in text
    title = "Google_Stock_Price_Train.csv + Google_Stock_Price_Test.csv"
    shown_data = app.session_state[state.LOADED_DATA]
    assert shown_data.title == title and shown_data.spec == DataSpec("csv", title)
    [chart] = app.get("plotly_chart")
    assert "Google_Stock_Price_Test.csv price" in chart.proto.spec  # the title, in two lines
    # How they were read, open after the upload: what `python -m rnnstock inspect` says.
    shown = facts(app)
    assert shown.label == "How the 2 files were read" and shown.proto.expanded
    said_there = plain(" ".join(md.value for md in shown.markdown))
    for line in read_price_csvs(list(COURSE)).attrs["read"].lines():
        if line.startswith(f"{days} trading days"):
            assert line not in said_there  # the caption above says it
        else:
            assert " ".join(line.split()) in said_there
    # The Train page trains on the two files as one history.
    app.switch_page(TRAIN.path).run()
    assert not app.exception and not app.error
    assert any(button.label == "Train" for button in app.button)


def test_the_uploaded_files_are_kept_while_the_user_looks_at_a_sample():
    app = upload(csv_app(), *COURSE)
    app.sidebar.radio(key=state.DATA_SOURCE).set_value("sample").run()
    assert "7,983 trading days" in sidebar_text(app)
    assert not [e for e in app.sidebar.expander if e.label.startswith("How the")]
    app.sidebar.radio(key=state.DATA_SOURCE).set_value("csv").run()
    assert not app.exception and not app.error
    text = sidebar_text(app)
    title = "Google_Stock_Price_Train.csv + Google_Stock_Price_Test.csv"
    assert f"Using {title}, uploaded earlier." in text
    assert f"{len(TRAIN_DAYS) + len(TEST_DAYS)} trading days" in text


def test_files_removed_from_the_uploader_are_no_longer_used():
    app = upload(csv_app(), *COURSE)
    app = upload(app, COURSE[0])  # the test file removed: the training file alone
    assert f"{len(TRAIN_DAYS)} trading days" in sidebar_text(app)
    assert app.session_state[state.LOADED_DATA].title == COURSE[0][0]
    app.sidebar.file_uploader(key=state.CSV_UPLOAD).clear().run()
    assert not app.exception and not app.error
    assert "uploaded earlier" not in sidebar_text(app)
    assert any("Upload a CSV" in info.value for info in app.sidebar.info)


def test_how_a_file_was_read_stays_closed_once_closed_until_the_next_upload():
    app = upload(csv_app(), ("prices.csv", yahoo_csv()))
    assert facts(app).label == "How the file was read" and facts(app).proto.expanded
    app.session_state[state.UPLOAD_FACTS] = False  # the user closes it
    app.run()
    app.run()
    assert not facts(app).proto.expanded
    app = upload(app, ("other.csv", yahoo_csv(70)))
    assert facts(app).proto.expanded


def test_a_refused_file_says_why_and_is_read_once(monkeypatch):
    import rnnstock.web.sidebar as sidebar

    calls = []
    real = sidebar.read_price_csvs

    def counted(sources, **kwargs):
        calls.append([name for name, _ in sources])
        return real(sources, **kwargs)

    monkeypatch.setattr(sidebar, "read_price_csvs", counted)
    bomb = gzip_bomb()
    app = upload(csv_app(), ("prices.csv.gz", bomb))
    assert not app.exception
    [error] = said(app.sidebar.error)
    assert "prices.csv.gz could not be loaded" in error
    assert f"unpacks to more than {limits.MAX_TEXT_MB} MB" in error
    assert not app.get("plotly_chart")
    assert calls == [["prices.csv.gz"]]
    # Clicks and page switches do not read it again...
    app.run()
    app.switch_page(TRAIN.path).run()
    assert not app.exception and len(app.sidebar.error) == 1
    # ...nor does the same file uploaded again, in this session or another.
    app = upload(app, ("prices.csv.gz", bomb))
    upload(csv_app(), ("prices.csv.gz", bomb))
    assert calls == [["prices.csv.gz"]]
    # Another file is read.
    app = upload(app, ("prices.csv", yahoo_csv()))
    assert not app.exception and not app.sidebar.error
    assert calls == [["prices.csv.gz"], ["prices.csv"]]


def test_a_web_page_saved_as_csv_is_refused_in_the_sidebar_and_the_page():
    app = upload(csv_app(), ("quote.csv", b"<!DOCTYPE html><html><body>Quote</body></html>\n"))
    assert not app.exception
    assert any(
        "quote.csv could not be loaded" in e and "web page" in e for e in said(app.sidebar.error)
    )
    assert any("web page" in e for e in said(app.main.error))


def test_high_below_low_is_kept_with_a_warning_beside_the_data():
    app = upload(csv_app(), ("swapped.csv", yahoo_csv(swap_high_low=True)))
    assert not app.exception and not app.error
    assert "60 trading days" in sidebar_text(app)
    [warning] = said(app.sidebar.warning)
    assert "below" in warning or "outside" in warning
    assert "2021-01-04" in warning  # the first such day


def test_a_downloads_implausible_prices_are_warned_of_too(monkeypatch):
    from tests.data_helpers import yahoo_like_frame

    swapped = yahoo_like_frame().rename(columns={"High": "Low", "Low": "High"})
    monkeypatch.setattr("rnnstock.data.yahoo_fetcher", lambda ticker, **_: swapped.copy())
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.session_state[state.DATA_SOURCE] = "ticker"
    app.session_state[state.TICKER] = "ZZSWAP"
    app.run()
    assert not app.exception and not app.error
    [warning] = said(app.sidebar.warning)
    assert "below" in warning or "outside" in warning
    assert not [e for e in app.sidebar.expander if e.label.startswith("How the")]


def test_a_reader_that_fails_unexpectedly_is_not_a_traceback_nor_run_again(monkeypatch):
    import rnnstock.web.sidebar as sidebar

    calls = []

    def broken(sources, **_):
        calls.append(len(sources))
        raise RuntimeError("a bug")

    monkeypatch.setattr(sidebar, "read_price_csvs", broken)
    app = upload(csv_app(), ("prices.csv", yahoo_csv()))
    app.run()
    assert not app.exception
    [error] = said(app.sidebar.error)
    assert "prices.csv could not be loaded" in error and "RuntimeError" in error
    assert calls == [1]


def test_the_statistics_say_how_many_rows_without_prices_were_dropped():
    app = upload(csv_app(), ("yahoo.csv", yahoo_csv(null_rows=3)))
    assert not app.exception and not app.error
    app.session_state[state.DATA_TAB] = "Statistics"
    app.run()
    _, missing = app.table
    assert (missing.value["missing"] == 0).all()
    assert any("3 rows without any price" in caption.value for caption in app.main.caption)


def test_a_sample_without_dropped_rows_says_nothing_of_them():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.session_state[state.DATA_TAB] = "Statistics"
    app.run()
    assert not any("without any price" in caption.value for caption in app.main.caption)


# -- titles ------------------------------------------------------------------------------


def test_a_title_joins_the_file_names_and_stays_short():
    assert upload_title(["a.csv"]) == "a.csv"
    assert upload_title(["train.csv", "test.csv"]) == "train.csv + test.csv"
    many = [f"Google_Stock_Price_Part_{i}.csv" for i in range(5)]
    assert upload_title(many) == "Google_Stock_Price_Part_0.csv + 4 more"
    long = "x" * 200 + ".csv"
    for names in ([long], [long, "b.csv"], many):
        assert len(upload_title(names)) <= TITLE_LIMIT


# -- the caps, quoted where people read them ------------------------------------------------


def test_streamlits_upload_cap_is_the_readers():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == limits.MAX_FILE_MB


def readme_section(title: str) -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {title}' section"
    return " ".join(match.group(1).split())


def test_the_readme_quotes_the_caps_of_limits_py():
    files = readme_section("Files")
    for quoted in (
        f"larger than {limits.MAX_FILE_MB} MB",
        f"unpacks to more than {limits.MAX_TEXT_MB} MB",
        f"more than {limits.MAX_ROWS:,} lines",
        f"{limits.MAX_LINES:,} lines in all",
        f"more than {limits.MAX_COLUMNS} columns",
        f"{limits.MAX_GZIP_LAYERS} layers of gzip",
        f"at most {limits.MAX_FILES} files",
        "rnnstock/data/limits.py",
        "server.maxUploadSize",
    ):
        assert quoted in files, quoted
