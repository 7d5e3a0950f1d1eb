"""The Mistakes page's pieces: which mistakes, the measurement in the background, results.

Each chosen mistake of the tutorials is trained their way and the right way on the data
of the sidebar (rnnstock.mistakes). The trainings run in the background on the
server's shared workers (rnnstock.web.runs.job_manager), behind any training a
student asks for meanwhile (rnnstock.mistakes.MEASUREMENT_PRIORITY), so the page
never waits: it shows the progress, and each mistake as soon as its trainings are
done. A browser's last measurement is kept for it, as its runs are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from rnnstock.charts import mistake_figure
from rnnstock.jobs import DONE, Job, JobManager
from rnnstock.mistakes import (
    INFO,
    Mistake,
    Plan,
    assess,
    mistakes_of,
    plan,
    submit_training,
)
from rnnstock.presets import PRESETS
from rnnstock.settings import MISTAKES as MISTAKE_IDS
from rnnstock.settings import SETTINGS
from rnnstock.text import literal
from rnnstock.web import runs, state
from rnnstock.web.pages import MISTAKES
from rnnstock.web.sidebar import LoadedData
from rnnstock.web.widgets import help_text, widget

PAGE = MISTAKES.url
PRESET_PARAM = "preset"  # ?preset=netflix-simplernn: the link from a preset on the Train page


def measurement_queue() -> JobManager:
    """The server's one queue (its measurements go behind a class's trainings)."""
    return runs.job_manager()


@dataclass
class Measurement:
    """A browser's last measurement: what it measures, and a job per training."""

    plan: Plan
    data_title: str
    jobs: dict[str, str] = field(default_factory=dict)  # training key -> job id


@st.cache_resource
def _measurements() -> state.PerBrowser:
    """Each browser's last measurement (a forgotten browser's jobs are dropped)."""
    return state.PerBrowser(dict, on_forget=_forget)


def _forget(mine: dict) -> None:
    measurement = mine.get("last")
    if measurement is not None:
        _drop(measurement)


def _drop(measurement: Measurement) -> None:
    queue = measurement_queue()
    for job_id in measurement.jobs.values():
        queue.cancel(job_id)
        queue.forget(job_id)


def current() -> Measurement | None:
    return _measurements().of(state.owner_id()).get("last")


def jobs_of(measurement: Measurement) -> dict[str, Job]:
    """The measurement's jobs by training key (a job the queue forgot is left out)."""
    queue = measurement_queue()
    found = {key: queue.job(job_id) for key, job_id in measurement.jobs.items()}
    return {key: job for key, job in found.items() if job is not None}


# -- the settings ----------------------------------------------------------------------------


def from_preset() -> None:
    """Opened from a preset's link: its tutorial's mistakes are the ones chosen."""
    preset_id = st.query_params.get(PRESET_PARAM)
    if preset_id is None:
        return
    del st.query_params[PRESET_PARAM]
    if preset_id in PRESETS:
        state.put(PAGE, mistakes=list(mistakes_of(preset_id)))
        st.session_state[state.MISTAKES_PRESET] = preset_id


def _title(mistake_id: str) -> str:
    info = INFO[mistake_id]
    return f"{info.short} ({info.seed})"


def settings(data: LoadedData) -> Plan | None:
    """The mistakes and the measurement's size; the plan to run once Measure is clicked."""
    preset_id = st.session_state.get(state.MISTAKES_PRESET)
    if preset_id in PRESETS:
        st.caption(f"Opened from the preset {PRESETS[preset_id].title}: its tutorial's mistakes.")
    st.multiselect(
        SETTINGS["mistakes"].label,
        options=list(MISTAKE_IDS),
        format_func=_title,
        help=help_text(SETTINGS["mistakes"]),
        **state.bound("mistakes", PAGE),
    )
    chosen = state.get("mistakes", PAGE)
    epochs_col, seeds_col, _ = st.columns([2, 2, 3], vertical_alignment="bottom")
    widget("mistake_epochs", PAGE, epochs_col)
    if "one-run-verdict" in chosen:
        widget("mistake_seeds", PAGE, seeds_col)
    made = None
    try:
        made = plan(
            data.prices,
            data.spec,
            chosen,
            epochs=state.get("mistake_epochs", PAGE),
            seeds=state.get("mistake_seeds", PAGE),
        )
    except ValueError as error:
        st.error(literal(error, 600))
    if made is not None:
        trainings = len(made.unique())
        st.caption(
            f"{trainings} training{'s' * (trainings != 1)}, {made.epochs:,} epochs in all,"
            " on the server's trainers, after any training a student asks for meanwhile;"
            " each mistake is shown as soon as its trainings are done."
        )
        for note in made.notes:
            st.caption(literal(note, 300))
    measurement = current()
    busy = measurement is not None and not all(j.done for j in jobs_of(measurement).values())
    why = "Measuring: wait for it to finish, or cancel it below." if busy else None
    if made is None and not busy:
        why = "Fix the setting the message above names first."
    clicked = st.button(
        "Measure",
        type="primary",
        icon=":material/play_arrow:",
        disabled=made is None or busy,
        key=f"{PAGE}.start",
        help=why,
    )
    return made if clicked and not busy else None


def start(measured: Plan, data: LoadedData) -> None:
    """Queue every training of the plan (a previous measurement of this browser goes)."""
    mine = _measurements().of(state.owner_id())
    previous = mine.get("last")
    if previous is not None:
        _drop(previous)
    queue = measurement_queue()
    measurement = Measurement(measured, data.title)
    for training in measured.unique():
        job = submit_training(queue, training, prices=data.prices)
        measurement.jobs[training.key()] = job.id
    mine["last"] = measurement


# -- progress ----------------------------------------------------------------------------------


def finished_mistakes(measurement: Measurement, jobs: dict[str, Job]) -> list[str]:
    """The mistakes whose trainings have all finished well."""
    return [
        mistake
        for mistake, trainings in measurement.plan.trainings.items()
        if all((job := jobs.get(t.key())) is not None and job.status == DONE for t in trainings)
    ]


def progress(measurement: Measurement) -> None:
    """One bar for the whole measurement, redrawn every second while it trains."""
    jobs = jobs_of(measurement)
    if any(not job.done for job in jobs.values()):
        _live_progress(len(finished_mistakes(measurement, jobs)))
    else:
        _draw_progress(measurement, jobs)


@st.fragment(run_every=1.0)
def _live_progress(finished_when_drawn: int) -> None:
    measurement = current()
    if measurement is None:
        return
    jobs = jobs_of(measurement)
    if all(job.done for job in jobs.values()) or (
        len(finished_mistakes(measurement, jobs)) != finished_when_drawn
    ):
        st.rerun(scope="app")  # a mistake is ready: the page draws it
    _draw_progress(measurement, jobs)


def _draw_progress(measurement: Measurement, jobs: dict[str, Job]) -> None:
    queue = measurement_queue()
    ordered = [jobs[t.key()] for t in measurement.plan.unique() if t.key() in jobs]
    total = sum(job.epochs for job in ordered) or 1
    done = sum(job.epochs if job.status == DONE else len(job.progress) for job in ordered)
    finished = sum(job.done for job in ordered)
    unfinished = [job for job in ordered if not job.done]
    if unfinished:
        job = next((j for j in unfinished if j.status != "queued"), unfinished[0])
        text = (
            f"Training {finished + 1} of {len(ordered)}: {job.label} ·"
            f" {runs.status_line(job, queue)}"
        )
    else:
        text = f"{len(ordered)} trainings finished"
    st.progress(min(done / total, 1.0), text=text)
    if unfinished:
        if st.button("Cancel", icon=":material/stop:", key=f"{PAGE}.cancel"):
            for job in unfinished:
                queue.cancel(job.id)
        return
    runs.outcomes([job for job in ordered if job.status != DONE])


# -- results ---------------------------------------------------------------------------------


def results(measurement: Measurement) -> None:
    """Each mistake whose trainings are done: the two figures, why, the facts, a chart."""
    jobs = jobs_of(measurement)
    ready = finished_mistakes(measurement, jobs)
    if not ready:
        return
    measured = {key: job.result for key, job in jobs.items() if job.status == DONE}
    shown = Plan(
        data=measurement.plan.data,
        trainings={m: measurement.plan.trainings[m] for m in ready},
        notes=measurement.plan.notes,
    )
    st.caption(f"Measured on {literal(measurement.data_title, 300)}.")
    for mistake in assess(shown, measured):
        show(mistake)


def number(value: float) -> str:
    return f"{value:,.2f}"


def show(mistake: Mistake) -> None:
    st.subheader(f"{mistake.title} ({mistake.seed})", anchor=mistake.id)
    # The settings name the data (an uploaded file's name): shown literally, never as Markdown.
    st.caption(f"Reproduces: `{mistake.reproduces}`. Settings: {literal(mistake.settings, 600)}.")
    wrong_col, right_col, difference_col = st.columns(3)
    # The line under each figure says what goes with it (persistence, the days, the epoch).
    quiet = {"border": True, "delta_color": "off", "delta_arrow": "off"}
    for column, side in ((wrong_col, mistake.wrong), (right_col, mistake.right)):
        column.metric(side.label, number(side.value), delta=side.detail or None, **quiet)
    difference_col.metric(
        "Difference (tutorial's − right)",
        f"{mistake.difference:+,.2f}",
        delta=mistake.measured,
        **quiet,
    )
    st.info(f"**Why:** {mistake.why}")
    facts_col, chart_col = st.columns([1, 1])
    with facts_col:
        st.markdown("\n".join(f"- {fact}" for fact in mistake.facts))
        table = mistake.table
        numbers = [c for c in table.columns if table[c].dtype.kind in "fi"]
        whole = [c for c in numbers if table[c].dtype.kind == "i"]
        style = table.style.format("{:,.2f}", subset=numbers, na_rep="–")
        style = style.format("{:,.0f}", subset=whole)
        if "Skill vs persistence" in table.columns:
            style = style.format("{:.0%}", subset=["Skill vs persistence"])
        st.table(style)  # a data grid would show a missing value as "None"
    if mistake.chart is not None:
        chart_col.plotly_chart(mistake_figure(mistake.chart), key=f"{PAGE}.chart.{mistake.id}")
