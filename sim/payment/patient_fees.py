"""Patient fees [patientavgifter] per visit with a yearly ceiling [högkostnadsskydd].

Fees are paid by residents, not the region. Where the clinic keeps them (Jämtland 2020)
they are part of its marginal revenue from a visit, until the resident reaches the
ceiling. Where the rulebook pools them (the 2021 proposals, rulebooks.md 2-3), the
centres' fees go to the region, which pays them back out through the capitation, by its
weights (sim.payment.capitation): budget-neutral, the fee no longer pays at the margin and
a centre with many residents who go free no longer loses by it. The national digital
provider, outside the care-choice system, keeps its own fees either way.
"""

from __future__ import annotations

import numpy as np

from sim.needs import EMERGENCY, Episodes
from sim.scenario import PatientFees as Params


class PatientFees:
    def __init__(self, params: Params, doctor_share: float):
        self.params = params
        self.doctor_share = doctor_share

    def fee_per_visit(self, age: np.ndarray) -> np.ndarray:
        """Mean fee per visit, SEK, over the mix of doctor and nurse visits; zero for the ages that go free."""
        p = self.params
        fee = self.doctor_share * p.doctor_visit_sek + (1 - self.doctor_share) * p.nurse_visit_sek
        return np.where((age >= p.free_under_age) & (age < p.free_from_age), fee, 0.0)

    def unit_revenue(self, market, ep: Episodes) -> np.ndarray | float:
        """What one more visit brings the provider in fees: the fee while the resident is below the ceiling."""
        if not self.params.kept_by_clinic:
            return 0.0
        pop = market.population
        fee = self.fee_per_visit(pop.age[ep.row])
        below = pop.fees_paid[ep.row] + fee <= self.params.ceiling_sek_per_year
        return np.where(below & (ep.channel != EMERGENCY), fee, 0.0)

    def pooled(self, market, ep: Episodes) -> np.ndarray:
        """The part of each episode's fees the region pools, SEK: the centres' fees when the rulebook pools them."""
        if self.params.kept_by_clinic:
            return np.zeros(len(ep))
        digital = market.digital.index if market.digital is not None else -1
        return np.where((ep.provider >= 0) & (ep.provider != digital), ep.fees, 0.0)

    def charge(self, market, ep: Episodes) -> np.ndarray:
        """Fees for the delivered visits, SEK per episode, with each resident's ceiling applied."""
        pop = market.population
        due = np.where(ep.channel != EMERGENCY, ep.q_delivered * self.fee_per_visit(pop.age[ep.row]), 0.0)
        if not due.any():
            return due
        rows, where = np.unique(ep.row, return_inverse=True)
        total = np.bincount(where, weights=due)
        room = np.maximum(self.params.ceiling_sek_per_year - pop.fees_paid[rows], 0)
        paid = np.minimum(total, room)
        pop.fees_paid[rows] += paid.astype(np.float32)
        return due * (paid / np.maximum(total, 1e-9))[where]
