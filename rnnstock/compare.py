"""Several architectures on identical data: the specs, the table and the ranking sentence.

The DataCamp tutorial trains an LSTM and a GRU once each and declares the
GRU better. One run per model cannot say that: a different seed moves the
RMSE too. So a comparison can repeat every model over several seeds, and the
ranking sentence says whether the gap between two models is larger than
their spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rnnstock.baselines import PERSISTENCE_LABEL, PERSISTENCE_SHORT
from rnnstock.settings import check
from rnnstock.specs import ExperimentSpec

if TYPE_CHECKING:
    from rnnstock.experiment import ExperimentResult


def comparison_specs(
    base: ExperimentSpec, cells: Sequence[str], repeats: int = 1
) -> list[ExperimentSpec]:
    """One spec per (architecture, seed): identical data, split, window, sizes and training.

    Seeds run ``base.train.seed``, ``+1``, … so repeat *k* of every model
    starts from the same seed and sees the same windows.
    """
    cells = check("cells", cells)  # known cells, each once, at least two
    repeats = check("repeats", repeats)
    return [
        base.replace(
            model=base.model.replace(cell=cell),
            train=base.train.replace(seed=base.train.seed + repeat),
        )
        for cell in cells
        for repeat in range(repeats)
    ]


@dataclass(frozen=True)
class Comparison:
    """Finished results of a comparison, grouped by architecture (in the order asked)."""

    results: dict[str, list[ExperimentResult]]

    @classmethod
    def of(cls, results: Sequence[ExperimentResult]) -> Comparison:
        grouped: dict[str, list[ExperimentResult]] = {}
        for result in results:
            grouped.setdefault(result.spec.model.cell, []).append(result)
        if not grouped:
            raise ValueError("No model of this comparison finished.")
        return cls(grouped)

    @property
    def cells(self) -> list[str]:
        return list(self.results)

    @property
    def repeats(self) -> int:
        return max(len(runs) for runs in self.results.values())

    def first(self, cell: str) -> ExperimentResult:
        """The run with the first seed (the one charted)."""
        return self.results[cell][0]

    @property
    def persistence_rmse(self) -> float:
        """Persistence on the shared test days (the same for every model)."""
        return next(iter(self.results.values()))[0].scores.persistence.rmse

    def rmses(self, cell: str) -> np.ndarray:
        return np.array([r.scores.model.rmse for r in self.results[cell]])

    def table(self) -> pd.DataFrame:
        """One row per architecture; with repeats, metrics are means over the seeds."""
        rows = {}
        for cell, runs in self.results.items():
            rmses = self.rmses(cell)
            row = {
                "RMSE": rmses.mean(),
                "MAE": np.mean([r.scores.model.mae for r in runs]),
                "MAPE %": np.mean([r.scores.model.mape for r in runs]),
                "Direction %": np.mean([r.scores.model.directional_accuracy for r in runs]),
                "Skill vs persistence": np.mean([r.scores.skill for r in runs]),
                "Parameters": runs[0].parameters,
                "s/epoch": np.mean([r.history.seconds_per_epoch for r in runs]),
                "Epochs run": np.mean([r.history.epochs_run for r in runs]),
            }
            if len(runs) > 1:
                row["RMSE spread (sd)"] = rmses.std(ddof=1)
                row["RMSE min"], row["RMSE max"] = rmses.min(), rmses.max()
                row["Seeds"] = len(runs)
            rows[cell] = row
        persistence = next(iter(self.results.values()))[0].scores.persistence
        rows[PERSISTENCE_LABEL] = {
            "RMSE": persistence.rmse,
            "MAE": persistence.mae,
            "MAPE %": persistence.mape,
            "Direction %": persistence.directional_accuracy,
            "Skill vs persistence": 0.0,
            # It learns nothing: no parameters, epochs or time to show ("–" on the page).
            "Parameters": np.nan,
            "s/epoch": np.nan,
            "Epochs run": np.nan,
        }
        return pd.DataFrame.from_dict(rows, orient="index")

    def ranking(self) -> str:
        """The ranking as measured, in sentences a teacher can read out."""
        means = {cell: float(self.rmses(cell).mean()) for cell in self.cells}
        order = sorted(means, key=means.get)
        best, worst = order[0], order[-1]
        listed = ", then ".join(f"{cell} (RMSE {means[cell]:.2f})" for cell in order)
        seeds = f"averaged over {self.repeats} seeds" if self.repeats > 1 else "this time"
        sentences = [f"Ranking {seeds}: {listed}."]
        within_noise = False
        if self.repeats > 1:
            runner_up = order[1]
            gap = means[runner_up] - means[best]
            spread = max(self.rmses(best).std(ddof=1), self.rmses(runner_up).std(ddof=1))
            if gap > 2 * spread:
                sentences.append(
                    f"{best}'s lead over {runner_up} ({gap:.2f}) is more than twice the"
                    f" seed-to-seed spread ({spread:.2f}), so it is unlikely to be luck."
                )
            else:
                within_noise = True
                sentences.append(
                    f"{best}'s lead over {runner_up} ({gap:.2f}) is within about twice the"
                    f" seed-to-seed spread ({spread:.2f}): on this data the difference could be"
                    " noise."
                )
        else:
            sentences.append(
                "One run per model: another seed could change the order; repeat over several"
                " seeds to see the spread."
            )
        persistence = self.persistence_rmse
        beaten = [cell for cell in order if means[cell] < persistence]
        if not beaten:
            sentences.append(
                f"{_capital(PERSISTENCE_SHORT)} (RMSE {persistence:.2f}) beat every model,"
                f" {best} included."
            )
        elif len(beaten) == len(order):
            sentences.append(f"Every model beat {PERSISTENCE_SHORT} (RMSE {persistence:.2f}).")
        else:
            sentences.append(
                f"Only {', '.join(beaten)} beat {PERSISTENCE_SHORT} (RMSE {persistence:.2f});"
                f" {worst} did not."
            )
        if {"LSTM", "GRU"} <= set(order):
            gru_ahead = means["GRU"] < means["LSTM"]
            if within_noise and {best, runner_up} == {"LSTM", "GRU"}:
                sentences.append(
                    "So the DataCamp tutorial's claim that GRU beats LSTM is neither confirmed"
                    " nor refuted here."
                )
            else:
                claim = "held" if gru_ahead else "did not hold"
                when = " this time" if self.repeats == 1 else ""
                sentences.append(
                    f"The DataCamp tutorial's claim that GRU beats LSTM {claim}{when} here."
                )
        return " ".join(sentences)


def _capital(text: str) -> str:
    """'"tomorrow = today"' -> '"Tomorrow = today"': a label that starts a sentence."""
    index = next((i for i, c in enumerate(text) if c.isalpha()), 0)
    return text[:index] + text[index].upper() + text[index + 1 :]
