import numpy as np
import pytest

from rnnstock.baselines import MOVING_AVERAGE_LABEL, PERSISTENCE_LABEL, PERSISTENCE_SHORT
from rnnstock.evaluation import Metrics, Scores, directional_accuracy, evaluate, rmse


def test_metrics_in_price_units():
    actual = np.array([10.0, 11.0, 12.0, 11.0])
    previous = np.array([9.0, 10.0, 11.0, 12.0])
    predicted = np.array([10.5, 11.0, 11.0, 11.5])
    scores = evaluate(actual, predicted, previous, window_mean=previous)
    assert scores.model.rmse == pytest.approx(np.sqrt((0.25 + 0 + 1 + 0.25) / 4))
    assert scores.model.mae == pytest.approx(0.5)
    assert scores.model.mape == pytest.approx(np.mean([0.5 / 10, 0, 1 / 12, 0.5 / 11]) * 100)
    assert scores.persistence.rmse == pytest.approx(1.0)
    assert scores.skill == pytest.approx(1 - scores.model.rmse / 1.0)
    # Up, up, up, down vs predicted up, up, flat(=wrong), down.
    assert scores.model.directional_accuracy == pytest.approx(75.0)
    assert "beat" in scores.verdict() and "did not" not in scores.verdict()


def test_the_table_and_the_verdict_name_the_baselines_as_everywhere_else():
    actual = np.array([10.0, 11.0, 12.0])
    previous = np.array([9.0, 10.0, 11.0])
    scores = evaluate(actual, actual + 0.5, previous, previous)
    assert list(scores.table().index) == ["Model", PERSISTENCE_LABEL, MOVING_AVERAGE_LABEL]
    assert scores.verdict().startswith(f"The model beat {PERSISTENCE_SHORT}: its RMSE is 0.50,")


def test_a_model_without_a_score_did_not_beat_persistence():
    nothing = Metrics(rmse=np.nan, mae=np.nan, mape=np.nan, r2=np.nan, directional_accuracy=0)
    baseline = Metrics(rmse=1.0, mae=1.0, mape=1.0, r2=0.9, directional_accuracy=0)
    scores = Scores(model=nothing, persistence=baseline, moving_average=baseline)
    assert scores.verdict().startswith('The model did not beat "tomorrow = today"')


def test_persistence_never_calls_a_direction():
    actual = np.array([2.0, 3.0, 2.0])
    previous = np.array([1.0, 2.0, 3.0])
    assert directional_accuracy(actual, previous, previous) == 0.0


def test_a_model_worse_than_persistence_is_told_so():
    actual = np.array([10.0, 10.0, 10.0])
    previous = np.array([10.0, 10.0, 10.5])
    scores = evaluate(actual, np.array([12.0, 8.0, 11.0]), previous, previous)
    assert scores.skill < 0
    assert scores.verdict().startswith('The model did not beat "tomorrow = today"')


def test_persistence_rmse_on_the_datacamp_test_days(mastercard):
    high = mastercard["High"]
    test = high.loc["2021":]
    previous = high.shift(1).loc["2021":]
    assert len(test) == 195
    assert rmse(test, previous) == pytest.approx(5.28, abs=0.005)
