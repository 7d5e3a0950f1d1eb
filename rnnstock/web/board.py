"""The Class board page's pieces: which board, the live table, putting runs on it, the
teacher's link.

A board is a data source and a split: the runs on it were tested on the same days,
so their RMSEs and "tomorrow = today" compare. The board a browser sees is the one
its sidebar and split settings choose; a teacher's link proposes one (data, split and
a preset for the Train page) and applies it only when the student clicks. The store
is on the cluster's scheduler (rnnstock.board), shared by every server of a class;
each browser's page reads it again every REFRESH_SECONDS.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlparse

import pandas as pd
import streamlit as st

from rnnstock import board as store
from rnnstock.baselines import PERSISTENCE_SHORT
from rnnstock.cluster import ClusterUnavailable
from rnnstock.data import SAMPLES
from rnnstock.jobs import DONE, Job
from rnnstock.presets import PRESETS, get_preset
from rnnstock.settings import SETTINGS
from rnnstock.text import literal
from rnnstock.web import links, runs, state, train
from rnnstock.web.mistakes import PRESET_PARAM
from rnnstock.web.pages import BOARD, TRAIN
from rnnstock.web.sidebar import LoadedData
from rnnstock.web.split import split_controls, split_from_state
from rnnstock.web.widgets import FORMATS
from rnnstock.windows import windowed_split

if TYPE_CHECKING:
    from distributed import Client

PAGE = BOARD.url
REFRESH_SECONDS = 2.0  # how often an open board reads the scheduler again
CLIENT_WAIT_SECONDS = 0.3  # a page waits this long for the cluster, then says it is starting
SHOWN_ROWS = 15  # rows in sight before the table scrolls
ROW_HEIGHT = 35  # pixels: Streamlit's own row (a taller one does not wrap its text)
# What a teacher's link carries: the sidebar's data, the shared split and a preset.
LINK_PARAMS = (
    *(sidebar_field.param for sidebar_field in links.SIDEBAR_FIELDS),
    *(SETTINGS[name].param for name in links.SPLIT),
    PRESET_PARAM,
)
_PARAM_OF = {sidebar_field.key: sidebar_field.param for sidebar_field in links.SIDEBAR_FIELDS}
# The data source a sidebar value belongs to, when the link does not say.
_SOURCE_OF = {
    sidebar_field.key: sidebar_field.source
    for sidebar_field in links.SIDEBAR_FIELDS
    if sidebar_field.source
}
BEAT = {True: "yes", False: "no"}
LOOPBACK = ("localhost", "127.0.0.1", "::1")  # an address no student's computer can open
STARTING = "Starting the class board: the trainers start in a few seconds…"
UNREACHABLE = (
    "The class board cannot be reached right now (the trainers' scheduler does not"
    " answer); it tries again every few seconds."
)

logger = logging.getLogger(__name__)


# -- the teacher's link -------------------------------------------------------------------


@dataclass(frozen=True)
class TeacherLink:
    """What a teacher's link sets: sidebar values, split settings and a Train preset."""

    sidebar: dict[str, str] = field(default_factory=dict)  # sidebar widget key -> value
    settings: dict[str, Any] = field(default_factory=dict)  # split setting -> value
    preset: str | None = None
    problems: tuple[str, ...] = ()  # parameters skipped, quoted as given

    @property
    def source(self) -> str | None:
        given = self.sidebar.get(state.DATA_SOURCE)
        return given or next((_SOURCE_OF[key] for key in self.sidebar if key in _SOURCE_OF), None)

    @property
    def empty(self) -> bool:
        return not (self.sidebar or self.settings or self.preset)


def read_link(params: Mapping[str, str]) -> TeacherLink | None:
    """A teacher's link in the address's parameters (None if there is none); a value that
    cannot be used is skipped and named in ``problems``."""
    if not any(name in params for name in LINK_PARAMS):
        return None
    sidebar, settings, problems = links.from_params(PAGE, params)
    preset = None
    if PRESET_PARAM in params:
        given = params[PRESET_PARAM]
        if given.strip() in PRESETS:
            preset = given.strip()
        else:
            problems.append(f"{PRESET_PARAM}={given} (not one of {', '.join(PRESETS)})")
    return TeacherLink(sidebar, settings, preset, tuple(problems))


def _data_words(link: TeacherLink) -> str | None:
    source = link.source
    if source == "sample":
        named = link.sidebar.get(state.SAMPLE_NAME)  # one of SAMPLES: the link was checked
        return f"the offline sample {SAMPLES[named].title}" if named else "an offline sample"
    if source == "ticker" and state.TICKER in link.sidebar:
        return f"the ticker {link.sidebar[state.TICKER]} (Yahoo Finance)"
    if source == "csv":
        named = link.sidebar.get(state.LINKED_CSV)
        return f"the CSV file {named}, to upload in the sidebar" if named else "a CSV upload"
    return None


def _value_words(name: str, value: Any) -> str:
    if name in FORMATS:
        return str(FORMATS[name](value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe_link(link: TeacherLink) -> str:
    """What a link sets, as Markdown with every value from it shown as typed."""
    parts = []
    data = _data_words(link)
    if data:
        parts.append(f"data **{literal(data)}**")
    split = " · ".join(
        f"{SETTINGS[name].label}: {_value_words(name, link.settings[name])}"
        for name in links.SPLIT
        if name in link.settings
    )
    if split:
        parts.append(f"split **{literal(split, 400)}**")
    if link.preset:
        parts.append(f"preset **{literal(PRESETS[link.preset].title)}**")
    return ", ".join(parts) or "nothing this app can use"


def _in_use(link: TeacherLink) -> bool:
    """Whether this browser's settings are already what the link sets."""
    session = st.session_state
    if link.source and session.get(state.DATA_SOURCE, "sample") != link.source:
        return False
    if any(session.get(key) != value for key, value in link.sidebar.items()):
        return False
    if link.preset and session.get(train.PRESET) != link.preset:
        return False
    by_dates = link.settings.get("split_mode") == "dates"
    for name in links.SPLIT:
        if name in link.settings:
            if state.get(name, PAGE) != state.as_shown(SETTINGS[name], link.settings[name]):
                return False
        elif by_dates and name in ("train_start", "train_end") and state.is_set(name, PAGE):
            return False
    return True


def _use_link(link: TeacherLink) -> None:
    """The link's settings, as if the student had set them (a button's callback: it runs
    before the sidebar is drawn, so the sidebar shows the link's data)."""
    if link.source:
        st.session_state[state.DATA_SOURCE] = link.source
    st.session_state.update(link.sidebar)
    if link.preset:
        st.session_state[train.PRESET] = link.preset
        train.apply_spec(get_preset(link.preset).spec, TRAIN.url)
    state.put(PAGE, **link.settings)
    if link.settings.get("split_mode") == "dates":  # from the data's own first day, or
        absent = [name for name in ("train_start", "train_end") if name not in link.settings]
        state.forget(PAGE, *absent)  # its default end, as on the teacher's screen


def teacher_link() -> None:
    """A teacher's link, if the page was opened with one: what it sets, and a button."""
    link = read_link(st.query_params.to_dict())
    if link is None:
        return
    if link.problems:
        st.warning(
            "Some settings in your teacher's link could not be used and were skipped: "
            + literal("; ".join(link.problems), 600)
            + "."
        )
    if link.empty:
        return
    if _in_use(link):
        st.success(
            f"Your teacher's link is in use: {describe_link(link)}.", icon=":material/school:"
        )
        return
    st.info(f"Your teacher's link sets: {describe_link(link)}.", icon=":material/school:")
    st.button(
        "Use my teacher's settings",
        type="primary",
        icon=":material/check:",
        key=f"{PAGE}.use_link",
        on_click=_use_link,
        args=(link,),
        help="Sets the data in the sidebar and the split here and on the Data, Train and"
        " Compare pages, and the preset on the Train page; nothing changes until you click.",
    )


def class_link(data: LoadedData) -> None:
    """The link for a class, made from this browser's data, split and Train preset."""
    params = links.to_params(PAGE)
    if data.spec.source == "csv" and data.prices is not None:
        params[_PARAM_OF[state.LINKED_CSV]] = data.title  # the file each student uploads
    preset = st.session_state.get(train.PRESET)
    if preset in PRESETS:
        params[PRESET_PARAM] = preset
    link = read_link(params) or TeacherLink()
    page_address = st.context.url or f"/{PAGE}"
    with st.popover("Copy the link for your class", icon=":material/link:"):
        st.markdown(f"It sets {describe_link(link)}.")
        st.code(page_address + "?" + urlencode(params), language=None, wrap_lines=True)
        st.caption(
            "Copy it with the button at the box's right (it shows under the pointer), or"
            " select it. Students who open it see what it sets and click to use it; their"
            " board is then this one."
            + ("" if preset in PRESETS else " Choose a preset on the Train page to add one.")
        )
        if urlparse(page_address).hostname in LOOPBACK:
            st.warning(
                "This address names this computer only. Students' computers need the"
                " server's address on your network: the Network URL that `streamlit run`"
                " printed, with the same ending.",
                icon=":material/lan:",
            )


# -- which board ----------------------------------------------------------------------------


def which_board(data: LoadedData) -> str | None:
    """The id of the board of the sidebar's data and the split settings (changed here or on
    the Data, Train and Compare pages); None, with the split's message, if the split cannot
    be used."""
    header = st.container()
    try:
        windowed_split(data.prices, split_from_state(data, PAGE))
        usable = True
    except ValueError:
        usable = False
    with st.expander("The split of this board", expanded=not usable, icon=":material/tune:"):
        st.caption(
            "Shared with the Data, Train and Compare pages: a change here changes theirs,"
            " and which board shows."
        )
        split = split_controls(data, PAGE)
    if split is None:
        header.warning("This split cannot be used: its settings below say why.")
        return None
    with header:
        line, link = st.columns([2.6, 1.4], vertical_alignment="center")
        line.markdown(
            f"Runs on **{literal(data.title)}**, predicting {literal(split.target)}:"
            f" {literal(split.describe())}."
        )
        with link:
            class_link(data)
    return store.board_id(data.spec, split)


# -- the cluster -----------------------------------------------------------------------------


def connect() -> Client | None:
    """The cluster's client; None while it starts (said, and the page redrawn once it is
    up) or when it cannot start (said plainly)."""
    manager = runs.job_manager()  # started here if no training has started it yet
    try:
        client = manager.client(timeout=CLIENT_WAIT_SECONDS)
    except TimeoutError:
        _wait_for_cluster(STARTING)
    except ClusterUnavailable as error:
        st.error(f"The class board is not available: {literal(error, 600)}")
    else:
        if client.status == "running":
            return client
        _wait_for_cluster(UNREACHABLE)  # a shared scheduler that went away: it reconnects
    return None


@st.fragment(run_every=1.0)
def _wait_for_cluster(message: str) -> None:
    """Says why there is no board yet, and draws the page again once there is."""
    if runs.job_manager().start_error is not None or _client_now() is not None:
        st.rerun(scope="app")
    (st.info if message == STARTING else st.warning)(message, icon=":material/hourglass_top:")


def _client_now() -> Client | None:
    try:
        client = runs.job_manager().client(timeout=CLIENT_WAIT_SECONDS)
    except (TimeoutError, ClusterUnavailable):
        return None
    return client if client.status == "running" else None


# -- the live board ---------------------------------------------------------------------------


def live_board(board: str) -> None:
    """The board's runs, read again every REFRESH_SECONDS (another student's run shows up
    without a click); sorted best first, and by any column its header is clicked on."""
    _live(board)


@st.fragment(run_every=REFRESH_SECONDS)
def _live(board: str) -> None:
    client = _client_now()
    try:
        found = store.entries(client, board) if client is not None else None
    except Exception:  # the scheduler went away mid-read (a lab's machine restarted)
        logger.warning("reading the class board failed", exc_info=True)
        found = None
    if found is None:
        st.warning(UNREACHABLE)
        return
    if not found:
        st.info(
            "No runs on this board yet. Train a model with this data and split on the Train"
            " page, then put it on the board below: its name, settings and scores show here"
            " for everyone who looks at this board.",
            icon=":material/leaderboard:",
        )
        return
    _summary(found)
    _table(found)


def _summary(found: list[dict]) -> None:
    beat = sum(entry["beat"] for entry in found)
    best = found[0]
    baselines = sorted(
        {
            round(entry["persistence_rmse"], 2)
            for entry in found
            if math.isfinite(entry["persistence_rmse"])
        }
    ) or [math.nan]
    baseline = _number(baselines[0])
    if len(baselines) > 1:  # tickers downloaded on different days: a few more test days
        baseline += f"–{_number(baselines[-1])}"
    runs_card, beat_card, best_card, baseline_card = st.columns(4)
    runs_card.metric("Runs on the board", f"{len(found):,}", border=True)
    beat_card.metric(f"Beat {PERSISTENCE_SHORT}", f"{beat} of {len(found)}", border=True)
    best_card.metric("Best RMSE", _number(best["rmse"]), border=True, help="The first row.")
    baseline_card.metric(
        PERSISTENCE_SHORT,
        baseline,
        border=True,
        help="Its RMSE: tomorrow's price forecast as today's, no training. A run beats it"
        " with a lower RMSE.",
    )


def _number(value: float) -> str:
    return f"{value:,.2f}" if math.isfinite(value) else "–"


def board_rows(found: list[dict]) -> pd.DataFrame:
    """The table a class sees: one row per run, best first; what decides a rank first, the
    settings last. Names are plain text here (a table cell shows no Markdown)."""
    rows = [
        {
            "#": rank,
            "Name": entry["name"],
            "RMSE": entry["rmse"],
            PERSISTENCE_SHORT: entry["persistence_rmse"],
            "Beat it?": BEAT[entry["beat"]],
            "Cell": entry["cell"],
            "Settings": f"{entry['model']} · {entry['training']}",
        }
        for rank, entry in enumerate(found, 1)
    ]
    return pd.DataFrame(rows)


def _table(found: list[dict]) -> None:
    text, number = st.column_config.TextColumn, st.column_config.NumberColumn
    rows = board_rows(found)
    st.dataframe(
        rows,
        key=f"{PAGE}.table",  # one identity across redraws: a sort by a header click stays
        hide_index=True,
        width="stretch",
        height=ROW_HEIGHT * min(len(rows), SHOWN_ROWS) + 38,
        column_config={
            # Narrow enough that at 1280 pixels beside the sidebar the settings keep about
            # 350 pixels: a model and most of its training.
            "#": number(width=36, help="Rank by RMSE, lowest first."),
            "Name": text(width=110, help="The name each student chose."),
            "RMSE": number(format="%.2f", width=60, help="On the test days, in price units."),
            PERSISTENCE_SHORT: number(
                format="%.2f",
                width=125,
                help="Its RMSE: each test day forecast as the day before, no training.",
            ),
            "Beat it?": text(width=65, help=f"Is its RMSE lower than {PERSISTENCE_SHORT}'s?"),
            "Cell": text(width=75),
            "Settings": text(help="The model's layers, then its training."),
        },
    )


# -- your runs -------------------------------------------------------------------------------


def _owner() -> str:
    return state.owner_id()


def your_runs(client: Client, board: str) -> None:
    """This browser's finished runs on the board's data and split, each with a button to
    put it on the board or take it off; and its entries on other boards."""
    st.subheader("Your runs")
    st.caption(
        "Private until you put one on the board. The board shows the name below, the run's"
        " settings and its scores; nothing else about you. You can take yours off at any"
        f" time; they come off by themselves {store.MAX_AGE_HOURS} hours after you put them on."
    )
    st.text_input(
        "Your name on the board",
        max_chars=store.MAX_NAME,
        placeholder="Any name your class will know, like Ada",
        help=f"Up to {store.MAX_NAME} characters, shown as typed.",
        **state.bound_value(state.BOARD_NAME_INPUT, state.BOARD_NAME, PAGE),
    )
    said = st.session_state.pop(state.BOARD_SAID, None)
    if said:
        kind, message = said
        (st.success if kind == "success" else st.error)(literal(message, 600))
    try:
        mine = store.owned(client, _owner())
    except Exception:  # the scheduler went away mid-read
        logger.warning("reading this browser's board entries failed", exc_info=True)
        st.warning(UNREACHABLE)
        return
    jobs = [job for job in runs.session_jobs() if _finished(job)]
    # One row a run's settings, the newest: the same settings trained twice (the seed is
    # a setting) are one run on the board, with one "Remove".
    newest = {job.spec.key(): job for job in jobs}
    here = [
        job
        for job in jobs
        if store.board_id(job.spec.data, job.spec.split) == board and newest[job.spec.key()] is job
    ]
    on_board = {(entry["board"], entry["run"]): entry for entry in mine}
    for job in reversed(here):
        _run_row(job, on_board.get((board, job.spec.key())))
    if not here:
        st.info(
            "None of your runs used this data and split yet: train one on the Train page"
            " (its split is this board's).",
            icon=":material/model_training:",
        )
        st.page_link(TRAIN.path, label="Train a model", icon=TRAIN.icon)
    elsewhere = len(jobs) - len(here)
    if elsewhere:
        st.caption(
            f"{elsewhere} more of your runs used other data or another split: choose those"
            " in the sidebar and above to see their board."
        )
    listed = {(board, job.spec.key()) for job in here}
    others = [entry for entry in mine if (entry["board"], entry["run"]) not in listed]
    if others:
        st.markdown("**Also yours on the boards**")
        for entry in others:
            _entry_row(entry)


def _finished(job: Job) -> bool:
    from rnnstock.experiment import ExperimentResult

    return job.status == DONE and isinstance(job.result, ExperimentResult)


def _run_row(job: Job, entry: dict | None) -> None:
    scores = job.result.scores
    beat = scores.skill > 0
    what, score, action = st.columns([5, 4, 2], vertical_alignment="center")
    what.markdown(f"**{literal(job.label)}** · {literal(job.spec.train.describe())}")
    score.markdown(
        f"RMSE {_number(scores.model.rmse)}, {PERSISTENCE_SHORT}"
        f" {_number(scores.persistence.rmse)}: "
        + (":green[beat it]" if beat else ":orange[did not beat it]")
    )
    if entry is not None:
        _remove_button(action, entry, f"Take it off the board (it is there as {entry['name']}).")
        return
    name_problem = None
    try:
        store.display_name(state.store().get(state.BOARD_NAME, ""))
    except store.BoardError as error:
        name_problem = str(error)
    action.button(
        "Put on the board",
        icon=":material/publish:",
        key=f"{PAGE}.put.{job.id}",
        on_click=_put,
        args=(job.id,),
        disabled=name_problem is not None,
        help=name_problem or "Your name, this run's settings and its scores, for everyone.",
        width="stretch",
    )


def _entry_row(entry: dict) -> None:
    what, action = st.columns([9, 2], vertical_alignment="center")
    what.markdown(
        f"**{literal(entry['name'])}** · {literal(entry['model'])} on {literal(entry['data'])}"
        f" ({literal(entry['split'])}) · RMSE {_number(entry['rmse'])}"
    )
    _remove_button(action, entry, "Take it off the board.")


def _remove_button(column, entry: dict, explanation: str) -> None:
    """An entry's "Remove": only its owner's page draws one."""
    column.button(
        "Remove",
        icon=":material/remove_circle:",
        key=f"{PAGE}.remove.{entry['id']}",
        on_click=_remove,
        args=(entry["id"],),
        help=literal(explanation),
        width="stretch",
    )


def _say(kind: str, message: str) -> None:
    st.session_state[state.BOARD_SAID] = (kind, message)


def _put(job_id: str) -> None:
    client = _client_now()
    job = runs.job_manager().job(job_id)
    if client is None or job is None or not _finished(job):
        _say("error", UNREACHABLE if client is None else "That run is no longer here.")
        return
    try:
        entry = store.entry_for(
            job.result,
            name=state.store().get(state.BOARD_NAME, ""),
            owner=_owner(),
            data_title=runs.my_runs().data.get(job_id, ""),
        )
        store.publish(client, entry)
    except store.BoardError as error:
        _say("error", str(error))
    except Exception:  # the scheduler went away, or runs another version of rnnstock
        logger.warning("putting a run on the class board failed", exc_info=True)
        _say("error", UNREACHABLE)
    else:
        _say("success", f"{job.label} is on the board as {entry['name']}.")


def _remove(entry_id: str) -> None:
    client = _client_now()
    try:
        removed = client is not None and store.remove(client, entry_id, _owner())
    except Exception:  # the scheduler went away, or runs another version of rnnstock
        logger.warning("taking a run off the class board failed", exc_info=True)
        removed = False
    if removed:
        _say("success", "Taken off the board.")
    else:
        _say("error", UNREACHABLE if client is None else "That run is no longer on the board.")
