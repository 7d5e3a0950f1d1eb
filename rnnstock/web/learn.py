"""The Learn page's pieces: its own model settings (following the Train page's) and the
five sections, each computed for those settings by ``rnnstock.learn``.

What the page says (headings, paragraphs, captions, messages and the links' labels) is in
``content/learn.md``, one block each, filled in here by ``text``; this module is the layout.
Controls keep their labels with them."""

from __future__ import annotations

import streamlit as st

from rnnstock import learn
from rnnstock.charts import gradient_figure, scaling_figure
from rnnstock.settings import CELLS, check, default
from rnnstock.specs import ModelSpec
from rnnstock.text import literal
from rnnstock.web import content, state
from rnnstock.web.pages import COMPARE, DATA, FORECAST, LEARN, TRAIN, PageInfo, link
from rnnstock.web.sidebar import LoadedData
from rnnstock.web.split import split_from_state
from rnnstock.web.widgets import widget
from rnnstock.windows import split_series

PAGE = LEARN.url
FOLLOWED = ("cell", "units", "dense", "bidirectional", "window")
COUNT = st.column_config.NumberColumn(format="localized")  # 63,626 rather than 63626


def text(block: str, **values: object) -> str:
    """A block of ``content/learn.md`` with its ``${name}`` placeholders filled in."""
    return content.text("learn", block, **values)


def try_it(page: PageInfo, label: str, icon: str | None = None) -> None:
    """A link to where the class can try the idea."""
    link(page, label, icon)


def train_settings() -> dict:
    """The Train page's model settings and window, as its widgets show them."""
    return {name: state.get(name, TRAIN.url) for name in FOLLOWED}


def follow_train_page(force: bool = False) -> None:
    """Start this page's settings from the Train page's, again whenever those change;
    the Learn page's own edits stay until then."""
    followed = train_settings()
    # Kept in the store, so a reloaded tab keeps the Learn page's what-ifs too.
    if force or state.store().get(state.LEARN_FOLLOWS) != followed:
        state.store()[state.LEARN_FOLLOWS] = followed
        state.put(PAGE, **followed)


def settings() -> tuple[ModelSpec, int]:
    """The model every number on the page is computed for, and its window."""
    follow_train_page()
    with st.container(border=True):
        columns = st.columns([2, 2, 1.8, 1.8, 2])  # room for "Bidirectional" and its help
        # cell, units, dense and window, then the narrow Bidirectional box last
        for name, column in zip(FOLLOWED, [*columns[:3], columns[4], columns[3]], strict=True):
            widget(name, PAGE, column, label="Window (days)" if name == "window" else None)
        note_col, reset_col = st.columns([3, 2], vertical_alignment="center")
        note_col.caption(text("settings-note"))
        reset_col.button(
            "Use the Train page's settings",
            on_click=follow_train_page,
            args=(True,),
            icon=":material/restart_alt:",
            width="stretch",
        )
    try:
        window = state.get("window", PAGE)
        spec = ModelSpec(
            cell=state.get("cell", PAGE),
            units=state.get("units", PAGE),
            dense=state.get("dense", PAGE),
            bidirectional=state.get("bidirectional", PAGE),
            dropout=state.get("dropout", TRAIN.url),
        )
        window = check("window", window)
    except ValueError as error:
        fallback = ModelSpec()
        st.error(
            text(
                "settings-error",
                error=literal(error, 300),
                model=fallback.describe(),
                window=default("window"),
            )
        )
        return fallback, default("window")
    return spec, window


def sections(spec: ModelSpec, window: int, data: LoadedData | None) -> None:
    layers = learn.layer_rows(spec, window)
    # -- 1. shapes ----------------------------------------------------------------------------
    st.header(text("shapes-title"))
    st.markdown(text("shapes-intro"))
    grid = [column for _ in range(2) for column in st.columns(2)]  # two rows of two
    for column, shape in zip(grid, learn.SHAPES, strict=True):
        with column.container(border=True, height="stretch"):
            this_app = shape.name == learn.APP_SHAPE
            st.markdown(text("shape-name-this-app" if this_app else "shape-name", name=shape.name))
            st.code(shape.diagram, language=None)
            st.markdown(text("shape", example=shape.example, keras=shape.keras, here=shape.here))

    st.subheader(text("tensors-title", window=window))
    st.markdown(text("tensors", window=window, input_shape=learn.input_shape(window)))
    st.dataframe(
        [{key: row[key] for key in ("layer", "returns", "output shape")} for row in layers],
        hide_index=True,
    )
    try_it(DATA, text("try-data-windows"), ":material/show_chart:")
    try_it(FORECAST, text("try-forecast"), ":material/trending_up:")

    # -- 2. cells -------------------------------------------------------------------------------
    st.header(text("cells-title"))
    st.markdown(text("cells-intro"))
    labels = [text("cell-tab-yours", cell=cell) if cell == spec.cell else cell for cell in CELLS]
    first_units = spec.units[0]
    for tab, cell in zip(st.tabs(labels), CELLS, strict=True):
        info = learn.CELL_INFO[cell]
        with tab:
            st.markdown(text("cell-idea", sentence=info.sentence, state=info.state))
            st.latex(info.equations)
            st.caption(learn.COMMON_NOTATION)
            one_layer = learn.layer_rows(ModelSpec(cell=cell, units=(first_units,)), window)[0]
            st.markdown(text("cell-weights", note=info.formula_note))
            worked = str(one_layer["formula"]).replace("×", r"\times")
            count = f"{one_layer['parameters']:,}".replace(",", "{,}")
            st.latex(f"{info.formula} = {worked} = {count}")
            st.caption(text("cell-sizes", units=first_units))
    try_it(COMPARE, text("try-compare-cells"), ":material/compare_arrows:")
    try_it(TRAIN, text("try-train-cell"), ":material/model_training:")

    # -- 3. gradients ---------------------------------------------------------------------------
    st.header(text("gradients-title"))
    st.markdown(text("gradients-intro"))
    first_day = window - 1  # steps from the last day of the window back to its first
    factors = learn.gradient_factors(first_day)
    st.plotly_chart(gradient_figure(factors, window))
    table = learn.factors_table(factors, first_day)
    st.markdown(text("gradients-first-day", window=window, steps=first_day, table=table))
    fade = learn.steps_to_fade(0.9)
    explode = factors["w = 1.1"].iloc[first_day]
    if window - 1 > fade:
        note = text("gradients-long-window", window=window, unheard=window - 1 - int(fade))
    else:
        note = text("gradients-short-window", window=window)
    st.markdown(
        text("gradients-lessons", fade=f"{fade:.0f}", window_note=note, explode=f"{explode:,.0f}")
    )
    try_it(COMPARE, text("try-compare-gradients"), ":material/compare_arrows:")
    try_it(TRAIN, text("try-train-gradients"), ":material/model_training:")

    # -- 4. parameter counts ----------------------------------------------------------------------
    st.header(text("weights-title"))
    st.markdown(text("weights-intro"))
    for column, cell in zip(st.columns(3), CELLS, strict=True):
        column.markdown(text("weights-cell-name", cell=cell))
        column.latex(learn.CELL_INFO[cell].formula)
    st.subheader(text("weights-model-title", model=spec.describe()))
    st.markdown(text("weights-layers"))
    st.dataframe(
        [
            {
                key: row[key]
                for key in ("layer", "inputs per step (m)", "units (n)", "formula", "parameters")
            }
            for row in layers
        ],
        hide_index=True,
        column_config={"parameters": COUNT},
    )
    total = sum(int(row["parameters"]) for row in layers)
    st.markdown(text("weights-total", total=f"{total:,}"))
    st.markdown(text("weights-each-cell"))
    st.dataframe(
        learn.cell_comparison(spec),
        column_config={
            "parameters": COUNT,
            "of the LSTM's": st.column_config.NumberColumn(format="percent"),
        },
    )

    check_key = (spec.key(), window)
    if st.button(
        "Check against Keras",
        icon=":material/fact_check:",
        type="primary",
        help="Builds the three models with Keras (loads TensorFlow, a few seconds the"
        " first time) and compares Keras' counts with the formula's.",
    ):
        with st.spinner("Loading TensorFlow and building the models…"):
            st.session_state[state.KERAS_CHECK] = (
                check_key,
                learn.check_against_keras(spec, window),
            )
    saved = st.session_state.get(state.KERAS_CHECK)
    if saved is not None and saved[0] == check_key:
        check = saved[1]
        if check.all_match:
            st.success(
                text("keras-agrees", total=f"{total:,}", model=spec.describe()),
                icon=":material/check:",
            )
        else:
            st.error(text("keras-disagrees"))
        tick = {True: "✓", False: "✗"}
        st.markdown(text("keras-layers"))
        st.dataframe(
            check.layers.assign(match=check.layers["match"].map(tick)),
            hide_index=True,
            column_config={"formula": COUNT, "Keras": COUNT},
        )
        st.markdown(text("keras-cells"))
        st.dataframe(
            check.cells.assign(match=check.cells["match"].map(tick)),
            column_config={"formula": COUNT, "Keras": COUNT},
        )
    try_it(TRAIN, text("try-train-count"), ":material/model_training:")

    # -- 5. the scaler's ceiling ---------------------------------------------------------------
    st.header(text("scaler-title"))
    st.markdown(text("scaler-intro"))
    if data is None or data.prices is None:
        st.info(text("scaler-no-data"))
    else:
        try:
            split = split_series(data.prices, split_from_state(data, TRAIN.url))
        except ValueError as error:
            st.info(text("scaler-bad-split", error=error))
        else:
            scaling = learn.scaling_check(split)
            st.markdown(scaling.sentence(data.title))
            st.plotly_chart(scaling_figure(split, data.title))
    try_it(DATA, text("try-data-split"), ":material/show_chart:")
    try_it(TRAIN, text("try-train-persistence"), ":material/model_training:")
