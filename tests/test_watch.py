"""Watch it learn (issue 15): a watched training reports the test days' predictions after
its epochs, in prices, so the Train page can redraw the chart as the model learns."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from rnnstock.baselines import PERSISTENCE
from rnnstock.charts import learning_figure
from rnnstock.experiment import run_experiment
from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from rnnstock.training import WATCH_SHARE, EpochProgress, watch_stride

TINY = ExperimentSpec(
    data=DataSpec("csv", "in-memory"),
    split=SplitSpec(target="Close", window=10, train_fraction=0.8),
    model=ModelSpec(cell="LSTM", units=(4,)),
    train=TrainSpec(optimizer="adam", epochs=6, batch_size=32, seed=3),
)


def test_the_stride_keeps_watching_within_its_share_of_each_epoch():
    assert watch_stride(0.01, 1.0) == 1  # 1 % of an epoch: every epoch
    assert watch_stride(WATCH_SHARE * 1.0, 1.0) == 1
    assert watch_stride(0.2, 1.0) == 4  # 20 %: every 4th epoch keeps it at 5 %
    assert watch_stride(0.2, 0.0) == 1


def test_a_watched_run_reports_its_test_predictions_in_prices(prices):
    seen: list[EpochProgress] = []
    result = run_experiment(TINY, on_epoch=seen.append, prices=prices, watch=True)
    watched = [p for p in seen if p.predicted is not None]
    assert watched and watched[0].epoch == 1  # the class sees the first epoch at once
    assert seen[-1].predicted is None  # the last epoch's are the result's own
    actual = result.predictions["actual"].to_numpy()
    for progress in watched:
        assert progress.predicted.shape == actual.shape
        assert np.isfinite(progress.predicted).all()
        # Prices, not 0-1 scaled values: within the range the prices ever had, widened.
        low, high = prices["Close"].min(), prices["Close"].max()
        assert low - (high - low) < progress.predicted.mean() < high + (high - low)
    # The model moves between epochs, and the chart with it.
    assert not np.allclose(watched[0].predicted, watched[-1].predicted)


def test_the_watched_predictions_are_the_models_own_at_that_epoch(prices):
    """Training one epoch less gives the model the watch saw after that epoch."""
    seen: list[EpochProgress] = []
    run_experiment(TINY, on_epoch=seen.append, prices=prices, watch=True)
    # Tiny epochs are short beside a prediction, so not every one is watched.
    watched = [p for p in seen if p.predicted is not None][-1]
    shorter = replace(TINY, train=replace(TINY.train, epochs=watched.epoch))
    result = run_experiment(shorter, prices=prices)
    np.testing.assert_allclose(
        watched.predicted, result.predictions["predicted"].to_numpy(), rtol=1e-4, atol=1e-3
    )


def test_an_unwatched_run_predicts_nothing_between_epochs(prices):
    seen: list[EpochProgress] = []
    run_experiment(
        replace(TINY, train=replace(TINY.train, epochs=2)), on_epoch=seen.append, prices=prices
    )
    assert [p.predicted for p in seen] == [None, None]


def test_the_learning_chart_keeps_score_beside_tomorrow_equals_today():
    days = pd.bdate_range("2021-01-04", periods=5)
    test_days = pd.DataFrame(
        {"actual": [10.0, 11, 12, 13, 14], PERSISTENCE: [9.0, 10, 11, 12, 13]}, index=days
    )
    progress = EpochProgress(
        epoch=4, epochs=20, loss=0.1, val_loss=None, seconds=1, elapsed=4,
        predicted=np.array([10, 11, 12, 13, 16], dtype="float32"),
    )  # fmt: skip
    figure = learning_figure(test_days, progress, "GRU", "Close")
    title = figure.layout.title.text
    assert title == 'Learning: epoch 4 of 20<br>test RMSE 0.89, "tomorrow = today" 1.00'
    assert figure.layout.yaxis.title.text == "Close price"
    assert [trace.name for trace in figure.data] == ["Real", "Predicted (GRU) after epoch 4"]
    assert figure.layout.uirevision == "learning"


@pytest.mark.parametrize("cell", ["SimpleRNN", "GRU"])
def test_every_cell_can_be_watched(prices, cell):
    spec = replace(
        TINY, model=ModelSpec(cell=cell, units=(3,)), train=replace(TINY.train, epochs=3)
    )
    seen: list[EpochProgress] = []
    run_experiment(spec, on_epoch=seen.append, prices=prices, watch=True)
    assert seen[0].predicted is not None
