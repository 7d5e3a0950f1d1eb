"""rnnstock.data.samples: the bundled offline samples load, exactly, and work offline."""

from __future__ import annotations

import pandas as pd
import pytest

from rnnstock.data import PRICE_COLUMNS, SAMPLES, DataError, list_samples, load_sample
from tests.data_helpers import assert_canonical

# ---------------------------------------------------------------- samples


@pytest.mark.parametrize(
    ("name", "rows", "columns"),
    [
        ("msft", 7983, ["Open", "High", "Low", "Close", "Volume"]),
        ("sp500", 5031, [*PRICE_COLUMNS, "Volume"]),
        ("nasdaq", 5031, [*PRICE_COLUMNS, "Volume"]),
    ],
)
def test_each_sample_loads(name, rows, columns):
    sample = SAMPLES[name]
    frame = load_sample(name)
    assert_canonical(frame, days=rows)
    assert list(frame.columns) == columns
    assert frame.index[0] == pd.Timestamp(sample.start)
    assert frame.index[-1] == pd.Timestamp(sample.end)
    assert frame[[c for c in columns if c != "Volume"]].gt(0).all(axis=None)
    assert (frame["High"] >= frame["Low"]).all()
    assert frame.attrs["source"] == f"Offline sample {sample.label}"
    assert sample.file == f"{name}.csv.gz"


def test_sample_values_are_kept_exactly():
    sp500 = load_sample("sp500")
    assert sp500.loc["1999-01-04", "Open"] == 1229.22998
    assert sp500.loc["2018-12-31", "Close"] == 2506.850098
    msft = load_sample("msft")
    assert msft.loc["1986-03-13", "Close"] == 0.07533
    assert msft.loc["2017-11-10", "Volume"] == 19396301


def test_samples_listing_and_unknown_name():
    assert [s.name for s in list_samples()] == ["msft", "sp500", "nasdaq"]
    assert [s.ticker_like for s in list_samples()] == ["MSFT", "^GSPC", "^IXIC"]
    assert SAMPLES["msft"].label == "Microsoft (MSFT) 1986–2017"
    assert load_sample(" MSFT ").shape == load_sample("msft").shape
    with pytest.raises(DataError, match=r'no offline sample called "tsla".*msft.*sp500.*nasdaq'):
        load_sample("tsla")


def test_load_sample_returns_a_copy():
    frame = load_sample("msft")
    frame.iloc[0, 0] = -1.0
    frame.attrs["source"] = "changed"
    again = load_sample("msft")
    assert again.iloc[0, 0] == 0.0672
    assert again.attrs["source"].startswith("Offline sample")
