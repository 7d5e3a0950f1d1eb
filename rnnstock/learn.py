"""What the Learn page teaches, computed from the app's own settings rather than pasted.

The four input/output shapes of a recurrent network, the equations of the
SimpleRNN, LSTM and GRU cells as Keras implements them, why gradients vanish
or explode through time, how many weights each layer has (by formula, and
checked against Keras), and why a scaler fit on the training days cannot
reach prices above the training maximum.

No Streamlit here, and Keras only inside ``check_against_keras``: the Learn
page renders before TensorFlow loads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnstock.sizes import GATES, cell_parameters, parameter_count
from rnnstock.specs import CELLS, ModelSpec
from rnnstock.windows import Split

# -- the four shapes -----------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One of the four ways a recurrent network maps inputs to outputs."""

    name: str
    diagram: str  # inputs → outputs, in a few characters
    example: str
    keras: str  # how it is written in Keras
    here: str  # where, if anywhere, this app uses it


SHAPES: tuple[Shape, ...] = (
    Shape(
        "One-to-one",
        "x → y",
        "Today's price in, tomorrow's out: an ordinary network, nothing recurrent.",
        "Dense layers only.",
        "Not a recurrent model; the persistence baseline is the simplest one-to-one rule.",
    ),
    Shape(
        "One-to-many",
        "x → y₁ y₂ y₃ …",
        "One input, a sequence out: an image in, a caption out.",
        "Feed each output back in as the next input.",
        "The Forecast page does this with a trained model: each predicted day becomes"
        " the input for the next.",
    ),
    Shape(
        "Many-to-one",
        "x₁ … xₜ → y",
        "A sequence in, one value out: a window of past prices in, the next day's price out.",
        "`return_sequences=False`: only the last step's state goes on.",
        "**This app's model.** Every prediction reads one window of past days.",
    ),
    Shape(
        "Many-to-many",
        "x₁ … xₜ → y₁ … yₜ",
        "A sequence in, a sequence out: translation, or a label for every day.",
        "`return_sequences=True`: every step's state goes on.",
        "Inside a stacked model: every recurrent layer but the last hands its whole"
        " sequence to the next.",
    ),
)
APP_SHAPE = "Many-to-one"


# -- the three cells ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A recurrent cell as Keras computes it, with its parameter formula."""

    name: str
    sentence: str  # the idea in one plain sentence
    state: str  # what it carries from one day to the next
    equations: str  # LaTeX (aligned)
    formula: str  # LaTeX: parameters of one layer, m inputs per step, n units
    formula_note: str


CELL_INFO: dict[str, Cell] = {
    "SimpleRNN": Cell(
        "SimpleRNN",
        "Each day the cell mixes the new price with what it remembered yesterday and squashes"
        " the result through tanh; that result is both its output and its whole memory.",
        "one vector h (n numbers)",
        r"h_t = \tanh\left(W x_t + U h_{t-1} + b\right)",
        r"P = n\,(m + n + 1)",
        "One input kernel W (m × n), one recurrent kernel U (n × n), one bias b (n).",
    ),
    "LSTM": Cell(
        "LSTM",
        "A separate memory line, the cell state c, runs through the days; three sigmoid gates"
        " decide how much of it to forget, how much new information to write into it, and how"
        " much of it to show as the output h.",
        "two vectors: the output h and the cell state c",
        r"\begin{aligned}"
        r"i_t &= \sigma\left(W_i x_t + U_i h_{t-1} + b_i\right) && \text{input gate}\\"
        r"f_t &= \sigma\left(W_f x_t + U_f h_{t-1} + b_f\right) && \text{forget gate}\\"
        r"o_t &= \sigma\left(W_o x_t + U_o h_{t-1} + b_o\right) && \text{output gate}\\"
        r"\tilde c_t &= \tanh\left(W_c x_t + U_c h_{t-1} + b_c\right)"
        r" && \text{candidate memory}\\"
        r"c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t && \text{new memory}\\"
        r"h_t &= o_t \odot \tanh\left(c_t\right) && \text{output}"
        r"\end{aligned}",
        r"P = 4\,n\,(m + n + 1)",
        "Four copies of a SimpleRNN's weights: three gates and the candidate memory.",
    ),
    "GRU": Cell(
        "GRU",
        "No separate memory: an update gate z blends yesterday's output with a new candidate,"
        " and a reset gate r decides how much of yesterday the candidate may look at.",
        "one vector h (n numbers)",
        r"\begin{aligned}"
        r"z_t &= \sigma\left(W_z x_t + b_z + U_z h_{t-1} + b'_z\right) && \text{update gate}\\"
        r"r_t &= \sigma\left(W_r x_t + b_r + U_r h_{t-1} + b'_r\right) && \text{reset gate}\\"
        r"\tilde h_t &= \tanh\left(W_h x_t + b_h + r_t \odot \left(U_h h_{t-1} + b'_h\right)"
        r"\right) && \text{candidate}\\"
        r"h_t &= z_t \odot h_{t-1} + \left(1 - z_t\right) \odot \tilde h_t && \text{output}"
        r"\end{aligned}",
        r"P = 3\,n\,(m + n + 2)",
        "Three copies (two gates and the candidate), with two biases each: Keras' GRU"
        " defaults to reset_after=True (the cuDNN form), which adds the recurrent bias b′."
        " That is why the DataCamp GRU(125) has 48,000 weights, not 47,625.",
    ),
}
COMMON_NOTATION = (  # Markdown with inline LaTeX
    r"$x_t$: the input on day $t$ ($m$ numbers) · $h_t$: the output ($n$ units) ·"
    r" $W, U, b$: the weights that training learns · $\sigma$: sigmoid, between 0 and 1 ·"
    r" $\odot$: element by element"
)


def biases_per_gate(cell: str) -> int:
    return 2 if cell == "GRU" else 1


def cell_formula(cell: str, inputs: int, units: int) -> str:
    """The formula with the numbers put in, e.g. '4 × 50 × (1 + 50 + 1)'."""
    gates = GATES[cell]
    factor = f"{gates} × " if gates > 1 else ""
    return f"{factor}{units} × ({inputs} + {units} + {biases_per_gate(cell)})"


# -- the model layer by layer ----------------------------------------------------------


def _shape(*dims: int | None) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in dims) + ")"


def layer_rows(spec: ModelSpec, window: int) -> list[dict[str, object]]:
    """The model ``build_model`` makes, one row per Keras layer, worked out by hand.

    Each row: the layer, its Keras class, the numbers each step reads (m), its
    units (n), its output shape as Keras prints it (None is the batch), the
    parameter formula with the numbers put in, and the count.
    """
    rows: list[dict[str, object]] = []
    inputs = 1  # one price per day
    directions = 2 if spec.bidirectional else 1
    for index, units in enumerate(spec.units):
        last = index == len(spec.units) - 1
        width = directions * units
        shape = _shape(None, width) if last else _shape(None, window, width)
        formula = cell_formula(spec.cell, inputs, units)
        name = f"{spec.cell}({units})"
        if spec.bidirectional:
            name, formula = f"Bidirectional {name}", f"2 × {formula}"
        rows.append(
            {
                "layer": name,
                "type": "Bidirectional" if spec.bidirectional else spec.cell,
                "inputs per step (m)": inputs,
                "units (n)": units,
                "returns": "the last step" if last else "every step",
                "output shape": shape,
                "formula": formula,
                "parameters": directions * cell_parameters(spec.cell, inputs, units),
            }
        )
        if spec.dropout:
            rows.append(
                {
                    "layer": f"Dropout({spec.dropout:g})",
                    "type": "Dropout",
                    "inputs per step (m)": None,
                    "units (n)": None,
                    "returns": "",
                    "output shape": shape,
                    "formula": "no weights",
                    "parameters": 0,
                }
            )
        inputs = width
    for size, name in [*((s, f"Dense({s})") for s in spec.dense), (1, "Dense(1), the price")]:
        rows.append(
            {
                "layer": name,
                "type": "Dense",
                "inputs per step (m)": inputs,
                "units (n)": size,
                "returns": "",
                "output shape": _shape(None, size),
                "formula": f"{inputs} × {size} + {size}",
                "parameters": inputs * size + size,
            }
        )
        inputs = size
    return rows


def input_shape(window: int) -> str:
    """What one batch of windows looks like to the first layer."""
    return _shape(None, window, 1)


def cell_comparison(spec: ModelSpec) -> pd.DataFrame:
    """The same sizes with each cell type: parameters by formula, and relative to LSTM."""
    counts = {cell: parameter_count(spec.replace(cell=cell)) for cell in CELLS}
    return pd.DataFrame(
        {
            "model": [spec.replace(cell=cell).describe() for cell in CELLS],
            "parameters": list(counts.values()),
            "of the LSTM's": [count / counts["LSTM"] for count in counts.values()],
        },
        index=pd.Index(CELLS, name="cell"),
    )


@dataclass(frozen=True)
class KerasCheck:
    """The formula's counts beside Keras' for the chosen model and for each cell type."""

    layers: pd.DataFrame  # the chosen model, per layer: formula, Keras, match
    cells: pd.DataFrame  # each cell type at the same sizes: formula, Keras, match

    @property
    def all_match(self) -> bool:
        return bool(self.layers["match"].all() and self.cells["match"].all())


def check_against_keras(spec: ModelSpec, window: int) -> KerasCheck:
    """Build each model with Keras (imports TensorFlow) and compare its counts with the formula."""
    from rnnstock.models import build_model, summary_rows

    cells = []
    layers = pd.DataFrame()
    for cell in CELLS:
        variant = spec.replace(cell=cell)
        model = build_model(variant, window)
        formula, keras_count = parameter_count(variant), int(model.count_params())
        cells.append(
            {
                "cell": cell,
                "model": variant.describe(),
                "formula": formula,
                "Keras": keras_count,
                "match": formula == keras_count,
            }
        )
        if cell == spec.cell:
            reported = summary_rows(model)
            mine = layer_rows(spec, window)
            if len(reported) != len(mine):
                raise RuntimeError(  # the hand-made layer list no longer follows build_model
                    f"Keras built {len(reported)} layers, the formula expects {len(mine)}."
                )
            layers = pd.DataFrame(
                {
                    "layer": [row["layer"] for row in mine],
                    "Keras layer": [row["layer"] for row in reported],
                    "output shape": [row["output shape"] for row in reported],
                    "formula": [row["parameters"] for row in mine],
                    "Keras": [row["parameters"] for row in reported],
                }
            )
            layers["match"] = (layers["formula"] == layers["Keras"]) & (
                layers["output shape"] == [row["output shape"] for row in mine]
            )
    return KerasCheck(layers=layers, cells=pd.DataFrame(cells).set_index("cell"))


# -- vanishing and exploding gradients --------------------------------------------------

GRADIENT_WEIGHTS = (0.5, 0.9, 1.0, 1.1, 1.5)


def gradient_factors(steps: int, weights: tuple[float, ...] = GRADIENT_WEIGHTS) -> pd.DataFrame:
    """How much of a gradient survives k steps back through a one-unit recurrence.

    With h_t = w·h_{t-1} + (input), the gradient of h_t with respect to h_{t-k}
    is w^k: k copies of the same recurrent weight multiplied together. A tanh
    cell multiplies in tanh′ ≤ 1 as well, so |w|^k is the most that can arrive.
    Rows: k = 0 … steps; columns: one per weight.
    """
    back = np.arange(steps + 1)
    return pd.DataFrame(
        {f"w = {w:g}": np.abs(w) ** back.astype("float64") for w in weights},
        index=pd.Index(back, name="steps back"),
    )


def factors_table(factors: pd.DataFrame, steps_back: int) -> str:
    """One row of ``gradient_factors`` as a Markdown table: weight → factor ``steps_back``."""
    row = factors.iloc[steps_back]
    header = "| recurrent weight | " + " | ".join(str(c).removeprefix("w = ") for c in row.index)
    rule = "|---|" + "---:|" * len(row)
    values = "| gradient left | " + " | ".join(f"× {_factor(value)}" for value in row) + " |"
    return "\n".join((header + " |", rule, values))


def _factor(value: float) -> str:
    """277 and 0.002 as they are; 2.5e+10 and 1.7e-18 in powers of ten."""
    if 1 <= value < 1e6:
        return f"{value:,.0f}"
    return f"{value:.2g}"


def steps_to_fade(weight: float, fraction: float = 0.01) -> float:
    """Steps back after which less than ``fraction`` of the gradient arrives (inf if never)."""
    if abs(weight) >= 1:
        return math.inf
    return math.log(fraction) / math.log(abs(weight))


# -- the scaling pitfall -------------------------------------------------------------------


@dataclass(frozen=True)
class ScalingCheck:
    """Where the test period's prices fall on the scale fit to the training days."""

    train_min: float
    train_max: float
    test_max: float
    share_above: float  # of test days priced above the training maximum
    first_above: pd.Timestamp | None
    highest_scaled: float  # the test maximum on the 0…1 training scale

    def sentence(self, name: str) -> str:
        if self.share_above == 0:
            return (
                f"On {name} with this split every test price stays at or below the training"
                f" maximum ({self.train_max:,.2f}), so the model is never asked to go past it."
            )
        return (
            f"On {name} with this split, {self.share_above:.0%} of the test days are priced"
            f" above the training maximum of {self.train_max:,.2f}, the first on"
            f" {self.first_above:%Y-%m-%d}. The highest test price, {self.test_max:,.2f},"
            f" becomes {self.highest_scaled:.2f} on the scale the model learned as 0 to 1."
        )


def scaling_check(split: Split) -> ScalingCheck:
    train, test = split.train, split.test
    low, high = float(train.min()), float(train.max())
    above = test[test > high]
    return ScalingCheck(
        train_min=low,
        train_max=high,
        test_max=float(test.max()),
        share_above=float((test > high).mean()),
        first_above=above.index[0] if len(above) else None,
        highest_scaled=(float(test.max()) - low) / (high - low) if high > low else math.inf,
    )
