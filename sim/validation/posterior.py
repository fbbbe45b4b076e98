"""A posterior of the free parameters, not a point: approximate Bayesian computation by adaptive importance sampling.

The simulator has no likelihood. Its posterior here is that of ABC with a Gaussian kernel on
the targets' misses, each in units of its tolerance (a ceiling misses only above it):
weight exp(-1/2 sum of squared misses), the exact posterior under the assumption that each
Swedish or field figure differs from the model by an error of about one tolerance (Wilkinson
2013). Each evaluation runs the targets' settings once on its own seed, so the kernel also
absorbs the simulator's noise.

It is sampled by adaptive multiple importance sampling (AMIS; Cornuet et al. 2012), the way
health-policy simulators are calibrated with IMIS (Raftery & Bao 2010; Menzies et al. 2017).
The first proposal is a Laplace approximation at the adopted parameter set: the Jacobian J of
the misses over every free parameter there (forward differences on common seeds), a
Gauss-Newton step toward the mode, and a Student-t of 1.5 times the spread of (J'J + I)^-1
truncated to the priors' box (the identity a weak stand-in for the flat prior along the
directions no target informs). Each later round recentres on the weighted draws so far, and
every draw's weight is recomputed against the mixture of all rounds' proposals (deterministic
mixture), so the result does not depend on where the proposal started, only how efficiently
it samples. This was chosen over ABC-SMC from the prior (pyabc) because, measured on this
model (docs/uncertainty.md), ABC-SMC from the prior had not come within two tolerances of the
targets after more than an hour on two cores. AMIS spends every simulation near the targets,
and its draws are deterministic on any number of workers: each round's draws come from a
seeded generator, each evaluation's seed from its values.

The priors are uniform over each parameter's plausible range (a scale factor's in its
logarithm): the fitted parameters' ranges of the least-squares fit, and the referral and
altruism parameters no field figure pins down beside E26, over the ranges of the fundholding
robustness study. The posterior keeps the latter about as wide as their priors, and that is
the point: their uncertainty travels into every comparison drawn from the ensemble.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from sim.errors import UserError
from sim.scenario import POSTERIOR_PATH
from sim.executor import Executor, map_tasks
from sim.validation import calibration
from sim.validation.calibration import (
    EVALUATION, OUT_OF_SAMPLE, PARAMETERS, SCENARIO, TARGETS, Fit, Parameter, _misses, _next_version, current_values, fit_markdown, fit_plot, to_unit, to_values,
)

#: the free parameters and their priors: the least-squares fit's, then those the field evidence leaves to assumption
PRIORS: tuple[Parameter, ...] = (
    *PARAMETERS,
    Parameter("behaviour.referral.clear_cut_belief", 0.6, 1.0, "assumption: the field shows urgent care did not answer the budget (field-evidence.md C1, C2), not where the norm lies; 1 is no norm"),
    Parameter("behaviour.referral.result_weight.public_covered", 0.0, 1.0, "assumption: no source measures the share of a covered centre's result that reaches its salaried physicians (U3)"),
    Parameter("behaviour.referral.self_referral_share", 0.0, 0.3, "assumption: self-referrals about 10-15 % of first specialist visits (RECALLED, field-evidence.md H4)"),
    Parameter("behaviour.altruism.scale", 0.5, 2.0, "assumption: evidence.md E4's weights as likely halved as doubled", log=True),
)
MIN_DRAWS = 100  # the ensemble's draws, resampled by weight from every round's
ROUNDS, PER_ROUND = 4, 100  # rounds of the sampler and simulations in each (four carry 66 effective draws, version 10)
DF = 5  # the proposals' Student-t degrees of freedom: heavier tails than the Laplace approximation's, where it errs
PRIOR_PRECISION = 1.0  # added to J'J: a weak stand-in for the flat prior, which keeps the directions no target informs within about the cube
WIDEN = 1.5  # the proposals' scale over the Laplace spread
BATCH = 100_000  # proposal draws at a time, of which those in the cube are kept
PAIRS = 6  # parameters in the pairs plot
ENSEMBLE = "ensemble.parquet"  # a row per draw in random order, a column per parameter path: what experiments with ``uncertainty: parameters`` read
DRAWS = "draws.csv"  # every simulation of the sampler as it finishes: round, index, parameters, targets
ADOPTED = POSTERIOR_PATH  # the ensemble adopted for experiments (vardval calibrate --adopt)


def _seed(values: dict[str, float]) -> int:
    """A seed for one evaluation, from its parameter values: the same set runs the same way, different sets differ."""
    digest = hashlib.sha256(json.dumps({k: round(v, 12) for k, v in sorted(values.items())}).encode()).digest()
    return int.from_bytes(digest[:4], "little")


def reason(p: Parameter) -> str:
    """Why a parameter's prior is what it is."""
    return f"uniform over the least-squares fit's plausible range; identified by {p.why}" if p in PARAMETERS else p.why


@dataclass(frozen=True)
class Proposal:
    """A Student-t over each parameter's position 0-1 in its range, truncated to the unit cube (where the prior is
    flat); ``inside`` is its mass in the cube."""

    mean: np.ndarray
    scale: np.ndarray
    inside: float

    @classmethod
    def fitted(cls, mean: np.ndarray, spread: np.ndarray, rng: np.random.Generator) -> Proposal:
        """The t at ``mean`` with ``WIDEN`` times the ``spread``; its mass in the cube counted on a million draws of ``rng``."""
        mean, scale = np.clip(mean, 0, 1), WIDEN**2 * (spread + spread.T) / 2
        inside = sum(int(cls._inside(stats.multivariate_t(mean, scale, df=DF).rvs(BATCH, random_state=rng)).sum()) for _ in range(10)) / (10 * BATCH)
        return cls(mean, scale, max(inside, 1 / (10 * BATCH)))

    @staticmethod
    def _inside(points: np.ndarray) -> np.ndarray:
        return np.all((points >= 0) & (points <= 1), axis=1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        points = np.empty((0, len(self.mean)))
        while len(points) < n:
            batch = stats.multivariate_t(self.mean, self.scale, df=DF).rvs(BATCH, random_state=rng).reshape(-1, len(self.mean))
            points = np.vstack([points, batch[self._inside(batch)]])
        return points[:n]

    def density(self, units: np.ndarray) -> np.ndarray:
        return stats.multivariate_t(self.mean, self.scale, df=DF).pdf(units) / self.inside


def laplace(fit: Fit) -> tuple[np.ndarray, np.ndarray]:
    """The first proposal's centre and spread in the unit cube: a Gauss-Newton step from the adopted set toward the
    posterior's mode (within the cube), and the inverse of J'J + ``PRIOR_PRECISION`` I, J the misses' Jacobian over every
    free parameter there (forward differences on common seeds)."""
    start = np.clip(to_unit(current_values(PRIORS), PRIORS), 0, 1)
    jacobian = fit.jacobian(start)
    spread = np.linalg.inv(jacobian.T @ jacobian + PRIOR_PRECISION * np.eye(len(PRIORS)))
    return np.clip(start - spread @ jacobian.T @ _misses(fit.model([start])[0]), 0, 1), spread


class Draws:
    """Every simulation of the sampler, stored as it finishes (``draws.csv``) and reused on resume."""

    def __init__(self, out: Path, workers: int):
        self.path, self.workers = out / DRAWS, workers
        self.table = pd.read_csv(self.path) if self.path.exists() else pd.DataFrame()

    def evaluate(self, round_: int, points: np.ndarray) -> pd.DataFrame:
        """The targets at each point of a round (those not yet stored are run; a stored row counts only where its
        index and its values are the point's, so a changed sampler reruns what it changed)."""
        values = [to_values(point, PRIORS) for point in points]
        stored = set()
        if len(self.table):
            mine = self.table[self.table["round"] == round_]
            stored = {(int(r["index"]), _key(r)) for r in mine.to_dict("records")}
        todo = [i for i in range(len(points)) if (i, _key(values[i])) not in stored]

        def store(k: int, result: dict[str, float]) -> None:
            row = pd.DataFrame([{"round": round_, "index": todo[k], **values[todo[k]], **result}])
            row.to_csv(self.path, mode="a", header=not self.path.exists(), index=False)
            self.table = pd.concat([self.table, row], ignore_index=True)

        map_tasks(calibration._evaluate, [(values[i], _seed(values[i])) for i in todo], self.workers, each=store)
        rows = self.table[self.table["round"] == round_]
        wanted = {(i, _key(v)) for i, v in enumerate(values)}
        return rows[[(int(r["index"]), _key(r)) in wanted for r in rows.to_dict("records")]].drop_duplicates("index", keep="last").sort_values("index")


def _key(values: dict[str, float]) -> tuple:
    return tuple(round(float(values[p.path]), 9) for p in PRIORS)


def _weights(table: pd.DataFrame, proposals: list[Proposal]) -> np.ndarray:
    """Each draw's normalised weight: the kernel over the equal mixture of every round's proposal (the prior is flat in the cube)."""
    units = to_units(table)
    mixture = np.mean([q.density(units) for q in proposals], axis=0)
    log_kernel = np.array([-0.5 * np.sum(_misses(row) ** 2) for row in table[[t.name for t in TARGETS]].to_dict("records")])
    log_w = log_kernel - np.log(mixture)
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def to_units(table: pd.DataFrame) -> np.ndarray:
    return np.array([to_unit(row, PRIORS) for row in table[[p.path for p in PRIORS]].to_dict("records")])


def posterior(out: Path, workers: int = 1, rounds: int | None = None, per_round: int = PER_ROUND, seed: int = 1, resume: bool = False) -> dict[str, Any]:
    """Sample the posterior into ``out`` (a resumed run reuses every stored simulation and goes on to ``rounds`` in all),
    then write ``ensemble.parquet`` (``MIN_DRAWS`` equally weighted draws, resampled by weight, in random order),
    ``ensemble-targets.parquet`` (the model's targets at each), ``posterior.yaml`` (version, method, priors with their
    reasons, rounds, effective draws, the central set, each target's fit across the ensemble), ``calibrated.yaml`` and
    ``fit.md`` (the central set, the weighted medians, and its fit on two seeds), and the figures."""
    rounds = ROUNDS if rounds is None else rounds
    if rounds < 1:
        raise UserError(f"--rounds {rounds}: give 1 or more rounds of sampling.")
    if per_round < MIN_DRAWS:
        raise UserError(f"--per-round {per_round}: give at least {MIN_DRAWS}, the ensemble's smallest size.")
    stored = (out / DRAWS).exists() or (out / "laplace.csv").exists()
    if stored and not resume:
        raise UserError(f"{out}: holds an earlier posterior's simulations; pass --resume to continue it or choose another --out.")
    if resume and not stored:
        raise UserError(f"{out}: holds no posterior to resume (no {DRAWS} or laplace.csv).")
    out.mkdir(parents=True, exist_ok=True)
    rng, counting = (np.random.default_rng(s) for s in np.random.SeedSequence([seed, 1]).spawn(2))  # the draws', and the count of each proposal's mass
    with Executor(workers):  # Ray once for every batch of the calibration
        fit = Fit(out, workers, seed, PRIORS, "laplace.csv")  # the Jacobian's runs on common seeds, and the central set's fit on them
        mean, spread = laplace(fit)
        draws, proposals, rounds_done, rounds_tables = Draws(out, workers), [], [], []
        for r in range(rounds):
            proposals.append(Proposal.fitted(mean, spread, counting))
            rounds_tables.append(draws.evaluate(r, proposals[-1].sample(per_round, rng)))
            table = pd.concat(rounds_tables, ignore_index=True)
            w = _weights(table, proposals)
            rounds_done.append({"round": r, "simulations": per_round, "effective_draws": float(1 / np.sum(w**2))})
            mean = w @ to_units(table)  # the next round recentres on the weighted draws; their covariance, from a few dozen effective draws, would be too noisy to shape it
        ensemble = _resample(table, w, rng)
        central = _central(table, w)
        before, after = fit.model([to_unit(current_values(PRIORS), PRIORS), to_unit(central, PRIORS)])
    return write(out, ensemble, table, w, rounds_done, central, before, after, fit)


@dataclass(frozen=True)
class Ensemble:
    """The posterior's draws (a row per draw, a column per parameter path) and the model's targets at each."""

    draws: pd.DataFrame
    targets: pd.DataFrame


def _resample(table: pd.DataFrame, w: np.ndarray, rng: np.random.Generator) -> Ensemble:
    """Systematic resampling into ``MIN_DRAWS`` equally weighted draws, then shuffled, so that any first k rows (what
    an experiment of 2k replications reads) are a random subsample."""
    positions = (rng.random() + np.arange(MIN_DRAWS)) / MIN_DRAWS
    picked = rng.permutation(np.minimum(np.searchsorted(np.cumsum(w), positions), len(w) - 1))
    rows = table.iloc[picked].reset_index(drop=True)
    return Ensemble(rows[[p.path for p in PRIORS]], rows[[*(t.name for t in TARGETS), *(c.name for c in OUT_OF_SAMPLE)]])


def _central(table: pd.DataFrame, w: np.ndarray) -> dict[str, float]:
    """The central set: each parameter's weighted median (what a single run uses)."""
    central = {}
    for p in PRIORS:
        order = np.argsort(table[p.path].to_numpy())
        cumulative = np.cumsum(w[order])
        central[p.path] = float(table[p.path].to_numpy()[order][np.searchsorted(cumulative, 0.5)])
    return central


def write(out: Path, ensemble: Ensemble, table: pd.DataFrame, w: np.ndarray, rounds: list[dict], central: dict[str, float], before: dict, after: dict, fit: Fit) -> dict[str, Any]:
    version = _next_version()
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    targets = [
        {
            "target": t.name, "value": t.value, "tolerance": t.tolerance, "one_sided": t.one_sided, "median": float(ensemble.targets[t.name].median()),
            "low": float(ensemble.targets[t.name].quantile(0.05)), "high": float(ensemble.targets[t.name].quantile(0.95)),
            "within": float((ensemble.targets[t.name].map(t.miss).abs() <= 1).mean()), "source": t.source,
        }
        for t in TARGETS
    ]
    checks = [
        {
            "check": c.name, "low": c.low, "high": c.high, "median": float(ensemble.targets[c.name].median()),
            "q05": float(ensemble.targets[c.name].quantile(0.05)), "q95": float(ensemble.targets[c.name].quantile(0.95)),
            "within": float(ensemble.targets[c.name].between(c.low, c.high).mean()), "source": c.source,
        }
        for c in OUT_OF_SAMPLE
    ]
    record = {
        "version": version,
        "created": created,
        "method": "ABC with a Gaussian kernel on the misses in tolerances (Wilkinson 2013), sampled by adaptive multiple importance sampling from a Laplace approximation (Cornuet et al. 2012)",
        "evaluation": {**EVALUATION, "seeds": "one per simulation, from its parameter values"},
        "draws": len(ensemble.draws),
        "simulations": int(len(table)),
        "effective_draws": float(1 / np.sum(w**2)),
        "rounds": rounds,
        "priors": {p.path: {"low": p.low, "high": p.high, "scale": "log" if p.log else "linear", "reason": reason(p)} for p in PRIORS},
        "central": central,
        "targets": targets,
        "out_of_sample": checks,
    }
    calibrated = {
        "version": version,
        "created": created,
        "scenario": SCENARIO,
        "method": "the posterior's central set (each parameter's weighted median), fit shown on two seeds",
        "evaluation": {**EVALUATION, "seeds": fit.seeds},
        "cost": float(np.sum(_misses(after) ** 2)),
        "evaluations": int(len(table) + len(fit.cache)),
        "parameters": {k: round(v, 6) for k, v in central.items()},
        "ranges": {p.path: [p.low, p.high, reason(p)] for p in PRIORS},
        "targets": [
            {"target": t.name, "value": t.value, "tolerance": t.tolerance, "one_sided": t.one_sided, "before": before[t.name], "model": after[t.name], "within": abs(t.miss(after[t.name])) <= 1, "source": t.source}
            for t in TARGETS
        ],
    }
    table.assign(weight=w).to_csv(out / "draws-weighted.csv", index=False)
    ensemble.draws.to_parquet(out / ENSEMBLE, index=False)
    ensemble.targets.to_parquet(out / "ensemble-targets.parquet", index=False)
    for name, content in (("posterior.yaml", record), ("calibrated.yaml", calibrated)):
        (out / name).write_text(yaml.safe_dump(json.loads(json.dumps(content, default=float)), sort_keys=False, allow_unicode=True), encoding="utf-8")
    (out / "fit.md").write_text(fit_markdown(calibrated) + "\n" + markdown(record, ensemble.draws), encoding="utf-8")
    fit_plot(calibrated, out / "figures" / "calibration_fit.png")
    _figures(out, ensemble)
    return record


def adopted() -> tuple[dict[str, Any], pd.DataFrame] | None:
    """The adopted posterior's record and draws (None before one is adopted)."""
    record = ADOPTED.with_suffix(".yaml")
    if not (ADOPTED.is_file() and record.is_file()):
        return None
    return yaml.safe_load(record.read_text(encoding="utf-8")), pd.read_parquet(ADOPTED)


def adopt(out: Path, ensemble_only: bool = False) -> list[tuple[Path, str]]:
    """Install a calibration: its ``calibrated.yaml`` as the set every scenario starts from (unless ``ensemble_only``), and
    a posterior's ensemble (with its record) as the one experiments with ``uncertainty: parameters`` draw from. Returns
    each installed file with what it now is."""
    from sim.scenario import CALIBRATED_PATH

    if not (out / "calibrated.yaml").is_file():
        raise UserError(f"{out}: holds no finished calibration (calibrated.yaml); run 'vardval calibrate --out {out}' first.")
    has_ensemble = (out / ENSEMBLE).is_file() and (out / "posterior.yaml").is_file()
    if ensemble_only and not has_ensemble:
        raise UserError(f"{out}: holds no ensemble ({ENSEMBLE} and posterior.yaml) to install; --ensemble-only needs a posterior, not a --point fit.")
    installed = []
    if not ensemble_only:
        shutil.copyfile(out / "calibrated.yaml", CALIBRATED_PATH)
        installed.append((CALIBRATED_PATH, "is now the parameter set every scenario starts from"))
    if has_ensemble:
        shutil.copyfile(out / "posterior.yaml", ADOPTED.with_suffix(".yaml"))
        shutil.copyfile(out / ENSEMBLE, ADOPTED)
        installed.append((ADOPTED, "is the ensemble experiments with 'uncertainty: parameters' draw from"))
    return installed


def markdown(record: dict[str, Any], draws: pd.DataFrame) -> str:
    """The posterior's report: each target and out-of-sample check across the ensemble, and each parameter's prior and posterior."""
    lines = [
        f"Posterior version {record['version']}: {record['draws']} draws resampled from {record['simulations']:,} simulations in {len(record['rounds'])} rounds "
        f"of adaptive importance sampling, carrying {record['effective_draws']:.0f} effective draws (by round: {', '.join(f'{r['effective_draws']:.0f}' for r in record['rounds'])}).",
        "",
        "| target | value | tolerance | across the ensemble: median (5-95 %) | draws within tolerance | source |",
        "|---|---:|---:|---|---:|---|",
    ]
    for t in record["targets"]:
        ceiling = "at most " if t["one_sided"] else ""
        lines.append(f"| {t['target']} | {ceiling}{t['value']:.4g} | {t['tolerance']:.3g} | {t['median']:.4g} ({t['low']:.4g} to {t['high']:.4g}) | {100 * t['within']:.0f} % | {t['source']} |")
    lines += [
        "",
        "Out of sample: field figures no fit saw, measured in the same simulations (the UK rule against today's on the same seed).",
        "",
        "| check | accepted range | across the ensemble: median (5-95 %) | draws within range | source |",
        "|---|---|---|---:|---|",
    ]
    for c in record["out_of_sample"]:
        lines.append(f"| {c['check']} | {100 * c['low']:+.1f} % to {100 * c['high']:+.1f} % | {100 * c['median']:+.1f} % ({100 * c['q05']:+.1f} % to {100 * c['q95']:+.1f} %) | {100 * c['within']:.0f} % | {c['source']} |")
    lines += ["", "| parameter | prior | posterior: median (5-95 %) | why this prior |", "|---|---|---|---|"]
    for path, prior in record["priors"].items():
        d = draws[path]
        scale = ", uniform in its logarithm" if prior["scale"] == "log" else ""
        lines.append(f"| `{path}` | {prior['low']:g} to {prior['high']:g}{scale} | {d.median():.4g} ({d.quantile(0.05):.4g} to {d.quantile(0.95):.4g}) | {prior['reason']} |")
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
        ax.hist(draws[prior.path], bins=np.geomspace(prior.low, prior.high, 16) if prior.log else 15, range=None if prior.log else (prior.low, prior.high), color="tab:blue")
        ax.set_xscale("log" if prior.log else "linear")
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
    narrowing = {p.path: p.unit(draws[p.path].quantile(0.75)) - p.unit(draws[p.path].quantile(0.25)) for p in PRIORS}
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
