"""Sparsity supplement [glesbygdsersättning] per listed resident by the resident's road distance to the hospital.

It pays for the fixed costs of small clinics far from the hospital, and for the care they
give that a town clinic would leave to the hospital.
"""

from __future__ import annotations

import numpy as np

from sim.payment import PerListedRule
from sim.scenario import Sparsity as Params


class SparsitySupplement(PerListedRule):
    item = "sparsity"
    label = "sparsity supplement"
    income = "sparsity supplement"
    rulebook_field = "sparsity"

    def __init__(self, params: Params):
        super().__init__(params)
        self.scale = params.scale if params.bands_km else 0.0
        self.rates = np.concatenate([[0.0], np.asarray(params.sek_per_listed, dtype=np.float64)])
        self.bands = np.asarray(params.bands_km, dtype=np.float64)

    def annual_sek(self, pop) -> np.ndarray:
        band = np.searchsorted(self.bands, pop.hospital_km(), side="right")
        return self.params.scale * self.rates[band]
