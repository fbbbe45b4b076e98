"""Physiotherapy as a care choice of its own [vårdval fysioterapi] (004, rulebooks.md 6): providers beside the health
centres, chosen per episode of care rather than by listing, paid by the region's physiotherapy rulebook.

Each month residents fall into episodes of physiotherapy need; each episode chooses a provider by distance and
expected wait (a logit over the open providers, per home area). The provider gives its visits per episode, which
rise with the share of its pay that comes per visit and move with the volume requirements it is short of; a share
of booked visits is missed, fewer where a fee is charged for them, and a missed visit still takes its slot. Capacity
is staffed FTE, planned each year for the demand seen; demand beyond it is rationed and waits grow.

Care-choice providers are paid a fixed sum per FTE staffed and, where the rulebook has one, a fee per visit; at the
year's end a provider short of the performance requirement (visits per FTE) or the unique-patients requirement
loses part of its fixed payment. Providers under the national tariff [LOF] are paid per visit by the region's
central budget or, where the rulebook makes them cost-responsible, by the patient's listed health centre. A
care-choice provider that keeps losing money closes; new ones open where the waits are longest, unless the
rulebook limits establishment where supply per resident is already high.

The module owns its providers (columns, a row each), its books and its outcomes (``PHYSIO_OUTCOMES``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.providers import expected_wait_days

NEAR_KM = 10.0  # the establishment limit counts supply and residents within this distance
NEED_SPREAD = 0.5  # lognormal spread of an episode's visits needed (assumption)
TARGET_LOAD = 0.9  # providers staff for this share of their capacity booked (assumption)
MIN_FTE = 0.2  # smallest staffing of a care-choice provider, FTE (assumption)
MAX_PROVIDERS_PER_AREA = 3  # room for entrants: each area can hold this many care-choice providers

#: the run's physiotherapy outcomes (``Physiotherapy.outcomes``), over the reported years
PHYSIO_OUTCOMES = (
    "physio_visits_per_1000",
    "physio_visits_per_episode",
    "physio_unmet_need_rate",
    "physio_overprovision_rate",
    "physio_wait_days",
    "physio_km_per_episode",
    "physio_no_show_share",
    "physio_cost_per_capita_sek",
    "physio_tariff_paid_by_centres_per_capita_sek",
    "physio_tariff_per_listed_cv",
    "physio_deductions_share",
    "physio_income_change_sd",
    "physio_margin_mean",
    "physio_providers_final",
    "physio_entries",
    "physio_exits",
    "physio_fte_per_10000_town",
    "physio_fte_per_10000_rural",
    "physio_fte_per_10000_sparse",
    "physio_payment_components",
)


@dataclass(frozen=True)
class PhysioMonth:
    """A month of physiotherapy: the residents (rows) with an episode, the visits each was given, the SEK the region
    paid providers in all, and each episode's listed health centre and the SEK that centre pays for it (the
    national tariff, where centres are cost-responsible)."""

    row: np.ndarray
    visits: np.ndarray
    region_sek: float
    clinic: np.ndarray
    centre_sek: np.ndarray


class Physiotherapy:
    """The region's physiotherapy providers and their episodes, month by month."""

    def __init__(self, geography, params, rules, staffing, exit_rule, entry_rule):
        self.geo = geography
        self.p = params
        self.rules = rules
        self.max_change = staffing.max_change_per_year
        self.loss_share, self.loss_years_to_exit = exit_rule.loss_share, exit_rule.loss_years
        self.entry_threshold = entry_rule.profit_threshold
        n_areas = len(geography.area_names)
        town = geography.area_type == 0
        scale = geography.clinic_scale
        # the start: a care-choice provider in each local care area's largest area and in every town area; a provider
        # under the national tariff in each local care area's largest area, sized by the local area's residents
        local = geography.local_or_own_area
        largest = np.zeros(n_areas, bool)
        for k in np.unique(local):
            members = np.flatnonzero(local == k)
            largest[members[np.argmax(geography.residents[members])]] = True
        tariff_area = np.flatnonzero(largest)
        self.area = np.concatenate([np.repeat(np.arange(n_areas), MAX_PROVIDERS_PER_AREA), tariff_area]).astype(np.intp)
        self.tariff = np.arange(len(self.area)) >= n_areas * MAX_PROVIDERS_PER_AREA
        self.km = geography.road_km[:, self.area]  # road km from each area's centre to each provider's
        n = len(self.area)
        self.open = self.tariff.copy()
        self.open[np.flatnonzero(~self.tariff)[::MAX_PROVIDERS_PER_AREA][largest | town]] = True
        self.closed = np.zeros(n, bool)
        residents_of_local = np.bincount(local, weights=geography.residents)
        self.fte = np.zeros(n)
        self.fte[self.tariff] = params.tariff_fte_per_10000 * residents_of_local[local[tariff_area]] / 10_000
        self.intensity = np.ones(n)  # visits per episode relative to the need
        # care-choice providers staffed at the start for the visits the tariff's providers leave, by their nearest residents
        older = geography.age_shares["65-79"] + geography.age_shares["80+"]
        per_resident = params.episodes_per_resident_per_year * (1 + older) * params.visits_needed_per_episode * (1 + params.volume_response * self.pay_share_per_visit())
        tariff_capacity = self.fte[self.tariff].sum() * params.visits_per_fte_per_year * TARGET_LOAD
        left = max(per_resident[~self.tariff].mean() * geography.residents.sum() - tariff_capacity, 0.0) / max(geography.residents.sum(), 1)
        care_open = self.open & ~self.tariff
        visits = np.bincount(self._nearest(care_open), weights=geography.residents, minlength=n) * left
        self.fte = np.where(care_open, np.maximum(visits / (params.visits_per_fte_per_year * TARGET_LOAD), MIN_FTE * scale), self.fte)
        self.load = np.full(n, TARGET_LOAD)
        self.wait_days = np.full(n, 1.0)
        self.loss_years = np.zeros(n, int)
        self.last_income_per_fte = np.full(n, np.nan)
        self.income_changes: list[float] = []
        self.margins: list[float] = []
        self.entries = self.exits = 0
        self.fixed_scale = scale
        self._start_year()
        self.totals = dict.fromkeys(("episodes", "visits", "needed", "unmet", "over", "booked", "missed", "km", "wait", "region_sek", "centres_sek", "deductions_sek", "fixed_sek"), 0.0)
        self.reporting = False
        self.centre_tariff_sek = self.centre_listed_months = None  # per health centre, over the reported months

    # ------------------------------------------------------------------ the month

    def _nearest(self, providers: np.ndarray) -> np.ndarray:
        """Each area's nearest provider among ``providers`` (bool per provider)."""
        return np.argmin(np.where(providers[None, :], self.km, np.inf), axis=1)

    def _choice(self) -> np.ndarray:
        """Probability that an episode from each area (rows) goes to each provider (columns): a logit in distance and wait."""
        v = -self.p.distance_per_10km * self.km / 10 - self.p.wait_per_day * self.wait_days[None, :]
        v = np.where(self.open[None, :], v, -np.inf)
        v = v - v.max(axis=1, keepdims=True)
        w = np.exp(v)
        return w / w.sum(axis=1, keepdims=True)

    def pay_share_per_visit(self) -> np.ndarray:
        """Share of each provider's expected pay that comes per visit (1 for the national tariff)."""
        r = self.rules
        per_visit = r.per_visit_sek * self.p.visits_per_fte_per_year
        return np.where(self.tariff, 1.0, per_visit / max(per_visit + r.fixed_sek_per_fte_per_year, 1e-9))

    def step(self, population, streams, month: int) -> PhysioMonth:
        """The month's episodes, visits and money: who had an episode, the visits given, and who pays for them."""
        p, r = self.p, self.rules
        pop = population
        rate = p.episodes_per_resident_per_year / 12 * np.where(pop.age >= 65, 2.0, 1.0)
        u_episode, u_provider, u_need = streams.uniforms("physiotherapy", pop.pid, month, parts=3)
        who = np.flatnonzero(u_episode < rate)
        area = pop.area[who].astype(np.intp)
        cum = np.cumsum(self._choice(), axis=1)
        provider = np.minimum((u_provider[who, None] > cum[area]).sum(axis=1), len(self.area) - 1)
        need = p.visits_needed_per_episode * np.exp(NEED_SPREAD * ndtri(np.clip(u_need[who], 1e-12, 1 - 1e-12)) - NEED_SPREAD**2 / 2)
        booked = need * self.intensity[provider] * (1 + p.volume_response * self.pay_share_per_visit()[provider])
        n = len(self.area)
        booked_by = np.bincount(provider, weights=booked, minlength=n)
        missed_share = p.no_show_share_with_fee if r.no_show_fee_sek > 0 else p.no_show_share
        capacity = self.fte * p.visits_per_fte_per_year / 12
        rho = np.divide(booked_by, capacity, out=np.zeros(n), where=capacity > 0)
        self.load = self.load + (rho - self.load) / 3  # a queue carries demand over about three months
        served = np.where(self.load > 1, 1 / np.maximum(self.load, 1e-9), 1.0)  # beyond capacity, care is rationed
        self.wait_days = expected_wait_days(_PhysioQueue, self.load)
        given = booked * served[provider] * (1 - missed_share)
        missed = booked * served[provider] * missed_share
        given_by = np.bincount(provider, weights=given, minlength=n)
        # money: fixed per FTE and per visit (care choice), the tariff (LOF) per visit, fees for missed visits
        fixed = np.where(self.tariff | ~self.open, 0.0, r.fixed_sek_per_fte_per_year * self.fte / 12)
        per_visit = np.where(self.tariff, r.tariff_sek_per_visit, r.per_visit_sek) * given_by
        fees = r.no_show_fee_sek * np.bincount(provider, weights=missed, minlength=n)
        cost = np.where(self.open, p.salary_sek_per_fte_per_year * self.fte / 12 + p.fixed_sek_per_year * self.fixed_scale / 12, 0.0)
        self.revenue_year += fixed + per_visit + fees
        self.fixed_year += fixed
        self.cost_year += cost
        self.visits_year += given_by
        self.booked_year += booked_by
        first = self._first_of_year(pop.pid[who], provider, month)
        self.unique_year += np.bincount(provider[first], minlength=n)
        tariff_sek = np.where(self.tariff[provider], r.tariff_sek_per_visit * given, 0.0)
        clinic = pop.clinic[who]
        paid_by_centre = (clinic >= 0) & (r.tariff_paid_by != "region")
        if r.tariff_paid_by == "centres_outside_town":
            paid_by_centre &= pop.area_type[who] != 0
        by_centres = np.where(paid_by_centre, tariff_sek, 0.0)  # the listed centre pays
        region_sek = float((fixed + per_visit).sum() - by_centres.sum())
        if self.reporting:
            t = self.totals
            t["episodes"] += len(who)
            t["visits"] += given.sum()
            t["needed"] += need.sum()
            t["unmet"] += np.maximum(need - given, 0).sum()
            t["over"] += np.maximum(given - need, 0).sum()
            t["booked"] += (booked * served[provider]).sum()
            t["missed"] += missed.sum()
            t["km"] += (self.km[area, provider] + pop.home_km[who]).sum()
            t["wait"] += self.wait_days[provider].sum()
            t["region_sek"] += region_sek
            t["centres_sek"] += by_centres.sum()
            t["fixed_sek"] += fixed.sum()
        return PhysioMonth(who, given, region_sek, clinic, by_centres)

    def _first_of_year(self, pid: np.ndarray, provider: np.ndarray, month: int) -> np.ndarray:
        """Which episodes bring a patient new to the provider this year (unique patients)."""
        key = pid * len(self.area) + provider
        fresh = ~np.isin(key, self.seen_year)
        self.seen_year = np.union1d(self.seen_year, key[fresh])
        _, first = np.unique(key, return_index=True)
        is_first = np.zeros(len(key), bool)
        is_first[first] = True
        return fresh & is_first

    def record_centres(self, by_clinic: np.ndarray, listed: np.ndarray) -> None:
        """Add a month of what each health centre paid for the national tariff, and its list, to the reported tallies."""
        if self.reporting:
            self.centre_tariff_sek = by_clinic + (self.centre_tariff_sek if self.centre_tariff_sek is not None else 0.0)
            self.centre_listed_months = listed + (self.centre_listed_months if self.centre_listed_months is not None else 0.0)

    # ------------------------------------------------------------------ the year's end

    def _start_year(self) -> None:
        n = len(self.area)
        self.revenue_year, self.cost_year, self.fixed_year = np.zeros(n), np.zeros(n), np.zeros(n)
        self.visits_year, self.booked_year, self.unique_year = np.zeros(n), np.zeros(n), np.zeros(n)
        self.seen_year = np.zeros(0, np.int64)

    def settle_year(self, adapt_fully: bool) -> float:
        """Deductions for requirements not met, results, exits and entries; next year's staff and visits per episode.
        Returns the SEK the region withholds (deductions)."""
        r, p = self.rules, self.p
        care = self.open & ~self.tariff
        fte = np.maximum(self.fte, 1e-9)
        shortfall = np.zeros(len(self.area))
        short_visits = np.zeros(len(self.area), bool)
        short_unique = np.zeros(len(self.area), bool)
        if r.min_visits_per_fte:
            gap = np.clip(1 - self.visits_year / fte / r.min_visits_per_fte, 0, 1)
            short_visits = care & (gap > 0)
            shortfall = np.maximum(shortfall, gap)
        if r.min_unique_patients_per_fte:
            gap = np.clip(1 - self.unique_year / fte / r.min_unique_patients_per_fte, 0, 1)
            short_unique = care & (gap > 0)
            shortfall = np.maximum(shortfall, gap)
        deduction = np.where(care, r.deduction_share * shortfall * self.fixed_year, 0.0)
        self.revenue_year -= deduction
        result = self.revenue_year - self.cost_year
        if self.reporting:
            self.totals["deductions_sek"] += deduction.sum()
            self.totals["region_sek"] -= deduction.sum()
            income = np.where(care, self.revenue_year / fte, np.nan)
            change = income / self.last_income_per_fte - 1
            self.income_changes += list(change[care & np.isfinite(change)])
            self.margins += list((result / np.maximum(self.revenue_year, 1.0))[care])
        self.last_income_per_fte = np.where(care, self.revenue_year / fte, np.nan)
        # visits per episode: toward the requirement a provider is short of
        step = p.requirement_response
        self.intensity = np.clip(self.intensity * np.where(short_visits, 1 + step, 1.0) * np.where(short_unique, 1 - step, 1.0), 0.5, 2.0)
        # exits of care-choice providers that keep losing money
        losing = care & (result < -self.loss_share * np.maximum(self.revenue_year, 1.0))
        self.loss_years = np.where(losing, self.loss_years + 1, 0)
        closing = care & (self.loss_years >= self.loss_years_to_exit) & (not adapt_fully)
        if closing.any():
            self.open[closing] = False
            self.closed[closing] = True
            self.fte[closing] = 0.0
            self.exits += int(closing.sum()) if self.reporting else 0
        # staff for the visits asked for, within the yearly change
        wanted = np.maximum(self.booked_year / (p.visits_per_fte_per_year * TARGET_LOAD), MIN_FTE * self.fixed_scale)
        if not adapt_fully:
            wanted = np.clip(wanted, self.fte * (1 - self.max_change), self.fte * (1 + self.max_change))
        self.fte = np.where(self.open & ~self.tariff, wanted, self.fte)
        self._enter(result)
        self._start_year()
        return float(deduction.sum())

    def _enter(self, result: np.ndarray) -> None:
        """One new care-choice provider a year, in the area whose residents wait longest for their nearest provider,
        when the open providers made money on average and the establishment limit allows it there."""
        care = self.open & ~self.tariff
        margin = result[care].sum() / max(self.revenue_year[care].sum(), 1.0)
        if margin <= self.entry_threshold:
            return
        near = self.geo.road_km <= NEAR_KM
        wait_by_area = self.wait_days[self._nearest(self.open)]
        allowed = np.ones(len(self.geo.area_names), bool)
        if self.rules.max_fte_per_10000 is not None:
            fte_near = near[:, self.area] @ np.where(self.open, self.fte, 0.0)
            allowed = fte_near / np.maximum(near @ self.geo.residents, 1) * 10_000 < self.rules.max_fte_per_10000
        free = np.array([np.flatnonzero((self.area == a) & ~self.open & ~self.closed & ~self.tariff)[:1] for a in range(len(allowed))], dtype=object)
        candidates = [a for a in np.argsort(-wait_by_area) if allowed[a] and len(free[a])]
        if not candidates:
            return
        k = int(free[candidates[0]][0])
        self.open[k] = True
        self.fte[k] = max(np.median(self.fte[care]) / 2, MIN_FTE * self.fixed_scale)
        self.entries += 1 if self.reporting else 0

    # ------------------------------------------------------------------ outcomes

    def outcomes(self, resident_years: float) -> dict[str, float]:
        """The run's physiotherapy figures (SEK per resident per year, shares, days, km)."""
        t = self.totals
        episodes = max(t["episodes"], 1e-9)
        per_capita = 1 / max(resident_years, 1e-9)
        geo = self.geo
        fte_by_type = np.bincount(geo.area_type[self.area], weights=np.where(self.open, self.fte, 0.0), minlength=3)
        residents_by_type = np.bincount(geo.area_type, weights=geo.residents, minlength=3)
        r = self.rules
        components = (r.fixed_sek_per_fte_per_year > 0) + (r.per_visit_sek > 0) + (r.min_visits_per_fte is not None) + (r.min_unique_patients_per_fte is not None) + (r.no_show_fee_sek > 0) + (r.max_fte_per_10000 is not None)
        result = {
            "physio_visits_per_1000": 1000 * t["visits"] * per_capita,
            "physio_visits_per_episode": t["visits"] / episodes,
            "physio_unmet_need_rate": t["unmet"] / max(t["needed"], 1e-9),
            "physio_overprovision_rate": t["over"] / max(t["needed"], 1e-9),
            "physio_wait_days": t["wait"] / episodes,
            "physio_km_per_episode": t["km"] / episodes,
            "physio_no_show_share": t["missed"] / max(t["booked"], 1e-9),
            "physio_cost_per_capita_sek": (t["region_sek"] + t["centres_sek"]) * per_capita,
            "physio_tariff_paid_by_centres_per_capita_sek": t["centres_sek"] * per_capita,
            "physio_tariff_per_listed_cv": self._tariff_spread(),
            "physio_deductions_share": t["deductions_sek"] / max(t["fixed_sek"], 1e-9),
            "physio_income_change_sd": float(np.std(self.income_changes)) if len(self.income_changes) > 1 else np.nan,
            "physio_margin_mean": float(np.mean(self.margins)) if self.margins else np.nan,
            "physio_providers_final": int((self.open & ~self.tariff).sum()),
            "physio_entries": self.entries,
            "physio_exits": self.exits,
            "physio_payment_components": int(components),
        }
        for k, name in enumerate(("town", "rural", "sparse")):
            result[f"physio_fte_per_10000_{name}"] = fte_by_type[k] / max(residents_by_type[k], 1e-9) * 10_000
        return result


    def _tariff_spread(self) -> float:
        """How unevenly the national tariff's cost falls on the health centres: the coefficient of variation over centres
        of what each paid per listed resident (empty where none paid)."""
        if self.centre_tariff_sek is None:
            return np.nan
        listed = self.centre_listed_months > 0
        per_listed = self.centre_tariff_sek[listed] / self.centre_listed_months[listed]
        return float(per_listed.std() / per_listed.mean()) if per_listed.mean() > 0 else np.nan


class _PhysioQueue:
    """The wait curve of a physiotherapy provider: ``min + scale x rho / (1 - rho)`` days (assumption)."""

    min_wait_days = 3.0
    wait_scale_days = 0.5
