"""Paired comparison of a sweep's variants against a baseline, with 95 % confidence intervals.

Runs of different variants with the same replication index share a seed, so each
replication gives a paired difference (variant minus baseline) with the noise of the
shared draws removed. The interval is the t-interval of the mean paired difference over
replications: mean +/- t(0.975, n - 1) * sd / sqrt(n).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import UserError
from sim.sweep import read_sweep

COLUMNS = ["outcome", "variant", "mean", "diff", "ci_low", "ci_high", "n"]


def outcome_columns(runs: pd.DataFrame, manifest: dict) -> list[str]:
    """The kept outcome columns of a sweep, in the order the experiment lists them."""
    from sim.sweep import outcome_columns as columns_of

    e = manifest["plan"]["experiment"]
    return [c for c in columns_of(e["outcomes"], e["by_group"]) if c in runs.columns]


def default_baseline(manifest: dict) -> str:
    """The variant of the experiment's base scenario, else the first variant."""
    variants = manifest["plan"]["variants"]
    base = Path(manifest["plan"]["experiment"]["base"]).stem
    for variant in variants:
        if variant["values"].get("scenario") == base:
            return variant["label"]
    return variants[0]["label"]


def references(manifest: dict, baseline: str) -> dict[str, str]:
    """Each variant's reference: the variant with the baseline's rulebook (its scenario or named variant) and this
    variant's values of every other factor (e.g. the same region), where the experiment has one; else the baseline.
    An experiment whose factors are all rule fields (no scenario or named variant) compares every variant with the baseline."""
    variants = {v["label"]: v["values"] for v in manifest["plan"]["variants"]}
    treatment = ("scenario", "named_variant")
    base = variants.get(baseline, {})
    if not any(k in base for k in treatment):
        return {label: baseline for label in variants}
    out = {}
    for label, values in variants.items():
        wanted = {k: v for k, v in values.items() if k not in treatment} | {k: v for k, v in base.items() if k in treatment}
        out[label] = next((other for other, v in variants.items() if v == wanted), baseline)
    return out


def paired_comparison(runs: pd.DataFrame, outcomes: list[str], baseline: str, reference: dict[str, str] | None = None) -> pd.DataFrame:
    """For each outcome and variant: the mean over replications, and the paired difference from its reference (the
    baseline, or ``reference[variant]``) with its 95 % CI."""
    ok = runs[runs["status"] == "ok"].sort_values(["variant_index", "replication"])
    if baseline not in set(ok["variant"]):
        known = ", ".join(dict.fromkeys(runs["variant"]))
        raise UserError(f"--baseline {baseline!r}: no finished run of that variant; the variants are: {known}.")
    reference = reference or {}
    rows = []
    for outcome in outcomes:
        for variant, data in ok.groupby("variant", sort=False):
            base = ok[ok["variant"] == reference.get(variant, baseline)].set_index("replication")
            values = data.set_index("replication")[outcome]
            paired = (values - base[outcome]).dropna()
            n = len(paired)
            diff = paired.mean() if n else np.nan
            if n > 1:
                half = stats.t.ppf(0.975, n - 1) * paired.std(ddof=1) / np.sqrt(n)
            else:
                half = np.nan
            if variant == reference.get(variant, baseline) and n:
                diff, half = 0.0, 0.0
            rows.append((outcome, variant, values.mean(), diff, diff - half, diff + half, n))
    return pd.DataFrame(rows, columns=COLUMNS)


def markdown_table(table: pd.DataFrame, baseline: str, within: bool = False) -> str:
    where = " with the same values of the other factors (e.g. the same region)" if within else ""
    lines = [
        f"Paired difference from `{baseline}`{where} over replications (same seeds), with a 95 % confidence interval.",
        "",
        "| outcome | variant | mean | diff | ci_low | ci_high | n |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in table.itertuples(index=False):
        lines.append(f"| {row.outcome} | {row.variant} | {number(row.mean)} | {number(row.diff)} | {number(row.ci_low)} | {number(row.ci_high)} | {row.n} |")
    return "\n".join(lines) + "\n"


def number(value: float, sign: bool = False) -> str:
    """Four significant figures, whole numbers from 1,000 with thousands separators; empty for a missing value."""
    if value != value:
        return ""
    plus = "+" if sign else ""
    return f"{value:{plus},.0f}" if abs(value) >= 1000 else f"{value:{plus}.4g}"


def compare(folder: Path, baseline: str | None = None) -> tuple[pd.DataFrame, str]:
    """Compare a sweep's variants; writes comparison.csv, comparison.md and forest plots into the sweep's folder."""
    from sim.plots import forest_plots

    manifest, runs = read_sweep(folder)
    if not len(runs) or not (runs["status"] == "ok").any():
        raise UserError(f"{folder}: no finished run to compare yet.")
    baseline = baseline or default_baseline(manifest)
    reference = references(manifest, baseline)
    table = paired_comparison(runs, outcome_columns(runs, manifest), baseline, reference)
    folder = Path(folder)
    table.to_csv(folder / "comparison.csv", index=False)
    within = any(ref != baseline for ref in reference.values())
    (folder / "comparison.md").write_text(markdown_table(table, baseline, within), encoding="utf-8")
    label = f"{baseline.split(',')[0]} on the same other factors" if within else baseline
    forest_plots(table, label, manifest["plan"]["experiment"]["name"], folder / "figures")
    return table, baseline
