"""How much memory one training needs, measured beside rnnstock.sizes.training_memory_mb.

The specs refuse a model whose estimate is above settings.MEMORY_BUDGET_MB, so
the estimate must not be below what a training really takes. Each model trains
for one epoch through ``run_experiment`` (fused layers and XLA as in the app) in
a fresh process; its peak resident memory is compared with a tiny model's in the
same kind of process, which is TensorFlow's own share.

    .venv/bin/python -m bench.model_memory     # about 5 minutes on 2 cores

Writes bench/results/model-memory.json and prints a table.
"""

from __future__ import annotations

import resource
import sys

import numpy as np
import pandas as pd

from bench.common import loadavg, run_isolated, save

# (label, model, window, batch): the app's default, the DataCamp LSTM, and larger ones
# up to the budget, where the estimate must still hold.
MODELS = [
    ("tiny (TensorFlow's own share)", {"cell": "LSTM", "units": (2,)}, 2, 1),
    ("default LSTM(50)", {"cell": "LSTM", "units": (50,)}, 60, 32),
    ("DataCamp LSTM(125)", {"cell": "LSTM", "units": (125,)}, 60, 32),
    ("2 x LSTM(256), window 200, batch 200", {"cell": "LSTM", "units": (256, 256)}, 200, 200),
    ("2 x GRU(256) bidirectional, window 100, batch 256",
     {"cell": "GRU", "units": (256, 256), "bidirectional": True}, 100, 256),
    ("2 x SimpleRNN(512), window 200, batch 256",
     {"cell": "SimpleRNN", "units": (512, 512)}, 200, 256),
    ("LSTM(512), window 250, batch 160", {"cell": "LSTM", "units": (512,)}, 250, 160),
]  # fmt: skip


def _prices(days: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
    index = pd.bdate_range("1990-01-01", periods=days, name="Date")
    return pd.DataFrame({"Close": close}, index=index)


def _train_once(model: dict, window: int, batch: int) -> float:
    """Peak resident MB of a process that trains this model for one epoch."""
    from rnnstock.experiment import run_experiment
    from rnnstock.specs import DataSpec, ExperimentSpec, ModelSpec, SplitSpec, TrainSpec

    train_days = window + 4 * batch  # about four full batches of windows
    days = int(train_days / 0.95) + 30  # and enough test days to score
    spec = ExperimentSpec(
        data=DataSpec("sample", "synthetic"),
        split=SplitSpec(
            target="Close", window=window, train_fraction=max(0.5, min(0.95, train_days / days))
        ),
        model=ModelSpec(**model),
        train=TrainSpec(epochs=1, batch_size=batch),
    )
    run_experiment(spec, prices=_prices(days))
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure() -> dict:
    from rnnstock.settings import MEMORY_BUDGET_MB
    from rnnstock.sizes import training_memory_mb
    from rnnstock.specs import ModelSpec

    rows = []
    base = None
    for label, model, window, batch in MODELS:
        peak = run_isolated(_train_once, model, window, batch)
        base = peak if base is None else base
        estimate = training_memory_mb(ModelSpec(**model), window, batch)
        rows.append(
            {
                "model": label,
                "peak_mb": round(peak),
                "above_tensorflow_mb": round(peak - base),
                "estimate_mb": round(estimate),
                "estimate_over_measured": round(estimate / max(peak - base, 1), 2),
            }
        )
        print(
            f"{label:55} peak {peak:7.0f} MB, above TF {peak - base:6.0f} MB,"
            f" estimate {estimate:6.0f} MB",
            flush=True,
        )
    return {"budget_mb": MEMORY_BUDGET_MB, "load": loadavg(), "rows": rows}


def main() -> int:
    path = save("model-memory", measure())
    print(f"Written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
