"""The Learn page and rnnstock.learn: formulas, shapes, gradients, the scaler's ceiling,
and the page's parameter counts against Keras' for every cell type at several sizes."""

import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from rnnstock import learn
from rnnstock.models import build_model, parameter_count, summary_rows
from rnnstock.specs import CELLS, ModelSpec, SplitSpec
from rnnstock.web import state
from rnnstock.web.pages import LEARN, TRAIN
from rnnstock.windows import split_series
from tests.conftest import REPO, assert_not_imported, make_prices
from tests.test_app import said

# -- rnnstock.learn, no Streamlit ------------------------------------------------------

SPECS = [
    ModelSpec(cell="LSTM", units=(125,)),
    ModelSpec(cell="GRU", units=(4,)),
    ModelSpec(cell="SimpleRNN", units=(20, 20, 20)),
    ModelSpec(cell="LSTM", units=(32, 16), dense=(25,), dropout=0.2),
    ModelSpec(cell="GRU", units=(8, 4), bidirectional=True, dense=(3,)),
]


@pytest.mark.parametrize("spec", SPECS, ids=ModelSpec.describe)
def test_layer_rows_add_up_to_the_models_formula(spec):
    rows = learn.layer_rows(spec, window=30)
    assert sum(row["parameters"] for row in rows) == parameter_count(spec)
    assert rows[-1]["layer"].startswith("Dense(1)")
    assert len(rows) == len(spec.units) * (2 if spec.dropout else 1) + len(spec.dense) + 1


@pytest.mark.parametrize("spec", SPECS, ids=ModelSpec.describe)
def test_layer_rows_match_keras_layer_by_layer(spec):
    mine = learn.layer_rows(spec, window=12)
    keras_rows = summary_rows(build_model(spec, window=12))
    assert [r["parameters"] for r in mine] == [r["parameters"] for r in keras_rows]
    assert [r["output shape"] for r in mine] == [r["output shape"] for r in keras_rows]
    assert [r["type"] for r in mine] == [r["type"] for r in keras_rows]


def test_the_worked_formula_reads_like_the_equation():
    assert learn.cell_formula("LSTM", 1, 50) == "4 × 50 × (1 + 50 + 1)"
    assert learn.cell_formula("GRU", 1, 125) == "3 × 125 × (1 + 125 + 2)"  # reset_after bias
    assert learn.cell_formula("SimpleRNN", 20, 20) == "20 × (20 + 20 + 1)"
    rows = learn.layer_rows(ModelSpec(cell="GRU", units=(8, 4), bidirectional=True), 10)
    assert rows[0]["formula"] == "2 × 3 × 8 × (1 + 8 + 2)"
    assert rows[1]["inputs per step (m)"] == 16  # both directions of the layer below
    assert rows[0]["output shape"] == "(None, 10, 16)" and rows[1]["output shape"] == "(None, 8)"


def test_cell_comparison_gives_the_datacamp_counts():
    table = learn.cell_comparison(ModelSpec(cell="GRU", units=(125,)))
    assert table.loc["LSTM", "parameters"] == 63_626
    assert table.loc["GRU", "parameters"] == 48_126
    assert table.loc["LSTM", "of the LSTM's"] == 1.0
    assert list(table.index) == list(CELLS)


def test_every_cell_has_equations_and_a_formula():
    for cell in CELLS:
        info = learn.CELL_INFO[cell]
        assert "h_t" in info.equations and info.formula.startswith("P =")
    assert r"\tilde c_t" in learn.CELL_INFO["LSTM"].equations
    assert "b'_h" in learn.CELL_INFO["GRU"].equations
    assert [s.name for s in learn.SHAPES] == [
        "One-to-one",
        "One-to-many",
        "Many-to-one",
        "Many-to-many",
    ]
    assert learn.APP_SHAPE in {s.name for s in learn.SHAPES}


def test_gradient_factors_are_powers_of_the_weight():
    factors = learn.gradient_factors(60)
    assert list(factors.index) == list(range(61))
    assert factors["w = 0.9"].iloc[59] == pytest.approx(0.9**59)
    assert factors["w = 1.1"].iloc[59] == pytest.approx(1.1**59)
    assert (factors["w = 1"] == 1).all()
    assert learn.steps_to_fade(0.9) == pytest.approx(math.log(0.01) / math.log(0.9))
    assert learn.steps_to_fade(1.0) == math.inf
    table = learn.factors_table(factors, 59).splitlines()
    assert table[0].startswith("| recurrent weight | 0.5 | 0.9 | 1 | 1.1 | 1.5")
    assert "× 0.002 |" in table[2] and "× 277 |" in table[2] and "× 1.7e-18 |" in table[2]


def test_scaling_check_counts_test_days_above_the_training_maximum():
    prices = make_prices(200)
    prices.loc[prices.index[-10:], "Close"] = prices["Close"].max() * 2
    split = split_series(prices, SplitSpec(train_fraction=0.8))
    check = learn.scaling_check(split)
    assert check.share_above == pytest.approx(10 / 40)
    assert check.first_above == prices.index[-10]
    assert check.highest_scaled > 1
    assert "25%" in check.sentence("test prices")
    falling = prices.assign(Close=[200.0 - day for day in range(200)])
    check = learn.scaling_check(split_series(falling, SplitSpec(train_fraction=0.8)))
    assert check.share_above == 0 and check.first_above is None
    assert "never asked" in check.sentence("a falling price")


def test_importing_learn_does_not_load_tensorflow():
    assert_not_imported("import rnnstock.learn")


def test_the_learn_page_renders_without_tensorflow():
    assert_not_imported(
        "from streamlit.testing.v1 import AppTest;"
        f"app = AppTest.from_file({str(REPO / 'app.py')!r}, default_timeout=60).run();"
        f"app.switch_page({LEARN.path!r}).run();"
        "assert not app.exception, app.exception;"
        "assert any(b.label == 'Check against Keras' for b in app.button)"
    )


# -- the page, driven by AppTest ------------------------------------------------------------


def open_learn(session: dict | None = None, **train_settings) -> AppTest:
    """The Learn page after the Train page's settings were set to ``train_settings``
    (and the sidebar's keys to ``session``)."""
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    for key, value in (session or {}).items():
        app.session_state[key] = value
    app.session_state[state.STORE] = {
        state.store_key(name, TRAIN.url): value for name, value in train_settings.items()
    }
    app.run()
    return app.switch_page(LEARN.path).run()


def table_with(app: AppTest, *columns: str) -> pd.DataFrame:
    return next(d.value for d in app.dataframe if set(columns) <= set(d.value.columns))


def page_total(app: AppTest) -> int:
    text = next(m.value for m in app.markdown if m.value.startswith("**Total:"))
    return int(text.split()[1].replace(",", ""))


def check_against_keras(app: AppTest) -> AppTest:
    next(b for b in app.button if b.label == "Check against Keras").click().run()
    assert not app.exception, app.exception
    return app


def test_the_learn_page_renders_every_section():
    app = open_learn()
    assert not app.exception and not app.error
    headers = [h.value for h in app.header]
    for number in "12345":
        assert any(h.startswith(number + " ·") for h in headers), headers
    assert len(app.get("plotly_chart")) == 2  # the gradient curves and the scaler's ceiling
    assert any("Many-to-one" in m.value and "this app" in m.value for m in app.markdown)
    links = " | ".join(link.proto.label for link in app.get("page_link"))
    assert "on the Train page" in links and "on the Data page" in links, links
    # Defaults are the Train page's: LSTM(50), window 60.
    assert app.selectbox(key="learn.cell").value == "LSTM"
    assert app.number_input(key="learn.window").value == 60
    assert page_total(app) == parameter_count(ModelSpec(cell="LSTM", units=(50,)))
    shapes = table_with(app, "returns", "output shape")
    assert list(shapes["output shape"]) == ["(None, 50)", "(None, 1)"]
    assert any("(None, 60, 1)" in m.value for m in app.markdown)


SIZES = [
    {"cell": "LSTM", "units": "4", "dense": ""},
    {"cell": "GRU", "units": "50", "dense": ""},
    {"cell": "SimpleRNN", "units": "125", "dense": ""},
    {"cell": "LSTM", "units": "32, 16", "dense": "25"},
    {"cell": "GRU", "units": "8, 4", "dense": "3", "bidirectional": True},
    {"cell": "SimpleRNN", "units": "20, 20, 20", "dense": "", "dropout": 0.2},
]


@pytest.mark.parametrize("settings", SIZES, ids=lambda s: f"{s['cell']}({s['units']})")
def test_the_pages_counts_equal_keras_for_every_cell(settings):
    app = open_learn(window=20, **settings)
    assert not app.exception
    spec = ModelSpec(
        cell=settings["cell"],
        units=settings["units"],
        dense=settings["dense"],
        bidirectional=settings.get("bidirectional", False),
        dropout=settings.get("dropout", 0.0),
    )
    assert page_total(app) == parameter_count(spec)
    app = check_against_keras(app)
    assert any("Keras agrees" in s.value for s in app.success)
    cells = table_with(app, "formula", "Keras", "model")
    assert list(cells.index) == list(CELLS)  # LSTM, GRU and SimpleRNN at these sizes
    assert (cells["formula"] == cells["Keras"]).all() and (cells["match"] == "✓").all()
    assert cells.loc[spec.cell, "Keras"] == page_total(app)
    for cell in CELLS:
        keras_model = build_model(spec.replace(cell=cell), window=20)
        assert cells.loc[cell, "Keras"] == keras_model.count_params()
    layers = table_with(app, "formula", "Keras", "Keras layer")
    assert (layers["formula"] == layers["Keras"]).all() and (layers["match"] == "✓").all()
    assert layers["Keras"].sum() == parameter_count(spec)


def test_the_counts_follow_the_train_settings_and_this_pages_controls():
    app = open_learn(cell="GRU", units="32, 16", dense="25", bidirectional=True, window=90)
    assert app.selectbox(key="learn.cell").value == "GRU"
    assert app.text_input(key="learn.units").value == "32, 16"
    assert app.number_input(key="learn.window").value == 90
    spec = ModelSpec(cell="GRU", units=(32, 16), dense=(25,), bidirectional=True)
    assert page_total(app) == parameter_count(spec)
    assert table_with(app, "returns", "output shape")["output shape"].iloc[0] == "(None, 90, 64)"

    app.text_input(key="learn.units").set_value("8").run()  # a what-if on this page
    assert page_total(app) == parameter_count(spec.replace(units=(8,)))
    app.selectbox(key="learn.cell").set_value("SimpleRNN").run()
    assert page_total(app) == parameter_count(spec.replace(units=(8,), cell="SimpleRNN"))
    check_against_keras(app)
    assert table_with(app, "formula", "Keras", "model").loc["SimpleRNN", "Keras"] == page_total(app)

    next(b for b in app.button if b.label == "Use the Train page's settings").click().run()
    assert app.text_input(key="learn.units").value == "32, 16"
    assert page_total(app) == parameter_count(spec)


def test_a_preset_chosen_on_the_train_page_reaches_the_learn_page():
    app = open_learn()
    app.switch_page(TRAIN.path).run()
    app.selectbox(key="train.preset").select("datacamp-gru").run()
    app.switch_page(LEARN.path).run()
    assert app.selectbox(key="learn.cell").value == "GRU"
    assert app.text_input(key="learn.units").value == "125"
    assert page_total(app) == 48_126  # the DataCamp GRU's published count
    app.run()  # and it stays on the next rerun
    assert page_total(app) == 48_126


def test_a_stale_keras_check_is_not_shown_for_other_settings():
    app = check_against_keras(open_learn(units="4"))
    assert any("Keras agrees" in s.value for s in app.success)
    app.text_input(key="learn.units").set_value("5").run()
    assert not app.success  # the check was for LSTM(4), not LSTM(5)


def test_bad_units_show_a_message_not_a_traceback():
    app = open_learn(units="fifty")
    assert not app.exception
    assert any("whole number" in e for e in said(app.error))
    assert page_total(app) == parameter_count(ModelSpec())


def test_the_scaling_note_uses_the_chosen_data_and_split():
    app = open_learn({state.SAMPLE_NAME: "sp500"}, train_fraction=0.8)
    prices_note = next(
        m.value
        for m in app.markdown
        if "above the training maximum" in m.value and m.value.startswith("On ")
    )
    from rnnstock.data import load_sample

    split = split_series(load_sample("sp500"), SplitSpec(train_fraction=0.8))
    share = learn.scaling_check(split).share_above
    assert share > 0.5 and f"{share:.0%}" in prices_note


def test_the_page_works_without_any_data():
    app = open_learn({state.DATA_SOURCE: "ticker", state.TICKER: ""})
    assert not app.exception
    assert any("Choose data in the sidebar" in i.value for i in app.info)
    assert page_total(app) == parameter_count(ModelSpec())
