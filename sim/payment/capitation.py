"""Capitation [vårdpeng]: a fixed sum per listed resident and year, weighted by age, Care Need Index and morbidity.

The age part pays ``(1 - cni_share - morbidity_share)`` of the fixed capitation in
proportion to the resident's age weight (relative to the region's mean weight); the CNI
part pays ``cni_share`` of it in proportion to the resident's CNI score (relative to the
mean), and the morbidity part ``morbidity_share`` in proportion to the resident's
morbidity weight (an ACG-like class). Every part is budget-neutral: raising a share moves
money toward high-need lists without adding any. With a separate town system
(``town_cni_share``) the town's residents are paid with their own CNI share, and each
system keeps its own budget. Where the rulebook pools patient fees, the month's pooled
fees raise the month's capitation by what they brought in, spread by the same weights
(budget-neutral: at unchanged visits the centres' revenue is unchanged to the krona). The
marginal visit earns nothing, which is why capitation pushes quantity below q*; what a
resident brings against what they cost is what invites risk selection.
"""

from __future__ import annotations

import numpy as np

from sim.payment import Payment, PerListedRule
from sim.population import N_CELLS
from sim.scenario import Capitation as Params

#: capitation weight of the morbidity classes 0, 1, 2, 3+ chronic conditions (relative visit use, assumption)
MORBIDITY_WEIGHTS = np.array([1.0, 1.7, 2.5, 3.5], dtype=np.float64)


def _relative(x: np.ndarray) -> np.ndarray:
    mean = x.mean() if len(x) else 0.0
    return x / mean if mean > 0 else np.ones_like(x)


class Capitation(PerListedRule):
    item = "capitation"
    label = "capitation"
    income = "capitation [vårdpeng]"
    rulebook_field = "capitation"
    listing_payment = True

    def __init__(self, params: Params):
        super().__init__(params)
        self.weights = np.asarray(params.age_weights, dtype=np.float64)
        self.level = 1.0  # set by the region's yearly rulebook revision (sim.revision)

    def start_year(self, market) -> None:
        """A capitation level the region's yearly revision (sim.revision) set, relative to the rulebook's, takes effect
        with the year's first payments."""
        level = market.region.revision.due(market.year + 1)
        if level is not None:
            self.level = level
            market.population.forget(self.item)

    def monthly(self, market, ep) -> Payment | None:
        """The month's capitation, raised by the patient fees the region pooled this month (if it pools them)."""
        base = super().monthly(market, ep)
        pooled = market.region.fees.pooled(market, ep)
        if not pooled.any():
            return base
        total = float(pooled.sum())
        if base is None:  # no capitation to raise: the pool is paid per listed resident
            pop = market.population
            per_resident = np.full(len(pop), total / len(pop))
            return Payment(np.bincount(pop.clinic, weights=per_resident, minlength=market.n_providers), np.bincount(pop.cell, weights=per_resident, minlength=N_CELLS))
        uplift = 1 + total / float(base.provider_sek.sum())
        return Payment(base.provider_sek * uplift, base.cell_sek * uplift)

    def annual_sek(self, pop) -> np.ndarray:
        """Capitation each resident brings their clinic, SEK per year."""
        p = self.params
        fixed = self.level * p.scale * p.fixed_sek_per_resident
        age = _relative(self.weights[pop.band])
        cni = _relative(pop.cni_score.astype(np.float64))
        morbidity = _relative(MORBIDITY_WEIGHTS[pop.conditions])
        town = pop.area_type == 0 if p.town_cni_share is not None else np.zeros(len(age), dtype=bool)
        cni_share = np.where(town, p.town_cni_share if p.town_cni_share is not None else p.cni_share, p.cni_share)
        raw = (1 - cni_share - p.morbidity_share) * age + cni_share * cni + p.morbidity_share * morbidity
        for system in (town, ~town):
            if system.any():
                raw[system] /= raw[system].mean()
        return (fixed * raw).astype(np.float32)
