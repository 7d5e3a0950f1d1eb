"""Streamlit pieces of the Forecast page: pick a trained model, forecast, backtest."""

from __future__ import annotations

import streamlit as st

from rnnstock.charts import backtest_figure, forecast_figure, horizon_figure
from rnnstock.experiment import ExperimentResult
from rnnstock.forecast import backtest, error_by_horizon, forecast_future
from rnnstock.jobs import DONE, Job
from rnnstock.specs import ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from rnnstock.ui import LoadedData
from rnnstock.ui_train import KEEP_MODELS, session_jobs, start_training

BACKTEST_STARTS = 30  # enough starts for a steady error curve; one batched call a step
QUICK_MODEL = ModelSpec(cell="GRU", units=(32,))
QUICK_TRAINING = TrainSpec(optimizer="adam", epochs=10, batch_size=32, seed=42)


def forecastable_runs() -> list[Job]:
    """This session's finished runs that still hold their model, newest first."""
    return [
        job
        for job in reversed(session_jobs())
        if job.status == DONE and job.result is not None and job.result.has_model
    ]


def _describe(job: Job) -> str:
    result = job.result
    return (
        f"{result.spec.model.describe()} on {result.data_source}"
        f" ({result.spec.split.target}) · RMSE {result.rmse:,.2f}"
    )


def pick_run() -> ExperimentResult | None:
    runs = forecastable_runs()
    if not runs:
        return None
    by_id = {job.id: job for job in runs}
    if st.session_state.get("forecast_run") not in by_id:
        st.session_state["forecast_run"] = runs[0].id
    job_id = st.selectbox(
        "Model trained in this session",
        list(by_id),
        key="forecast_run",
        format_func=lambda key: _describe(by_id[key]),
        help=f"The newest {KEEP_MODELS} runs keep their model; older ones keep only scores.",
    )
    return by_id[job_id].result


def quick_training(data: LoadedData) -> None:
    """No model yet: offer to train a small one on the data in the sidebar."""
    st.info(
        "No model of this session can forecast yet: train one on the Train or Compare"
        " page, or train a small one here."
    )
    st.page_link(
        "app_pages/train.py", label="Go to the Train page", icon=":material/model_training:"
    )
    if data.prices is None:
        return
    state = st.session_state
    split = SplitSpec(
        target=state.get("target", "Close"),
        window=int(state.get("window", 60)),
        train_fraction=state.get("train_fraction", 0.8),
    )
    spec = ExperimentSpec(data=data.spec, split=split, model=QUICK_MODEL, train=QUICK_TRAINING)
    label = f"Train {QUICK_MODEL.describe()} for {QUICK_TRAINING.epochs} epochs on {data.title}"
    if st.button(label, type="primary", icon=":material/play_arrow:"):
        start_training(spec, data)


def forecast(result: ExperimentResult, steps: int) -> None:
    windows = result.windows
    cell = result.spec.model.cell
    series = windows.split.series.dropna()
    try:
        future = forecast_future(result.model, windows, steps)
    except ValueError as error:
        st.error(str(error))
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
        st.info(f"No backtest: {error}")
        return
    errors = error_by_horizon(paths)
    starts = paths["start"].nunique()
    st.markdown(
        f"The same {steps}-day recursive forecast, started on {starts} past days of the test"
        f" period where the real prices are known. After 1 day its RMSE is"
        f" **{errors['model'].iloc[0]:,.2f}**; after {steps} days,"
        f" **{errors['model'].iloc[-1]:,.2f}**. Carrying the last price forward scores"
        f" {errors['persistence'].iloc[0]:,.2f} and {errors['persistence'].iloc[-1]:,.2f}."
    )
    # One under the other: side by side, their titles and legends collide at 1280 wide.
    st.plotly_chart(backtest_figure(windows.split.test, paths, cell))
    st.plotly_chart(horizon_figure(errors, cell))
