"""The Compare page's pieces: settings, the comparison's results.

Every model of a comparison is one job on the shared queue (rnnstock.jobs),
so on a two-core server an LSTM and a GRU train at the same time, each in
its own worker process. The split is shared with the other pages; the
network settings are the Compare page's own, so a comparison does not change
what the Train page trains.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnnstock.baselines import PERSISTENCE
from rnnstock.charts import comparison_figure, loss_figure, spread_figure
from rnnstock.compare import Comparison, comparison_specs
from rnnstock.jobs import CANCELLED, DONE, Job
from rnnstock.presets import get_preset
from rnnstock.specs import ExperimentSpec
from rnnstock.web import runs, state
from rnnstock.web.pages import COMPARE
from rnnstock.web.sidebar import LoadedData
from rnnstock.web.split import split_controls
from rnnstock.web.train import (
    apply_spec,
    experiment_spec,
    network_fields,
    show_preset,
)
from rnnstock.web.widgets import widget

PAGE = COMPARE.url
DATACAMP = "datacamp-lstm"  # its GRU twin differs only in the cell
PRESET_SHOWN = f"{PAGE}.preset"


def apply_datacamp() -> None:
    """The DataCamp tutorial's LSTM vs GRU: 125 units, window 60, 50 epochs, seed 455."""
    apply_spec(get_preset(DATACAMP).spec, PAGE)
    state.put(PAGE, cells=("LSTM", "GRU"), repeats=1)
    st.session_state[PRESET_SHOWN] = True


def preset_button() -> None:
    st.button(
        "Use the DataCamp tutorial's LSTM vs GRU",
        on_click=apply_datacamp,
        icon=":material/school:",
        help="LSTM(125) and GRU(125), window 60, RMSprop, 50 epochs, batch 32, seed 455,"
        " predicting High, trained on 2016–2020 and tested on 2021.",
    )
    if st.session_state.get(PRESET_SHOWN):
        show_preset(DATACAMP)


def settings(data: LoadedData) -> list[ExperimentSpec] | None:
    """One shared setting for every model; the specs to train once Compare is clicked."""
    st.markdown("**Data: split and window** (the same for every model)")
    split = split_controls(data, PAGE)
    network_fields(PAGE, "cells")
    widget("repeats", PAGE, st.columns([2, 3])[0])

    def build() -> list[ExperimentSpec]:
        cells = state.get("cells", PAGE)
        base = experiment_spec(data, split, PAGE, (list(cells) or ["LSTM"])[0])
        return comparison_specs(base, cells, state.get("repeats", PAGE))

    return runs.start_button(PAGE, "Compare", build, split)


def start(specs: list[ExperimentSpec], data: LoadedData) -> None:
    jobs = [
        runs.submit(spec, data, label=f"{spec.model.describe()} · seed {spec.train.seed}")
        for spec in specs
    ]
    runs.show(PAGE, jobs)


def current_jobs() -> list[Job]:
    return runs.shown_jobs(PAGE)


def results(jobs: list[Job]) -> None:
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
            any_result.predictions[PERSISTENCE],
            f"{any_result.data_source} {any_result.spec.split.target}: real vs each model",
        )
    )
    st.info(comparison.ranking())
    table = comparison.table()
    whole = [c for c in ("Parameters", "Epochs run", "Seeds") if c in table.columns]
    # A table, not a data grid: the grid shows a missing value (persistence has no
    # parameters, time or epochs) as "None" whatever the format says.
    st.table(
        table.astype("float64")
        .style.format("{:,.2f}", na_rep="–")
        .format("{:.0%}", subset=["Skill vs persistence"], na_rep="–")
        .format("{:,.0f}", subset=whole, na_rep="–")
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
        figure = loss_figure(jobs_by_result[id(result)].progress)
        figure.update_layout(title={"text": f"{cell} loss"})
        column.plotly_chart(figure, key=f"{PAGE}.loss_{cell}")
