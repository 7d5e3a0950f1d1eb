"""A finished run as files: its predictions (CSV), its model (.keras) and its chart (HTML).

Kept out of ``experiment.py`` so that running an experiment never imports Plotly;
the command line writes these files, the web app offers the same as downloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rnnstock.experiment import ExperimentResult


def save_run(result: ExperimentResult, folder: str | Path) -> dict[str, Path]:
    """Write predictions CSV, the model (.keras) and the chart (HTML) into ``folder``."""
    from rnnstock.charts import prediction_figure

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "predictions": folder / "predictions.csv",
        "chart": folder / "chart.html",
    }
    result.predictions.to_csv(paths["predictions"], index_label="Date", float_format="%.4f")
    prediction_figure(result).write_html(paths["chart"], include_plotlyjs="cdn")
    if result.has_model:
        paths["model"] = folder / "model.keras"
        paths["model"].write_bytes(result.model_bytes())
    return paths
