"""The run card: what a teacher grades, as Markdown and as HTML, outside text escaped."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import importlib.metadata
import re
import shlex
import subprocess
from types import SimpleNamespace

import pytest

from rnnstock import runcard
from rnnstock.baselines import MOVING_AVERAGE_LABEL, PERSISTENCE_LABEL
from rnnstock.cli import build_parser, spec_from_args
from rnnstock.evaluation import METRIC_LABELS
from rnnstock.experiment import run_experiment
from rnnstock.runcard import (
    card_html,
    card_markdown,
    command_line,
    fingerprint,
    prices_csv,
    setting_sections,
)
from rnnstock.settings import SETTINGS
from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec
from rnnstock.training import TrainingHistory
from rnnstock.windows import split_series
from tests.conftest import make_prices

TINY = ExperimentSpec(
    data=DataSpec("sample", "msft"),
    split=SplitSpec(target="Close", window=8, train_fraction=0.75),
    model=ModelSpec(cell="GRU", units=(3,)),
    train=TrainSpec(optimizer="adam", epochs=2, batch_size=64, seed=11),
)
HOSTILE = "<script>alert(1)</script> **bold** | [link](http://example.com) `code`"


@pytest.fixture(scope="module")
def result():
    return run_experiment(TINY, prices=make_prices(150))


def rows(markdown: str) -> dict[str, str]:
    """Two-column table rows of a Markdown card: label -> value."""
    found = {}
    for line in markdown.splitlines():
        cells = re.split(r"(?<!\\)\|", line)
        if line.startswith("| ") and len(cells) == 4:
            found[cells[1].strip()] = cells[2].strip()
    return found


def test_the_markdown_card_says_what_a_teacher_grades(result):
    card = card_markdown(result)
    facts = rows(card)
    assert card.startswith(f"# Run card: {TINY.model.describe()} on ")
    # The scores beside both baselines, under the names the app uses.
    scores = result.scores
    for label, metrics in (
        ("Model (GRU)", scores.model),
        (PERSISTENCE_LABEL, scores.persistence),
        (MOVING_AVERAGE_LABEL, scores.moving_average),
    ):
        line = next(line for line in card.splitlines() if line.startswith(f"| {label} |"))
        assert f"| {metrics.rmse:,.2f} |" in line and f"| {metrics.mae:,.2f} |" in line
    assert "| " + " | ".join(METRIC_LABELS.values()) + " |" in card
    assert scores.verdict() in card
    # The data and its fingerprint.
    split = result.windows.split
    days = split.series.index
    assert facts["Days used"] == f"{len(days)}, {days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}"
    assert facts["Test days"].startswith(f"{len(result.predictions)}, ")
    assert facts["Fingerprint (sha256)"] == hashlib.sha256(prices_csv(result)).hexdigest()
    # Every setting that applies to a split by share, under the app's labels.
    for name in ("target", "window", "split_mode", "train_fraction", "cell", "units", "dense"):
        assert SETTINGS[name].label in facts, name
    for name in ("optimizer", "learning_rate", "epochs", "batch_size", "seed", "early_stopping"):
        assert SETTINGS[name].label in facts, name
    assert SETTINGS["train_end"].label not in facts  # a split by share has no dates
    assert facts["Share of days used for training"] == "75%"
    assert facts["Seed"] == "11" and facts["Learning rate"] == "Keras' default (0.001)"
    assert [title for title in re.findall(r"^### (.+)$", card, re.MULTILINE)] == [
        "Data: split and window",
        "Model",
        "Training",
    ]
    # Training facts and the software.
    assert facts["Epochs run"] == "2 of 2" and facts["Early stopping"] == "off"
    assert facts["Parameters"] == f"{result.parameters:,}"
    assert re.fullmatch(r"\d+\.\d s \(\d+\.\d\d s per epoch\)", facts["Training time"])
    assert facts["Keras"] == importlib.metadata.version("keras")
    assert facts["scikit-learn"] == importlib.metadata.version("scikit-learn")
    assert facts["TensorFlow"][0].isdigit() and facts["Python"][0] == "3"
    assert facts["rnnstock"].startswith("0.")
    assert command_line(TINY) in card


def test_the_html_card_holds_the_chart_and_plotly_and_draws_offline(result):
    page = card_html(result)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Plotly.newPlot" in page and "Predicted (GRU)" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert fingerprint(result) in page
    assert f"<th>{html.escape(PERSISTENCE_LABEL)}</th>" in page
    assert 4_500_000 < len(page.encode()) < 6_000_000


def test_outside_text_is_escaped_in_both_cards(result):
    hostile = dataclasses.replace(
        result,
        spec=TINY.replace(data=DataSpec("csv", f"prices {HOSTILE}.csv")),
        data_source=f"CSV file {HOSTILE}",
        data_notice=f"Careful: {HOSTILE}\n# not a heading",
    )
    markdown = card_markdown(hostile)
    assert "<script>" not in markdown.split("```")[0]  # the command line quotes it as typed
    assert r"\<script\>alert(1)\</script\> \*\*bold\*\* \| \[link\]" in markdown
    facts = rows(markdown)  # the pipe did not split a row
    assert facts["Source"].startswith(r"CSV file \<script\>")
    assert "\n# not a heading" not in markdown
    page = card_html(hostile)
    assert "<script>alert(1)" not in page and "`code`" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** | [link]" in page
    assert "<title>Run card: GRU(3) + Dense(1) on CSV file &lt;script&gt;" in page


def test_a_card_needs_no_git(result, monkeypatch):
    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    runcard.git_commit.cache_clear()
    monkeypatch.setattr(runcard.subprocess, "run", no_git)
    try:
        assert runcard.git_commit() is None
        assert rows(card_markdown(result))["rnnstock"] == runcard.rnnstock.__version__

        def not_a_repository(command, **kwargs):
            raise subprocess.CalledProcessError(128, command, stderr="not a git repository")

        runcard.git_commit.cache_clear()
        monkeypatch.setattr(runcard.subprocess, "run", not_a_repository)
        assert runcard.git_commit() is None
    finally:
        runcard.git_commit.cache_clear()


def test_early_stopping_is_told_with_the_epoch_kept(result):
    spec = TINY.replace(train=TINY.train.replace(epochs=50, validation_fraction=0.2, patience=3))
    history = TrainingHistory(
        loss=[0.1] * 9,
        val_loss=[0.2] * 9,
        epoch_seconds=[0.5] * 9,
        stopped_early=True,
        best_epoch=6,
    )
    facts = rows(card_markdown(dataclasses.replace(result, spec=spec, history=history)))
    assert facts["Epochs run"] == "9 of 50"
    assert facts["Early stopping"] == "stopped after epoch 9; the weights of epoch 6 are kept"
    assert facts["Patience in epochs (early stopping)"] == "3"
    assert facts["Held out for validation (early stopping)"] == "20%"
    assert facts["Training time"] == "4.5 s (0.50 s per epoch)"


def test_the_fingerprint_is_of_the_prices_used():
    spec = SplitSpec(target="Close", window=8, train_start="2015-03-02", train_end="2015-08-31")
    prices = make_prices(200)

    def card_of(frame):
        return SimpleNamespace(windows=SimpleNamespace(split=split_series(frame, spec)))

    first = card_of(prices)
    lines = prices_csv(first).decode().splitlines()
    assert lines[0] == "Date,Close" and lines[1].startswith("2015-03-02,")
    assert len(lines) - 1 == 200 - prices.index.get_loc("2015-03-02")
    assert float(lines[1].split(",")[1]) == prices.loc["2015-03-02", "Close"]  # exactly
    assert fingerprint(first) == fingerprint(card_of(prices.copy()))
    earlier = prices.copy()
    earlier.loc["2015-01-05", "Close"] += 1  # before the training start: not used
    assert fingerprint(card_of(earlier)) == fingerprint(first)
    changed = prices.copy()
    changed.loc["2015-06-01", "Close"] += 0.01
    assert fingerprint(card_of(changed)) != fingerprint(first)


@pytest.mark.parametrize(
    "spec",
    [
        ExperimentSpec(),
        TINY,
        ExperimentSpec(
            data=DataSpec("csv", "my prices (2021).csv", start="2016-01-01"),
            split=SplitSpec(
                target="High",
                window=60,
                train_start="2016-01-01",
                train_end="2020-12-31",
                test_end="2021-06-30",
                train_fraction=None,
            ),
            model=ModelSpec(
                cell="LSTM", units=(32, 16), dense=(8,), dropout=0.2, bidirectional=True
            ),
            train=TrainSpec(
                optimizer="rmsprop",
                learning_rate=0.0005,
                epochs=30,
                batch_size=16,
                seed=455,
                validation_fraction=0.1,
                patience=5,
            ),
        ),
        ExperimentSpec(
            data=DataSpec("ticker", "AAPL", start="2015-01-01", end="2022-12-31"),
            split=SplitSpec(train_fraction=0.8, test_end="2022-06-30"),
            model=ModelSpec(cell="SimpleRNN", units=(20, 20, 20), activation="relu"),
        ),
    ],
    ids=["defaults", "tiny", "dates-and-everything", "ticker-with-test-end"],
)
def test_the_cards_command_line_runs_the_same_experiment(spec):
    words = shlex.split(command_line(spec))
    assert words[:4] == ["python", "-m", "rnnstock", "run"]
    assert spec_from_args(build_parser().parse_args(words[3:])) == spec


def test_settings_by_date_show_the_dates_and_no_share():
    spec = ExperimentSpec(split=SplitSpec(train_end="2012", train_fraction=None))
    data, model, training = setting_sections(spec)
    labels = [label for label, _ in data.rows]
    assert SETTINGS["train_end"].label in labels and SETTINGS["train_start"].label in labels
    assert SETTINGS["train_fraction"].label not in labels
    assert dict(data.rows)[SETTINGS["train_start"].label] == "the first day"
    assert dict(data.rows)[SETTINGS["train_end"].label] == "2012-12-31"
    assert dict(model.rows)[SETTINGS["dense"].label] == "none"
    assert SETTINGS["patience"].label not in dict(training.rows)
