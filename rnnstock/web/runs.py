"""Trainings in the background: whose runs are whose, one progress panel, the runs table.

A browser's runs belong to its *owner id*: the ``rnnstock_browser`` cookie that
``server.py`` gives every browser (``rnnstock.web.browser``), so reloading the
tab during a training, or opening the same link again, finds the training
still going, with its progress, its Cancel button and then its results. With
no cookie (``streamlit run app.py``, AppTest) the owner is the session.
Another browser never sees these runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pandas as pd
import streamlit as st

from rnnstock.baselines import PERSISTENCE, persistence
from rnnstock.charts import learning_figure, loss_figure
from rnnstock.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobManager
from rnnstock.specs import ExperimentSpec, SplitSpec
from rnnstock.text import literal
from rnnstock.web import state
from rnnstock.web.sidebar import LoadedData
from rnnstock.windows import windowed_split

T = TypeVar("T")
KEEP_MODELS = 3  # older runs keep their predictions and scores, not their Keras model
KEEP_MODELS_ON_SERVER = 60  # two per student of a class of 30
KEEP_RUNS = 50


@dataclass
class OwnerRuns:
    """One browser's runs, oldest first, and the jobs each page shows now."""

    runs: list[str] = field(default_factory=list)
    shown: dict[str, list[str]] = field(default_factory=dict)  # page -> job ids
    data: dict[str, str] = field(default_factory=dict)  # job id -> the data's title


@st.cache_resource
def job_manager() -> JobManager:
    """One queue for every browser session on this server."""
    return JobManager()


@st.cache_resource
def owners() -> state.PerBrowser:
    """Every browser's runs on this server; a browser forgotten takes its runs along."""
    return state.PerBrowser(OwnerRuns, on_forget=_forget_runs)


def _forget_runs(mine: OwnerRuns) -> None:
    for job_id in mine.runs:
        job_manager().forget(job_id)


def my_runs() -> OwnerRuns:
    return owners().of(state.owner_id())


def submit(spec: ExperimentSpec, data: LoadedData, label: str = "", *, watch: bool = False) -> Job:
    """Queue a training and add it to this browser's runs; ``watch`` asks for the test
    predictions after each epoch, which the progress panel draws as the model learns."""
    test_days = None
    if watch:
        split = windowed_split(data.prices, spec.split)
        test_days = pd.DataFrame(
            {"actual": split.test, PERSISTENCE: persistence(split)}, index=split.test.index
        )
    job = job_manager().submit(
        spec, prices=data.prices, label=label or spec.model.describe(), watch=test_days
    )
    mine = my_runs()
    mine.runs.append(job.id)
    mine.data[job.id] = data.title
    _release_old_runs(mine)
    return job


def show(page: str, jobs: list[Job]) -> None:
    """These jobs are what ``page`` shows now (its last start)."""
    my_runs().shown[page] = [job.id for job in jobs]


def shown_jobs(page: str) -> list[Job]:
    manager = job_manager()
    return [job for job_id in my_runs().shown.get(page, []) if (job := manager.job(job_id))]


def session_jobs() -> list[Job]:
    manager = job_manager()
    return [job for job_id in my_runs().runs if (job := manager.job(job_id))]


def _release_old_runs(mine: OwnerRuns) -> None:
    """Bound memory: a browser's newest runs keep their models, and at most
    ``KEEP_MODELS_ON_SERVER`` models are kept across all browsers; very old runs go."""
    manager = job_manager()
    for job_id in mine.runs[:-KEEP_MODELS]:
        job = manager.job(job_id)
        if job is not None and job.result is not None:
            job.result.release_model()
    finished = sorted(
        # Only runs' results hold a model: a measurement's (the Mistakes page's) do not.
        (job for job in manager.jobs() if getattr(job.result, "has_model", False)),
        key=lambda job: job.finished or 0,
    )
    for job in finished[:-KEEP_MODELS_ON_SERVER]:
        job.result.release_model()
    while len(mine.runs) > KEEP_RUNS:
        forgotten = mine.runs.pop(0)
        mine.data.pop(forgotten, None)
        manager.forget(forgotten)


# -- progress --------------------------------------------------------------------------


def status_line(job: Job, manager: JobManager, *, short: bool = False) -> str:
    """What a job is doing, in one line: in full under a progress bar, ``short`` in the
    runs table (the queue place and epoch, without the explanations)."""
    if job.status == QUEUED:
        place = manager.queue_position(job)
        if place is not None:
            if short:
                return f"waiting (place {place})"
            return f"waiting: place {place} in the queue ({manager.workers} train at once here)"
        if short:
            return "starting"
        if not manager.ready:
            return "starting the trainers (the first training on this server waits a few seconds)"
        if job.assigned:
            return "starting a trainer (TensorFlow takes a few seconds the first time)"
        return "joining the queue"
    if job.status == RUNNING:
        text = f"epoch {len(job.progress)} of {job.epochs}"
        if job.latest is not None and not short:
            text += f" · loss {job.latest.loss:.2e} · {job.elapsed:.0f} s"
            if job.eta is not None:
                text += f" · about {job.eta:.0f} s left"
        return text
    word = {DONE: "done", FAILED: "failed", CANCELLED: "cancelled"}[job.status]
    return f"{word} after {job.elapsed:.0f} s"


def progress_panel(page: str) -> None:
    """The progress of a page's jobs (one or several): redrawn every second while one is
    unfinished, drawn once when all are done (no polling, no extra rerun of the page)."""
    jobs = shown_jobs(page)
    if any(not job.done for job in jobs):
        _live_progress(page)
    elif jobs:
        _draw_progress(page, jobs)


@st.fragment(run_every=1.0)
def _live_progress(page: str) -> None:
    jobs = shown_jobs(page)
    if jobs and all(job.done for job in jobs):
        st.rerun(scope="app")  # finished since the page was drawn: the page draws the results
    _draw_progress(page, jobs)


def _draw_progress(page: str, jobs: list[Job]) -> None:
    manager = job_manager()
    for job in jobs:
        label = f"{job.label}: " if len(jobs) > 1 else ""
        st.progress(job.fraction, text=label + status_line(job, manager))
    unfinished = [job for job in jobs if not job.done]
    if len(jobs) == 1 and unfinished and jobs[0].progress:
        job = jobs[0]
        watched = job.watched
        if watched is not None and job.test_days is not None:
            learning, loss = st.columns([3, 2])
            learning.plotly_chart(
                learning_figure(job.test_days, watched, job.spec.model.cell, job.spec.split.target),
                key=f"{page}.learning",
            )
            loss.plotly_chart(loss_figure(job.progress), key=f"{page}.live_loss")
        else:
            st.plotly_chart(loss_figure(job.progress), key=f"{page}.live_loss")
    if unfinished:
        if st.button("Cancel", icon=":material/stop:", key=f"{page}.cancel"):
            for job in unfinished:
                manager.cancel(job.id)
        return
    outcomes(jobs)


def outcomes(jobs: list[Job]) -> None:
    """Failed and cancelled jobs say so; finished ones are drawn by their page."""
    for job in jobs:
        prefix = f"{job.label}: " if len(jobs) > 1 else ""
        if job.status == FAILED:
            st.error(prefix + literal(job.error or "the training failed.", 600))
        elif job.status == CANCELLED:
            epochs = len(job.progress)
            st.warning(f"{prefix}Training was cancelled after {epochs} epoch{'s' * (epochs != 1)}.")


# -- the runs table -------------------------------------------------------------------------


def runs_table() -> None:
    """This browser's runs, newest first; redrawn every second while one is unfinished,
    so its status follows the training instead of saying what it was at the click."""
    if any(not job.done for job in session_jobs()):
        _live_runs_table()
    else:
        _draw_runs_table()


@st.fragment(run_every=1.0)
def _live_runs_table() -> None:
    _draw_runs_table()


def run_row(job: Job, manager: JobManager, data: str = "") -> dict:
    row = {"status": status_line(job, manager, short=True), "model": job.label}
    result = job.result
    if result is not None:
        row.update(
            {
                "data": data or result.data_source,
                "window": result.spec.split.window,
                "epochs": result.history.epochs_run,
                "RMSE": result.scores.model.rmse,
                "persistence RMSE": result.scores.persistence.rmse,
                "skill": result.scores.skill,
            }
        )
    return row


def _draw_runs_table() -> None:
    manager, titles = job_manager(), my_runs().data
    rows = [run_row(job, manager, titles.get(job.id, "")) for job in session_jobs()]
    if not rows:
        return
    st.subheader("Your runs")
    text, number = st.column_config.TextColumn, st.column_config.NumberColumn
    # Widths that fit a 1280-pixel screen beside the sidebar, with no sideways scroll.
    st.dataframe(
        pd.DataFrame(rows[::-1]),
        hide_index=True,
        width="stretch",
        column_config={
            "status": text(width=120),
            "model": text(width=150),
            "data": text(width=130),
            "window": number(width=60),
            "epochs": number(width=60),
            "RMSE": number(format="%.2f", width=70),
            "persistence RMSE": number(format="%.2f", width=125),
            "skill": number(format="percent", width=85),  # room for "-1,444.88%"
        },
    )


def start_button(page: str, label: str, build: Callable[[], T], split: SplitSpec | None):
    """What ``build`` makes of the settings shown, once the page's start button is clicked;
    until the settings are valid, the button is disabled and a message says what to fix
    (the split's own message is already above it). While the page's last start is still
    training, the button waits too: a double click would train twice."""
    made = None
    if split is not None:
        try:
            made = build()
        except ValueError as error:
            st.error(literal(error, 600))
    busy = any(not job.done for job in shown_jobs(page))
    if busy:
        why = "Training: wait for it to finish, or cancel it below."
    else:
        why = None if made is not None else "Fix the setting the message above names first."
    clicked = st.button(
        label,
        type="primary",
        icon=":material/play_arrow:",
        disabled=made is None or busy,
        key=f"{page}.start",
        help=why,
    )
    return made if clicked and not busy else None
