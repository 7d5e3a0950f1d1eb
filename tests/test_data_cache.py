"""rnnstock.data.cache: safe cache file names, the cache folder, uploads stored by content."""

from __future__ import annotations

import pytest

from rnnstock.data import DataError, fetch_ticker, load_prices, save_upload, ticker_cache_path
from rnnstock.data import cache as data_cache
from rnnstock.specs import DataSpec
from tests.data_helpers import FakeFetcher, assert_canonical, csv_text, price_lines


def test_cache_file_name_is_safe(tmp_path):
    assert ticker_cache_path("^gspc", tmp_path) == tmp_path / "prices" / "_GSPC.csv.gz"
    assert ticker_cache_path("BRK-B", tmp_path).name == "BRK-B.csv.gz"
    with pytest.raises(DataError):
        ticker_cache_path("../etc", tmp_path)
    fetcher = FakeFetcher()
    with pytest.raises(DataError, match="not a ticker symbol"):
        fetch_ticker("../etc", fetcher=fetcher, cache_dir=tmp_path)
    assert fetcher.calls == []
    assert not any(tmp_path.iterdir())


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNSTOCK_CACHE_DIR", str(tmp_path / "here"))
    assert data_cache.default_cache_dir() == tmp_path / "here"
    assert ticker_cache_path("AAPL") == tmp_path / "here" / "prices" / "AAPL.csv.gz"


def test_save_upload_stores_by_content(tmp_path):
    content = csv_text(price_lines()).encode()
    path = save_upload(content, "../../My prices.csv", cache_dir=tmp_path)
    assert path.parent == tmp_path / "uploads"
    assert len(path.stem) == 16 and path.suffix == ".csv"
    assert path.read_bytes() == content
    assert save_upload(content, "again.csv", cache_dir=tmp_path) == path
    frame = load_prices(DataSpec("csv", str(path)))
    assert_canonical(frame)


def test_save_upload_rejects_bad_files_without_storing(tmp_path):
    with pytest.raises(DataError, match=r"In notes\.csv, there is no price column"):
        save_upload(b"Date,Comment\n2021-01-04,hello\n", "notes.csv", cache_dir=tmp_path)
    assert not (tmp_path / "uploads").exists()
