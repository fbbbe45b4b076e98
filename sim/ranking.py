"""Does the ranking of rulebooks hold across the parameters the literature leaves open?

For a sweep that crosses rulebooks (a ``scenario`` factor, named ``variants``, or both) with a
sampled design (Sobol, Morris, latin hypercube) or with the posterior draws of ``uncertainty:
parameters``, every rulebook runs at the same points on the same seeds. At each point the
rulebooks are ranked on each outcome (the lowest first: under-treatment,
over-treatment and cost are all better low). The answer is, per outcome, the ranking of
the means over all points, the share of points whose full ranking is that one, and for
each pair of rulebooks the share of points where their order is the usual one; with the
worst point named, so a reader sees where the ranking turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.experiment import Experiment, design_points
from sim.sweep import read_sweep


def _short(name: str) -> str:
    return Path(str(name)).stem


def _rule(runs: pd.DataFrame) -> pd.Series:
    """Each run's rulebook: its scenario, its named variant, or both."""
    parts = [runs[c].map(_short) if c == "scenario" else runs[c].astype(str) for c in ("scenario", "named_variant") if c in runs]
    return parts[0] if len(parts) == 1 else parts[0] + " + " + parts[1]


@dataclass(frozen=True)
class Points:
    """Where a sweep's rulebooks ran alike: a row of values per point, a column per parameter, with each one's range."""

    names: list[str]
    values: np.ndarray
    low: dict[str, float]
    high: dict[str, float]


def rules_at_points(folder: Path, command: str) -> tuple[Experiment, Points, pd.DataFrame]:
    """A sweep that runs rulebooks at the same points: of a sampled design, or else of the posterior draws its replications
    ran (``uncertainty: parameters``). Returns its experiment, the points, and its finished runs with each one's ``point``
    and ``rule``."""
    from sim.validation.posterior import PRIORS

    manifest, runs = read_sweep(folder)
    experiment = Experiment.model_validate(manifest["plan"]["experiment"])
    drawn = experiment.uncertainty == "parameters" and "draw" in runs.columns
    if not ("scenario" in experiment.factors or experiment.variants) or not (experiment.sampled or drawn):
        raise UserError(f"{folder}: {command} needs an experiment that crosses rulebooks (a 'scenario' factor or named variants) with sampled factors or posterior draws.")
    if experiment.sampled:
        values = np.asarray(design_points(experiment), dtype=float)
        points = Points(experiment.sampled, values, {f: experiment.factors[f].low for f in experiment.sampled}, {f: experiment.factors[f].high for f in experiment.sampled})
        index = runs["variant_index"] % len(values)
    else:
        names = [p.path for p in PRIORS if p.path in manifest["plan"]["draws"][0]]
        values = np.array([[draw[n] for n in names] for draw in manifest["plan"]["draws"][::2]], dtype=float)
        points = Points(names, values, {p.path: p.low for p in PRIORS}, {p.path: p.high for p in PRIORS})
        index = runs["draw"]
    ok = runs.assign(point=index)[runs["status"] == "ok"].assign(rule=_rule)
    return experiment, points, ok


def paired_differences(ok: pd.DataFrame, outcomes: list[str], variant: str, baseline: str) -> pd.DataFrame:
    """Each outcome's difference variant minus baseline at every point (each rule's mean over the point's seeds there);
    an outcome one of the two rules lacks (no fundholder) is left out."""
    table = ok.pivot_table(index="point", columns="rule", values=[o for o in outcomes if o in ok.columns], aggfunc="mean")
    kept = [o for o in outcomes if (o, variant) in table and (o, baseline) in table]
    return pd.DataFrame({o: table[(o, variant)] - table[(o, baseline)] for o in kept}).dropna()


def ranking(folder: Path, outcomes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rankings per outcome, pairwise agreement); writes ranking.csv, ranking-pairs.csv and ranking.md in ``folder``."""
    experiment, points, ok = rules_at_points(folder, "ranking")
    outcomes = outcomes or list(experiment.outcomes)
    rows, pairs = [], []
    for outcome in outcomes:
        table = ok.pivot_table(index="point", columns="rule", values=outcome, aggfunc="mean").dropna(axis=1, how="all").dropna()  # a rule without the outcome (no fundholder) drops out
        usual = list(table.mean().sort_values().index)
        ranks = table.rank(axis=1, method="first")
        same = (ranks[usual].diff(axis=1).iloc[:, 1:] > 0).all(axis=1)
        rows.append({"outcome": outcome, "usual_ranking": " < ".join(usual), "points": len(table), "share_same_ranking": float(same.mean())})
        for low, high in combinations(usual, 2):
            holds = table[low] < table[high]
            worst = (table[low] - table[high]).idxmax()
            pairs.append(
                {
                    "outcome": outcome,
                    "lower": low,
                    "higher": high,
                    "share_holds": float(holds.mean()),
                    "mean_gap": float((table[high] - table[low]).mean()),
                    "worst_point": ", ".join(f"{f} = {v:.3g}" for f, v in zip(points.names, points.values[int(worst)])),
                    "worst_gap": float(table.loc[worst, high] - table.loc[worst, low]),
                }
            )
    rankings, agreement = pd.DataFrame(rows), pd.DataFrame(pairs)
    rankings.to_csv(folder / "ranking.csv", index=False)
    agreement.to_csv(folder / "ranking-pairs.csv", index=False)
    (folder / "ranking.md").write_text(markdown(rankings, agreement, points), encoding="utf-8")
    return rankings, agreement


def markdown(rankings: pd.DataFrame, agreement: pd.DataFrame, points: Points) -> str:
    ranges = ", ".join(f"`{f}` {points.low[f]:g} to {points.high[f]:g}" for f in points.names)
    lines = [f"Ranges: {ranges}.", "", "| outcome | ranking of the means (lowest first) | design points | same ranking at |", "|---|---|---:|---:|"]
    lines += [f"| {r.outcome} | {r.usual_ranking} | {r.points} | {100 * r.share_same_ranking:.0f} % |" for r in rankings.itertuples()]
    lines += ["", "| outcome | lower | higher | order holds at | mean gap | where it turns most (gap there) |", "|---|---|---|---:|---:|---|"]
    for r in agreement.itertuples():
        turn = f"{r.worst_point} ({r.worst_gap:+.3g})" if r.share_holds < 1 else ""
        lines.append(f"| {r.outcome} | {r.lower} | {r.higher} | {100 * r.share_holds:.0f} % | {r.mean_gap:+.3g} | {turn} |")
    return "\n".join(lines) + "\n"
