"""Global sensitivity of a sweep's outcomes to its ranged factors (SALib): Sobol or Morris.

Each design point's outcome is its mean over replications. A Sobol design gives, per
factor, the first-order index S1 (the share of the outcome's variance the factor explains
alone) and the total index ST (alone and in interaction); a Morris design gives mu* (the
mean absolute elementary effect) and sigma (its spread: non-linearity or interaction).
With a 'scenario' factor, each scenario (rulebook) is analysed on its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.experiment import Experiment, design_points
from sim.sweep import read_sweep

INDICES = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"), "morris": ("mu_star", "mu_star_conf", "sigma")}


def sensitivity(folder: Path, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Sensitivity indices for every outcome, factor and scenario; writes sensitivity.csv, .md and figures."""
    from SALib import ProblemSpec

    from sim.compare import outcome_columns
    from sim.plots import sensitivity_plots

    manifest, runs = read_sweep(folder)
    experiment = Experiment.model_validate(manifest["plan"]["experiment"])
    method = experiment.design.method
    if method not in INDICES:
        raise UserError(f"{folder}: a {method} design has no sensitivity indices; sweep an experiment with design sobol or morris.")
    outcomes = outcomes or [c for c in outcome_columns(runs, manifest) if "[" not in c]
    points = design_points(experiment).astype(float)
    means = runs[runs["status"] == "ok"].groupby("variant_index")[outcomes].mean()
    variants = manifest["plan"]["variants"]
    blocks = len(variants) // len(points)  # one block of design points per scenario and named variant
    rows = []
    for block in range(blocks):
        indices = range(block * len(points), (block + 1) * len(points))
        first = variants[indices[0]]["values"]
        scenario = ", ".join(str(first[k]) for k in ("scenario", "named_variant") if k in first) or "base"
        missing = [i for i in indices if i not in means.index]
        if missing:
            raise UserError(f"{folder}: {len(missing)} design points of {scenario} have no finished run; finish the sweep (--resume) first.")
        spec = ProblemSpec({**experiment.problem(), "outputs": outcomes})
        spec.set_samples(points)
        spec.set_results(means.loc[list(indices), outcomes].to_numpy())
        if method == "sobol":
            spec.analyze_sobol(calc_second_order=False, print_to_console=False, seed=experiment.design.seed)
        else:
            spec.analyze_morris(print_to_console=False, num_levels=experiment.design.levels, seed=experiment.design.seed)
        analysis = spec.analysis if len(outcomes) > 1 else {outcomes[0]: spec.analysis}
        for outcome in outcomes:
            result = analysis[outcome]
            for f, factor in enumerate(experiment.sampled):
                rows.append({"scenario": scenario, "outcome": outcome, "factor": factor} | {k: float(np.asarray(result[k])[f]) for k in INDICES[method]})
    table = pd.DataFrame(rows)
    folder = Path(folder)
    table.to_csv(folder / "sensitivity.csv", index=False)
    (folder / "sensitivity.md").write_text(_markdown(table, method), encoding="utf-8")
    sensitivity_plots(table, method, experiment.name, folder / "figures")
    return table


def _markdown(table: pd.DataFrame, method: str) -> str:
    what = "first-order (S1) and total (ST) Sobol indices" if method == "sobol" else "Morris mu* and sigma"
    columns = ["scenario", "outcome", "factor", *INDICES[method]]
    lines = [f"Sensitivity of each outcome to each factor: {what} (SALib).", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table[columns].itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
