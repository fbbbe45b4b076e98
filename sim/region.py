"""The region [region] as a Mesa agent: it pays by its rulebook, lists residents and keeps the last-resort duty.

Its rulebook [förfrågningsunderlag] is a list of payment rules and a patient-fee schedule.
It lists residents who never choose with the nearest clinic [ickevalsalternativ], lets
residents re-list within its listing rules (caps, a yearly limit on re-listing,
geographic sub-areas), and when a clinic closes it lists that clinic's residents
elsewhere [sistahandsansvar]. It covers its own clinics' deficits if its rulebook says so.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.behaviour.choice import choose_clinic, nearby_clinics, nearest_clinic
from sim.geography import AREA_TYPES
from sim.market import resident_value
from sim.needs import Episodes
from sim.payment import Payment, build_rules
from sim.payment.patient_fees import PatientFees
from sim.revision import RulebookRevision
from sim.scenario import Choice, Rulebook


class Region(mesa.Agent):
    def __init__(self, model: mesa.Model, rulebook: Rulebook, choice: Choice, rules: tuple | None = None):
        super().__init__(model)
        self.rulebook = rulebook
        self.choice = choice
        self.rules = build_rules(rulebook, model.params.market.hospital, rules)
        for rule in self.rules:
            rule.open_books(model)
        self.fees = PatientFees(rulebook.patient_fees, model.params.market.staffing.doctor_share_of_visits)
        self.nearby = np.zeros((0, 0), dtype=np.int64)  # per area, the clinics a choosing resident weighs
        self.nearby_home = self.nearby  # per area, the region's own: where residents who never choose are listed
        self.revision = RulebookRevision(rulebook.revision)

    # ------------------------------------------------------------------ incentives a physician faces

    def rules_per_visit(self, ep: Episodes) -> np.ndarray:
        """SEK the region's rules pay per visit of each episode (fees per visit, the out-of-region fee)."""
        return sum((rule.unit_revenue(self.model, ep) for rule in self.rules), np.zeros(len(ep)))

    def unit_revenue(self, ep: Episodes) -> np.ndarray:
        """SEK a provider earns per extra visit of each episode: the rules' fees and the patient fee it keeps."""
        return self.rules_per_visit(ep) + self.fees.unit_revenue(self.model, ep)

    def bonus(self, ep: Episodes) -> tuple[np.ndarray, np.ndarray] | None:
        """The threshold reward of the rulebook (at most one rule, pay-for-performance, gives one)."""
        for rule in self.rules:
            reward = rule.bonus(self.model, ep)
            if reward is not None:
                return reward
        return None

    def listing_payment(self):
        """The rule that pays per listed resident [vårdpeng]: pooled patient fees return through it, volume
        requirements deduct from it (None where the region's rules have none)."""
        return next((rule for rule in self.rules if rule.listing_payment), None)

    def access_reward(self, clinic: int, shares: np.ndarray) -> np.ndarray:
        """SEK per year the rulebook would pay a clinic at each of the ``shares`` assessed within 3 days."""
        return sum((rule.access_reward(self.model, clinic, shares) for rule in self.rules), np.zeros(len(shares)))

    def per_listed_sek_per_month(self, rows: np.ndarray) -> np.ndarray:
        """What the list-based rules pay for each of the residents ``rows`` this month, SEK."""
        pop = self.model.population
        total = np.zeros(len(rows))
        for rule in self.rules:
            per_year = rule.sek_per_year(pop)
            if per_year is not None:
                total += per_year[rows] / 12
        return total

    def hospital_bills(self, cases):
        """Which provider pays how much of each hospital case (None: the region pays them all)."""
        for rule in self.rules:
            bills = rule.hospital_bills(self.model, cases)
            if bills is not None:
                return bills
        return None

    def referral_price(self, ep: Episodes) -> np.ndarray:
        price = np.zeros(len(ep))
        for rule in self.rules:
            price = price + rule.referral_price(self.model, ep)
        return price

    # ------------------------------------------------------------------ money

    def pay_month(self, ep: Episodes) -> None:
        for rule in self.rules:
            self.model.ledger.pay(rule.item, rule.monthly(self.model, ep))

    def settle_rules(self) -> None:
        """Year-end settlement of the rules that pay yearly (pay-for-performance)."""
        for rule in self.rules:
            self.model.ledger.pay(rule.item, rule.yearly(self.model))

    def start_year(self) -> None:
        """Every rule closes its year's books (and takes up a revised level that falls due: sim.revision)."""
        for rule in self.rules:
            rule.start_year(self.model)

    def revise(self, year: int, revenue: np.ndarray, result: np.ndarray) -> None:
        """The yearly revision (sim.revision), from the year's access, spending on clinics and providers' margins."""
        if not self.rulebook.revision.enabled:
            return
        model = self.model
        clinics = [c for c in model.clinics if c.open]
        demand = np.array([c.demand_year for c in clinics])
        access = float(np.average([c.mean_access_3day for c in clinics], weights=np.maximum(demand, 1e-9)))
        index = [c.index for c in clinics]
        spending = float(revenue[index].sum()) / max(len(model.population), 1)
        margin = float(result[index].sum() / max(revenue[index].sum(), 1e-9))
        self.revision.decide(year, access, spending, margin)

    def cover_deficits(self, result: np.ndarray) -> np.ndarray:
        """Cover the year's deficits of the region's own clinics, if the rulebook says so, and always of the units it runs
        under its last-resort duty; SEK per provider."""
        table = self.model.providers_table
        covered = (table.is_owner("public") & self.rulebook.public_deficits_covered) | table.last_resort
        cover = np.where(covered, np.maximum(-result, 0), 0.0)
        self.model.ledger.pay("deficit_cover", Payment(provider_sek=cover))
        return cover

    # ------------------------------------------------------------------ listing

    def refresh_nearby(self) -> None:
        """Recompute each area's nearby open clinics (after an entry or an exit), within its sub-area if the rulebook has
        them: those a choosing resident weighs (neighbouring regions' too, where residents may list across the border)
        and the region's own."""
        model = self.model
        system = None
        if self.rulebook.listing.sub_areas == "town_and_rest":
            system = (model.geography.area_type == AREA_TYPES.index("town")).astype(np.int64)
        self.nearby_home = nearby_clinics(model.geography.road_km, model.clinic_area, model.open_clinics, system)
        listable = model.providers_table.listable()
        self.nearby = nearby_clinics(model.geography.road_km, model.clinic_area, listable, system) if model.border else self.nearby_home

    # ------------------------------------------------------------------ listing

    def list_caps(self) -> np.ndarray | None:
        """Most residents each provider may list (inf: no cap), or None when the rulebook sets no cap.

        A cap per clinic is in residents of the full region, so it shrinks with a sampled one;
        a cap per GP FTE applies to the clinic's (already sampled) staff.
        """
        rules = self.rulebook.listing
        if rules.cap_per_clinic is None and rules.cap_per_gp_fte is None:
            return None
        model = self.model
        caps = np.full(model.n_providers, np.inf)
        for clinic in model.clinics:
            if rules.cap_per_clinic is not None:
                caps[clinic.index] = rules.cap_per_clinic * model.geography.clinic_scale
            if rules.cap_per_gp_fte is not None:
                caps[clinic.index] = min(caps[clinic.index], rules.cap_per_gp_fte * clinic.gp_fte)
        return caps

    def _appeal(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Clinics' risk-selection pull on the choice of residents ``rows``: utility per SEK of expected profit, per
        clinic, and the profit each of them brings."""
        s = self.model.params.market.selection
        efforts = self.model.providers_table.selection_effort.copy()
        if not s.enabled or not efforts.any():
            return None
        return efforts * s.attraction_per_1000_sek / 1000, resident_value(self.model).profit(rows)

    def _choose(self, rows: np.ndarray, month: int, room: np.ndarray | None) -> np.ndarray:
        model = self.model
        allowed = None if room is None else room >= 1
        return choose_clinic(
            model.population, rows, self.nearby, model.clinic_area, model.wait_days, self.choice, model.streams, month,
            allowed=allowed, appeal=self._appeal(rows),
        )

    def _within_caps(self, rows: np.ndarray, chosen: np.ndarray, room: np.ndarray, month: int) -> np.ndarray:
        """Of the residents ``rows`` moving to ``chosen`` clinics, those that fit: each clinic takes newcomers, in a
        random order, while it has room (``room`` is reduced by those taken)."""
        key = self.model.streams.uniform("list cap", self.model.population.pid[rows], month)
        order = np.lexsort((key, chosen))
        sorted_clinics = chosen[order]
        first = np.searchsorted(sorted_clinics, sorted_clinics, side="left")
        rank = np.empty(len(rows), dtype=np.int64)
        rank[order] = np.arange(len(rows)) - first
        fits = rank < np.floor(room[chosen])
        np.subtract.at(room, chosen[fits], 1)
        return fits

    def list_residents(self, rows: np.ndarray, month: int) -> None:
        """List residents who have no clinic: active choosers choose, the others go to the nearest; within caps.

        A resident no clinic near home has room for is listed with the nearest open clinic
        regardless of its cap: the region's last-resort duty comes first.
        """
        model = self.model
        pop = model.population
        caps = self.list_caps()
        room = None if caps is None else caps - np.bincount(pop.clinic[pop.clinic >= 0], minlength=model.n_providers)
        for active in (False, True):
            todo = rows[pop.active_chooser[rows] == active]
            for _ in range(3 if room is not None else 1):
                if not len(todo):
                    break
                if active:
                    chosen = self._choose(todo, month, room)
                else:
                    chosen = nearest_clinic(pop, todo, self.nearby_home, model.clinic_area, model.streams, self._open_to_non_choosers(room))
                fits = np.ones(len(todo), dtype=bool) if room is None else self._within_caps(todo, chosen, room, month)
                pop.clinic[todo[fits]] = chosen[fits]
                todo = todo[~fits]
            if len(todo):
                pop.clinic[todo] = nearest_clinic(pop, todo, self.nearby_home, model.clinic_area, model.streams)

    def _open_to_non_choosers(self, room: np.ndarray | None) -> np.ndarray | None:
        """Which providers may take residents who choose none (None: any): those with room, and under
        ``last_resort.non_choosers: own_units`` only the region's own."""
        own = self.model.providers_table.is_owner("public") if self.rulebook.last_resort.non_choosers == "own_units" else None
        with_room = None if room is None else room >= 1
        if own is None or with_room is None:
            return own if with_room is None else with_room
        return own & with_room

    def reconsider(self, month: int, u: np.ndarray) -> int:
        """Residents whose keyed uniform ``u`` falls below the reconsidering rate weigh their clinic, within the
        listing rules (re-listings left this year, clinics with room); returns how many switched."""
        model = self.model
        pop = model.population
        rows = np.flatnonzero(u < self.choice.reconsider_per_month)
        limit = self.rulebook.listing.max_switches_per_year
        if limit is not None:
            rows = rows[pop.switches_this_year[rows] < limit]
        if not len(rows):
            return 0
        caps = self.list_caps()
        room = None if caps is None else caps - np.bincount(pop.clinic, minlength=model.n_providers)
        chosen = self._choose(rows, month, room)
        moving = chosen != pop.clinic[rows]
        rows, chosen = rows[moving], chosen[moving]
        if room is not None:
            fits = self._within_caps(rows, chosen, room, month)
            rows, chosen = rows[fits], chosen[fits]
        pop.clinic[rows] = chosen
        pop.switches_this_year[rows] += 1
        return len(rows)

    def close_clinic(self, clinic, month: int) -> None:
        """A clinic closes: its residents are listed elsewhere, by their own choice or by proximity."""
        clinic.open = False
        clinic.closed_month = month
        pop = self.model.population
        self.refresh_nearby()
        rows = np.flatnonzero(pop.clinic == clinic.index)
        pop.clinic[rows] = -1
        self.list_residents(rows, month)
