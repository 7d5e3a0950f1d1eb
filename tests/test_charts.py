"""The figures' settings: range buttons that refit y, readable log ticks, titles that fit."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rnnstock import charts
from rnnstock.baselines import PERSISTENCE_LABEL, PERSISTENCE_SHORT
from rnnstock.training import EpochProgress
from tests.conftest import make_prices

# -- the price chart's range buttons ------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_prices(1600)  # 2015-01-01 to 2021-02-17 (a Wednesday): a range for every button


def buttons_of(figure) -> dict[str, dict]:
    [menu] = figure.layout.updatemenus
    return {button.label: button.args[0] for button in menu.buttons}


def test_every_range_button_shows_its_range_back_from_the_last_day(history):
    buttons = buttons_of(charts.price_figure(history, "Test"))
    assert list(buttons) == ["1m", "6m", "YTD", "1y", "5y", "All"]
    starts = {label: args["xaxis.range"][0] for label, args in buttons.items() if label != "All"}
    assert starts == {
        "1m": "2021-01-17",
        "6m": "2020-08-17",
        "YTD": "2021-01-01",
        "1y": "2020-02-17",
        "5y": "2016-02-17",
    }
    for label, args in buttons.items():
        if label != "All":
            assert args["xaxis.range"][1] == "2021-02-17"
            # Both x axes: set on the price axis alone, "1m" was undone by the redraw
            # its two-line date labels caused, and showed the whole history.
            assert args["xaxis2.range"] == args["xaxis.range"]


def test_every_range_button_fits_both_y_axes_to_the_days_it_shows(history):
    buttons = buttons_of(charts.price_figure(history, "Test"))
    for label, args in buttons.items():
        if label == "All":
            continue
        shown = history.loc[args["xaxis.range"][0] :]
        low, high = shown["Close"].min(), shown["Close"].max()
        bottom, top = args["yaxis.range"]
        assert bottom < low and high < top, label
        assert (top - bottom) == pytest.approx((high - low) * 1.1), label  # 5% to spare a side
        assert args["yaxis2.range"] == pytest.approx([0, shown["Volume"].max() * 1.05]), label
    # A month is a small part of the whole history's price range.
    whole = history["Close"].max() - history["Close"].min()
    assert np.diff(buttons["1m"]["yaxis.range"])[0] < whole / 3


def test_all_hands_every_axis_back_to_autorange(history):
    figure = charts.price_figure(history, "Test")
    assert buttons_of(figure)["All"] == {
        "xaxis.autorange": True,
        "xaxis2.autorange": True,
        "yaxis.autorange": True,
        "yaxis2.autorange": True,
    }
    # Nothing else moves only the x axis: no range selector, no fixed y range.
    assert not figure.layout.xaxis.rangeselector.buttons
    assert figure.layout.yaxis.range is None and not figure.layout.yaxis.fixedrange


def test_candlesticks_are_fitted_from_their_lows_and_highs(history):
    args = buttons_of(charts.price_figure(history, "Test", candlestick=True))["6m"]
    shown = history.loc[args["xaxis.range"][0] :]
    bottom, top = args["yaxis.range"]
    assert bottom < shown["Low"].min() < shown["Close"].min()
    assert top > shown["High"].max() > shown["Close"].max()


def test_a_short_history_without_volume_gets_the_buttons_it_can_use():
    prices = make_prices(70).drop(columns="Volume")  # about 3 months
    buttons = buttons_of(charts.price_figure(prices, "Short"))
    assert list(buttons) == ["1m", "All"]
    assert set(buttons["1m"]) == {"xaxis.range", "yaxis.range"}
    assert buttons["All"] == {"xaxis.autorange": True, "yaxis.autorange": True}


# -- the loss chart's log axis ------------------------------------------------------------


def progress(losses, val_losses=None) -> list[EpochProgress]:
    val_losses = val_losses or [None] * len(losses)
    return [
        EpochProgress(epoch, len(losses), loss, val, 0.5, 0.5 * epoch)
        for epoch, (loss, val) in enumerate(zip(losses, val_losses, strict=True), start=1)
    ]


def visible_ticks(axis) -> list[float]:
    low, high = (10**end for end in axis.range)
    return [value for value in axis.tickvals if low <= value <= high]


def test_a_loss_that_moves_less_than_a_decade_gets_readable_ticks():
    figure = charts.loss_figure(progress(list(np.linspace(0.012, 0.009, 10))))
    axis = figure.layout.yaxis
    assert axis.type == "log"
    assert visible_ticks(axis) == pytest.approx([0.009, 0.010, 0.011, 0.012])
    assert axis.ticktext == ("0.009", "0.010", "0.011", "0.012")


@pytest.mark.parametrize(
    "losses",
    [
        [0.0123],  # one epoch
        [0.01, 0.01, 0.01],  # flat
        [0.0101, 0.01],
        list(np.geomspace(0.05, 0.002, 8)),  # 1.4 decades: one power of ten inside
        list(np.geomspace(0.2, 1e-6, 20)),
        list(np.geomspace(3.0, 1e-9, 40)),
    ],
)
def test_the_loss_axis_has_at_least_three_ticks_at_any_span(losses):
    axis = charts.loss_figure(progress(losses)).layout.yaxis
    ticks = visible_ticks(axis)
    assert 3 <= len(ticks) <= 8
    assert min(losses) >= 10 ** axis.range[0] and max(losses) <= 10 ** axis.range[1]
    assert len(set(axis.ticktext)) == len(axis.ticktext)


def test_the_loss_axis_covers_the_validation_loss_and_survives_a_diverged_epoch():
    figure = charts.loss_figure(progress([0.02, float("nan"), 0.01], [0.05, 0.04, float("inf")]))
    low, high = (10**end for end in figure.layout.yaxis.range)
    assert low < 0.01 and high > 0.05


def test_log_ticks_are_few_distinct_and_inside_the_span_from_a_hair_to_thirty_decades():
    for low in np.geomspace(1e-12, 10, 23):
        for decades in [1e-4, 0.01, 0.1, 0.5, 0.9, 1.2, 2, 3.5, 8, 30]:
            high = low * 10**decades
            values, labels = charts.log_ticks(low, high)
            assert 3 <= len(values) <= 8, (low, high)
            assert values == sorted(values) and len(set(labels)) == len(labels), (low, high)
            assert low * (1 - 1e-9) <= values[0] and values[-1] <= high * (1 + 1e-9)


def test_log_tick_labels_read_as_numbers_then_as_powers_of_ten():
    assert charts.log_ticks(0.002, 0.05)[1] == ["0.002", "0.005", "0.01", "0.02", "0.05"]
    assert charts.log_ticks(1e-6, 0.2)[1] == ["10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹"]
    assert charts.log_ticks(2e-5, 3e-5)[1] == ["2.0×10⁻⁵", "2.5×10⁻⁵", "3.0×10⁻⁵"]


def test_the_gradient_chart_labels_at_most_seven_powers_of_ten():
    from rnnstock.learn import gradient_factors

    axis = charts.gradient_figure(gradient_factors(59), 60).layout.yaxis
    assert axis.ticktext == ("10⁻¹⁵", "10⁻¹⁰", "10⁻⁵", "1", "10⁵", "10¹⁰")


# -- what a class reads: fonts, titles, legends, names ------------------------------------


def every_figure(history) -> list:
    from rnnstock.learn import gradient_factors
    from rnnstock.windows import Split

    split = Split(history["Close"], 0, 1200, 1600)
    test = split.test
    predictions = pd.DataFrame(
        {"actual": test, "predicted": test * 0.9, "persistence": test.shift(1)}
    )
    result = SimpleNamespace(
        predictions=predictions,
        spec=SimpleNamespace(
            split=SimpleNamespace(target="Close"), model=SimpleNamespace(cell="GRU")
        ),
        windows=SimpleNamespace(split=split),
        train_fit=split.train,
        data_source="Yahoo Finance MSFT (downloaded 2026-01-01)",
    )
    return [
        charts.price_figure(history, "Test"),
        charts.split_figure(split, "Test"),
        charts.scaling_figure(split, "Test"),
        charts.prediction_figure(result, show_train_fit=True, show_persistence=True),
        charts.comparison_figure(
            {"LSTM": test, "GRU": test}, test, test.shift(1), "A title: real vs each model"
        ),
        charts.loss_figure(progress([0.1, 0.05], [0.2, 0.1])),
        charts.gradient_figure(gradient_factors(9), 10),
        charts.spread_figure({"LSTM": [1.0, 2.0], "GRU": [1.5, 2.5]}, 0.5),
    ]


def test_tick_labels_and_legends_are_sized_on_the_figure(history):
    """Streamlit's theme sets 12 px ticks and legends through the template; the figure's
    own sizes win over it."""
    for figure in every_figure(history):
        assert figure.layout.legend.font.size >= 15
        for axis in [*figure.select_xaxes(), *figure.select_yaxes()]:
            assert axis.tickfont.size >= 15 and axis.title.font.size >= 16


def test_long_titles_wrap_and_the_legend_sits_under_the_title(history):
    for figure in every_figure(history):
        layout = figure.layout
        lines = layout.title.text.split("<br>")
        assert len(lines) <= 2 and all(len(line) <= charts.TITLE_CHARS for line in lines)
        # In pixels from the top: the title's first line, then the legend, then the plot.
        title = (1 - layout.title.y) * layout.height
        legend = (1 - layout.legend.y) * layout.height
        assert layout.title.yref == layout.legend.yref == "container"
        assert title + (len(lines) - 1) * charts.TITLE_LINE < legend < layout.margin.t


def test_a_long_title_breaks_after_its_colon_or_near_its_middle():
    spread = charts.spread_figure({"LSTM": [1.0]}, 0.5)
    assert spread.layout.title.text == (
        "Test RMSE of each seed:<br>is the difference bigger than the spread?"
    )
    title = "Yahoo Finance MSFT (downloaded 2026-01-01) Close prediction"
    assert charts._title_lines(title) == [
        "Yahoo Finance MSFT (downloaded",
        "2026-01-01) Close prediction",
    ]
    assert charts._title_lines("Microsoft (MSFT) price") == ["Microsoft (MSFT) price"]


def test_the_baseline_is_named_as_in_the_tables(history):
    names = {trace.name for figure in every_figure(history) for trace in figure.data}
    assert PERSISTENCE_LABEL in names
    spread = charts.spread_figure({"LSTM": [1.0]}, 0.5)
    assert spread.layout.annotations[0].text == f"{PERSISTENCE_SHORT}: 0.50"


# -- in a browser: what Plotly.js does with the buttons -----------------------------------
