"""The market for clinics: what a resident is worth to a clinic, where new clinics open, and risk selection.

A resident is worth to a clinic what the rulebook pays for them (capitation by age, CNI and
morbidity, drug budget, sparsity supplement, fees per visit) minus what they are expected
to cost (visits at the staff cost of their kind of area, lab, drugs, transport, overhead),
SEK per year. Potential providers [etablerare] open where the list they can expect to win
is worth more than it costs by a margin; clinics that are paid more for some residents
than for others shape their services to attract the former (risk selection [riskselektion],
evidence.md E19-E21).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.behaviour.choice import CHOICE_SET
from sim.clinic import team_cost_per_year
from sim.geography import AREA_TYPES

LOCAL_KM = 10.0  # supply of clinics is counted within this road distance of an area (rulebook.establishment)


@dataclass(frozen=True)
class ResidentValue:
    """Per resident, SEK per year: what the rulebook pays their clinic and what they are expected to cost it."""

    revenue: np.ndarray
    cost: np.ndarray
    visits: np.ndarray  # expected visits per year

    def profit(self, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """What residents ``rows`` (all by default) bring their clinic less what they cost it, SEK per year."""
        return self.revenue[rows] - self.cost[rows]


def team_cost_by_area_type(model) -> np.ndarray:
    """SEK per year of a GP team by area type (AREA_TYPES order), at the hired mix a clinic there expects (sim.labour)."""
    return team_cost_per_year(model.params.market.staffing, model.labour.expected_hired_share(model.providers_table))


def staff_cost_per_visit(staffing, hired_share) -> np.ndarray:
    """Staff cost of a visit, SEK: a team's cost at a hired mix (by area type, AREA_TYPES order) over the visits it gives
    at the staffing norm."""
    return team_cost_per_year(staffing, hired_share) / (staffing.units_per_team_per_year * staffing.target_utilisation)


def expected_staff_cost_per_visit(model) -> np.ndarray:
    """Staff cost of a visit by area type, SEK, at the hired mix a clinic there expects."""
    return staff_cost_per_visit(model.params.market.staffing, model.labour.expected_hired_share(model.providers_table))


def foot_care_eligible(pop) -> np.ndarray:
    """Residents who get medical foot care: aged 65 or more with a chronic condition (a proxy for diabetes and feet at risk)."""
    return (pop.age >= 65) & (pop.conditions >= 1)


def resident_value(model) -> ResidentValue:
    """What each resident is worth to a clinic near home under the rulebook (kept until the population changes).

    Expected visits are the resident's expected need (episodes x mean q*) scaled so that
    the region's total matches the visits given in the last 18 months: clinics expect to
    give what they give. Fundholding budgets are left out: risk-adjusted, they are taken
    to cover the hospital bills they are for.
    """
    pop = model.population

    def compute() -> ResidentValue:
        p = model.params
        rules = model.region.rules
        per_rule = (r.sek_per_year(pop) for r in rules if r.for_clinic_costs)
        list_based = sum((sek for sek in per_rule if sek is not None), np.zeros(len(pop)))
        per_visit = sum(r.expected_fee_per_visit(model) for r in rules)
        fees = model.region.fees.fee_per_visit(pop.age)
        need = model._expected_visits_per_month() * 12
        visits = need * (pop.visits_18m.sum() / 1.5 / max(need.sum(), 1e-9))  # need, scaled to the care clinics actually give
        if p.rulebook.patient_fees.kept_by_clinic:
            per_visit = per_visit + fees
        else:  # pooled fees come back through the capitation, by its weights
            capitation = model.region.listing_payment().sek_per_year(pop)
            list_based = list_based + capitation * float((visits * fees).sum()) / max(float(capitation.sum()), 1e-9)
        c, r = p.market.costs, p.rulebook.cost_responsibility
        items = c.lab_sek_per_unit * float(r.lab_radiology) + c.drugs_sek_per_unit * float(r.drugs)
        per_visit_cost = expected_staff_cost_per_visit(model)[pop.area_type] + items + r.patient_transport * c.transport_sek_per_km * pop.home_km
        cost = visits * per_visit_cost + c.overhead_sek_per_listed + float(r.drugs) * c.chronic_drugs_sek_per_condition * pop.conditions.astype(np.float64)
        if r.foot_care and c.foot_care_sek_per_eligible_per_year:
            cost = cost + c.foot_care_sek_per_eligible_per_year * foot_care_eligible(pop)
        return ResidentValue(revenue=list_based + visits * per_visit, cost=cost, visits=visits)

    return pop.derived("resident value", compute)


# ---------------------------------------------------------------------------- entry


def attraction(model, km: np.ndarray, wait_days) -> np.ndarray:
    """exp(utility) of a clinic at road distance ``km`` with expected wait ``wait_days``, as residents' choice weighs it."""
    choice = model.params.behaviour.choice
    return np.exp(-choice.distance_per_km * km - choice.wait_per_day * wait_days)


@dataclass(frozen=True)
class AreaValue:
    """The residents of each area as an entrant would win them (arrays over areas; active choosers only, the others
    being listed by proximity): how many, what they bring and cost, SEK per year, and the visits they need."""

    listed: np.ndarray
    revenue: np.ndarray
    visits: np.ndarray
    other_cost: np.ndarray  # what they cost beyond the staff of their visits (items, transport, overhead, drugs)


def area_value(model) -> AreaValue:
    """Sum what the active choosers of each area are worth to a clinic (``resident_value``): the part of an entrant's
    prospects that does not depend on where the other clinics stand, so one sum serves a year's entry decisions."""
    pop = model.population
    value = resident_value(model)
    per_visit = expected_staff_cost_per_visit(model)
    by_area = lambda w: np.bincount(pop.area, weights=w * pop.active_chooser, minlength=len(model.geography.area_names))  # noqa: E731
    visits = by_area(value.visits)
    return AreaValue(by_area(np.ones(len(pop))), by_area(value.revenue), visits, by_area(value.cost) - by_area(value.visits * per_visit[pop.area_type]))


def entry_prospects(model, areas: AreaValue | None = None) -> dict[str, np.ndarray]:
    """For an entrant in each area: its expected full list and yearly revenue at it, and its margin over its
    horizon as the list fills (arrays over areas). ``areas``: the residents' worth by area (computed if not given).

    The list is the logit share it would win among each area's active choosers, given the
    open clinics near them (each area's choice set is its ``CHOICE_SET`` nearest clinics, so
    an entrant competes only where it would be among them), and within the resident's
    geographic sub-area where the rulebook has them.
    """
    p = model.params
    geo = model.geography
    areas = area_value(model) if areas is None else areas
    spread = geo.spread_km
    clinics = np.flatnonzero(model.open_clinics)
    km_to_clinics = geo.road_km[:, model.clinic_area[clinics]] + spread[:, None]  # area x open clinic
    k = min(CHOICE_SET, len(clinics))
    nearest = np.sort(km_to_clinics, axis=1)[:, :k]
    existing = attraction(model, nearest, np.mean(model.wait_days[clinics])).sum(axis=1)  # waits alike: entry weighs location and money
    km_new = geo.road_km + spread[:, None]  # resident area x entrant area
    in_set = (km_new <= nearest[:, -1:]) | (k < CHOICE_SET)
    new = attraction(model, km_new, p.market.access.min_wait_days) * in_set
    if p.rulebook.listing.sub_areas == "town_and_rest":
        town = geo.area_type == AREA_TYPES.index("town")
        new = new * (town[:, None] == town[None, :])
    share = new / (existing[:, None] + new)
    listed = share.T @ areas.listed
    revenue = share.T @ areas.revenue
    visits = share.T @ areas.visits
    # cost at the entrant's own staffing (its area's hired mix, at least its minimum staff) and the distance its list travels
    c, r = p.market.costs, p.rulebook.cost_responsibility
    staff = visits * expected_staff_cost_per_visit(model)[geo.area_type]
    min_staff = p.market.staffing.min_gp_fte * geo.clinic_scale * team_cost_by_area_type(model)[geo.area_type]
    transport = r.patient_transport * c.transport_sek_per_km * (share * km_new * areas.visits[:, None]).sum(axis=0)
    other = share.T @ areas.other_cost + transport
    fill = list_fill(model)
    revenue_h = (fill[:, None] * revenue).sum(axis=0)
    cost_h = (fill[:, None] * other + np.maximum(fill[:, None] * staff, min_staff) + c.fixed_sek_per_year * geo.clinic_scale).sum(axis=0)
    margin = np.where(revenue_h > 0, (revenue_h - cost_h) / np.maximum(revenue_h, 1e-9), -np.inf)
    return {"listed": listed, "revenue": revenue, "margin": margin}


def list_fill(model) -> np.ndarray:
    """Expected share of its full list an entrant has in each year of its horizon: residents come only as they
    reconsider (each month ``reconsider_per_month`` of them) or move in."""
    p = model.params
    monthly = p.behaviour.choice.reconsider_per_month + p.population.demography.migration_in_per_1000 / 12_000
    mid_year = 12 * (np.arange(p.market.entry.horizon_years) + 0.5)
    return 1 - (1 - monthly) ** mid_year


def supply_per_10000(model) -> np.ndarray:
    """Open clinics within ``LOCAL_KM`` of each area per 10,000 residents within it."""
    geo, pop = model.geography, model.population
    near = geo.road_km <= LOCAL_KM
    residents = near @ np.bincount(pop.area, minlength=len(geo.area_names))
    clinics = near @ np.bincount(model.clinic_area[model.open_clinics], minlength=len(geo.area_names))
    return clinics / np.maximum(residents, 1) * 10_000 / geo.clinic_scale


def choose_entry_area(model, areas: AreaValue) -> int | None:
    """The area where a potential provider opens this year, or None: the best expected margin that clears the
    threshold, where the rulebook allows a clinic. ``areas``: the residents' worth by area (``area_value``)."""
    rules = model.params.rulebook.establishment
    if not rules.free:
        return None
    prospects = entry_prospects(model, areas)
    allowed = (prospects["listed"] >= rules.min_list * model.geography.clinic_scale) & ~model.geography.foreign
    if rules.max_clinics_per_10000 is not None:
        allowed &= supply_per_10000(model) < rules.max_clinics_per_10000
    margin = np.where(allowed, prospects["margin"], -np.inf)
    best = int(np.argmax(margin))
    return best if margin[best] > model.params.market.entry.profit_threshold else None


# ---------------------------------------------------------------------------- risk selection


def selection_efforts(model) -> np.ndarray:
    """Each provider's risk-selection effort in [0, 1] for the coming year (market.selection).

    What effort gains a clinic grows with the spread (standard deviation) of expected profit
    among the residents near it, SEK per year, and with how contestable they are: one minus
    the clinic's own logit share of their choice (a clinic alone in a sparse area gains
    nothing by selecting). With a quadratic cost, effort = min(1, contestable x spread / cost).
    """
    s = model.params.market.selection
    efforts = np.zeros(model.n_providers)
    if not s.enabled:
        return efforts
    pop, geo = model.population, model.geography
    profit = resident_value(model).profit()
    n_areas = len(geo.area_names)
    count = np.bincount(pop.area, minlength=n_areas).astype(np.float64)
    total = np.bincount(pop.area, weights=profit, minlength=n_areas)
    squares = np.bincount(pop.area, weights=profit**2, minlength=n_areas)
    nearby = model.region.nearby
    valid = nearby >= 0
    km = np.where(valid, geo.road_km[np.arange(n_areas)[:, None], model.clinic_area[np.maximum(nearby, 0)]], np.inf)
    weight = attraction(model, km, 0.0) * valid
    share = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-300)  # each nearby clinic's share of an area's choice
    for clinic in model.clinics:
        if not clinic.open or (clinic.owner == "public" and not s.public):
            continue
        own = np.where(nearby == clinic.index, share, 0.0).sum(axis=1)  # per area
        drawn = count * own  # residents it would list from each area
        if drawn.sum() < 2:
            continue
        areas = own > 0
        n = count[areas].sum()
        mean = total[areas].sum() / n
        spread = np.sqrt(max(squares[areas].sum() / n - mean**2, 0.0))
        contestable = 1 - float(np.average(own[areas], weights=drawn[areas]))
        efforts[clinic.index] = min(1.0, contestable * spread / s.cost_sek_per_listed)
    return efforts


def list_cost_index(model) -> np.ndarray:
    """Per provider: the expected cost of its listed residents over that of the residents of the areas its list
    comes from (1: a list like its areas; below 1: it listed the cheaper residents of its areas)."""
    pop = model.population
    cost = resident_value(model).cost
    n_areas = len(model.geography.area_names)
    area_mean = np.bincount(pop.area, weights=cost, minlength=n_areas) / np.maximum(np.bincount(pop.area, minlength=n_areas), 1)
    listed = pop.clinic >= 0
    own = np.bincount(pop.clinic[listed], weights=cost[listed], minlength=model.n_providers)
    expected = np.bincount(pop.clinic[listed], weights=area_mean[pop.area[listed]], minlength=model.n_providers)
    return np.where(expected > 0, own / np.maximum(expected, 1e-9), np.nan)
