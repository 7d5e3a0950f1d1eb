"""A model's size by formula, without Keras: parameters, and the memory one training needs.

The specs refuse a model whose training would need more than
``rnnstock.settings.MEMORY_BUDGET_MB`` (a class shares one server), so this
module knows nothing of the specs: it reads any object with the ModelSpec fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rnnstock.specs import ModelSpec

# Gates per cell: the cell's weights are that many copies of a dense layer.
GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
FLOAT_BYTES = 4
# Per unit and step, what back-propagation through time keeps: each gate's
# pre-activation and output, and the states; measured, not derived (bench/model_memory.py).
KEPT_PER_GATE = 3
# Weights, their gradients and the optimizer's two slots (Adam, RMSprop keeps one).
WEIGHT_COPIES = 4
# The formula against real trainings (bench/model_memory.py, 2026-12-02): 0.82-1.32 of
# the measured memory above TensorFlow's own (the bidirectional GRU kept the most), and a
# few MB of buffers on the smallest models. Scaled so that it never undershoots.
MARGIN = 1.3
BUFFERS_MB = 16


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


def training_memory_mb(spec: ModelSpec, window: int, batch_size: int) -> float:
    """About how much memory one training step needs beyond TensorFlow itself, in MB:
    the weights with their gradients and optimizer slots, and what back-propagation
    through time keeps for every step of every window of a batch."""
    directions = 2 if spec.bidirectional else 1
    per_step = sum(
        directions * units * (GATES[spec.cell] * KEPT_PER_GATE + 2) for units in spec.units
    )
    kept = batch_size * window * per_step
    weights = WEIGHT_COPIES * parameter_count(spec)
    return MARGIN * (kept + weights) * FLOAT_BYTES / 2**20 + BUFFERS_MB


PREDICTION_BATCH_MAX = 1024  # windows per prediction call at most (Keras' speed levels off)


def prediction_batch(spec: ModelSpec, batch_size: int) -> int:
    """Windows to predict at once so that a prediction needs no more memory than the
    training step the memory check allowed: predicting keeps one value per unit at each
    step of a window, a training step keeps ``GATES * KEPT_PER_GATE + 2`` (the test
    days of a large model at once took 4 GB: 3,992 windows of 500 days, 2 x LSTM(512))."""
    per_unit_in_training = GATES[spec.cell] * KEPT_PER_GATE + 2
    return max(1, min(PREDICTION_BATCH_MAX, batch_size * per_unit_in_training))
