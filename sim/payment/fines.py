"""Fines [vite] for breaking a requirement: a clinic staffed below its GP floor cannot keep its opening hours.

Jämtland 2020: 10,000 SEK per week while opening hours are not met, at most 100,000 SEK per
occasion; an occasion lasts as long as the breach.
"""

from __future__ import annotations

import numpy as np

from sim.payment import Payment, PaymentRule
from sim.scenario import Fines as Params

WEEKS_PER_MONTH = 52 / 12


class Fines(PaymentRule):
    item = "fines"
    label = "fines"
    income = "fines"
    rulebook_field = "fines"

    def __init__(self, params: Params):
        self.params = params
        self.this_occasion = np.zeros(0)

    def monthly(self, market, ep):
        clinics = market.clinics
        if len(self.this_occasion) < market.n_providers:
            self.this_occasion = np.concatenate([self.this_occasion, np.zeros(market.n_providers - len(self.this_occasion))])
        breach = np.zeros(market.n_providers, dtype=bool)
        for c in clinics:
            breach[c.index] = c.open and c.gp_fte < c.min_gp_fte - 1e-9
        scale = market.geography.clinic_scale  # a sampled region's clinics pay fines in proportion
        room = np.maximum(self.params.max_sek_per_occasion * scale - self.this_occasion, 0)
        fine = np.where(breach, np.minimum(self.params.sek_per_week * WEEKS_PER_MONTH * scale, room), 0.0)
        self.this_occasion = np.where(breach, self.this_occasion + fine, 0.0)
        return Payment(provider_sek=-fine)
