"""A finished run as files: predictions (CSV), the model with its scaling (a .zip), the
chart (HTML, offline) and the run card (Markdown and HTML).

The model outputs scaled values (0 to 1 over the training days' prices), so it travels
in one archive with its scaler as JSON and a short ``load.py`` whose
``predict_dollars(last_window_prices)`` returns prices. Charts carry plotly.js inside
(about 4.8 MB of the file): they draw at home, without a network.

Kept out of ``experiment.py`` so that running an experiment never imports Plotly;
the command line writes these files, the web app offers the same as downloads.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnnstock.runcard import PRICES_FILE, card_html, card_markdown, prices_csv
from rnnstock.settings import LEARN_FROM_NAMES
from rnnstock.windows import first_change

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from rnnstock.experiment import ExperimentResult

MODEL_FILE = "model.keras"
SCALER_FILE = "scaler.json"
LOADER_FILE = "load.py"
README_FILE = "README.txt"
PREDICTIONS_FILE = "predictions.csv"

# The archive's loading snippet: numpy and Keras only, so it runs anywhere Keras does.
LOAD_PY = '''\
"""Predict with this rnnstock model in dollars (it outputs scaled 0-1 values).

    from load import predict_dollars
    predict_dollars(last_prices)  # the last NEEDED prices, oldest first

Needs numpy and Keras 3 with TensorFlow (pip install tensorflow).
`python load.py` predicts the test days again from prices.csv beside predictions.csv.
"""

import csv
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SCALER = json.loads((HERE / "scaler.json").read_text())
WINDOW = SCALER["window"]
# "price": the model reads prices and predicts the next price. "change" or "log_return":
# it reads each day's change from the day before and predicts the next day's change,
# which is added to the last price; a window of changes needs one price more.
LEARN_FROM = SCALER.get("learn_from", "price")
NEEDED = WINDOW + (LEARN_FROM != "price")
# As scikit-learn's MinMaxScaler, fit on the training days: scaled = value * SCALE + MIN.
LOW, HIGH = SCALER["feature_range"]
SCALE = (HIGH - LOW) / ((SCALER["data_max"] - SCALER["data_min"]) or 1.0)  # flat: 1
MIN = LOW - SCALER["data_min"] * SCALE
_model = []


def predict_dollars(last_prices):
    """The next day's price from the NEEDED prices before it: a float for one window,
    an array for several (one window a row)."""
    prices = np.asarray(last_prices, dtype="float64")
    rows = prices.reshape(-1, prices.shape[-1])
    if rows.shape[1] != NEEDED:
        raise ValueError(f"give the last {NEEDED} prices, not {rows.shape[1]}")
    if not _model:
        import keras

        _model.append(keras.saving.load_model(HERE / "model.keras", compile=False))
    if LEARN_FROM == "log_return":
        values = np.diff(np.log(rows), axis=1)
    elif LEARN_FROM == "change":
        values = np.diff(rows, axis=1)
    else:
        values = rows
    scaled_in = (values * SCALE + MIN).astype("float32")[..., np.newaxis]
    scaled_out = _model[0].predict(scaled_in, batch_size=1024, verbose=0)[:, 0]
    value = (scaled_out.astype("float64") - MIN) / SCALE
    if LEARN_FROM == "log_return":
        value = rows[:, -1] * np.exp(value)
    elif LEARN_FROM == "change":
        value = rows[:, -1] + value
    return float(value[0]) if prices.ndim == 1 else value


def read_prices(name="prices.csv"):
    with open(HERE / name, newline="") as file:
        rows = list(csv.DictReader(file))
    return [row["Date"] for row in rows], rows


if __name__ == "__main__":
    dates, rows = read_prices()
    prices = np.array([float(row[SCALER["target"]]) for row in rows])
    test_dates, saved = read_prices("predictions.csv")
    where = {day: i for i, day in enumerate(dates)}
    windows = np.stack([prices[where[day] - NEEDED : where[day]] for day in test_dates])
    predicted = predict_dollars(windows)
    expected = np.array([float(row["predicted"]) for row in saved])
    print(f"{len(test_dates)} test days; largest difference from predictions.csv:"
          f" {np.abs(predicted - expected).max():.2e}")
'''

README = """\
{title}

An rnnstock model of {target} prices, with what it needs to predict in dollars.

  model.keras      the Keras 3 model: {window} scaled {values} in, the next day's out
  scaler.json      the scaling, a MinMaxScaler fit on the {fit_days:,} training days
                   ({first} to {last}): feature_range, data_min, data_max, target,
                   window, learn_from
  load.py          predict_dollars(last_prices) returns dollars (below)
  prices.csv       the {used_days:,} days the run used (its sha256 is the run card's fingerprint)
  predictions.csv  the test days: actual, predicted, and both naive baselines

Check it: `python load.py` predicts every test day again and compares with predictions.csv.
Use it:   `from load import predict_dollars`, then predict_dollars(the last {needed} prices).

load.py:

{load_py}"""


def run_stem(result: ExperimentResult) -> str:
    """The run's file names: ``rnnstock-<cell>-<first 8 of the key>``."""
    return f"rnnstock-{result.spec.model.cell.lower()}-{result.spec.key()[:8]}"


def scaler_json(result: ExperimentResult) -> dict[str, Any]:
    """The fitted scaler, the target column and the window: what turns prices into the
    model's inputs and its outputs back into prices."""
    windows = result.windows
    scaler = windows.scaler
    # Learning changes, the scaler saw one value a day from the second training day.
    train = windows.split.train.iloc[first_change(windows.learn_from) :]
    return {
        "kind": "MinMaxScaler",
        "feature_range": [float(bound) for bound in scaler.feature_range],
        "data_min": float(scaler.data_min_[0]),
        "data_max": float(scaler.data_max_[0]),
        "target": windows.target,
        "window": int(windows.window),
        "learn_from": windows.learn_from,
        "fit_on": {
            "first": f"{train.index[0]:%Y-%m-%d}",
            "last": f"{train.index[-1]:%Y-%m-%d}",
            "days": len(train),
        },
        "formula": "scaled = (value - data_min) / (data_max - data_min)"
        " * (feature_range[1] - feature_range[0]) + feature_range[0], where value is the"
        " price, or (learn_from change) the price minus the day before's, or (log_return)"
        " the log of their ratio",
    }


def predictions_csv(result: ExperimentResult) -> bytes:
    """The test days' predictions at full precision, as the page offers them."""
    return result.predictions.to_csv(index_label="Date").encode()


def model_archive(result: ExperimentResult) -> bytes:
    """One .zip: a folder named after the run holding the model, its scaler, load.py, a
    README quoting it, the prices used and the predictions."""
    scaler = scaler_json(result)
    fit_on = scaler["fit_on"]
    used = prices_csv(result)
    readme = README.format(
        title=f"{run_stem(result)}: {result.spec.model.describe()}",
        target=scaler["target"],
        window=scaler["window"],
        values=LEARN_FROM_NAMES[scaler["learn_from"]].lower(),
        needed=result.windows.prices_needed,
        fit_days=fit_on["days"],
        first=fit_on["first"],
        last=fit_on["last"],
        used_days=used.count(b"\n") - 1,
        load_py=LOAD_PY,
    )
    folder = run_stem(result)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in (
            (MODEL_FILE, result.model_bytes()),
            (SCALER_FILE, json.dumps(scaler, indent=2) + "\n"),
            (LOADER_FILE, LOAD_PY),
            (README_FILE, readme),
            (PRICES_FILE, used),
            (PREDICTIONS_FILE, predictions_csv(result)),
        ):
            archive.writestr(f"{folder}/{name}", content)
    return buffer.getvalue()


def chart_html(figure: go.Figure) -> str:
    """The chart as one HTML file with plotly.js inside (4.8 MB): it draws offline."""
    return figure.to_html(include_plotlyjs=True, full_html=True)


def save_run(result: ExperimentResult, folder: str | Path) -> dict[str, Path]:
    """Write into ``folder``: the predictions CSV, the chart (HTML), the run card (Markdown
    and HTML) and, while the model is here, the model (.keras) and its archive (.zip)."""
    from rnnstock.charts import prediction_figure

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "predictions": folder / PREDICTIONS_FILE,
        "chart": folder / "chart.html",
        "card": folder / "card.md",
        "card_html": folder / "card.html",
    }
    result.predictions.to_csv(paths["predictions"], index_label="Date", float_format="%.4f")
    figure = prediction_figure(result)
    paths["chart"].write_text(chart_html(figure), encoding="utf-8")
    paths["card"].write_text(card_markdown(result), encoding="utf-8")
    paths["card_html"].write_text(card_html(result, figure), encoding="utf-8")
    if result.has_model:
        paths["model"] = folder / MODEL_FILE
        paths["model"].write_bytes(result.model_bytes())
        paths["archive"] = folder / "model.zip"
        paths["archive"].write_bytes(model_archive(result))
    return paths
