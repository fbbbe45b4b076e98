"""Paired comparison of a sweep's variants against a baseline, with 95 % confidence intervals.

Runs of different variants with the same replication index share a seed, so each
replication gives a paired difference (variant minus baseline) with the noise of the
shared draws removed. The interval is the t-interval of the mean paired difference over
replications: mean +/- t(0.975, n - 1) * sd / sqrt(n).

A sweep with ``uncertainty: parameters`` runs posterior draw j on two seeds (replications
2j and 2j+1), and an analysis of variance of the paired differences (O'Hagan, Stevenson &
Madan 2007) splits their spread into the seeds' noise within a draw and the parameters'
uncertainty between draws. Two intervals follow: over the seeds alone (``ci_low_seeds``,
``ci_high_seeds``: how sure we would be of the mean difference were the parameters known),
and over seeds and parameters (``ci_low``, ``ci_high``: how sure we are of the difference
given what the targets leave open about the parameters), with the probability that the
variant is better than its reference (``p_better``, where an outcome has a better direction).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import UserError
from sim.sweep import read_sweep

COLUMNS = ["outcome", "variant", "mean", "diff", "ci_low", "ci_high", "n"]
PARAMETER_COLUMNS = ["ci_low_seeds", "ci_high_seeds", "p_better"]  # with uncertainty: parameters
#: outcomes with a better side: less is better for patients or for the purse (-1), more is (+1); volumes, mixes and
#: market structure have none
LOWER_IS_BETTER = (
    "undertreatment_rate", "undertreatment_rationing_rate", "overtreatment_rate", "undertreated_episode_share", "overtreated_episode_share",
    "overtreatment_cost_per_capita_sek", "underprovision_rate", "overprovision_rate", "underprovided_episode_share", "overprovided_episode_share",
    "overprovision_cost_per_capita_sek", "underreferral_rate", "overreferral_rate", "share_over_30km_from_clinic", "cost_per_capita_sek",
    "mean_wait_days", "health_loss_per_1000", "avoidable_admissions_per_1000", "deaths_per_1000", "areas_without_clinic",
    "fundholder_result_cv", "p_fundholder_deficit_over_5pct", "p_fundholder_deficit_over_10pct",
)
HIGHER_IS_BETTER = ("access_3day_share", "continuity_index", "mean_health", "named_doctor_share")


def better(outcome: str) -> int:
    """-1 where less of an outcome (or of its value in a group) is better, +1 where more is, 0 where neither."""
    name = outcome.split("[")[0]
    return -1 if name in LOWER_IS_BETTER else (1 if name in HIGHER_IS_BETTER else 0)


def outcome_columns(runs: pd.DataFrame, manifest: dict) -> list[str]:
    """The kept outcome columns of a sweep, in the order the experiment lists them."""
    from sim.sweep import outcome_columns as columns_of

    e = manifest["plan"]["experiment"]
    return [c for c in columns_of(e["outcomes"], e["by_group"]) if c in runs.columns and runs[c].notna().any()]


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
    baseline, or ``reference[variant]``) with its 95 % CI; where the replications drew the parameters (a ``draw``
    column), the CI over seeds and parameters, the CI over seeds alone and the probability of being better."""
    ok = runs[runs["status"] == "ok"].sort_values(["variant_index", "replication"])
    if baseline not in set(ok["variant"]):
        known = ", ".join(dict.fromkeys(runs["variant"]))
        raise UserError(f"--baseline {baseline!r}: no finished run of that variant; the variants are: {known}.")
    reference = reference or {}
    drawn = "draw" in ok.columns and ok["draw"].notna().any()
    rows = []
    for outcome in outcomes:
        for variant, data in ok.groupby("variant", sort=False):
            base = ok[ok["variant"] == reference.get(variant, baseline)].set_index("replication")
            values = data.set_index("replication")[outcome]
            paired = (values - base[outcome]).dropna()
            same = variant == reference.get(variant, baseline) and len(paired)
            if drawn:
                row = _over_parameters(paired, data.set_index("replication")["draw"], better(outcome))
                if same:
                    row = (0.0, 0.0, 0.0, 0.0, 0.0, np.nan)
                diff, low, high, low_seeds, high_seeds, p = row
                rows.append((outcome, variant, values.mean(), diff, low, high, len(paired), low_seeds, high_seeds, p))
                continue
            n = len(paired)
            diff = paired.mean() if n else np.nan
            half = stats.t.ppf(0.975, n - 1) * paired.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            if same:
                diff, half = 0.0, 0.0
            rows.append((outcome, variant, values.mean(), diff, diff - half, diff + half, n))
    return pd.DataFrame(rows, columns=COLUMNS + PARAMETER_COLUMNS if drawn else COLUMNS)


def _over_parameters(paired: pd.Series, draw: pd.Series, direction: int) -> tuple[float, ...]:
    """(mean, CI over seeds and parameters, CI over seeds alone, P(better)) of paired differences, two seeds per draw.

    Within a draw the two differences differ by the seeds alone: their variance is the seeds' noise s2. The draws'
    means vary by the parameters and by half that noise, so the parameters' own variance is tau2 = var(means) - s2 / 2
    (none where that is negative). Over seeds alone the interval is mean +/- h, h = t sqrt(s2 / n); over seeds and
    parameters it is mean +/- sqrt(h^2 + 1.96^2 tau2 (1 + 1 / draws)): the parameters' spread of the difference and the
    error of its mean over the draws added to the seeds' interval, so it is never the narrower. P(better) is the normal
    probability of a difference on the better side of zero, with that interval's spread.
    """
    groups = paired.groupby(draw.reindex(paired.index))
    means, whole = groups.mean(), groups.size() == 2  # draws whose two seeds both finished
    diff, n, draws = paired.mean(), len(paired), len(means)
    within = groups.var(ddof=1)[whole].mean() if whole.any() else np.nan
    if draws < 2 or within != within:
        return (diff, np.nan, np.nan, np.nan, np.nan, np.nan)
    tau2 = max(means.var(ddof=1) - within / 2, 0.0)
    seeds = stats.t.ppf(0.975, int(whole.sum())) * np.sqrt(within / n)
    half = np.sqrt(seeds**2 + 1.96**2 * tau2 * (1 + 1 / draws))
    p = float(stats.norm.cdf(direction * diff / (half / 1.96))) if direction and half > 0 else np.nan
    return (diff, diff - half, diff + half, diff - seeds, diff + seeds, p)


def markdown_table(table: pd.DataFrame, baseline: str, within: bool = False) -> str:
    where = " with the same values of the other factors (e.g. the same region)" if within else ""
    if "p_better" not in table:
        lines = [
            f"Paired difference from `{baseline}`{where} over replications (same seeds), with a 95 % confidence interval over the seeds (the parameters fixed at the calibrated set).",
            "",
            "| outcome | variant | mean | diff | ci_low | ci_high | n |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for row in table.itertuples(index=False):
            lines.append(f"| {row.outcome} | {row.variant} | {number(row.mean)} | {number(row.diff)} | {number(row.ci_low)} | {number(row.ci_high)} | {row.n} |")
        return "\n".join(lines) + "\n"
    lines = [
        f"Paired difference from `{baseline}`{where} over replications that draw the free parameters from their posterior (two seeds per draw). "
        "Two 95 % intervals: over seeds and parameters (how sure we are of the difference, given what the targets leave open about the parameters), "
        "and over the seeds alone (how sure we would be, were the parameters known). P(better): the probability that the variant is better than "
        "its reference (less under-treatment, cost or health lost; more access or continuity; empty where an outcome has no better side).",
        "",
        "| outcome | variant | mean | diff | over seeds and parameters | over seeds alone | P(better) | n |",
        "|---|---|---:|---:|---|---|---:|---:|",
    ]
    for row in table.itertuples(index=False):
        chance = f"{100 * row.p_better:.0f} %" if row.p_better == row.p_better else ""
        lines.append(
            f"| {row.outcome} | {row.variant} | {number(row.mean)} | {number(row.diff)} | [{number(row.ci_low)}, {number(row.ci_high)}] "
            f"| [{number(row.ci_low_seeds)}, {number(row.ci_high_seeds)}] | {chance} | {row.n} |"
        )
    return "\n".join(lines) + "\n"


def number(value: float, sign: bool = False) -> str:
    """Four significant figures, whole numbers from 1,000 with thousands separators; empty for a missing value."""
    if value != value:
        return ""
    plus = "+" if sign else ""
    return f"{value:{plus},.0f}" if abs(value) >= 1000 else f"{value:{plus}.4g}"


def readable(table: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """A comparison table (``paired_comparison``'s rows) in the analyst's words and units: the outcome's label, its
    group (which end of the CNI is high need), the variant, its level, the difference and its intervals (shares in
    per cent and their differences in points, SEK with thousands separators) and the probability it is better; the
    ``baseline``'s rows give its level alone."""
    from sim.labels import GROUP_WORDS, interval, kind, label, number, split

    parts = table["outcome"].map(split)
    kinds = table["outcome"].map(kind)
    shown = pd.DataFrame({
        "outcome": [label(name) for name, _, _ in parts],
        "group": [(GROUP_WORDS.get(group, group) if grouping == "cni_quintile" else group) or "all" for _, grouping, group in parts],
        "variant": table["variant"],
        "level": [number(v, k) for v, k in zip(table["mean"], kinds)],
        "difference": [number(v, k, sign=True, difference=True) for v, k in zip(table["diff"], kinds)],
        "95 % interval": [interval(a, b, k, brackets="") for a, b, k in zip(table["ci_low"], table["ci_high"], kinds)],
    })
    if "ci_low_seeds" in table:
        shown["95 % interval, seeds alone"] = [interval(a, b, k, brackets="") for a, b, k in zip(table["ci_low_seeds"], table["ci_high_seeds"], kinds)]
        shown["P(better)"] = [number(p, "pct") if pd.notna(p) else "" for p in table["p_better"]]
    if baseline is not None:
        own = (table["variant"] == baseline).to_numpy()
        shown.loc[own, "difference"] = "(the baseline)"
        shown.loc[own, [c for c in shown.columns if c.startswith("95 %") or c == "P(better)"]] = ""
    return shown.reset_index(drop=True)


def sweep_comparison(folder: Path, manifest: dict, runs: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """A sweep's paired comparison with ``baseline`` (each variant against its reference), written nowhere."""
    if not len(runs) or not (runs["status"] == "ok").any():
        raise UserError(f"{folder}: no finished run to compare yet.")
    return paired_comparison(runs, outcome_columns(runs, manifest), baseline, references(manifest, baseline))


def compare(folder: Path, baseline: str | None = None) -> tuple[pd.DataFrame, str]:
    """Compare a sweep's variants; writes comparison.csv, comparison.md and forest plots into the sweep's folder."""
    from sim.plots import forest_plots

    manifest, runs = read_sweep(folder)
    baseline = baseline or default_baseline(manifest)
    reference = references(manifest, baseline)
    table = sweep_comparison(folder, manifest, runs, baseline)
    folder = Path(folder)
    table.to_csv(folder / "comparison.csv", index=False)
    within = any(ref != baseline for ref in reference.values())
    (folder / "comparison.md").write_text(markdown_table(table, baseline, within), encoding="utf-8")
    label = f"{baseline.split(',')[0]} on the same other factors" if within else baseline
    forest_plots(table, label, manifest["plan"]["experiment"]["name"], folder / "figures")
    return table, baseline
