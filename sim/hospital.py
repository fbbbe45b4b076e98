"""The region's hospital as a Mesa agent: its cases, each with an origin, a route and a specialty, and heavy-tailed costs.

A case's **origin** is how it came: a clinic's referral; a resident's own referral
[egenremiss] of a specialist need the clinic did not refer; an episode brought to the
emergency department; an emergency presentation of a resident whose health has fallen
below its baseline (the way untreated need returns as hospital care); care the hospital
plans itself (follow-up, tests, rehabilitation); an injury; a delivery. Its **route** is
the kind of care, which a fundholding step's scope names: elective (planned), emergency,
trauma, maternity, or rare (highly specialised care for rare diseases). Its **specialty**
follows the patient: a referral keeps the specialty its episode was drawn with
(sim.needs: by age, sex and chronic conditions), emergencies are mostly medicine,
injuries surgery and deliveries obstetrics. Rates and shares are sourced in the scenario's
hospital section (docs/field-evidence.md, section H).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.chunks import chunks, rows_where
from sim.needs import EMERGENCY, Episodes
from sim.population import Population
from sim.scenario import Health, Hospital as Params, SpecialtyShares
from sim.streams import Streams, poisson_from_uniform, to_normal

# how a case came to the hospital
REFERRAL, SELF_REFERRAL, EMERGENCY_DEPARTMENT, EMERGENCY_ADMISSION, HOSPITAL_PLANNED, INJURY, DELIVERY = range(7)
ORIGINS = ("referral", "self_referral", "emergency_department", "emergency_admission", "hospital_planned", "injury", "delivery")
# the kind of care: what a fundholding step's scope names
ELECTIVE, EMERGENCY_CARE, TRAUMA, MATERNITY, RARE = range(5)
ROUTES = ("elective", "emergency", "trauma", "maternity", "rare")
SPECIALTIES = ("medicine", "surgery", "psychiatry", "obstetrics", "other")


@dataclass
class Cases:
    """The month's hospital cases, one row each; a case's price is its outpatient plus its inpatient part."""

    row: np.ndarray  # resident row
    origin: np.ndarray  # ORIGINS index
    route: np.ndarray  # ROUTES index
    specialty: np.ndarray  # SPECIALTIES index
    inpatient: np.ndarray  # bool: the case includes an admission
    referrer: np.ndarray  # provider that referred, -1 for none
    outpatient_sek: np.ndarray  # price of the outpatient and emergency-department care
    inpatient_sek: np.ndarray  # price of the admission
    out_of_region: np.ndarray  # bool: treated in another region's hospital
    avoidable: np.ndarray  # probability that the case would not have happened at baseline health

    def __len__(self) -> int:
        return len(self.row)

    @property
    def cost(self) -> np.ndarray:
        """The case's price, SEK."""
        return self.outpatient_sek + self.inpatient_sek

    @property
    def emergency_department(self) -> np.ndarray:
        """Cases that passed the emergency department: episodes brought there, emergency presentations, injuries."""
        return np.isin(self.origin, (EMERGENCY_DEPARTMENT, EMERGENCY_ADMISSION, INJURY))


def _lognormal(mean: float, dispersion: float, z: np.ndarray) -> np.ndarray:
    """Log-normal costs with the given mean, from standard-normal draws."""
    return mean * np.exp(dispersion * z - dispersion**2 / 2)


def specialty_weights(shares: SpecialtyShares, params: Params, age: np.ndarray, male: np.ndarray, conditions: np.ndarray) -> list[np.ndarray]:
    """Each patient's probability of each of the SPECIALTIES for a kind of care (one array per specialty, a value per patient).

    The shares are an adult woman's without chronic conditions; psychiatry is more likely at
    ages 15-44, medicine with each chronic condition, and men have no obstetrics or gynaecology.
    """
    n = len(age)
    w = [np.full(n, share, dtype=np.float64) for share in (shares.medicine, shares.surgery, shares.psychiatry, shares.obstetrics, shares.other)]
    w[0] *= 1 + params.medicine_per_condition * conditions
    w[2] *= np.where((age >= 15) & (age < 45), params.psychiatry_at_15_44, 1.0)
    w[3] *= ~male.astype(bool) & (age >= 15)
    total = w[0] + w[1] + w[2] + w[3] + w[4]
    return [column / total for column in w]


def draw_specialty(u: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """A specialty per patient from a uniform and their probabilities (inverse CDF)."""
    cdf = np.zeros(len(u))
    chosen = np.zeros(len(u), dtype=np.int8)
    for w in weights:
        cdf += w
        chosen += u >= cdf
    return np.minimum(chosen, len(SPECIALTIES) - 1)


@dataclass(frozen=True)
class ResidentRates:
    """Hospital cases per resident and month that do not come through primary care, at baseline health."""

    emergency: np.ndarray  # emergency presentations
    planned: np.ndarray  # care the hospital plans itself
    injury: np.ndarray  # injuries treated at the emergency department
    injury_admitted: np.ndarray  # probability an injury is admitted
    delivery: np.ndarray  # deliveries


def _baseline_rates(pop: Population, health: Health, params: Params, births_per_1000: float, streams: Streams) -> ResidentRates:
    """Each resident's rates, a chunk of residents at a time (sim.chunks)."""
    n = len(pop)
    rates = ResidentRates(*(np.empty(n, np.float32) for _ in ResidentRates.__dataclass_fields__))
    profile = np.empty(n)  # of mothers' ages, to share the births out
    sigma = params.direct_frailty_dispersion
    as_month = lambda x: (np.asarray(x, dtype=np.float64) / 12).astype(np.float32)  # noqa: E731
    for part in chunks(n):
        years = pop.age[part]
        age, conditions, male = years.astype(np.float32) / 100, pop.conditions[part], pop.male[part]
        rates.emergency[part] = as_month(health.emergency_admissions_per_year + health.emergency_at_100 * age**3 + health.emergency_per_condition * conditions)
        frailty = np.exp(sigma * to_normal(streams.uniform("frailty", pop.pid[part], 0)) - sigma**2 / 2)  # each resident's own, for life
        rates.planned[part] = as_month((params.direct_cases_per_year + params.direct_cases_at_100 * age**2 + params.direct_cases_per_condition * conditions) * frailty)
        young_man = male & (years >= 15) & (years < 45)
        rates.injury[part] = as_month(params.injuries_per_year * (1 + params.injury_young_male_excess * young_man) + params.injuries_at_100 * age**4)
        rates.injury_admitted[part] = params.injury_admission_share + (params.injury_admission_share_at_100 - params.injury_admission_share) * age**2
        fertile = ~male & (years >= 15) & (years < 50)
        profile[part] = np.where(fertile, np.exp(-0.5 * ((years - params.mothers_mean_age) / params.mothers_age_spread) ** 2), 0.0)
    rates.delivery[:] = as_month(births_per_1000 / 1000 * n * profile / max(float(profile.sum()), 1e-9))  # deliveries as many as the births
    return rates


def resident_rates(pop: Population, health: Health, params: Params, births_per_1000: float, streams: Streams, rows: np.ndarray | slice = slice(None)) -> tuple[ResidentRates, np.ndarray]:
    """The month's rates per resident, and the emergency rate of residents ``rows`` (all by default) at this month's health.

    Health below baseline raises the emergency risk: untreated need returns as hospital care.
    Hospital-planned care varies between residents beyond their age, sex and conditions by a
    frailty each keeps for life (``direct_frailty_dispersion``): the persistent heterogeneity
    that makes the costliest tenth of residents carry most of the cost.
    """
    base = pop.derived("hospital rates", lambda: _baseline_rates(pop, health, params, births_per_1000, streams))
    return base, base.emergency[rows] * np.exp(np.float32(health.emergency_per_health_deficit) * pop.deficit[rows])


class Hospital(mesa.Agent):
    """The hospital treats what comes; the rulebook decides who pays.

    It is paid each case's price. Its own cost is a fixed part, set at the volume of
    reference (the warm-up), plus the variable rest of each price; the region, which owns
    it, covers its result. So care the hospital loses leaves its fixed cost behind, and its
    cost per case rises.
    """

    def __init__(self, model: mesa.Model, params: Params, health: Health, births_per_1000: float):
        super().__init__(model)
        self.params = params
        self.health = health
        self.births_per_1000 = births_per_1000
        self.fixed_per_month: float | None = None  # SEK, set at the end of the warm-up
        self.reference_prices: list[float] = []

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

    def episode_specialty(self, pop: Population, ep: Episodes) -> np.ndarray:
        """The specialty a referral of each episode would go to: the elective mix, by the patient's age, sex and conditions."""
        rows = ep.row
        return draw_specialty(ep.u["specialty"], specialty_weights(self.params.elective_specialties, self.params, pop.age[rows], pop.male[rows], pop.conditions[rows]))

    @staticmethod
    def _draws(streams: Streams, name: str, pid: np.ndarray, month: int, slot: int | np.ndarray = 0):
        """A case's uniforms: specialty, admission, two for its costs (``to_normal`` makes them standard normals where
        used), place and rarity."""
        specialty, admission = streams.uniforms(f"{name} a", pid, month, parts=2, slot=slot)
        cost_1, cost_2 = streams.uniforms(f"{name} b", pid, month, parts=2, slot=slot)
        place, rarity = streams.uniforms(f"{name} c", pid, month, parts=2, slot=slot)
        return specialty, admission, cost_1, cost_2, place, rarity

    def _specialist(self, needed: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Outpatient specialist care of a referral, SEK: a needed one's care, or a consultation that finds no need."""
        p = self.params
        return np.where(needed, _lognormal(p.referral_outpatient_sek, p.outpatient_dispersion, z), _lognormal(p.unneeded_referral_sek, p.outpatient_dispersion, z))

    def admit(self, pop: Population, ep: Episodes, streams: Streams, month: int, u_resident: np.ndarray) -> Cases:
        """All of the month's cases: from referrals and self-referrals, the emergency department, ill health,
        the hospital's own planning, injuries and deliveries.

        ``u_resident`` is one keyed uniform per resident for the month's emergency presentation, injury or delivery.
        """
        p = self.params
        parts: list[Cases] = []
        # referrals from clinics, residents' own referrals of a need left unreferred, and episodes brought to the emergency department
        for origin, chosen in ((REFERRAL, ep.referred), (SELF_REFERRAL, ep.self_referred), (EMERGENCY_DEPARTMENT, ep.channel == EMERGENCY)):
            i = np.flatnonzero(chosen)
            if not len(i):
                continue
            _, admission, u_outpatient, u_inpatient, place, rarity = self._draws(streams, f"route {origin}", ep.pid[i], month, ep.k[i])
            needed = ep.needs_specialist[i]
            specialist = self._specialist(needed, to_normal(u_outpatient))
            if origin == EMERGENCY_DEPARTMENT:
                visit = p.emergency_visit_sek + np.where(needed, specialist, 0.0)
                parts.append(self._cases(ep.row[i], origin, EMERGENCY_CARE, ep.specialty[i], False, -1, visit, 0.0, place, 0.0))
                continue
            admitted = needed & (admission < p.referral_admission_share)
            stay = np.where(admitted, _lognormal(p.inpatient_sek, p.inpatient_dispersion, to_normal(u_inpatient)), 0.0)
            route = np.where(rarity < p.rare_share, RARE, ELECTIVE)
            referrer = ep.provider[i] if origin == REFERRAL else -1
            parts.append(self._cases(ep.row[i], origin, route, ep.specialty[i], admitted, referrer, specialist, stay, False, 0.0))
        # emergencies, injuries and deliveries: one keyed uniform per resident picks at most one a month
        rates = lambda rows: resident_rates(pop, self.health, p, self.births_per_1000, streams, rows)  # noqa: E731

        def with_case(part: slice) -> np.ndarray:
            base, emergency = rates(part)
            return u_resident[part] < emergency + base.injury[part] + base.delivery[part]

        cased = rows_where(len(pop), with_case)  # the few with a case this month
        base, emergency = rates(cased)
        with_injury = emergency + base.injury[cased]
        u_cased = u_resident[cased]
        kind = (u_cased >= emergency).astype(np.int8) + (u_cased >= with_injury)  # 0 emergency, 1 injury, 2 delivery
        em = cased[kind == 0]
        if len(em):
            u_specialty, admission, _, u_inpatient, place, _ = self._draws(streams, "emergency", pop.pid[em], month)
            admitted = admission < p.emergency_admission_share
            stay = np.where(admitted, _lognormal(p.inpatient_sek, p.inpatient_dispersion, to_normal(u_inpatient)), 0.0)
            specialty = draw_specialty(u_specialty, specialty_weights(p.emergency_specialties, p, pop.age[em], pop.male[em], pop.conditions[em]))
            parts.append(self._cases(em, EMERGENCY_ADMISSION, EMERGENCY_CARE, specialty, admitted, -1, np.full(len(em), p.emergency_visit_sek), stay, place, (1 - base.emergency[em] / emergency[kind == 0]) * admitted))
        # care the hospital plans itself: a Poisson count a month, several for the frailest
        u = lambda rows: streams.uniform("planned care", pop.pid[rows], month)  # noqa: E731
        # most residents have none this month: as exp(-x) >= 1 - x, u + x > 1 (less a margin for rounding) holds for
        # all who have one, and the counts' draw gives the few others it lets through none
        some = rows_where(len(pop), lambda part: u(part) + base.planned[part] > 1 - 1e-9)
        counts = poisson_from_uniform(base.planned[some].astype(np.float64), u(some), most=12)
        pl = np.repeat(some, counts)
        if len(pl):
            slot = (np.arange(len(pl)) - np.repeat(np.cumsum(counts) - counts, counts)).astype(np.int64)  # the case's number in the month
            u_specialty, admission, u_cost, _, place, rarity = self._draws(streams, "direct", pop.pid[pl], month, slot)
            cost = _lognormal(p.direct_case_sek, p.direct_case_dispersion, to_normal(u_cost))
            admitted = admission < p.direct_admission_share
            specialty = draw_specialty(u_specialty, specialty_weights(p.elective_specialties, p, pop.age[pl], pop.male[pl], pop.conditions[pl]))
            route = np.where(rarity < p.rare_share, RARE, ELECTIVE)
            parts.append(self._cases(pl, HOSPITAL_PLANNED, route, specialty, admitted, -1, np.where(admitted, 0.0, cost), np.where(admitted, cost, 0.0), place, 0.0))
        inj = cased[kind == 1]
        if len(inj):
            _, admission, _, u_inpatient, place, _ = self._draws(streams, "injury", pop.pid[inj], month)
            admitted = admission < base.injury_admitted[inj]
            stay = np.where(admitted, _lognormal(p.injury_inpatient_sek, p.inpatient_dispersion, to_normal(u_inpatient)), 0.0)
            parts.append(self._cases(inj, INJURY, TRAUMA, SPECIALTIES.index("surgery"), admitted, -1, np.full(len(inj), p.emergency_visit_sek), stay, place, 0.0))
        de = cased[kind == 2]
        if len(de):
            _, _, _, u_cost, place, _ = self._draws(streams, "delivery", pop.pid[de], month)
            stay = _lognormal(p.delivery_sek, p.delivery_dispersion, to_normal(u_cost))
            parts.append(self._cases(de, DELIVERY, MATERNITY, SPECIALTIES.index("obstetrics"), True, -1, 0.0, stay, place, 0.0))
        if not parts:
            return self._cases([], HOSPITAL_PLANNED, ELECTIVE, 0, False, -1, [], [], False, 0.0)
        return Cases(*(np.concatenate([getattr(c, f) for c in parts]) for f in Cases.__dataclass_fields__))

    def _cases(self, rows, origin, route, specialty, inpatient, referrer, outpatient, stay, place, avoidable) -> Cases:
        """Cases of one origin; ``place`` is a uniform (out of region below the share) or False for cases always in region."""
        n = len(rows)
        p = self.params
        away = np.broadcast_to(place, (n,)) < p.out_of_region_share if not isinstance(place, bool) else np.zeros(n, bool)
        full = lambda x, dtype: np.broadcast_to(np.asarray(x, dtype=dtype), (n,)).copy()  # noqa: E731
        return Cases(
            row=np.asarray(rows, dtype=np.int64),
            origin=np.full(n, origin, dtype=np.int8),
            route=full(route, np.int8),
            specialty=full(specialty, np.int8),
            inpatient=full(inpatient, bool),
            referrer=full(referrer, np.int32),
            outpatient_sek=full(outpatient, np.float64),
            inpatient_sek=full(stay, np.float64),
            out_of_region=away,
            avoidable=full(avoidable, np.float64),
        )
