"""Rebuild the bundled offline price histories in ``rnnstock/samples/``.

The three samples are real daily prices shipped inside two permissively
licensed PyPI packages. This script takes them out of the wheels, converts
them to one plain layout and writes ``msft.csv.gz``, ``sp500.csv.gz`` and
``nasdaq.csv.gz``. It downloads nothing itself; fetch the wheels first::

    pip download --no-deps --dest /tmp/ds pmdarima==2.1.1 arch==8.0.0
    python tools/extract_samples.py /tmp/ds/pmdarima-2.1.1-*.whl /tmp/ds/arch-8.0.0-*.whl

Each argument may also be a folder holding the unzipped wheel (the folder
that contains ``pmdarima/`` or ``arch/``). Any platform's wheel works: the
data files are the same in all of them.

What it does (see ``rnnstock/samples/PROVENANCE.md``):

* MSFT (pmdarima ``pmdarima/datasets/data/msft.tar.gz`` -> ``msft.csv``):
  drops the ``OpenInt`` column (always 0); every other value is copied as text.
* S&P 500 and NASDAQ Composite (arch ``arch/data/{sp500,nasdaq}/*.csv.gz``):
  rewrites the ``M/D/YYYY`` dates as ISO ``YYYY-MM-DD``; every other value is
  copied as text.

Values are never parsed as floats, so no precision is lost or invented. The
gzip files are written with a zero timestamp, so the same wheels always give
byte-identical samples.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import tarfile
import zipfile
from pathlib import Path

import pandas as pd

MSFT_MEMBER = "pmdarima/datasets/data/msft.tar.gz"
ARCH_MEMBERS = {
    "sp500": "arch/data/sp500/sp500.csv.gz",
    "nasdaq": "arch/data/nasdaq/nasdaq.csv.gz",
}
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "rnnstock" / "samples"


def read_member(source: Path, member: str) -> bytes:
    """The bytes of ``member`` inside a wheel file or an unzipped wheel folder."""
    if source.is_dir():
        return (source / member).read_bytes()
    with zipfile.ZipFile(source) as wheel:
        return wheel.read(member)


def msft_csv(pmdarima: Path) -> pd.DataFrame:
    """Kaggle's MSFT history from pmdarima, without the always-zero OpenInt column."""
    with tarfile.open(fileobj=io.BytesIO(read_member(pmdarima, MSFT_MEMBER))) as archive:
        raw = archive.extractfile("msft.csv").read()
    table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    if set(table["OpenInt"]) != {"0"}:
        raise SystemExit("msft.csv: OpenInt is not always 0; check the source before dropping it.")
    return table.drop(columns="OpenInt")


def arch_csv(arch: Path, member: str) -> pd.DataFrame:
    """An arch data set with its M/D/YYYY dates rewritten as ISO dates."""
    table = pd.read_csv(
        io.BytesIO(gzip.decompress(read_member(arch, member))), dtype=str, keep_default_na=False
    )
    table["Date"] = pd.to_datetime(table["Date"], format="%m/%d/%Y").dt.strftime("%Y-%m-%d")
    return table


def write_sample(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as a deterministic gzip CSV and print a one-line summary."""
    dates = pd.to_datetime(table["Date"], format="%Y-%m-%d")
    if not dates.is_monotonic_increasing or dates.duplicated().any():
        raise SystemExit(f"{path.name}: dates are not strictly increasing.")
    data = gzip.compress(table.to_csv(index=False, lineterminator="\n").encode(), 9, mtime=0)
    path.write_bytes(data)
    print(
        f"{path.name}: {len(table)} rows, {table['Date'].iloc[0]} to {table['Date'].iloc[-1]},"
        f" columns {', '.join(table.columns)}; sha256 {hashlib.sha256(data).hexdigest()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pmdarima", type=Path, help="pmdarima 2.1.1 wheel or unzipped folder")
    parser.add_argument("arch", type=Path, help="arch 8.0.0 wheel or unzipped folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    write_sample(msft_csv(args.pmdarima), args.out / "msft.csv.gz")
    for name, member in ARCH_MEMBERS.items():
        write_sample(arch_csv(args.arch, member), args.out / f"{name}.csv.gz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
