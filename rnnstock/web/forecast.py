"""The Forecast page's pieces: pick a trained model, forecast, backtest."""

from __future__ import annotations

import streamlit as st

from rnnstock.baselines import PERSISTENCE
from rnnstock.charts import backtest_figure, forecast_figure, horizon_figure
from rnnstock.experiment import ExperimentResult
from rnnstock.forecast import backtest, error_by_horizon, forecast_future
from rnnstock.jobs import DONE, Job
from rnnstock.settings import check
from rnnstock.specs import ExperimentSpec, ModelSpec, TrainSpec
from rnnstock.text import literal
from rnnstock.web import runs, state
from rnnstock.web.pages import FORECAST, TRAIN, link
from rnnstock.web.sidebar import LoadedData
from rnnstock.web.split import split_from_state
from rnnstock.web.widgets import widget

PAGE = FORECAST.url
BACKTEST_STARTS = 30  # enough starts for a steady error curve; one batched call a step
BACKTEST_DRAWN = 8  # of them drawn, evenly spaced, so the paths stay apart
QUICK_MODEL = ModelSpec(cell="GRU", units=(32,))
QUICK_TRAINING = TrainSpec(optimizer="adam", epochs=10, batch_size=32, seed=42)


def forecastable_runs() -> list[Job]:
    """This browser's finished runs that still hold their model, newest first."""
    return [
        job
        for job in reversed(runs.session_jobs())
        if job.status == DONE and job.result is not None and job.result.has_model
    ]


def _describe(job: Job) -> str:
    result = job.result
    return (
        f"{result.spec.model.describe()} on {result.data_source}"
        f" ({result.spec.split.target}) · RMSE {result.rmse:,.2f}"
    )


def pick_run() -> ExperimentResult | None:
    choices = forecastable_runs()
    if not choices:
        return None
    by_id = {job.id: job for job in choices}
    if st.session_state.get(state.FORECAST_RUN) not in by_id:
        st.session_state[state.FORECAST_RUN] = choices[0].id
    job_id = st.selectbox(
        "Model trained in this browser",
        list(by_id),
        key=state.FORECAST_RUN,
        format_func=lambda key: _describe(by_id[key]),
        help=f"The newest {runs.KEEP_MODELS} runs keep their model; older ones keep only scores.",
    )
    return by_id[job_id].result


def quick_training(data: LoadedData) -> None:
    """No model yet: offer to train a small one on the data and split chosen elsewhere."""
    if data.prices is None:
        st.info(
            "No model of this browser can forecast yet, and no data is loaded: choose data"
            " in the sidebar, then train a model on the Train or Compare page."
        )
        return
    st.info(
        "No model of this browser can forecast yet: train one on the Train or Compare"
        " page, or train a small one here on the data and split chosen there."
    )
    link(TRAIN, "Go to the Train page")
    try:
        split = split_from_state(data, TRAIN.url)
        spec = ExperimentSpec(data=data.spec, split=split, model=QUICK_MODEL, train=QUICK_TRAINING)
    except ValueError as error:
        st.error(literal(error, 600))
        return
    st.caption(f"{data.title}: {split.describe()}.")
    label = f"Train {QUICK_MODEL.describe()} for {QUICK_TRAINING.epochs} epochs"
    if runs.start_button(PAGE, label, lambda: spec, split) is not None:
        runs.show(PAGE, [runs.submit(spec, data)])


def forecast_days() -> int | None:
    """How many days to forecast, or None (and a message with the range) if out of bounds."""
    days = widget("forecast_days", PAGE)
    try:
        return check("forecast_days", days)
    except ValueError as error:
        st.error(literal(error))
        return None


def forecast(result: ExperimentResult, steps: int) -> None:
    windows = result.windows
    cell = result.spec.model.cell
    series = windows.split.series.dropna()
    try:
        future = forecast_future(result.model, windows, steps)
    except ValueError as error:
        st.error(literal(error, 600))
        return
    history = series.iloc[-max(3 * steps, 60) :]
    st.plotly_chart(forecast_figure(history, future, cell))
    st.caption(
        f"Each day's forecast is fed back in as if it were real to forecast the next, so"
        f" errors compound: day {steps} rests on {steps - 1} guesses. Business days only;"
        " holidays are not known."
    )
    st.download_button(
        "Forecast (CSV)",
        future.to_csv(index_label="Date", float_format="%.4f").encode(),
        file_name=f"rnnstock-forecast-{cell.lower()}-{steps}d.csv",
        mime="text/csv",
        icon=":material/download:",
    )

    st.subheader("How far can it be trusted? The backtest")
    try:
        paths = backtest(result.model, windows, steps, BACKTEST_STARTS)
    except ValueError as error:
        st.info(f"No backtest: {literal(error, 600)}")
        return
    errors = error_by_horizon(paths)
    starts = paths["start"].nunique()
    st.markdown(
        f"The same {steps}-day recursive forecast, started on {starts} past days of the test"
        f" period where the real prices are known. After 1 day its RMSE is"
        f" **{errors['model'].iloc[0]:,.2f}**; after {steps} days,"
        f" **{errors['model'].iloc[-1]:,.2f}**. Carrying the last price forward scores"
        f" {errors[PERSISTENCE].iloc[0]:,.2f} and {errors[PERSISTENCE].iloc[-1]:,.2f}."
        f" The chart draws {min(starts, BACKTEST_DRAWN)} of the {starts} paths, evenly spaced."
        f" (The Train page scores every test day; these {starts} starting days are a sample"
        " of them, so its 1-day figures differ from these.)"
    )
    # One under the other: side by side, their titles and legends collide at 1280 wide.
    st.plotly_chart(backtest_figure(windows.split.test, paths, cell, shown=BACKTEST_DRAWN))
    st.plotly_chart(horizon_figure(errors, cell))
