"""The out-of-region fee [utomlänsersättning] the home region pays a digital-first provider per visit.

At 500 SEK per visit (from 2019; about 1,800 SEK in 2016, sweden.md 7) against a cost of a
few hundred, each digital visit is profitable: digital providers face fee-for-service
incentives. The fee is paid for every visit of the national provider, including the digital
contacts that came before a physical visit at the clinic (they add to care, not replace it).
Where digital care must come from the listing clinic (SOU 2019:42) there is no national
provider and no fee.
"""

from __future__ import annotations

import numpy as np

from sim.needs import DIGITAL
from sim.payment import PaymentRule, per_visit


class OutOfRegionFee(PaymentRule):
    item = "digital_fee"
    category = "digital"
    label = "out-of-region fee"
    income = "the out-of-region fee (digital provider)"
    rulebook_field = "digital_visit_fee_sek"

    def __init__(self, sek_per_visit: float):
        self.sek_per_visit = sek_per_visit

    def unit_revenue(self, market, ep):
        if market.digital is None:
            return 0.0
        return np.where(ep.channel == DIGITAL, self.sek_per_visit, 0.0)

    def monthly(self, market, ep):
        if market.digital is None:
            return None
        payment = per_visit(market, ep, self.unit_revenue(market, ep))
        first = ep.digital_first
        if first.any():
            payment.provider_sek[market.digital.index] += self.sek_per_visit * first.sum()
            payment.cell_sek += np.bincount(market.population.cell[ep.row[first]], minlength=len(payment.cell_sek)) * self.sek_per_visit
        return payment
