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
        "chart.html",
        "forecast.csv",
    }
    assert len(pd.read_csv(out / "forecast.csv")) == 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--sample", "nosuch"], "nosuch"),
        (["run", "--csv", "/no/such/file.csv"], "file.csv"),
        (["run", "--ticker", "AAPL!"], "AAPL!"),
        (["run", "--sample", "msft", "--window", "1"], "at least 2 days"),
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
