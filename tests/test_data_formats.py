"""The exports people really have (issue 16): one test per format, each on a small file
written here, read as one daily history with nothing lost and nothing invented, and the
facts of the read (``attrs['read']``) saying how it was read."""

from __future__ import annotations

import datetime
import gzip

import pandas as pd
import pytest

from rnnstock.cli import main
from rnnstock.data import DataError, read_price_csv, read_price_csvs, read_report
from rnnstock.data.limits import MAX_FILES
from tests.data_helpers import HEADER, csv_text, price_lines

DAYS = pd.bdate_range("2021-01-04", periods=40)


def read(text: str | bytes, name: str = "prices.csv") -> pd.DataFrame:
    return read_price_csv(text.encode() if isinstance(text, str) else text, name=name)


def investing_com(days=DAYS, *, date_format="%m/%d/%Y") -> str:
    """An Investing.com export: quoted, newest first, thousands separators, K/M/B volumes."""
    volumes = ["2.77M", "564.84K", "1.2B", ""]
    lines = ['"Date","Price","Open","High","Low","Vol.","Change %"']
    for i, day in reversed(list(enumerate(days))):
        price = 1000.5 + i
        lines.append(
            f'"{day.strftime(date_format)}","{price:,.2f}","{price - 1:,.2f}","{price + 5:,.2f}",'
            f'"{price - 5:,.2f}","{volumes[i % 4]}","-0.18%"'
        )
    return "\n".join(lines) + "\n"


def test_investing_com_export_reads_price_as_close_and_volume_suffixes():
    frame = read(investing_com())
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert frame.index[0] == DAYS[0] and frame.index.is_monotonic_increasing
    assert frame["Close"].iloc[0] == 1000.5  # "1,000.50", the Price column
    assert frame["Open"].iloc[-1] == 1038.5
    volumes = frame["Volume"].iloc[:4].tolist()
    assert volumes[:3] == [2_770_000, 564_840, 1_200_000_000] and pd.isna(volumes[3])
    report = read_report(frame)
    assert report.ignored == ("Change %",)
    assert report.dates == "month first (10/11/2021)" and report.warnings == ()


def test_day_first_is_decided_by_a_day_above_12():
    frame = read(investing_com(date_format="%d/%m/%Y"))  # 13/01/2021 exists
    assert frame.index[0] == pd.Timestamp("2021-01-04") and len(frame) == 40
    assert read_report(frame).dates == "day first (11/10/2021)"


@pytest.mark.parametrize(
    ("date_format", "says"), [("%d/%m/%Y", "day first"), ("%m/%d/%Y", "month first")]
)
def test_when_every_day_is_12_or_less_the_order_of_the_rows_decides(date_format, says):
    days = [day for day in pd.bdate_range("2021-01-01", "2021-12-31") if day.day <= 12][:60]
    lines = [f"{day.strftime(date_format)},{100 + i},{101 + i}" for i, day in enumerate(days)]
    frame = read(csv_text(lines, "Date,Open,Close"))
    assert list(frame.index) == days
    assert read_report(frame).dates.startswith(says)
    assert "every day is 12 or less" in read_report(frame).dates


EUROPEAN = {
    "German": "Datum;Eröffnung;Hoch;Tief;Schluss;Volumen",
    "French": "Date;Ouverture;Plus haut;Plus bas;Clôture;Volume",
    "Spanish": "Fecha;Apertura;Máximo;Mínimo;Cierre;Volumen",
    "Italian": "Data;Apertura;Massimo;Minimo;Chiusura;Volume",
    "Portuguese": "Data;Abertura;Máxima;Mínima;Fechamento;Volume",
    "Dutch": "Datum;Open;Hoog;Laag;Slot;Volume",
}


@pytest.mark.parametrize("language", list(EUROPEAN))
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_european_spreadsheets(language, encoding):
    lines = [
        f"{day:%d.%m.%Y};{1000 + i},50;1.{10 + i:03d},25;{990 + i},00;{1000 + i},75;1.234.{500 + i}"
        for i, day in enumerate(DAYS)
    ]
    frame = read(csv_text(lines, EUROPEAN[language]).encode(encoding))
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    first = frame.iloc[0]
    assert (first["Open"], first["High"], first["Low"], first["Close"]) == (
        1000.5,
        1010.25,
        990.0,
        1000.75,
    )
    assert first["Volume"] == 1_234_500
    report = read_report(frame)
    assert report.dates == "day first (11.10.2021)"
    assert report.decimals.startswith("a comma") and report.separator == "semicolon"


def test_a_semicolon_file_reads_3_750_as_three_point_seven_five_and_says_it_is_implausible():
    lines = [f"{day:%Y-%m-%d};{100 + i};{102 + i};{99 + i};{101 + i}" for i, day in enumerate(DAYS)]
    lines[3] = lines[3].replace(";103;", ";3,750;", 1)
    frame = read(csv_text(lines, "Date;Open;High;Low;Close"))
    assert frame["Open"].iloc[3] == 3.75  # never 3750
    outside, two_ways = read_report(frame).warnings
    assert 'Numbers like "3,750"' in two_ways  # no number in the file tells
    assert "outside that day's Low to High range" in outside and "2021-01-07" in outside


def test_decimal_commas_and_dots_in_one_file_are_refused():
    lines = [f'{day:%Y-%m-%d},"{100 + i},5",{101 + i}.5' for i, day in enumerate(DAYS)]
    with pytest.raises(DataError, match=r'"100,5" on line 2, with a decimal comma.*"101.5"'):
        read(csv_text(lines, "Date,Open,Close"))


def test_null_rows_are_counted_as_dropped():
    lines = price_lines(43)
    for row in (5, 9, 20):
        lines[row] = lines[row].split(",", 1)[0] + ",null,null,null,null,null,null"
    frame = read(csv_text(lines))
    assert len(frame) == 40
    report = read_report(frame)
    assert report.dropped == 3
    assert any(line.startswith("3 rows without prices dropped") for line in report.lines())


def course_file(
    days, first_price: float, *, unadjusted_close: bool = False, skip: int = 0
) -> bytes:
    """The Google course's file shape: M/D/YYYY, quoted thousands in Close and Volume;
    ``skip`` leaves out the first days (a file that starts later in the same history)."""
    lines = []
    for i, day in list(enumerate(days))[skip:]:
        price = first_price + i
        close = price * 2 if unadjusted_close else price + 0.5
        lines.append(
            f"{day.month}/{day.day}/{day.year},{price},{price + 3},{price - 3},"
            f'"{close:,.2f}","{7_380_500 + i:,}"'
        )
    return csv_text(lines, "Date,Open,High,Low,Close,Volume").encode()


TRAIN_DAYS = pd.bdate_range("2016-09-01", "2016-12-30")
TEST_DAYS = pd.bdate_range("2017-01-03", periods=20)


def test_the_course_test_file_alone_says_to_upload_it_with_the_training_file():
    with pytest.raises(DataError, match=r"only 20 days.*together with its training file"):
        read(course_file(TEST_DAYS, 778.0), name="Google_Stock_Price_Test.csv")


def test_the_course_train_and_test_files_become_one_history_with_the_test_days_after():
    frame = read_price_csvs(
        [
            ("Google_Stock_Price_Train.csv", course_file(TRAIN_DAYS, 770.0)),
            ("Google_Stock_Price_Test.csv", course_file(TEST_DAYS, 778.0)),
        ]
    )
    assert len(frame) == len(TRAIN_DAYS) + 20
    assert frame.index[len(TRAIN_DAYS)] == pd.Timestamp("2017-01-03")
    assert frame.loc["2017-01-03", "Close"] == 778.5
    report = read_report(frame)
    assert report.files == ("Google_Stock_Price_Train.csv", "Google_Stock_Price_Test.csv")
    assert report.warnings == ()  # the new year's weekend is no gap
    assert report.lines()[0] == (
        "2 files: Google_Stock_Price_Train.csv, Google_Stock_Price_Test.csv"
    )


def test_the_course_close_not_adjusted_for_the_split_is_a_warning():
    frame = read(course_file(TRAIN_DAYS, 300.0, unadjusted_close=True), name="train.csv")
    (warning,) = read_report(frame).warnings
    assert warning.startswith(f"{len(TRAIN_DAYS)} days have a price outside")
    assert "not adjusted for a split" in warning


def test_files_that_overlap_must_agree_and_the_message_names_the_first_day():
    first = course_file(TRAIN_DAYS, 770.0)
    overlapping = course_file(TRAIN_DAYS, 770.0, skip=len(TRAIN_DAYS) - 5)
    frame = read_price_csvs([("a.csv", first), ("b.csv", overlapping)])
    assert len(frame) == len(TRAIN_DAYS)  # the same five days, once
    different = course_file(TRAIN_DAYS, 500.0, skip=len(TRAIN_DAYS) - 5)
    disagree = r"a\.csv and b\.csv disagree on 2016-12-26: Open is 852\.00 in a\.csv and 582\.00"
    with pytest.raises(DataError, match=disagree):
        read_price_csvs([("a.csv", first), ("b.csv", different)])


def test_a_gap_between_files_is_a_warning():
    frame = read_price_csvs(
        [
            ("autumn.csv", course_file(TRAIN_DAYS[:40], 100.0)),
            ("spring.csv", course_file(pd.bdate_range("2017-03-01", periods=20), 200.0)),
        ]
    )
    (warning,) = read_report(frame).warnings
    assert "no prices from 2016-10-26 to 2017-03-01 (126 days)" in warning


def test_too_many_files_names_the_cap():
    content = csv_text(price_lines()).encode()
    with pytest.raises(DataError, match=f"at most {MAX_FILES} files"):
        read_price_csvs([content] * (MAX_FILES + 1))


def test_two_digit_years_are_never_in_the_future():
    lines = price_lines(40, date_format="%m/%d/%y")
    lines[0] = "11/15/68" + lines[0][8:]
    lines = [lines[0]] + [line.replace("/21,", "/69,", 1) for line in lines[1:]]
    frame = read(csv_text(lines))
    assert frame.index[0] == pd.Timestamp("1968-11-15")
    assert frame.index[-1].year == 1969


@pytest.mark.parametrize(
    ("year", "says"), [("1500", "before 1900"), ("2999", "after today"), ("2226", "after today")]
)
def test_dates_out_of_range_are_a_message_naming_the_line(year, says):
    lines = [year + line[4:] for line in price_lines()]  # the whole file in that year
    with pytest.raises(DataError, match=f'"{year}-01-04" on line 2 is {says}'):
        read(csv_text(lines))


def test_a_typo_year_in_the_future_is_out_of_order_not_after_today():
    lines = price_lines(60)
    lines[30] = "2036" + lines[30][4:]
    with pytest.raises(DataError, match=r"2036-02-15 on line 32 is out of order.*typo"):
        read(csv_text(lines))


def test_a_typo_year_far_out_of_order_is_a_message_not_a_row_moved_to_the_end():
    lines = price_lines(60)
    lines[30] = "2011" + lines[30][4:]
    with pytest.raises(DataError, match=r"2011-02-15 on line 32 is out of order.*typo"):
        read(csv_text(lines))


def test_neighbouring_rows_swapped_are_simply_sorted():
    lines = price_lines(60)
    lines[30], lines[31] = lines[31], lines[30]
    frame = read(csv_text(lines))
    pd.testing.assert_frame_equal(frame, read(csv_text(price_lines(60))))


@pytest.mark.parametrize(("cell", "value"), [('"1 105"', 1105.0), ('"1\u00a0105,5"', None)])
def test_spaces_inside_numbers_only_between_groups_of_three(cell, value):
    lines = price_lines()
    lines[4] = lines[4].replace(",104,", f",{cell},", 1)
    if value is None:  # a decimal comma among decimal dots: refused
        with pytest.raises(DataError, match="decimal comma"):
            read(csv_text(lines))
    else:
        assert read(csv_text(lines))["Open"].iloc[4] == value
    lines[4] = price_lines()[4].replace(",104,", ",10 4,", 1)
    with pytest.raises(DataError, match=r'"10 4" on line 6, which is not a number'):
        read(csv_text(lines))


def test_a_last_line_cut_off_is_a_message():
    text = csv_text(price_lines(41)).rstrip("\n")
    cut = text[: text.rindex(",") - 2]  # "...,140.5,9" lost its volume
    with pytest.raises(DataError, match=r"Line 42 of prices\.csv is cut off"):
        read(cut)
    assert len(read(text)) == 41  # no line break at the end is fine when the line is whole


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.encode("utf-16-be"),
        lambda text: text.encode("utf-32"),
        lambda text: text.encode("utf-32-le"),
        lambda text: gzip.compress(gzip.compress(text.encode())),
    ],
    ids=["utf-16", "utf-16-le-no-bom", "utf-16-be-no-bom", "utf-32", "utf-32-le-no-bom", "gzip2"],
)
def test_encodings_and_a_gzip_inside_a_gzip(encode):
    text = csv_text(price_lines())
    pd.testing.assert_frame_equal(read(encode(text)), read(text), check_like=False)


def test_implausible_prices_are_warnings_on_the_frame():
    lines = price_lines()
    lines[2] = "2021-01-06,0,102,103,101,100.5,-5"
    frame = read(csv_text(lines))
    warnings = frame.attrs["warnings"]
    assert any("zero or negative price (first 2021-01-06" in w for w in warnings)
    assert any("negative volume (first 2021-01-06)" in w for w in warnings)
    assert any("outside that day's Low to High range" in w for w in warnings)


def test_inspect_prints_the_facts_of_several_files(tmp_path, capsys):
    train = tmp_path / "Google_Stock_Price_Train.csv"
    test = tmp_path / "Google_Stock_Price_Test.csv"
    train.write_bytes(course_file(TRAIN_DAYS, 770.0))
    test.write_bytes(course_file(TEST_DAYS, 778.0))
    assert main(["inspect", str(train), str(test)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1] == f"{len(TRAIN_DAYS) + 20:,} trading days, 2016-09-01 to 2017-01-30"
    assert "Columns: Open, High, Low, Close, Volume" in printed
    assert "Dates: month first (10/11/2021)" in printed
    assert "Decimals: a dot (1,234.56); separator: comma; encoding: UTF-8" in printed


def test_inspect_of_a_refused_file_is_one_line_and_status_2(tmp_path, capsys):
    path = tmp_path / "Google_Stock_Price_Test.csv"
    path.write_bytes(course_file(TEST_DAYS, 778.0))
    assert main(["inspect", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("rnnstock: In Google_Stock_Price_Test.csv, there are only 20 days")


def test_the_facts_of_a_plain_yahoo_export(tmp_path):
    frame = read(csv_text(price_lines()))
    report = read_report(frame)
    assert (report.days, report.first, report.last) == (
        40,
        datetime.date(2021, 1, 4),
        datetime.date(2021, 2, 26),
    )
    assert report.columns == ("Open", "High", "Low", "Close", "Adj Close", "Volume")
    assert report.lines()[:2] == [
        "40 trading days, 2021-01-04 to 2021-02-26",
        "Columns: Open, High, Low, Close, Adj Close, Volume",
    ]
    assert HEADER.startswith("Date")


# -- found in review ---------------------------------------------------------------------


def test_old_mac_line_ends_read():
    text = csv_text(price_lines()).replace("\n", "\r")
    assert len(read(text)) == 40


def test_a_semicolon_file_with_three_decimal_dot_prices_is_never_read_a_thousand_times_too_big():
    lines = [f"{day:%Y-%m-%d};{995.5 + 0.231 * i:.3f}" for i, day in enumerate(DAYS)]
    frame = read(csv_text(lines, "Date;Close"))  # 1000.115 tells: the mark is a dot
    assert frame["Close"].iloc[0] == 995.5 and frame["Close"].iloc[-1] == pytest.approx(1004.509)
    assert read_report(frame).decimals == "a dot (1,234.56)"


def test_numbers_that_read_two_ways_are_a_warning():
    lines = [f"{day:%Y-%m-%d};3,750" for day in DAYS]
    frame = read(csv_text(lines, "Date;Close"))
    assert frame["Close"].iloc[0] == 3.75
    report = read_report(frame)
    assert report.decimals.endswith(
        "assumed from the ';' separator: no number in the file could tell"
    )
    (warning,) = report.warnings
    assert 'Numbers like "3,750" in the Close column can be read two ways' in warning
    assert "read as 3.75, but could be 3,750" in warning


def test_a_quote_never_closed_names_its_line():
    lines = price_lines()
    lines[20] = '"' + lines[20]
    with pytest.raises(DataError, match=r"Line 22 of prices\.csv opens a quote"):
        read(csv_text(lines))


def test_two_files_of_one_name_are_told_apart_and_a_blank_cell_is_no_conflict():
    whole = csv_text(price_lines(40)).encode()
    lines = price_lines(35)
    lines[3] = lines[3].rsplit(",", 1)[0] + ","  # no volume that day, in this file only
    blank_volume = csv_text(lines)
    frame = read_price_csvs([("prices.csv", whole), ("prices.csv", blank_volume.encode())])
    assert len(frame) == 40 and frame["Volume"].notna().all()
    other = csv_text(price_lines(35)).replace("2021-01-05,101,", "2021-01-05,109,").encode()
    with pytest.raises(DataError, match=r"prices\.csv \(file 1\) and prices\.csv \(file 2\)"):
        read_price_csvs([("prices.csv", whole), ("prices.csv", other)])
