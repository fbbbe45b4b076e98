"""The region [region] as a Mesa agent: it pays by its rulebook, lists residents and keeps the last-resort duty.

Its rulebook [förfrågningsunderlag] is a list of payment rules and a patient-fee schedule.
It lists residents who never choose with the nearest clinic [ickevalsalternativ], lets
residents re-list, and when a clinic closes it lists that clinic's residents elsewhere
[sistahandsansvar]. It covers its own clinics' deficits if its rulebook says so.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.behaviour.choice import choose_clinic, nearby_clinics, nearest_clinic
from sim.needs import Episodes
from sim.payment import Payment, build_rules
from sim.payment.patient_fees import PatientFees
from sim.scenario import Choice, Rulebook


class Region(mesa.Agent):
    def __init__(self, model: mesa.Model, rulebook: Rulebook, choice: Choice):
        super().__init__(model)
        self.rulebook = rulebook
        self.choice = choice
        self.rules = build_rules(rulebook, model.params.market.hospital)
        self.fundholding = next(rule for rule in self.rules if rule.item == "fundholding")
        self.fees = PatientFees(rulebook.patient_fees, model.params.market.staffing.doctor_share_of_visits)
        self.nearby = np.zeros((0, 0), dtype=np.int64)

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

    def access_reward(self, clinic: int, share: float) -> float:
        """SEK per year the rulebook pays a clinic for a given share assessed within 3 days."""
        return sum(rule.access_reward(self.model, clinic, share) for rule in self.rules)

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
        """Every rule closes its year's books."""
        for rule in self.rules:
            rule.start_year(self.model)

    def cover_deficits(self, result: np.ndarray) -> np.ndarray:
        """Cover the year's deficits of the region's own clinics, if the rulebook says so; SEK per provider."""
        public = np.array([p.owner == "public" for p in self.model.providers])
        cover = np.where(public & self.rulebook.public_deficits_covered, np.maximum(-result, 0), 0.0)
        self.model.ledger.pay("deficit_cover", Payment(provider_sek=cover))
        return cover

    # ------------------------------------------------------------------ listing

    def refresh_nearby(self) -> None:
        """Recompute each area's nearby open clinics (after an entry or an exit)."""
        model = self.model
        self.nearby = nearby_clinics(model.geography.road_km, model.clinic_area, model.open_clinics)

    def list_residents(self, rows: np.ndarray, month: int) -> None:
        """List residents who have no clinic: active choosers choose, the others go to the nearest."""
        pop = self.model.population
        active = rows[pop.active_chooser[rows]]
        passive = rows[~pop.active_chooser[rows]]
        model = self.model
        if len(passive):
            pop.clinic[passive] = nearest_clinic(pop, passive, self.nearby, model.clinic_area, model.streams)
        if len(active):
            pop.clinic[active] = choose_clinic(
                pop, active, self.nearby, model.clinic_area, model.wait_days, self.choice, model.streams, month
            )

    def reconsider(self, month: int, u: np.ndarray) -> int:
        """Residents whose keyed uniform ``u`` falls below the reconsidering rate weigh their clinic; returns how many switched."""
        model = self.model
        pop = model.population
        rows = np.flatnonzero(u < self.choice.reconsider_per_month)
        if not len(rows):
            return 0
        chosen = choose_clinic(pop, rows, self.nearby, model.clinic_area, model.wait_days, self.choice, model.streams, month)
        moved = rows[chosen != pop.clinic[rows]]
        pop.clinic[moved] = chosen[chosen != pop.clinic[rows]]
        pop.switches_this_year[moved] += 1
        return len(moved)

    def close_clinic(self, clinic, month: int) -> None:
        """A clinic closes: its residents are listed elsewhere, by their own choice or by proximity."""
        clinic.open = False
        clinic.closed_month = month
        pop = self.model.population
        self.refresh_nearby()
        rows = np.flatnonzero(pop.clinic == clinic.index)
        pop.clinic[rows] = -1
        self.list_residents(rows, month)
