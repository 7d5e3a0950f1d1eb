"""Inside a trained model: what its recurrent layers computed, step by step, on one window,
and which input days moved the prediction most.

For one test day the Train page shows the window of prices that went in; for each
recurrent layer (and each direction of a bidirectional one) its hidden state and every
gate at every step: the LSTM's input, forget and output gates and its cell state, the
GRU's update and reset gates, the SimpleRNN's hidden state alone; and the gradient of
the predicted price with respect to each input day's price.

Everything is computed here with NumPy, from the trained weights and the cell equations
the Learn page shows (``rnnstock.learn.CELL_INFO``), in Keras 3's weight layout: a
``kernel`` (inputs × gates·units), a ``recurrent_kernel`` (units × gates·units) and a
``bias``; the LSTM's gates in the order i, f, c, o; the GRU's in the order z, r, h, with
``reset_after=True`` (Keras' default, the cuDNN form) its bias as two rows, the input
side's and the recurrent side's. Dropout does nothing at inference and is skipped.

The weights are read from the run's ``.keras`` file (``ExperimentResult.model_bytes``):
its ``config.json`` lists the layers, its ``model.weights.h5`` holds their weights under
groups that carry each layer's name. So the server never imports TensorFlow for this: a
result arrives from its worker as that file, and a model already loaded is read the same
way. The gradient is a backward pass through the same equations (backpropagation through
time), exact, not estimated. ``tests/test_inside.py`` checks every state against Keras'
own outputs, and the gradient against TensorFlow's GradientTape and finite differences.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from rnnstock.windows import Windows

CELL_CLASSES = ("SimpleRNN", "LSTM", "GRU")
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}  # blocks of `units` columns in each kernel
MERGE_MODES = ("concat", "sum", "ave", "mul")


# -- activations, with their slopes for the backward pass --------------------------------


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # exact, and no overflow for large |a|


Activation = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, np.ndarray], object]]
# name -> (function, slope given the pre-activation a and the output y)
ACTIVATIONS: dict[str, Activation] = {
    "tanh": (np.tanh, lambda a, y: 1.0 - y * y),
    "sigmoid": (_sigmoid, lambda a, y: y * (1.0 - y)),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a, y: (a > 0).astype(a.dtype)),
    "linear": (lambda a: a, lambda a, y: 1.0),
}


def _activation(name: object, layer: str) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(
            f"Layer {layer} uses the activation {name!r}; looking inside supports"
            f" {', '.join(ACTIVATIONS)}."
        )
    return name


# -- the network, as read from a .keras file ---------------------------------------------


@dataclass(frozen=True)
class Direction:
    """One recurrent layer read in one direction: its cell and its trained weights."""

    cell: str  # SimpleRNN, LSTM or GRU
    units: int
    activation: str
    recurrent_activation: str  # the gates' (sigmoid); a SimpleRNN has no gates
    kernel: np.ndarray  # (inputs, gates × units)
    recurrent_kernel: np.ndarray  # (units, gates × units)
    bias: np.ndarray | None  # (gates × units,); a GRU with reset_after: (2, 3 × units)
    reset_after: bool = True  # GRU only
    go_backwards: bool = False

    def biases(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The input side's bias and the recurrent side's (only a reset_after GRU has one)."""
        if self.bias is None:
            return None, None
        if self.bias.ndim == 2:
            return self.bias[0], self.bias[1]
        return self.bias, None


@dataclass(frozen=True)
class RecurrentLayer:
    name: str
    directions: tuple[Direction, ...]  # forward; or forward and backward (Bidirectional)
    return_sequences: bool
    merge_mode: str = "concat"  # how a Bidirectional joins its two directions

    @property
    def cell(self) -> str:
        return self.directions[0].cell

    @property
    def bidirectional(self) -> bool:
        return len(self.directions) == 2


@dataclass(frozen=True)
class DenseLayer:
    name: str
    kernel: np.ndarray
    bias: np.ndarray | None
    activation: str


@dataclass(frozen=True)
class Network:
    """A Sequential model's layers that compute something at inference (no Dropout)."""

    layers: tuple[RecurrentLayer | DenseLayer, ...]
    window: int | None = None  # days per input window, as the model was built

    @property
    def recurrent(self) -> list[RecurrentLayer]:
        return [layer for layer in self.layers if isinstance(layer, RecurrentLayer)]


def read_network(keras_file: bytes) -> Network:
    """The layers and trained weights of a Sequential model saved as a ``.keras`` file.

    Raises ``ValueError`` for a model this module cannot compute (another kind of
    layer or activation, or not a Sequential model).
    """
    import h5py  # Keras' own dependency, for its weights file; no TensorFlow

    try:
        with zipfile.ZipFile(io.BytesIO(keras_file)) as archive:
            config = json.loads(archive.read("config.json"))
            weights = archive.read("model.weights.h5")
    except (zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"This is not a .keras model file ({error}).") from error
    if config.get("class_name") != "Sequential":
        raise ValueError("Looking inside works on Sequential models, as the app builds them.")
    layers: list[RecurrentLayer | DenseLayer] = []
    window = None
    with h5py.File(io.BytesIO(weights), "r") as store:
        groups = _groups_by_layer_name(store)
        for entry in config["config"]["layers"]:
            kind, settings = _class_name(entry), entry["config"]
            name = settings["name"]
            if kind == "InputLayer":
                shape = settings.get("batch_shape") or [None, None]
                window = shape[1] if len(shape) > 1 else None
            elif kind == "Dropout":
                continue  # nothing happens at inference
            elif kind == "Dense":
                values = _variables(store, f"{groups[name]}/vars")
                layers.append(
                    DenseLayer(
                        name,
                        kernel=values[0],
                        bias=values[1] if settings.get("use_bias", True) else None,
                        activation=_activation(settings.get("activation") or "linear", name),
                    )
                )
            elif kind in CELL_CLASSES:
                direction = _direction(kind, settings, store, f"{groups[name]}/cell/vars")
                layers.append(RecurrentLayer(name, (direction,), settings["return_sequences"]))
            elif kind == "Bidirectional":
                merge_mode = settings.get("merge_mode", "concat")
                if merge_mode not in MERGE_MODES:
                    raise ValueError(f"Layer {name} merges its directions by {merge_mode!r}.")
                directions = []
                for part, inner in (
                    ("forward_layer", settings["layer"]),
                    ("backward_layer", settings.get("backward_layer") or settings["layer"]),
                ):
                    inner_kind = _class_name(inner)
                    if inner_kind not in CELL_CLASSES:
                        raise ValueError(f"Cannot look inside a Bidirectional {inner_kind}.")
                    path = f"{groups[name]}/{part}/cell/vars"
                    inner_settings = dict(inner["config"])
                    # A Bidirectional made from one layer keeps its go_backwards=False in
                    # the config and flips it for the copy it builds.
                    inner_settings["go_backwards"] = part == "backward_layer"
                    directions.append(_direction(inner_kind, inner_settings, store, path))
                return_sequences = settings["layer"]["config"]["return_sequences"]
                layers.append(RecurrentLayer(name, tuple(directions), return_sequences, merge_mode))
            else:
                raise ValueError(f"Cannot look inside a {kind} layer ({name}).")
    if not any(isinstance(layer, RecurrentLayer) for layer in layers):
        raise ValueError("This model has no recurrent layer to look inside.")
    return Network(tuple(layers), window)


def _class_name(entry: dict) -> str:
    """Keras' class name; rnnstock.fused's layers (``rnnstock>FusedLSTM``) are Keras' LSTM
    and GRU with the same weights and equations."""
    name = entry["class_name"]
    if (entry.get("registered_name") or "").startswith("rnnstock>"):
        name = name.removeprefix("Fused")
    return name


def _groups_by_layer_name(store) -> dict[str, str]:
    """Each top-level layer's group in the weights file, found by the name it carries.

    Keras names the groups after the class (``layers/dense_1`` for the layer called
    ``next_price``) and writes the layer's own name on its ``vars`` group.
    """
    groups = {}
    for group in store.get("layers", {}).values():
        variables = group.get("vars")
        if variables is not None and "name" in variables.attrs:
            groups[str(variables.attrs["name"])] = group.name.lstrip("/")
    return groups


def _variables(store, path: str) -> list[np.ndarray]:
    group = store[path]
    return [np.asarray(group[str(index)]) for index in range(len(group))]


def _direction(kind: str, settings: dict, store, path: str) -> Direction:
    name = settings["name"]
    values = _variables(store, path)
    units = int(settings["units"])
    kernel, recurrent_kernel = values[0], values[1]
    bias = values[2] if settings.get("use_bias", True) else None
    columns = GATES[kind] * units
    if kernel.shape[1] != columns or recurrent_kernel.shape != (units, columns):
        raise ValueError(f"The weights of {name} do not have the shapes a {kind} has.")
    return Direction(
        cell=kind,
        units=units,
        activation=_activation(settings.get("activation", "tanh"), name),
        recurrent_activation=_activation(settings.get("recurrent_activation", "sigmoid"), name),
        kernel=kernel,
        recurrent_kernel=recurrent_kernel,
        bias=bias,
        reset_after=bool(settings.get("reset_after", True)),
        go_backwards=bool(settings.get("go_backwards", False)),
    )


# -- the forward pass: every gate and state at every step --------------------------------

# What each cell records at each step, in the order of the Learn page's equations...
QUANTITIES = {
    "SimpleRNN": ("hidden",),
    "LSTM": ("input", "forget", "output", "candidate", "cell", "hidden"),
    "GRU": ("update", "reset", "candidate", "hidden"),
}
# ...and what the Train page shows of it: every gate, the states (not the candidates).
SHOWN = {
    "SimpleRNN": ("hidden",),
    "LSTM": ("input", "forget", "output", "cell", "hidden"),
    "GRU": ("update", "reset", "hidden"),
}
QUANTITY_NAMES = {
    "input": "Input gate i",
    "forget": "Forget gate f",
    "output": "Output gate o",
    "candidate": "Candidate",
    "cell": "Cell state c",
    "hidden": "Hidden state h",
    "update": "Update gate z",
    "reset": "Reset gate r",
}
QUANTITY_HINTS = {  # what each shows, in a few plain words
    "input": "how much of each day is written into memory",
    "forget": "how much of the memory is kept",
    "output": "how much of the memory is shown",
    "candidate": "the new value on offer",
    "cell": "the memory (colours scaled to this window)",
    "hidden": "what each unit passes on",
    "update": "how much of the old state is kept",
    "reset": "how much of the old state the candidate sees",
}
GATE_QUANTITIES = frozenset({"input", "forget", "output", "update", "reset"})  # all 0…1


@dataclass
class _Reading:
    """One direction's pass over a window, in the order it read the days."""

    direction: Direction
    pre: np.ndarray  # (batch, steps, gates × units): every pre-activation
    values: dict[str, np.ndarray]  # quantity -> (batch, steps, units)
    recurrent_side: np.ndarray | None = None  # a reset_after GRU's U_h·h + b'_h, per step


def _read(direction: Direction, inputs: np.ndarray) -> _Reading:
    """Run one direction's cell over ``inputs`` (batch, steps, inputs), step by step."""
    d = direction
    n = d.units
    batch, steps, _ = inputs.shape
    act = ACTIVATIONS[d.activation][0]
    gate = ACTIVATIONS[d.recurrent_activation][0]
    kernel, recurrent = d.kernel.astype("float64"), d.recurrent_kernel.astype("float64")
    input_bias, recurrent_bias = d.biases()
    x_side = inputs @ kernel  # the input side of every step at once
    if input_bias is not None:
        x_side = x_side + input_bias
    pre = np.empty((batch, steps, GATES[d.cell] * n))
    values = {name: np.empty((batch, steps, n)) for name in QUANTITIES[d.cell]}
    recurrent_side = np.empty((batch, steps, n)) if d.cell == "GRU" and d.reset_after else None
    h = np.zeros((batch, n))
    c = np.zeros((batch, n))
    for t in range(steps):
        if d.cell == "SimpleRNN":
            a = x_side[:, t] + h @ recurrent
            h = act(a)
            pre[:, t] = a
        elif d.cell == "LSTM":
            a = x_side[:, t] + h @ recurrent
            a_i, a_f, a_c, a_o = np.split(a, 4, axis=-1)
            i, f, candidate, o = gate(a_i), gate(a_f), act(a_c), gate(a_o)
            c = f * c + i * candidate
            h = o * act(c)
            pre[:, t] = a
            for name, value in zip(
                ("input", "forget", "output", "candidate", "cell"),
                (i, f, o, candidate, c),
                strict=True,
            ):
                values[name][:, t] = value
        else:  # GRU
            x_z, x_r, x_h = np.split(x_side[:, t], 3, axis=-1)
            if d.reset_after:
                h_side = h @ recurrent
                if recurrent_bias is not None:
                    h_side = h_side + recurrent_bias
                h_z, h_r, h_h = np.split(h_side, 3, axis=-1)
                z, r = gate(x_z + h_z), gate(x_r + h_r)
                a_h = x_h + r * h_h
                recurrent_side[:, t] = h_h
            else:
                h_z, h_r = np.split(h @ recurrent[:, : 2 * n], 2, axis=-1)
                z, r = gate(x_z + h_z), gate(x_r + h_r)
                a_h = x_h + (r * h) @ recurrent[:, 2 * n :]
            candidate = act(a_h)
            h = z * h + (1.0 - z) * candidate
            pre[:, t] = np.concatenate([x_z + h_z, x_r + h_r, a_h], axis=-1)
            values["update"][:, t], values["reset"][:, t] = z, r
            values["candidate"][:, t] = candidate
        values["hidden"][:, t] = h
    return _Reading(d, pre, values, recurrent_side)


@dataclass(frozen=True)
class Steps:
    """What one direction of one recurrent layer computed at each day of the window."""

    position: int  # 1 for the first recurrent layer, 2 for the one it feeds, …
    layer: RecurrentLayer
    direction: str  # "forward" or "backward" for a bidirectional layer, else ""
    values: dict[str, np.ndarray]  # quantity -> (batch, days, units), by input day
    backwards: bool = False  # read from the window's last day to its first

    @property
    def cell(self) -> str:
        return self.layer.cell

    @property
    def units(self) -> int:
        return self.layer.directions[0].units


@dataclass
class Trace:
    """A forward pass over a batch of windows: the outputs, and what every layer did."""

    outputs: np.ndarray  # (batch, outputs), on the scaled prices' scale
    steps: list[Steps]
    _tape: list = field(default_factory=list, repr=False)  # what the backward pass needs


def forward(network: Network, windows: np.ndarray) -> Trace:
    """Run ``network`` on ``windows`` (batch, days) or (batch, days, 1) of scaled prices.

    A backward direction reads the window from its last day to its first; its steps are
    returned by input day all the same (the column of a day: its state once it has read
    that day and every later one).
    """
    x = np.asarray(windows, dtype="float64")
    if x.ndim == 2:
        x = x[..., np.newaxis]
    if x.ndim != 3:
        raise ValueError("Windows must have the shape (windows, days) or (windows, days, 1).")
    steps: list[Steps] = []
    tape: list = []
    position = 0
    for layer in network.layers:
        if isinstance(layer, DenseLayer):
            function = ACTIVATIONS[layer.activation][0]
            a = x @ layer.kernel.astype("float64")
            if layer.bias is not None:
                a = a + layer.bias
            y = function(a)
            tape.append((layer, x, a, y))
            x = y
            continue
        position += 1
        readings, outputs = [], []
        for direction in layer.directions:
            reading = _read(direction, x[:, ::-1] if direction.go_backwards else x)
            readings.append(reading)
            hidden = reading.values["hidden"]
            if not layer.return_sequences:
                outputs.append(hidden[:, -1])
            elif direction.go_backwards and layer.bidirectional:
                outputs.append(hidden[:, ::-1])  # Bidirectional lines its outputs up by day
            else:
                outputs.append(hidden)  # Keras' order: a lone go_backwards layer's reading order
            by_day = {
                name: value[:, ::-1] if direction.go_backwards else value
                for name, value in reading.values.items()
            }
            label = ("backward" if direction.go_backwards else "forward") * layer.bidirectional
            steps.append(Steps(position, layer, label, by_day, direction.go_backwards))
        tape.append((layer, x, readings, outputs))
        x = _merge(outputs, layer.merge_mode)
    return Trace(outputs=x, steps=steps, _tape=tape)


def _merge(outputs: list[np.ndarray], mode: str) -> np.ndarray:
    if len(outputs) == 1:
        return outputs[0]
    first, second = outputs
    if mode == "concat":
        return np.concatenate([first, second], axis=-1)
    if mode == "sum":
        return first + second
    if mode == "ave":
        return (first + second) / 2
    return first * second


# -- the backward pass: how much each input day moved the output --------------------------


def input_gradient(network: Network, trace: Trace) -> np.ndarray:
    """d output / d input, (batch, days): how far the (first) output moves per unit that
    each day's input moves, all others held, by backpropagation through time."""
    d_x = np.zeros_like(trace.outputs)
    d_x[:, 0] = 1.0
    for layer, inputs, *saved in reversed(trace._tape):
        if isinstance(layer, DenseLayer):
            a, y = saved
            slope = ACTIVATIONS[layer.activation][1](a, y)
            d_x = (d_x * slope) @ layer.kernel.astype("float64").T
            continue
        readings, outputs = saved
        d_inputs = np.zeros_like(inputs)
        for index, (reading, d_output) in enumerate(
            zip(readings, _split_merge(d_x, outputs, layer.merge_mode), strict=True)
        ):
            direction = layer.directions[index]
            d_hidden = np.zeros_like(reading.values["hidden"])
            if not layer.return_sequences:
                d_hidden[:, -1] = d_output
            elif direction.go_backwards and layer.bidirectional:
                d_hidden = d_output[:, ::-1]
            else:
                d_hidden = d_output
            d_read = _backward(reading, d_hidden)
            d_inputs += d_read[:, ::-1] if direction.go_backwards else d_read
        d_x = d_inputs
    return d_x[..., 0]


def _split_merge(d_merged: np.ndarray, outputs: list[np.ndarray], mode: str) -> list[np.ndarray]:
    if len(outputs) == 1:
        return [d_merged]
    first, second = outputs
    if mode == "concat":
        return np.split(d_merged, [first.shape[-1]], axis=-1)
    if mode == "sum":
        return [d_merged, d_merged]
    if mode == "ave":
        return [d_merged / 2, d_merged / 2]
    return [d_merged * second, d_merged * first]


def _backward(reading: _Reading, d_hidden: np.ndarray) -> np.ndarray:
    """Backpropagation through time for one direction: the gradient on each step's input,
    given the gradient on each step's output (both in the order the days were read)."""
    d = reading.direction
    n = d.units
    act_slope = ACTIVATIONS[d.activation][1]
    gate_slope = ACTIVATIONS[d.recurrent_activation][1]
    act = ACTIVATIONS[d.activation][0]
    kernel, recurrent = d.kernel.astype("float64"), d.recurrent_kernel.astype("float64")
    pre, values = reading.pre, reading.values
    batch, steps, _ = d_hidden.shape
    d_pre = np.zeros_like(pre)  # the gradient on every pre-activation
    d_h_next = np.zeros((batch, n))  # flowing back from the next step through h
    d_c_next = np.zeros((batch, n))  # and, in an LSTM, through c
    zeros = np.zeros((batch, n))
    for t in reversed(range(steps)):
        d_h = d_hidden[:, t] + d_h_next
        h_prev = values["hidden"][:, t - 1] if t else zeros
        if d.cell == "SimpleRNN":
            d_a = d_h * act_slope(pre[:, t], values["hidden"][:, t])
            d_pre[:, t] = d_a
            d_h_next = d_a @ recurrent.T
        elif d.cell == "LSTM":
            a_i, a_f, a_c, a_o = np.split(pre[:, t], 4, axis=-1)
            i, f, o = values["input"][:, t], values["forget"][:, t], values["output"][:, t]
            candidate, c = values["candidate"][:, t], values["cell"][:, t]
            c_prev = values["cell"][:, t - 1] if t else zeros
            shown = act(c)
            d_c = d_c_next + d_h * o * act_slope(c, shown)
            d_pre[:, t] = np.concatenate(
                [
                    d_c * candidate * gate_slope(a_i, i),
                    d_c * c_prev * gate_slope(a_f, f),
                    d_c * i * act_slope(a_c, candidate),
                    d_h * shown * gate_slope(a_o, o),
                ],
                axis=-1,
            )
            d_c_next = d_c * f
            d_h_next = d_pre[:, t] @ recurrent.T
        else:  # GRU
            a_z, a_r, a_h = np.split(pre[:, t], 3, axis=-1)
            z, r = values["update"][:, t], values["reset"][:, t]
            candidate = values["candidate"][:, t]
            d_a_h = d_h * (1.0 - z) * act_slope(a_h, candidate)
            d_a_z = d_h * (h_prev - candidate) * gate_slope(a_z, z)
            d_h_next = d_h * z
            if d.reset_after:
                h_h = reading.recurrent_side[:, t]
                d_a_r = d_a_h * h_h * gate_slope(a_r, r)
                d_recurrent_side = np.concatenate([d_a_z, d_a_r, d_a_h * r], axis=-1)
                d_h_next = d_h_next + d_recurrent_side @ recurrent.T
            else:
                d_reset_h = d_a_h @ recurrent[:, 2 * n :].T  # on r ⊙ h_prev
                d_a_r = d_reset_h * h_prev * gate_slope(a_r, r)
                d_h_next = d_h_next + d_reset_h * r
                d_h_next = d_h_next + np.concatenate([d_a_z, d_a_r], axis=-1) @ (
                    recurrent[:, : 2 * n].T
                )
            d_pre[:, t] = np.concatenate([d_a_z, d_a_r, d_a_h], axis=-1)
    return d_pre @ kernel.T


# -- one test day, as the Train page shows it ----------------------------------------------


@dataclass(frozen=True)
class DayInside:
    """What went in for one test day's prediction, what each layer did, what mattered."""

    day: pd.Timestamp  # the test day predicted
    prices: pd.Series  # the prices the window was made of, in dollars, on their dates
    step_dates: pd.DatetimeIndex  # the day of each step's input (a change: its later day)
    reads: str  # what each step reads: "price", "change" or "log_return"
    predicted: float  # dollars
    actual: float  # dollars
    gradient: pd.Series  # dollars of prediction per dollar of each of ``prices``
    steps: list[Steps]  # each recurrent layer and direction; values of the one window

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The days whose prices went in (one more than the steps when they are changes)."""
        return pd.DatetimeIndex(self.prices.index)

    def frames(self, steps: Steps) -> dict[str, pd.DataFrame]:
        """Each quantity of ``steps`` as units × steps (rows: unit 1, 2, …; columns: the
        steps' dates)."""
        units = pd.RangeIndex(1, steps.units + 1, name="unit")
        return {
            name: pd.DataFrame(value[0].T, index=units, columns=self.step_dates)
            for name, value in steps.values.items()
        }


def day_position(windows: Windows, day: object) -> int:
    """Where ``day`` is among the test days; ValueError if it is not one of them."""
    stamp = pd.Timestamp(day)
    position = windows.test_dates.get_indexer([stamp])[0]
    if position < 0:
        first, last = windows.test_dates[0], windows.test_dates[-1]
        raise ValueError(
            f"{stamp:%Y-%m-%d} is not a test day: pick a trading day from"
            f" {first:%Y-%m-%d} to {last:%Y-%m-%d}."
        )
    return int(position)


def look_inside(network: Network, windows: Windows, day: object) -> DayInside:
    """One test day: its window in dollars, every layer's gates and states, the gradient.

    A model that learns daily changes (``Windows.learn_from``) reads the change from each
    day to the next, so ``window`` steps come from ``window + 1`` prices, and predicts the
    next change, which is added to the last price (a log return: multiplied, as its
    exponential). The gradient follows the chain rule back to each of those prices.
    """
    position = day_position(windows, day)
    window = windows.window
    split = windows.split
    reads = windows.learn_from
    start = split.train_stop - window + position  # the day of the window's first step
    # A change needs the price of the day before: the window is made of more prices.
    prices = split.series.iloc[start + window - windows.prices_needed : start + window]
    trace = forward(network, windows.X_test[position : position + 1])
    # The inputs and the output share one scaler, so in their own units (dollars, or
    # changes) the gradient is the same number as on the scaled values.
    slope = input_gradient(network, trace)[0]
    value = float(windows.scaler.inverse_transform(trace.outputs[:1, :1])[0, 0])
    predicted, gradient = _in_dollars(value, slope, prices.to_numpy(dtype="float64"), reads)
    return DayInside(
        day=windows.test_dates[position],
        prices=prices,
        step_dates=split.series.index[start : start + window],
        reads=reads,
        predicted=predicted,
        actual=float(split.test.iloc[position]),
        gradient=pd.Series(gradient, index=prices.index, name="dollars per dollar"),
        steps=trace.steps,
    )


def _in_dollars(
    value: float, slope: np.ndarray, prices: np.ndarray, reads: str
) -> tuple[float, np.ndarray]:
    """The prediction in dollars, and its gradient with respect to each price of the window.

    ``value`` is the model's output and ``slope`` its gradient with respect to each step's
    input, both in the units the model learns (prices, changes or log returns).
    """
    if reads == "price":
        return value, slope
    # Step t reads the change from price t to price t + 1: moving price j moves the
    # change into it (step j - 1) up and the change out of it (step j) down.
    through_changes = np.zeros_like(prices)
    through_changes[1:] += slope
    through_changes[:-1] -= slope
    last = prices[-1]
    if reads == "log_return":  # next = last · exp(r), each step reads log p(t+1) − log p(t)
        growth = float(np.exp(value))
        gradient = last * growth * through_changes / prices
        gradient[-1] += growth
        return last * growth, gradient
    gradient = through_changes  # next = last + the change
    gradient[-1] += 1.0
    return last + value, gradient
