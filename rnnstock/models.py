"""Build the Keras model a ModelSpec describes, and count its parameters by formula.

Keras is imported inside the functions, so importing this module is cheap
and the first page of the app renders before TensorFlow loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rnnstock.backend import import_keras
from rnnstock.sizes import GATES, cell_parameters, parameter_count
from rnnstock.specs import ModelSpec

if TYPE_CHECKING:
    import keras

# The sizes by formula live in sizes.py (the specs check a model's memory with them);
# named here too, where a reader of the model looks for them.
__all__ = ["GATES", "build_model", "cell_parameters", "parameter_count", "standard_model"]


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
