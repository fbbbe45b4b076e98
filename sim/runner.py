"""Run one scenario: build the market, step it, and summarise what happened."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.follow import Follower
from sim.labour import LABOUR_OUTCOMES, outcomes as labour_outcomes
from sim.last_resort import LAST_RESORT_OUTCOMES, outcomes as last_resort_outcomes
from sim.ledger import income_items
from sim.market_outcomes import MARKET_OUTCOMES, market_outcomes
from sim.model import CareMarket
from sim.physiotherapy import PHYSIO_OUTCOMES
from sim.payment import rule_classes
from sim.risk import ListSizeRisk
from sim.scenario import Scenario, load_scenario

#: whole-run outcomes in the summary, with the clinic and market figures added by ``summarise``
HEADLINE = (
    "undertreatment_rate",
    "undertreatment_rationing_rate",
    "overtreatment_rate",
    "undertreated_episode_share",
    "overtreated_episode_share",
    "overtreatment_cost_per_capita_sek",
    "underprovision_rate",
    "overprovision_rate",
    "underprovided_episode_share",
    "overprovided_episode_share",
    "overprovision_cost_per_capita_sek",
    "substitute_visit_rate",
    "substitute_visits_per_1000",
    "underreferral_rate",
    "overreferral_rate",
    "referrals_per_1000",
    "self_referrals_per_1000",
    "visits_per_capita",
    "digital_share_of_visits",
    "digital_added_share",
    "share_over_30km_from_clinic",
    "emergency_department_share",
    "cost_per_capita_sek",
    "cost_primary_per_capita_sek",
    "cost_hospital_per_capita_sek",
    "cost_digital_per_capita_sek",
    "cost_drugs_per_capita_sek",
    "patient_fees_per_capita_sek",
    "access_3day_share",
    "mean_wait_days",
    "continuity_index",
    "mean_health",
    "health_loss_per_1000",
    "admissions_per_1000",
    "elective_admissions_per_1000",
    "emergency_admissions_per_1000",
    "injury_admissions_per_1000",
    "deliveries_per_1000",
    "emergency_department_visits_per_1000",
    "avoidable_admissions_per_1000",
    "deaths_per_1000",
    "hospital_cases_per_1000",
    "hospital_cost_per_case_sek",
)


#: the clinic and market figures ``summarise`` adds to the headline rates
EXTRA_OUTCOMES = (
    "clinic_margin_mean",
    "clinic_margin_p10",
    "clinic_margin_p90",
    "clinic_deficit_share",
    "clinic_result_per_listed_sek",
    "clinics_initial",
    "clinics_final",
    "clinic_exits",
    "hired_gp_share",
    *LABOUR_OUTCOMES,
    *PHYSIO_OUTCOMES,
    "switching_per_year",
    "top10_cost_share",
    "named_doctor_share",
    "private_share_of_visits",
    *(f"clinic_income_share_{item}" for item in income_items(rule_classes())),
    "residents_final",
    "hhi_final",
    *MARKET_OUTCOMES,
    *LAST_RESORT_OUTCOMES,
    *(outcome.name for rule in rule_classes() for outcome in rule.outcomes),
    *(outcome.name for outcome in ListSizeRisk.outcomes),
)


@dataclass
class RunResult:
    """Everything a run produced, as pandas tables and a summary."""

    scenario: Scenario
    monthly: pd.DataFrame
    yearly: pd.DataFrame
    clinic_years: pd.DataFrame
    summary: dict[str, Any]
    followed: pd.DataFrame | None = None
    started: str = ""
    finished: str = ""
    wall_s: float = 0.0
    source: str = ""
    by_group: pd.DataFrame = field(default_factory=pd.DataFrame)
    overrides: dict[str, Any] = field(default_factory=dict)  # fields changed from the scenario file, by path
    rules: tuple = ()  # the payment rule classes the region applied (their items, labels and outcomes describe the summary)


@dataclass
class Simulation:
    """A scenario's market being stepped, with what observes it: started by ``start``, read by ``finish``."""

    model: CareMarket
    list_size: ListSizeRisk
    follower: Follower | None
    started: datetime
    clock: float
    source: str = ""


def start(scenario: Scenario | str | Path, *, follow: int = 0, rules: tuple | None = None, observers: tuple = (), border_sites: tuple | None = None) -> Simulation:
    """Build a scenario's market (an object, a file or a built-in name), observed by the list-size risk, ``follow``
    followed residents and ``observers``; ``rules``: the payment rule classes the region applies (default: every rule,
    sim.payment.rule_classes); ``border_sites``: the neighbouring clinics its residents may list with, which only a
    national run gives (sim.border)."""
    source = ""
    if not isinstance(scenario, Scenario):
        source = str(scenario)
        scenario = load_scenario(scenario)
    if border_sites is None and scenario.rulebook.listing.border_regions:
        raise UserError(
            f"{source or scenario.name}: rulebook.listing.border_regions: listing with {scenario.rulebook.listing.border_regions[0]}'s clinics needs a national run "
            "that holds both regions (a scenario with regions:, such as sweden-2024); leave it empty in a region's own run."
        )
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    follower = Follower(follow) if follow else None
    list_size = ListSizeRisk()
    model = CareMarket(scenario, observers=(list_size, *((follower,) if follower else ()), *observers), rules=rules, border_sites=border_sites or ())
    return Simulation(model, list_size, follower, started, clock, source)


def finish(simulation: Simulation) -> RunResult:
    """The results of a market stepped to its end."""
    model = simulation.model
    model.close_partial_year()
    monthly, yearly = model.outcomes.tables()
    whole = model.outcomes.whole_run()
    clinic_years = pd.DataFrame(model.clinic_years)
    summary = summarise(model, whole, clinic_years, simulation.list_size)
    return RunResult(
        scenario=model.params,
        monthly=monthly,
        yearly=yearly,
        clinic_years=clinic_years,
        summary=summary,
        followed=simulation.follower.table() if simulation.follower else None,
        started=simulation.started.isoformat(timespec="seconds"),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        wall_s=time.perf_counter() - simulation.clock,
        source=simulation.source,
        by_group=whole,
        rules=tuple(type(rule) for rule in model.region.rules),
    )


def run(
    scenario: Scenario | str | Path,
    *,
    follow: int = 0,
    progress: Callable[[], None] | None = None,
    rules: tuple | None = None,
) -> RunResult:
    """Run a scenario (an object, a file or a built-in name) and return its results; ``rules``: the payment rule
    classes the region applies (default: every rule, sim.payment.rule_classes)."""
    simulation = start(scenario, follow=follow, rules=rules)
    simulation.model.run(progress=progress)
    return finish(simulation)


def summarise(model: CareMarket, whole: pd.DataFrame, clinic_years: pd.DataFrame, list_size: ListSizeRisk) -> dict[str, Any]:
    """Headline outcomes over the whole run (floats), in total; the payment rules' own and, under fundholding, the
    risk by list size (``list_size`` observed the run)."""
    total = whole[whole["group_by"] == "total"].iloc[0]
    summary = {name: _number(total[name]) for name in HEADLINE}
    clinics = clinic_years[(clinic_years["owner"] != "digital") & (clinic_years["revenue_sek"] > 0)] if len(clinic_years) else clinic_years
    margins = clinics["margin"].to_numpy() if len(clinics) else np.array([np.nan])
    extra = {
        "clinic_margin_mean": _number(np.nanmean(margins)) if len(clinics) else None,
        "clinic_margin_p10": _number(np.nanpercentile(margins, 10)) if len(clinics) else None,
        "clinic_margin_p90": _number(np.nanpercentile(margins, 90)) if len(clinics) else None,
        "clinic_deficit_share": _number(np.mean(margins < 0)) if len(clinics) else None,
        "clinic_result_per_listed_sek": _number(clinics["result_sek"].sum() / (clinics["listed"] * clinics["months"] / 12).sum()) if len(clinics) else None,
        "clinics_initial": len(model.geography.clinic_names),
        "clinics_final": int(sum(c.open for c in model.clinics)),
        "clinic_exits": len(model.exits),
        "hired_gp_share": _number(sum(c.hired_fte for c in model.clinics if c.open) / max(sum(c.gp_fte for c in model.clinics if c.open), 1e-9)),
        **{name: _number(value) for name, value in labour_outcomes(model.params.market.staffing, clinic_years, total["resident_months"] / 12).items()},
        **{name: _number(value) for name, value in (model.physiotherapy.outcomes(total["resident_months"] / 12) if model.physiotherapy else dict.fromkeys(PHYSIO_OUTCOMES, np.nan)).items()},
        "switching_per_year": _number(model.switches / max(total["resident_months"] / 12, 1)),
        "top10_cost_share": _number(np.mean(model.top10_cost_share)) if model.top10_cost_share else None,
        "named_doctor_share": _number(model.population.named_doctor().mean()),
        "private_share_of_visits": _number(private_visit_share(clinic_years)),
        **{f"clinic_income_share_{item}": _number(share) for item, share in income_shares(clinics, model.ledger.income_items).items()},
        "residents_final": len(model.population),
        "hhi_final": _number(hhi(model.list_sizes[[c.index for c in model.clinics if c.open]])),
        **market_outcomes(model, clinic_years),
        **last_resort_outcomes(model, clinic_years),
        **{name: value for rule in model.region.rules for name, value in rule.summary(clinic_years).items()},
        **list_size.summary(model.region.rules),
    }
    return summary | extra


def private_visit_share(clinic_years: pd.DataFrame) -> float:
    """Private clinics' share of the visits demanded at clinics (the digital provider left out), over the reported years."""
    if not len(clinic_years):
        return np.nan
    clinics = clinic_years[clinic_years["owner"] != "digital"]
    return clinics.loc[clinics["owner"] == "private", "visits_demanded"].sum() / max(clinics["visits_demanded"].sum(), 1e-9)


def income_shares(clinics: pd.DataFrame, items: tuple[str, ...]) -> dict[str, float]:
    """Each income item's share of the clinics' revenue over the reported years (the digital provider left
    out): what the rulebook's blend pays in practice. Against Stockholm's listing payment [vårdpeng], about 80 % of a
    centre's income (sweden.md 5.2), mind that the drug budget a clinic spends on its residents' drugs counts as revenue here."""
    revenue = clinics["revenue_sek"].sum() if len(clinics) else 0.0
    return {item: clinics[f"income_{item}_sek"].sum() / revenue if revenue > 0 else np.nan for item in items}


def hhi(lists: np.ndarray) -> float:
    """Herfindahl-Hirschman index of list shares, 0-10,000."""
    shares = lists / max(lists.sum(), 1)
    return float(10_000 * np.sum(shares**2))


def _number(x) -> float | None:
    x = float(x)
    return None if np.isnan(x) else x
