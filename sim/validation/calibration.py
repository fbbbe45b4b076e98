"""``vardval calibrate``: fit the model's free parameters to Swedish figures (sweden.md).

The targets are national Swedish figures applied to today's Jämtland (the default
scenario): visits per resident, the 3-day access share, the share with a doctor of their
own, yearly switching, region spending per resident on care beside primary care (with
primary care's as a ceiling), both counted as SCB counts them, the concentration of cost in
the costliest 10 % and the few entries of recent years; and two figures of the literature
no Swedish source gives, how many fewer visits physicians give when not paid per visit or
paid a reduced fee (evidence.md E8, E7), which together identify the value physicians put
on a needed visit. The free parameters are those no
source pins down (marked "assumption" in docs/parameters.md), each within a plausible
range. The private share of visits in Jämtland (10 %, 2015) is not a target: it is set by
which centres of the region preset are private (7 of 26, in 2020), and a first fit that
tried to reach it with the choice model's distance coefficient only drove that coefficient
to its bound (docs/validation.md).

The fit minimises the sum of squared misses, each in units of its tolerance, by SciPy's
trust-region least squares on the parameters scaled to [0, 1]. Every evaluation runs the
default scenario on the same seeds (common random numbers, so the objective is
deterministic; the fee-for-service and mixed twins run on the same seed), and the finite-difference
Jacobian's runs go to Ray together. Each
evaluation is appended to ``evaluations.csv`` as it finishes, so an interrupted fit
resumes (``--resume``) by replaying the optimiser over the stored evaluations.

The result, ``calibrated.yaml``, holds the version, the parameter values, the targets and
the fit (``vardval calibrate --point``); the posterior (sim.validation.posterior) starts from
the set adopted, and its central set is what ``--adopt`` installs as ``sim/calibrated.yaml``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd
import yaml

from sim.errors import UserError
from sim.experiment import replication_seeds
from sim.outcomes import rate_ratio
from sim.scenario import CALIBRATED, load_scenario
from sim.executor import Executor, map_tasks

if TYPE_CHECKING:
    from sim.runner import RunResult

SCENARIO = "jamtland-2020"
#: the same region paid by fee-for-service and by half capitation, half fees: the volume response to payment (E7, E8)
FEE_FOR_SERVICE, MIXED = "fee-for-service", "blend-capitation-ffs"
#: the same region under the UK's fundholding rule, its preparatory year reported: the referral response to a budget (E26)
UK_FUNDHOLDING, UK_PREPARATORY = "fundholding-uk-1991", {"rulebook.fundholding.entry_year": 2}


@dataclass(frozen=True)
class Parameter:
    path: str  # scenario field
    low: float
    high: float
    why: str  # which target identifies it, or why its range
    log: bool = False  # a scale factor: uniform in its logarithm (as likely halved as doubled)

    def value(self, unit: float) -> float:
        """The field's value at a position 0-1 in its range."""
        if self.log:
            return float(self.low * (self.high / self.low) ** unit)
        return float(self.low + unit * (self.high - self.low))

    def unit(self, value: float) -> float:
        """A value's position 0-1 in the range."""
        if self.log:
            return float(np.log(value / self.low) / np.log(self.high / self.low))
        return float((value - self.low) / (self.high - self.low))


@dataclass(frozen=True)
class CalibrationTarget:
    name: str
    value: float
    tolerance: float  # one unit of miss
    source: str
    one_sided: bool = False  # only a value above the target misses

    def miss(self, model: float) -> float:
        gap = (model - self.value) / self.tolerance
        return max(gap, 0.0) if self.one_sided else gap


PARAMETERS = (
    Parameter("population.needs.q_star_median", 1.1, 2.4, "visits per resident"),
    Parameter("market.access.wait_scale_days", 0.01, 0.3, "3-day access"),
    Parameter("market.staffing.target_utilisation", 0.8, 1.0, "3-day access (with the wait scale; staff per visit)"),
    Parameter("behaviour.continuity.usual_team_share", 0.5, 0.98, "doctor of one's own"),
    Parameter("behaviour.choice.reconsider_per_month", 0.005, 0.06, "yearly switching"),
    Parameter("market.hospital.direct_frailty_dispersion", 0.0, 2.5, "cost concentration"),
    Parameter("market.hospital.direct_case_sek", 15_000, 50_000, "spending per resident on care beside primary care"),
    Parameter("market.entry.profit_threshold", 0.0, 0.3, "entries"),
    Parameter("behaviour.treatment.value_sek_per_unit", 1_000, 5_000, "visits lost from fee-for-service to capitation"),
    Parameter("behaviour.referral.value_sek", 20_000, 400_000, "UK fundholders' referral growth against other practices"),
)

TARGETS = (
    CalibrationTarget("visits_per_capita", 3.4, 0.2, "sweden.md 2: about 36 M primary-care visits, all professions, 2021 (DERIVED)"),
    CalibrationTarget("access_3day_share", 0.81, 0.03, "sweden.md 8: 81 % assessed within 3 days, January 2019 (READ)"),
    CalibrationTarget("named_doctor_share", 0.30, 0.03, "sweden.md 7: about 3 in 10 have a doctor of their own, 2024 (READ)"),
    CalibrationTarget("switching_per_year", 0.06, 0.01, "evidence.md E22: baseline switching about 6 % a period (DERIVED)"),
    CalibrationTarget("top10_cost_share", 0.70, 0.03, "sweden.md 4: the costliest 10 % carry 71 % in Denmark, 67 % in northern Norway (READ)"),
    CalibrationTarget(
        "cost_hospital_per_capita_sek", 21_895, 1_200, "sweden.md 4: regional health spending per resident beside primary care, 2022: 27,300 x (1 - 0.198), SCB's count, without drugs of the benefit scheme (DERIVED)"
    ),
    CalibrationTarget(
        "primary_care_per_capita_sek", 5_400, 500, "sweden.md 4: primary care's spending per resident, 2022, a ceiling: SCB's also covers services the model lacks and no benefit-scheme drugs (DERIVED)", one_sided=True
    ),
    CalibrationTarget("entries_per_year", 0.5, 0.5, "sweden.md 8: few new centres in recent years (READ); at most about one every two years in a region of 26 centres", one_sided=True),
    CalibrationTarget(
        "ffs_to_capitation_visits", -0.23, 0.08, "evidence.md E8: physicians not paid by fee-for-service see 15-31 % fewer patients (Sarma, Devlin & Hogg 2010; READ)"
    ),
    CalibrationTarget("ffs_to_mixed_visits", -0.0615, 0.05, "evidence.md E7: a per diem plus a reduced fee cut services by 6.15 % (Dumont et al. 2008; READ)"),
    CalibrationTarget(
        "uk_referral_growth_gap",
        -0.151,
        0.05,
        "evidence.md E26: first-wave fundholders' NHS referrals +7.5 % from their preparatory year to their third year, other practices' +26.6 % (Surender et al. 1995; READ): growth 15.1 % lower",
    ),
)
@dataclass(frozen=True)
class OutOfSample:
    """A field figure kept out of every fit, measured in each evaluation's runs at no extra cost: its accepted range."""

    name: str
    low: float
    high: float
    source: str


#: the UK rule's field effects the fit leaves out (the validation's E27, F1-F3), in the runs each evaluation makes anyway
OUT_OF_SAMPLE = (
    OutOfSample("uk_surgical_referral_growth_gap", -0.244, -0.044, "evidence.md E27: orthopaedic referrals +13 % vs +32 % to two years after entry, growth 14.4 % lower, 10 points either way (READ)"),
    OutOfSample("uk_elective_admissions_year3", -0.08, -0.02, "field-evidence.md F1: fundholding lowered elective admissions 3.4-7.4 % (Dusheiko et al. 2006; READ)"),
    OutOfSample("uk_emergency_admissions_year3", -0.02, 0.02, "field-evidence.md F2: no effect on emergency admissions (Dusheiko et al. 2003; READ)"),
    OutOfSample("uk_elective_admissions_preparatory", 0.05, 0.15, "field-evidence.md F3: about +10 % in the preparatory year with historic budgets (Croxson, Propper & Perkins 2001; READ)"),
)
#: the reduced scale each evaluation runs at: a third of the region, four reported years after a warm-up year (the UK
#: rule's preparatory year and three years of fundholding), two seeds
EVALUATION = {"population.residents": 45_000, "months": 48, "warmup_months": 12}
SEEDS = 2


def outcomes(today: RunResult, fee_for_service: dict[str, Any], mixed: dict[str, Any], uk: RunResult) -> dict[str, float]:
    """The calibration targets' model figures (and the out-of-sample checks') from today's run and, on the same seed, the summaries of the same region
    paid by fee-for-service and by the mixed rule (the volume response, E7-E8) and the run under the UK's fundholding
    rule (the referral response, E26)."""
    summary = today.summary
    return {
        **{t.name: summary[t.name] for t in TARGETS if t.name in summary},
        "primary_care_per_capita_sek": primary_care_as_scb(summary.__getitem__),
        "entries_per_year": summary["clinic_entries"] * 12 / today.scenario.months,
        "ffs_to_capitation_visits": summary["visits_per_capita"] / fee_for_service["visits_per_capita"] - 1,
        "ffs_to_mixed_visits": mixed["visits_per_capita"] / fee_for_service["visits_per_capita"] - 1,
        "uk_referral_growth_gap": rate_ratio(uk.yearly, today.yearly, "referrals", year=4, from_year=1),
        # out of sample (OUT_OF_SAMPLE): reported across the posterior, never fitted
        "uk_surgical_referral_growth_gap": rate_ratio(uk.yearly, today.yearly, "surgical_referrals", year=3, from_year=1),
        "uk_elective_admissions_year3": rate_ratio(uk.yearly, today.yearly, "elective_admissions", year=4),
        "uk_emergency_admissions_year3": rate_ratio(uk.yearly, today.yearly, "emergency_admissions", year=4),
        "uk_elective_admissions_preparatory": rate_ratio(uk.yearly, today.yearly, "elective_admissions", year=1),
    }


def primary_care_as_scb(mean: Callable[[str], float]) -> float:
    """Primary care's spending per resident as SCB counts it, SEK per year: the care-choice centres and the digital
    provider, without the centres' drug budget (general drugs for listed residents, rulebooks.md 1), which SCB books
    with the benefit-scheme drugs it leaves out [läkemedelsförmånen] (sweden.md 4)."""
    return mean("cost_primary_per_capita_sek") + mean("cost_digital_per_capita_sek")


def counted_as_scb(mean: Callable[[str], float]) -> str:
    """The spending the fit compares with SCB's, in words, from the mean of a summary outcome on today's rulebook.

    The model's hospital spending stands for all the region's care beside primary care (specialised, psychiatric and
    other care), which SCB counts without the benefit-scheme drugs, as the model does. Its primary care is only the
    care-choice centres and the digital provider, so SCB's, which also covers child and maternal health, district
    nursing and the like (RECALLED), is a ceiling for it, not a target.
    """
    target = {t.name: t.value for t in TARGETS}
    drugs, beside, primary = mean("cost_drugs_per_capita_sek"), mean("cost_hospital_per_capita_sek"), primary_care_as_scb(mean)
    scb_beside, scb_primary = target["cost_hospital_per_capita_sek"], target["primary_care_per_capita_sek"]
    return (
        f"**Spending counted as SCB counts it** (today's rulebook, the validation's `capitation` setting). SCB leaves out the drugs "
        f"of the benefit scheme; so does the fit, and with them the centres' drug budget, {drugs:,.0f} SEK per resident in the model. "
        f"Care beside primary care: {beside:,.0f} SEK per resident (SCB {scb_beside:,.0f}, the fit's target). Primary care: {primary:,.0f} SEK "
        f"(SCB {scb_primary:,.0f}, a ceiling: it also covers services outside the care-choice centres, such as child and maternal health "
        f"and district nursing, that the model does not have; RECALLED). In all {beside + primary:,.0f} SEK per resident (SCB {scb_beside + scb_primary:,.0f}), "
        f"primary care {100 * primary / (beside + primary):.1f} % of it (SCB {100 * scb_primary / (scb_beside + scb_primary):.1f} %)."
    )


def _evaluate(task: tuple[dict[str, float], int]) -> dict[str, float]:
    from sim.runner import run

    values, seed = task
    today, fees, mixed, uk = (
        run(load_scenario(name, {**EVALUATION, **extra, **values, "seed": seed}, calibrated=False))  # no value of an earlier fit leaks in
        for name, extra in ((SCENARIO, {}), (FEE_FOR_SERVICE, {}), (MIXED, {}), (UK_FUNDHOLDING, UK_PREPARATORY))
    )
    return outcomes(today, fees.summary, mixed.summary, uk)


def to_values(x: np.ndarray, parameters: tuple[Parameter, ...] = PARAMETERS) -> dict[str, float]:
    """Scenario values from a point of the unit cube."""
    return {p.path: p.value(xi) for p, xi in zip(parameters, x)}


def to_unit(values: dict[str, float], parameters: tuple[Parameter, ...] = PARAMETERS) -> np.ndarray:
    return np.array([p.unit(values[p.path]) for p in parameters])


class Fit:
    """Evaluations of the objective, stored as they finish and reused on resume."""

    def __init__(self, out: Path, workers: int, seed: int, parameters: tuple[Parameter, ...] = PARAMETERS, name: str = "evaluations.csv"):
        self.path = out / name
        self.parameters = parameters
        self.workers = workers
        self.seeds = replication_seeds(seed, SEEDS)
        self.cache: dict[tuple, dict[str, float]] = {}
        if self.path.exists():
            stored = pd.read_csv(self.path)
            missing = [c for c in [*(p.path for p in self.parameters), *(t.name for t in TARGETS)] if c not in stored.columns]
            if missing:
                raise UserError(f"{self.path}: lacks the columns {', '.join(missing)}; it is not from this version's 'vardval calibrate', so --resume cannot continue it: choose another --out.")
            for row in stored.to_dict("records"):
                self.cache[tuple(round(row[p.path], 12) for p in self.parameters)] = {t.name: row[t.name] for t in TARGETS}

    def _key(self, x: np.ndarray) -> tuple:
        return tuple(round(v, 12) for v in to_values(x, self.parameters).values())

    def model(self, points: list[np.ndarray]) -> list[dict[str, float]]:
        """The targets' model figures at each point (mean over the seeds), running those not yet evaluated."""
        todo = list(dict.fromkeys(self._key(x) for x in points if self._key(x) not in self.cache))
        if todo:
            tasks = [(dict(zip([p.path for p in self.parameters], key)), s) for key in todo for s in self.seeds]
            results = map_tasks(_evaluate, tasks, self.workers)
            for i, key in enumerate(todo):
                runs = results[i * len(self.seeds) : (i + 1) * len(self.seeds)]
                self.cache[key] = {t.name: float(np.mean([r[t.name] for r in runs])) for t in TARGETS}
                row = pd.DataFrame([{**dict(zip([p.path for p in self.parameters], key)), **self.cache[key]}])
                row.to_csv(self.path, mode="a", header=not self.path.exists(), index=False)
        return [self.cache[self._key(x)] for x in points]

    def points(self) -> list[np.ndarray]:
        """Every point evaluated so far."""
        return [to_unit(dict(zip([p.path for p in self.parameters], key)), self.parameters) for key in self.cache]

    def cost(self, x: np.ndarray) -> float:
        return float(np.sum(self.residuals(x) ** 2))

    def residuals(self, x: np.ndarray) -> np.ndarray:
        return _misses(self.model([x])[0])

    def jacobian(self, x: np.ndarray, step: float = 0.04) -> np.ndarray:
        """Forward differences, every shifted point run at once (on Ray with several workers)."""
        shifts = [np.where(np.arange(len(x)) == i, x + (step if x[i] + step <= 1 else -step), x) for i in range(len(x))]
        base, *shifted = self.model([x, *shifts])
        r0 = _misses(base)
        columns = [(_misses(m) - r0) / (s[i] - x[i]) for i, (s, m) in enumerate(zip(shifts, shifted))]
        return np.column_stack(columns)


def _misses(model: dict[str, float]) -> np.ndarray:
    """Each target's miss, in units of its tolerance, at one point's model figures."""
    return np.array([t.miss(model[t.name]) for t in TARGETS])


def calibrate(out: Path, workers: int = 1, max_evaluations: int = 40, seed: int = 1, resume: bool = False) -> dict[str, Any]:
    """Fit the parameters, write ``calibrated.yaml``, ``fit.csv``, ``fit.md`` and ``figures/calibration_fit.png`` to ``out``."""
    from scipy.optimize import least_squares

    if (out / "evaluations.csv").exists() and not resume:
        raise UserError(f"{out}: holds an earlier calibration; pass --resume to continue it or choose another --out.")
    out.mkdir(parents=True, exist_ok=True)
    fit = Fit(out, workers, seed)
    start = np.clip(to_unit(current_values()), 0, 1)
    with Executor(workers):  # Ray once for every batch of the calibration
        solution = least_squares(fit.residuals, start, jac=fit.jacobian, bounds=(0, 1), max_nfev=max_evaluations)
    best = min([solution.x, *fit.points()], key=fit.cost)  # the optimiser's answer, or a better point it tried on the way
    before, after = fit.model([start, best])
    table = pd.DataFrame(
        [
            {
                "target": t.name, "value": t.value, "tolerance": t.tolerance, "one_sided": t.one_sided, "before": before[t.name], "model": after[t.name],
                "within": abs(t.miss(after[t.name])) <= 1, "source": t.source,
            }
            for t in TARGETS
        ]
    )
    calibrated = {
        "version": _next_version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scenario": SCENARIO,
        "evaluation": {**EVALUATION, "seeds": fit.seeds},
        "cost": fit.cost(best),
        "evaluations": len(fit.cache),
        "parameters": {p.path: round(v, 6) for p, v in zip(PARAMETERS, to_values(best).values())},
        "ranges": {p.path: [p.low, p.high, p.why] for p in PARAMETERS},
        "targets": table.to_dict("records"),
    }
    (out / "calibrated.yaml").write_text(yaml.safe_dump(json.loads(json.dumps(calibrated, default=float)), sort_keys=False, allow_unicode=True), encoding="utf-8")
    table.to_csv(out / "fit.csv", index=False)
    (out / "fit.md").write_text(fit_markdown(calibrated), encoding="utf-8")
    fit_plot(calibrated, out / "figures" / "calibration_fit.png")
    return calibrated


def current_values(parameters: tuple[Parameter, ...] = PARAMETERS) -> dict[str, float]:
    """Where a fit starts: the parameters as the default scenario has them now (calibrated or not)."""
    scenario = load_scenario(SCENARIO)
    values = {}
    for p in parameters:
        node: Any = scenario
        for key in p.path.split("."):
            node = getattr(node, key)
        values[p.path] = float(node)
    return values


def _next_version() -> int:
    """One above the installed calibration's and the installed ensemble's versions, so no two results share a number."""
    from sim.scenario import ensemble_version

    return max(int(CALIBRATED.get("version", 0)), int(ensemble_version() or 0)) + 1


def fit_markdown(calibrated: dict[str, Any]) -> str:
    """The fit report: each target, the model before and after, and the parameters found."""
    lines = [
        f"Calibration version {calibrated['version']} ({calibrated['created']}), {calibrated['evaluations']} evaluations of `{calibrated['scenario']}` "
        f"at {calibrated['evaluation']['population.residents']:,} residents, {calibrated['evaluation']['months']} months after a warm-up year, seeds {calibrated['evaluation']['seeds']}.",
        "",
        "| target | Swedish figure | tolerance | before | calibrated | within tolerance | source |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for t in calibrated["targets"]:
        tolerance, before, model = (_in_units_of(t[k], t["value"]) for k in ("tolerance", "before", "model"))
        lines.append(f"| {t['target']} | {_target_value(t)} | {tolerance} | {before} | {model} | {'yes' if t['within'] else '**no**'} | {t['source']} |")
    lines += ["", "| parameter | calibrated | plausible range | identified by |", "|---|---:|---|---|"]
    for path, value in calibrated["parameters"].items():
        low, high, why = calibrated["ranges"][path]
        lines.append(f"| `{path}` | {value:g}{_at_bound(value, low, high)} | {low:g} to {high:g} | {why} |")
    return "\n".join(lines) + "\n"


def fit_plot(calibrated: dict[str, Any], path: Path) -> Path:
    """The fit's figure: each target's miss before and after the fit, in tolerances, as the fit counts it (a ceiling
    misses only above it)."""
    from sim.plots import calibration_plot

    rows = []
    for t in calibrated["targets"]:
        target = CalibrationTarget(t["target"], t["value"], t["tolerance"], t["source"], _one_sided(t))
        rows.append({"label": f"{t['target']} ({_target_value(t)})", "before": target.miss(t["before"]), "model": target.miss(t["model"])})
    return calibration_plot(pd.DataFrame(rows), path)


def _in_units_of(value: float, target: float) -> str:
    """A figure printed as its target's kind of number: whole SEK for money and counts in hundreds, three decimals for shares and rates."""
    return f"{value:,.0f}" if abs(target) >= 100 else f"{value:.3f}"


def _target_value(target: dict[str, Any]) -> str:
    """A fit's target figure as the report prints it: 'at most' before a ceiling."""
    value = _in_units_of(target["value"], target["value"])
    return f"at most {value}" if _one_sided(target) else value


def _one_sided(target: dict[str, Any]) -> bool:
    """Whether a fit's target record is a ceiling (only a value above it misses); records of version 6 and before do
    not say, so the target of that name decides."""
    return bool(target.get("one_sided", next((t.one_sided for t in TARGETS if t.name == target["target"]), False)))


def _at_bound(value: float, low: float, high: float) -> str:
    """A warning where the fit ended within 1 % of its range from a bound: the range, not the data, set that value."""
    if value - low <= 0.01 * (high - low):
        return " (**at the lower bound**)"
    if high - value <= 0.01 * (high - low):
        return " (**at the upper bound**)"
    return ""
