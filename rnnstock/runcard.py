"""A run card: one page on one run that a teacher can grade, as Markdown or as HTML.

It says which prices were used, with a fingerprint (a sha256 of those days' prices),
every setting grouped as the Train page shows them, the seed, the library versions,
the scores beside both naive baselines and the training facts, and how to run the
same experiment again from a terminal. The HTML card also holds the chart, with
plotly.js inside it, so it opens without a network.

Text that comes from outside (a file name, a ticker, a data notice) is escaped:
as Markdown with ``rnnstock.text.literal``, as HTML
with ``html.escape``. Library versions are read from the installed packages' metadata,
so writing a card never imports TensorFlow (the web server never does).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import html
import importlib.metadata
import math
import platform
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

import rnnstock
from rnnstock.baselines import (
    MOVING_AVERAGE_DESCRIPTION,
    MOVING_AVERAGE_LABEL,
    PERSISTENCE_DESCRIPTION,
    PERSISTENCE_LABEL,
    PERSISTENCE_SHORT,
)
from rnnstock.evaluation import DIRECTION_NOTE
from rnnstock.settings import (
    KERAS_LEARNING_RATES,
    LEARN_FROM_NAMES,
    OPTIMIZER_NAMES,
    SETTINGS,
    SPLIT_MODE_NAMES,
    SPLIT_SETTINGS,
)
from rnnstock.text import literal

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from rnnstock.experiment import ExperimentResult
    from rnnstock.specs import ExperimentSpec

PRICES_FILE = "prices.csv"  # the days used, as the fingerprint hashes them (in the model archive)
NOTICE_CHARS = 600  # of a data notice quoted on a card

# The settings as the Train page groups them (its headings), each with the spec part
# that holds them. Early stopping's switch is shown from ``patience``.
SETTING_GROUPS = (
    ("Data: split and window", "split", SPLIT_SETTINGS),
    ("Model", "model", ("cell", "units", "dense", "dropout", "bidirectional", "activation")),
    (
        "Training",
        "train",
        (
            "optimizer",
            "learning_rate",
            "epochs",
            "batch_size",
            "seed",
            "early_stopping",
            "validation_fraction",
            "patience",
        ),
    ),
)

PART_OF = {name: part for _, part, names in SETTING_GROUPS for name in names}

# Distribution names, in the order a card lists them (TensorFlow ships under several names).
LIBRARIES = (
    ("TensorFlow", ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos")),
    ("Keras", ("keras",)),
    ("NumPy", ("numpy",)),
    ("pandas", ("pandas",)),
    ("scikit-learn", ("scikit-learn",)),
    ("Plotly", ("plotly",)),
)


# -- the data and its fingerprint -------------------------------------------------------------


def used_prices(result: ExperimentResult) -> pd.Series:
    """The target column on the days the run used: from the first training day to the last
    test day (the test windows' context lies inside the training days)."""
    split = result.windows.split
    return split.series.iloc[split.train_start : split.test_stop]


def prices_csv(result: ExperimentResult) -> bytes:
    """The days used as ``Date,<target>`` lines, each price written exactly (Python's
    shortest round-trip form): the bytes the fingerprint hashes."""
    prices = used_prices(result)
    lines = [f"Date,{prices.name}"]
    lines += [
        f"{day:%Y-%m-%d},{float(value)!r}"
        for day, value in zip(prices.index, prices.to_numpy(), strict=True)
    ]
    return ("\n".join(lines) + "\n").encode()


def fingerprint(result: ExperimentResult) -> str:
    """sha256 of ``prices_csv``: ``sha256sum prices.csv`` on the model archive's copy."""
    return hashlib.sha256(prices_csv(result)).hexdigest()


# -- the software ------------------------------------------------------------------------------


def _installed(names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "not installed"


@functools.cache
def git_commit() -> str | None:
    """rnnstock's git commit (with "+ local changes" when files differ from it), or None
    where there is no git or no repository: a card never fails for want of git."""
    folder = Path(rnnstock.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    return commit + (" + local changes" if changed else "")


def library_versions() -> dict[str, str]:
    """Python, the libraries a run depends on, and rnnstock (with its git commit if known)."""
    versions = {"Python": platform.python_version()}
    versions.update({label: _installed(names) for label, names in LIBRARIES})
    commit = git_commit()
    versions["rnnstock"] = rnnstock.__version__ + (f", git commit {commit}" if commit else "")
    return versions


# -- what a card says ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A piece of a card's text; ``outside`` text (a file name, a ticker) is escaped."""

    text: str
    outside: bool = False


Cell = str | Text


@dataclass(frozen=True)
class Section:
    title: str
    level: int = 2
    paragraphs: tuple[Cell, ...] = ()
    rows: tuple[tuple[Cell, Cell], ...] = ()  # label, value
    table: pd.DataFrame | None = None  # numbers, with their row and column labels
    code: str | None = None  # a command line, shown as typed
    chart: bool = False  # where the HTML card puts its chart


def _number(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}" if value is not None and math.isfinite(value) else "–"


def _days(index: pd.DatetimeIndex) -> str:
    if len(index) == 0:
        return "none"
    return f"{len(index):,}, {index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d}"


def setting_value(spec: ExperimentSpec, name: str) -> str:
    """A setting's value as the card shows it."""
    train = spec.train
    if name == "split_mode":
        return SPLIT_MODE_NAMES[spec.split.mode]
    if name == "early_stopping":
        return "on" if train.patience else "off"
    if name == "learning_rate" and train.learning_rate is None:
        return f"Keras' default ({KERAS_LEARNING_RATES[train.optimizer]:g})"
    value = getattr(getattr(spec, PART_OF[name]), name)
    if name == "optimizer":
        return OPTIMIZER_NAMES[value]
    if name == "learn_from":
        return LEARN_FROM_NAMES[value]
    if name == "train_start" and value is None:
        return "the first day"
    if name in ("train_fraction", "validation_fraction"):
        return f"{value:.0%}"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ", ".join(str(size) for size in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _shown_settings(spec: ExperimentSpec, names: tuple[str, ...]) -> list[str]:
    """The settings that apply: a split by share has no dates, one by date no share; the
    validation share and patience belong to early stopping."""
    skipped = {"train_start", "train_end"} if spec.split.mode == "fraction" else {"train_fraction"}
    if not spec.train.patience:
        skipped |= (
            {"patience"} if spec.train.validation_fraction else {"validation_fraction", "patience"}
        )
    return [name for name in names if name not in skipped]


def setting_sections(spec: ExperimentSpec) -> list[Section]:
    sections = []
    for title, _, names in SETTING_GROUPS:
        rows = [
            (SETTINGS[name].label, setting_value(spec, name))
            for name in _shown_settings(spec, names)
        ]
        if title.startswith("Data") and spec.split.test_end:
            rows.append((SETTINGS["test_end"].label, spec.split.test_end))
        sections.append(Section(title, level=3, rows=tuple(rows)))
    return sections


def command_line(spec: ExperimentSpec) -> str:
    """``python -m rnnstock run ...`` with every setting of ``spec`` as a flag."""
    data = spec.data
    words = ["python", "-m", "rnnstock", "run", f"--{data.source}", data.name]
    for name in ("start", "end"):
        if getattr(data, name):
            words += [f"--{name}", getattr(data, name)]
    for _, part_name, names in SETTING_GROUPS:
        part = getattr(spec, part_name)
        for name in names:
            if name in ("split_mode", "early_stopping"):
                continue  # the flags below say them
            value = getattr(part, name)
            flag = "--" + name.replace("_", "-")
            if value is None:
                continue  # the spec's default: the first day, Keras' rate, no early stop
            if name == "train_fraction" and spec.split.test_end and value == SETTINGS[name].default:
                continue  # given, --train-fraction would clear --test-end (the default share stays)
            if isinstance(value, bool):
                words.append(flag if value else f"--no-{flag[2:]}")
            elif isinstance(value, tuple):
                words += [flag, ",".join(str(size) for size in value)]
            elif isinstance(value, float):
                words += [flag, repr(value)]
            else:
                words += [flag, str(value)]
    if spec.split.test_end:
        words += ["--test-end", spec.split.test_end]
    return shlex.join(words)


def card_sections(result: ExperimentResult) -> list[Section]:
    """Everything a card says, in order; the Markdown and HTML cards render these."""
    spec, scores, windows, history = result.spec, result.scores, result.windows, result.history
    split = windows.split
    used = used_prices(result)

    table = scores.table()
    table.index = [f"Model ({spec.model.cell})", *table.index[1:]]
    score_section = Section(
        f"Scores on the {len(windows.test_dates):,} test days",
        table=table,
        paragraphs=(
            f"Skill against {PERSISTENCE_SHORT}: {scores.skill:.1%}"
            " (1 − model RMSE / persistence RMSE; above 0 the model beat it).",
            f"{PERSISTENCE_LABEL}: {PERSISTENCE_DESCRIPTION}",
            f"{MOVING_AVERAGE_LABEL}: {MOVING_AVERAGE_DESCRIPTION}",
            DIRECTION_NOTE,
        ),
    )

    data_rows: list[tuple[Cell, Cell]] = [
        ("Source", Text(result.data_source or spec.data.describe(), outside=True)),
        ("Asked for", Text(spec.data.describe(), outside=True)),
        ("Predicted column", Text(str(used.name), outside=True)),
        ("Days used", _days(used.index)),
        ("Training days", _days(split.train.index)),
        (
            "Validation windows",
            f"{len(windows.X_val):,} (the end of the training days)"
            if len(windows.X_val)
            else "none",
        ),
        ("Test days", _days(split.test.index)),
        ("Fingerprint (sha256)", fingerprint(result)),
    ]
    if result.data_notice:
        data_rows.append(("Note", Text(result.data_notice, outside=True)))
    data_section = Section(
        "Data",
        rows=tuple(data_rows),
        paragraphs=(
            f"The fingerprint is the sha256 of the days used, one line date,price each"
            f" after a Date,{used.name} header: the file {PRICES_FILE} in the model archive"
            f" (sha256sum {PRICES_FILE} prints it). The same prices give the same fingerprint.",
        ),
    )

    epochs = history.epochs_run
    if not spec.train.patience:
        early = "off"
    elif history.stopped_early:
        early = f"stopped after epoch {epochs}; the weights of epoch {history.best_epoch} are kept"
    elif history.best_epoch is not None:
        early = (
            f"on, did not stop: all {epochs} epochs ran; the weights of epoch"
            f" {history.best_epoch} (lowest validation loss) are kept"
        )
    else:
        early = f"on, did not stop: all {epochs} epochs ran"
    training_rows = [
        ("Epochs run", f"{epochs} of {spec.train.epochs}"),
        ("Early stopping", early),
        ("Training time", f"{history.seconds:.1f} s ({history.seconds_per_epoch:.2f} s per epoch)"),
    ]
    if "total" in result.timings:
        training_rows.append(
            ("Whole run", f"{result.timings['total']:.1f} s (data, build, fit, predict)")
        )
    if history.loss:
        loss = f"training {history.loss[-1]:.3g}"
        if history.val_loss:
            loss += f", validation {history.val_loss[-1]:.3g}"
        training_rows.append(("Last epoch's loss (MSE, scaled prices)", loss))
    training_rows.append(("Parameters", f"{result.parameters:,}"))

    return [
        Section(
            "Verdict",
            paragraphs=(scores.verdict(),),
            chart=True,
        ),
        score_section,
        data_section,
        Section(
            "Settings",
            paragraphs=(f"Seed {spec.train.seed}. Experiment key {spec.key()}.",),
        ),
        *setting_sections(spec),
        Section("Training", rows=tuple(training_rows)),
        Section(
            "Run it again",
            paragraphs=(
                "From a terminal in rnnstock's folder, with the same data"
                + (" file" if spec.data.source == "csv" else "")
                + ": the same settings and seed give the same model with the same software.",
            ),
            code=command_line(spec),
        ),
        Section(
            "Software",
            rows=tuple(library_versions().items()),
            paragraphs=("The versions installed where this card was written.",),
        ),
    ]


def card_title(result: ExperimentResult) -> Text:
    source = result.data_source or result.spec.data.describe()
    return Text(f"Run card: {result.spec.model.describe()} on {source}", outside=True)


def _written() -> str:
    return f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"


# -- Markdown ------------------------------------------------------------------------------------


def _md(cell: Cell) -> str:
    if isinstance(cell, Text):
        return literal(cell.text, NOTICE_CHARS) if cell.outside else cell.text
    return cell


def _md_table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    """A table whose first column (the labels) reads left-aligned, the others ``align``."""
    aligns = ["---", *(align for _ in header[1:])]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _fence(code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return "`" * max(3, longest + 1)


def card_markdown(result: ExperimentResult) -> str:
    """The run card as Markdown (GitHub's flavour: tables, fenced code)."""
    lines = [f"# {_md(card_title(result))}", "", f"Written {_written()} by rnnstock.", ""]
    for section in card_sections(result):
        lines += [f"{'#' * section.level} {section.title}", ""]
        if section.table is not None:
            table = section.table
            rows = [
                [_md(Text(str(label), outside=True)), *(_number(v) for v in values)]
                for label, values in zip(table.index, table.to_numpy(), strict=True)
            ]
            lines += _md_table(["", *map(str, table.columns)], rows, "---:")
            lines.append("")
        if section.rows:
            rows = [[_md(label), _md(value)] for label, value in section.rows]
            lines += _md_table(["", ""], rows, "---")
            lines.append("")
        for paragraph in section.paragraphs:
            lines += [_md(paragraph), ""]
        if section.code is not None:
            fence = _fence(section.code)
            lines += [fence + "sh", section.code, fence, ""]
    return "\n".join(lines)


# -- HTML ------------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; }
table.facts { width: 100%; } table.facts th { width: 38%; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td { overflow-wrap: anywhere; }
pre { background: #f5f5f5; padding: 0.8rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.written { color: #666; }
"""


def _html(cell: Cell) -> str:
    text = cell.text if isinstance(cell, Text) else cell
    return html.escape(text)


def card_html(result: ExperimentResult, figure: go.Figure | None = None) -> str:
    """The run card as one HTML file with the chart and plotly.js inside (about 4.9 MB):
    it opens offline. ``figure`` defaults to the Train page's prediction chart."""
    if figure is None:
        from rnnstock.charts import prediction_figure

        figure = prediction_figure(result)
    title = _html(card_title(result))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        f'<p class="written">Written {_html(_written())} by rnnstock.</p>',
    ]
    for section in card_sections(result):
        level = section.level
        parts.append(f"<h{level}>{_html(section.title)}</h{level}>")
        if section.table is not None:
            table = section.table
            header = "".join(f"<th>{_html(str(c))}</th>" for c in table.columns)
            parts.append(f"<table><thead><tr><th></th>{header}</tr></thead><tbody>")
            for label, values in zip(table.index, table.to_numpy(), strict=True):
                numbers = "".join(f'<td class="number">{_number(v)}</td>' for v in values)
                parts.append(f"<tr><th>{_html(str(label))}</th>{numbers}</tr>")
            parts.append("</tbody></table>")
        if section.rows:
            parts.append('<table class="facts"><tbody>')
            parts += [
                f"<tr><th>{_html(label)}</th><td>{_html(value)}</td></tr>"
                for label, value in section.rows
            ]
            parts.append("</tbody></table>")
        for paragraph in section.paragraphs:
            parts.append(f"<p>{_html(paragraph)}</p>")
        if section.code is not None:
            parts.append(f"<pre><code>{html.escape(section.code)}</code></pre>")
        if section.chart:
            parts.append(figure.to_html(full_html=False, include_plotlyjs=True))
    parts.append("</body></html>")
    return "\n".join(parts)
