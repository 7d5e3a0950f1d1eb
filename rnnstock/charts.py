"""Plotly figures in the tutorials' look: real prices in gray, predictions in red.

Fonts and lines are sized for a classroom projector.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnstock.baselines import PERSISTENCE, PERSISTENCE_LABEL, PERSISTENCE_SHORT

if TYPE_CHECKING:
    from rnnstock.experiment import ExperimentResult
    from rnnstock.training import EpochProgress
    from rnnstock.windows import Split

REAL = "#6b6b6b"
PREDICTED = "#d62728"
PERSISTENCE_COLOUR = "#1f77b4"
TRAIN = "#1f77b4"
TEST = "#ff7f0e"

PERSISTENCE_LINE = {"color": PERSISTENCE_COLOUR, "width": 1.5, "dash": "dot"}

# Streamlit's theme sets 12 px tick labels, axis titles and legends through the figure's
# template: too small for a projector. Sizes set on the figure itself win over the template.
TITLE_SIZE = 22
TEXT_SIZE = 16  # axis titles, annotations, buttons
TICK_SIZE = 15  # tick labels, legends, hover labels

# Title and legend at the top, placed in pixels from the figure's top: a legend that wraps
# pushes the plot down instead of running over the title (Plotly makes room for a legend
# placed in container coordinates, not for one above the plot in paper coordinates).
TITLE_BASE = 32  # from the top to the bottom of the title's first line; more lines go below
TITLE_LINE = 30
TITLE_CHARS = 56  # what fits of a 22 px title in a 560 px chart (1280 px at 125 % zoom)

# The price chart's range buttons: how far back from the last day each one shows
# (None: back to the 1st of January of the last day's year).
RANGES = (
    ("1m", pd.DateOffset(months=1)),
    ("6m", pd.DateOffset(months=6)),
    ("YTD", None),
    ("1y", pd.DateOffset(years=1)),
    ("5y", pd.DateOffset(years=5)),
)


def _title_lines(title: str) -> list[str]:
    """A title that would be cut in a narrow chart, in two lines: broken after a colon
    where both lines fit, else at the space nearest the middle."""
    spaces = [i for i, c in enumerate(title) if c == " "]
    if len(title) <= TITLE_CHARS or not spaces:
        return [title]
    fitting = [i for i in spaces if title[i - 1] == ":" and max(i, len(title) - i) <= TITLE_CHARS]
    cut = min(fitting or spaces, key=lambda i: abs(i - len(title) / 2))
    return [title[:cut], title[cut + 1 :]]


def _size(figure: go.Figure, height: int, *, above_plot: int = 20) -> go.Figure:
    """The figure's height, with the legend just under the title and ``above_plot`` pixels
    between the title and the plot where there is no legend."""
    lines = (figure.layout.title.text or "").count("<br>") + 1
    title_bottom = TITLE_BASE + TITLE_LINE * (lines - 1) + 8
    figure.update_layout(
        height=height,
        title_y=1 - TITLE_BASE / height,
        legend_y=1 - title_bottom / height,
        margin_t=title_bottom + above_plot,
    )
    return figure


def _style(figure: go.Figure, title: str, y_title: str, *, height: int = 450) -> go.Figure:
    figure.update_layout(
        title={
            "text": "<br>".join(_title_lines(title)),
            "font": {"size": TITLE_SIZE},
            # Anchored by its first line's bottom: Plotly moves a two-line title anchored
            # at its top up by half a line, past the top of the figure.
            "yref": "container",
            "yanchor": "bottom",
        },
        font={"size": TEXT_SIZE},
        hovermode="x unified",
        legend={"orientation": "h", "yref": "container", "yanchor": "top", "x": 0},
        legend_font_size=TICK_SIZE,
        hoverlabel_font_size=TICK_SIZE,
        margin={"l": 60, "r": 20, "b": 50},
        template="plotly_white",
    )
    figure.update_xaxes(tickfont_size=TICK_SIZE, title_font_size=TEXT_SIZE)
    figure.update_yaxes(tickfont_size=TICK_SIZE, title_font_size=TEXT_SIZE, title_text=y_title)
    return _size(figure, height)


def _fitted(low: float, high: float, *, floor: float | None = None) -> list[float]:
    """A y range showing ``low`` to ``high`` with 5% to spare each side (as Plotly's autorange
    pads a line), starting at ``floor`` when given."""
    low, high = float(low), float(high)
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
    return [low - pad if floor is None else floor, high + pad]


def range_buttons(
    dates: pd.DatetimeIndex, low: pd.Series, high: pd.Series, volume: pd.Series | None = None
) -> list[dict]:
    """Buttons that show the last month, six months, … with the y axes fitted to what is shown.

    Plotly's range selector moves only the x axis, and plotly.js computes a y autorange
    from all the data, never from the visible part, so a year of a 30-year history stayed
    a flat line at the top of the whole history's y range. Its "1m" also fell back to the
    whole history: set on the price axis, which follows the volume axis (shared x), the range
    was undone when the month's two-line date labels grew the margin (plotly.js 4.1 and 4.2).
    Each button here sets both x axes and both y ranges (price: ``low`` to ``high`` of the
    days shown; volume: 0 to its highest) in one relayout; "All" hands every axis back to
    autorange. A range as long as the history, or showing fewer than two days, gets no button.
    """
    first, last = dates[0], dates[-1]
    axes = ["", "2"] if volume is not None else [""]
    buttons = []
    for label, back in RANGES:
        start = last - back if back is not None else pd.Timestamp(year=last.year, month=1, day=1)
        shown = dates >= start
        if start <= first or shown.sum() < 2 or pd.isna(low[shown].min()):
            continue
        ranges = {f"xaxis{axis}.range": [f"{start:%Y-%m-%d}", f"{last:%Y-%m-%d}"] for axis in axes}
        ranges["yaxis.range"] = _fitted(low[shown].min(), high[shown].max())
        if volume is not None:
            most = volume[shown].max()
            ranges["yaxis2.range"] = _fitted(0.0, 0.0 if pd.isna(most) else float(most), floor=0.0)
        buttons.append({"label": label, "method": "relayout", "args": [ranges]})
    everything = {f"{xy}axis{axis}.autorange": True for xy in "xy" for axis in axes}
    buttons.append({"label": "All", "method": "relayout", "args": [everything]})
    return buttons


def price_figure(prices: pd.DataFrame, name: str, *, candlestick: bool = False) -> go.Figure:
    """The price history with volume below and range buttons that refit the y axes."""
    has_volume = "Volume" in prices.columns and prices["Volume"].notna().any()
    figure = make_subplots(
        rows=2 if has_volume else 1,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.75, 0.25] if has_volume else [1.0],
        vertical_spacing=0.03,
    )
    ohlc = all(c in prices.columns for c in ("Open", "High", "Low", "Close"))
    if candlestick and ohlc:
        low, high = prices["Low"], prices["High"]
        figure.add_trace(
            go.Candlestick(
                x=prices.index,
                open=prices["Open"],
                high=high,
                low=low,
                close=prices["Close"],
                name="Price",
            ),
            row=1,
            col=1,
        )
    else:
        column = "Close" if "Close" in prices.columns else prices.columns[0]
        low = high = prices[column]
        figure.add_trace(
            go.Scatter(x=prices.index, y=prices[column], name=column, line={"color": REAL}),
            row=1,
            col=1,
        )
    if has_volume:
        # A filled line, not bars: thousands of days are thinner than a pixel each as bars,
        # and the browser drew the MSFT sample's 7,983 bars in 0.85 s against 0.1 s for
        # one filled path (headless Chromium), on a page a class is waiting for.
        figure.add_trace(
            go.Scatter(
                x=prices.index,
                y=prices["Volume"],
                name="Volume",
                mode="lines",
                fill="tozeroy",
                line={"color": "#4a90c2", "width": 1},
            ),
            row=2,
            col=1,
        )
    figure.update_xaxes(rangeslider_visible=False)
    _style(figure, f"{name} price", "Price")
    _size(figure, 450, above_plot=44)  # the range buttons sit there
    volume = prices["Volume"] if has_volume else None
    figure.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "buttons": range_buttons(prices.index, low, high, volume),
                # A highlighted button would go on claiming its range after a zoom.
                "showactive": False,
                "x": 0,
                "xanchor": "left",
                "y": 1.02,
                "yanchor": "bottom",
                "pad": {"t": 0, "r": 0, "b": 0, "l": 0},
            }
        ],
        # The axes say what each panel is; a legend would sit on the range buttons.
        showlegend=False,
    )
    if has_volume:
        figure.update_yaxes(title_text="Volume", row=2, col=1)
    return figure


def split_figure(split: Split, name: str) -> go.Figure:
    """The tutorial's split plot: training period and test period in two colours."""
    train, test = split.train, split.test
    train_label = f"Train (before {test.index[0]:%Y-%m-%d})"
    test_label = f"Test ({test.index[0]:%Y-%m-%d} and beyond)"
    if train.index[-1].year < test.index[0].year and test.index[0].month == 1:
        year = test.index[0].year
        train_label, test_label = f"Train (before {year})", f"Test ({year} and beyond)"
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=train.index, y=train, name=train_label, line={"color": TRAIN}))
    figure.add_trace(go.Scatter(x=test.index, y=test, name=test_label, line={"color": TEST}))
    return _style(figure, f"{name} stock price", f"{split.series.name}")


def prediction_figure(
    result: ExperimentResult,
    *,
    show_train_fit: bool = False,
    show_persistence: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Real vs predicted on the test days, as the tutorials plot it."""
    predictions = result.predictions
    target = result.spec.split.target
    figure = go.Figure()
    if show_train_fit:
        train = result.windows.split.train
        figure.add_trace(
            go.Scatter(
                x=train.index,
                y=train,
                name="Real (training)",
                line={"color": REAL, "width": 1},
                opacity=0.6,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=result.train_fit.index,
                y=result.train_fit,
                name="Fit (training)",
                line={"color": PREDICTED, "width": 1},
                opacity=0.6,
            )
        )
    figure.add_trace(
        go.Scatter(
            x=predictions.index,
            y=predictions["actual"],
            name="Real",
            line={"color": REAL, "width": 2.5},
        )
    )
    if show_persistence:
        figure.add_trace(
            go.Scatter(
                x=predictions.index,
                y=predictions[PERSISTENCE],
                name=PERSISTENCE_LABEL,
                line=PERSISTENCE_LINE,
            )
        )
    figure.add_trace(
        go.Scatter(
            x=predictions.index,
            y=predictions["predicted"],
            name=f"Predicted ({result.spec.model.cell})",
            line={"color": PREDICTED, "width": 2.5},
        )
    )
    name = title or f"{result.data_source or result.spec.data.name} {target} prediction"
    return _style(figure, name, f"{target} price")


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick_labels(values: np.ndarray, steps: np.ndarray) -> list[str]:
    """Each value to the precision its step needs: "0.012" while four decimals do,
    "5×10⁻⁵" (every label alike) below that."""
    places = -np.floor(np.log10(steps) + 1e-9).astype(int)
    if places.max() <= 4:
        return [f"{value:.{max(0, digits)}f}" for value, digits in zip(values, places, strict=True)]
    exponents = np.floor(np.log10(values) + 1e-9).astype(int)
    labels = []
    for value, exponent, digits in zip(values, exponents, places, strict=True):
        mantissa = f"{value / 10.0**exponent:.{max(0, exponent + digits)}f}"
        power = {0: "1", 1: "10"}.get(exponent, "10" + str(exponent).translate(SUPERSCRIPTS))
        labels.append(power if mantissa == "1" else f"{mantissa}×{power}")
    return labels


def log_ticks(low: float, high: float, *, least: int = 3, most: int = 7) -> tuple[list, list]:
    """Tick values and labels for a log axis from ``low`` to ``high`` (0 < low < high).

    At least ``least`` ticks at any span: powers of ten while the span holds that many
    (every 2nd, 5th, 10th, … one beyond ``most``), else 1, 2 and 5 of each decade (up to 8),
    else evenly spaced round values, as a loss that moves less than a decade needs.
    """
    tolerance = 1e-9
    decades = np.arange(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    for mantissas in ((1.0,), (1.0, 2.0, 5.0)):
        values = np.array([float(f"{m:g}e{d}") for d in decades for m in mantissas])
        values = values[(values >= low * (1 - tolerance)) & (values <= high * (1 + tolerance))]
        if len(values) >= least:
            if len(mantissas) == 1 and len(values) > most:  # many decades: every 2nd, 5th, …
                fewest = math.ceil(len(values) / most)
                every = min(
                    m * 10**k
                    for k in range(len(str(fewest)) + 1)
                    for m in (1, 2, 5)
                    if m * 10**k >= fewest
                )
                values = values[np.round(np.log10(values)).astype(int) % every == 0]
            steps = 10.0 ** np.floor(np.log10(values) + tolerance)
            return values.tolist(), _tick_labels(values, steps)
    top = math.ceil(math.log10(high - low))
    candidates = np.outer(10.0 ** np.arange(top, top - 4, -1), [1.0, 0.5, 0.2]).ravel()
    first = np.ceil(low / candidates - tolerance)
    counts = np.floor(high / candidates + tolerance) - first + 1
    pick = int(np.argmax(counts >= least))
    step = candidates[pick]
    places = -math.floor(math.log10(step) + tolerance)
    values = np.round((first[pick] + np.arange(counts[pick])) * step, places + 1)
    return values.tolist(), _tick_labels(values, np.full(len(values), step))


def learning_figure(
    test_days: pd.DataFrame, progress: EpochProgress, cell: str, target: str
) -> go.Figure:
    """The test days' predictions as the model stands after an epoch, beside the real
    prices (``test_days['actual']``), redrawn while it learns; the title keeps score."""
    from rnnstock.evaluation import rmse

    actual = test_days["actual"]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(x=actual.index, y=actual, name="Real", line={"color": REAL, "width": 2.5})
    )
    figure.add_trace(
        go.Scatter(
            x=actual.index,
            y=progress.predicted,
            name=f"Predicted ({cell}) after epoch {progress.epoch}",
            line={"color": PREDICTED, "width": 2.5},
        )
    )
    heading = f"Learning: epoch {progress.epoch} of {progress.epochs}"
    _style(figure, heading, f"{target} price")
    # Two lines, broken where the score starts: the chart often has half the page.
    score = (
        f"test RMSE {rmse(actual, progress.predicted):,.2f},"
        f" {PERSISTENCE_SHORT} {rmse(actual, test_days[PERSISTENCE]):,.2f}"
    )
    figure.update_layout(title_text=f"{heading}<br>{score}")
    _size(figure, 450)
    # Redrawn every second: the legend and any zoom stay where the user left them.
    figure.update_layout(uirevision="learning")
    return figure


def loss_figure(progress: list[EpochProgress]) -> go.Figure:
    """Training (and validation) loss by epoch, on a log scale as losses shrink by decades."""
    epochs = [p.epoch for p in progress]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=epochs,
            y=[p.loss for p in progress],
            name="Training loss",
            mode="lines+markers",
            line={"color": PREDICTED},
        )
    )
    if any(p.val_loss is not None for p in progress):
        figure.add_trace(
            go.Scatter(
                x=epochs,
                y=[p.val_loss for p in progress],
                name="Validation loss",
                mode="lines+markers",
                line={"color": PERSISTENCE_COLOUR},
            )
        )
    # Short: the chart often has a third of the page's width.
    _style(figure, "Loss (MSE, scaled prices)", "Loss", height=360)
    figure.update_yaxes(type="log")
    losses = np.array([v for p in progress for v in (p.loss, p.val_loss) if v is not None])
    losses = losses[np.isfinite(losses) & (losses > 0)]
    if len(losses):
        # The range and its ticks set here: Plotly's own pick with one tick a decade left a
        # loss that moved less than a decade (most trainings) with one tick, or none.
        low, high = math.log10(losses.min()), math.log10(losses.max())
        pad = max((high - low) * 0.05, 0.02)
        values, labels = log_ticks(10 ** (low - pad), 10 ** (high + pad))
        figure.update_yaxes(
            range=[low - pad, high + pad], tickmode="array", tickvals=values, ticktext=labels
        )
    figure.update_xaxes(title_text="Epoch", dtick=1 if len(epochs) <= 12 else None)
    return figure


def gradient_figure(factors: pd.DataFrame, window: int) -> go.Figure:
    """The Learn page's |w|^k curves on a log scale, with the window's first day marked."""
    colours = ["#2ca02c", "#1f77b4", REAL, "#ff7f0e", PREDICTED]
    figure = go.Figure()
    for index, column in enumerate(factors.columns):
        figure.add_trace(
            go.Scatter(
                x=factors.index,
                y=factors[column],
                name=column,
                line={"color": colours[index % len(colours)], "width": 2.5},
            )
        )
    figure.add_vline(x=window - 1, line={"dash": "dash", "color": REAL})  # its first day
    _style(
        figure,
        "How much gradient reaches a day k steps back",
        "Gradient factor |w|ᵏ",
        height=420,
    )
    figure.update_yaxes(type="log", exponentformat="power")
    factors_shown = factors.to_numpy().ravel()
    factors_shown = factors_shown[np.isfinite(factors_shown) & (factors_shown > 0)]
    if len(factors_shown) and factors_shown.min() < factors_shown.max():
        # Up to 7 labels at any window: a tick every 2 decades crowded 15 of them.
        values, labels = log_ticks(factors_shown.min(), factors_shown.max())
        figure.update_yaxes(tickmode="array", tickvals=values, ticktext=labels)
    figure.update_xaxes(
        title_text=f"Steps back (k); dashed: the first day of your {window}-day window"
    )
    return figure


def scaling_figure(split: Split, name: str) -> go.Figure:
    """Train and test prices with the training minimum and maximum: the scaler's 0 and 1."""
    figure = split_figure(split, name)
    train = split.train
    for value, label in (
        (train.min(), "training minimum → 0"),
        (train.max(), "training maximum → 1"),
    ):
        figure.add_hline(
            y=float(value),
            line={"dash": "dash", "color": REAL},
            annotation_text=label,
            annotation_position="top left",
        )
    return _size(figure, 420)


# One colour per architecture, the same on every page of a comparison.
CELL_COLOURS = {"LSTM": PREDICTED, "GRU": "#2ca02c", "SimpleRNN": "#9467bd"}


def comparison_figure(
    predictions: dict[str, pd.Series], actual: pd.Series, persistence: pd.Series, title: str
) -> go.Figure:
    """Real prices, every model's predictions and persistence on the same test days."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(x=actual.index, y=actual, name="Real", line={"color": REAL, "width": 2.5})
    )
    figure.add_trace(
        go.Scatter(
            x=persistence.index,
            y=persistence,
            name=PERSISTENCE_LABEL,
            line=PERSISTENCE_LINE,
        )
    )
    for cell, series in predictions.items():
        figure.add_trace(
            go.Scatter(
                x=series.index,
                y=series,
                name=f"Predicted ({cell})",
                line={"color": CELL_COLOURS.get(cell, TEST), "width": 2},
            )
        )
    figure.update_traces(hovertemplate="%{y:,.2f}")
    return _style(figure, title, f"{actual.name or 'Price'} price")


def forecast_figure(history: pd.Series, forecast: pd.DataFrame, cell: str) -> go.Figure:
    """The recent history, the recursive forecast past the last day, and persistence."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(x=history.index, y=history, name="Real", line={"color": REAL, "width": 2.5})
    )
    # Both forecasts start from the last real price so the lines join the history.
    anchor = pd.Series([history.iloc[-1]], index=history.index[-1:])
    for column, name, line in (
        (
            PERSISTENCE,
            PERSISTENCE_LABEL,
            PERSISTENCE_LINE,
        ),
        ("forecast", f"Forecast ({cell}, recursive)", {"color": PREDICTED, "width": 2.5}),
    ):
        series = pd.concat([anchor, forecast[column]])
        figure.add_trace(
            go.Scatter(
                x=series.index,
                y=series,
                name=name,
                line=line,
                mode="lines+markers",
                marker={"size": 5},
            )
        )
    figure.add_vline(x=history.index[-1], line={"dash": "dash", "color": REAL})
    return _style(
        figure,
        f"{len(forecast)} business days past {history.index[-1]:%Y-%m-%d}",
        f"{history.name or 'Price'} price",
    )


def backtest_figure(
    actual: pd.Series, paths: pd.DataFrame, cell: str, *, shown: int = 8
) -> go.Figure:
    """The real test prices with the recursive forecast started on past days
    (``shown`` of the backtest's starts, evenly spaced, so the paths stay apart)."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(x=actual.index, y=actual, name="Real", line={"color": REAL, "width": 2})
    )
    starts = np.sort(paths["start"].unique())
    picks = np.unique(np.linspace(0, len(starts) - 1, num=min(shown, len(starts))).round())
    paths = paths[paths["start"].isin(starts[picks.astype(int)])]
    for index, (start, path) in enumerate(paths.groupby("start", sort=True)):
        figure.add_trace(
            go.Scatter(
                x=path["date"],
                y=path["forecast"],
                mode="lines",
                name=f"Forecast ({cell}) from each start",
                legendgroup="paths",
                showlegend=index == 0,
                line={"color": PREDICTED, "width": 2},
                hovertemplate=f"from {start:%Y-%m-%d}: %{{y:,.2f}}<extra></extra>",
            )
        )
    return _style(
        figure,
        "Backtest: the same forecast started on past test days",
        f"{actual.name or 'Price'} price",
    )


def horizon_figure(errors: pd.DataFrame, cell: str) -> go.Figure:
    """RMSE by how many days ahead: the model's recursive forecast against persistence."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=errors.index,
            y=errors["model"],
            name=f"{cell} (recursive)",
            mode="lines+markers",
            line={"color": PREDICTED, "width": 2.5},
        )
    )
    figure.add_trace(
        go.Scatter(
            x=errors.index,
            y=errors[PERSISTENCE],
            name=PERSISTENCE_LABEL,
            mode="lines+markers",
            line={"color": PERSISTENCE_COLOUR, "width": 2, "dash": "dot"},
        )
    )
    _style(figure, "Error by days ahead (backtest RMSE)", "RMSE", height=380)
    figure.update_xaxes(title_text="Days ahead", dtick=1 if len(errors) <= 20 else None)
    return figure


def spread_figure(rmses: dict[str, object], persistence_rmse: float) -> go.Figure:
    """Each model's test RMSE over several seeds, one dot per seed, beside persistence."""
    figure = go.Figure()
    for cell, values in rmses.items():
        figure.add_trace(
            go.Box(
                y=list(values),
                name=cell,
                boxpoints="all",
                jitter=0.3,
                pointpos=0,
                marker={"color": CELL_COLOURS.get(cell, TEST), "size": 10},
                line={"color": CELL_COLOURS.get(cell, TEST)},
                hovertemplate="RMSE %{y:,.2f}<extra>" + cell + "</extra>",
            )
        )
    figure.add_hline(
        y=persistence_rmse,
        line={"dash": "dot", "color": PERSISTENCE_COLOUR},
        annotation_text=f"{PERSISTENCE_SHORT}: {persistence_rmse:,.2f}",
        annotation_position="top left",
    )
    _style(
        figure,
        "Test RMSE of each seed: is the difference bigger than the spread?",
        "RMSE",
        height=400,
    )
    figure.update_layout(showlegend=False, hovermode="closest")
    return figure


# -- the Mistakes page ------------------------------------------------------------------------

if TYPE_CHECKING:
    from rnnstock.mistakes import Chart as MistakeChart

WRONG_WAY = PREDICTED  # the tutorial's way, in the tutorials' red
RIGHT_WAY = "#2ca02c"
MISTAKE_COLOURS = (WRONG_WAY, RIGHT_WAY, PERSISTENCE_COLOUR, TEST)


def mistake_figure(chart: MistakeChart) -> go.Figure:
    """A measured mistake's chart (``rnnstock.mistakes.Chart``): the tutorial's way in red
    beside the right way in green, the real prices in gray."""
    if chart.kind == "spread":
        return spread_figure(chart.groups, chart.line)
    figure = go.Figure()
    if chart.kind == "bars":
        labels, values = list(chart.bars), list(chart.bars.values())
        colours = [*MISTAKE_COLOURS[:1], REAL, *MISTAKE_COLOURS[1:]]
        figure.add_trace(
            go.Bar(
                x=labels,
                y=values,
                marker_color=colours[: len(labels)],
                text=[f"{value:,.2f}" for value in values],
                textposition="outside",
                textfont_size=TICK_SIZE,
                cliponaxis=False,
                hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
            )
        )
        _style(figure, chart.title, chart.y_title, height=380)
        figure.update_layout(showlegend=False, hovermode="closest")
        figure.update_yaxes(range=_fitted(0, max(values) * 1.1, floor=0))
        return figure
    colours = iter(MISTAKE_COLOURS)
    for name, series in chart.series.items():
        real = name == "Real"
        figure.add_trace(
            go.Scatter(
                x=series.index,
                y=series,
                name=name,
                mode="lines",
                line={"color": REAL if real else next(colours), "width": 2.5 if real else 2},
            )
        )
    for start, end, label in chart.spans:
        figure.add_vrect(
            x0=start,
            x1=end,
            fillcolor=REAL,
            opacity=0.15,
            line_width=0,
            annotation_text=label,
            annotation_position="top left",
        )
    if chart.kind == "losses":
        for colour, (name, epoch) in zip(MISTAKE_COLOURS, chart.marks.items(), strict=False):
            figure.add_vline(x=epoch, line={"dash": "dash", "color": colour, "width": 2})
            figure.add_annotation(
                x=epoch,
                y=1,
                yref="paper",
                text=f"kept: {epoch}",
                showarrow=False,
                font={"color": colour},
                xanchor="left",
                yanchor="top",
                hovertext=name,
            )
        _style(figure, chart.title, chart.y_title, height=380)
        epochs = max((len(series) for series in chart.series.values()), default=1)
        figure.update_yaxes(type="log")
        figure.update_xaxes(title_text="Epoch", tick0=1, dtick=max(1, math.ceil(epochs / 8)))
        figure.update_traces(hovertemplate="%{y:.2e}")
        return figure
    figure.update_traces(hovertemplate="%{y:,.2f}")
    return _style(figure, chart.title, chart.y_title, height=400)


# -- inside the model (rnnstock.inside): one test day's window, gates and states -------------

if TYPE_CHECKING:
    from rnnstock.inside import DayInside, Steps

INSIDE_GATE_SCALE = "Viridis"  # 0…1, dark to bright: a shut gate is dark, an open one bright
INSIDE_STATE_SCALE = "RdBu_r"  # below 0 blue, 0 white, above 0 red
INSIDE_UP, INSIDE_DOWN = PREDICTED, PERSISTENCE_COLOUR  # bars that raise / lower the prediction


def _day_labels(dates) -> list[str]:
    """Each step of a window labelled by its day: the steps are evenly spaced, as the model
    reads them, whatever weekends and holidays lie between."""
    return [f"{day:%Y-%m-%d}" for day in dates]


def _day_ticks(days: list[str], most: int = 8) -> dict:
    """At most ``most`` of the days labelled, evenly spaced and counted back from the last
    (the day nearest the prediction always has its date), so that they fit side by side."""
    every = math.ceil(len(days) / most)
    shown = days[::-1][::every][::-1]
    return {"type": "category", "tickmode": "array", "tickvals": shown, "ticktext": shown}


def inside_window_figure(inside: DayInside, target: str) -> go.Figure:
    """The window's prices and what the model made of them (top), and under each input day
    the gradient: how far the prediction moves per dollar that day's price moves (bottom)."""
    days = _day_labels(inside.dates)
    day = f"{inside.day:%Y-%m-%d}"
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.55, 0.45],
        vertical_spacing=0.14,
        subplot_titles=["", "How much each day moved the prediction"],
    )
    figure.add_trace(
        go.Scatter(
            x=days,
            y=inside.prices,
            name="Prices that went in",
            mode="lines+markers",
            line={"color": REAL, "width": 2.5},
            marker={"size": 6},
            hovertemplate="%{y:,.2f}",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=[days[-1], day],
            y=[inside.prices.iloc[-1], inside.predicted],
            name=f"Predicted for {day}",
            mode="lines+markers",
            line={"color": PREDICTED, "width": 2, "dash": "dot"},
            marker={"size": [0, 13], "color": PREDICTED},
            hovertemplate="%{y:,.2f}",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=[day],
            y=[inside.actual],
            name="Real",
            mode="markers",
            marker={"size": 13, "color": REAL, "symbol": "diamond-open", "line": {"width": 3}},
            hovertemplate="%{y:,.2f}",
        ),
        row=1,
        col=1,
    )
    gradient = inside.gradient.to_numpy()
    figure.add_trace(
        go.Bar(
            x=days,
            y=gradient,
            name="Effect of each day on the prediction",
            marker_color=[INSIDE_UP if value >= 0 else INSIDE_DOWN for value in gradient],
            hovertemplate="%{y:+.3f} per $1",
            showlegend=False,
        ),
        row=2,
        col=1,
    )
    _style(figure, f"The {len(days)} days that went in for {day}", "", height=560)
    figure.update_yaxes(title_text=f"{target} price", row=1, col=1)
    figure.update_yaxes(title_text="Effect per $1", zeroline=True, zerolinecolor=REAL, row=2, col=1)
    figure.update_xaxes(
        categoryorder="array", categoryarray=[*days, day], **_day_ticks([*days, day])
    )
    for annotation in figure.layout.annotations:  # the lower row's title
        annotation.update(font_size=TEXT_SIZE, x=0, xanchor="left")
    return figure


def _colorbar(figure: go.Figure, row: int) -> dict:
    """A colour bar beside one row of a subplot figure, as tall as that row."""
    low, high = figure.layout[f"yaxis{row if row > 1 else ''}"].domain
    return {
        "y": (low + high) / 2,
        "len": high - low,
        "yanchor": "middle",
        "thickness": 14,
        "x": 1.01,
        "xanchor": "left",
        "tickfont": {"size": TICK_SIZE},
    }


def inside_layer_figure(inside: DayInside, steps: Steps) -> go.Figure:
    """One recurrent layer (one direction of it): each gate and state as units × days.

    Gates share one scale, 0 (shut) to 1 (open). States are centred on 0; a tanh or
    sigmoid hidden state is drawn on its fixed -1…1 range, the cell state (no bounds)
    on this window's largest value.
    """
    from rnnstock.inside import GATE_QUANTITIES, QUANTITY_HINTS, QUANTITY_NAMES, SHOWN

    shown = SHOWN[steps.cell]
    frames = inside.frames(steps)
    days = _day_labels(inside.step_dates)
    units = steps.units
    row_height = int(min(240, max(90, 16 * units + 20)))
    gap = 44  # pixels for each row's title
    height = 90 + len(shown) * (row_height + gap) + 50
    figure = make_subplots(
        rows=len(shown),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=gap / (height - 140),
        subplot_titles=[f"{QUANTITY_NAMES[name]}: {QUANTITY_HINTS[name]}" for name in shown],
    )
    activation = steps.layer.directions[0].activation
    for row, name in enumerate(shown, start=1):
        values = frames[name].to_numpy()
        if name in GATE_QUANTITIES:
            scale = {"colorscale": INSIDE_GATE_SCALE, "zmin": 0.0, "zmax": 1.0}
            ticks = {"tickvals": [0, 0.5, 1], "ticktext": ["0 shut", "0.5", "1 open"]}
        else:
            bounded = name == "hidden" and activation in ("tanh", "sigmoid")
            reach = 1.0 if bounded else float(np.abs(values).max()) or 1.0
            scale = {"colorscale": INSIDE_STATE_SCALE, "zmid": 0.0, "zmin": -reach, "zmax": reach}
            ticks = {"tickvals": [-1, 0, 1]} if bounded else {"nticks": 4}
        figure.add_trace(
            go.Heatmap(
                z=values,
                x=days,
                y=list(range(1, units + 1)),
                **scale,
                colorbar=_colorbar(figure, row) | ticks,
                hovertemplate=(
                    f"%{{x}}<br>unit %{{y}}<br>{QUANTITY_NAMES[name]}: %{{z:.3f}}<extra></extra>"
                ),
            ),
            row=row,
            col=1,
        )
    title = f"Layer {steps.position}: {steps.cell}({units})"
    if steps.direction:
        title += f", {steps.direction} direction"
    _style(figure, title, "unit", height=height)
    figure.update_layout(hovermode="closest", showlegend=False, margin_r=110)
    figure.update_xaxes(showgrid=False, **_day_ticks(days))
    figure.update_yaxes(autorange="reversed", showgrid=False, dtick=1 if units <= 12 else None)
    for annotation in figure.layout.annotations:  # the rows' titles
        annotation.update(font_size=TEXT_SIZE, x=0, xanchor="left")
    return figure
