"""The Train page's pieces: a preset, the settings, the results.

No ``st.form``: a form sends its values only when submitted, so edits were
lost on a page switch and neither the link nor the Learn page saw them. Each
edit is saved to the settings store as it is made (``rnnstock.web.state``).
The Compare page shares the network fields and the spec building.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from rnnstock.baselines import PERSISTENCE_LABEL, PERSISTENCE_SHORT
from rnnstock.charts import loss_figure, prediction_figure
from rnnstock.evaluation import DIRECTION_NOTE, METRIC_LABELS
from rnnstock.jobs import DONE, Job
from rnnstock.presets import PRESETS, get_preset
from rnnstock.settings import learning_rate_for
from rnnstock.specs import ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from rnnstock.text import literal
from rnnstock.web import runs, state
from rnnstock.web.pages import TRAIN
from rnnstock.web.sidebar import LoadedData
from rnnstock.web.split import split_controls
from rnnstock.web.widgets import widget

PAGE = TRAIN.url
PRESET = f"{PAGE}.preset"
MODEL_SETTINGS = ("units", "dense", "dropout", "bidirectional")
TRAINING_SETTINGS = ("optimizer", "learning_rate", "epochs", "batch_size", "seed")
COUNT = st.column_config.NumberColumn(format="localized")  # 63,626 rather than 63626


# -- presets -----------------------------------------------------------------------------


def apply_spec(spec: ExperimentSpec, page: str) -> None:
    """A spec's split, network and training settings, as if the user had set them."""
    split, model, train = spec.split, spec.model, spec.train
    values: dict[str, Any] = {
        "target": split.target,
        "learn_from": split.learn_from,
        "window": split.window,
        "split_mode": split.mode,
        **{name: getattr(model, name) for name in MODEL_SETTINGS},
        **{name: getattr(train, name) for name in TRAINING_SETTINGS},
        "learning_rate": train.learning_rate or learning_rate_for(train.optimizer),
    }
    if split.mode == "fraction":
        values["train_fraction"] = split.train_fraction
    else:
        values.update(train_start=split.train_start, train_end=split.train_end)
    if page == PAGE:
        values.update(cell=model.cell, early_stopping=bool(train.patience))
        if train.patience:
            values.update(validation_fraction=train.validation_fraction, patience=train.patience)
    state.put(page, **values)
    if split.mode == "dates" and not split.train_start:
        state.forget(page, "train_start")  # from the data's first day


def _apply_preset() -> None:
    preset_id = st.session_state.get(PRESET)
    if preset_id:
        apply_spec(get_preset(preset_id).spec, PAGE)


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
    # One click to the tutorial's mistakes, measured on the data in the sidebar.
    from rnnstock.mistakes import INFO, mistakes_of
    from rnnstock.web.pages import MISTAKES

    measured = [INFO[mistake].short.lower() for mistake in mistakes_of(preset_id)]
    st.page_link(
        MISTAKES.path,
        label="Measure what this tutorial got wrong"
        + (f": {'; '.join(measured)}" if len(measured) < len(INFO) else ""),
        icon=MISTAKES.icon,
        query_params={"preset": preset_id},
    )


def preset_picker() -> None:
    st.selectbox(
        "Start from a tutorial's settings",
        ["", *PRESETS],
        on_change=_apply_preset,
        **state.kept(PRESET),
        format_func=lambda key: PRESETS[key].title if key else "— your own settings —",
    )
    if st.session_state.get(PRESET):
        show_preset(st.session_state[PRESET])


# -- the settings ----------------------------------------------------------------------------


def network_fields(page: str, architecture: str) -> None:
    """The model and training widgets the Train and Compare pages share.

    ``architecture`` is the page's own picker: ``cell`` (one) or ``cells`` (several).
    """
    st.markdown("**Model**")
    # One row, so that on a 1080-pixel projector the progress bar shows under the
    # settings without scrolling; the three architectures' chips need a row of their own
    # at 1280 pixels (beside four fields they hid each other or "Bidirectional").
    if architecture == "cells":
        widget(architecture, page, st.columns([3, 2])[0])
        columns = st.columns([2, 1.6, 1.8, 1.7], vertical_alignment="bottom")
        fields = MODEL_SETTINGS
    else:
        columns = st.columns([2.6, 2, 1.6, 1.8, 1.7], vertical_alignment="bottom")
        fields = (architecture, *MODEL_SETTINGS)
    for name, column in zip(fields, columns, strict=True):
        widget(name, page, column)
    st.markdown("**Training**")
    for name, column in zip(TRAINING_SETTINGS, st.columns(5), strict=True):
        widget(name, page, column)


def experiment_spec(data: LoadedData, split: SplitSpec, page: str, cell: str) -> ExperimentSpec:
    """The spec the page's widgets describe; ValueError (readable) if a setting is invalid."""
    early = page == PAGE and bool(state.get("early_stopping", page))
    return ExperimentSpec(
        data=data.spec,
        split=split,
        model=ModelSpec(cell=cell, **{name: state.get(name, page) for name in MODEL_SETTINGS}),
        train=TrainSpec(
            **{name: state.get(name, page) for name in TRAINING_SETTINGS},
            validation_fraction=state.get("validation_fraction", page) if early else 0.0,
            patience=state.get("patience", page) if early else None,
        ),
    )


def settings(data: LoadedData) -> ExperimentSpec | None:
    """Every setting; the spec to train when Train is clicked and the settings are valid."""
    st.markdown("**Data: split and window**")
    split = split_controls(data, PAGE)
    network_fields(PAGE, "cell")
    stop_col, val_col, patience_col = st.columns(3, vertical_alignment="bottom")
    widget("early_stopping", PAGE, stop_col)
    early = bool(state.get("early_stopping", PAGE))
    if early:
        widget("validation_fraction", PAGE, val_col)
        widget("patience", PAGE, patience_col)
    return runs.start_button(
        PAGE, "Train", lambda: experiment_spec(data, split, PAGE, state.get("cell", PAGE)), split
    )


def start(spec: ExperimentSpec, data: LoadedData) -> Job:
    job = runs.submit(spec, data, watch=True)
    runs.show(PAGE, [job])
    return job


def current_job() -> Job | None:
    jobs = runs.shown_jobs(PAGE)
    return jobs[0] if jobs else None


# -- results ------------------------------------------------------------------------------


def number(value: float, digits: int = 2) -> str:
    """A score as a class reads it: "–" where there is none (R² of one day is undefined)."""
    return f"{value:,.{digits}f}" if value is not None and math.isfinite(value) else "–"


def score_card(card, label: str, model_value: float, baseline: float, lower_is_better: bool):
    difference = model_value - baseline
    tied = not math.isfinite(difference) or round(difference, 2) == 0
    card.metric(
        label,
        number(model_value),
        delta=None if not math.isfinite(difference) else f"{difference:+,.2f} vs persistence",
        delta_color="off" if tied else ("inverse" if lower_is_better else "normal"),
        border=True,
        help=f"{PERSISTENCE_LABEL} scores {number(baseline)}.",
    )


def results(job: Job) -> None:
    result = job.result
    if job.status != DONE or result is None:
        return
    scores = result.scores
    st.subheader(f"Results: {result.spec.model.describe()}")
    if result.data_notice:
        st.warning(literal(result.data_notice, 600))
    show_fit, show_persistence = st.columns(2)
    fit = show_fit.toggle("Show the fit on the training days", **state.kept(f"{PAGE}.show_fit"))
    persistence = show_persistence.toggle(
        f"Show {PERSISTENCE_SHORT}", **state.kept(f"{PAGE}.show_persistence")
    )
    figure = prediction_figure(result, show_train_fit=fit, show_persistence=persistence)
    st.plotly_chart(figure)
    (st.success if scores.skill > 0 else st.warning)(scores.verdict())
    cards = st.columns(4)
    for card, (name, label) in zip(cards, list(METRIC_LABELS.items())[:4], strict=True):
        score_card(
            card,
            label,
            getattr(scores.model, name),
            getattr(scores.persistence, name),
            name != "r2",
        )
    # A table, not a data grid, which would show a missing score as "None".
    st.table(scores.table().style.format("{:,.2f}", na_rep="–"))
    st.caption(DIRECTION_NOTE)
    summary_col, loss_col = st.columns([2, 3])
    with summary_col:
        st.markdown(f"**Model**: {result.parameters:,} parameters")
        st.dataframe(
            pd.DataFrame(result.model_summary),
            hide_index=True,
            width="stretch",
            column_config={"parameters": COUNT, "Param #": COUNT},
        )
        history = result.history
        epochs = history.epochs_run
        st.markdown(
            f"{epochs} epoch{'s' * (epochs != 1)} in {history.seconds:.1f} s"
            f" ({history.seconds_per_epoch:.2f} s per epoch)"
            + (f"; early stopping kept epoch {history.best_epoch}" if history.best_epoch else "")
        )
    loss_col.plotly_chart(loss_figure(job.progress), key=f"{PAGE}.final_loss")
    downloads(result, figure)


def downloads(result, figure: go.Figure) -> None:
    """The run's files, one button each. All but the small CSV are made when clicked
    (Streamlit calls the function then, on another thread): a rerun does not rebuild
    megabytes of HTML, and no click reruns the page."""
    from rnnstock.runcard import card_html, card_markdown
    from rnnstock.runfiles import chart_html, model_archive, predictions_csv, run_stem

    stem = run_stem(result)
    files = [
        (
            "Predictions (CSV)",
            predictions_csv(result),
            f"{stem}.csv",
            "text/csv",
            "The test days: real, predicted and both baselines' prices.",
        )
    ]
    if result.has_model:
        files.append(
            (
                "Model (.zip)",
                lambda: model_archive(result),
                f"{stem}.zip",
                "application/zip",
                "The model with its scaling and load.py, whose predict_dollars() returns"
                " prices; README.txt inside says how.",
            )
        )
    files += [
        (
            "Chart (HTML)",
            lambda: chart_html(figure),
            f"{stem}.html",
            "text/html",
            "The chart as shown, with Plotly inside (about 5 MB): it opens offline.",
        ),
        (
            "Card (HTML)",
            lambda: card_html(result, figure),
            f"{stem}-card.html",
            "text/html",
            "The run card with the chart: data and its fingerprint, every setting, the scores"
            " beside both baselines, training facts, versions (about 5 MB, opens offline).",
        ),
        (
            "Card (.md)",
            lambda: card_markdown(result),
            f"{stem}-card.md",
            "text/markdown",
            "The run card as Markdown, without the chart.",
        ),
    ]
    for column, (label, data, name, mime, help_text) in zip(
        st.columns(len(files)), files, strict=True
    ):
        column.download_button(
            label,
            data,
            file_name=name,
            mime=mime,
            help=help_text,
            icon=":material/download:",
            on_click="ignore",
        )
