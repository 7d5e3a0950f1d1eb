"""rnnstock.data.reading: the CSV shapes people really have, and the errors that name the line."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest

from rnnstock.data import PRICE_COLUMNS, DataError, normalize_prices, read_price_csv
from tests.data_helpers import HEADER, assert_canonical, csv_text, price_lines, yahoo_like_frame

MASTERCARD_CSV = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "Mastercard_stock_history.csv"
)


def set_cell(lines: list[str], row: int, column: int, value: str) -> None:
    """Replace one comma-separated cell of ``lines[row]``."""
    parts = lines[row].split(",")
    parts[column] = value
    lines[row] = ",".join(parts)


def read(text: str | bytes, name: str = "prices.csv") -> pd.DataFrame:
    content = text.encode() if isinstance(text, str) else text
    return read_price_csv(content, name=name)


# ---------------------------------------------------------------- CSV shapes


def test_plain_csv_gives_canonical_frame(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(csv_text(price_lines()))
    frame = read_price_csv(path)
    assert_canonical(frame)
    assert list(frame.columns) == [*PRICE_COLUMNS, "Volume"]
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    assert frame["Close"].iloc[0] == 101.0
    assert frame.attrs["source"] == "CSV file prices.csv"
    # a str path, a file object and bytes all read the same
    pd.testing.assert_frame_equal(read_price_csv(str(path)), frame)
    with path.open("rb") as file:
        pd.testing.assert_frame_equal(read_price_csv(file), frame)
    assert read_price_csv(io.StringIO(path.read_text())).equals(frame)


def test_mastercard_tutorial_csv():
    if not MASTERCARD_CSV.exists():
        pytest.skip(f"the tutorial CSV is not at {MASTERCARD_CSV} (shared folder beside the repo)")
    frame = read_price_csv(MASTERCARD_CSV)
    assert_canonical(frame, days=3872)
    assert frame.index[0] == pd.Timestamp("2006-05-25")
    assert frame.index[-1] == pd.Timestamp("2021-10-11")
    assert "Dividends" not in frame.columns
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert frame.attrs["source"] == "CSV file Mastercard_stock_history.csv"


def test_yahoo_export_with_time_offsets_and_actions():
    dates = pd.bdate_range("2021-01-04", periods=40)
    lines = [
        f"{day:%Y-%m-%d} 00:00:00{'+09:00' if i == 0 else '-05:00'},{10 + i},{11 + i},{9 + i},"
        f"{10.5 + i},{500 + i},{0.25 if i == 3 else 0.0},{2.0 if i == 5 else 0.0}"
        for i, day in enumerate(dates)
    ]
    header = "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits"
    frame = read(csv_text(lines, header))
    assert_canonical(frame)
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    # the local calendar date is kept, even where UTC would be the day before
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    assert frame.index[-1] == dates[-1]


def test_us_month_day_year_dates():
    frame = read(csv_text(price_lines(date_format="%-m/%-d/%Y")))
    assert_canonical(frame)
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    assert frame.index[-1] == pd.bdate_range("2021-01-04", periods=40)[-1]


def test_quoted_thousands_separators():
    lines = [
        f'{line.split(",", 1)[0]},"1,{100 + i}.50",1200,1000,"1,101.25",1101.25,"1,657,{300 + i}"'
        for i, line in enumerate(price_lines())
    ]
    frame = read(csv_text(lines))
    assert frame["Open"].iloc[0] == 1100.5
    assert frame["Close"].iloc[0] == 1101.25
    assert frame["Volume"].iloc[0] == 1_657_300


def test_decimal_comma_is_an_error_not_a_silent_375():
    lines = price_lines()
    lines[4] = lines[4].replace(",104,", ',"3,75",', 1)
    with pytest.raises(DataError, match=r'"3,75" on line 6.*dot for decimals'):
        read(csv_text(lines))


def test_trailing_comma_makes_an_unnamed_column_that_is_dropped():
    frame = read(csv_text([line + "," for line in price_lines()], HEADER + ","))
    assert_canonical(frame)
    assert list(frame.columns) == [*PRICE_COLUMNS, "Volume"]


def test_trailing_comma_on_data_rows_only_does_not_shift_columns():
    frame = read(csv_text([line + "," for line in price_lines()]))
    assert frame.index[0] == pd.Timestamp("2021-01-04")
    assert frame["Open"].iloc[0] == 100.0


@pytest.mark.parametrize(
    "header",
    [
        " date , open , high , low , close , adj close , volume ",
        "DATE,OPEN,HIGH,LOW,CLOSE,ADJ_CLOSE,VOLUME",
        "date,Open,High,Low,Close/Last,Adj_Close,Vol.",
        "Date,Open,High,Low,Close*,Adj Close**,Volume",
    ],
)
def test_loose_headers(header):
    frame = read(csv_text(price_lines(), header))
    assert list(frame.columns) == [*PRICE_COLUMNS, "Volume"]
    assert frame["Adj Close"].iloc[0] == 100.5


def test_rows_out_of_order_are_sorted():
    lines = price_lines()
    shuffled = lines[::-1]
    frame = read(csv_text(shuffled))
    pd.testing.assert_frame_equal(frame, read(csv_text(lines)))
    assert frame["Open"].iloc[0] == 100.0


def test_utf8_bom_and_windows_line_ends():
    content = b"\xef\xbb\xbf" + csv_text(price_lines()).replace("\n", "\r\n").encode()
    frame = read(content)
    assert_canonical(frame)
    assert frame.index[0] == pd.Timestamp("2021-01-04")


def test_utf16_excel_text_with_tabs():
    text = csv_text([line.replace(",", "\t") for line in price_lines()], HEADER.replace(",", "\t"))
    assert_canonical(read(text.encode("utf-16")))


def test_semicolon_separated():
    text = csv_text([line.replace(",", ";") for line in price_lines()], HEADER.replace(",", ";"))
    assert_canonical(read(text))


def test_gzip_compressed_csv():
    assert_canonical(read(gzip.compress(csv_text(price_lines()).encode())))


def test_blank_lines_and_null_rows_are_dropped_and_line_numbers_stay_true():
    lines = price_lines(41)
    lines.insert(3, "")
    lines[6] = lines[6].split(",", 1)[0] + ",null,null,null,null,null,null"
    frame = read(csv_text(lines))
    assert len(frame) == 40  # 41 days minus the 'null' holiday row
    set_cell(lines, 10, 1, "abc")
    # header is line 1, so list position 10 is line 12, blank line included
    with pytest.raises(DataError, match=r'the Open column has "abc" on line 12'):
        read(csv_text(lines))


def test_only_close_and_no_volume():
    lines = [",".join(line.split(",")[::4]) for line in price_lines()]
    frame = read(csv_text(lines, "Date,Close"))
    assert list(frame.columns) == ["Close"]


def test_yfinance_download_to_csv_three_header_lines():
    dates = pd.bdate_range("2021-01-04", periods=40)
    lines = ["Ticker,AAPL,AAPL,AAPL,AAPL,AAPL", "Date,,,,,"] + [
        f"{day:%Y-%m-%d},{10 + i},{11 + i},{9 + i},{10 + i},{100 + i}"
        for i, day in enumerate(dates)
    ]
    frame = read(csv_text(lines, "Price,Close,High,Low,Open,Volume"))
    assert_canonical(frame)
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]


def test_unnamed_first_column_holds_the_dates():
    assert_canonical(read(csv_text(price_lines(), "," + HEADER.split(",", 1)[1])))


def test_an_empty_price_column_is_dropped():
    lines = [line.rsplit(",", 2)[0] + ",," + line.rsplit(",", 1)[1] for line in price_lines()]
    frame = read(csv_text(lines))
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    empty = [line.split(",", 1)[0] + ",,,,,," for line in price_lines()]
    with pytest.raises(DataError, match=r"the price columns \(Open, .*\) are empty"):
        read(csv_text(empty))


def test_normalize_prices_on_a_yfinance_like_frame():
    frame = yahoo_like_frame(35)
    result = normalize_prices(frame)
    assert_canonical(result, days=35)
    assert result.index[0] == pd.Timestamp("2021-01-04")
    assert "Dividends" not in result.columns


# ---------------------------------------------------------------- CSV errors


def test_no_date_column():
    lines = [line.split(",", 1)[1] for line in price_lines()]
    with pytest.raises(DataError, match=r'no date column.*"Date"'):
        read(csv_text(lines, HEADER.split(",", 1)[1]))


def test_unparseable_date_names_line_and_text():
    lines = price_lines()
    lines[5] = "2021-13-45" + lines[5][10:]
    with pytest.raises(DataError, match=r'the date "2021-13-45" on line 7 cannot be read'):
        read(csv_text(lines))


def test_duplicate_dates_are_named():
    lines = price_lines()
    lines[8] = lines[7]
    with pytest.raises(DataError, match=r"2021-01-13 appears more than once \(lines 9 and 10\)"):
        read(csv_text(lines))


def test_no_price_column_says_what_is_expected():
    lines = [f"{line.split(',')[0]},{i}" for i, line in enumerate(price_lines())]
    with pytest.raises(DataError, match=r"no price column\. Expected at least one of Open, High"):
        read(csv_text(lines, "Date,Volume"))


def test_non_numeric_price_names_column_line_and_value():
    lines = price_lines()
    lines[8] = lines[8].replace(",109,", ",n/a?,", 1)
    with pytest.raises(DataError, match=r'In prices.csv, the Close column has "n/a\?" on line 10'):
        read(csv_text(lines))


def test_missing_price_cell_names_column_and_line():
    lines = price_lines()
    set_cell(lines, 12, 3, "")
    with pytest.raises(DataError, match=r"Line 14 of prices\.csv has no Low price"):
        read(csv_text(lines))


def test_prices_without_a_date():
    lines = price_lines()
    lines[2] = "," + lines[2].split(",", 1)[1]
    with pytest.raises(DataError, match=r"Line 4 of prices\.csv has prices but no date"):
        read(csv_text(lines))


def test_too_few_rows_says_how_many():
    with pytest.raises(DataError, match="only 29 days with prices; at least 30"):
        read(csv_text(price_lines(29)))
    assert len(read(csv_text(price_lines(30)))) == 30


@pytest.mark.parametrize("content", [b"", b"   \n\n  ", b"\xef\xbb\xbf"])
def test_empty_file(content):
    with pytest.raises(DataError, match=r"prices\.csv is empty"):
        read(content)


def test_unnamed_upload_messages_start_with_a_capital():
    with pytest.raises(DataError, match=r"^The uploaded file is empty"):
        read_price_csv(b"")


def test_header_without_rows():
    with pytest.raises(DataError, match="header line but no prices"):
        read(HEADER + "\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 8, "not a CSV text file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a CSV text file"),
        (b"PK\x03\x04" + b"\x00" * 64, "Excel workbook"),
        (b"<!DOCTYPE html><html><body>Prices</body></html>", "web page"),
        (b"\x1f\x8b\x08\x00broken", "damaged .gz"),
    ],
)
def test_binary_junk_and_other_non_csv_files(content, message):
    with pytest.raises(DataError, match=message):
        read(content)


def test_ragged_rows_name_the_line():
    lines = price_lines()
    lines[3] += ",1,2"
    with pytest.raises(DataError, match=r"Line 5 of prices\.csv has 9 values"):
        read(csv_text(lines))


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="There is no file at"):
        read_price_csv(tmp_path / "nope.csv")
