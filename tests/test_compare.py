"""Comparisons: identical specs per architecture, the table, the ranking as measured."""

from types import SimpleNamespace

import pytest

from rnnstock.compare import Comparison, comparison_specs
from rnnstock.evaluation import Metrics, Scores
from rnnstock.presets import get_preset
from rnnstock.specs import ModelSpec


def test_every_model_gets_the_same_setting_and_only_the_cell_changes():
    base = get_preset("datacamp-lstm").spec
    specs = comparison_specs(base, ["LSTM", "GRU", "SimpleRNN"])
    assert [s.model.cell for s in specs] == ["LSTM", "GRU", "SimpleRNN"]
    for spec in specs:
        assert spec.data == base.data and spec.split == base.split and spec.train == base.train
        assert spec.model.replace(cell="LSTM") == base.model


def test_repeats_use_the_same_seeds_for_every_model():
    base = get_preset("datacamp-lstm").spec
    specs = comparison_specs(base, ["LSTM", "GRU"], repeats=3)
    seeds = [(s.model.cell, s.train.seed) for s in specs]
    assert seeds == [
        ("LSTM", 455),
        ("LSTM", 456),
        ("LSTM", 457),
        ("GRU", 455),
        ("GRU", 456),
        ("GRU", 457),
    ]


@pytest.mark.parametrize(
    ("cells", "repeats", "message"),
    [
        (["LSTM"], 1, "pick at least 2"),
        (["LSTM", "GRU"], 9, "1 to 5"),
        (["LSTM", "Transformer"], 1, "is not one of: SimpleRNN, LSTM, GRU"),
    ],
)
def test_a_comparison_that_cannot_be_run_says_why(cells, repeats, message):
    with pytest.raises(ValueError, match=message):
        comparison_specs(get_preset("datacamp-lstm").spec, cells, repeats)


def fake_result(cell: str, rmse: float, persistence: float = 5.28, seconds: float = 0.5):
    metrics = Metrics(rmse=rmse, mae=rmse * 0.8, mape=rmse / 4, r2=0.9, directional_accuracy=51)
    baseline = Metrics(rmse=persistence, mae=4.0, mape=1.2, r2=0.95, directional_accuracy=0.5)
    return SimpleNamespace(
        spec=SimpleNamespace(model=ModelSpec(cell=cell, units=(125,))),
        scores=Scores(model=metrics, persistence=baseline, moving_average=baseline),
        parameters={"LSTM": 63_626, "GRU": 48_126}[cell],
        history=SimpleNamespace(seconds_per_epoch=seconds, epochs_run=50),
    )


def test_the_table_has_a_row_per_model_and_the_baseline():
    comparison = Comparison.of([fake_result("LSTM", 7.28), fake_result("GRU", 5.86)])
    table = comparison.table()
    assert list(table.index) == ["LSTM", "GRU", 'Persistence ("tomorrow = today")']
    assert table.loc["GRU", "RMSE"] == pytest.approx(5.86)
    assert table.loc["LSTM", "Parameters"] == 63_626
    assert table.loc["GRU", "Skill vs persistence"] == pytest.approx(1 - 5.86 / 5.28)
    assert {"MAE", "MAPE %", "Direction %", "s/epoch", "Epochs run"} <= set(table.columns)


def test_the_ranking_reports_what_happened_including_persistence():
    text = Comparison.of([fake_result("LSTM", 7.28), fake_result("GRU", 5.86)]).ranking()
    assert text.startswith("Ranking this time: GRU (RMSE 5.86), then LSTM (RMSE 7.28).")
    assert '"Tomorrow = today" (RMSE 5.28) beat every model' in text
    assert "claim that GRU beats LSTM held" in text
    text = Comparison.of([fake_result("LSTM", 5.0), fake_result("GRU", 5.4)]).ranking()
    assert "claim that GRU beats LSTM did not hold" in text
    assert "Only LSTM beat" in text


def test_with_seeds_the_ranking_weighs_the_gap_against_the_spread():
    noisy = [fake_result("LSTM", r) for r in (6.0, 7.5, 5.5)] + [
        fake_result("GRU", r) for r in (5.9, 6.8, 6.1)
    ]
    comparison = Comparison.of(noisy)
    assert comparison.repeats == 3
    assert "could be noise" in comparison.ranking()
    assert comparison.table().loc["LSTM", "RMSE spread (sd)"] == pytest.approx(1.0408, abs=1e-3)
    clear = [fake_result("LSTM", r) for r in (7.0, 7.1, 7.2)] + [
        fake_result("GRU", r) for r in (5.0, 5.1, 5.2)
    ]
    assert "unlikely to be luck" in Comparison.of(clear).ranking()
