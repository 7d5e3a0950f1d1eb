"""The fused LSTM's written-out backward pass (rnnstock.fused.lstm_sequence): the same
outputs and gradients as Keras' own LSTM and as TensorFlow's BlockLSTMGrad, in every way
the layer is used, and the same weights from the same seed."""

import numpy as np
import pytest

from rnnstock import fused
from rnnstock.backend import import_keras

keras = import_keras()
import tensorflow as tf  # noqa: E402  (after import_keras: its thread settings first)

WINDOW, FEATURES, UNITS = 7, 2, 5


def _close(mine, theirs):
    """Equal to float32 rounding: within 1e-6 of the largest value compared (or of 1)."""
    mine, theirs = np.asarray(mine), np.asarray(theirs)
    scale = max(1.0, float(np.abs(theirs).max()))
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-6 * scale)


@pytest.fixture
def backward(monkeypatch):
    """Run a test under another LSTM_BACKWARD ("block": TensorFlow's own gradient)."""

    def use(name):
        monkeypatch.setattr(fused, "LSTM_BACKWARD", name)

    return use


@pytest.mark.parametrize("every_step", [True, False], ids=["every step", "last step"])
@pytest.mark.parametrize("loop", ["xla", "graph"])
def test_the_written_out_gradient_is_blocklstmgrads(every_step, loop, backward):
    """Every input's gradient (sequence, initial states, weights, bias) against
    TensorFlow's registered gradient of BlockLSTM, from random values that saturate."""
    rng = np.random.default_rng(0)

    def normal(*shape, scale=1.0):
        return tf.constant(rng.normal(scale=scale, size=shape).astype("float32"))

    batch = 3
    inputs = [
        normal(WINDOW, batch, FEATURES, scale=2.0),
        normal(batch, UNITS),
        normal(batch, UNITS),
        normal(FEATURES + UNITS, 4 * UNITS, scale=0.7),
        normal(4 * UNITS),
    ]
    weights_h = normal(*((WINDOW, batch, UNITS) if every_step else (batch, UNITS)))
    weights_c = normal(batch, UNITS)

    def run(name):
        backward(name)

        @tf.function
        def gradients(*inputs):
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                h, c = fused.lstm_sequence(*inputs, every_step=every_step)
                loss = tf.reduce_sum(h * weights_h) + tf.reduce_sum(c * weights_c)
            return [h, c, *tape.gradient(loss, inputs)]

        return gradients(*inputs)

    theirs = run("block")
    mine = run(loop)
    for name, a, b in zip(("h", "c", "x", "h0", "c0", "w", "b"), mine, theirs, strict=True):
        assert a.shape == b.shape, name
        _close(a, b)


def _pair(build, seed=4):
    """A model with fused LSTMs and the same with Keras' LSTM, with the same random weights."""
    fused_model = build(fused.fused_class("LSTM"))
    plain_model = build(keras.layers.LSTM)
    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=0.6, size=w.shape).astype("float32") for w in plain_model.weights]
    fused_model.set_weights(weights)
    plain_model.set_weights(weights)
    return fused_model, plain_model


def _single(return_sequences, go_backwards):
    def build(lstm):
        x = keras.Input((WINDOW, FEATURES))
        h0, c0 = keras.Input((UNITS,)), keras.Input((UNITS,))
        layer = lstm(UNITS, return_sequences=return_sequences, go_backwards=go_backwards)
        return keras.Model([x, h0, c0], layer(x, initial_state=[h0, c0]))

    return build


def _stacked(lstm):
    return keras.Sequential(
        [
            keras.Input((WINDOW, FEATURES)),
            lstm(UNITS, return_sequences=True),
            lstm(3, go_backwards=True),
            keras.layers.Dense(1),
        ]
    )


def _bidirectional(lstm):
    return keras.Sequential(
        [
            keras.Input((WINDOW, FEATURES)),
            keras.layers.Bidirectional(lstm(UNITS, return_sequences=True)),
            keras.layers.Bidirectional(lstm(3)),
            keras.layers.Dense(1),
        ]
    )


MODELS = {
    "last output": _single(False, False),
    "sequences": _single(True, False),
    "backwards": _single(False, True),
    "sequences backwards": _single(True, True),
    "stacked": _stacked,
    "bidirectional": _bidirectional,
}


@pytest.mark.parametrize("build", MODELS.values(), ids=MODELS.keys())
def test_the_fused_lstm_computes_what_keras_computes(build):
    """Outputs and gradients (weights, inputs, initial states) equal to Keras' LSTM, for
    even, odd and one-window batches (the layer runs each batch as two halves)."""
    fused_model, plain_model = _pair(build)
    rng = np.random.default_rng(1)
    for batch in (6, 3, 1):
        x = tf.constant(rng.normal(scale=2.0, size=(batch, WINDOW, FEATURES)).astype("float32"))
        states = [tf.constant(rng.normal(size=(batch, UNITS)).astype("float32")) for _ in range(2)]
        inputs = [x, *states] if len(fused_model.inputs) == 3 else [x]

        def run(model, inputs=inputs):
            # Eagerly (the graph of a training step: the tests above and below).
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                y = model(inputs if len(inputs) > 1 else inputs[0])
                weights = tf.cast(tf.range(tf.size(y)), y.dtype) / 10.0 - 1.0
                loss = tf.reduce_sum(y * tf.reshape(weights, tf.shape(y)))
            return y, tape.gradient(loss, [*inputs, *model.trainable_variables])

        (y, grads), (y_keras, grads_keras) = run(fused_model), run(plain_model)
        _close(y, y_keras)
        assert len(grads) == len(grads_keras)
        for mine, theirs in zip(grads, grads_keras, strict=True):
            _close(mine, theirs)


def test_training_uses_the_written_out_gradient_not_blocklstmgrad():
    model = keras.Sequential([keras.Input((WINDOW, 1)), fused.fused_class("LSTM")(UNITS)])

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x))
        return tape.gradient(loss, model.trainable_variables)

    graph = step.get_concrete_function(tf.TensorSpec((None, WINDOW, 1))).graph
    ops = {op.type for op in graph.get_operations()}
    for function in graph.as_graph_def().library.function:
        ops |= {node.op for node in function.node_def}
    assert "BlockLSTM" in ops
    assert "BlockLSTMGrad" not in ops


def test_a_seed_gives_the_same_weights_to_the_last_bit():
    """Two halves on two threads and an XLA backward loop: still reproducible."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(45, WINDOW, 1)).astype("float32")  # batches of 8 and a last of 5
    y = x[:, -1] * 0.5

    def train():
        keras.utils.set_random_seed(7)
        lstm = fused.fused_class("LSTM")(UNITS)
        model = keras.Sequential([keras.Input((WINDOW, 1)), lstm, keras.layers.Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return model.get_weights()

    for first, second in zip(train(), train(), strict=True):
        np.testing.assert_array_equal(first, second)
