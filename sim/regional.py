"""A sweep over Sweden's region presets, by region: each outcome's mean over the replications in each region, as a
table and a tile map (``vardval regions RESULTS``).

The sweep varies ``population.region`` over the presets of ``sim/regions/`` (``se-CC-name``, and the detailed
``jamtland`` for county 23; ``experiments/sweden-regions.yaml``); each region is then a variant, and this module
reads what the sweep wrote, never running a model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.errors import UserError
from sim.experiment import Experiment
from sim.plots import format_value, sweden_map
from sim.regions.generate import read_csv, region_code
from sim.sweep import read_sweep

FACTOR = "population.region"
SHARES = ("_share", "_rate")  # outcomes drawn in per cent


def by_region(results: Path) -> tuple[pd.DataFrame, list[Path]]:
    """The sweep's outcomes by region (a row per region: code, name, residents, then each outcome's mean over its
    replications), written as ``by-region.csv`` and ``.md``, and a tile map per outcome in ``figures/``."""
    results = Path(results)
    manifest, runs = read_sweep(results)
    experiment = Experiment.model_validate(manifest["plan"]["experiment"])
    if FACTOR not in runs:
        raise UserError(f"{results}: the sweep does not vary {FACTOR}; sweep experiments/sweden-regions.yaml (or any experiment whose factor is {FACTOR} over the se-* presets).")
    runs = runs[runs["status"] == "ok"].assign(code=runs[FACTOR].map(region_code))
    if runs["code"].isna().any():
        unknown = sorted(set(runs.loc[runs["code"].isna(), FACTOR]))
        raise UserError(f"{results}: {FACTOR} takes regions that are not Swedish region presets ({', '.join(map(str, unknown))}); allowed: se-CC-name or jamtland.")
    outcomes = [o for o in experiment.outcomes if o in runs]
    table = runs.groupby("code")[outcomes].mean()
    regions = pd.DataFrame(read_csv("sweden-regions.csv")).set_index("code")
    table.insert(0, "region", regions["region"].reindex(table.index))
    table.insert(1, "replications", runs.groupby("code").size())
    table = table.reset_index()
    table.to_csv(results / "by-region.csv", index=False)
    (results / "by-region.md").write_text(markdown(table, outcomes), encoding="utf-8")
    return table, draw_maps(table, outcomes, f"{experiment.name}: {{}}, mean over replications by region", results / "figures")


def draw_maps(table: pd.DataFrame, outcomes: list[str], title: str, figures: Path) -> list[Path]:
    """A tile map of Sweden per outcome of a by-region table (a row per region code), ``figures/map_OUTCOME.png``;
    ``title`` with {} for the outcome. Every region is named, with or without a value."""
    figures.mkdir(exist_ok=True)
    names = pd.DataFrame(read_csv("sweden-regions.csv")).set_index("code")["region"]
    values = table[table["code"].astype(str) != ""].set_index("code")
    return [sweden_map(values[o], names, o, title.format(o), figures / f"map_{o}.png", percent=o.endswith(SHARES)) for o in outcomes]


def _cell(outcome: str, value: float) -> str:
    return format_value(value, outcome.endswith(SHARES))


def markdown(table: pd.DataFrame, outcomes: list[str], count: str = "replications") -> str:
    """The by-region table in Markdown (``count``: the column told beside each region's name): shares in per cent, SEK
    with thousands separators; then each outcome's range over the regions (rows with a code)."""
    columns = ["code", "region", count, *outcomes]
    lines = ["| " + " | ".join(columns) + " |", "|---|---|---:|" + "---:|" * len(outcomes)]
    for row in table.itertuples(index=False):
        values = row._asdict()
        lines.append("| " + " | ".join([str(values["code"]), str(values["region"]), f"{values[count]:,}"] + [_cell(o, values[o]) for o in outcomes]) + " |")
    lines += ["", "| outcome | lowest region | highest region |", "|---|---:|---:|"]
    table = table[table["code"].astype(str) != ""]
    for o in outcomes:
        low, high = table.loc[table[o].idxmin()], table.loc[table[o].idxmax()]
        lines.append(f"| {o} | {_cell(o, low[o])} ({low['region']}) | {_cell(o, high[o])} ({high['region']}) |")
    return "\n".join(lines) + "\n"
