"""The tutorials' mistakes measured at full size, on the DataCamp tutorial's own CSV.

Each mistake of rnnstock.mistakes is trained the tutorial's way and the right way at
its tutorial's settings (seed 003: 2 x SimpleRNN(50) + Dense(25), window 120, batch 1,
1 epoch, on the last five years; seed 001: 3 x SimpleRNN(20), window 100, 80 epochs;
seed 000: LSTM(125) and GRU(125), window 60, 50 epochs, over 5 seeds from 455), the
same way ``python -m rnnstock mistakes --csv ...`` does, with the time of each training.

    .venv/bin/python -m bench.mistakes              # about 20-30 minutes on 2 cores
    .venv/bin/python -m bench.mistakes --epochs 3   # a smoke test

Writes bench/results/mistakes.json and prints every mistake's figures.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.common import MASTERCARD_CSV, loadavg, save


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mistakes")
    parser.add_argument(
        "--epochs", type=int, help="every training's epochs (default: each tutorial's)"
    )
    parser.add_argument("--seeds", type=int, help="seeds of the LSTM vs GRU verdict (default 5)")
    args = parser.parse_args(argv)

    from rnnstock.data import load_prices
    from rnnstock.mistakes import assess, plan, report_lines, run_plan
    from rnnstock.specs import DataSpec

    data = DataSpec("csv", str(MASTERCARD_CSV))
    prices = load_prices(data)
    measurement = plan(prices, data, epochs=args.epochs, seeds=args.seeds)
    trainings = measurement.unique()
    print(f"{len(trainings)} trainings, {measurement.epochs} epochs in all", flush=True)
    for note in measurement.notes:
        print(f"Note: {note}")
    started = time.perf_counter()
    load_before = loadavg()

    def on_training(index, count, training):
        print(
            f"[{index + 1}/{count}] {training.label} ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    runs = run_plan(measurement, prices, on_training)
    mistakes = assess(measurement, runs)
    lines = report_lines(mistakes)
    print("\n".join(lines))
    payload = {
        "data": data.describe(),
        "notes": list(measurement.notes),
        "seconds": round(time.perf_counter() - started, 1),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "trainings": [
            {
                "label": run.training.label,
                "variant": run.training.variant,
                "spec": run.training.spec.describe(),
                "epochs_run": run.history.epochs_run,
                "seconds": round(run.seconds, 1),
                "rmse": run.rmse,
            }
            for run in runs.values()
        ],
        "mistakes": [
            {
                "id": mistake.id,
                "title": mistake.title,
                "seed": mistake.seed,
                "settings": mistake.settings,
                "measured": mistake.measured,
                "wrong": {"label": mistake.wrong.label, "value": mistake.wrong.value},
                "right": {"label": mistake.right.label, "value": mistake.right.value},
                "difference": mistake.difference,
                "facts": list(mistake.facts),
                "why": mistake.why,
                "table": mistake.table.reset_index(names="row").to_dict(orient="records"),
            }
            for mistake in mistakes
        ],
        "report": lines,
    }
    print(f"written: {save('mistakes', payload)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
