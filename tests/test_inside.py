"""Inside the model (rnnstock.inside): the NumPy cells against Keras' own outputs, the
gradient against TensorFlow's GradientTape and finite differences, the Train page's piece.

The models are tiny (a few units, 12-day windows) and their weights random and large
enough to push the gates away from 0.5, so a gate read in the wrong order shows."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from rnnstock.inside import (
    ACTIVATIONS,
    DenseLayer,
    day_position,
    forward,
    input_gradient,
    look_inside,
    read_network,
)
from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from tests.conftest import assert_not_imported

WINDOW = 12
TOLERANCE = 2e-5  # float32 Keras against float64 NumPy, over 12 steps
DIFFERENCES: dict[str, float] = {}  # the largest gap to Keras seen, by cell (printed at the end)


def keras():
    from rnnstock.backend import import_keras

    return import_keras()


def keras_file(model, tmp_path) -> bytes:
    path = tmp_path / "model.keras"
    model.save(path)
    return path.read_bytes()


def randomize(model, seed: int = 0, scale: float = 0.7) -> None:
    """Large random weights: gates spread over 0…1, cell states past ±1."""
    rng = np.random.default_rng(seed)
    model.set_weights(
        [rng.normal(scale=scale, size=w.shape).astype("float32") for w in model.get_weights()]
    )


def windows(batch: int = 6, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.2, 1.2, size=(batch, WINDOW, 1)).astype("float32")


def record(cell: str, difference: float) -> None:
    DIFFERENCES[cell] = max(DIFFERENCES.get(cell, 0.0), difference)


@pytest.fixture(scope="module", autouse=True)
def _report_differences():
    yield
    if DIFFERENCES:
        gaps = ", ".join(f"{cell} {gap:.1e}" for cell, gap in sorted(DIFFERENCES.items()))
        print(f"\nlargest |NumPy - Keras| of any state or output: {gaps}")


# -- Keras' own states, to compare with ----------------------------------------------------


def keras_directions(layer, x: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Each direction's hidden state at every step, by input day, as Keras computes it, and
    for an LSTM the cell state at every step (the last state of each prefix, return_state)."""
    parts = (
        [layer.forward_layer, layer.backward_layer] if hasattr(layer, "forward_layer") else [layer]
    )
    found = []
    for part in parts:
        config = part.get_config() | {"return_sequences": True, "return_state": True}
        twin = type(part).from_config(config)
        twin(x[:, :1])  # builds it
        twin.set_weights(part.get_weights())
        sequence, *_ = twin(x)
        hidden = np.asarray(sequence, dtype="float64")
        if part.go_backwards:  # Keras returns a backward layer's steps in reading order
            hidden = hidden[:, ::-1]
        states = {"hidden": hidden}
        if type(part).__name__.endswith("LSTM"):
            days = x.shape[1]
            # The state after reading day t: forwards, days 0…t; backwards, days t…last.
            prefixes = [x[:, t:] if part.go_backwards else x[:, : t + 1] for t in range(days)]
            states["cell"] = np.stack([np.asarray(twin(p)[2]) for p in prefixes], axis=1)
            # The last step's states through return_state, as Keras hands them on.
            _, last_h, last_c = twin(x)
            states["last"] = (np.asarray(last_h), np.asarray(last_c))
        found.append(states)
    return found


def compare_with_keras(model, x: np.ndarray, network, cell: str, *, spread: bool = True) -> None:
    """Every direction's states of every recurrent layer, and the output, against Keras;
    ``spread``: the gates vary widely (random weights, not a barely trained model's)."""
    trace = forward(network, x)
    steps = iter(trace.steps)
    inputs = x
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in ("Dropout", "Dense"):
            for theirs in keras_directions(layer, inputs):
                mine = next(steps)
                gap = np.abs(mine.values["hidden"] - theirs["hidden"]).max()
                record(cell, gap)
                assert gap < TOLERANCE, f"{layer.name} {mine.direction}: hidden differs by {gap}"
                if "cell" in theirs:
                    gap = np.abs(mine.values["cell"] - theirs["cell"]).max()
                    record(cell, gap)
                    assert gap < TOLERANCE, f"{layer.name}: cell state differs by {gap}"
                    check_lstm_gates(mine, theirs, spread)
                if mine.cell == "GRU":
                    check_gru_gates(mine, theirs, spread)
        inputs = np.asarray(layer(inputs, training=False))
    gap = np.abs(trace.outputs - np.asarray(model(x, training=False))).max()
    record(cell, gap)
    assert gap < TOLERANCE, f"the output differs by {gap}"
    assert next(steps, None) is None


def in_reading_order(steps, array: np.ndarray) -> np.ndarray:
    return array[:, ::-1] if steps.backwards else array


def check_lstm_gates(mine, theirs, spread: bool) -> None:
    """The gates shown are the ones the states came from: with Keras' h and c at every step,
    h = o ⊙ tanh(c) and c = f ⊙ c_prev + i ⊙ c̃ hold; the gates are between 0 and 1 and
    spread over that range (these weights are far from the initial ones)."""
    values = {k: in_reading_order(mine, v) for k, v in mine.values.items()}
    h, c = in_reading_order(mine, theirs["hidden"]), in_reading_order(mine, theirs["cell"])
    activation = ACTIVATIONS[mine.layer.directions[0].activation][0]
    np.testing.assert_allclose(values["output"] * activation(c), h, atol=TOLERANCE)
    c_prev = np.concatenate([np.zeros_like(c[:, :1]), c[:, :-1]], axis=1)
    np.testing.assert_allclose(
        values["forget"] * c_prev + values["input"] * values["candidate"], c, atol=TOLERANCE
    )
    gates = np.stack([values[gate] for gate in ("input", "forget", "output")])
    assert gates.min() >= 0 and gates.max() <= 1
    assert np.ptp(gates) > 0.4 or not spread  # far from 0.5: a gate misplaced would show
    last_h, last_c = theirs["last"]
    np.testing.assert_allclose(values["hidden"][:, -1], last_h, atol=TOLERANCE)
    np.testing.assert_allclose(values["cell"][:, -1], last_c, atol=TOLERANCE)


def check_gru_gates(mine, theirs, spread: bool) -> None:
    """With Keras' h at every step, h = z ⊙ h_prev + (1 − z) ⊙ h̃ holds."""
    values = {k: in_reading_order(mine, v) for k, v in mine.values.items()}
    h = in_reading_order(mine, theirs["hidden"])
    h_prev = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    z = values["update"]
    np.testing.assert_allclose(z * h_prev + (1 - z) * values["candidate"], h, atol=TOLERANCE)
    assert np.ptp(np.stack([values["update"], values["reset"]])) > 0.4 or not spread


# -- the cells against Keras ------------------------------------------------------------------

MODELS = {
    "SimpleRNN, 2 layers": ModelSpec(cell="SimpleRNN", units=(5, 3)),
    "LSTM, 2 layers": ModelSpec(cell="LSTM", units=(5, 3)),
    "GRU, 2 layers": ModelSpec(cell="GRU", units=(5, 3)),
    "bidirectional LSTM, 2 layers, dropout, dense": ModelSpec(
        cell="LSTM", units=(4, 3), bidirectional=True, dropout=0.3, dense=(5,)
    ),
    "bidirectional GRU, 2 layers, dropout, dense": ModelSpec(
        cell="GRU", units=(4, 3), bidirectional=True, dropout=0.3, dense=(5,)
    ),
    "bidirectional SimpleRNN, 2 layers": ModelSpec(
        cell="SimpleRNN", units=(4, 3), bidirectional=True
    ),
    "relu LSTM": ModelSpec(cell="LSTM", units=(4,), activation="relu", dense=(3,)),
}


@pytest.mark.parametrize("spec", MODELS.values(), ids=MODELS.keys())
def test_every_state_equals_keras_own(spec, tmp_path):
    from rnnstock.models import build_model

    model = build_model(spec, WINDOW)
    randomize(model)
    network = read_network(keras_file(model, tmp_path))
    assert [layer.name for layer in network.layers] == [
        layer.name for layer in model.layers if type(layer).__name__ != "Dropout"
    ]
    directions = 2 if spec.bidirectional else 1
    assert len(forward(network, windows()).steps) == directions * len(spec.units)
    compare_with_keras(model, windows(), network, spec.cell)


def test_a_gru_without_reset_after_and_a_lone_backward_layer(tmp_path):
    """Not what the app builds, but Keras' other GRU form and a go_backwards layer read right."""
    layers = keras().layers
    model = keras().Sequential(
        [
            keras().Input((WINDOW, 1)),
            layers.GRU(4, reset_after=False, return_sequences=True),
            layers.GRU(3, go_backwards=True, return_sequences=True),
            layers.SimpleRNN(2, go_backwards=True),
            layers.Dense(1),
        ]
    )
    randomize(model, seed=4)
    network = read_network(keras_file(model, tmp_path))
    compare_with_keras(model, windows(), network, "GRU")


# -- through the app's training, with and without the fused layers ------------------------

TINY = ExperimentSpec(
    data=DataSpec("csv", "in-memory"),
    split=SplitSpec(target="Close", window=WINDOW, train_fraction=0.8),
    model=ModelSpec(cell="LSTM", units=(4, 3)),
    train=TrainSpec(optimizer="adam", learning_rate=0.01, epochs=2, batch_size=64, seed=3),
)


@pytest.mark.parametrize("fused", [True, False], ids=["fused training", "Keras' loop"])
@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_a_model_trained_by_the_app_is_read_as_plain_keras_layers(
    cell, fused, prices, monkeypatch, tmp_path
):
    from rnnstock.experiment import run_experiment
    from rnnstock.fused import fused_applies

    monkeypatch.setenv("RNNSTOCK_FUSED", "1" if fused else "0")
    spec = TINY.replace(model=TINY.model.replace(cell=cell))
    assert fused_applies(spec.model) == fused
    result = run_experiment(spec, prices=prices)
    content = result.model_bytes()
    assert b"Fused" not in content  # what leaves training is plain Keras layers
    network = read_network(content)
    recurrent = [layer for layer in result.model.layers if type(layer).__name__ == cell]
    assert len(recurrent) == len(network.recurrent) == 2
    for theirs, mine in zip(recurrent, network.recurrent, strict=True):
        kernel, recurrent_kernel, bias = theirs.get_weights()
        [direction] = mine.directions
        np.testing.assert_array_equal(direction.kernel, kernel)
        np.testing.assert_array_equal(direction.recurrent_kernel, recurrent_kernel)
        np.testing.assert_array_equal(direction.bias, bias)
    compare_with_keras(result.model, result.windows.X_test[:20], network, cell, spread=False)
    # Every test day's prediction, in dollars, as the Train page's chart shows it.
    predicted = result.windows.to_prices(forward(network, result.windows.X_test).outputs[:, 0])
    np.testing.assert_allclose(predicted, result.predictions["predicted"], rtol=1e-5)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_a_model_saved_with_the_fused_layers_reads_the_same(cell, tmp_path):
    from rnnstock.models import build_model

    spec = ModelSpec(cell=cell, units=(4,), bidirectional=True)
    fused = build_model(spec, WINDOW, fused=True)
    randomize(fused, seed=2)
    content = keras_file(fused, tmp_path)
    assert b"rnnstock>Fused" in content
    plain = build_model(spec, WINDOW)
    plain.set_weights(fused.get_weights())
    compare_with_keras(plain, windows(), read_network(content), cell)


# -- the gradient ------------------------------------------------------------------------------

GRADIENT_MODELS = {
    "SimpleRNN": ModelSpec(cell="SimpleRNN", units=(4, 3), dense=(3,)),
    "LSTM": ModelSpec(cell="LSTM", units=(4, 3)),
    "GRU": ModelSpec(cell="GRU", units=(4, 3)),
    "bidirectional LSTM": ModelSpec(cell="LSTM", units=(3, 2), bidirectional=True, dropout=0.2),
    "bidirectional GRU": ModelSpec(cell="GRU", units=(3, 2), bidirectional=True, dense=(4,)),
    "relu GRU": ModelSpec(cell="GRU", units=(4,), activation="relu"),
}


@pytest.mark.parametrize("spec", GRADIENT_MODELS.values(), ids=GRADIENT_MODELS.keys())
def test_the_gradient_agrees_with_finite_differences_and_gradient_tape(spec, tmp_path):
    import tensorflow as tf

    from rnnstock.models import build_model

    model = build_model(spec, WINDOW)
    randomize(model, seed=5, scale=0.5)
    network = read_network(keras_file(model, tmp_path))
    x = windows(batch=4, seed=7)
    gradient = input_gradient(network, forward(network, x))
    assert gradient.shape == (4, WINDOW)

    # Keras' model, nudged one day at a time (central differences, float32).
    step = 1e-3
    nudged = np.repeat(x[:, None], WINDOW, axis=1)  # (batch, day nudged, days, 1)
    eye = np.eye(WINDOW, dtype="float32")[None, :, :, None] * step
    up = model.predict((nudged + eye).reshape(-1, WINDOW, 1), verbose=0).reshape(4, WINDOW)
    down = model.predict((nudged - eye).reshape(-1, WINDOW, 1), verbose=0).reshape(4, WINDOW)
    finite = (up - down) / (2 * step)
    clear = np.abs(finite) > 1e-3  # below that, float32 noise may decide the sign
    assert clear.sum(axis=1).min() >= 3  # days that matter, in every window
    assert (np.sign(gradient[clear]) == np.sign(finite[clear])).all()
    np.testing.assert_allclose(gradient, finite, rtol=0.03, atol=2e-3)

    # TensorFlow's own gradient of the same model: the same numbers.
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        output = model(inputs, training=False)[:, 0]
    taped = tape.gradient(output, inputs).numpy()[..., 0]
    np.testing.assert_allclose(gradient, taped, rtol=1e-4, atol=1e-5)

    # And NumPy's own forward pass, nudged in float64: the backward pass is exact.
    fine = 1e-6
    x64 = x.astype("float64")[..., 0]
    for day in (0, WINDOW // 2, WINDOW - 1):
        bump = np.zeros_like(x64)
        bump[:, day] = fine
        moved = (
            forward(network, x64 + bump).outputs[:, 0] - forward(network, x64 - bump).outputs[:, 0]
        )
        np.testing.assert_allclose(gradient[:, day], moved / (2 * fine), rtol=1e-5, atol=1e-8)


# -- one test day, as the Train page shows it ----------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    from rnnstock.experiment import run_experiment
    from tests.conftest import make_prices

    spec = TINY.replace(model=ModelSpec(cell="GRU", units=(4,), bidirectional=True, dropout=0.1))
    return run_experiment(spec, prices=make_prices())


def test_one_test_day_shows_its_window_in_dollars(trained):
    network = read_network(trained.model_bytes())
    windows_ = trained.windows
    day = windows_.test_dates[5]
    inside = look_inside(network, windows_, day.date())
    series = windows_.split.series
    before = series.index.get_loc(day)
    assert inside.day == day
    assert list(inside.dates) == list(series.index[before - WINDOW : before])
    assert inside.step_dates.equals(inside.dates) and inside.reads == "price"
    np.testing.assert_allclose(inside.prices, series.iloc[before - WINDOW : before])
    assert inside.actual == pytest.approx(series.loc[day])
    assert inside.predicted == pytest.approx(trained.predictions.loc[day, "predicted"], rel=1e-5)
    assert inside.gradient.index.equals(inside.dates)
    assert [(s.position, s.direction) for s in inside.steps] == [(1, "forward"), (1, "backward")]
    frames = inside.frames(inside.steps[0])
    assert list(frames) == ["update", "reset", "candidate", "hidden"]
    assert frames["hidden"].shape == (4, WINDOW)
    assert list(frames["hidden"].columns) == list(inside.dates)
    # The last test day is the last window.
    last = look_inside(network, windows_, windows_.test_dates[-1])
    assert last.predicted == pytest.approx(trained.predictions["predicted"].iloc[-1], rel=1e-5)
    # A day that is not a test day says which days are.
    with pytest.raises(ValueError, match="is not a test day: pick a trading day from"):
        day_position(windows_, windows_.train_dates[0])
    assert isinstance(network.layers[-1], DenseLayer)


@pytest.mark.parametrize("learn_from", ["change", "log_return"])
def test_a_model_that_learns_changes_is_shown_in_prices(learn_from):
    """A window of daily changes comes from one price more; the gradient with respect to
    each of those prices is what nudging that price and remaking the window gives."""
    from rnnstock.experiment import run_experiment
    from tests.conftest import make_prices

    split = TINY.split.replace(learn_from=learn_from)
    spec = TINY.replace(split=split, model=ModelSpec(cell="GRU", units=(4,)))
    result = run_experiment(spec, prices=make_prices())
    network, windows_ = read_network(result.model_bytes()), result.windows
    day = windows_.test_dates[4]
    inside = look_inside(network, windows_, day)
    series = windows_.split.series
    before = series.index.get_loc(day)
    assert list(inside.dates) == list(series.index[before - WINDOW - 1 : before])
    assert list(inside.step_dates) == list(inside.dates[1:])  # a change: its later day
    assert inside.reads == learn_from
    assert inside.predicted == pytest.approx(result.predictions.loc[day, "predicted"], rel=1e-5)
    assert list(inside.frames(inside.steps[0])["hidden"].columns) == list(inside.step_dates)

    def predict(prices: np.ndarray) -> float:
        """The window remade from ``prices``, run, and turned back into a price."""
        log = learn_from == "log_return"
        values = np.diff(np.log(prices)) if log else np.diff(prices)
        x = windows_.scaler.transform(values.reshape(-1, 1)).reshape(1, -1)
        output = forward(network, x).outputs[:, :1]
        change = float(windows_.scaler.inverse_transform(output)[0, 0])
        return prices[-1] * np.exp(change) if log else prices[-1] + change

    prices = inside.prices.to_numpy(dtype="float64")
    assert predict(prices) == pytest.approx(inside.predicted, rel=1e-6)
    nudge = 1e-4
    finite = [
        (predict(prices + nudge * bump) - predict(prices - nudge * bump)) / (2 * nudge)
        for bump in np.eye(len(prices))
    ]
    np.testing.assert_allclose(inside.gradient, finite, rtol=1e-4, atol=1e-7)
    # "Tomorrow = today" is a change of 0 added to the last price: the last price counts.
    assert inside.gradient.iloc[-1] > inside.gradient.iloc[:-1].abs().max()


def test_looking_inside_a_result_from_a_worker_needs_no_tensorflow(trained, tmp_path):
    """The server receives a result as a pickle with its .keras file: looking inside it
    reads that file with h5py and computes with NumPy, and never imports TensorFlow."""
    path = tmp_path / "result.pickle"
    path.write_bytes(pickle.dumps(trained))
    expected = float(trained.predictions["predicted"].iloc[-1])
    assert_not_imported(
        "import pickle;"
        "from rnnstock.inside import look_inside, read_network;"
        f"result = pickle.loads(open({str(path)!r}, 'rb').read());"
        "network = read_network(result.model_bytes());"
        "inside = look_inside(network, result.windows, result.windows.test_dates[-1]);"
        f"assert abs(inside.predicted - {expected!r}) < 1e-3 * abs({expected!r}), inside.predicted"
    )


def test_a_model_that_cannot_be_read_says_so():
    with pytest.raises(ValueError, match=r"not a \.keras model file"):
        read_network(b"not a zip")


# -- the Train page's piece (AppTest) ------------------------------------------------------------


def _page(job) -> object:
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from rnnstock.web.inside import inside_the_model

        inside_the_model(st.session_state["job"])

    app = AppTest.from_function(script, default_timeout=60)
    app.session_state["job"] = job
    return app


def _job(result):
    from rnnstock.jobs import DONE, Job

    return Job(id="job-1-test", spec=result.spec, label="test", status=DONE, result=result)


def test_the_expander_computes_nothing_until_opened_then_draws_the_heatmaps(trained):
    from rnnstock.web import state

    result = pickle.loads(pickle.dumps(trained))  # as a worker sends it: a .keras file
    app = _page(_job(result)).run()
    assert not app.exception
    assert [e.label for e in app.get("expander")] == ["Inside the model"]
    assert not app.get("plotly_chart")  # closed: nothing computed, nothing sent

    app.session_state[state.INSIDE_OPEN] = True
    app.run()
    assert not app.exception, app.exception
    slider = app.select_slider(key=state.INSIDE_DAY)
    assert slider.value == result.windows.test_dates[-1].date()  # the last test day
    traces = [json.loads(chart.proto.spec)["data"] for chart in app.get("plotly_chart")]
    assert len(traces) == 3  # the window and its gradient; each direction's heatmaps
    kinds = [[trace["type"] for trace in chart] for chart in traces]
    assert kinds[1:] == [["heatmap"] * 3] * 2  # update gate, reset gate, hidden state
    text = " ".join(c.value for c in app.caption) + " ".join(m.value for m in app.markdown)
    assert "update gate" in text.lower() and "reset gate" in text.lower()

    day = result.windows.test_dates[3].date()
    slider.set_value(day).run()
    assert not app.exception
    assert f"{day:%Y-%m-%d}" in " ".join(m.value for m in app.markdown)


def test_a_released_model_says_so_and_offers_nothing_broken(trained):
    from rnnstock.web import state

    result = pickle.loads(pickle.dumps(trained))
    result.release_model()
    app = _page(_job(result))
    app.session_state[state.INSIDE_OPEN] = True
    app.run()
    assert not app.exception
    assert "released" in app.info[0].value
    assert not app.get("plotly_chart") and not app.get("select_slider")


def test_dates_are_labelled_by_day(trained):
    from rnnstock.charts import inside_layer_figure, inside_window_figure

    network = read_network(trained.model_bytes())
    inside = look_inside(network, trained.windows, trained.windows.test_dates[-1])
    figure = inside_layer_figure(inside, inside.steps[0])
    heatmaps = [trace for trace in figure.data if trace.type == "heatmap"]
    assert [str(x) for x in heatmaps[0].x] == [f"{d:%Y-%m-%d}" for d in inside.step_dates]
    window = inside_window_figure(inside, "Close")
    bars = [trace for trace in window.data if trace.type == "bar"]
    np.testing.assert_allclose(bars[0].y, inside.gradient.to_numpy())
    assert isinstance(inside.gradient, pd.Series)
