"""The Train page's "Inside the model": for one test day, the window that went in, which of
its days moved the prediction most, and every gate and state of each recurrent layer.

Computed by ``rnnstock.inside`` with NumPy from the run's ``.keras`` file, so the server
imports no TensorFlow for it; and only once the expander is opened (it tracks whether it
is open), so a page with a finished run costs nothing more until someone looks.
"""

from __future__ import annotations

import datetime

import streamlit as st

from rnnstock.charts import inside_layer_figure, inside_window_figure
from rnnstock.experiment import ExperimentResult
from rnnstock.inside import SHOWN, DayInside, Steps, look_inside, read_network
from rnnstock.jobs import DONE, Job
from rnnstock.text import literal
from rnnstock.web import state
from rnnstock.web.runs import KEEP_MODELS

TITLE = "Inside the model"

# What each heatmap shows, in plain words (one line each, under the layer's chart).
CAPTIONS = {
    "input": "**Input gate i**: how much of each day's new information a unit writes into"
    " its memory; 0 ignores the day, 1 writes it in full.",
    "forget": "**Forget gate f**: how much of yesterday's memory a unit keeps; near 1 it"
    " remembers, near 0 it forgets.",
    "output": "**Output gate o**: how much of its memory a unit shows as its output.",
    "cell": "**Cell state c**: the memory itself, carried from day to day. It has no fixed"
    " range, so its colours are scaled to this window.",
    "hidden": "**Hidden state h**: what a unit passes on, to its next day and to the layer above.",
    "update": "**Update gate z**: how much of yesterday's state a unit keeps; near 1 it keeps"
    " the old value, near 0 it takes the new candidate.",
    "reset": "**Reset gate r**: how much of yesterday's state the new candidate may look at;"
    " near 0 it starts afresh from the day's price.",
}
SIMPLE_HIDDEN = (
    "**Hidden state h**: a unit's whole memory: each day's input mixed with yesterday's"
    " state and squashed by the activation. It is passed on to the next day and to the"
    " layer above."
)


def inside_the_model(job: Job) -> None:
    """The expander under a finished run's results; computes only while it is open."""
    if job.status != DONE or job.result is None:
        return
    expander = st.expander(
        TITLE, key=state.INSIDE_OPEN, on_change="rerun", icon=":material/visibility:"
    )
    with expander:
        if expander.open:
            _draw(job)


def _draw(job: Job) -> None:
    result = job.result
    if not result.has_model:
        st.info(
            f"This run's model was released to save memory: this browser keeps the models of"
            f" its newest {KEEP_MODELS} runs, and this one is older. Its predictions and"
            " scores are all still here; train it again to look inside."
        )
        return
    day = _day_picker(result)
    try:
        inside = _look_inside(job.id, job.finished, day, result)
    except ValueError as error:  # a model this page cannot compute (not one the app builds)
        st.warning(f"Cannot look inside this model: {literal(error, 600)}")
        return
    target = result.spec.split.target
    st.markdown(
        f"For **{inside.day:%Y-%m-%d}** the model read {_what_it_read(inside, target)} and"
        f" predicted **{inside.predicted:,.2f}**; the real price was {inside.actual:,.2f}."
        " Everything below is computed from the trained weights with the cell equations"
        " shown on the Learn page."
    )
    st.plotly_chart(inside_window_figure(inside, target), key="train.inside.window")
    st.caption(_gradient_caption(inside))
    views = inside.steps
    if len(views) == 1:
        _draw_steps(inside, views[0], last_layer=True)
        return
    last_position = views[-1].position
    for tab, steps in zip(st.tabs([_tab_label(s) for s in views]), views, strict=True):
        with tab:
            _draw_steps(inside, steps, last_layer=steps.position == last_position)


def _day_picker(result: ExperimentResult) -> datetime.date:
    """A test day, the last one unless picked (and again when the run has other days)."""
    days = [stamp.date() for stamp in result.windows.test_dates]
    if st.session_state.get(state.INSIDE_DAY) not in days:
        st.session_state[state.INSIDE_DAY] = days[-1]
    return st.select_slider(
        "Test day to look inside",
        options=days,
        key=state.INSIDE_DAY,
        format_func=lambda day: f"{day:%Y-%m-%d}",
        help="Each test day is predicted from the days just before it: its window.",
    )


@st.cache_resource(max_entries=32, show_spinner="Looking inside the model…")
def _look_inside(
    job_id: str, finished: float | None, day: datetime.date, _result: ExperimentResult
) -> DayInside:
    """One run's look inside on one day, kept so that another click on the page does not
    compute it again (a large model takes seconds). The job's id and the moment it finished
    name the run; the run's result itself is not hashed."""
    network = read_network(_result.model_bytes())
    return look_inside(network, _result.windows, day)


def _what_it_read(inside: DayInside, target: str) -> str:
    first, last = inside.dates[0], inside.dates[-1]
    days = f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    steps = len(inside.step_dates)
    if inside.reads == "price":
        return f"the {steps} {target} prices {days}"
    what = "daily log returns" if inside.reads == "log_return" else "daily changes"
    return (
        f"the {steps} {what} between the {len(inside.dates)} {target} prices {days}"
        " (it adds the change it predicts to the last price)"
    )


def _gradient_caption(inside: DayInside) -> str:
    total = float(inside.gradient.sum())
    moved = f"{'+' if total >= 0 else '−'}\\${abs(total):,.2f}"
    return (
        "Each bar: how much the prediction would move if that day's price had been \\$1"
        " higher, every other day unchanged (the gradient of the prediction with respect to"
        " that day's price; red raises it, blue lowers it). Tall bars are the days this"
        " prediction leaned on. If every day of the window were \\$1 higher, the prediction"
        f' would move by {moved}. A model that had learned only "tomorrow = today" would'
        " show a single bar of 1 on the last day."
    )


def _tab_label(steps: Steps) -> str:
    label = f"Layer {steps.position}: {steps.cell}({steps.units})"
    return f"{label}, {steps.direction}" if steps.direction else label


def _draw_steps(inside: DayInside, steps: Steps, *, last_layer: bool) -> None:
    """One layer (one direction of it): its heatmaps, then what each one shows."""
    key = f"train.inside.layer{steps.position}{steps.direction}"
    st.plotly_chart(inside_layer_figure(inside, steps), key=key)
    lines = [
        f"Each row is one of the layer's {steps.units} units; each column one step of the"
        " window, labelled by the day it read."
    ]
    if steps.backwards:
        lines.append(
            "This direction reads the window from its last day back to its first: a day's"
            " column is the state after reading that day and every later one."
        )
    for name in SHOWN[steps.cell]:
        if name == "hidden" and steps.cell == "SimpleRNN":
            lines.append(SIMPLE_HIDDEN)
        else:
            lines.append(CAPTIONS[name])
    if last_layer:
        column = "first" if steps.backwards else "last"
        lines.append(
            f"The prediction is made from this layer's hidden state in the {column} column"
            " (after it has read the whole window)."
        )
    else:
        lines.append("Its hidden state at every step is what the next layer reads.")
    st.caption("\n".join(f"- {line}" for line in lines))
