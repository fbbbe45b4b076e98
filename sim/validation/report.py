"""``vardval validate``: run every expressible target of evidence.md and write the side-by-side table.

Writes, in the output folder: ``validation.csv`` and ``validation.md`` (one row per
target: claim, literature, test, setting, model, verdict), ``spending.md`` (today's
spending counted as the calibration counts it and as SCB does), ``standard-patients.csv``
(mean q, mean |q - q*| and the benefit by payment and patient type), and
``figures/standard_patients.png``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.scenario import load_scenario
from sim.validation.calibration import counted_as_scb
from sim.validation.evidence import Evidence, evaluate, settings_needed
from sim.validation.settings import SIZES, run_settings
from sim.validation.standard_patients import efficient_fees, payment_choice, standard_patients

#: the scenario whose money and physicians the standard patients use
BASE = "jamtland-2020"


def validate(out: Path, quick: bool = False, workers: int = 1, seed: int = 1) -> pd.DataFrame:
    """Run the targets (quick: scaled-down settings, directions only) and write the tables and figures to ``out``."""
    from sim.plots import standard_patients_plot

    scenario = load_scenario(BASE)
    patients = standard_patients(scenario, seed=seed)
    evidence = Evidence(
        patients=patients,
        choice=payment_choice(scenario, seed=seed),
        fees=efficient_fees(scenario),
        runs=run_settings(settings_needed(), "quick" if quick else "full", workers=workers, seed=seed),
    )
    table = evaluate(evidence)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "validation.csv", index=False)
    (out / "validation.md").write_text(markdown(table, evidence), encoding="utf-8")
    (out / "spending.md").write_text(counted_as_scb(lambda outcome: evidence.runs.mean("capitation", outcome)) + "\n", encoding="utf-8")
    patients[["payment", "patient_type", "q_star", "mean_q", "mean_abs_dev", "mean_benefit", "mean_shortfall", "mean_excess"]].to_csv(out / "standard-patients.csv", index=False)
    standard_patients_plot(patients, out / "figures" / "standard_patients.png")
    return table


def markdown(table: pd.DataFrame, evidence: Evidence) -> str:
    """The side-by-side table and the standard-patients table, as Markdown."""
    counts = table["result"].value_counts()
    lines = [
        "| id | claim | literature | how the model is tested | model | result |",
        "|---|---|---|---|---|---|",
    ]
    cell = lambda text: str(text).replace("|", "\\|")  # noqa: E731  (|q - q*| inside a table)
    for r in table.itertuples(index=False):
        setting = r.setting + (f" (tolerance: {r.tolerance})" if r.tolerance else "")
        verdict = f"**{r.result}**" if r.result.startswith("fail") else r.result
        lines.append(f"| {r.id} | {cell(r.claim)} | {cell(r.literature)} | {cell(setting)} | {cell(r.model)} | {verdict} |")
    plan = SIZES[evidence.runs.size]["values"]
    years = f"{plan['months'] // 12} reported year{'s' if plan['months'] > 12 else ''} after {plan['warmup_months'] // 12} warm-up year"
    size = f"full size: the region presets, {years}" if evidence.full else f"quick: {plan['population.residents']:,} residents, {years}; figures get no verdict"
    seeds = ", ".join(str(s) for s in evidence.runs.seeds)
    head = f"{len(table)} targets ({size}; seeds {seeds}): " + ", ".join(f"{n} {k}" for k, n in counts.items()) + "."
    p = evidence.patients.pivot_table(index=["q_star"], columns="payment", values=["mean_q", "mean_abs_dev"])
    patients = ["| q* | mean q FFS | mean q MIX | mean q CAP | \\|q - q*\\| FFS | \\|q - q*\\| MIX | \\|q - q*\\| CAP |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for q_star, row in p.iterrows():
        cells = [row[("mean_q", k)] for k in ("fee-for-service", "mixed", "capitation")] + [row[("mean_abs_dev", k)] for k in ("fee-for-service", "mixed", "capitation")]
        patients.append(f"| {q_star} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    gaps = [f"- {r.id}: {r.known_gap}" for r in table.itertuples(index=False) if r.known_gap]
    gaps = ["Known gaps (their failures do not fail `vardval validate`):", "", *gaps, ""] if gaps else []
    failures = [f"- {r.id}: {r.on_failure}" for r in table.itertuples(index=False) if r.on_failure]
    failures = ["Failures, and what they come from (they fail `vardval validate`):", "", *failures, ""] if failures else []
    return "\n".join([head, "", *lines, "", *failures, *gaps, "Standard patients (physicians drawn from the scenario's altruism distribution):", "", *patients, ""])
