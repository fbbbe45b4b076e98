"""Global sensitivity (SALib): of a sweep's outcomes to its ranged factors, or of a comparison to the posterior.

Each design point's outcome is its mean over replications. A Sobol design gives, per
factor, the first-order index S1 (the share of the outcome's variance the factor explains
alone) and the total index ST (alone and in interaction); a Morris design gives mu* (the
mean absolute elementary effect) and sigma (its spread: non-linearity or interaction).
With a 'scenario' factor, each scenario (rulebook) is analysed on its own.

A sweep with ``uncertainty: parameters`` has no design of its own: its points are the
posterior's draws, and what a decision hangs on is the paired difference of each rulebook
from the baseline at each draw. Its sensitivity to each free parameter is Borgonovo's
moment-independent delta (how far the difference's distribution moves when the parameter is
known) with the first-order S1 beside it, estimated from the draws as they are (SALib's
``delta``, which needs no special design); with few draws, read the confidence intervals.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.experiment import Experiment, design_points
from sim.sweep import read_sweep

INDICES = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"), "morris": ("mu_star", "mu_star_conf", "sigma"), "delta": ("delta", "delta_conf", "S1", "S1_conf")}
DELTA = {"delta": "delta_balanced", "delta_conf": "delta_balanced_conf", "S1": "S1", "S1_conf": "S1_conf"}  # SALib's names: the delta estimator balanced over its bins


def sensitivity(folder: Path, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Sensitivity indices for every outcome, factor and scenario; writes sensitivity.csv, .md and figures."""
    from SALib import ProblemSpec

    from sim.compare import outcome_columns

    manifest, runs = read_sweep(folder)
    experiment = Experiment.model_validate(manifest["plan"]["experiment"])
    if experiment.uncertainty == "parameters" and not experiment.sampled:
        return _write(Path(folder), posterior_sensitivity(Path(folder), outcomes), "delta", experiment.name)
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
    return _write(Path(folder), pd.DataFrame(rows), method, experiment.name)


def posterior_sensitivity(folder: Path, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Delta and S1 of each rulebook's paired difference from the baseline (the sweep's first rulebook) over the
    posterior's draws, for each outcome and free parameter."""
    from SALib import ProblemSpec

    from sim.ranking import paired_differences, rules_at_points

    experiment, points, ok = rules_at_points(folder, "sensitivity")
    rules = list(dict.fromkeys(ok.sort_values("variant_index")["rule"]))
    rows = []
    for rule in rules[1:]:
        differences = paired_differences(ok, outcomes or list(experiment.outcomes), rule, rules[0])
        varying = [o for o in differences.columns if differences[o].std() > 1e-12 * max(1.0, differences[o].abs().max())]  # a difference that never moves has no sensitivity
        if len(differences) < MIN_POINTS or not varying:
            continue
        spec = ProblemSpec({"names": points.names, "bounds": [[points.low[n], points.high[n]] for n in points.names], "outputs": varying})
        spec.set_samples(points.values[differences.index.astype(int)])
        spec.set_results(differences[varying].to_numpy() if len(varying) > 1 else differences[varying[0]].to_numpy())
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")  # SALib's notes on its bins at few draws: the confidence intervals say it
            spec.analyze_delta(print_to_console=False, seed=experiment.seed, num_resamples=RESAMPLES)
        analysis = spec.analysis if len(varying) > 1 else {varying[0]: spec.analysis}
        for outcome in varying:
            result = analysis[outcome]
            for f, name in enumerate(points.names):
                rows.append({"scenario": f"{rule} - {rules[0]}", "outcome": outcome, "factor": name} | {k: float(np.asarray(result[DELTA[k]])[f]) for k in INDICES["delta"]})
    if not rows:
        raise UserError(f"{folder}: has fewer than {MIN_POINTS} posterior draws with a finished run of every rulebook (replications 2j and 2j+1 run draw j); sweep at least {2 * MIN_POINTS} replications, as experiments/fundholding-posterior.yaml does.")
    return pd.DataFrame(rows)


RESAMPLES = 100  # bootstrap resamples behind the delta's and S1's confidence half-widths
MIN_POINTS = 30  # draws below which SALib's delta estimator has too few to a bin (it needs about ten in each of three)


def _write(folder: Path, table: pd.DataFrame, method: str, title: str) -> pd.DataFrame:
    from sim.plots import sensitivity_plots

    table.to_csv(folder / "sensitivity.csv", index=False)
    (folder / "sensitivity.md").write_text(_markdown(table, method), encoding="utf-8")
    sensitivity_plots(table, method, title, folder / "figures")
    return table


def _markdown(table: pd.DataFrame, method: str) -> str:
    what = {"sobol": "first-order (S1) and total (ST) Sobol indices", "morris": "Morris mu* and sigma", "delta": "of each rulebook's paired difference from the baseline over the posterior's draws: Borgonovo's delta and the first-order S1, with their 95 % confidence half-widths"}[method]
    columns = ["scenario", "outcome", "factor", *INDICES[method]]
    lines = [f"Sensitivity of each outcome to each factor: {what} (SALib).", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table[columns].itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"
