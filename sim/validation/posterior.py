"""A posterior of the free parameters, not a point: approximate Bayesian computation (ABC-SMC).

The simulator has no likelihood, and its outputs are noisy, so the posterior is sampled the
way simulators are calibrated (Sisson, Fan & Beaumont 2018): pyabc's ABC-SMC (Klinger,
Rickert & Hasenauer 2018) draws parameter sets from the prior, runs the targets' settings
once each on its own seed, and keeps the sets whose targets land close to the Swedish and
field figures, tightening "close" generation by generation (the median of the last
generation's distances) while perturbing the kept sets. Chosen over history matching with
an emulator because it needs no emulator of eleven outputs whose noise depends on the
parameters, its population is the ensemble itself, and pyabc stores every generation in a
database from which an interrupted run resumes.

The targets and the evaluation are the least-squares fit's (``sim.validation.calibration``):
a target's miss is in units of its tolerance (a ceiling misses only above it), and the
distance of a set is the root mean square of its misses, so a distance of 1 means each
target lands on average one tolerance away. The prior is uniform over each parameter's
plausible range: the fitted parameters' ranges of the least-squares fit, and the referral
parameters no field figure pins down beside E26 (their ranges are those of the fundholding
robustness study), which the posterior therefore keeps about as wide as their prior. That
is the point: their uncertainty travels into every comparison drawn from the ensemble.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.errors import UserError
from sim.validation.calibration import EVALUATION, PARAMETERS, TARGETS, _evaluate, _next_version


@dataclass(frozen=True)
class Prior:
    """A parameter's prior: uniform between low and high, and why that range."""

    path: str
    low: float
    high: float
    reason: str

    @property
    def name(self) -> str:
        """The parameter's name in pyabc's database (no dots)."""
        return self.path.replace(".", "__")


PRIORS = (
    *(Prior(p.path, p.low, p.high, f"uniform over the plausible range of the least-squares fit; identified by {p.why}") for p in PARAMETERS),
    Prior("behaviour.referral.clear_cut_belief", 0.6, 1.0, "assumption: the field shows urgent care did not answer the budget (field-evidence.md C1, C2), not where the norm lies; 1 is no norm"),
    Prior("behaviour.referral.result_weight.public_covered", 0.0, 1.0, "assumption: no source measures the share of a covered centre's result that reaches its salaried physicians (U3)"),
    Prior("behaviour.referral.self_referral_share", 0.0, 0.3, "assumption: self-referrals about 10-15 % of first specialist visits (RECALLED, field-evidence.md H4)"),
    Prior("behaviour.altruism.scale", 0.5, 2.0, "assumption: evidence.md E4's weights halved or doubled"),
)
#: the sets kept from the last generation, resampled by weight into the ensemble
MIN_DRAWS = 100
PAIRS = 6  # parameters in the pairs plot
ENSEMBLE = "ensemble.parquet"  # a row per draw, a column per parameter path: what experiments with ``uncertainty: parameters`` read
ADOPTED = Path(__file__).resolve().parents[1] / "posterior.parquet"  # the ensemble adopted for experiments (vardval calibrate --posterior --adopt)


def _seed(values: dict[str, float]) -> int:
    """A seed for one evaluation, from its parameter values: the same set runs the same way, different sets differ."""
    digest = hashlib.sha256(json.dumps({k: round(v, 12) for k, v in sorted(values.items())}).encode()).digest()
    return int.from_bytes(digest[:4], "little")


def simulate(parameters: dict[str, float]) -> dict[str, float]:
    """The targets' model figures for one parameter set (pyabc's names), one seed."""
    values = {p.path: float(parameters[p.name]) for p in PRIORS}
    return _evaluate((values, _seed(values)))


def distance(model: dict[str, float], observed: dict[str, float]) -> float:
    """Root mean square of the targets' misses, each in units of its tolerance (``observed`` holds the targets)."""
    return float(np.sqrt(np.mean([t.miss(model[t.name]) ** 2 for t in TARGETS])))


class RayExecutor(concurrent.futures.Executor):
    """pyabc's futures sampler on Ray: each submitted call a Ray task of one CPU."""

    def __init__(self) -> None:
        import ray

        self._call = ray.remote(num_cpus=1, max_retries=2)(lambda function, args, kwargs: function(*args, **kwargs))

    def submit(self, function, /, *args, **kwargs) -> concurrent.futures.Future:
        return self._call.remote(function, args, kwargs).future()


def _abc(workers: int, population: int):
    import pyabc

    prior = pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.low, p.high - p.low) for p in PRIORS})
    if workers > 1:
        sampler = pyabc.sampler.ConcurrentFutureSampler(cfuture_executor=RayExecutor(), client_max_jobs=workers)
    else:
        sampler = pyabc.sampler.SingleCoreSampler()
    return pyabc.ABCSMC(simulate, prior, distance, population_size=population, sampler=sampler)


def posterior(out: Path, workers: int = 1, population: int = MIN_DRAWS, generations: int = 6, min_distance: float = 1.0, resume: bool = False, seed: int = 1) -> dict[str, Any]:
    """Sample the posterior into ``out`` (pyabc's database ``abc.db``; a resumed run goes on to ``generations`` in all,
    stopping early once the distance is below ``min_distance``), then write the ensemble:
    ``ensemble.parquet`` (the last generation resampled by weight to ``population`` equally weighted draws; the model's
    targets at each draw in ``ensemble-targets.parquet``),
    ``posterior.yaml`` (version, priors with their reasons, the generations, the central set, each target's fit
    across the ensemble), ``fit.md`` and the figures of the marginals, the pairs and the fit."""
    from sim.sweep import ray_session

    if population < MIN_DRAWS:
        raise UserError(f"--population {population}: give at least {MIN_DRAWS}, the ensemble's smallest size.")
    db = out / "abc.db"
    if db.exists() and not resume:
        raise UserError(f"{out}: holds an earlier posterior's database; pass --resume to continue it or choose another --out.")
    if resume and not db.exists():
        raise UserError(f"{out}: holds no posterior to resume (no abc.db).")
    out.mkdir(parents=True, exist_ok=True)
    np.random.seed(seed)  # pyabc draws from NumPy's global generator
    with ray_session(workers):
        abc = _abc(workers, population)
        history = abc.load(f"sqlite:///{db}", 1) if resume else abc.new(f"sqlite:///{db}", {t.name: t.value for t in TARGETS})
        remaining = generations - (history.max_t + 1 if resume else 0)  # ``generations`` counts those already run
        if remaining > 0:
            history = abc.run(minimum_epsilon=min_distance, max_nr_populations=remaining)
    return write_ensemble(out, history, population, seed)


def adopt_posterior(out: Path) -> Path:
    """Install a posterior's ensemble (and its record beside it) as the one experiments with ``uncertainty: parameters`` draw from."""
    import shutil

    if not (out / ENSEMBLE).is_file() or not (out / "posterior.yaml").is_file():
        raise UserError(f"{out}: holds no finished posterior (ensemble.parquet and posterior.yaml); run 'vardval calibrate --posterior --out {out}' first.")
    shutil.copyfile(out / "posterior.yaml", ADOPTED.with_suffix(".yaml"))
    shutil.copyfile(out / ENSEMBLE, ADOPTED)
    return ADOPTED


@dataclass(frozen=True)
class Ensemble:
    """The posterior's draws (a row per draw, a column per parameter path) and the model's targets at each."""

    draws: pd.DataFrame
    targets: pd.DataFrame


def _last_generation(history, population: int, seed: int) -> Ensemble:
    frame, weights = history.get_distribution()
    stat_weights, stats = history.get_weighted_sum_stats()
    rng = np.random.default_rng(seed)
    # systematic resampling: equally weighted draws in proportion to the particles' weights
    positions = (rng.random() + np.arange(population)) / population
    picked = np.minimum(np.searchsorted(np.cumsum(weights), positions), len(weights) - 1)
    draws = frame.iloc[picked].rename(columns={p.name: p.path for p in PRIORS})[[p.path for p in PRIORS]].reset_index(drop=True)
    targets = pd.DataFrame(stats).iloc[picked][[t.name for t in TARGETS]].reset_index(drop=True)
    return Ensemble(draws, targets)


def write_ensemble(out: Path, history, population: int, seed: int) -> dict[str, Any]:
    ensemble = _last_generation(history, population, seed)
    generations = history.get_all_populations()
    generations = generations[generations["t"] >= 0]
    central = ensemble.draws.median()
    fit = [
        {
            "target": t.name, "value": t.value, "tolerance": t.tolerance, "one_sided": t.one_sided, "median": float(ensemble.targets[t.name].median()),
            "low": float(ensemble.targets[t.name].quantile(0.05)), "high": float(ensemble.targets[t.name].quantile(0.95)),
            "within": float((ensemble.targets[t.name].map(t.miss).abs() <= 1).mean()), "source": t.source,
        }
        for t in TARGETS
    ]
    record = {
        "version": _next_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "method": "ABC-SMC (pyabc), distance: root mean square of the targets' misses in units of their tolerances",
        "evaluation": {**EVALUATION, "seeds": "one per evaluation, from its parameter values"},
        "draws": len(ensemble.draws),
        "simulations": int(generations["samples"].sum()),
        "generations": [{"t": int(r.t), "distance": float(r.epsilon), "simulations": int(r.samples)} for r in generations.itertuples()],
        "priors": {p.path: {"low": p.low, "high": p.high, "reason": p.reason} for p in PRIORS},
        "central": {k: float(v) for k, v in central.items()},
        "targets": fit,
    }
    ensemble.draws.to_parquet(out / ENSEMBLE, index=False)
    ensemble.targets.to_parquet(out / "ensemble-targets.parquet", index=False)
    (out / "posterior.yaml").write_text(yaml.safe_dump(json.loads(json.dumps(record, default=float)), sort_keys=False, allow_unicode=True), encoding="utf-8")
    (out / "fit.md").write_text(markdown(record, ensemble), encoding="utf-8")
    _figures(out, ensemble)
    return record


def markdown(record: dict[str, Any], ensemble: Ensemble) -> str:
    lines = [
        f"Posterior version {record['version']}: {record['draws']} draws from {record['simulations']:,} simulations in {len(record['generations'])} generations "
        f"(distance, the root mean square miss in tolerances: {', '.join(f'{g['distance']:.2f}' for g in record['generations'])}).",
        "",
        "| target | value | tolerance | across the ensemble: median (5-95 %) | draws within tolerance | source |",
        "|---|---:|---:|---|---:|---|",
    ]
    for t in record["targets"]:
        ceiling = "at most " if t["one_sided"] else ""
        lines.append(f"| {t['target']} | {ceiling}{t['value']:.4g} | {t['tolerance']:.3g} | {t['median']:.4g} ({t['low']:.4g} to {t['high']:.4g}) | {100 * t['within']:.0f} % | {t['source']} |")
    lines += ["", "| parameter | prior | posterior: median (5-95 %) | why this prior |", "|---|---|---|---|"]
    for path, prior in record["priors"].items():
        d = ensemble.draws[path]
        lines.append(f"| `{path}` | {prior['low']:g} to {prior['high']:g} | {d.median():.4g} ({d.quantile(0.05):.4g} to {d.quantile(0.95):.4g}) | {prior['reason']} |")
    return "\n".join(lines) + "\n"


def _figures(out: Path, ensemble: Ensemble) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    draws = ensemble.draws
    fig, axes = plt.subplots(3, 5, figsize=(14, 7.5))
    for ax, prior in zip(axes.flat, PRIORS):
        ax.hist(draws[prior.path], bins=15, range=(prior.low, prior.high), color="tab:blue")
        ax.set_title(prior.path.split(".")[-1], fontsize=8)
        ax.set_xlim(prior.low, prior.high)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(PRIORS):]:
        ax.axis("off")
    fig.suptitle("Posterior marginals, each over its prior's range (a flat one: the targets do not inform it)")
    fig.tight_layout()
    fig.savefig(figures / "posterior_marginals.png", dpi=100)
    plt.close(fig)
    # pairs among the parameters the targets inform most: the narrowest posteriors against their priors' widths
    narrowing = {p.path: (draws[p.path].quantile(0.75) - draws[p.path].quantile(0.25)) / (p.high - p.low) for p in PRIORS}
    names = sorted(narrowing, key=narrowing.get)[:PAIRS]
    fig, axes = plt.subplots(len(names), len(names), figsize=(1.9 * len(names), 1.9 * len(names)))
    for i, row in enumerate(names):
        for j, col in enumerate(names):
            ax = axes[i, j]
            if i == j:
                ax.hist(draws[row], bins=15, color="tab:blue")
            elif i > j:
                ax.scatter(draws[col], draws[row], s=3, alpha=0.5)
            else:
                ax.axis("off")
            ax.tick_params(labelsize=5)
            if i == len(names) - 1:
                ax.set_xlabel(col.split(".")[-1], fontsize=6)
            else:
                ax.set_xticks([])  # ticks on the outer axes only: a grid of them is slow to lay out and hard to read
            if j == 0 and i > 0:
                ax.set_ylabel(row.split(".")[-1], fontsize=6)
            else:
                ax.set_yticks([])
    fig.suptitle("Posterior pairs of the most informed parameters")
    fig.tight_layout()
    fig.savefig(figures / "posterior_pairs.png", dpi=100)
    plt.close(fig)
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(1.8 * len(TARGETS), 3.2))
    for ax, t in zip(axes, TARGETS):
        ax.boxplot(ensemble.targets[t.name], widths=0.5)
        ax.axhline(t.value, color="red")
        low = min(float(ensemble.targets[t.name].min()), t.value - t.tolerance) if t.one_sided else t.value - t.tolerance
        ax.axhspan(low, t.value + t.tolerance, color="red", alpha=0.1)
        ax.set_title(t.name, fontsize=6)
        ax.tick_params(labelsize=6)
        ax.set_xticks([])
    fig.suptitle("Each target across the ensemble (box) against its value (line) and tolerance (band; a ceiling: all below)")
    fig.tight_layout()
    fig.savefig(figures / "posterior_fit.png", dpi=110)
    plt.close(fig)
