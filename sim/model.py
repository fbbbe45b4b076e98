"""The care-choice market of one region, stepped month by month (a Mesa model).

One month, in order (``CareMarket.step``, where each phase takes what it needs and returns what it produced):
1. health drifts back toward each resident's baseline;
2. needs arrive: care episodes with their q* and specialist need (``arrive``);
3. each episode seeks care at the listed clinic, a digital provider or the emergency department (``_seek``: its
   road km to the clinic), and what a visit costs this month follows (``_visit_costs``);
4. the treating physician chooses visits and referral under the rulebook's incentives (``_treat``);
5. clinics meet demand within capacity; beyond it, care is rationed and waits grow (``_serve``);
6. residents pay fees; the hospital treats referrals, emergencies and direct cases (``admit``);
7. money: the region pays by its rulebook (``pay_month``), providers and the region pay the costs of care
   (``_book_costs``) and the hospital's prices (``_pay_hospital``: its own cost); each resident's use of care
   is valued (``_use_of_care``);
8. care short of need costs health (``_health_and_visits``: the losses by cause); some residents reconsider
   their clinic;
9. at year end: settlements, exits and entries, risk-selection efforts, the rulebook's revision (``_settle_year``);
10. the month's sums are recorded (``_record``), observers see it, and at year end births, deaths, migration and
    staffing follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.behaviour.seeking import choose_channel
from sim.behaviour.treatment import believed_need, benefit, choose_quantity, choose_referral, choose_substitution, draw_a, efficient_quantity, valuation
from sim.border import BorderClinic, border_month
from sim.clinic import Clinic, DigitalProvider
from sim.geography import Geography, load_region
from sim.hospital import DELIVERY, ELECTIVE, EMERGENCY_CARE, SPECIALTIES, TRAUMA, Cases, Hospital
from sim.labour import LabourMarket, clinic_year as labour_year
from sim.last_resort import Duty, duty_at_year_end
from sim.ledger import CATEGORIES, Ledger
from sim.market import area_value, choose_entry_area, foot_care_eligible, list_cost_index, selection_efforts
from sim.needs import CLINIC, DIGITAL, EMERGENCY, Episodes, arrive, episode_rate_per_month
from sim.outcomes import Outcomes
from sim.physiotherapy import Physiotherapy
from sim.population import N_CELLS, newcomers, synthesise
from sim.providers import ProviderTable
from sim.region import Region
from sim.scenario import Scenario
from sim.streams import Streams, to_normal


SURGERY = SPECIALTIES.index("surgery")
FAR_KM = 30.0  # residents farther than this by road from their listed clinic are reported (access in sparse areas)


@dataclass
class VisitCosts:
    """What a visit costs this month: each provider's staff per visit, SEK, and per episode each item's SEK per visit
    (lab and radiology, drugs, patient transport) with whether the clinic carries it (else the region)."""

    staff_per_visit: np.ndarray
    items: dict[str, tuple[bool, np.ndarray]]

    def per_visit(self, ep: Episodes, clinic_share_only: bool) -> np.ndarray:
        """SEK per visit of each episode: staff plus the items the clinic carries (or all items)."""
        items = sum((sek for carried, sek in self.items.values() if carried or not clinic_share_only), np.zeros(len(ep)))
        return self.staff_per_visit[np.maximum(ep.provider, 0)] + items


class CareMarket(mesa.Model):
    """One region: its residents (columns), clinics and hospital (Mesa agents), its rulebook and its money."""

    def __init__(self, scenario: Scenario, observers: tuple = (), rules: tuple | None = None, border_sites: tuple = ()):
        """``rules``: the payment rule classes the region applies (default: every rule, sim.payment.rule_classes);
        ``border_sites``: neighbouring regions' clinics its residents may list with (sim.border.BorderSite, in a
        national run)."""
        self.streams = Streams(scenario.seed)
        super().__init__(rng=self.streams.generator("mesa"))
        self.params = scenario
        self.observers = list(observers)
        self.month = 0
        p = scenario
        spec = load_region(p.population.region)
        size = p.population.residents or (max(1000, round(p.population.sample_share * spec.residents)) if p.population.sample_share else None)
        self.geography = Geography.from_spec(spec, size, tuple(site.area for site in border_sites))
        self.population = synthesise(self.geography, p.population, self.streams)
        pop = self.population
        pop.active_chooser[:] = self.streams.uniform("active chooser", pop.pid, 0) < p.behaviour.choice.active_share
        self.hospital = Hospital(self, p.market.hospital, p.population.health, p.population.demography.birth_rate_per_1000)
        potential = p.market.entry.potential_entrants * self.geography.copies
        national = p.market.digital.enabled and not p.market.digital.listing_required
        self.providers_table = ProviderTable(len(self.geography.clinic_names) + potential + national + len(border_sites))
        self.labour = LabourMarket(self.geography, p.market.staffing, p.rulebook)
        physio = p.market.physiotherapy
        self.physiotherapy = Physiotherapy(self.geography, physio, p.rulebook.physiotherapy, p.market.staffing, p.market.exit, p.market.entry) if physio.enabled else None
        self.clinics = [
            Clinic(self, i, name, int(area), owner, p.market, p.behaviour, floor)
            for i, (name, area, owner, floor) in enumerate(
                zip(self.geography.clinic_names, self.geography.clinic_area, self.geography.clinic_owner, self.geography.clinic_min_gp_fte)
            )
        ]
        self.clinics += [
            Clinic(self, len(self.clinics) + k, f"Potential provider {k + 1}", -1, "private", p.market, p.behaviour, potential=True)
            for k in range(potential)
        ]
        self.digital = DigitalProvider(self, len(self.clinics), p.market, p.behaviour) if national else None
        first, own_areas = len(self.clinics) + national, len(spec.areas)
        self.border = [BorderClinic(self, first + k, site, own_areas + k, p.market, p.behaviour) for k, site in enumerate(border_sites)]
        self.providers = self.clinics + ([self.digital] if self.digital else []) + self.border
        self.border_month = None  # the month at the border providers (sim.border.BorderMonth), for the national exchange
        self.border_income = None  # SEK per provider other regions pay for their residents listed here, booked next month
        self.region = Region(self, p.rulebook, p.behaviour.choice, rules)
        self.ledger = Ledger(self.n_providers, self.region.rules)
        self.outcomes = Outcomes()
        self.clinic_years: list[dict] = []
        self.switches = 0
        self.flows = {"born": 0, "moved_in": 0, "died": 0, "moved_out": 0}  # residents, since reporting started
        self.entries: list[tuple[int, int]] = []  # (month, clinic index) of each entry since reporting started
        self.exits: list[tuple[int, int]] = []  # (month, clinic index) of each exit since reporting started
        self.list_sizes = np.zeros(self.n_providers)  # residents listed with each provider at the start of the month
        self.top10_cost_share: list[float] = []  # each year: share of care cost used by the costliest 10 % of residents
        self.region.refresh_nearby()
        self.region.list_residents(np.arange(len(pop)), 0)
        per_resident = self._expected_visits_per_month()
        expected = np.bincount(pop.clinic, weights=per_resident * 12, minlength=self.n_providers)
        for clinic in self.clinics:
            if clinic.open:
                clinic.plan_staffing(expected[clinic.index], self.streams, 0, adapt_fully=True)
        self.labour.settle(self.providers_table, self.open_clinics)
        self._choose_efforts()
        usual_share = self.providers_table.usual_share(p.behaviour.continuity)[pop.clinic]
        pop.seed_history(per_resident, usual_share, self.streams.generator("visit history"))
        self.warmup = scenario.warmup_months

    # ------------------------------------------------------------------ views over the providers

    @property
    def n_providers(self) -> int:
        return len(self.providers)

    @property
    def year(self) -> int:
        return self.month // 12

    @property
    def clinic_area(self) -> np.ndarray:
        return self.providers_table.area.copy()

    @property
    def open_clinics(self) -> np.ndarray:
        return self.providers_table.open_clinics()

    @property
    def digital_at_clinics(self) -> bool:
        """Digital care comes from the listing clinic (SOU 2019:42), not a national provider."""
        return self.params.market.digital.listing_required

    @property
    def wait_days(self) -> np.ndarray:
        return self.providers_table.wait_days.copy()

    def _expected_visits_per_month(self) -> np.ndarray:
        """Visits each resident is expected to need in a month: episodes times mean q*."""
        pop = self.population
        n = self.params.population.needs
        mean_q_star = n.q_star_median * (1 + n.q_star_per_condition * pop.conditions) * np.exp(n.q_star_dispersion**2 / 2)
        return episode_rate_per_month(pop, n) * mean_q_star

    # ------------------------------------------------------------------ one month

    def step(self) -> None:
        month = self.month
        pop = self.population
        year_end = month % 12 == 11
        self.list_sizes = np.bincount(pop.clinic, minlength=self.n_providers).astype(np.float64)
        self.ledger.start_month(self._list_cells)
        if self.border_income is not None:
            self.ledger.from_other_regions(self.border_income)
            self.border_income = None
        self.labour.step(self.providers_table)
        pop.recover()
        u_needs, u_hospital, u_reconsider = self.streams.uniforms("resident month", pop.pid, month, parts=3)
        ep = arrive(pop, self.params.population.needs, self.streams, month, u_needs)
        ep.specialty = self.hospital.episode_specialty(pop, ep)
        km_to_clinic = self._seek(ep)
        costs = self._visit_costs(ep, km_to_clinic)
        self._treat(ep, costs)
        self._serve(ep)
        ep.fees = self.region.fees.charge(self, ep)
        cases = self.hospital.admit(pop, ep, self.streams, month, u_hospital)
        self.region.pay_month(ep)
        chronic = self._chronic_drugs_sek()
        self._book_costs(ep, costs, chronic)
        if self.physiotherapy:
            self._physiotherapy(month)
        hospital_own_cost = self._pay_hospital(cases)
        self._use_of_care(ep, cases, costs, chronic)
        losses = self._health_and_visits(ep)
        self.switches += self.region.reconsider(month, u_reconsider)
        if year_end:
            self._settle_year()
        self._record(ep, cases, costs, hospital_own_cost, losses)
        if self.reporting:
            for observer in self.observers:
                observer.observe(self, ep, ep.fees, cases)
        if year_end:
            self._demography()
        if year_end or (not self.reporting and month % 3 == 2):
            self._plan_staffing(months_observed=month % 12 + 1)
        if self.border:
            self.border_month = border_month(self)
        self.ledger.close_month()
        if year_end:
            self.ledger.close_year()
        self.outcomes.end_month()
        self.month += 1
        if self.month == self.warmup:
            self._start_reporting()

    @property
    def reporting(self) -> bool:
        """Past the warm-up: what happens now is reported."""
        return self.month >= self.warmup

    @property
    def reported_month(self) -> int:
        """Months since reporting started (0 in its first month)."""
        return self.month - self.warmup

    def _start_reporting(self) -> None:
        """The warm-up is over: the hospital's volume of reference is set; its outcomes are forgotten."""
        self.hospital.fix_costs()
        self.outcomes = Outcomes()
        self.clinic_years = []
        self.switches = 0
        self.flows = dict.fromkeys(self.flows, 0)
        self.top10_cost_share = []
        if self.physiotherapy:
            self.physiotherapy.reporting = True

    def _list_cells(self) -> np.ndarray:
        """Share of each provider's listed residents in each equity cell (providers x cells)."""
        pop = self.population
        counts = np.bincount(pop.clinic.astype(np.int64) * N_CELLS + pop.cell, minlength=self.n_providers * N_CELLS)
        counts = counts.reshape(self.n_providers, N_CELLS).astype(np.float64)
        return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)

    def _seek(self, ep: Episodes) -> np.ndarray:
        """Each episode's channel and provider. A share of digital contacts add to physical care: the episode is then
        treated at the clinic as well, after a first digital visit (``ep.digital_first``). Returns each episode's road
        km to its listed clinic."""
        pop = self.population
        clinic = pop.clinic[ep.row]
        km_to_clinic = pop.distance_to_listed(self.clinic_area, ep.row)
        digital_offered = self.params.market.digital.enabled
        ep.channel = choose_channel(ep, pop, self.wait_days[clinic], km_to_clinic, self.params.behaviour.seeking, digital_offered)
        if self.digital is not None:
            self._ration_digital(ep)
        adds = (ep.channel == DIGITAL) & (ep.u["digital_adds"] < self.params.market.digital.added_share)
        ep.digital_first = adds
        ep.channel = np.where(adds, CLINIC, ep.channel).astype(ep.channel.dtype)
        digital = clinic if self.digital_at_clinics else (self.digital.index if self.digital else -1)
        ep.provider = np.where(ep.channel == CLINIC, clinic, np.where(ep.channel == DIGITAL, digital, -1)).astype(np.int32)
        return km_to_clinic

    def _ration_digital(self, ep: Episodes) -> None:
        """The national digital provider takes its ``capacity_share`` of the episodes that seek it (each by its own
        draw); the others turn to their listed clinic."""
        seeking = ep.channel == DIGITAL
        self.digital.sought = int(seeking.sum())
        if self.digital.capacity_share < 1:
            turned = seeking & (self.streams.uniform("digital capacity", ep.pid, self.month, slot=ep.k) >= self.digital.capacity_share)
            ep.channel[turned] = CLINIC
        self.digital.served = int((ep.channel == DIGITAL).sum())

    def _physicians(self, ep: Episodes) -> None:
        """Who treats each episode: the resident's usual GP, or another (a colleague or a hired GP)."""
        provider = np.maximum(ep.provider, 0)
        usual_share = self.providers_table.usual_share(self.params.behaviour.continuity)
        ep.usual = (ep.channel == CLINIC) & (ep.u["physician"] < usual_share[provider])
        own = self.providers_table.usual_altruism(provider, ep.pid)
        other = draw_a(ep.u["other_physician"], self.params.behaviour.altruism)
        ep.a = np.where(ep.usual, own, other)

    def _visit_costs(self, ep: Episodes, km_to_clinic: np.ndarray) -> VisitCosts:
        """What a visit costs this month: each provider's staff per visit, and per episode the items
        (lab and radiology, drugs, patient transport) with whether the clinic or the region pays them."""
        c = self.params.market.costs
        r = self.params.rulebook.cost_responsibility
        at_clinic = ep.channel == CLINIC
        return VisitCosts(
            staff_per_visit=self.providers_table.staff_cost_per_visit(self.params.market),
            items={
                "lab_radiology": (r.lab_radiology, np.where(at_clinic, c.lab_sek_per_unit, 0.0)),
                "drugs": (r.drugs, np.where(at_clinic, c.drugs_sek_per_unit, 0.0)),
                "patient_transport": (r.patient_transport, np.where(at_clinic, c.transport_sek_per_km * km_to_clinic, 0.0)),
            },
        )

    def _treat(self, ep: Episodes, costs: VisitCosts) -> None:
        """Physicians choose visits and referral; the emergency department gives what is needed."""
        b = self.params.behaviour
        self._physicians(ep)
        treated = ep.channel != EMERGENCY
        ep.margin = self.region.unit_revenue(ep) - costs.per_visit(ep, clinic_share_only=True)
        t = b.treatment
        value = valuation(t, to_normal(ep.u["judgement"]))
        q_max = np.where(ep.channel == DIGITAL, self.params.market.digital.max_units_per_episode, t.max_units)
        q_min = np.where(ep.channel == CLINIC, t.min_units_at_clinic, 1)
        reward = self.region.bonus(ep)
        bonus, bonus_from = reward if reward is not None else (0.0, None)
        q = choose_quantity(ep.q_star, ep.a, value, ep.margin, q_min, q_max, bonus, bonus_from)
        ep.p_hat = believed_need(ep.p_need, ep.needs_specialist, to_normal(ep.u["diagnosis"]), b.referral.diagnostic_accuracy)
        weight = self.providers_table.result_weight[np.maximum(ep.provider, 0)]
        money = -weight * self.region.referral_price(ep) - b.referral.offload_visits * ep.margin
        ep.referred = treated & choose_referral(ep.p_hat, ep.a, b.referral, money)
        ep.substituted = treated & ~ep.referred & choose_substitution(ep.p_hat, ep.a, b.referral, ep.margin)
        ep.self_referred = treated & ep.needs_specialist & ~ep.referred & (ep.u["self_referral"] < b.referral.self_referral_share)
        referred_q = np.maximum(q - b.referral.offload_visits, q_min)
        ep.specialist_visits = np.where(ep.referred & ep.needs_specialist, q - referred_q, 0).astype(np.int16)
        q = np.where(ep.referred, referred_q, q)
        substitute = np.where(ep.substituted, np.minimum(b.referral.substitute_visits, np.maximum(q_max - q, 0)), 0)
        ep.q = np.where(treated, np.minimum(q + substitute, q_max), ep.q_star).astype(np.int16)
        ep.substitute_visits = np.where(treated, substitute, 0).astype(np.int16)
        cost = costs.per_visit(ep, clinic_share_only=False)
        ep.q_efficient = np.where(treated, efficient_quantity(ep.q_star, t.value_sek_per_unit, cost, 1), ep.q_star).astype(np.int16)

    def _first_contacts(self, ep: Episodes) -> np.ndarray:
        """Digital visits that came before an episode's care at the clinic, per provider that gave them (one each)."""
        first = ep.digital_first
        if not first.any():
            return np.zeros(self.n_providers)
        by = ep.provider[first] if self.digital_at_clinics else np.full(int(first.sum()), self.digital.index)
        return np.bincount(by, minlength=self.n_providers).astype(np.float64)

    def _serve(self, ep: Episodes) -> None:
        """Providers meet demand within capacity; rationed visits are lost (patients give up or get less)."""
        treated = ep.channel != EMERGENCY
        demand = np.bincount(ep.provider[treated], weights=ep.q[treated], minlength=self.n_providers) + self._first_contacts(ep)
        served = self.providers_table.serve(self.params.market, demand)
        share = np.where(treated, served[np.maximum(ep.provider, 0)], 1.0)
        expected = ep.q * share
        ep.q_delivered = (np.floor(expected) + (ep.u["rationing"] < expected - np.floor(expected))).astype(np.int16)
        ep.substitute_delivered = np.minimum(np.rint(ep.substitute_visits * share), ep.q_delivered).astype(np.int16)

    # ------------------------------------------------------------------ money

    def _book_costs(self, ep: Episodes, costs: VisitCosts, chronic: np.ndarray) -> None:
        """The month's patient fees and the providers' and the region's costs of care: staff, fixed, overhead,
        risk selection, the visit items (by who carries them) and chronic drugs."""
        pop = self.population
        ledger = self.ledger
        n = self.n_providers
        treated = ep.channel != EMERGENCY
        provider = ep.provider[treated]
        cells = pop.cell[ep.row]
        fees = ep.fees[treated]
        pooled = self.region.fees.pooled(self, ep)[treated]  # the centres' fees, where the rulebook pools them
        ledger.patient_fees(np.bincount(provider, weights=fees - pooled, minlength=n), np.bincount(cells[treated], weights=pooled, minlength=N_CELLS))
        visits = np.bincount(provider, weights=ep.q_delivered[treated], minlength=n) + self._first_contacts(ep)
        c = self.params.market.costs
        ledger.provider_cost("staff", self.providers_table.staff_cost(self.params.market, visits))
        ledger.provider_cost("fixed", np.where(self.open_clinics, c.fixed_sek_per_year * self.geography.clinic_scale / 12, 0.0))
        ledger.provider_cost("overhead", self.list_sizes * c.overhead_sek_per_listed / 12)
        efforts = self.providers_table.selection_effort
        ledger.provider_cost("risk_selection", self.list_sizes * self.params.market.selection.cost_sek_per_listed * efforts**2 / 2 / 12)
        for item, (clinic_pays, per_visit) in costs.items.items():
            sek = per_visit * ep.q_delivered
            if clinic_pays:
                ledger.provider_cost(item, np.bincount(provider, weights=sek[treated], minlength=n))
            else:
                ledger.region_cost(item, np.bincount(cells, weights=sek, minlength=N_CELLS))
        if self.params.rulebook.cost_responsibility.drugs:
            ledger.provider_cost("drugs", np.bincount(pop.clinic, weights=chronic, minlength=n))
        else:
            ledger.region_cost("drugs", np.bincount(pop.cell, weights=chronic, minlength=N_CELLS))
        foot = c.foot_care_sek_per_eligible_per_year / 12
        if foot:
            eligible = foot_care_eligible(pop)
            if self.params.rulebook.cost_responsibility.foot_care:
                ledger.provider_cost("foot_care", np.bincount(pop.clinic[eligible], minlength=n) * foot)
            else:
                ledger.region_cost("foot_care", np.bincount(pop.cell[eligible], minlength=N_CELLS) * foot)

    def _physiotherapy(self, month: int) -> None:
        """The month's physiotherapy (sim.physiotherapy): the region pays its providers, spread over the cells of the
        residents treated; a health centre cost-responsible for the national tariff pays its listed residents' visits."""
        pop = self.population
        m = self.physiotherapy.step(pop, self.streams, month)
        cells = pop.cell[m.row]
        if m.visits.sum() > 0:
            spread = np.bincount(cells, weights=m.visits, minlength=N_CELLS) / m.visits.sum()
        else:  # a month without visits still pays the fixed payments: spread them over the residents
            spread = pop.cell_counts / max(pop.cell_counts.sum(), 1)
        self.ledger.region_cost("physiotherapy", spread * m.region_sek)
        if m.centre_sek.any():
            paying = m.centre_sek > 0
            by_clinic = np.bincount(m.clinic[paying], weights=m.centre_sek[paying], minlength=self.n_providers)
            self.ledger.provider_cost("physiotherapy_tariff", by_clinic)
            self.physiotherapy.record_centres(by_clinic, self.list_sizes)

    def _chronic_drugs_sek(self) -> np.ndarray:
        """Each resident's chronic drugs this month, SEK (float32)."""
        return self.population.conditions * np.float32(self.params.market.costs.chronic_drugs_sek_per_condition / 12)

    def _use_of_care(self, ep: Episodes, cases: Cases, costs: VisitCosts, chronic: np.ndarray) -> None:
        """Care each resident used this year, valued at cost: visits, hospital cases, chronic drugs (for the
        concentration of cost)."""
        pop = self.population
        treated = ep.channel != EMERGENCY
        use = np.where(treated, ep.q_delivered * costs.per_visit(ep, clinic_share_only=False), 0.0)
        np.add.at(pop.cost_year, ep.row, use.astype(np.float32))
        np.add.at(pop.cost_year, cases.row, cases.cost.astype(np.float32))
        pop.cost_year += chronic

    def _pay_hospital(self, cases: Cases) -> float:
        """Each case's price is paid by a fundholder (its bill) or the region (the rest); the region,
        which owns the hospital, also covers the hospital's result: its fixed cost does not shrink with its volume.
        Returns the hospital's own cost this month, SEK."""
        ledger, pop = self.ledger, self.population
        price = cases.cost
        bills = self.region.hospital_bills(cases)
        by_region = price if bills is None else price - bills.billed_sek
        ledger.region_cost("hospital", np.bincount(pop.cell[cases.row], weights=by_region, minlength=N_CELLS))
        if bills is not None:
            paid = bills.provider >= 0
            ledger.provider_cost("hospital_bills", np.bincount(bills.provider[paid], weights=bills.billed_sek[paid], minlength=self.n_providers))
        own_cost = self.hospital.cost_of(float(price.sum()))
        ledger.hospital_revenue += float(price.sum())
        cover = own_cost - float(price.sum())
        ledger.region_cost("hospital_result", cover * pop.cell_counts / max(pop.cell_counts.sum(), 1))
        return own_cost

    # ------------------------------------------------------------------ health and visits

    def _health_and_visits(self, ep: Episodes) -> dict[str, np.ndarray]:
        """Care short of (or beyond) q* costs health; an unreferred specialist need costs more. Returns each
        episode's health lost by cause."""
        pop = self.population
        h = self.params.population.health
        care = ep.care
        shortfall = 1 - benefit(care, ep.q_star, 1.0) / ep.q_star
        loss = h.loss_per_unit_shortfall * ep.q_star * shortfall
        unreferred = ep.needs_specialist & ~ep.referred & ~ep.self_referred & (ep.channel != EMERGENCY)
        substitute = self.params.behaviour.referral.substitute_effect * ep.substituted
        losses = {
            "health_loss_undertreatment": np.where(care < ep.q_star, loss, 0.0),
            "health_loss_overtreatment": np.where(care > ep.q_star, loss, 0.0),
            "health_loss_unreferred": np.where(unreferred, h.loss_unreferred * (1 - substitute), 0.0),
        }
        total = sum(losses.values())
        np.subtract.at(pop.health, ep.row, total.astype(np.float32))
        np.maximum(pop.health, 0.01, out=pop.health)
        treated = ep.channel != EMERGENCY
        first = np.flatnonzero(np.diff(ep.row, prepend=-1))  # each resident's first episode (the rows ascend)
        visits, usual = (np.add.reduceat(np.where(given, ep.q_delivered, 0), first, dtype=np.int16) for given in (treated, ep.usual))
        pop.record_visits(self.month, ep.row[first], visits, usual)
        return losses

    # ------------------------------------------------------------------ outcomes

    def _record(self, ep: Episodes, cases: Cases, costs: VisitCosts, hospital_own_cost: float, losses: dict[str, np.ndarray]) -> None:
        """Add the month's sums to the outcomes: its episodes, hospital cases, health and the region's spending."""
        pop = self.population
        out = self.outcomes
        q, q_star = ep.care, ep.q_star
        excess = np.maximum(q - q_star, 0)
        treated = ep.channel != EMERGENCY
        at_clinic = ep.channel == CLINIC
        provider = np.maximum(ep.provider, 0)
        needed = treated & ep.needs_specialist
        access = self.providers_table.access_3day.copy()
        cost_per_visit = costs.per_visit(ep, clinic_share_only=False)
        q_eff = ep.q_efficient
        excess_efficient = np.maximum(q - q_eff, 0)
        out.add(
            pop.cell[ep.row],
            episodes=1.0,
            q_star=q_star,
            shortfall=np.maximum(q_star - q, 0),
            shortfall_chosen=np.maximum(q_star - (ep.q - ep.substitute_visits) - ep.specialist_visits, 0),
            excess=excess,
            excess_cost_sek=excess * cost_per_visit,
            undertreated=q < q_star,
            overtreated=q > q_star,
            q_efficient=q_eff,
            shortfall_efficient=np.maximum(q_eff - q, 0),
            excess_efficient=excess_efficient,
            excess_efficient_cost_sek=excess_efficient * cost_per_visit,
            underprovided=q < q_eff,
            overprovided=q > q_eff,
            substitute_visits=ep.substitute_delivered,
            needed_referrals=needed,
            referrals=ep.referred,
            surgical_referrals=ep.referred & (ep.specialty == SURGERY),
            self_referrals=ep.self_referred,
            underreferrals=needed & ~ep.referred,
            overreferrals=ep.referred & ~ep.needs_specialist,
            visits=np.where(treated, ep.q_delivered, 0) + ep.digital_first,
            visits_added_by_digital=ep.digital_first,
            digital_visits=np.where(ep.channel == DIGITAL, ep.q_delivered, 0) + ep.digital_first,
            emergency_department_episodes=ep.channel == EMERGENCY,
            contacts=at_clinic,
            assessed_3day=np.where(at_clinic, access[provider], 0.0),
            wait_days=np.where(at_clinic, self.wait_days[provider], 0.0),
            patient_fees_sek=ep.fees,
            **losses,
        )
        out.add(
            pop.cell[cases.row],
            hospital_cases=1.0,
            hospital_prices_sek=cases.cost,
            admissions=cases.inpatient,
            elective_admissions=cases.inpatient & (cases.route == ELECTIVE),
            emergency_admissions=cases.inpatient & (cases.route == EMERGENCY_CARE),
            injury_admissions=cases.inpatient & (cases.route == TRAUMA),
            deliveries=cases.origin == DELIVERY,
            emergency_department_visits=cases.emergency_department,
            avoidable_admissions=cases.avoidable,
        )
        out.add_by_cell("hospital_own_cost_sek", hospital_own_cost * pop.cell_counts / max(pop.cell_counts.sum(), 1))
        eligible, coc = pop.continuity()
        far = pop.distance_to_listed(self.clinic_area) > FAR_KM
        out.add(pop.cell, health=pop.health, residents_far_from_clinic=far)
        measured = np.flatnonzero(eligible)  # continuity is over residents with 3+ visits (the others' index is 0)
        out.add(pop.cell[measured], continuity_n=1.0, continuity_sum=coc[measured])
        out.add_by_cell("resident_months", pop.cell_counts)
        for category in CATEGORIES:
            out.add_by_cell(f"cost_{category}_sek", self.ledger.region_cells[category])

    # ------------------------------------------------------------------ year end

    def _settle_year(self) -> None:
        """Year-end settlement, each provider's result, and exits of those that keep losing money; then entry and
        next year's selection efforts."""
        self.region.settle_rules()
        if self.physiotherapy:  # the deductions for volume requirements not met come back to the region
            withheld = self.physiotherapy.settle_year(adapt_fully=not self.reporting)
            counts = self.population.cell_counts
            self.ledger.region_cost("physiotherapy", -withheld * counts / max(counts.sum(), 1))
        self.top10_cost_share.append(self._top10_cost_share())
        revenue, result = self.ledger.year_to_date()
        listing = self.region.listing_payment()
        if listing is not None:  # what a revised capitation level moves of each provider's revenue (sim.revision)
            self.providers_table.listing_share[:] = np.divide(self.ledger.year_income()[listing.item], revenue, out=np.zeros(self.n_providers), where=revenue > 0)
        cover = self.region.cover_deficits(result)
        closing, duty = self._closing(revenue, result)
        self._record_clinic_years(self.month, revenue, result, cover, closing)
        self.region.revise(self.year, revenue, result)
        self.region.start_year()
        for p in self.providers:
            p.equity += result[p.index] + cover[p.index]
        self._open_units(duty)
        self._close(closing)
        self._enter()
        self._choose_efforts()

    def _top10_cost_share(self) -> float:
        """Share of the year's care cost used by the costliest 10 % of residents."""
        cost = np.sort(self.population.cost_year)[::-1]
        return float(cost[: max(len(cost) // 10, 1)].sum() / max(cost.sum(), 1e-9))

    def _closing(self, revenue: np.ndarray, result: np.ndarray) -> tuple[list, Duty]:
        """The providers that close at the year's end (each decides by its losses), less those the region keeps open
        under its last-resort duty [sistahandsansvar] (sim.last_resort); and what else the duty asks."""
        covered = self.region.rulebook.public_deficits_covered
        closing = [
            p
            for p in self.providers
            if p.open and p.close_year(result[p.index], revenue[p.index], covered=(covered and p.owner == "public") or p.last_resort, month=self.month)
        ]
        duty = duty_at_year_end(self, closing)
        for clinic in duty.kept:
            closing.remove(clinic)
            clinic.take_over()
        return closing, duty

    def _open_units(self, duty: Duty) -> None:
        """The region opens the units its last-resort duty asks for, on potential providers' sites while any is left,
        staffed for the visits of the clinics they replace (``areas_beyond_reach`` reports an area left without one)."""
        waiting = [c for c in self.clinics if not c.ever_open]
        for clinic, (area, visits) in zip(waiting, duty.new_units):
            clinic.enter(area, f"{self.geography.area_names[area]} (region unit)", self.month)
            clinic.take_over()
            clinic.plan_staffing(visits, self.streams, self.year + 1, adapt_fully=True)
        if duty.new_units and waiting:
            self.region.refresh_nearby()

    def _close(self, closing: list) -> None:
        """Close the clinics that exit; the region lists their residents elsewhere."""
        for p in closing:
            self.region.close_clinic(p, self.month)
            if self.reporting:
                self.exits.append((self.month, p.index))

    def _enter(self) -> None:
        """Potential providers open where the market pays (sim.market), at most ``max_per_year`` a year."""
        entry = self.params.market.entry
        waiting = [c for c in self.clinics if not c.ever_open]
        if not waiting:
            return
        areas = area_value(self)  # the residents do not change while clinics enter
        for clinic in waiting[: entry.max_per_year * self.geography.copies]:
            area = choose_entry_area(self, areas)
            if area is None:
                return
            name = f"{self.geography.area_names[area]} (entrant {sum(c.entrant for c in self.clinics) + 1})"
            clinic.enter(area, name, self.month)
            clinic.plan_staffing(0.0, self.streams, self.year + 1, adapt_fully=True)
            self.region.refresh_nearby()
            if self.reporting:
                self.entries.append((self.month, clinic.index))

    def _choose_efforts(self) -> None:
        """Clinics set next year's risk-selection effort (sim.market), all at once."""
        self.providers_table.selection_effort[:] = selection_efforts(self)

    def _record_clinic_years(self, last_month: int, revenue: np.ndarray, result: np.ndarray, cover: np.ndarray, closing=(), settled=True) -> None:
        """One row per provider open at some time in the year that ends with ``last_month``, for the year so far;
        ``closing``: those that close at its end; ``settled``: the year's rules were settled (pay-for-performance paid)."""
        year, months = divmod(last_month - self.warmup, 12)
        year_start = last_month - months
        cost_index = list_cost_index(self)
        income = self.ledger.year_income()
        by_rule = {name: values for rule in self.region.rules for name, values in rule.clinic_year(self, settled).items()}
        usual = self.providers_table.usual_share(self.params.behaviour.continuity)
        for p in self.providers:
            if p.open or (p.closed_month is not None and p.closed_month >= year_start):
                row = self._clinic_year_row(p, year + 1, months + 1, revenue[p.index], result[p.index], cover[p.index], p in closing, float(usual[p.index]))
                row.update({f"income_{item}_sek": float(values[p.index]) for item, values in income.items()})
                row["list_cost_index"] = float(cost_index[p.index]) if p.owner != "digital" else np.nan
                row.update({name: float(values[p.index]) for name, values in by_rule.items()})
                self.clinic_years.append(row)

    def close_partial_year(self) -> None:
        """At the end of a run that stops within a year, record the clinics' year so far (not settled)."""
        if self.reporting and self.reported_month % 12:
            revenue, result = self.ledger.year_to_date()
            self._record_clinic_years(self.month - 1, revenue, result, np.zeros(self.n_providers), settled=False)

    def _plan_staffing(self, months_observed: int) -> None:
        """Clinics staff from this year's demand so far: at each year end, and each quarter of the
        warm-up, when they adapt fully to the rulebook."""
        listed = np.bincount(self.population.clinic, minlength=self.n_providers)
        self.agents_by_type[Clinic].select(lambda clinic: clinic.open).do("plan_year", months_observed, listed)
        if months_observed == 12:
            self.agents.select(agent_type=Clinic).do("start_year")  # the digital provider too

    def _clinic_year_row(self, p, year: int, months: int, revenue: float, result: float, cover: float, closes: bool, usual_gp_share: float) -> dict:
        listed = self.list_sizes[p.index]
        return {
            "year": year,
            "months": months,
            "clinic": p.name,
            "index": p.index,
            "owner": p.owner,
            "area_type": p.area_type,
            "open": p.open and not closes,
            "listed": listed,
            "gp_fte": p.gp_fte,
            "hired_share": p.hired_fte / p.gp_fte if p.gp_fte > 0 else 0.0,
            **labour_year(self.providers_table, p.index),
            "usual_gp_share": usual_gp_share,
            "visits_demanded": p.demand_year,
            "wait_days": p.mean_wait_days,
            "access_3day": p.mean_access_3day,
            "revenue_sek": revenue,
            "result_sek": result,
            "deficit_cover_sek": cover,
            "margin": result / revenue if revenue > 0 else np.nan,
            "equity_sek": p.equity + result + cover,
            "result_per_listed_sek": result / listed if listed > 0 else np.nan,
            "entrant": p.entrant,
            "last_resort": bool(p.last_resort),
            "selection_effort": p.selection_effort,
            "capitation_level": self.region.revision.level,
        }

    def _leavers(self) -> tuple[np.ndarray, np.ndarray]:
        """Who dies this year (Gompertz mortality, raised by ill health) and who moves out."""
        pop = self.population
        d = self.params.population.demography
        u_death, u_move = self.streams.uniforms("year end", pop.pid, self.month, parts=2)
        hazard = np.float32(d.mortality_growth) * pop.age + np.float32(d.mortality_per_health_deficit) * pop.deficit
        dies = u_death < -np.expm1(-np.float32(d.mortality_at_birth) * np.exp(hazard))
        return dies, (u_move < d.migration_out_per_1000 / 1000) & ~dies

    def _demography(self) -> None:
        """Deaths and moves out, then births and moves in; newcomers are listed."""
        pop = self.population
        d = self.params.population.demography
        month = self.month
        dies, leaves = self._leavers()
        self.outcomes.add(pop.cell, deaths=dies)
        n = len(pop)
        n_born = round(n * d.birth_rate_per_1000 / 1000)
        n_moved = round(n * d.migration_in_per_1000 / 1000)
        born = newcomers(pop, n_born, pop.next_pid, self.streams, self.year, newborn=True)
        moved = newcomers(pop, n_moved, pop.next_pid + n_born, self.streams, self.year, newborn=False)
        born, moved_in = pop.turn_year(dies | leaves, [born, moved], self.streams, month)
        for flow, count in (("born", n_born), ("moved_in", n_moved), ("died", dies.sum()), ("moved_out", leaves.sum())):
            self.flows[flow] += int(count)
        for rows, active in ((born, False), (moved_in, True)):
            pop.active_chooser[rows] = active
            self.region.list_residents(rows, month)

    # ------------------------------------------------------------------ running

    def run(self, months: int | None = None, progress=None) -> None:
        """Step through the warm-up and the scenario's months (or ``months`` more steps)."""
        for _ in range(months if months is not None else self.warmup + self.params.months - self.month):
            self.step()
            if progress is not None:
                progress()
