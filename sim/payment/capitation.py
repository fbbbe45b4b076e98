"""Capitation [vårdpeng]: a fixed sum per listed resident and year, weighted by age and Care Need Index.

The age part pays ``(1 - cni_share)`` of the fixed capitation in proportion to the
resident's age weight (relative to the region's mean weight); the CNI part pays
``cni_share`` of it in proportion to the resident's CNI score (relative to the region's
mean), so a clinic's CNI money is its list's CNI index times the average. Both parts are
budget-neutral: raising the CNI share moves money toward high-need lists without adding
any. The marginal visit earns nothing, which is why capitation pushes quantity below q*.
"""

from __future__ import annotations

import numpy as np

from sim.payment import PerListedRule
from sim.scenario import Capitation as Params


class Capitation(PerListedRule):
    item = "capitation"

    def __init__(self, params: Params):
        super().__init__(params)
        self.weights = np.asarray(params.age_weights, dtype=np.float32)

    def annual_sek(self, pop) -> np.ndarray:
        """Capitation each resident brings their clinic, SEK per year."""
        p = self.params
        fixed = p.scale * p.fixed_sek_per_resident
        w = self.weights[pop.band]
        age_part = np.float32((1 - p.cni_share) * fixed / w.mean()) * w
        score = pop.cni_score.astype(np.float64)
        mean_score = score.mean()
        relative = score / mean_score if mean_score > 0 else np.ones_like(score)
        return age_part + (p.cni_share * fixed * relative).astype(np.float32)
