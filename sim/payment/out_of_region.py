"""The out-of-region fee [utomlänsersättning] the home region pays a digital-first provider per visit.

At 500 SEK per visit (from 2019; about 1,800 SEK in 2016) against a cost of a few hundred,
each digital visit is profitable: digital providers face fee-for-service incentives.
"""

from __future__ import annotations

import numpy as np

from sim.needs import DIGITAL
from sim.payment import PaymentRule, per_visit


class OutOfRegionFee(PaymentRule):
    item = "digital_fee"

    def __init__(self, sek_per_visit: float):
        self.sek_per_visit = sek_per_visit

    def unit_revenue(self, market, ep):
        return np.where(ep.channel == DIGITAL, self.sek_per_visit, 0.0)

    def monthly(self, market, ep):
        return per_visit(market, ep, self.unit_revenue(market, ep))
