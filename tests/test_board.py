"""The class board: its store on a real Dask scheduler, and its page (AppTest).

The store tests run a scheduler in this process (``LocalCluster(processes=False)``,
no workers: the board needs none) and talk to it as two servers of a lab would,
each with its own client. The page tests open the app as a student does, on the
server's own cluster (``rnnstock.web.runs.job_manager``).
"""

from __future__ import annotations

import time

import pytest
from distributed import Client, LocalCluster
from streamlit.testing.v1 import AppTest

from rnnstock import board
from rnnstock.cluster import ClusterUnavailable
from rnnstock.specs import DataSpec, ExperimentSpec, SplitSpec, TrainSpec
from rnnstock.web import runs, state
from rnnstock.web.pages import BOARD
from tests.conftest import REPO

MSFT = DataSpec("sample", "msft")
# The split a fresh browser shows (the settings' defaults): the board it opens on.
DEFAULT_SPLIT = SplitSpec(target="Close", window=60, learn_from="price", train_fraction=0.8)
OTHER_SPLIT = SplitSpec(target="Close", window=30, learn_from="price", train_fraction=0.8)
HOSTILE = "**Ada** [x](http://e.com) <b>"


def run_spec(split: SplitSpec = DEFAULT_SPLIT, seed: int = 1) -> ExperimentSpec:
    return ExperimentSpec(data=MSFT, split=split, train=TrainSpec(seed=seed))


def entry(name="Ada", owner="owner-a", rmse=5.0, persistence=5.3, split=DEFAULT_SPLIT, seed=1):
    return board.make_entry(
        run_spec(split, seed),
        rmse=rmse,
        persistence_rmse=persistence,
        name=name,
        owner=owner,
        data_title="Microsoft (MSFT)",
    )


@pytest.fixture(scope="module")
def scheduler():
    with LocalCluster(
        n_workers=0,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=False,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def servers(scheduler):
    """Two servers' clients of one scheduler, and a board emptied for each test."""
    with (
        Client(scheduler, set_as_default=False) as first,
        Client(scheduler, set_as_default=False) as second,
    ):
        first.set_metadata([board.ROOT], {})
        yield first, second


MY_BOARD = board.board_id(MSFT, DEFAULT_SPLIT)


# -- the store ------------------------------------------------------------------------------


def test_a_run_put_on_the_board_is_seen_by_every_server_on_its_board_only(servers):
    first, second = servers
    board.publish(first, entry("Ada", "owner-a", rmse=5.0))
    board.publish(second, entry("Grace", "owner-b", rmse=4.0))
    board.publish(first, entry("Alan", "owner-c", rmse=3.0, split=OTHER_SPLIT))
    for client in servers:
        shown = board.entries(client, MY_BOARD)
        assert [row["name"] for row in shown] == ["Grace", "Ada"]  # best first
    assert [row["name"] for row in board.entries(first, board.board_id(MSFT, OTHER_SPLIT))] == [
        "Alan"
    ]
    assert board.entries(first, board.board_id(DataSpec("sample", "sp500"), DEFAULT_SPLIT)) == []


def test_the_board_says_who_beat_tomorrow_equals_today(servers):
    client, _ = servers
    board.publish(client, entry("Ada", "a", rmse=5.0, persistence=5.3))
    board.publish(client, entry("Grace", "b", rmse=6.1, persistence=5.3))
    board.publish(client, entry("Alan", "c", rmse=5.3, persistence=5.3))  # a tie is no win
    board.publish(client, entry("Edsger", "d", rmse=float("nan"), persistence=5.3))
    shown = board.entries(client, MY_BOARD)
    assert [(row["name"], row["beat"]) for row in shown] == [
        ("Ada", True),
        ("Alan", False),
        ("Grace", False),
        ("Edsger", False),  # scored nothing: last
    ]
    first = shown[0]
    assert (first["rmse"], first["persistence_rmse"]) == (5.0, 5.3)
    assert first["cell"] == "LSTM" and first["model"].startswith("LSTM(")
    assert "seed 1" in first["training"] and "window 60" in first["split"]
    assert "owner-a" not in str(shown) and "owner" not in first["name"]  # a hash names owners


def test_only_its_owner_can_take_a_run_off_the_board(servers):
    client, other_server = servers
    entry_id = board.publish(client, entry("Ada", "owner-a"))
    assert board.remove(other_server, entry_id, "owner-b") is False
    assert [row["name"] for row in board.entries(client, MY_BOARD)] == ["Ada"]
    assert board.remove(other_server, entry_id, "owner-a") is True  # from any server
    assert board.entries(client, MY_BOARD) == []
    assert board.owned(client, "owner-a") == []
    assert board.remove(client, entry_id, "owner-a") is False  # gone already


def test_caps_per_owner_and_in_all_and_no_run_twice(servers, monkeypatch):
    client, _ = servers
    board.publish(client, entry(owner="a", seed=1))
    with pytest.raises(board.BoardError, match="on the board already"):
        board.publish(client, entry(owner="a", seed=1))
    for seed in range(2, board.MAX_PER_OWNER + 1):
        board.publish(client, entry(owner="a", seed=seed))
    with pytest.raises(board.BoardError, match="remove one of them first"):
        board.publish(client, entry(owner="a", seed=99))
    monkeypatch.setattr(board, "MAX_ENTRIES", board.MAX_PER_OWNER + 1)
    board.publish(client, entry(owner="b", seed=1))
    with pytest.raises(board.BoardError, match="board is full"):
        board.publish(client, entry(owner="c", seed=1))
    assert len(board.entries(client, MY_BOARD)) == board.MAX_PER_OWNER + 1


def test_taking_runs_off_and_on_again_leaves_no_trail_on_the_scheduler(servers):
    """A removed entry is deleted on the scheduler, so a student who publishes and
    removes all lesson long leaves nothing there."""
    client, _ = servers
    for seed in range(30):
        entry_id = board.publish(client, entry(owner="a", seed=seed))
        assert board.remove(client, entry_id, "a")
    assert client.get_metadata([board.ROOT, MY_BOARD]) == {}


def test_runs_leave_the_board_a_day_later_so_it_never_fills_up(servers, monkeypatch):
    """A lab's scheduler runs for weeks: yesterday's runs are not shown, and they do not
    count against the caps (nor stay in its memory) once someone publishes."""
    client, _ = servers
    yesterday = time.time() - board.MAX_AGE_HOURS * 3600 - 60
    monkeypatch.setattr(board, "MAX_ENTRIES", 2)
    for slot, name in enumerate(("Old", "Older")):  # as a publish stored them yesterday
        stored = {**entry(name, f"o{slot}", seed=1), "when": yesterday}
        del stored["board"]
        client.set_metadata([board.ROOT, MY_BOARD, f"old-{slot}"], stored)
    assert board.entries(client, MY_BOARD) == []
    board.publish(client, entry("Ada", "c", seed=1))
    board.publish(client, entry("Grace", "d", seed=1))
    assert [row["name"] for row in board.entries(client, MY_BOARD)] == ["Ada", "Grace"]
    assert len(client.get_metadata([board.ROOT, MY_BOARD])) == 2


def test_two_servers_publishing_at_once_never_pass_the_cap(servers, monkeypatch):
    """Each publish checks the caps and writes in one step on the scheduler."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(board, "MAX_ENTRIES", 3)
    clients = servers * 4
    with ThreadPoolExecutor(len(clients)) as pool:
        outcomes = list(
            pool.map(
                lambda pair: _publish_or_refusal(pair[1], entry(owner=f"o{pair[0]}", seed=1)),
                enumerate(clients),
            )
        )
    assert sum(outcome == "published" for outcome in outcomes) == 3
    assert len(board.entries(servers[0], MY_BOARD)) == 3


def _publish_or_refusal(client, made: dict) -> str:
    try:
        board.publish(client, made)
    except board.BoardError as error:
        assert "board is full" in str(error)
        return "refused"
    return "published"


def test_display_names_are_one_short_line_of_visible_text(servers):
    assert board.display_name("  Ada \n  Lovelace\t") == "Ada Lovelace"
    assert board.display_name("\u202eAda\u200b") == "Ada"  # no reversed or hidden text
    assert board.display_name(HOSTILE) == HOSTILE  # Markdown stays as typed: shown as text
    assert board.display_name("É" * board.MAX_NAME) == "É" * board.MAX_NAME
    for bad, said in (("", "Choose a name"), ("\u200b \n", "Choose a name")):
        with pytest.raises(board.BoardError, match=said):
            board.display_name(bad)
    with pytest.raises(board.BoardError, match=f"at most {board.MAX_NAME} characters"):
        board.display_name("x" * (board.MAX_NAME + 1))
    # Anything else in the store (another program, an older version) is skipped, not shown.
    client, _ = servers
    client.set_metadata([board.ROOT, MY_BOARD, "junk"], {"name": "x" * 500, "rmse": "low"})
    client.set_metadata([board.ROOT, MY_BOARD, "other"], [1, 2, 3])
    board.publish(client, entry(HOSTILE))
    assert [row["name"] for row in board.entries(client, MY_BOARD)] == [HOSTILE]


# -- the page ----------------------------------------------------------------------------------


class Trainers:
    """The server's job manager while its cluster starts, or once it failed to start."""

    def __init__(self, error: str | None = None) -> None:
        self.start_error, self.ready = error, False

    def client(self, timeout: float | None = None):
        if self.start_error:
            raise ClusterUnavailable(self.start_error)
        raise TimeoutError("The trainers did not start in time.")


@pytest.fixture
def starting(monkeypatch):
    """The board page on a server whose trainers are still starting (no cluster needed)."""
    monkeypatch.setattr(runs, "job_manager", Trainers)


def open_board(params: dict | None = None, owner: str | None = None) -> AppTest:
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    if owner:
        app.session_state[state.OWNER] = owner
    if params:
        app.query_params.update(params)
    return app.switch_page(BOARD.path).run()


def banner(app: AppTest) -> str:
    return " ".join(box.value for box in [*app.info, *app.success] if "teacher" in box.value)


def test_a_teachers_link_is_shown_and_applied_only_when_clicked(starting):
    link = {"data": "sample", "sample": "sp500", "target": "High", "window": "30"}
    link |= {"split": "fraction", "train": "0.7", "preset": "datacamp-gru"}
    app = open_board(link)
    assert not app.exception
    said = banner(app)
    assert said.startswith("Your teacher's link sets:")
    assert "S\\&P 500" in said and "Window (days of history per prediction): 30" in said
    assert "DataCamp: MasterCard GRU(125)" in said
    # Shown, not applied: the sidebar and the split are still the browser's own.
    assert app.sidebar.selectbox(key=state.SAMPLE_NAME).value == "msft"
    assert state.STORE not in app.session_state or "window" not in app.session_state[state.STORE]
    app.button(key=f"{BOARD.url}.use_link").click().run()
    assert not app.exception
    assert app.sidebar.selectbox(key=state.SAMPLE_NAME).value == "sp500"
    store = app.session_state[state.STORE]
    assert (store["window"], store["target"], store["train_fraction"]) == (30, "High", 0.7)
    assert app.session_state["train.preset"] == "datacamp-gru"
    assert store["train.cell"] == "GRU"  # the preset's network, for the Train page
    assert banner(app).startswith("Your teacher's link is in use:")
    assert not [button for button in app.button if button.key == f"{BOARD.url}.use_link"]


def test_markdown_in_a_teachers_link_shows_as_text_and_bad_values_are_named(starting):
    app = open_board(
        {"data": "csv", "file": "**Big** [x](http://e.com)", "window": "[w](http://e.com)"}
        | {"preset": "<b>nope</b>"}
    )
    assert not app.exception
    joiner = "\u2060"  # keeps http:// from becoming a link
    assert rf"\*\*Big\*\* \[x\](http:{joiner}//e.com)" in banner(app)
    [warning] = [box.value for box in app.warning if "teacher" in box.value]
    assert rf"window=\[w\](http:{joiner}//e.com)" in warning
    assert r"preset=\<b\>nope\</b\>" in warning


def test_the_board_page_says_the_trainers_are_starting_or_why_they_cannot(monkeypatch):
    monkeypatch.setattr(runs, "job_manager", Trainers)
    app = open_board()
    assert not app.exception and not app.error
    assert any("Starting the class board" in box.value for box in app.info)
    assert "Runs on **Microsoft (MSFT)**, predicting Close" in " ".join(
        text.value for text in app.markdown
    )
    reason = "Cannot reach the Dask scheduler at tcp://10.1.2.3:8786 (timed out)."
    monkeypatch.setattr(runs, "job_manager", lambda: Trainers(reason))
    app = open_board()
    assert not app.exception
    [error] = app.error
    assert "class board is not available" in error.value and "10.1.2.3:8786" in error.value
    assert not app.dataframe and not [box for box in app.info if "Starting" in box.value]


def test_the_board_page_shows_its_data_and_splits_runs_and_a_student_removes_only_theirs():
    from rnnstock.web.runs import job_manager

    client = job_manager().client(timeout=120)  # the server's own cluster, as the page uses
    mine, theirs = "board-test-student-a-0001", "board-test-student-b-0001"
    board.publish(client, entry("Grace", theirs, rmse=4.0, seed=11))
    board.publish(client, entry("Alan", theirs, rmse=3.0, seed=12, split=OTHER_SPLIT))
    my_id = board.publish(client, entry(HOSTILE, mine, rmse=6.0, seed=13))
    try:
        app = open_board(owner=mine)
        assert not app.exception, app.exception
        [table] = app.dataframe
        shown = table.value
        assert list(shown["Name"]) == ["Grace", HOSTILE]  # this split's runs, best first
        assert list(shown["Beat it?"]) == ["yes", "no"]
        # Only my own entry has a Remove button, and my name is escaped where it is Markdown.
        removes = [button.key for button in app.button if ".remove." in (button.key or "")]
        assert removes == [f"{BOARD.url}.remove.{my_id}"]
        assert any(r"\*\*Ada\*\* \[x\]" in text.value for text in app.markdown)
        app.button(key=removes[0]).click().run()
        assert not app.exception
        assert list(app.dataframe[0].value["Name"]) == ["Grace"]
        assert any("Taken off the board" in box.value for box in app.success)
    finally:
        for owner in (mine, theirs):
            for row in board.owned(client, owner):
                board.remove(client, row["id"], owner)
        assert board.owned(client, theirs) == []
