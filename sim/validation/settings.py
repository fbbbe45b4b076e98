"""The settings validation runs the model on: each target's own rulebook and region, on the same seeds.

A setting is a built-in scenario with field values changed. Every setting runs on the same
replication seeds, so differences between settings are paired (common random numbers).
``quick`` runs a scaled-down region for two years (one reported), for CI; the full size
runs the region presets for four years (three reported) on three seeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment import replication_seeds
from sim.market import entry_prospects
from sim.market_outcomes import area_cni_index
from sim.model import CareMarket
from sim.outcomes import rate_ratio
from sim.runner import run
from sim.scenario import load_scenario
from sim.executor import map_tasks

#: the Gävleborg pool (3 % of a vårdpeng of about 3,300 SEK, sweden.md 5.2)
SWEDISH_POOL_SEK = 100
#: a UK-like pool, on top of three quarters of the capitation: sized to about a quarter of clinics' income without
#: the drug budget, which UK practices did not hold (evidence.md E17; E17's model column reports the share)
UK = {
    "rulebook.capitation.scale": 0.75,
    "rulebook.pay_for_performance.pool_sek_per_listed": 1250,
    "rulebook.pay_for_performance.chronic_followup": {"weight": 0.6, "floor": 0.4, "target": 0.9},
    "rulebook.pay_for_performance.access_3day": {"weight": 0.2, "floor": 0.6, "target": 0.9},
    "rulebook.pay_for_performance.continuity": {"weight": 0.2, "floor": 0.1, "target": 0.35},
    "rulebook.pay_for_performance.exceptions.enabled": True,
}
#: a second, larger pool for E17 (its exception effect turns with the pool's size)
LARGER_UK_POOL_SEK = 1800
EXCEPTIONS = {"rulebook.pay_for_performance.exceptions.enabled": True}
#: exceptions without gaming: a cost of an unjustified exception that no indicator money outweighs,
#: so only the legitimate exceptions remain (the counterfactual of Gravelle, Sutton & Ma 2010)
NO_GAMING = {"rulebook.pay_for_performance.exceptions.cost_sek": 1e12}
#: UK fundholding's per-patient limit: the health authority paid a patient's costs above
#: £6,000 a year (£5,000 until 1994; SI 1994/640, amending reg. 21 of the NHS Fund-holding
#: Practices Regulations 1993; RECALLED, not found in a stored source: field-evidence.md S3).
#: In 2020 money: £6,000 x about 1.75 (UK CPI 1994-2020, RECALLED) x about 11.8 SEK/£ (2020,
#: RECALLED), about 125,000 SEK per resident and year: scenarios/fundholding-uk-1991.yaml.
UK_PATIENT_LIMIT_SEK = 125_000
URBAN = {"population.region": "stockholm"}
#: the UK rule's runs report their preparatory year (E15, E26); at full size three years of fundholding follow (``SIZES``)
UK_PREPARATORY = {"rulebook.fundholding.entry_year": 2}


@dataclass(frozen=True)
class Setting:
    """A built-in scenario with fields changed; ``prospects``: read the entry prospects when the reported period
    starts and the areas where clinics open, instead of the run's outcomes; ``long``: run the size's longer horizon."""

    scenario: str
    values: dict[str, Any] = field(default_factory=dict)
    prospects: bool = False
    long: bool = False  # runs the size's ``long_months`` (the field studies' years), not its ``months``


SETTINGS = {
    "capitation": Setting("jamtland-2020"),
    "fee-for-service": Setting("fee-for-service"),
    "mixed": Setting("blend-capitation-ffs"),
    "p4p-sweden": Setting("pay-for-performance", {"rulebook.capitation.scale": 1.0, "rulebook.pay_for_performance.pool_sek_per_listed": SWEDISH_POOL_SEK}),
    "p4p-sweden-exceptions": Setting(
        "pay-for-performance", {"rulebook.capitation.scale": 1.0, "rulebook.pay_for_performance.pool_sek_per_listed": SWEDISH_POOL_SEK, **EXCEPTIONS}
    ),
    "p4p-uk": Setting("pay-for-performance", UK),
    "p4p-uk-no-gaming": Setting("pay-for-performance", {**UK, **NO_GAMING}),
    #: the UK-size pool made larger: E17's exception effect at a second pool size
    "p4p-uk-larger-pool": Setting("pay-for-performance", {**UK, "rulebook.pay_for_performance.pool_sek_per_listed": LARGER_UK_POOL_SEK}),
    "fundholding-full": Setting("fundholding-step-7"),
    "fundholding-uk": Setting("fundholding-uk-1991", UK_PREPARATORY, long=True),
    #: the UK rule with budgets from the region's formula instead of each practice's own past (E15)
    "fundholding-uk-formula": Setting("fundholding-uk-1991", {**UK_PREPARATORY, "rulebook.fundholding.budget_basis": "formula"}, long=True),
    #: today's rule over the UK runs' years, on the same seeds: the other practices the field studies compare with
    "capitation-4y": Setting("jamtland-2020", long=True),
    "urban": Setting("jamtland-2020", URBAN),
    "urban-age-only": Setting("jamtland-2020", {**URBAN, "rulebook.capitation.cni_share": 0.0}, prospects=True),
    "urban-cni-50": Setting("jamtland-2020", {**URBAN, "rulebook.capitation.cni_share": 0.5}, prospects=True),
}

SIZES = {
    "quick": {"values": {"population.residents": 20_000, "months": 12, "warmup_months": 12}, "long_months": 24, "seeds": 1},
    "full": {"values": {"months": 36, "warmup_months": 12}, "long_months": 48, "seeds": 3},
}
#: yearly sums kept (the region in total) for the targets that compare growth over years (E15, E26, E27)
YEARLY_COLUMNS = ("resident_months", "referrals", "surgical_referrals", "elective_admissions", "emergency_admissions")
#: clinic-year columns kept for the targets that read clinics (pay-for-performance, market)
CLINIC_COLUMNS = ("owner", "area_type", "months", "listed", "gp_fte", "revenue_sek", "income_capitation_sek", "income_performance_sek", "income_drug_budget_sek", "followup_reported", "followup_true", "followup_excepted_share")


def _measure(task: tuple[str, dict[str, Any], int, bool]) -> dict[str, Any]:
    """Run one setting on one seed; keep the summary and clinic-years, or the entry prospects."""
    name, values, seed, prospects = task
    scenario = load_scenario(SETTINGS[name].scenario, {**values, "seed": seed})
    if prospects:  # the profitability map when the reported period starts, then where clinics actually opened
        model = CareMarket(scenario)
        model.run(scenario.warmup_months)
        cni = area_cni_index(model)
        margin = entry_prospects(model)["margin"]
        residents = np.bincount(model.population.area, minlength=len(cni))
        model.run()
        entered = cni[[model.clinic_area[clinic] for _, clinic in model.entries]]
        return {"prospects": {"margin": margin, "cni_index": cni, "residents": residents, "entry_cni_index": entered}}
    result = run(scenario)
    years = result.clinic_years
    total = result.yearly[result.yearly["group_by"] == "total"]
    return {
        "summary": result.summary,
        "yearly": total[["year", "group_by", *YEARLY_COLUMNS]].to_dict("list"),
        "clinic_years": years[years["months"] == 12][list(CLINIC_COLUMNS)].to_dict("list") if len(years) else {},
    }


@dataclass
class SettingRuns:
    """Each setting's results on each seed: ``runs[name]`` is a list over seeds."""

    size: str
    seeds: list[int]
    runs: dict[str, list[dict[str, Any]]]

    def mean(self, name: str, outcome: str) -> float:
        """An outcome's mean over the seeds (NaN where a run has none)."""
        values = [r["summary"].get(outcome) for r in self.runs[name]]
        return float(np.nanmean([np.nan if v is None else v for v in values]))

    def paired_change(self, base: str, variant: str, outcome: str) -> float:
        """Relative change of an outcome from ``base`` to ``variant``, mean over the paired seeds."""
        pairs = zip(self.runs[base], self.runs[variant])
        return float(np.mean([v["summary"][outcome] / b["summary"][outcome] - 1 for b, v in pairs]))

    def yearly_ratio(self, variant: str, base: str, outcome: str, year: int, from_year: int | None = None) -> float:
        """Mean over the paired seeds of ``sim.outcomes.rate_ratio``: a yearly rate under the variant relative to
        the base in ``year``, or its growth from ``from_year`` relative to the base's."""
        pairs = zip(self.runs[variant], self.runs[base])
        return float(np.mean([rate_ratio(pd.DataFrame(v["yearly"]), pd.DataFrame(b["yearly"]), outcome, year, from_year) for v, b in pairs]))

    def clinic_years(self, name: str) -> pd.DataFrame:
        """The clinic-years of a setting's runs, all seeds together."""
        return pd.concat([pd.DataFrame(r["clinic_years"]) for r in self.runs[name]], ignore_index=True)


def run_settings(names: list[str], size: str = "full", workers: int = 1, seed: int = 1) -> SettingRuns:
    """Run the named settings at ``size`` ('quick' or 'full'), each on the same replication seeds."""
    plan = SIZES[size]
    seeds = replication_seeds(seed, plan["seeds"])
    def values(setting: Setting) -> dict[str, Any]:
        return {**plan["values"], **({"months": plan["long_months"]} if setting.long else {}), **setting.values}

    tasks = [(name, values(SETTINGS[name]), s, SETTINGS[name].prospects) for name in names for s in seeds]
    results = map_tasks(_measure, tasks, workers)
    runs = {name: results[i * len(seeds) : (i + 1) * len(seeds)] for i, name in enumerate(names)}
    return SettingRuns(size=size, seeds=seeds, runs=runs)
