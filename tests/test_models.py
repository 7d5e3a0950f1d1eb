import pytest

from rnnstock.models import build_model, cell_parameters, parameter_count, summary_rows
from rnnstock.specs import ModelSpec


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (ModelSpec(cell="LSTM", units=(125,)), 63_626),  # DataCamp LSTM
        (ModelSpec(cell="GRU", units=(125,)), 48_126),  # DataCamp GRU
        (ModelSpec(cell="SimpleRNN", units=(20, 20, 20)), 2_101),  # Netflix
        (ModelSpec(cell="SimpleRNN", units=(50, 50), dense=(25,)), 8_951),  # MSFT
        (ModelSpec(cell="LSTM", units=(50, 50), dense=(25,)), 31_901),
        (ModelSpec(cell="LSTM", units=(50,) * 4, dropout=0.2), 71_051),  # Google
        (ModelSpec(cell="GRU", units=(8, 4), bidirectional=True, dense=(3,)), None),
    ],
)
def test_keras_agrees_with_the_formula(spec, expected):
    model = build_model(spec, window=12)
    assert model.count_params() == parameter_count(spec)
    if expected is not None:
        assert parameter_count(spec) == expected


def test_cell_formula_matches_the_tutorials_summaries():
    assert cell_parameters("LSTM", 1, 125) == 63_500
    assert cell_parameters("GRU", 1, 125) == 48_000
    assert cell_parameters("SimpleRNN", 20, 20) == 820


def test_stacked_layers_pass_sequences_and_summary_reports_shapes():
    model = build_model(ModelSpec(cell="LSTM", units=(8, 4), dropout=0.1), window=10)
    rows = summary_rows(model)
    assert [row["type"] for row in rows] == ["LSTM", "Dropout", "LSTM", "Dropout", "Dense"]
    assert rows[0]["output shape"] == "(None, 10, 8)"
    assert rows[2]["output shape"] == "(None, 4)"
    assert sum(row["parameters"] for row in rows) == model.count_params()
