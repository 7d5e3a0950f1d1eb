"""Streamlit pieces of the Train page: the settings form, live progress, results, runs.

The page itself (app_pages/train.py) only strings these together. The Compare page
shares the job queue, the form's network fields and the run bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rnnstock.charts import loss_figure, prediction_figure
from rnnstock.evaluation import DIRECTION_NOTE, METRIC_LABELS
from rnnstock.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobManager
from rnnstock.presets import PRESETS, get_preset
from rnnstock.specs import CELLS, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from rnnstock.ui import (
    LoadedData,
    kept,
    mark_split_dates_chosen,
    split_controls,
    split_mode_control,
)

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

KEEP_MODELS = 3  # older runs keep their predictions and scores, not their Keras model
KEEP_RUNS = 50
OPTIMIZER_NAMES = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD"}
# Settings the Train and Compare forms share, each page under its own keys (Compare's
# start with "cmp_"), so a comparison does not overwrite the Train page's settings.
NETWORK_DEFAULTS = {
    "units": "50",
    "dense": "",
    "dropout": 0.0,
    "bidirectional": False,
    "optimizer": "adam",
    "learning_rate": 0.001,
    "epochs": 20,
    "batch_size": 32,
    "seed": 42,
}
FORM_DEFAULTS = {
    "cell": "LSTM",
    **NETWORK_DEFAULTS,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "patience": 5,
}


@st.cache_resource
def job_manager() -> JobManager:
    """One queue for every browser session on this server."""
    return JobManager()


# -- presets and the form -------------------------------------------------------------


def apply_spec(spec: ExperimentSpec, prefix: str = "") -> None:
    """Put a spec's split, network and training settings into a form's widgets."""
    model, train, split = spec.model, spec.train, spec.split
    st.session_state.update(
        {
            f"{prefix}units": ", ".join(map(str, model.units)),
            f"{prefix}dropout": model.dropout,
            f"{prefix}bidirectional": model.bidirectional,
            f"{prefix}dense": ", ".join(map(str, model.dense)),
            f"{prefix}optimizer": train.optimizer,
            f"{prefix}learning_rate": train.learning_rate
            or (0.01 if train.optimizer == "sgd" else 0.001),
            f"{prefix}epochs": train.epochs,
            f"{prefix}batch_size": train.batch_size,
            f"{prefix}seed": train.seed,
            "window": split.window,
            "target": split.target,
            "split_mode": split.mode,
        }
    )
    if split.mode == "fraction":
        st.session_state["train_fraction"] = split.train_fraction
    else:
        st.session_state["train_start"] = pd.Timestamp(split.train_start or "1900").date()
        st.session_state["train_end"] = pd.Timestamp(split.train_end).date()
        mark_split_dates_chosen()


def apply_preset() -> None:
    """Fill the form with the chosen tutorial's settings (a selectbox callback)."""
    preset_id = st.session_state.get("preset")
    if not preset_id:
        return
    spec = get_preset(preset_id).spec
    apply_spec(spec)
    st.session_state.update(cell=spec.model.cell, early_stopping=bool(spec.train.patience))


def show_preset(preset_id: str) -> None:
    """A tutorial's published figure, its data, and what it got wrong."""
    preset = PRESETS[preset_id]
    published = ", ".join(f"{k} {v:,g}" for k, v in preset.published.items())
    data = preset.spec.data
    st.info(
        f"**{preset.tutorial}** published {published}. {preset.published_note}\n\n"
        f"Its data: {data.name} from {data.start} to {data.end}. Pick it in the sidebar"
        " (ticker, or upload the tutorial's CSV) to reproduce the run."
    )
    with st.expander("What the tutorial got wrong, and what rnnstock does instead"):
        for difference in preset.differences:
            st.markdown(f"- {difference}")


def preset_picker() -> None:
    options = ["", *PRESETS]
    st.selectbox(
        "Start from a tutorial's settings",
        options,
        on_change=apply_preset,
        **kept("preset"),
        format_func=lambda key: PRESETS[key].title if key else "— your own settings —",
    )
    if st.session_state.get("preset"):
        show_preset(st.session_state["preset"])


def network_fields(prefix: str, architecture: Callable[[DeltaGenerator], Any]) -> tuple[Any, dict]:
    """The layer and training widgets the Train and Compare forms share (inside a form).

    ``architecture`` draws the page's own architecture picker in the first
    column. Returns its value and the other widgets' values by setting name.
    """
    for key, value in NETWORK_DEFAULTS.items():
        st.session_state.setdefault(prefix + key, value)
    st.markdown("**Model**")
    # One row, so that on a 1080-pixel projector the progress bar shows under the form
    # without scrolling.
    cell_col, units_col, dense_col, dropout_col, bidirectional_col = st.columns(
        [2.4, 2, 1.6, 1.8, 1.9], vertical_alignment="bottom"
    )
    cell = architecture(cell_col)
    values = {
        "units": units_col.text_input(
            "Units per recurrent layer",
            **kept(f"{prefix}units"),
            help="Units of each recurrent layer: '125' is one layer, '50, 50' stacks two.",
        ),
        "dense": dense_col.text_input(
            "Dense layers",
            **kept(f"{prefix}dense"),
            help="Dense layers between the recurrent ones and the output, e.g. '25';"
            " empty for none.",
        ),
        "dropout": dropout_col.slider(
            "Dropout",
            0.0,
            0.8,
            step=0.05,
            **kept(f"{prefix}dropout"),
            help="Share of units dropped after each recurrent layer while training.",
        ),
        "bidirectional": bidirectional_col.checkbox(
            "Bidirectional",
            **kept(f"{prefix}bidirectional"),
            help="Each recurrent layer also reads the window backwards.",
        ),
    }
    st.markdown("**Training**")
    opt_col, rate_col, epochs_col, batch_col, seed_col = st.columns(5)
    values["optimizer"] = opt_col.selectbox(
        "Optimizer",
        list(OPTIMIZER_NAMES),
        format_func=OPTIMIZER_NAMES.get,
        **kept(f"{prefix}optimizer"),
    )
    values["learning_rate"] = rate_col.number_input(
        "Learning rate",
        min_value=1e-5,
        max_value=1.0,
        format="%.5f",
        **kept(f"{prefix}learning_rate"),
    )
    values["epochs"] = epochs_col.number_input("Epochs", 1, 1000, **kept(f"{prefix}epochs"))
    values["batch_size"] = batch_col.number_input(
        "Batch size", 1, 4096, **kept(f"{prefix}batch_size")
    )
    values["seed"] = seed_col.number_input("Seed", 0, 2**31 - 1, **kept(f"{prefix}seed"))
    return cell, values


def experiment_spec(
    data: LoadedData, split: SplitSpec, cell: str, values: dict, **train: Any
) -> ExperimentSpec:
    """The spec the form's values describe; ValueError (with a readable message) if invalid."""
    return ExperimentSpec(
        data=data.spec,
        split=split,
        model=ModelSpec(
            cell=cell,
            units=values["units"],
            dropout=values["dropout"],
            bidirectional=values["bidirectional"],
            dense=values["dense"],
        ),
        train=TrainSpec(
            optimizer=values["optimizer"],
            learning_rate=values["learning_rate"],
            epochs=values["epochs"],
            batch_size=values["batch_size"],
            seed=values["seed"],
            **train,
        ),
    )


def settings_form(data: LoadedData) -> ExperimentSpec | None:
    """Every setting in one form, so editing does not rerun; the spec once submitted."""
    for key, value in FORM_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    mode = split_mode_control()
    with st.form("train_settings"):
        st.markdown("**Data: split and window**")
        split = split_controls(data, mode=mode)
        cell, values = network_fields(
            "", lambda column: column.selectbox("Architecture", CELLS, **kept("cell"))
        )
        stop_col, val_col, patience_col = st.columns(3, vertical_alignment="bottom")
        early = stop_col.checkbox(
            "Early stopping",
            **kept("early_stopping"),
            help="Hold out the end of the training period and stop when its loss stops"
            " improving; the best epoch's weights are kept.",
        )
        # Not disabled when early stopping is off: a form would only enable them on submit.
        validation = val_col.slider(
            "Held out for validation (early stopping)",
            0.05,
            0.5,
            step=0.05,
            **kept("validation_fraction"),
        )
        patience = patience_col.number_input(
            "Patience in epochs (early stopping)", 1, 100, **kept("patience")
        )
        submitted = st.form_submit_button("Train", type="primary", icon=":material/play_arrow:")
    if not submitted or split is None:
        return None
    try:
        return experiment_spec(
            data,
            split,
            cell,
            values,
            validation_fraction=validation if early else 0.0,
            patience=patience if early else None,
        )
    except ValueError as error:
        st.error(str(error))
        return None


# -- jobs of this session ---------------------------------------------------------------


def submit_run(spec: ExperimentSpec, data: LoadedData, label: str = "") -> Job:
    """Queue a training and add it to this session's runs."""
    job = job_manager().submit(spec, prices=data.prices, label=label or spec.model.describe())
    runs = st.session_state.setdefault("runs", [])
    runs.append(job.id)
    release_old_runs(runs)
    return job


def start_training(spec: ExperimentSpec, data: LoadedData) -> Job:
    job = submit_run(spec, data)
    st.session_state["train_job"] = job.id
    return job


def release_old_runs(runs: list[str]) -> None:
    """Bound memory: only the newest runs keep their models; very old runs are dropped."""
    manager = job_manager()
    for job_id in runs[:-KEEP_MODELS]:
        job = manager.job(job_id)
        if job is not None and job.result is not None:
            job.result.release_model()
    while len(runs) > KEEP_RUNS:
        manager.forget(runs.pop(0))


def session_jobs() -> list[Job]:
    manager = job_manager()
    return [job for job_id in st.session_state.get("runs", []) if (job := manager.job(job_id))]


def current_job() -> Job | None:
    job_id = st.session_state.get("train_job")
    return job_manager().job(job_id) if job_id else None


@st.fragment(run_every=1.0)
def progress_panel() -> None:
    """Live progress of the current job, redrawn every second; reruns the page once done."""
    job = current_job()
    if job is None:
        return
    manager = job_manager()
    if job.status == QUEUED:
        position = manager.queue_position(job)
        if manager.running() + (position or 1) <= manager.workers:
            st.info("Starting a trainer (TensorFlow takes a few seconds to load the first time)…")
        else:
            st.info(
                f"Waiting for a free trainer: place {position} in the queue"
                f" ({manager.workers} trainings run at once on this server)."
            )
    elif not job.done:
        latest = job.latest
        text = f"Epoch {len(job.progress)} of {job.epochs}"
        if latest is not None:
            text += (
                f" · loss {latest.loss:.2e} · {job.elapsed:.0f} s elapsed"
                f" · about {job.eta:.0f} s left"
            )
        else:
            text += " · starting TensorFlow…"
        st.progress(job.fraction, text=text)
        if job.progress:
            st.plotly_chart(loss_figure(job.progress), key="live_loss")
    if not job.done:
        if st.button("Cancel", icon=":material/stop:"):
            manager.cancel(job.id)
        return
    # A cancelled or failed job says so right here, without depending on a page rerun.
    job_outcome(job)
    if job.status == DONE and st.session_state.get("shown_job") != job.id:
        st.session_state["shown_job"] = job.id
        st.rerun(scope="app")  # draw the results outside this fragment


def job_outcome(job: Job) -> None:
    """What happened to a finished job: an error, a cancel notice, or nothing (results follow)."""
    if job.status == FAILED:
        st.error(job.error)
    elif job.status == CANCELLED:
        st.warning(f"Training was cancelled after {len(job.progress)} epoch(s).")


# -- results ------------------------------------------------------------------------------


def results(job: Job) -> None:
    result = job.result
    if job.status != DONE or result is None:
        return
    scores = result.scores
    st.subheader(f"Results: {result.spec.model.describe()}")
    if result.data_notice:
        st.warning(result.data_notice)
    show_fit, show_persistence = st.columns(2)
    fit = show_fit.toggle("Show the fit on the training days", **kept("show_fit"))
    persistence = show_persistence.toggle('Show "tomorrow = today"', **kept("show_persistence"))
    figure = prediction_figure(result, show_train_fit=fit, show_persistence=persistence)
    st.plotly_chart(figure)
    (st.success if scores.skill > 0 else st.warning)(scores.verdict())
    cards = st.columns(4)
    for card, (name, label) in zip(cards, list(METRIC_LABELS.items())[:4], strict=True):
        model_value = getattr(scores.model, name)
        baseline = getattr(scores.persistence, name)
        better_when_lower = name != "r2"
        card.metric(
            label,
            f"{model_value:,.2f}",
            delta=f"{model_value - baseline:+,.2f} vs persistence",
            delta_color="inverse" if better_when_lower else "normal",
            border=True,
            help=f'"Tomorrow = today" scores {baseline:,.2f}.',
        )
    st.dataframe(scores.table().style.format("{:,.2f}"), width="stretch")
    st.caption(DIRECTION_NOTE)
    summary_col, loss_col = st.columns([2, 3])
    with summary_col:
        st.markdown(f"**Model**: {result.parameters:,} parameters")
        st.dataframe(pd.DataFrame(result.model_summary), hide_index=True, width="stretch")
        history = result.history
        st.markdown(
            f"{history.epochs_run} epochs in {history.seconds:.1f} s"
            f" ({history.seconds_per_epoch:.2f} s per epoch)"
            + (f"; early stopping kept epoch {history.best_epoch}" if history.stopped_early else "")
        )
    loss_col.plotly_chart(loss_figure(job.progress), key="final_loss")
    downloads(result, figure)


def downloads(result, figure: go.Figure) -> None:
    stem = f"rnnstock-{result.spec.model.cell.lower()}-{result.spec.key()[:8]}"
    csv_col, model_col, chart_col = st.columns(3)
    csv_col.download_button(
        "Predictions (CSV)",
        result.predictions.to_csv(index_label="Date").encode(),
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    if result.has_model:
        model_col.download_button(
            "Model (.keras)",
            result.model_bytes,
            file_name=f"{stem}.keras",
            mime="application/zip",
            icon=":material/download:",
        )
    chart_col.download_button(
        "Chart (HTML)",
        figure.to_html(include_plotlyjs="cdn").encode(),
        file_name=f"{stem}.html",
        mime="text/html",
        icon=":material/download:",
    )


def run_status(job: Job) -> str:
    """A run's state as the runs table says it: "training, epoch 3 of 20" while it trains."""
    if job.status == RUNNING:
        return f"training, epoch {len(job.progress)} of {job.epochs}"
    return {QUEUED: "waiting"}.get(job.status, job.status)


def runs_table() -> None:
    """This session's runs, newest first; redrawn every second while one is unfinished,
    so its status follows the training instead of saying what it was at the click."""
    if any(not job.done for job in session_jobs()):
        _live_runs_table()
    else:
        _draw_runs_table()


@st.fragment(run_every=1.0)
def _live_runs_table() -> None:
    _draw_runs_table()


def _draw_runs_table() -> None:
    rows = []
    for job in session_jobs():
        row = {"status": run_status(job), "model": job.label, "epochs": job.epochs}
        if job.result is not None:
            summary = job.result.summary()
            row.update(
                {
                    key: summary[key]
                    for key in (
                        "data",
                        "target",
                        "window",
                        "training",
                        "parameters",
                        "epochs run",
                        "s/epoch",
                        "RMSE",
                        "MAE",
                        "MAPE %",
                        "persistence RMSE",
                        "skill",
                    )
                }
            )
        rows.append(row)
    if not rows:
        return
    st.subheader("This session's runs")
    st.dataframe(
        pd.DataFrame(rows[::-1]),
        hide_index=True,
        width="stretch",
        column_config={
            "skill": st.column_config.NumberColumn(format="percent"),
            "RMSE": st.column_config.NumberColumn(format="%.2f"),
            "MAE": st.column_config.NumberColumn(format="%.2f"),
            "MAPE %": st.column_config.NumberColumn(format="%.2f"),
            "persistence RMSE": st.column_config.NumberColumn(format="%.2f"),
        },
    )
