"""The tutorials' mistakes, measured (rnnstock.mistakes): the seeds' code reproduced as
written, each measurement on small data with tiny models, the command line, the
background queue and the page (AppTest; tests/browser has it in Chromium)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from rnnstock import mistakes
from rnnstock.cli import main
from rnnstock.experiment import run_experiment
from rnnstock.jobs import JobManager
from rnnstock.mistakes import (
    ALL_DAYS_SCALER,
    INFO,
    SEED_001_WINDOWS,
    Run,
    Training,
    all_days_scaler_windows,
    create_dataset,
    mistakes_of,
    plan,
    seed_001_windows,
    seed_003_rmse,
    submit_training,
    validation_windows_from_test,
)
from rnnstock.settings import MISTAKES, SETTINGS
from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from rnnstock.web.pages import MISTAKES as MISTAKES_PAGE
from rnnstock.web.pages import TRAIN
from rnnstock.windows import make_windows
from tests.conftest import REPO, make_prices

DATA = DataSpec("csv", "in-memory")
TINY = ExperimentSpec(
    data=DATA,
    split=SplitSpec(target="Close", window=10, train_fraction=0.8),
    model=ModelSpec(cell="SimpleRNN", units=(4,)),
    train=TrainSpec(optimizer="adam", epochs=2, batch_size=64, seed=7),
)


@pytest.fixture(scope="module")
def rising() -> pd.DataFrame:
    """600 business days from 2014 on a rising trend: the test days go above any training
    price (as MasterCard's did), and the DataCamp split must move to this data's years."""
    prices = make_prices(600, start="2014-01-01", seed=3)
    trend = np.linspace(1.0, 2.0, len(prices))[:, np.newaxis]
    prices[["Open", "High", "Low", "Close"]] *= trend
    return prices


# -- the seeds' code, reproduced -------------------------------------------------------------


def test_create_dataset_is_the_seeds_loop_one_window_short():
    dataset = np.arange(20, dtype="float64").reshape(-1, 1)
    X, y = create_dataset(dataset, 5)
    assert len(X) == len(dataset) - 5 - 1  # the last day never becomes a label
    assert X[0].tolist() == [0, 1, 2, 3, 4] and y[0] == 5
    assert X[-1].tolist() == [13, 14, 15, 16, 17] and y[-1] == 18


def test_seed_003_rmse_is_the_absolute_mean_difference_on_mixed_scales():
    predictions = np.array([[100.0], [110.0], [90.0]])  # dollars
    y_test = np.array([[0.5], [0.9], [0.1]])  # still scaled
    assert seed_003_rmse(predictions, y_test) == pytest.approx(100.0 - 0.5)
    # Errors of opposite sign cancel: a model 10 dollars off each day scores 0.
    assert seed_003_rmse(np.array([[10.0], [-10.0]]), np.zeros((2, 1))) == 0.0


def test_the_all_days_scaler_changes_only_the_scaling(rising):
    leaky = all_days_scaler_windows(rising, TINY)
    right = make_windows(rising, TINY.split)
    split = right.split
    assert leaky.scaler.data_max_[0] == pytest.approx(split.series.max())  # a test price
    assert right.scaler.data_max_[0] == pytest.approx(split.train.max())
    assert leaky.y_train.max() < 0.9  # the training days no longer reach 1
    for name in ("X_train", "y_train", "X_test", "y_test"):  # the same prices, windows, days
        np.testing.assert_allclose(
            leaky.to_prices(getattr(leaky, name)),
            right.to_prices(getattr(right, name)),
            rtol=1e-5,
        )
    assert leaky.test_dates.equals(right.test_dates)


def test_seed_001_windows_lose_a_window_of_test_days_and_the_last(rising):
    windows = seed_001_windows(rising, TINY)
    right = make_windows(rising, TINY.split)
    test = right.split.test
    assert len(windows.X_train) == len(right.X_train) - 1
    assert windows.test_dates.equals(test.index[10:-1])
    # Test day k is predicted from test days k-10 .. k-1, as the right way predicts it.
    np.testing.assert_allclose(windows.X_test, right.X_test[10:-1])
    np.testing.assert_allclose(windows.y_test, right.y_test[10:-1])


def test_the_test_windows_become_the_validation_data(rising):
    spec = TINY.replace(train=TINY.train.replace(validation_fraction=0.1, patience=3))
    windows = validation_windows_from_test(rising, spec)
    right = make_windows(rising, spec.split, validation_fraction=0.1)
    assert windows.X_val is windows.X_test
    np.testing.assert_array_equal(windows.X_train, right.X_train)  # the same training


# -- the plan ----------------------------------------------------------------------------------


def test_each_tutorials_settings_fit_the_data_and_a_shared_training_runs_once(rising):
    measured = plan(rising, DATA, tiny=True, seeds=3)
    assert measured.mistakes == list(MISTAKES)
    keys = [t.key() for trainings in measured.trainings.values() for t in trainings]
    unique = measured.unique()
    assert len(unique) == len(keys) - 1  # seed 003's leaky run serves both of its mistakes
    assert len(measured.trainings["one-run-verdict"]) == 2 * 3
    seeds = {t.spec.train.seed for t in measured.trainings["one-run-verdict"]}
    assert seeds == {455, 456, 457}
    verdict = measured.trainings["one-run-verdict"][0].spec.split
    assert (verdict.train_start, verdict.train_end) == (None, "2015-12-31")  # 2011 is too early
    assert any("DataCamp split" in note for note in measured.notes)
    leak = measured.trainings["scaler-leak"][0].spec
    assert leak.split.target == "Close" and leak.split.window == 10  # tiny
    assert any("no 'Adj Close'" in note for note in measured.notes)
    assert all(t.spec.model.units[0] <= 4 for t in unique)


def test_the_epochs_override_every_tutorials_and_bad_settings_say_what_is_allowed(rising):
    measured = plan(rising, DATA, ["scaler-leak", "window-builder"], epochs=3, tiny=True)
    assert {t.spec.train.epochs for t in measured.unique()} == {3}
    assert measured.epochs == 3 * len(measured.unique())
    with pytest.raises(ValueError, match="must be from 1 to 100, not 0"):
        plan(rising, DATA, epochs=0)
    with pytest.raises(ValueError, match="must be from 2 to 10, not 1"):
        plan(rising, DATA, seeds=1)
    with pytest.raises(ValueError, match="pick at least 1"):
        plan(rising, DATA, [])
    with pytest.raises(ValueError, match="'typo' is not one of"):
        plan(rising, DATA, "typo")
    with pytest.raises(ValueError, match="test day"):
        plan(make_prices(40), DATA, ["window-builder"])  # too short for seed 001's window


def test_a_presets_link_chooses_its_tutorials_mistakes():
    assert mistakes_of("netflix-simplernn") == ("window-builder", "test-validation")
    assert mistakes_of("msft-lstm") == ("scaler-leak", "rmse-formula")
    assert mistakes_of("datacamp-lstm") == ("one-run-verdict",)
    assert mistakes_of("google-lstm") == MISTAKES  # its tutorial's mistake is not here
    assert tuple(INFO) == MISTAKES == SETTINGS["mistakes"].default


# -- measured on tiny models ---------------------------------------------------------------


@pytest.fixture(scope="module")
def measured(rising):
    """``measured(mistake)``: its plan, the runs so far and the mistake judged, on tiny
    models (2 epochs, 2 seeds); a training two mistakes share is trained once."""
    runs: dict[str, Run] = {}

    def measure(mistake: str):
        measurement = plan(rising, DATA, [mistake], tiny=True, seeds=2)
        for training in measurement.unique():
            if training.key() not in runs:
                runs[training.key()] = mistakes.train(training, rising)
        [judged] = mistakes.assess(measurement, runs)
        return measurement, runs, judged

    return measure


def test_the_scaler_leak_scores_both_ways_beside_persistence(measured):
    measurement, runs, leak = measured("scaler-leak")
    wrong, right = (runs[t.key()] for t in measurement.trainings["scaler-leak"])
    assert leak.wrong.value == pytest.approx(wrong.rmse)
    assert leak.right.value == pytest.approx(right.rmse)
    assert wrong.predictions.index.equals(right.predictions.index)  # the same days
    assert leak.table.loc['"Tomorrow = today"', "RMSE"] == pytest.approx(right.persistence_rmse)
    assert wrong.scaler_range[1] > right.scaler_range[1]  # it saw the test prices


def test_the_rmse_formula_is_about_the_mean_price(measured):
    measurement, runs, formula = measured("rmse-formula")
    [leaky] = (runs[t.key()] for t in measurement.trainings["rmse-formula"])
    mean_price = leaky.predictions["predicted"].mean()
    assert formula.wrong.value == pytest.approx(abs(mean_price - leaky.scaled_truth.mean()))
    assert formula.right.value == pytest.approx(leaky.rmse)


def test_the_window_builder_loses_a_window_of_test_days_and_the_last(measured):
    measurement, runs, builder = measured("window-builder")
    wrong, right = (runs[t.key()] for t in measurement.trainings["window-builder"])
    table = builder.table
    assert table["Test days lost"].tolist() == [11, 0, 11]
    assert len(wrong.predictions) == len(right.test_days) - 11
    assert "the first 10" in builder.facts[0]


def test_test_validation_runs_are_the_same_model_until_the_epoch_is_chosen(measured):
    measurement, runs, judged = measured("test-validation")
    wrong, right = (runs[t.key()] for t in measurement.trainings["test-validation"])
    assert wrong.history.loss == pytest.approx(right.history.loss)  # same windows and seed
    assert wrong.history.val_loss != pytest.approx(right.history.val_loss)  # other days
    assert judged.table["Epoch kept"].tolist() == [
        wrong.kept_epoch,
        right.kept_epoch,
    ]


def test_the_verdict_counts_the_seeds_where_it_flips(measured):
    verdict = measured("one-run-verdict")[2]
    table = verdict.table
    assert list(table.index) == ["seed 455", "seed 456"]
    flips = int((table["LSTM − GRU"] <= 0).sum())
    assert f"flips on {flips} of 2 seeds" in verdict.facts[0]
    assert verdict.wrong.value == pytest.approx(table["LSTM − GRU"].iloc[0])
    assert verdict.right.value == pytest.approx(table["LSTM − GRU"].mean())


def test_every_mistake_has_two_figures_a_difference_and_a_reason(measured):
    judged = [measured(mistake)[2] for mistake in MISTAKES]  # the trainings above, reused
    for mistake in judged:
        assert np.isfinite([mistake.wrong.value, mistake.right.value]).all(), mistake.id
        assert mistake.difference == pytest.approx(mistake.wrong.value - mistake.right.value)
        assert mistake.why and mistake.facts and not mistake.table.empty
        assert mistake.chart is not None
    lines = mistakes.report_lines(judged)
    assert sum(line.strip().startswith("Difference") for line in lines) == len(MISTAKES)


def test_a_wrong_way_trains_exactly_as_run_experiment_does(rising):
    """The wrong ways train through the pipeline's own build and fit: on the windows the
    pipeline makes, they give run_experiment's predictions."""
    right = run_experiment(TINY, prices=rising)
    predicted, history, parameters = mistakes._fit_and_predict(
        make_windows(rising, TINY.split), TINY, None, None
    )
    np.testing.assert_allclose(predicted, right.predictions["predicted"], rtol=1e-4)
    assert history.loss == pytest.approx(right.history.loss)
    assert parameters == right.parameters


# -- the command line ------------------------------------------------------------------------


def test_the_command_line_prints_each_mistake_on_a_sample(monkeypatch, capsys):
    monkeypatch.setenv(mistakes.TINY_SWITCH, "1")
    code = main(
        ["mistakes", "--sample", "sp500", "--only", "rmse-formula", "--epochs", "1", "--quiet"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "RMSE on mixed scales" in out and "Seed 003's formula" in out
    assert "RMSE in dollars" in out and "Difference" in out and "Why:" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "0"], "rnnstock: The number of epochs must be from 1 to 100, not 0."),
        (["--only", "typo"], "rnnstock: The mistakes to measure 'typo' is not one of"),
        (["--csv", "/no/such/file.csv"], "rnnstock: There is no file at /no/such/file.csv"),
        (["--seeds", "two"], "rnnstock: The number of seeds must be a whole number"),
    ],
)
def test_a_bad_setting_is_one_line_and_status_2(capsys, argv, message):
    assert main(["mistakes", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


# -- in the background -------------------------------------------------------------------------


def test_the_queue_trains_a_wrong_way_in_a_worker_with_progress(rising):
    queue = JobManager(workers=1)
    try:
        training = Training(SEED_001_WINDOWS, TINY, "seed 001's windows")
        job = submit_training(queue, training, prices=rising)
        queue.wait(job.id, timeout=240)
        assert job.status == "done", job.error
        assert isinstance(job.result, Run) and job.result.training == training
        assert [p.epoch for p in job.progress] == [1, 2]
        assert len(job.result.predictions) == len(job.result.test_days) - 11
        bad = Training(ALL_DAYS_SCALER, TINY.replace(split=TINY.split.replace(window=500)), "x")
        failed = queue.wait(submit_training(queue, bad, prices=rising).id, timeout=60)
        assert failed.status == "failed" and "window" in failed.error
    finally:
        queue.shutdown()


# -- the page ----------------------------------------------------------------------------------


def test_a_presets_link_opens_the_page_with_its_tutorials_mistakes():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    app.switch_page(TRAIN.path).run()
    app.selectbox(key="train.preset").set_value("netflix-simplernn").run()
    [link] = app.get("page_link")
    assert link.proto.page == MISTAKES_PAGE.url
    assert link.proto.query_string == "preset=netflix-simplernn"
    assert "window builder one short; test set as validation" in link.proto.label
    app.query_params["preset"] = "netflix-simplernn"  # what the link's click sends
    app.switch_page(MISTAKES_PAGE.path).run()
    assert not app.exception
    [chosen] = app.multiselect
    assert chosen.value == ["window-builder", "test-validation"]
    captions = " ".join(c.value for c in app.caption)
    assert "Opened from the preset Netflix" in captions and "4 trainings" in captions
    assert not app.button(key="mistakes.start").disabled
    app.number_input(key="mistakes.mistake_epochs").set_value(0).run()
    assert any("must be from 1 to 100, not 0" in e.value for e in app.error)
    assert app.button(key="mistakes.start").disabled


def test_the_page_measures_in_the_background_and_shows_each_mistake(monkeypatch):
    monkeypatch.setenv(mistakes.TINY_SWITCH, "1")
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120).run()
    app.switch_page(MISTAKES_PAGE.path).run()
    app.multiselect[0].set_value(["scaler-leak", "rmse-formula"]).run()
    app.button(key="mistakes.start").click().run()
    assert not app.exception
    from rnnstock.web.mistakes import _measurements, measurement_queue

    measurement = _measurements().of(app.session_state["owner"])["last"]
    deadline = time.monotonic() + 240
    for job_id in measurement.jobs.values():
        measurement_queue().wait(job_id, timeout=max(1.0, deadline - time.monotonic()))
    app.run()
    assert not app.exception
    headings = [h.value for h in app.subheader]
    assert headings == [
        "Scaler fit on all days, test period included (seed 003)",
        "RMSE on mixed scales, with the mean inside the square (seed 003)",
    ]
    labels = [m.label for m in app.metric]
    assert "Scaler fit on all days (seed 003)" in labels and "RMSE in dollars" in labels
    assert len(app.get("plotly_chart")) == 2
