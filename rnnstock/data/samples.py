"""The bundled offline samples: daily prices that work without the internet.

The files are package data in ``rnnstock/samples/`` (see its ``PROVENANCE.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd

from rnnstock.data.errors import DataError
from rnnstock.data.reading import read_price_csv


@dataclass(frozen=True)
class Sample:
    """A bundled daily price history (see ``samples/PROVENANCE.md``)."""

    name: str
    title: str
    ticker_like: str
    file: str
    description: str
    start: str
    end: str

    @property
    def label(self) -> str:
        """Title with its years, e.g. 'Microsoft (MSFT) 1986–2017'."""
        return f"{self.title} {self.start[:4]}–{self.end[:4]}"


SAMPLES: dict[str, Sample] = {
    sample.name: sample
    for sample in (
        Sample(
            name="msft",
            title="Microsoft (MSFT)",
            ticker_like="MSFT",
            file="msft.csv.gz",
            description=(
                "Microsoft shares, every trading day from the 1986 listing to November 2017."
                " Prices are adjusted for splits and dividends, so Close is already the"
                " adjusted close. From Kaggle's 'Huge Stock Market Dataset'."
            ),
            start="1986-03-13",
            end="2017-11-10",
        ),
        Sample(
            name="sp500",
            title="S&P 500 index (^GSPC)",
            ticker_like="^GSPC",
            file="sp500.csv.gz",
            description=(
                "The S&P 500 stock index, every trading day 1999–2018: the dot-com bust,"
                " the 2008 crash and the long recovery. Yahoo Finance data as shipped"
                " with the arch package."
            ),
            start="1999-01-04",
            end="2018-12-31",
        ),
        Sample(
            name="nasdaq",
            title="NASDAQ Composite index (^IXIC)",
            ticker_like="^IXIC",
            file="nasdaq.csv.gz",
            description=(
                "The technology-heavy NASDAQ Composite index, every trading day 1999–2018."
                " Yahoo Finance data as shipped with the arch package."
            ),
            start="1999-01-04",
            end="2018-12-31",
        ),
    )
}


def list_samples() -> list[Sample]:
    """The bundled samples, in display order."""
    return list(SAMPLES.values())


def load_sample(name: str) -> pd.DataFrame:
    """Prices of a bundled sample ('msft', 'sp500' or 'nasdaq'); works offline."""
    key = str(name).strip().lower()
    if key not in SAMPLES:
        available = "; ".join(f"{s.name} ({s.label})" for s in SAMPLES.values())
        raise DataError(f'There is no offline sample called "{name}". Available: {available}.')
    return _sample_prices(key).copy()


@cache
def _sample_prices(key: str) -> pd.DataFrame:
    sample = SAMPLES[key]
    content = resources.files("rnnstock").joinpath("samples").joinpath(sample.file).read_bytes()
    frame = read_price_csv(content, name=sample.file)
    frame.attrs["source"] = f"Offline sample {sample.label}"
    return frame
