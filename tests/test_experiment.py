import numpy as np
import pandas as pd
import pytest

from rnnstock.experiment import TrainingCancelled, run_experiment
from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec

TINY = ExperimentSpec(
    data=DataSpec("csv", "in-memory"),
    split=SplitSpec(target="Close", window=10, train_fraction=0.8),
    model=ModelSpec(cell="GRU", units=(8,)),
    train=TrainSpec(optimizer="adam", epochs=2, batch_size=32, seed=7),
)


def test_a_tiny_run_end_to_end(prices):
    seen = []
    result = run_experiment(TINY, on_epoch=seen.append, prices=prices)
    test_days = len(prices) - int(len(prices) * 0.8)
    assert list(result.predictions.columns) == [
        "actual",
        "predicted",
        "persistence",
        "moving_average",
    ]
    assert len(result.predictions) == test_days
    assert result.predictions.index.equals(prices.index[-test_days:])
    assert result.predictions["actual"].to_numpy() == pytest.approx(
        prices["Close"].iloc[-test_days:].to_numpy()
    )
    assert np.isfinite(result.predictions["predicted"]).all()
    assert [p.epoch for p in seen] == [1, 2] and seen[-1].epochs == 2
    assert result.history.epochs_run == 2 and len(result.history.epoch_seconds) == 2
    assert result.parameters == result.model.count_params()
    assert result.scores.persistence.rmse > 0
    assert len(result.train_fit) == result.windows.n_train
    assert {"prepare", "fit", "predict", "total"} <= set(result.timings)
    assert result.summary()["RMSE"] == result.rmse
    assert [row["type"] for row in result.model_summary] == ["GRU", "Dense"]
    assert sum(row["parameters"] for row in result.model_summary) == result.parameters
    assert result.model_bytes()[:2] == b"PK"  # a .keras file is a zip archive
    result.release_model()
    with pytest.raises(ValueError, match="released"):
        result.model_bytes()


def test_same_spec_and_seed_give_the_same_predictions(prices):
    first = run_experiment(TINY, prices=prices).predictions["predicted"]
    second = run_experiment(TINY, prices=prices).predictions["predicted"]
    pd.testing.assert_series_equal(first, second)
    other_seed = TINY.replace(train=TINY.train.replace(seed=8))
    third = run_experiment(other_seed, prices=prices).predictions["predicted"]
    assert not np.allclose(first, third)


def test_cancel_stops_the_run(prices):
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 3  # a few batches in

    spec = TINY.replace(train=TINY.train.replace(epochs=50))
    with pytest.raises(TrainingCancelled) as cancelled:
        run_experiment(spec, should_stop=should_stop, prices=prices)
    assert cancelled.value.history.epochs_run < 50
    assert cancelled.value.history.cancelled


def test_early_stopping_on_a_validation_tail(prices):
    spec = TINY.replace(
        train=TINY.train.replace(
            epochs=200, validation_fraction=0.2, patience=1, learning_rate=0.5, optimizer="sgd"
        )
    )
    result = run_experiment(spec, prices=prices)
    assert result.history.stopped_early
    assert result.history.epochs_run < 200
    assert len(result.history.val_loss) == result.history.epochs_run
    assert 1 <= result.history.best_epoch <= result.history.epochs_run


def test_early_stopping_that_never_stops_still_keeps_the_best_epoch(prices):
    """Keras restores the lowest validation loss's weights at the end either way; the page
    and the run card must say which epoch's weights the scores come from."""
    spec = TINY.replace(train=TINY.train.replace(epochs=4, validation_fraction=0.2, patience=10))
    seen = []
    result = run_experiment(spec, on_epoch=seen.append, prices=prices)
    assert not result.history.stopped_early and result.history.epochs_run == 4
    losses = result.history.val_loss
    assert result.history.best_epoch == losses.index(min(losses)) + 1


def test_bad_data_settings_raise_before_training(prices):
    spec = TINY.replace(split=TINY.split.replace(window=500))
    with pytest.raises(ValueError, match="window"):
        run_experiment(spec, prices=prices)


def test_save_writes_predictions_model_and_chart(prices, tmp_path):
    import keras

    result = run_experiment(TINY, prices=prices)
    from rnnstock.runfiles import save_run

    paths = save_run(result, tmp_path / "run")
    saved = pd.read_csv(paths["predictions"], index_col="Date", parse_dates=True)
    assert len(saved) == len(result.predictions)
    assert saved["predicted"].to_numpy() == pytest.approx(
        result.predictions["predicted"].to_numpy(), abs=1e-3
    )
    reloaded = keras.saving.load_model(paths["model"])
    assert reloaded.count_params() == result.parameters
    html = paths["chart"].read_text()
    assert "Real" in html and "Predicted (GRU)" in html


def test_a_result_travels_without_keras_and_loads_its_model_when_used(prices, tmp_path):
    """Results cross from worker processes to the server: unpickling must not import Keras
    (two server threads importing Keras at once can break it), the model loads on use."""
    import pickle
    import subprocess
    import sys

    from tests.conftest import REPO

    result = run_experiment(TINY, prices=prices)
    path = tmp_path / "result.pickle"
    path.write_bytes(pickle.dumps(result))
    expected = result.predictions["predicted"].to_numpy()[:5]
    script = f"""
import pickle, sys
import numpy as np
result = pickle.loads(open({str(path)!r}, "rb").read())
assert "keras" not in sys.modules, "unpickling imported Keras"
assert result.has_model and result.model_bytes()[:2] == b"PK"
window = result.windows.X_test[:5]
predicted = result.windows.to_prices(np.asarray(result.model(window, training=False))[:, 0])
assert "keras" in sys.modules
np.testing.assert_allclose(predicted, {expected.tolist()!r}, rtol=1e-4)
result.release_model()
assert not result.has_model and result.model is None
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
