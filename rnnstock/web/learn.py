"""The Learn page's pieces: its own model settings (following the Train page's) and the
five sections, each computed for those settings by ``rnnstock.learn``."""

from __future__ import annotations

import streamlit as st

from rnnstock import learn
from rnnstock.charts import gradient_figure, scaling_figure
from rnnstock.settings import CELLS, check, default
from rnnstock.specs import ModelSpec
from rnnstock.web import state
from rnnstock.web.pages import COMPARE, DATA, FORECAST, LEARN, TRAIN, PageInfo, link
from rnnstock.web.sidebar import LoadedData
from rnnstock.web.split import split_from_state
from rnnstock.web.text import literal
from rnnstock.web.widgets import widget
from rnnstock.windows import split_series

PAGE = LEARN.url
FOLLOWED = ("cell", "units", "dense", "bidirectional", "window")
COUNT = st.column_config.NumberColumn(format="localized")  # 63,626 rather than 63626


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
        note_col.caption(
            "Taken from the Train page's settings. Change them here to see the numbers move;"
            " this does not change what the Train page trains."
        )
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
            f"{literal(error, 300)} The numbers below are for {fallback.describe()}, window"
            f" {default('window')}, until that is fixed."
        )
        return fallback, default("window")
    return spec, window


def sections(spec: ModelSpec, window: int, data: LoadedData | None) -> None:
    layers = learn.layer_rows(spec, window)
    # -- 1. shapes ----------------------------------------------------------------------------
    st.header("1 · Four shapes of recurrent network")
    st.markdown(
        "A recurrent layer reads a sequence one step at a time and carries a state from each step"
        " to the next, reusing the same weights at every step. What goes in and what comes out"
        " gives four shapes:"
    )
    grid = [column for _ in range(2) for column in st.columns(2)]  # two rows of two
    for column, shape in zip(grid, learn.SHAPES, strict=True):
        with column.container(border=True, height="stretch"):
            badge = " :red-badge[this app]" if shape.name == learn.APP_SHAPE else ""
            st.markdown(f"**{shape.name}**{badge}")
            st.code(shape.diagram, language=None)
            st.markdown(f"{shape.example}\n\n*Keras:* {shape.keras}\n\n*Here:* {shape.here}")

    st.subheader(f"Your model's tensors, window {window}")
    st.markdown(
        f"Each prediction reads **{window} days** of one price. A batch of windows enters as a"
        f" tensor of shape `{learn.input_shape(window)}`: `None` is the batch (any number of"
        f" windows), {window} steps, 1 number per step. The last recurrent layer returns only its"
        " final step (many-to-one); any layer before it returns every step so the next can read"
        " the sequence."
    )
    st.dataframe(
        [{key: row[key] for key in ("layer", "returns", "output shape")} for row in layers],
        hide_index=True,
    )
    try_it(
        DATA,
        "See the windows cut from the price history on the Data page",
        ":material/show_chart:",
    )
    try_it(
        FORECAST,
        "Chain many-to-one predictions into a forecast on the Forecast page",
        ":material/trending_up:",
    )

    # -- 2. cells -------------------------------------------------------------------------------
    st.header("2 · Three cells")
    st.markdown(
        "All three read the same inputs, the price on day *t* and their own output from day"
        " *t − 1*; they differ in what they do with them. The equations are the ones Keras"
        " computes (tanh is the layer's activation setting; σ, the gates' sigmoid, stays)."
    )
    labels = [f"{cell} (your model)" if cell == spec.cell else cell for cell in CELLS]
    first_units = spec.units[0]
    for tab, cell in zip(st.tabs(labels), CELLS, strict=True):
        info = learn.CELL_INFO[cell]
        with tab:
            st.markdown(f"{info.sentence}\n\nIt carries **{info.state}** from day to day.")
            st.latex(info.equations)
            st.caption(learn.COMMON_NOTATION)
            one_layer = learn.layer_rows(ModelSpec(cell=cell, units=(first_units,)), window)[0]
            st.markdown(
                f"Weights of one layer with *m* inputs per step and *n* units: {info.formula_note}"
            )
            worked = str(one_layer["formula"]).replace("×", r"\times")
            count = f"{one_layer['parameters']:,}".replace(",", "{,}")
            st.latex(f"{info.formula} = {worked} = {count}")
            st.caption(f"m = 1 (one price per day), n = {first_units} (your first layer's units).")
    try_it(
        COMPARE,
        "Train LSTM and GRU on the same windows on the Compare page",
        ":material/compare_arrows:",
    )
    try_it(TRAIN, "Train one cell on the Train page", ":material/model_training:")

    # -- 3. gradients ---------------------------------------------------------------------------
    st.header("3 · Why gradients vanish or explode")
    st.markdown(
        "Training moves each weight by how much the error would change with it. The error of a"
        " prediction reaches an early day of the window only by flowing back through every later"
        " step, and each step multiplies it by the same recurrent weight *w* (and by tanh′, which"
        " is at most 1). After *k* steps back at most $|w|^k$ of it is left:"
    )
    first_day = window - 1  # steps from the last day of the window back to its first
    factors = learn.gradient_factors(first_day)
    st.plotly_chart(gradient_figure(factors, window))
    st.markdown(
        f"What reaches the **first day of your {window}-day window** ({first_day} steps back):\n\n"
        + learn.factors_table(factors, first_day)
    )
    fade = learn.steps_to_fade(0.9)
    explode = factors["w = 1.1"].iloc[first_day]
    st.markdown(
        f"- **Vanishing**: with w = 0.9 less than 1 % of the gradient gets further back than"
        f" {fade:.0f} days. "
        + (
            f"In your {window}-day window the first {window - 1 - int(fade)} days barely teach"
            " a SimpleRNN anything."
            if window - 1 > fade
            else f"Your {window}-day window is short enough that even its first day is still heard."
        )
        + f"\n- **Exploding**: with w = 1.1 the same gradient is multiplied by {explode:,.0f};"
        " one step can throw the weights far off. Clipping the gradient (Keras' `clipnorm`)"
        " is the usual guard."
        "\n- **The LSTM's answer**: its memory follows"
        r" $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$, so one step back multiplies by the"
        r" forget gate $f_t$: no weight matrix, no squashing, and a value the network learns to"
        " keep near 1 for what it must remember (Keras starts the forget gate's bias at 1)."
        " **The GRU's answer** is the same idea with its update gate:"
        r" $h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t$"
    )
    try_it(
        COMPARE,
        "Put SimpleRNN beside LSTM with a long window on the Compare page",
        ":material/compare_arrows:",
    )
    try_it(
        TRAIN,
        "Try a SimpleRNN with a 120-day window on the Train page",
        ":material/model_training:",
    )

    # -- 4. parameter counts ----------------------------------------------------------------------
    st.header("4 · How many weights?")
    st.markdown(
        "Every gate is a small dense layer over the day's input (*m* numbers) and yesterday's"
        " output (*n* numbers): an input kernel *m × n*, a recurrent kernel *n × n* and a bias *n*."
        " A cell has as many such blocks as it has gates and candidates. Note that the window"
        " length does not appear: the same weights are reused at every step."
    )
    for column, cell in zip(st.columns(3), CELLS, strict=True):
        column.markdown(f"**{cell}**")
        column.latex(learn.CELL_INFO[cell].formula)
    st.subheader(f"Your model: {spec.describe()}")
    st.markdown(
        "The first recurrent layer reads *m* = 1 price per day; a stacked layer reads the"
        " previous layer's units (twice as many when bidirectional: one set per direction);"
        " a Dense layer has inputs × outputs weights plus one bias per output."
    )
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
    st.markdown(f"**Total: {total:,} parameters** by formula.")
    st.markdown("The same sizes with each cell:")
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
                f"Keras agrees: {total:,} parameters for {spec.describe()}, and the formula"
                " matches Keras for every cell type at these sizes.",
                icon=":material/check:",
            )
        else:
            st.error("The formula and Keras disagree somewhere: see the ✗ rows.")
        tick = {True: "✓", False: "✗"}
        st.markdown("**Layer by layer**: Keras' summary beside the formula")
        st.dataframe(
            check.layers.assign(match=check.layers["match"].map(tick)),
            hide_index=True,
            column_config={"formula": COUNT, "Keras": COUNT},
        )
        st.markdown("**Each cell type at these sizes**")
        st.dataframe(
            check.cells.assign(match=check.cells["match"].map(tick)),
            column_config={"formula": COUNT, "Keras": COUNT},
        )
    try_it(
        TRAIN,
        "Train this model on the Train page: its results list the same count",
        ":material/model_training:",
    )

    # -- 5. the scaler's ceiling ---------------------------------------------------------------
    st.header("5 · A pitfall: the scaler's ceiling")
    st.markdown(
        "Prices are scaled to 0…1 before training, with the training days' lowest price as 0 and"
        " highest as 1; the scaler is fit on the training days only, because fitting it on all days"
        " would leak the future (one of the tutorials does). The price of that honesty: the"
        " network was only ever asked for targets between 0 and 1, and with tanh (the default)"
        " every unit's output lies between −1 and 1, so the final Dense layer has a hard ceiling"
        " set by its weights. Test prices well above the training maximum are out of its reach:"
        ' predictions fall short of a market that keeps rising. "Tomorrow = today" has no ceiling,'
        " which is one reason it is so hard to beat."
    )
    if data is None or data.prices is None:
        st.info("Choose data in the sidebar to see where its test prices fall on this scale.")
    else:
        try:
            split = split_series(data.prices, split_from_state(data, TRAIN.url))
        except ValueError as error:
            st.info(f"The current split cannot be drawn: {error}")
        else:
            scaling = learn.scaling_check(split)
            st.markdown(scaling.sentence(data.title))
            st.plotly_chart(scaling_figure(split, data.title))
    try_it(
        DATA, "Move the split on the Data page and watch the share change", ":material/show_chart:"
    )
    try_it(
        TRAIN,
        'Train, then show "tomorrow = today" beside the predictions',
        ":material/model_training:",
    )
