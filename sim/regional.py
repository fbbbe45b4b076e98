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
    if "region" in experiment.by_group:
        return national_by_region(results, experiment, runs[runs["status"] == "ok"])
    if FACTOR not in runs:
        raise UserError(f"{results}: the sweep does not vary {FACTOR} nor keep its outcomes by region; sweep experiments/sweden-regions.yaml (or any experiment whose factor is {FACTOR} over the se-* presets), or a national experiment with by_group: [region] (experiments/sweden-digital.yaml).")
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


def draw_maps(table: pd.DataFrame, outcomes: list[str], title: str, figures: Path, suffix: str = "") -> list[Path]:
    """A tile map of Sweden per outcome of a by-region table (a row per region code), ``figures/map_OUTCOME{suffix}.png``;
    ``title`` with {} for the outcome. Every region is named, with or without a value."""
    figures.mkdir(exist_ok=True)
    names = pd.DataFrame(read_csv("sweden-regions.csv")).set_index("code")["region"]
    values = table[table["code"].astype(str) != ""].set_index("code")
    return [sweden_map(values[o], names, o, title.format(o), figures / f"map_{o}{suffix}.png", percent=o.endswith(SHARES)) for o in outcomes]


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


def national_by_region(results: Path, experiment: Experiment, runs: pd.DataFrame) -> tuple[pd.DataFrame, list[Path]]:
    """A national sweep's outcomes by region and variant (``o[region=NAME]`` columns, means over the replications): a
    row per variant and region in ``by-region.csv``, a table per outcome (regions down, variants across) in
    ``by-region.md``, and a tile map per outcome and variant in ``figures/``."""
    regions = pd.DataFrame(read_csv("sweden-regions.csv"))
    variants = list(dict.fromkeys(runs["variant"]))
    rows = []
    for variant in variants:
        mine = runs[runs["variant"] == variant]
        for code, name in zip(regions["code"], regions["region"]):
            values = {o: mine[f"{o}[region={name}]"].mean() for o in experiment.outcomes if f"{o}[region={name}]" in mine}
            if values and any(pd.notna(v) for v in values.values()):
                rows.append({"variant": variant, "code": code, "region": name, "replications": len(mine), **values})
    if not rows:
        raise UserError(f"{results}: no run kept an outcome by region; the sweep's runs failed or kept none (see sweep.json).")
    table = pd.DataFrame(rows)
    outcomes = [o for o in experiment.outcomes if o in table]
    table.to_csv(results / "by-region.csv", index=False)
    lines = []
    for o in outcomes:
        wide = table.pivot(index=["code", "region"], columns="variant", values=o)[variants].reset_index()
        lines += [f"## {o}", "", "| code | region | " + " | ".join(variants) + " |", "|---|---|" + "---:|" * len(variants)]
        lines += ["| " + " | ".join([str(row["code"]), str(row["region"])] + [_cell(o, row[v]) for v in variants]) + " |" for _, row in wide.iterrows()]
        lines.append("")
    (results / "by-region.md").write_text(f"# {experiment.name}: means over the replications by region\n\n" + "\n".join(lines), encoding="utf-8")
    maps = []
    for variant in variants:
        mine = table[table["variant"] == variant]
        maps += draw_maps(mine, outcomes, f"{experiment.name}, {variant}: {{}} by region", results / "figures", suffix=f"_{variant}")
    return table, maps
