import pandas as pd
import pytest

from rnnstock.cli import build_parser, main, spec_from_args
from tests.conftest import MASTERCARD_CSV


def test_flags_override_the_preset():
    args = build_parser().parse_args(
        [
            "run",
            "--preset",
            "datacamp-gru",
            "--sample",
            "sp500",
            "--epochs",
            "3",
            "--units",
            "16,8",
            "--optimizer",
            "Adam",
            "--train-fraction",
            "0.7",
            "--activation",
            "relu",
        ]
    )
    spec = spec_from_args(args)
    assert (spec.data.source, spec.data.name, spec.data.start) == ("sample", "sp500", None)
    assert spec.train.epochs == 3 and spec.train.optimizer == "adam"
    assert spec.train.seed == 455  # kept from the preset
    assert spec.model.units == (16, 8) and spec.model.cell == "GRU"
    assert spec.model.activation == "relu"
    assert spec.split.mode == "fraction" and spec.split.train_fraction == 0.7


def test_run_prints_metrics_beside_baselines_and_writes_files(tmp_path, capsys):
    if not MASTERCARD_CSV.exists():
        pytest.skip("the shared MasterCard CSV is not here")
    out = tmp_path / "run"
    code = main(
        [
            "run",
            "--preset",
            "datacamp-gru",
            "--csv",
            str(MASTERCARD_CSV),
            "--epochs",
            "1",
            "--units",
            "8",
            "--out",
            str(out),
            "--forecast",
            "5",
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "Training windows: 1199" in printed.out and "test days: 195" in printed.out
    assert 'Persistence ("tomorrow = today")' in printed.out
    assert "5.28" in printed.out  # persistence RMSE on the 2021 test days
    assert "The tutorial published RMSE 5.50" in printed.out
    assert {p.name for p in out.iterdir()} == {
        "predictions.csv",
        "model.keras",
        "model.zip",
        "chart.html",
        "card.md",
        "card.html",
        "forecast.csv",
    }
    assert len(pd.read_csv(out / "forecast.csv")) == 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["run", "--sample", "msft", "--start", "0000"],
            "The data start 0000 is outside 1900-2100",
        ),
        (["run", "--sample", "msft", "--train-end", "9999"], "9999 is outside 1900-2100"),
        (["run", "--sample", "msft", "--forecast", "70000"], "must be from 1 to 60, not 70,000"),
        (["run", "--sample", "msft", "--seed", "-1"], "The seed must be from 0 to 2,147,483,647"),
        (["run", "--sample", "msft", "--units", "1.5"], "must be a whole number, not 1.5"),
        (["run", "--sample", "msft", "--bogus"], "unrecognized arguments: --bogus"),
        (["run", "--sample", "msft", "--window", "x"], "The window must be a whole number"),
        (["run", "--sample", "msft", "--train-end", "2017-11-08"], "leaves only 2 test day(s)"),
    ],
)
def test_bad_settings_stop_before_training_with_one_line(argv, message, capsys):
    """No 'Experiment <key>' line and no usage screen before the one line that says why."""
    code = main([*argv, "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [err[-1]] and err[-1].startswith("rnnstock: ") and message in err[-1], err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--sample", "nosuch"], "nosuch"),
        (["run", "--csv", "/no/such/file.csv"], "file.csv"),
        (["run", "--ticker", "AAPL!"], "AAPL!"),
        (["run", "--sample", "msft", "--window", "1"], "The window must be from 2 to 500, not 1"),
        (["run", "--preset", "datacamp-gru", "--sample", "msft"], "no test days"),
        (
            [
                "run",
                "--sample",
                "msft",
                "--epochs",
                "1",
                "--units",
                "2",
                "--window",
                "5",
                "--start",
                "2017",
                "--out",
                "/proc/rnnstock-cannot-write-here",
            ],
            "rnnstock-cannot",
        ),
    ],
)
def test_errors_are_one_clear_line(argv, message, capsys):
    code = main([*argv, "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("rnnstock: ") and message in err[-1]
    assert not any("Traceback" in line for line in err)


def test_samples_and_presets_are_listed(capsys):
    assert main(["samples"]) == 0
    assert "msft" in capsys.readouterr().out
    assert main(["presets"]) == 0
    assert "63,626" in capsys.readouterr().out
