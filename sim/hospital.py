"""The region's hospital as a Mesa agent: referred, emergency and direct cases, with heavy-tailed costs.

Cases come by four routes: a clinic's referral; an episode brought to the emergency
department; an emergency admission of a resident whose health has fallen below its
baseline (the route by which untreated need returns as hospital care); and direct care
not routed through primary care (self-referral, hospital follow-up, maternity, trauma).
Every case has a specialty, a setting (outpatient or inpatient) and an urgency, so a
fundholding rule can say which ones a clinic pays for.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.needs import EMERGENCY, Episodes
from sim.population import Population, cached
from sim.scenario import Health, Hospital as Params
from sim.streams import Streams, to_normal

# routes to hospital care
REFERRAL, EMERGENCY_DEPARTMENT, EMERGENCY_ADMISSION, DIRECT = 0, 1, 2, 3
ROUTES = ("referral", "emergency_department", "emergency_admission", "direct")
SPECIALTIES = ("medicine", "surgery", "psychiatry", "other")
DIRECT_INPATIENT_SHARE = 0.25  # direct cases that are admissions (assumption)


@dataclass
class Cases:
    """The month's hospital cases, one row each; a case's price is its outpatient plus its inpatient part."""

    row: np.ndarray  # resident row
    route: np.ndarray  # REFERRAL, EMERGENCY_DEPARTMENT, EMERGENCY_ADMISSION or DIRECT
    specialty: np.ndarray  # index into SPECIALTIES
    inpatient: np.ndarray  # bool: the case includes an admission
    referrer: np.ndarray  # provider that referred, -1 for none
    outpatient_sek: np.ndarray  # price of the outpatient and emergency-department care
    inpatient_sek: np.ndarray  # price of the admission
    out_of_region: np.ndarray  # bool: treated in another region's hospital
    rare: np.ndarray  # bool: a rare disease
    avoidable: np.ndarray  # probability that the case would not have happened at baseline health

    def __len__(self) -> int:
        return len(self.row)

    @property
    def cost(self) -> np.ndarray:
        """The case's price, SEK."""
        return self.outpatient_sek + self.inpatient_sek

    @property
    def emergency(self) -> np.ndarray:
        return (self.route == EMERGENCY_DEPARTMENT) | (self.route == EMERGENCY_ADMISSION)


def _lognormal(mean: float, dispersion: float, z: np.ndarray) -> np.ndarray:
    """Log-normal costs with the given mean, from standard-normal draws."""
    return mean * np.exp(dispersion * z - dispersion**2 / 2)


def _baseline_rates(pop: Population, health: Health, params: Params) -> tuple[np.ndarray, np.ndarray]:
    """Per resident and month at baseline health: emergency admissions and direct cases."""
    age = pop.age.astype(np.float32) / 100
    emergency = health.emergency_admissions_per_year + health.emergency_at_100 * age**3 + health.emergency_per_condition * pop.conditions
    direct = params.direct_cases_per_year + params.direct_cases_at_100 * age**2 + params.direct_cases_per_condition * pop.conditions
    return (emergency / 12).astype(np.float32), (direct / 12).astype(np.float32)


def emergency_and_direct_rates(pop: Population, health: Health, params: Params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per resident and month: emergency admissions, the same at baseline health, and direct cases.

    Health below baseline raises the emergency risk: untreated need returns as hospital care.
    """
    baseline, direct = cached(pop, "hospital_rates", lambda: _baseline_rates(pop, health, params))
    emergency = baseline * np.exp(np.float32(health.emergency_per_health_deficit) * pop.deficit)
    return emergency, baseline, direct


class Hospital(mesa.Agent):
    """The hospital treats what comes; the rulebook decides who pays.

    It is paid each case's price. Its own cost is a fixed part, set at the volume of
    reference (the warm-up), plus the variable rest of each price; the region, which owns
    it, covers its result. So care the hospital loses leaves its fixed cost behind, and its
    cost per case rises.
    """

    def __init__(self, model: mesa.Model, params: Params, health: Health):
        super().__init__(model)
        self.params = params
        self.health = health
        shares = params.specialty_shares
        self.specialty_cdf = np.cumsum([shares.medicine, shares.surgery, shares.psychiatry, shares.other])
        self.fixed_per_month: float | None = None  # SEK, set at the end of the warm-up
        self.reference_prices: list[float] = []

    def _specialty(self, u: np.ndarray) -> np.ndarray:
        return np.minimum(np.searchsorted(self.specialty_cdf, u, side="right"), len(SPECIALTIES) - 1).astype(np.int8)

    def cost_of(self, prices: float) -> float:
        """The hospital's own cost in a month whose cases are priced ``prices`` SEK."""
        share = self.params.fixed_cost_share
        if self.fixed_per_month is None:
            self.reference_prices.append(prices)
            return prices
        return self.fixed_per_month + (1 - share) * prices

    def fix_costs(self) -> None:
        """The warm-up is the volume of reference: the fixed cost is its share of the mean monthly prices."""
        if self.reference_prices:
            self.fixed_per_month = self.params.fixed_cost_share * float(np.mean(self.reference_prices))

    @staticmethod
    def _draws(streams: Streams, name: str, pid: np.ndarray, month: int, slot: int | np.ndarray = 0):
        """A case's draws: specialty, admission, place and rarity uniforms, and two standard normals for its costs."""
        specialty, admission = streams.uniforms(f"{name} a", pid, month, parts=2, slot=slot)
        z1, z2 = streams.uniforms(f"{name} b", pid, month, parts=2, slot=slot)
        place, rarity = streams.uniforms(f"{name} c", pid, month, parts=2, slot=slot)
        return specialty, admission, to_normal(z1), to_normal(z2), place, rarity

    def admit(self, pop: Population, ep: Episodes, streams: Streams, month: int, u_resident: np.ndarray) -> Cases:
        """All of the month's cases: from referrals, the emergency department, ill health and direct care.

        ``u_resident`` is one keyed uniform per resident for the month's emergency and direct cases.
        """
        p = self.params
        parts: list[Cases] = []
        # referrals from clinics, and episodes brought to the emergency department
        for route, chosen in ((REFERRAL, ep.referred), (EMERGENCY_DEPARTMENT, ep.channel == EMERGENCY)):
            i = np.flatnonzero(chosen)
            if not len(i):
                continue
            specialty, admission, outpatient, inpatient, place, rarity = self._draws(streams, f"route {route}", ep.pid[i], month, ep.k[i])
            needed = ep.needs_specialist[i]
            specialist = np.where(
                needed, _lognormal(p.referral_outpatient_sek, p.outpatient_dispersion, outpatient), _lognormal(p.unneeded_referral_sek, p.outpatient_dispersion, outpatient)
            )
            if route == REFERRAL:
                admitted = needed & (admission < p.referral_admission_share)
                stay = np.where(admitted, _lognormal(p.inpatient_sek, p.inpatient_dispersion, inpatient), 0.0)
                parts.append(self._cases(ep.row[i], REFERRAL, specialty, admitted, ep.provider[i], specialist, stay, False, rarity, 0.0))
            else:
                visit = p.emergency_visit_sek + np.where(needed, specialist, 0.0)
                parts.append(self._cases(ep.row[i], EMERGENCY_DEPARTMENT, specialty, False, -1, visit, 0.0, place, rarity, 0.0))
        # emergency admissions from ill health, and direct care, per resident
        emergency, baseline, direct = emergency_and_direct_rates(pop, self.health, p)
        em = np.flatnonzero(u_resident < emergency)
        if len(em):
            specialty, admission, _, inpatient, place, rarity = self._draws(streams, "emergency", pop.pid[em], month)
            admitted = admission < p.emergency_admission_share
            stay = np.where(admitted, _lognormal(p.inpatient_sek, p.inpatient_dispersion, inpatient), 0.0)
            parts.append(self._cases(em, EMERGENCY_ADMISSION, specialty, admitted, -1, np.full(len(em), p.emergency_visit_sek), stay, place, rarity, 1 - baseline[em] / emergency[em]))
        dr = np.flatnonzero((u_resident >= emergency) & (u_resident < emergency + direct))
        if len(dr):
            specialty, admission, cost_z, _, place, rarity = self._draws(streams, "direct", pop.pid[dr], month)
            cost = _lognormal(p.direct_case_sek, p.direct_case_dispersion, cost_z)
            admitted = admission < DIRECT_INPATIENT_SHARE
            parts.append(self._cases(dr, DIRECT, specialty, admitted, -1, np.where(admitted, 0.0, cost), np.where(admitted, cost, 0.0), place, rarity, 0.0))
        if not parts:
            return self._cases([], DIRECT, np.zeros(0), False, -1, [], [], False, np.zeros(0), 0.0)
        return Cases(*(np.concatenate([getattr(c, f) for c in parts]) for f in Cases.__dataclass_fields__))

    def _cases(self, rows, route, u_specialty, inpatient, referrer, outpatient, stay, place, rarity, avoidable) -> Cases:
        """Cases of one route; ``place`` is a uniform (out of region below the share) or False for cases always in region."""
        n = len(rows)
        p = self.params
        away = np.broadcast_to(place, (n,)) < p.out_of_region_share if not isinstance(place, bool) else np.zeros(n, bool)
        return Cases(
            row=np.asarray(rows, dtype=np.int64),
            route=np.full(n, route, dtype=np.int8),
            specialty=self._specialty(u_specialty),
            inpatient=np.broadcast_to(inpatient, (n,)).astype(bool),
            referrer=np.broadcast_to(referrer, (n,)).astype(np.int32),
            outpatient_sek=np.broadcast_to(np.asarray(outpatient, dtype=np.float64), (n,)).copy(),
            inpatient_sek=np.broadcast_to(np.asarray(stay, dtype=np.float64), (n,)).copy(),
            out_of_region=away,
            rare=np.asarray(rarity) < p.rare_share,
            avoidable=np.broadcast_to(avoidable, (n,)).astype(np.float64),
        )
