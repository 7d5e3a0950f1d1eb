"""What one bad file costs the server: the reader before issue 16 beside today's, in one run.

Each case is read in a fresh process by both readers: the one of the last commit
before the caps (``BEFORE``, unpacked beside the tree with ``git archive``) and
the tree's own. A process may take at most ``TIMEOUT`` seconds and
``MEMORY_LIMIT_GB`` of address space (the old reader grew past 6 GB on a gzip of
zeros); a stopped process is reported as stopped, with the limit it hit.

    .venv/bin/python -m bench.hostile_files      # about 3 minutes on 2 cores

Writes bench/results/hostile-files.json and prints a table: seconds and peak
resident MB above the imports for each reader, and the ratio of the times.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path

from bench.common import REPO, loadavg, save

BEFORE = "f67aa2d"  # the last commit with the reader of issue 14
TIMEOUT = 60
MEMORY_LIMIT_GB = 5

# One process reads one case and prints its figures as JSON on the last line.
_READ = r"""
import json, resource, sys, time, datetime
sys.path.insert(0, sys.argv[1])
from rnnstock.data import DataError, fetch_ticker, read_price_csv
kind, path = sys.argv[2], sys.argv[3]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    if kind == "ticker":
        def refuse(symbol):
            raise ConnectionError("offline")
        frame = fetch_ticker("ZEROS", fetcher=refuse, cache_dir=path)
    else:
        frame = read_price_csv(path)
    outcome = f"read {len(frame):,} days"
except DataError as error:
    outcome = "message: " + str(error)[:90]
except MemoryError:
    outcome = "MemoryError"
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": (peak - base) / 1024, "outcome": outcome}))
"""


def _lines(days: int, *, notes: int = 0) -> bytes:
    """A valid daily history from 1900 (calendar days), with a column of ``notes``
    characters on every line when asked (how a valid file gets large)."""
    import datetime

    header = "Date,Open,High,Low,Close,Volume" + (",Notes" if notes else "") + "\n"
    note = "," + "x" * notes if notes else ""
    first = datetime.date(1900, 1, 2)
    body = "".join(
        f"{first + datetime.timedelta(days=i)},{100 + i % 50},{102 + i % 50},{99 + i % 50},"
        f"{101 + i % 50},{1000 + i}{note}\n"
        for i in range(days)
    )
    return (header + body).encode()


def _bomb(text_mb: int) -> bytes:
    """A gzip of a few hundred KB that unpacks to ``text_mb`` of repeated price lines."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    start = _lines(40)
    pieces = [packer.compress(start)]
    filler = b"2021-03-01,1,2,0.5,1.5,100\n" * 40_000
    for _ in range(text_mb * 2**20 // len(filler)):
        pieces.append(packer.compress(filler))
    pieces.append(packer.flush())
    return b"".join(pieces)


def _zeros(unpacked_gb: float) -> bytes:
    """A gzip of zero bytes, packed a megabyte at a time (1 GB packs to about 1 MB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(2**20)
    pieces = [packer.compress(block) for _ in range(int(unpacked_gb * 1024))]
    return b"".join([*pieces, packer.flush()])


def cases(folder: Path) -> list[tuple[str, str, Path]]:
    """(label, kind, path) of the issue's measured cases, written into ``folder``."""
    made = []

    def write(name: str, content: bytes, label: str, kind: str = "csv") -> None:
        path = folder / name
        path.write_bytes(content)
        made.append((label, kind, path))

    write("bomb.csv.gz", _bomb(256), "gzip of 0.6 MB unpacking to 256 MB")
    zeros = _zeros(10)
    write("zeros.csv.gz", zeros, f"gzip of zeros, {len(zeros) / 2**20:.0f} MB (10 GB unpacked)")
    big = _lines(40_000, notes=2_000)  # valid, and far larger than any daily history
    write("big.csv", big, f"valid CSV of {len(big) / 2**20:.0f} MB")
    write("largest.csv", _lines(45_000), "valid CSV of 45,000 days (under every cap)")
    write("utf32.csv", _lines(400).decode().encode("utf-32"), "UTF-32 with a byte order mark")
    prices = folder / "cache" / "prices"
    prices.mkdir(parents=True)
    (prices / "ZEROS.csv.gz").write_bytes(_zeros(1))
    made.append(("saved copy of a ticker: 1 MB gzip of zeros", "ticker", folder / "cache"))
    return made


def _limit_memory() -> None:
    limit = MEMORY_LIMIT_GB * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def measure(root: Path, kind: str, path: Path) -> dict:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _READ, str(root), kind, str(path)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            preexec_fn=_limit_memory,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "peak_mb": None, "outcome": f"stopped after {TIMEOUT} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"seconds": None, "peak_mb": None, "outcome": f"crashed: {last[:90]}"}
    return json.loads(lines[-1])


def _old_reader(folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", BEFORE, "rnnstock"], capture_output=True, check=True
    ).stdout
    target = folder / "before"
    target.mkdir()
    archive_path = folder / "before.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(target, filter="data")
    return target


def _shown(row: dict) -> str:
    if row["seconds"] is None:
        return f"{row['outcome']:>24}"
    return f"{row['seconds']:7.2f} s {row['peak_mb']:8.0f} MB"


def main() -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="rnnstock-hostile-") as temporary:
        folder = Path(temporary)
        readers = {"before": _old_reader(folder), "now": REPO}
        print(f"{'case':58} {'before (' + BEFORE + ')':>24} {'now':>24}  time now/before")
        for label, kind, path in cases(folder):
            row = {"case": label, "load_before": loadavg()}
            for side, root in readers.items():
                row[side] = measure(root, kind, path)
            before, now = row["before"], row["now"]
            ratio = ""
            if before["seconds"] and now["seconds"]:
                row["time_now_over_before"] = now["seconds"] / before["seconds"]
                ratio = f"{row['time_now_over_before']:.3g}"
            print(f"{label:58} {_shown(before)} {_shown(now)}  {ratio}", flush=True)
            print(f"{'':58}   before: {before['outcome']}\n{'':58}   now: {now['outcome']}")
            results.append(row)
    payload = {"before": BEFORE, "timeout_s": TIMEOUT, "memory_limit_gb": MEMORY_LIMIT_GB}
    path = save("hostile-files", {**payload, "cases": results})
    print(f"\nWritten to {path}")
    return results


if __name__ == "__main__":
    main()
