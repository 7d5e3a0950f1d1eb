"""The class board's store on a real Dask scheduler.

The tests run a scheduler in this process (``LocalCluster(processes=False)``, no
workers: the board needs none) and talk to it as two servers of a lab would, each
with its own client.
"""

from __future__ import annotations

import pytest
from distributed import Client, LocalCluster

from rnnstock import board
from rnnstock.specs import DataSpec, ExperimentSpec, SplitSpec, TrainSpec

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
    """The scheduler's store has no delete: a removed entry leaves a tombstone, and an
    owner's slots are used again, so a student who publishes and removes all lesson long
    holds at most MAX_PER_OWNER keys there."""
    client, _ = servers
    for seed in range(30):
        entry_id = board.publish(client, entry(owner="a", seed=seed))
        assert board.remove(client, entry_id, "a")
    keys = client.get_metadata([board.ROOT, MY_BOARD])
    assert len(keys) <= board.MAX_PER_OWNER and all(value is None for value in keys.values())


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
