"""Fee-for-service [besöksersättning]: a fee per visit by profession, paid to the region's own clinics.

Every visit earns its fee, so when the fee exceeds the cost of a visit the physician's
margin is positive and quantity rises above q*.
"""

from __future__ import annotations

import numpy as np

from sim.needs import CLINIC
from sim.payment import PaymentRule, per_visit
from sim.scenario import FeeForService as Params


class FeeForService(PaymentRule):
    item = "fee_for_service"
    label = "the region's fees per visit"
    income = "fees per visit"
    rulebook_field = "fee_for_service"

    def __init__(self, params: Params):
        self.params = params

    def fee_per_visit(self, staffing) -> float:
        """Mean fee per visit, SEK, over the mix of doctor and nurse visits (``market.staffing``)."""
        doctor = staffing.doctor_share_of_visits
        p = self.params
        return p.scale * (doctor * p.doctor_visit_sek + (1 - doctor) * p.nurse_visit_sek)

    def expected_fee_per_visit(self, market) -> float:
        return self.fee_per_visit(market.params.market.staffing)

    def unit_revenue(self, market, ep):
        return np.where(ep.channel == CLINIC, self.expected_fee_per_visit(market), 0.0)

    def monthly(self, market, ep):
        if self.params.scale == 0:
            return None
        return per_visit(market, ep, self.unit_revenue(market, ep))
