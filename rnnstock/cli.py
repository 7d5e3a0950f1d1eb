"""python -m rnnstock: run experiments and list samples and presets from a terminal.

    python -m rnnstock run --preset datacamp-gru --csv ../shared/data/Mastercard_stock_history.csv
    python -m rnnstock run --sample sp500 --cell GRU --units 32 --epochs 5
    python -m rnnstock inspect Google_Stock_Price_Train.csv Google_Stock_Price_Test.csv
    python -m rnnstock run --scheduler tcp://lab-1:8786 --preset datacamp-lstm
    python -m rnnstock samples
    python -m rnnstock presets
    python -m rnnstock mistakes --csv ../shared/data/Mastercard_stock_history.csv --epochs 5

Errors print one clear line and exit with status 2 (1 for a cancelled run).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rnnstock import config
from rnnstock.settings import SETTINGS, check
from rnnstock.specs import DataSpec, ExperimentSpec

if TYPE_CHECKING:
    import pandas as pd

    from rnnstock.experiment import ExperimentResult

DEFAULT_OUT = Path("runs")


def _add_data_arguments(parser: argparse.ArgumentParser, title: str) -> None:
    """--sample, --csv or --ticker, and --start/--end: the data of 'run' and 'mistakes'."""
    source = parser.add_argument_group(title).add_mutually_exclusive_group()
    source.add_argument("--sample", help="an offline sample (see 'samples')")
    source.add_argument("--csv", help="a CSV file of daily prices")
    source.add_argument("--ticker", help="a Yahoo Finance symbol, e.g. AAPL")
    data = parser.add_argument_group("data range")
    data.add_argument("--start", help="keep prices from this date or year")
    data.add_argument("--end", help="keep prices up to this date or year")


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", help="start from a tutorial's settings (see 'presets')")
    _add_data_arguments(parser, "data (one of)")

    groups = {
        "split and window": (
            "target",
            "learn_from",
            "window",
            "train_start",
            "train_end",
            "test_end",
        ),
        "model": ("cell", "units", "dropout", "bidirectional", "dense", "activation"),
        "training": ("optimizer", "learning_rate", "epochs", "batch_size", "seed"),
    }
    groups["split and window"] += ("train_fraction",)
    groups["training"] += ("validation_fraction", "patience")
    for title, names in groups.items():
        group = parser.add_argument_group(title)
        for name in names:
            _add_setting(group, name)

    output = parser.add_argument_group("output")
    days = SETTINGS["forecast_days"]
    output.add_argument(
        "--forecast", type=int, default=0, help=f"business days to forecast ({days.range_text})"
    )
    output.add_argument(
        "--out", type=Path, help=f"folder for the files (default {DEFAULT_OUT}/<run key>)"
    )
    output.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--scheduler",
        metavar="tcp://HOST:8786",
        default=config.scheduler(),
        help="train on the workers of this Dask cluster (default: RNNSTOCK_SCHEDULER;"
        " unset, train in this process)",
    )


def _add_setting(group, name: str) -> None:
    """A flag for a declared setting: its help and range from the declaration; the value is
    checked by the spec, which names the range when it is refused."""
    setting = SETTINGS[name]
    flag = "--" + name.replace("_", "-")
    text = setting.help or setting.label
    if setting.kind in ("int", "float") and setting.low is not None:
        text += f" ({setting.range_text})"
    if setting.kind == "bool":
        group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
    elif setting.kind == "choice":
        group.add_argument(flag, choices=setting.choices, type=_choice(setting), help=text)
    else:
        group.add_argument(flag, help=text)


def _choice(setting):
    def read(text: str) -> str:
        try:
            return setting.check(text)
        except ValueError:
            return text  # argparse then lists the choices

    return read


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line, as every other error, not twenty lines of usage."""

    def error(self, message: str):
        self.exit(2, f"rnnstock: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m rnnstock",
        description="Train recurrent networks on stock prices and compare them with naive"
        " baselines.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_run_arguments(
        commands.add_parser("run", help="train and evaluate one model, write its files")
    )
    inspect = commands.add_parser(
        "inspect", help="say what is read from CSV files of one stock, as one history"
    )
    inspect.add_argument("files", nargs="+", metavar="FILE", help="CSV files (.csv, .gz)")
    commands.add_parser("samples", help="list the offline samples")
    commands.add_parser("presets", help="list the tutorials' presets")
    _add_mistakes_arguments(
        commands.add_parser("mistakes", help="measure the tutorials' mistakes beside the right way")
    )
    return parser


def _add_mistakes_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data_arguments(parser, "data (one of; default the msft sample)")
    measurement = parser.add_argument_group("measurement")
    for flag, name, metavar in (
        ("--only", "mistakes", "IDS"),
        ("--epochs", "mistake_epochs", "N"),
        ("--seeds", "mistake_seeds", "N"),
    ):
        setting = SETTINGS[name]
        if setting.kind == "int":
            text = f"{setting.help} ({setting.range_text})"
        else:
            text = f"comma-separated, from: {', '.join(setting.choices)} (default all)"
        measurement.add_argument(flag, dest=name, metavar=metavar, help=text)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def spec_from_args(args: argparse.Namespace) -> ExperimentSpec:
    """The preset (or defaults), with every flag the user gave applied on top."""
    from rnnstock.presets import get_preset

    spec = get_preset(args.preset).spec if args.preset else ExperimentSpec()
    data = spec.data
    if args.sample:
        data = DataSpec("sample", args.sample)
    elif args.csv:
        data = DataSpec("csv", args.csv)
    elif args.ticker:
        data = DataSpec("ticker", args.ticker, start=data.start, end=data.end)
    if args.sample or args.csv:
        # The preset's date range belongs to its own ticker; keep it only if asked.
        data = data.replace(start=None, end=None)
    if args.start is not None or args.end is not None:
        data = data.replace(
            start=args.start if args.start is not None else data.start,
            end=args.end if args.end is not None else data.end,
        )

    split_changes = _given(
        args,
        target="target",
        learn_from="learn_from",
        window="window",
        train_start="train_start",
        train_end="train_end",
        test_end="test_end",
        train_fraction="train_fraction",
    )
    if args.train_fraction is not None and args.train_end is None:
        split_changes.update(train_end=None, train_start=None, test_end=None)
    model_changes = _given(
        args,
        cell="cell",
        units="units",
        dropout="dropout",
        bidirectional="bidirectional",
        dense="dense",
        activation="activation",
    )
    train_changes = _given(
        args,
        optimizer="optimizer",
        learning_rate="learning_rate",
        epochs="epochs",
        batch_size="batch_size",
        seed="seed",
        validation_fraction="validation_fraction",
        patience="patience",
    )
    return ExperimentSpec(
        data=data,
        split=spec.split.replace(**split_changes),
        model=spec.model.replace(**model_changes),
        train=spec.train.replace(**train_changes),
    )


def _given(args: argparse.Namespace, **names: str) -> dict:
    return {
        field: getattr(args, flag)
        for field, flag in names.items()
        if getattr(args, flag) is not None
    }


def _progress(total: int, quiet: bool):
    """A tqdm bar advanced once per epoch, showing loss and seconds per epoch."""
    from tqdm import tqdm

    bar = tqdm(total=total, unit="epoch", disable=quiet, file=sys.stderr, dynamic_ncols=True)

    def on_epoch(progress) -> None:
        postfix = {"loss": f"{progress.loss:.2e}", "s/epoch": f"{progress.seconds:.2f}"}
        if progress.val_loss is not None:
            postfix["val_loss"] = f"{progress.val_loss:.2e}"
        bar.set_postfix(postfix, refresh=False)
        bar.update(1)

    return bar, on_epoch


def _train_on_cluster(
    spec: ExperimentSpec, scheduler: str, on_epoch, prices: pd.DataFrame
) -> ExperimentResult:
    """One training on a shared cluster's workers (rnnstock.jobs), its epochs reported
    here as they come; a failure there is one readable line here."""
    from rnnstock.jobs import CANCELLED, DONE, JobManager

    manager = JobManager(scheduler=scheduler)
    try:
        job = manager.submit(spec, prices=prices)  # the workers need not see this file
        reported = 0
        while not job.done or reported < len(job.progress):
            for progress in job.progress[reported:]:
                on_epoch(progress)
            reported = len(job.progress)
            time.sleep(0.1)
        if job.status == CANCELLED:
            raise ValueError("the training was cancelled on the cluster.")
        if job.status != DONE:
            raise ValueError(job.error)
        return job.result
    finally:
        manager.shutdown()


def command_run(args: argparse.Namespace) -> int:

    from rnnstock.data import load_prices
    from rnnstock.evaluation import DIRECTION_NOTE
    from rnnstock.experiment import TrainingCancelled, run_experiment
    from rnnstock.presets import get_preset
    from rnnstock.runfiles import save_run
    from rnnstock.windows import windowed_split

    spec = spec_from_args(args)
    if args.forecast:
        check("forecast_days", args.forecast)
    prices = load_prices(spec.data)
    windowed_split(prices, spec.split)  # the data fits: say so before training
    print(f"Experiment {spec.key()}: {spec.describe()}", file=sys.stderr)
    bar, on_epoch = _progress(spec.train.epochs, args.quiet)
    try:
        if args.scheduler:
            print(f"Training on the Dask cluster at {args.scheduler}", file=sys.stderr)
            result = _train_on_cluster(spec, args.scheduler, on_epoch, prices)
        else:
            result = run_experiment(spec, on_epoch=on_epoch)
    except TrainingCancelled as cancelled:
        print(f"rnnstock: {cancelled}", file=sys.stderr)
        return 1
    finally:
        bar.close()
    if result.data_notice:
        print(f"Note: {result.data_notice}", file=sys.stderr)

    windows = result.windows
    print(f"\nData: {result.data_source}")
    print(
        f"Training windows: {windows.n_train} ({len(windows.X_val)} held out for validation);"
        f" test days: {len(windows.test_dates)}"
        f" ({windows.test_dates[0]:%Y-%m-%d} to {windows.test_dates[-1]:%Y-%m-%d})"
    )
    print(
        f"Model: {spec.model.describe()}, {result.parameters:,} parameters;"
        f" {result.history.epochs_run} epochs, {result.history.seconds_per_epoch:.2f} s/epoch"
        + (
            f" (early stopping kept epoch {result.history.best_epoch})"
            if result.history.best_epoch
            else ""
        )
    )
    table = result.scores.table()
    print("\n" + table.to_string(float_format=lambda v: f"{v:,.2f}"))
    print(DIRECTION_NOTE + "\n")
    print(result.scores.verdict())
    if args.preset:
        preset = get_preset(args.preset)
        if "RMSE" in preset.published:
            print(
                f"The tutorial published RMSE {preset.published['RMSE']:.2f}:"
                f" {preset.published_note}"
            )

    folder = args.out or DEFAULT_OUT / spec.key()
    paths = save_run(result, folder)
    if args.forecast:
        from rnnstock.forecast import forecast_future

        future = forecast_future(result.model, windows, args.forecast)
        paths["forecast"] = Path(folder) / "forecast.csv"
        future.to_csv(paths["forecast"], index_label="Date", float_format="%.4f")
        print(f"\nForecast, {args.forecast} business days (errors compound with each step):")
        print(future.to_string(float_format=lambda v: f"{v:,.2f}"))
    print("\nFiles:")
    for kind, path in paths.items():
        print(f"  {kind:12} {path}")
    return 0


def command_inspect(args: argparse.Namespace) -> int:
    from rnnstock.data import read_price_csvs, read_report

    prices = read_price_csvs(args.files)
    for line in read_report(prices).lines():
        print(line)
    return 0


def command_samples(_: argparse.Namespace) -> int:
    from rnnstock.data import list_samples

    for sample in list_samples():
        print(f"{sample.name:8} {sample.title} — {sample.start} to {sample.end}")
    return 0


def command_presets(_: argparse.Namespace) -> int:
    from rnnstock.presets import PRESETS
    from rnnstock.sizes import parameter_count

    for preset in PRESETS.values():
        published = ", ".join(f"{k} {v:g}" for k, v in preset.published.items()) or "chart only"
        print(f"{preset.id:18} {preset.title}")
        print(f"{'':18} {preset.spec.describe()}")
        print(f"{'':18} parameters {parameter_count(preset.spec.model):,}; published: {published}")
    return 0


def command_mistakes(args: argparse.Namespace) -> int:
    from rnnstock.data import load_prices
    from rnnstock.experiment import TrainingCancelled
    from rnnstock.mistakes import assess as judge
    from rnnstock.mistakes import plan, report_lines, run_plan

    data = DataSpec()
    if args.sample:
        data = DataSpec("sample", args.sample)
    elif args.csv:
        data = DataSpec("csv", args.csv)
    elif args.ticker:
        data = DataSpec("ticker", args.ticker)
    if args.start is not None or args.end is not None:
        data = data.replace(start=args.start, end=args.end)
    prices = load_prices(data)
    if prices.attrs.get("notice"):
        print(f"Note: {prices.attrs['notice']}", file=sys.stderr)
    measurement = plan(
        prices,
        data,
        args.mistakes if args.mistakes is not None else SETTINGS["mistakes"].default,
        epochs=args.mistake_epochs,
        seeds=args.mistake_seeds,
    )
    trainings = measurement.unique()
    print(
        f"Measuring {len(measurement.mistakes)} mistake(s) on {data.describe()}:"
        f" {len(trainings)} trainings, {measurement.epochs} epochs in all.",
        file=sys.stderr,
    )
    for note in measurement.notes:
        print(f"Note: {note}")
    bars = []

    def on_training(index: int, count: int, training):
        if bars:
            bars.pop().close()
        if not args.quiet:
            print(f"[{index + 1}/{count}] {training.label}", file=sys.stderr)
        bar, on_epoch = _progress(training.spec.train.epochs, args.quiet)
        bars.append(bar)
        return on_epoch

    try:
        runs = run_plan(measurement, prices, on_training)
    except TrainingCancelled as cancelled:
        print(f"rnnstock: {cancelled}", file=sys.stderr)
        return 1
    finally:
        for bar in bars:
            bar.close()
    print()
    for line in report_lines(judge(measurement, runs)):
        print(line)
    return 0


COMMANDS = {
    "run": command_run,
    "inspect": command_inspect,
    "samples": command_samples,
    "presets": command_presets,
    "mistakes": command_mistakes,
}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, or a usage mistake already said in one line
        return int(stop.code or 0)
    try:
        return COMMANDS[args.command](args)
    except ValueError as error:  # bad settings or data: one readable line
        print(f"rnnstock: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # e.g. an output folder that cannot be written
        where = f": {error.filename}" if error.filename else ""
        print(f"rnnstock: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnnstock: interrupted.", file=sys.stderr)
        return 130
