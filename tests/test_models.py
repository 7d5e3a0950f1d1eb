import logging

import pytest

from rnnstock.backend import import_keras
from rnnstock.models import (
    build_model,
    cell_parameters,
    parameter_count,
    summary_rows,
)
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


# -- the fused layers that train LSTMs and GRUs on CPU (rnnstock.fused) ------------------


def _fused_and_plain(spec, window=15, seed=3):
    from rnnstock.backend import import_keras

    keras = import_keras()
    keras.utils.set_random_seed(seed)
    fused = build_model(spec, window, fused=True)
    keras.utils.set_random_seed(seed)
    plain = build_model(spec, window)
    return fused, plain


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(cell="LSTM", units=(16,)),
        ModelSpec(cell="LSTM", units=(8, 4), bidirectional=True, dense=(3,)),
        ModelSpec(cell="GRU", units=(16,)),
        ModelSpec(cell="GRU", units=(8, 4), bidirectional=True, dense=(3,)),
    ],
    ids=["LSTM", "stacked bidirectional LSTM", "GRU", "stacked bidirectional GRU"],
)
def test_fused_layers_compute_what_keras_computes(spec):
    """Same outputs and same gradients as Keras' own layer, so training follows the same path."""
    import numpy as np
    import tensorflow as tf

    fused, plain = _fused_and_plain(spec)
    recurrent = fused.layers[0].forward_layer if spec.bidirectional else fused.layers[0]
    assert type(recurrent).__name__ == f"Fused{spec.cell}"
    for mine, theirs in zip(fused.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    rng = np.random.default_rng(0)
    x_all = rng.normal(scale=3.0, size=(40, 15, 1)).astype("float32")  # enough to saturate
    y_all = rng.normal(size=(40, 1)).astype("float32")
    # Even, odd and single-window batches: the fused LSTM splits each batch in two halves.
    for batch in (40, 15, 1):
        x, y = x_all[:batch], y_all[:batch]
        np.testing.assert_allclose(fused(x), plain(x), atol=1e-5)

        def gradients(model, x=x, y=y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((model(x) - y) ** 2)
            return tape.gradient(loss, model.trainable_variables)

        for mine, theirs in zip(gradients(fused), gradients(plain), strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_a_trained_fused_model_leaves_as_plain_keras_layers(cell, tmp_path):
    """The saved model names only Keras' own layers: it loads anywhere without rnnstock."""
    import numpy as np

    from rnnstock.backend import import_keras
    from rnnstock.models import standard_model

    keras = import_keras()
    spec = ModelSpec(cell=cell, units=(8,))
    fused, _ = _fused_and_plain(spec)
    x = np.random.default_rng(1).normal(size=(64, 15, 1)).astype("float32")
    fused.compile(optimizer="rmsprop", loss="mse")
    fused.fit(x, x[:, -1], epochs=2, verbose=0)
    plain = standard_model(fused, spec, 15)
    assert [type(layer).__name__ for layer in plain.layers] == [cell, "Dense"]
    np.testing.assert_allclose(plain.predict(x, verbose=0), fused.predict(x, verbose=0), atol=1e-5)
    # RMSprop's running averages come along, so training can go on where it stopped.
    for mine, theirs in zip(plain.optimizer.variables, fused.optimizer.variables, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    path = tmp_path / "model.keras"
    plain.save(path)
    assert b"Fused" not in path.read_bytes()
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), plain.predict(x, verbose=0))


def test_fused_layers_only_where_their_assumptions_hold(monkeypatch):
    from rnnstock.fused import fused_applies

    monkeypatch.delenv("RNNSTOCK_FUSED", raising=False)
    assert fused_applies(ModelSpec(cell="LSTM", units=(125,)))
    assert fused_applies(ModelSpec(cell="GRU", units=(125,)))
    assert not fused_applies(ModelSpec(cell="SimpleRNN", units=(125,)))
    # The fused cells compute tanh; relu LSTMs keep Keras' loop.
    assert not fused_applies(ModelSpec(cell="LSTM", units=(125,), activation="relu"))
    monkeypatch.setenv("RNNSTOCK_FUSED", "0")
    assert not fused_applies(ModelSpec(cell="LSTM", units=(125,)))


def test_the_terminal_is_spared_tensorflows_advice_on_retracing(caplog):
    """Each training builds new traced functions, which TensorFlow reports as retracing
    after a worker's fifth or so: that paragraph stays out of the class's terminal,
    and TensorFlow's other warnings do not."""
    import_keras()
    import tensorflow as tf

    double = tf.function(lambda x: x * 2)
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for length in range(1, 9):  # a new shape each call: traced every time
            double(tf.zeros([length]))
        tf.get_logger().warning("A warning a teacher may need to see.")
    messages = [record.getMessage() for record in caplog.records]
    assert not [message for message in messages if "retracing" in message]
    assert "A warning a teacher may need to see." in messages
