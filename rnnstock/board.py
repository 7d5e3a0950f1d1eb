"""The class board: runs that their owners chose to show, kept on the cluster's scheduler.

Every server of a class shares one Dask scheduler (rnnstock.cluster), so the board
lives there, in the scheduler's own store of small values (what ``Client.get_metadata``
reads): under ``rnnstock-board``, one dictionary per board (a data source and a split),
one plain, msgpack-friendly entry per run put on it. Pages read it with
``get_metadata``. Writes are one function each run on the scheduler
(``Client.run_on_scheduler``: ``_publish_there``, ``_remove_there``): the scheduler
runs it between two of its own steps, so the caps are checked and the entry written
as one step even when several servers publish at once, and a removed entry is
deleted, not left behind. An owner's entries take slots ``0 .. MAX_PER_OWNER - 1``.
Entries older than MAX_AGE_HOURS leave the board, so a lab scheduler that runs for
weeks never fills up with old lessons.

An entry names its owner only by a hash of their browser id (``owner_tag``); what
a class sees is the display name its owner typed, which this module cleans and
bounds but never escapes: the pages show it as plain text.
"""

from __future__ import annotations

import hashlib
import math
import time
import unicodedata
from typing import TYPE_CHECKING, Any

from rnnstock.evaluation import skill
from rnnstock.specs import DataSpec, SplitSpec

if TYPE_CHECKING:
    from distributed import Client

    from rnnstock.experiment import ExperimentResult

ROOT = "rnnstock-board"  # the scheduler's metadata key the boards live under
MAX_NAME = 30  # characters of a display name
MAX_PER_OWNER = 5  # runs one browser may have on the boards at once
MAX_ENTRIES = 1000  # runs on all boards together (five each for a class of 200)
MAX_TEXT = 200  # characters of any other text an entry carries (data title, settings)
MAX_AGE_HOURS = 24  # a run leaves the board a day after it was put there (a lesson's board)
# Characters that are not text: controls, and the invisible format characters that
# could reverse or hide the rest of a name (U+202E, U+200B, ...).
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Cn"}
_TEXT_FIELDS = ("owner", "name", "data", "data_key", "split", "cell", "model", "training", "run")
_STORED_FIELDS = (*_TEXT_FIELDS, "rmse", "persistence_rmse", "beat", "when")


class BoardError(ValueError):
    """Why a run cannot go on the board, in words a student can act on."""


def owner_tag(owner: str) -> str:
    """How an entry names its owner: a hash of the browser id, never the id itself (the
    id lets a browser find its runs; the board is read by every server)."""
    return hashlib.sha256(f"rnnstock-board:{owner}".encode()).hexdigest()[:20]


def board_id(data: DataSpec, split: SplitSpec) -> str:
    """The board of a data source and split: runs on it used the same prices and test days."""
    return f"{data.key()}-{split.key()}"


def display_name(text: object) -> str:
    """A display name as it will be shown: one line of visible characters, at most
    MAX_NAME; a ``BoardError`` says what to change."""
    kept = "".join(
        " " if character.isspace() else character
        for character in unicodedata.normalize("NFC", str(text))
        if unicodedata.category(character) not in _INVISIBLE or character.isspace()
    )
    name = " ".join(kept.split())
    if not name:
        raise BoardError("Choose a name to show beside your runs first (any name, like Ada).")
    if len(name) > MAX_NAME:
        raise BoardError(f"A name on the board has at most {MAX_NAME} characters.")
    return name


def make_entry(
    spec,
    *,
    rmse: float,
    persistence_rmse: float,
    name: str,
    owner: str,
    data_title: str,
    when: float | None = None,
) -> dict[str, Any]:
    """A board entry for a run of ``spec`` (an ExperimentSpec) and its test RMSEs."""
    rmse, persistence_rmse = float(rmse), float(persistence_rmse)
    return {
        "owner": owner_tag(owner),
        "name": display_name(name),
        "data": _short(data_title or spec.data.describe()),
        "data_key": spec.data.key(),
        "board": board_id(spec.data, spec.split),
        "split": _short(f"predict {spec.split.target}; {spec.split.describe()}"),
        "cell": ("Bidirectional " if spec.model.bidirectional else "") + spec.model.cell,
        "model": _short(spec.model.describe()),
        "training": _short(spec.train.describe()),
        "run": spec.key(),
        "rmse": rmse,
        "persistence_rmse": persistence_rmse,
        "beat": bool(skill(rmse, persistence_rmse) > 0),
        "when": time.time() if when is None else float(when),
    }


def entry_for(result: ExperimentResult, *, name: str, owner: str, data_title: str) -> dict:
    """The board entry of a finished run."""
    return make_entry(
        result.spec,
        rmse=result.scores.model.rmse,
        persistence_rmse=result.scores.persistence.rmse,
        name=name,
        owner=owner,
        data_title=data_title,
    )


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


# -- the store on the scheduler --------------------------------------------------------------


def _all(client: Client) -> dict[str, dict[str, Any]]:
    """Every board: board id -> entry id -> entry (or None, removed)."""
    boards = client.get_metadata([ROOT], default={})
    return boards if isinstance(boards, dict) else {}


def _live(boards: dict, now: float | None = None) -> list[dict]:
    oldest = (time.time() if now is None else now) - MAX_AGE_HOURS * 3600
    return [
        {**entry, "id": entry_id, "board": board}
        for board, entries in boards.items()
        if isinstance(entries, dict)
        for entry_id, entry in entries.items()
        if _valid(entry) and entry["when"] >= oldest
    ]


def _valid(entry: object) -> bool:
    """An entry as make_entry writes it (anything else in the store is skipped)."""
    if not isinstance(entry, dict):
        return False
    if not all(isinstance(entry.get(field), str) for field in _TEXT_FIELDS):
        return False
    if not all(
        isinstance(entry.get(field), int | float) for field in ("rmse", "persistence_rmse", "when")
    ):
        return False
    return isinstance(entry.get("beat"), bool) and 0 < len(entry["name"]) <= MAX_NAME


def _ranked(entries: list[dict]) -> list[dict]:
    """Lowest RMSE first (a run that scored nothing last), then the first to publish."""
    return sorted(
        entries,
        key=lambda entry: (not math.isfinite(entry["rmse"]), entry["rmse"], entry["when"]),
    )


def entries(client: Client, board: str) -> list[dict]:
    """The runs on one board, best first; each with its ``id``."""
    found = client.get_metadata([ROOT, board], default={})
    if not isinstance(found, dict):
        return []
    return _ranked(_live({board: found}))


def owned(client: Client, owner: str) -> list[dict]:
    """An owner's runs on every board, best first."""
    tag = owner_tag(owner)
    return _ranked([entry for entry in _live(_all(client)) if entry["owner"] == tag])


def publish(client: Client, entry: dict) -> str:
    """Put an entry (from make_entry) on its board; returns its id. A ``BoardError`` if
    the run is there already, its owner has MAX_PER_OWNER runs on the boards, or the
    boards hold MAX_ENTRIES."""
    if not _valid(entry):
        raise BoardError("This run cannot go on the board: its entry is incomplete.")
    # Only the fields an entry has (every server reads the store; one value msgpack
    # cannot carry would break the board for all of them).
    stored = {field: entry[field] for field in _STORED_FIELDS}
    placed = client.run_on_scheduler(
        _publish_there,
        board=entry["board"],
        entry=stored,
        per_owner=MAX_PER_OWNER,
        total=MAX_ENTRIES,
        max_age_hours=MAX_AGE_HOURS,
    )
    if "refused" in placed:
        raise BoardError(placed["refused"])
    return placed["id"]


def remove(client: Client, entry_id: str, owner: str) -> bool:
    """Take an entry off the board if ``owner`` put it there; False if it is not theirs
    (or gone already)."""
    return client.run_on_scheduler(_remove_there, entry_id=entry_id, tag=owner_tag(owner))


# -- run on the scheduler, each as one step of its event loop (no await in them) -----------


def _boards_there(dask_scheduler) -> dict:
    boards = dask_scheduler.get_metadata([ROOT], default=None)
    if not isinstance(boards, dict):
        boards = {}
        dask_scheduler.set_metadata([ROOT], boards)
    return boards


def _publish_there(
    dask_scheduler, board: str, entry: dict, per_owner: int, total: int, max_age_hours: float
) -> dict:
    """Check the caps and store ``entry`` on ``board``: {"id": slot} or {"refused": why}.
    The entry's time is the scheduler's clock, the one its age is judged by."""
    boards = _boards_there(dask_scheduler)
    now = time.time()
    entry = {**entry, "when": now}
    oldest = now - max_age_hours * 3600
    for entries in boards.values():  # old lessons leave, and anything not an entry
        if isinstance(entries, dict):
            for entry_id in [
                key for key, other in entries.items() if not _valid(other) or other["when"] < oldest
            ]:
                del entries[entry_id]
    live = _live(boards)
    tag = entry["owner"]
    mine = [other for other in live if other["owner"] == tag]
    if any(other["run"] == entry["run"] and other["board"] == board for other in mine):
        return {"refused": "This run is on the board already."}
    if len(mine) >= per_owner:
        return {
            "refused": f"You have {len(mine)} runs on the board, the most one browser may"
            " show; remove one of them first."
        }
    if len(live) >= total:
        return {
            "refused": f"The class board is full ({total:,} runs). Runs come off when their"
            f" owners remove them, {max_age_hours:g} hours after they were put on, or all"
            " at once when the server (or the lab's scheduler) restarts."
        }
    taken = {other["id"] for other in mine}
    slot = next(f"{tag}-{index}" for index in range(per_owner) if f"{tag}-{index}" not in taken)
    if not isinstance(boards.get(board), dict):
        boards[board] = {}
    boards[board][slot] = entry
    return {"id": slot}


def _remove_there(dask_scheduler, entry_id: str, tag: str) -> bool:
    """Delete an entry if the owner ``tag`` put it there."""
    for entries in _boards_there(dask_scheduler).values():
        if isinstance(entries, dict):
            entry = entries.get(entry_id)
            if _valid(entry) and entry["owner"] == tag:
                del entries[entry_id]
                return True
    return False
