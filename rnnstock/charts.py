"""Plotly figures in the tutorials' look: real prices in gray, predictions in red.

Fonts and lines are sized for a classroom projector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from rnnstock.experiment import ExperimentResult
    from rnnstock.training import EpochProgress
    from rnnstock.windows import Split

REAL = "#6b6b6b"
PREDICTED = "#d62728"
PERSISTENCE = "#1f77b4"
TRAIN = "#1f77b4"
TEST = "#ff7f0e"

RANGE_BUTTONS = [
    {"count": 1, "label": "1m", "step": "month", "stepmode": "backward"},
    {"count": 6, "label": "6m", "step": "month", "stepmode": "backward"},
    {"count": 1, "label": "YTD", "step": "year", "stepmode": "todate"},
    {"count": 1, "label": "1y", "step": "year", "stepmode": "backward"},
    {"count": 5, "label": "5y", "step": "year", "stepmode": "backward"},
    {"step": "all", "label": "All"},
]


def _style(figure: go.Figure, title: str, y_title: str) -> go.Figure:
    figure.update_layout(
        title={"text": title, "font": {"size": 22}},
        font={"size": 16},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"l": 60, "r": 20, "t": 90, "b": 50},
        template="plotly_white",
    )
    figure.update_yaxes(title_text=y_title)
    return figure


def price_figure(prices: pd.DataFrame, name: str, *, candlestick: bool = False) -> go.Figure:
    """The price history with volume below and a range selector."""
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
        figure.add_trace(
            go.Candlestick(
                x=prices.index,
                open=prices["Open"],
                high=prices["High"],
                low=prices["Low"],
                close=prices["Close"],
                name="Price",
            ),
            row=1,
            col=1,
        )
    else:
        column = "Close" if "Close" in prices.columns else prices.columns[0]
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
    figure.update_xaxes(rangeselector={"buttons": RANGE_BUTTONS}, row=1, col=1)
    _style(figure, f"{name} price", "Price")
    if has_volume:
        figure.update_yaxes(title_text="Volume", row=2, col=1)
    # The axes say what each panel is; a legend would sit on the range buttons.
    figure.update_layout(showlegend=False)
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
                y=predictions["persistence"],
                name='Persistence ("tomorrow = today")',
                line={"color": PERSISTENCE, "width": 1.5, "dash": "dot"},
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
                line={"color": PERSISTENCE},
            )
        )
    _style(figure, "Loss (mean squared error, scaled prices)", "Loss")
    figure.update_yaxes(type="log", dtick=1, exponentformat="power")  # one tick a decade
    figure.update_xaxes(title_text="Epoch", dtick=1 if len(epochs) <= 12 else None)
    figure.update_layout(height=360)
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
    _style(figure, "How much gradient reaches a day k steps back", "Gradient factor |w|ᵏ")
    figure.update_yaxes(type="log", dtick=2, exponentformat="power")  # a tick every 2 decades
    figure.update_xaxes(
        title_text=f"Steps back (k); dashed: the first day of your {window}-day window"
    )
    figure.update_layout(height=420, hovermode="x unified")
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
    figure.update_layout(height=420)
    return figure


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
            name='Persistence ("tomorrow = today")',
            line={"color": PERSISTENCE, "width": 1.5, "dash": "dot"},
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
            "persistence",
            'Persistence ("tomorrow = today")',
            {"color": PERSISTENCE, "width": 1.5, "dash": "dot"},
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
            y=errors["persistence"],
            name='Persistence ("tomorrow = today")',
            mode="lines+markers",
            line={"color": PERSISTENCE, "width": 2, "dash": "dot"},
        )
    )
    _style(figure, "Error by days ahead (backtest RMSE)", "RMSE")
    figure.update_xaxes(title_text="Days ahead", dtick=1 if len(errors) <= 20 else None)
    figure.update_layout(height=380)
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
        line={"dash": "dot", "color": PERSISTENCE},
        annotation_text=f'"tomorrow = today": {persistence_rmse:,.2f}',
        annotation_position="top left",
    )
    _style(figure, "Test RMSE of each seed: is the difference bigger than the spread?", "RMSE")
    figure.update_layout(height=400, showlegend=False, hovermode="closest")
    return figure
