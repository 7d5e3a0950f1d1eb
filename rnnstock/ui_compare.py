"""Streamlit pieces of the Compare page: settings, per-model progress, the comparison.

Every model of a comparison is one job on the shared queue (rnnstock.jobs),
so on a two-core server an LSTM and a GRU train at the same time, each in
its own worker process.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnstock.charts import comparison_figure, loss_figure, spread_figure
from rnnstock.compare import MAX_REPEATS, Comparison, comparison_specs
from rnnstock.jobs import CANCELLED, DONE, FAILED, QUEUED, Job
from rnnstock.presets import get_preset
from rnnstock.specs import CELLS, ExperimentSpec
from rnnstock.ui import LoadedData, kept, split_controls, split_mode_control
from rnnstock.ui_train import (
    apply_spec,
    experiment_spec,
    job_manager,
    network_fields,
    show_preset,
    submit_run,
)

PREFIX = "cmp_"
DATACAMP = "datacamp-lstm"  # its GRU twin differs only in the cell


def apply_datacamp() -> None:
    """The DataCamp tutorial's LSTM vs GRU: 125 units, window 60, 50 epochs, seed 455."""
    apply_spec(get_preset(DATACAMP).spec, PREFIX)
    st.session_state.update(cmp_cells=["LSTM", "GRU"], cmp_repeats=1, cmp_preset=True)


def preset_button() -> None:
    st.button(
        "Use the DataCamp tutorial's LSTM vs GRU",
        on_click=apply_datacamp,
        icon=":material/school:",
        help="LSTM(125) and GRU(125), window 60, RMSprop, 50 epochs, batch 32, seed 455,"
        " predicting High, trained on 2016–2020 and tested on 2021.",
    )
    if st.session_state.get("cmp_preset"):
        show_preset(DATACAMP)


def settings_form(data: LoadedData) -> list[ExperimentSpec] | None:
    """One shared setting for every model; the specs to train once submitted."""
    st.session_state.setdefault("cmp_cells", ["LSTM", "GRU"])
    st.session_state.setdefault("cmp_repeats", 1)
    mode = split_mode_control()
    with st.form("compare_settings"):
        st.markdown("**Data: split and window** (the same for every model)")
        split = split_controls(data, mode=mode)
        cells, values = network_fields(
            PREFIX,
            lambda column: column.multiselect(
                "Architectures",
                CELLS,
                **kept("cmp_cells"),
                max_selections=len(CELLS),
            ),
        )
        repeats = st.slider(
            "Repeat each model over seeds",
            1,
            MAX_REPEATS,
            **kept("cmp_repeats"),
            help="Seeds run from the seed above upwards. With 3 or more, the page shows the"
            " spread of each model's RMSE, so you can see whether a difference is noise.",
        )
        submitted = st.form_submit_button("Compare", type="primary", icon=":material/play_arrow:")
    if not submitted or split is None:
        return None
    try:
        base = experiment_spec(data, split, (cells or ["LSTM"])[0], values)
        return comparison_specs(base, cells, repeats)
    except ValueError as error:
        st.error(str(error))
        return None


def start(specs: list[ExperimentSpec], data: LoadedData) -> None:
    jobs = [
        submit_run(spec, data, label=f"{spec.model.describe()} · seed {spec.train.seed}")
        for spec in specs
    ]
    st.session_state["comparison_jobs"] = [job.id for job in jobs]


def current_jobs() -> list[Job]:
    manager = job_manager()
    jobs = [manager.job(job_id) for job_id in st.session_state.get("comparison_jobs", [])]
    return [job for job in jobs if job is not None]


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    """A progress bar per model, redrawn every second; reruns the page once all are done."""
    jobs = current_jobs()
    if not jobs:
        return
    manager = job_manager()
    for job in jobs:
        if job.status == QUEUED:
            position = manager.queue_position(job) or 1
            waiting = manager.running() + position > manager.workers
            text = (
                f"{job.label}: waiting, place {position} in the queue"
                if waiting
                else f"{job.label}: starting a trainer…"
            )
            st.progress(0.0, text=text)
        elif not job.done:
            latest = job.latest
            text = f"{job.label}: epoch {len(job.progress)} of {job.epochs}"
            if latest is not None:
                text += f" · {job.elapsed:.0f} s · about {latest.eta:.0f} s left"
            st.progress(job.fraction, text=text)
        else:
            status = {DONE: "done", FAILED: "failed", CANCELLED: "cancelled"}[job.status]
            st.progress(job.fraction, text=f"{job.label}: {status} after {job.elapsed:.0f} s")
    if not all(job.done for job in jobs):
        if st.button("Cancel the comparison", icon=":material/stop:"):
            for job in jobs:
                manager.cancel(job.id)
        return
    batch = tuple(job.id for job in jobs)
    if st.session_state.get("shown_comparison") != batch:
        st.session_state["shown_comparison"] = batch
        st.rerun(scope="app")  # draw the results outside this fragment


def results(jobs: list[Job]) -> None:
    for job in jobs:
        if job.status == FAILED:
            st.error(f"{job.label}: {job.error}")
    cancelled = [job for job in jobs if job.status == CANCELLED]
    if cancelled:
        st.warning(f"{len(cancelled)} of {len(jobs)} trainings were cancelled.")
    finished = [job.result for job in jobs if job.status == DONE and job.result is not None]
    if len({result.spec.model.cell for result in finished}) < 2:
        return
    comparison = Comparison.of(finished)
    first = {cell: comparison.first(cell) for cell in comparison.cells}
    any_result = next(iter(first.values()))
    st.subheader("Comparison: " + " vs ".join(comparison.cells))
    st.caption(
        f"{any_result.data_source}; {any_result.spec.split.describe()};"
        f" {any_result.spec.train.describe()}."
        + (" The chart shows the first seed of each model." if comparison.repeats > 1 else "")
    )
    predictions = pd.DataFrame({cell: r.predictions["predicted"] for cell, r in first.items()})
    actual = any_result.predictions["actual"].rename(any_result.spec.split.target)
    st.plotly_chart(
        comparison_figure(
            {cell: predictions[cell] for cell in predictions},
            actual,
            any_result.predictions["persistence"],
            f"{any_result.data_source} {any_result.spec.split.target}: real vs each model",
        )
    )
    st.info(comparison.ranking())
    table = comparison.table()
    whole = [c for c in ("Parameters", "Epochs run", "Seeds") if c in table.columns]
    st.dataframe(
        table.astype("float64")
        .style.format("{:,.2f}", na_rep="–")
        .format("{:.0%}", subset=["Skill vs persistence"], na_rep="–")
        .format("{:,.0f}", subset=whole, na_rep="–"),
        width="stretch",
    )
    if comparison.repeats > 1:
        st.plotly_chart(
            spread_figure(
                {cell: comparison.rmses(cell) for cell in comparison.cells},
                comparison.persistence_rmse,
            )
        )
    columns = st.columns(len(comparison.cells))
    jobs_by_result = {id(job.result): job for job in jobs if job.result is not None}
    for column, (cell, result) in zip(columns, first.items(), strict=True):
        progress = jobs_by_result[id(result)].progress
        figure = loss_figure(progress)
        figure.update_layout(title={"text": f"{cell} loss"})
        column.plotly_chart(figure, key=f"loss_{cell}")
