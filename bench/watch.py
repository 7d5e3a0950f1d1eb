"""What watching a model learn costs: the DataCamp LSTM trained watched and unwatched.

A watched training (the Train page's) predicts the test days after its epochs so
the chart can redraw as the model learns (rnnstock.training.WATCH_SHARE). Both
sides train the ``datacamp-lstm`` preset on the tutorial's CSV in fresh processes,
alternating (A B, then B A), with the same seed; the figure is the fit's wall time
per epoch, the predictions between epochs included. Issue 15's target: at most
10 % more time per epoch.

    .venv/bin/python -m bench.watch [--epochs 20] [--reps 2]   # about 3 minutes

Writes bench/results/watch.json and prints a table.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from bench.common import MASTERCARD_CSV, loadavg, run_isolated, save, spread


def _train(watch: bool, epochs: int, seed: int) -> dict:
    from rnnstock.data import read_price_csv
    from rnnstock.experiment import run_experiment
    from rnnstock.presets import get_preset

    spec = get_preset("datacamp-lstm").spec
    spec = replace(spec, train=replace(spec.train, epochs=epochs, seed=seed))
    watched = []

    def on_epoch(progress) -> None:
        if progress.predicted is not None:
            watched.append(progress.epoch)

    result = run_experiment(
        spec, on_epoch=on_epoch, prices=read_price_csv(MASTERCARD_CSV), watch=watch
    )
    return {
        "fit_s_per_epoch": result.timings["fit"] / epochs,
        "watched_epochs": len(watched),
        "rmse": result.rmse,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.watch")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args(argv)
    runs: dict[str, list[dict]] = {"unwatched": [], "watched": []}
    for rep in range(args.reps):
        order = (False, True) if rep % 2 == 0 else (True, False)
        for watch in order:
            side = "watched" if watch else "unwatched"
            figures = run_isolated(_train, watch, args.epochs, 455 + rep)
            figures["load"] = loadavg()
            runs[side].append(figures)
            print(
                f"rep {rep + 1} {side:9} {figures['fit_s_per_epoch']:.3f} s/epoch,"
                f" {figures['watched_epochs']} of {args.epochs} epochs watched,"
                f" RMSE {figures['rmse']:.2f}",
                flush=True,
            )
    per_epoch = {side: spread([r["fit_s_per_epoch"] for r in rows]) for side, rows in runs.items()}
    ratios = [
        w["fit_s_per_epoch"] / u["fit_s_per_epoch"]
        for w, u in zip(runs["watched"], runs["unwatched"], strict=True)
    ]
    summary = {
        "epochs": args.epochs,
        "unwatched_s_per_epoch": per_epoch["unwatched"],
        "watched_s_per_epoch": per_epoch["watched"],
        "extra_time_pct": spread([100 * (r - 1) for r in ratios]),
        "target_pct": 10,
    }
    extra = summary["extra_time_pct"]
    print(
        f"\nWatched vs unwatched, {args.epochs} epochs of the DataCamp LSTM:"
        f" {extra['mean']:+.1f} % time per epoch (±{(extra['max'] - extra['min']) / 2:.1f}"
        f" across repetitions; target at most +10 %)"
    )
    path = save("watch", {"summary": summary, "runs": runs})
    print(f"Written to {path}")
    return summary


if __name__ == "__main__":
    main()
