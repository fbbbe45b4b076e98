"""Drug budget [läkemedelsbudget]: a separate capitation by age from which the clinic pays its listed residents' general drugs."""

from __future__ import annotations

import numpy as np

from sim.payment import PerListedRule
from sim.scenario import DrugBudget as Params


class DrugBudget(PerListedRule):
    item = "drug_budget"
    category = "drugs"
    label = "drug budget"
    income = "drug budget"
    rulebook_field = "drug_budget"

    def __init__(self, params: Params):
        super().__init__(params)
        self.weights = np.asarray(params.age_weights, dtype=np.float32)

    def annual_sek(self, pop) -> np.ndarray:
        return self.params.scale * self.params.sek_per_weight * self.weights[pop.band]
