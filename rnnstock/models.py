"""Build the Keras model a ModelSpec describes, and count its parameters by formula.

Keras is imported inside the functions, so importing this module is cheap
and the first page of the app renders before TensorFlow loads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING

from rnnstock.specs import ModelSpec

if TYPE_CHECKING:
    import keras

# Gates per cell: the cell's weights are that many copies of a dense layer.
GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


_IMPORT_LOCK = threading.Lock()
TRAINING_THREADS = 1  # intra-op: one thread per op
TRAINING_INTEROP_THREADS = 2  # ops at once: the fused LSTM's two halves (rnnstock.fused)


def import_keras():
    """Import Keras on the TensorFlow backend, with TensorFlow's start-up chatter off.

    Safe from several threads of the web server at once: two threads importing
    Keras' circular modules together can each see the other's half-made module.
    """
    with _IMPORT_LOCK:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        # Level 3 also hides a harmless tf.data graph-attribute error line that TF 2.21
        # prints on every predict; Python-level exceptions are unaffected.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        logging.getLogger("tensorflow").addFilter(_expected_retracing)  # added once
        if "keras" in sys.modules:
            return sys.modules["keras"]
        # One thread per op (bench/README.md, levers): these models' ops are too small
        # to split and XLA's code runs fastest alone. Two ops at once, for the fused
        # LSTM's two halves of a batch. TensorFlow reads these when it starts.
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(TRAINING_THREADS))
        os.environ.setdefault("TF_NUM_INTEROP_THREADS", str(TRAINING_INTEROP_THREADS))
        _use_xla_disk_cache()
        with _native_stderr_silenced():
            import keras
        return keras


def _expected_retracing(record: logging.LogRecord) -> bool:
    """Drop TensorFlow's "N out of the last N calls to <function> triggered tf.function
    retracing" warning: every training builds a new model with new traced functions,
    which TensorFlow counts as one function retracing once a worker has trained a few
    models. Expected here, and a paragraph of advice for TensorFlow's users in the middle
    of a class's terminal. Every other TensorFlow warning still shows."""
    return "triggered tf.function retracing" not in record.getMessage()


def _use_xla_disk_cache() -> None:
    """Keep XLA's compiled training steps on disk, so the same model and batch shape
    compile once per machine rather than once per training (a few seconds each).

    Goes in the rnnstock cache folder, one subfolder per TensorFlow version;
    an explicit ``TF_XLA_FLAGS`` setting of the cache is left alone.
    """
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if "tf_xla_persistent_cache_directory" in flags:
        return
    from importlib import metadata

    from rnnstock.data import default_cache_dir

    version = "unknown"
    for name in ("tensorflow-cpu", "tensorflow"):
        try:
            version = metadata.version(name)
            break
        except metadata.PackageNotFoundError:
            continue
    folder = default_cache_dir() / f"xla-tf{version}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: compile every time, as without the cache
        return
    os.environ["TF_XLA_FLAGS"] = f"{flags} --tf_xla_persistent_cache_directory={folder}".strip()


@contextlib.contextmanager
def _native_stderr_silenced():
    """Send file descriptor 2 to /dev/null while TensorFlow loads.

    TF 2.21 prints oneDNN and absl start-up lines from C++ before it reads
    TF_CPP_MIN_LOG_LEVEL; they would land in the middle of a class's terminal.
    Python exceptions still surface: they are raised after stderr is back.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded runners): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def build_model(
    spec: ModelSpec, window: int, *, name: str | None = None, fused: bool = False
) -> keras.Model:
    """A Sequential model: recurrent layers (stacked), dropout, dense head, Dense(1).

    Every recurrent layer but the last returns its whole sequence so the next
    one can read it, as the Netflix and Google tutorials stack them.
    ``fused=True`` trains with rnnstock.fused's faster LSTM/GRU layers (see
    :func:`rnnstock.fused.fused_applies`); :func:`standard_model` turns the
    trained model back into plain Keras layers.
    """
    keras = import_keras()
    if fused:
        from rnnstock.fused import fused_class

        layer_class = fused_class(spec.cell)
    else:
        layer_class = getattr(keras.layers, spec.cell)
    layers: list = [keras.Input(shape=(window, 1), name="prices")]
    for index, units in enumerate(spec.units):
        last = index == len(spec.units) - 1
        layer = layer_class(units, activation=spec.activation, return_sequences=not last)
        if spec.bidirectional:
            layer = keras.layers.Bidirectional(layer)
        layers.append(layer)
        if spec.dropout:
            layers.append(keras.layers.Dropout(spec.dropout))
    layers.extend(keras.layers.Dense(size) for size in spec.dense)
    layers.append(keras.layers.Dense(1, name="next_price"))
    return keras.Sequential(layers, name=name or spec.cell.lower())


def supports_xla(model: keras.Model) -> bool:
    """False when a layer runs an op XLA cannot compile (rnnstock.fused's LSTM).

    Keras' own check (``model_supports_jit``) walks the layers the same way;
    ``_flatten_layers`` also reaches the LSTMs inside a Bidirectional.
    """
    return all(layer.supports_jit for layer in model._flatten_layers())


def standard_model(model: keras.Model, spec: ModelSpec, window: int) -> keras.Model:
    """The same trained model in plain Keras layers: same weights, same optimizer state.

    What leaves training (predictions, forecasts, the .keras download) uses
    this copy, so a saved model loads in any Keras without rnnstock.
    """
    plain = build_model(spec, window, name=model.name)
    plain.set_weights(model.get_weights())
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        copied = type(optimizer).from_config(optimizer.get_config())
        plain.compile(optimizer=copied, loss=model.loss)
        if optimizer.built:
            copied.build(plain.trainable_variables)
            for mine, theirs in zip(copied.variables, optimizer.variables, strict=True):
                mine.assign(theirs)
    return plain


def cell_parameters(cell: str, inputs: int, units: int) -> int:
    """Weights of one recurrent layer: gates × (input kernel + recurrent kernel + bias).

    SimpleRNN and LSTM have one bias per gate unit. Keras' GRU defaults to
    ``reset_after=True`` (the cuDNN form), which keeps two biases per gate unit.
    """
    biases = 2 if cell == "GRU" else 1
    return GATES[cell] * units * (inputs + units + biases)


def parameter_count(spec: ModelSpec) -> int:
    """The model's trainable parameters, from the cell equations (no Keras needed)."""
    total, inputs = 0, 1
    directions = 2 if spec.bidirectional else 1
    for units in spec.units:
        total += directions * cell_parameters(spec.cell, inputs, units)
        inputs = directions * units
    for size in (*spec.dense, 1):
        total += inputs * size + size
        inputs = size
    return total


def summary_rows(model: keras.Model) -> list[dict[str, object]]:
    """The model summary as rows (layer, type, output shape, parameters), as Keras reports it."""
    rows = []
    for layer in model.layers:
        rows.append(
            {
                "layer": layer.name,
                "type": type(layer).__name__,
                "output shape": str(tuple(layer.output.shape)),
                "parameters": int(layer.count_params()),
            }
        )
    return rows
