"""A run's files: the model archive that predicts in dollars in a fresh Python, the
offline chart, and the folder the command line writes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from rnnstock.experiment import run_experiment
from rnnstock.runcard import fingerprint
from rnnstock.runfiles import (
    LOAD_PY,
    chart_html,
    model_archive,
    predictions_csv,
    run_stem,
    save_run,
    scaler_json,
)
from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from tests.conftest import make_prices

TINY = ExperimentSpec(
    data=DataSpec("csv", "in-memory.csv"),
    split=SplitSpec(target="High", window=8, train_fraction=0.8),
    model=ModelSpec(cell="LSTM", units=(4,)),
    train=TrainSpec(optimizer="adam", epochs=1, batch_size=64, seed=3),
)
LOADS_A_SCRIPT = re.compile(r"<script[^>]*\bsrc=", re.IGNORECASE)
ARCHIVE_FILES = {
    "model.keras",
    "scaler.json",
    "load.py",
    "README.txt",
    "prices.csv",
    "predictions.csv",
}


@pytest.fixture(scope="module")
def result():
    return run_experiment(TINY, prices=make_prices(200))


@pytest.fixture(scope="module")
def log_return_result():
    """A model that learns daily log returns: its download adds them to the last price."""
    spec = TINY.replace(split=TINY.split.replace(learn_from="log_return"))
    return run_experiment(spec, prices=make_prices(200))


def keras_members(content: bytes) -> dict[str, object]:
    """A .keras file's config and weights (its save time and the HDF5 file's own
    timestamps left out)."""
    import h5py

    with zipfile.ZipFile(io.BytesIO(content)) as opened:
        members = {n: opened.read(n) for n in opened.namelist() if n != "metadata.json"}
    weights = {}
    with h5py.File(io.BytesIO(members.pop("model.weights.h5")), "r") as file:
        file.visititems(
            lambda name, item: (
                weights.__setitem__(name, item[()].tobytes())
                if isinstance(item, h5py.Dataset)
                else None
            )
        )
    return {**members, "weights": weights}


def unpack(archive: bytes, folder) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        opened.extractall(folder)
        return {name: opened.read(name) for name in opened.namelist()}


def test_the_archive_holds_the_model_its_scaler_and_a_loader(result, tmp_path):
    files = unpack(model_archive(result), tmp_path)
    stem = run_stem(result)
    assert stem == f"rnnstock-lstm-{TINY.key()[:8]}"
    assert set(files) == {f"{stem}/{name}" for name in ARCHIVE_FILES}
    scaler = json.loads(files[f"{stem}/scaler.json"])
    train = result.windows.split.train
    assert scaler["feature_range"] == [0.0, 1.0]
    assert scaler["data_min"] == train.min() and scaler["data_max"] == train.max()
    assert (scaler["target"], scaler["window"]) == ("High", 8)
    assert scaler["fit_on"]["days"] == len(train)
    # The same model: every file of the .keras archive but its save time (metadata.json).
    saved = keras_members(result.model_bytes())
    assert saved["weights"] and keras_members(files[f"{stem}/model.keras"]) == saved
    assert files[f"{stem}/load.py"].decode() == LOAD_PY
    readme = files[f"{stem}/README.txt"].decode()
    assert LOAD_PY in readme and "predict_dollars" in readme
    # The prices file is what the run card's fingerprint hashes.
    import hashlib

    assert hashlib.sha256(files[f"{stem}/prices.csv"]).hexdigest() == fingerprint(result)
    assert files[f"{stem}/predictions.csv"] == predictions_csv(result)


@pytest.mark.parametrize("learned", ["result", "log_return_result"])
def test_a_fresh_python_predicts_the_pages_dollars_from_the_archive_alone(
    learned, request, tmp_path
):
    """Only the archive's files in a folder, the venv's python, nothing of rnnstock."""
    result = request.getfixturevalue(learned)
    unpack(model_archive(result), tmp_path)
    folder = tmp_path / run_stem(result)
    script = """
import csv, json, runpy, sys
import numpy as np
from load import NEEDED, predict_dollars

with open("prices.csv", newline="") as file:
    rows = list(csv.reader(file))[1:]
where = {day: i for i, (day, _) in enumerate(rows)}
prices = np.array([float(price) for _, price in rows])
with open("predictions.csv", newline="") as file:
    test_days = [row["Date"] for row in csv.DictReader(file)]
windows = [prices[where[day] - NEEDED : where[day]] for day in test_days]
one_by_one = [predict_dollars(list(window)) for window in windows[:3]]
assert all(isinstance(value, float) for value in one_by_one)
all_at_once = predict_dollars(np.stack(windows))
runpy.run_path("load.py", run_name="__main__")  # its own check prints a line
assert not [name for name in sys.modules if name.startswith("rnnstock")]
print(json.dumps({"one_by_one": one_by_one, "all": all_at_once.tolist()}))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout.strip().splitlines()
    assert printed[-2].startswith(f"{len(result.predictions)} test days; largest difference")
    reproduced = json.loads(printed[-1])
    expected = result.predictions["predicted"].to_numpy()
    np.testing.assert_allclose(reproduced["all"], expected, rtol=1e-5)
    np.testing.assert_allclose(reproduced["one_by_one"], expected[:3], rtol=1e-5)
    # Dollars, not the model's 0-1 outputs.
    assert np.mean(reproduced["all"]) == pytest.approx(result.predictions["actual"].mean(), rel=0.5)


def test_the_chart_carries_plotly_and_loads_nothing_from_the_network(result):
    from rnnstock.charts import prediction_figure

    page = chart_html(prediction_figure(result))
    assert not LOADS_A_SCRIPT.search(page)  # plotly.js inside, not from a CDN
    assert "Plotly.newPlot" in page and "Predicted (LSTM)" in page
    assert 4_500_000 < len(page.encode()) < 6_000_000  # plotly.js itself is 4.8 MB


def test_save_run_writes_every_file_the_page_offers(result, tmp_path):
    paths = save_run(result, tmp_path / "run")
    assert {path.name for path in paths.values()} == {
        "predictions.csv",
        "chart.html",
        "card.md",
        "card.html",
        "model.keras",
        "model.zip",
    }
    assert set(os.listdir(tmp_path / "run")) == {path.name for path in paths.values()}
    saved = pd.read_csv(paths["predictions"], index_col="Date", parse_dates=True)
    assert saved.index.equals(result.predictions.index)
    assert paths["archive"].read_bytes()[:2] == b"PK"
    assert zipfile.ZipFile(paths["archive"]).namelist()[0].startswith(run_stem(result) + "/")
    assert not LOADS_A_SCRIPT.search(paths["chart"].read_text())
    assert fingerprint(result) in paths["card"].read_text()
    assert "Plotly.newPlot" in paths["card_html"].read_text()


def test_a_released_model_leaves_the_other_files(result, tmp_path):
    import dataclasses

    released = dataclasses.replace(result, model=None)  # as release_model() leaves a run
    paths = save_run(released, tmp_path / "run")
    assert "model" not in paths and "archive" not in paths
    assert paths["card"].exists() and paths["predictions"].exists()
    assert scaler_json(released)["window"] == 8


def test_the_server_makes_every_download_without_tensorflow(result, tmp_path):
    """The web server receives results from its workers and never imports TensorFlow:
    the archive, the chart and both cards are made from what a result carries."""
    import pickle

    from tests.conftest import assert_not_imported

    path = tmp_path / "result.pickle"
    path.write_bytes(pickle.dumps(result))
    assert_not_imported(
        f"import pickle; result = pickle.loads(open({str(path)!r}, 'rb').read());"
        "from rnnstock.charts import prediction_figure;"
        "from rnnstock.runcard import card_html, card_markdown;"
        "from rnnstock.runfiles import chart_html, model_archive;"
        "figure = prediction_figure(result);"
        "sizes = [len(model_archive(result)), len(chart_html(figure)),"
        " len(card_html(result, figure)), len(card_markdown(result))];"
        "assert all(sizes), sizes"
    )
