"""Outcomes: sums kept per month and equity cell, rates derived from them for any grouping and period.

Each month the model adds, for every equity cell (CNI quintile x age group x area type),
the sums behind the outcomes: visits needed and given, shortfalls
and excesses, referrals needed and made, costs by category, and so on. Rates are ratios
of sums, so a year or a group is aggregated exactly by adding sums first.

Definitions (episodes are all care episodes of the period; q* the patient-optimal visits,
q the visits given after rationing):
- ``undertreatment_rate`` = sum(max(0, q* - q)) / sum(q*); ``undertreatment_rationing_rate``
  is the part caused by rationing (the physician chose enough, the queue cut it);
- ``overtreatment_rate`` = sum(max(0, q - q*)) / sum(q*);
- ``undertreated_episode_share``, ``overtreated_episode_share``: shares of episodes with q < q*, q > q*;
- ``underprovision_rate``, ``overprovision_rate`` and their episode shares: the same against the cost-aware
  benchmark q_eff = q* (1 - c / 2V), the visits that maximise benefit net of the cost of care (c: the visit's
  staff, lab, drugs and transport cost, V: the value of a needed visit); the emergency department's
  episodes get q* and count as neither;
- ``substitute_visit_rate``: visits given instead of a referral per visit needed: care for the specialist need,
  left out of the care toward q*; counted as care beyond q*, it is what they would add to over-treatment;
- ``underreferral_rate``: needed referrals not made / needed referrals;
  ``overreferral_rate``: referrals made but not needed / referrals made;
- ``continuity_index``: mean Bice-Boxerman index of residents with 3+ visits in 18 months;
- per-capita figures are per resident per year (person-months x 12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.geography import AREA_TYPES
from sim.population import AGE_GROUPS, CNI_QUINTILES, N_CELLS

#: the sums kept per month and cell, and what each counts
SUMS = {
    "resident_months": "residents, summed over the months (person-months)",
    "episodes": "care episodes",
    "q_star": "visits needed: the sum of the episodes' patient-optimal quantity q*",
    "shortfall": "visits needed but not given: sum of max(0, q* - care)",
    "shortfall_chosen": "the same had nothing been rationed (what the physicians chose)",
    "excess": "visits given beyond need: sum of max(0, care - q*)",
    "excess_cost_sek": "what the visits beyond need cost (staff, lab, drugs, transport), SEK",
    "undertreated": "episodes given less than q*",
    "overtreated": "episodes given more than q*",
    "q_efficient": "visits worth their cost: the sum of the episodes' cost-aware benchmark q_eff = q* (1 - c / 2V), rounded",
    "shortfall_efficient": "visits worth their cost not given: sum of max(0, q_eff - care)",
    "excess_efficient": "visits given beyond what is worth their cost: sum of max(0, care - q_eff)",
    "excess_efficient_cost_sek": "what those visits cost, SEK",
    "underprovided": "episodes given less than q_eff",
    "overprovided": "episodes given more than q_eff",
    "substitute_visits": "visits given instead of a referral believed needed (care for the specialist need, not counted in care toward q*)",
    "needed_referrals": "episodes at a clinic or digital provider that needed specialist care",
    "referrals": "referrals made (to specialist outpatient care)",
    "surgical_referrals": "of the referrals, those to surgery and orthopaedics",
    "self_referrals": "needed referrals not made that the resident made themselves [egenremiss]",
    "underreferrals": "needed referrals not made",
    "overreferrals": "referrals made that were not needed",
    "visits": "primary-care visits given (clinics and digital provider)",
    "digital_visits": "digital visits given (by the national provider, or by clinics where digital care comes with listing)",
    "visits_added_by_digital": "digital contacts that came before the episode's care at the clinic: added, not replacing, visits",
    "emergency_department_episodes": "episodes taken to the emergency department",
    "contacts": "episodes that sought care at the listed clinic",
    "assessed_3day": "of those, the expected number medically assessed within 3 days",
    "wait_days": "their expected waits, summed, days",
    "health": "residents' health, summed over residents and months",
    "health_loss_undertreatment": "health lost to care short of q*",
    "health_loss_overtreatment": "health lost to care beyond q*",
    "health_loss_unreferred": "health lost to specialist needs left unreferred",
    "admissions": "hospital admissions (inpatient care episodes) of every route",
    "elective_admissions": "admissions for planned care (route elective: after a referral, a self-referral or planned by the hospital)",
    "emergency_admissions": "emergency admissions (route emergency: presentations from ill health that are admitted)",
    "avoidable_admissions": "of those, the expected number due to health below baseline",
    "injury_admissions": "admissions after an injury (route trauma)",
    "deliveries": "deliveries (route maternity)",
    "emergency_department_visits": "hospital cases that passed the emergency department (episodes brought there, emergency presentations, injuries)",
    "hospital_cases": "hospital cases of every route",
    "hospital_prices_sek": "their prices, SEK",
    "hospital_own_cost_sek": "the hospital's own cost (a fixed part set in the warm-up, and the variable part of each price), SEK",
    "continuity_sum": "Bice-Boxerman index, summed over residents with 3+ visits in 18 months",
    "continuity_n": "residents with 3+ visits in 18 months (summed over months)",
    "residents_far_from_clinic": "residents more than 30 km by road from their listed clinic (summed over months)",
    "cost_primary_sek": "region spending on primary care (capitation, fees, bonuses, fines, deficit cover, items it pays directly), SEK",
    "cost_hospital_sek": "region spending on hospital care, SEK",
    "cost_digital_sek": "region spending on digital providers (out-of-region fees), SEK",
    "cost_drugs_sek": "region spending on drugs (drug budget, or drugs it pays directly), SEK",
    "patient_fees_sek": "patient fees paid, SEK",
    "deaths": "deaths",
}
INDEX = {name: i for i, name in enumerate(SUMS)}

#: rates, as pandas expressions over the sums
RATES = {
    "undertreatment_rate": "shortfall / q_star",
    "undertreatment_rationing_rate": "(shortfall - shortfall_chosen) / q_star",
    "overtreatment_rate": "excess / q_star",
    "undertreated_episode_share": "undertreated / episodes",
    "overtreated_episode_share": "overtreated / episodes",
    "overtreatment_cost_per_capita_sek": "excess_cost_sek / resident_months * 12",
    "underprovision_rate": "shortfall_efficient / q_efficient",
    "overprovision_rate": "excess_efficient / q_efficient",
    "underprovided_episode_share": "underprovided / episodes",
    "overprovided_episode_share": "overprovided / episodes",
    "overprovision_cost_per_capita_sek": "excess_efficient_cost_sek / resident_months * 12",
    "substitute_visit_rate": "substitute_visits / q_star",
    "substitute_visits_per_1000": "substitute_visits / resident_months * 12000",
    "underreferral_rate": "underreferrals / needed_referrals",
    "overreferral_rate": "overreferrals / referrals",
    "referrals_per_1000": "referrals / resident_months * 12000",
    "self_referrals_per_1000": "self_referrals / resident_months * 12000",
    "visits_per_capita": "visits / resident_months * 12",
    "digital_share_of_visits": "digital_visits / visits",
    "digital_added_share": "visits_added_by_digital / digital_visits",
    "share_over_30km_from_clinic": "residents_far_from_clinic / resident_months",
    "emergency_department_share": "emergency_department_episodes / episodes",
    "access_3day_share": "assessed_3day / contacts",
    "mean_wait_days": "wait_days / contacts",
    "continuity_index": "continuity_sum / continuity_n",
    "mean_health": "health / resident_months",
    "health_loss_per_1000": "(health_loss_undertreatment + health_loss_overtreatment + health_loss_unreferred) / resident_months * 12000",
    "health_loss_undertreatment_per_1000": "(health_loss_undertreatment + health_loss_unreferred) / resident_months * 12000",
    "admissions_per_1000": "admissions / resident_months * 12000",
    "elective_admissions_per_1000": "elective_admissions / resident_months * 12000",
    "emergency_admissions_per_1000": "emergency_admissions / resident_months * 12000",
    "injury_admissions_per_1000": "injury_admissions / resident_months * 12000",
    "deliveries_per_1000": "deliveries / resident_months * 12000",
    "emergency_department_visits_per_1000": "emergency_department_visits / resident_months * 12000",
    "avoidable_admissions_per_1000": "avoidable_admissions / resident_months * 12000",
    "cost_per_capita_sek": "(cost_primary_sek + cost_hospital_sek + cost_digital_sek + cost_drugs_sek) / resident_months * 12",
    "cost_primary_per_capita_sek": "cost_primary_sek / resident_months * 12",
    "cost_hospital_per_capita_sek": "cost_hospital_sek / resident_months * 12",
    "cost_digital_per_capita_sek": "cost_digital_sek / resident_months * 12",
    "cost_drugs_per_capita_sek": "cost_drugs_sek / resident_months * 12",
    "patient_fees_per_capita_sek": "patient_fees_sek / resident_months * 12",
    "deaths_per_1000": "deaths / resident_months * 12000",
    "hospital_cases_per_1000": "hospital_cases / resident_months * 12000",
    "hospital_cost_per_case_sek": "hospital_own_cost_sek / hospital_cases",
}


def _groups() -> list[tuple[str, str, np.ndarray]]:
    """(grouping, group, member cells) for the total and each equity grouping."""
    cells = np.arange(N_CELLS)
    area_type = cells % len(AREA_TYPES)
    age = (cells // len(AREA_TYPES)) % len(AGE_GROUPS)
    quintile = cells // (len(AREA_TYPES) * len(AGE_GROUPS))
    groups = [("total", "all", cells)]
    groups += [("cni_quintile", name, cells[quintile == i]) for i, name in enumerate(CNI_QUINTILES)]
    groups += [("age_group", name, cells[age == i]) for i, name in enumerate(AGE_GROUPS)]
    groups += [("area_type", name, cells[area_type == i]) for i, name in enumerate(AREA_TYPES)]
    return groups


GROUPS = _groups()


def _by_cell(cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The sum of ``values`` in each cell, bit for bit what ``np.bincount(cells, weights=values)`` gives, faster: a
    rare true/false by counting the rows where it holds (sums of ones are exact), other types cast to float64 by
    NumPy's own cast (quicker than bincount's) and summed in the same order."""
    values = np.asarray(values)
    if values.dtype == np.bool_ and np.count_nonzero(values) < len(values) // 4:
        return np.bincount(cells[values], minlength=N_CELLS)
    return np.bincount(cells, weights=values.astype(np.float64, copy=False), minlength=N_CELLS)


class Outcomes:
    """Monthly sums by equity cell."""

    def __init__(self):
        self.months: list[np.ndarray] = []
        self.current = np.zeros((len(SUMS), N_CELLS))

    def add(self, cells: np.ndarray, **sums: np.ndarray | float) -> None:
        """Add per-row values (or a constant per row) to the named sums of each row's cell."""
        cells = np.asarray(cells, dtype=np.intp)  # once, rather than in every bincount
        count = None
        for name, values in sums.items():
            if np.ndim(values) == 0:
                count = np.bincount(cells, minlength=N_CELLS) if count is None else count
                self.current[INDEX[name]] += values * count
            else:
                self.current[INDEX[name]] += _by_cell(cells, values)

    def add_by_cell(self, name: str, values: np.ndarray) -> None:
        self.current[INDEX[name]] += values

    def end_month(self) -> None:
        self.months.append(self.current)
        self.current = np.zeros((len(SUMS), N_CELLS))

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Monthly and yearly outcomes, one row per period and group, sums then rates."""
        cube = np.stack(self.months) if self.months else np.zeros((0, len(SUMS), N_CELLS))
        monthly = _frame(cube, np.arange(1, len(cube) + 1), "month")
        n_years = -(-len(cube) // 12)
        yearly_cube = np.stack([cube[12 * y : 12 * (y + 1)].sum(axis=0) for y in range(n_years)]) if n_years else cube
        yearly = _frame(yearly_cube, np.arange(1, n_years + 1), "year")
        monthly.insert(1, "year", (monthly["month"] - 1) // 12 + 1)
        return monthly, yearly

    def whole_run(self) -> pd.DataFrame:
        """Outcomes over the whole run, one row per group."""
        cube = np.stack(self.months).sum(axis=0, keepdims=True)
        return _frame(cube, np.array([0]), "period").drop(columns="period")


def _frame(cube: np.ndarray, periods: np.ndarray, period_name: str) -> pd.DataFrame:
    rows = []
    for t, period in enumerate(periods):
        for grouping, group, cells in GROUPS:
            sums = cube[t][:, cells].sum(axis=1)
            rows.append((period, grouping, group, *sums))
    frame = pd.DataFrame(rows, columns=[period_name, "group_by", "group", *SUMS])
    return add_rates(frame)


def add_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add every rate of ``RATES`` as a column computed from the sums (evaluated over the sums' arrays at once:
    ``DataFrame.eval`` resolves every column anew for each expression)."""
    sums = {name: frame[name].to_numpy(dtype=np.float64) for name in SUMS}
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = {name: pd.eval(expression, local_dict=sums, engine="python") for name, expression in RATES.items()}
    rates = pd.DataFrame(rates, index=frame.index).replace([np.inf, -np.inf], np.nan)
    return pd.concat([frame, rates], axis=1)


def rate_ratio(variant: pd.DataFrame, base: pd.DataFrame, outcome: str, year: int, from_year: int | None = None) -> float:
    """A sum's rate per resident in reported ``year`` under a variant relative to a base run on the same seed, less
    one; given ``from_year``, its growth from then to ``year`` relative to the base's growth (a difference in
    differences, as field studies compare fundholders with other practices over the same years). Both tables are
    yearly outcomes (``Outcomes.tables``); the region in total is read. NaN where a run has not reached a year."""

    def rate(yearly: pd.DataFrame, y: int) -> float:
        rows = yearly[(yearly["group_by"] == "total") & (yearly["year"] == y)]
        return float(rows[outcome].iloc[0] / rows["resident_months"].iloc[0]) if len(rows) else np.nan

    def level(yearly: pd.DataFrame) -> float:
        return rate(yearly, year) / (rate(yearly, from_year) if from_year is not None else 1.0)

    return level(variant) / level(base) - 1

