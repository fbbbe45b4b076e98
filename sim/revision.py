"""The yearly rulebook revision [regelboksrevision]: the purchaser and providers in dialogue (rulebooks.md 8).

Each year the region reads its indicators (the share assessed within 3 days, its spending
on clinics per resident) and hears the providers (their mean margin). It decides a
relative change of the capitation level: up when access falls short of its target or
providers lose money, down when it overspends its budget, by at most ``max_step``. The
decision takes effect ``lag_years`` later, after preparation, negotiation and decisions in
several bodies, so the region steers on old news.
"""

from __future__ import annotations

import numpy as np

from sim.scenario import Revision as Params


class RulebookRevision:
    def __init__(self, params: Params):
        self.params = params
        self.level = 1.0  # capitation level relative to the rulebook's own, in force now
        self.budget: float | None = params.budget_sek_per_resident
        self.pending: list[tuple[int, float]] = []  # (year it takes effect, level)
        self.history: list[dict] = []

    def decide(self, year: int, access: float, spending_per_resident: float, provider_margin: float) -> None:
        """At the end of ``year``: weigh the indicators and queue a new level for ``year + lag_years``."""
        p = self.params
        if self.budget is None:
            self.budget = spending_per_resident
        push = (
            p.access_weight * (p.access_target - access)
            - p.budget_weight * (spending_per_resident / max(self.budget, 1e-9) - 1)
            + p.provider_weight * max(-provider_margin, 0.0)
        )
        change = float(np.clip(push, -p.max_step, p.max_step))
        latest = self.pending[-1][1] if self.pending else self.level
        self.pending.append((year + p.lag_years, latest * (1 + change)))
        self.history.append(
            {"year": year, "access_3day": access, "spending_per_resident_sek": spending_per_resident, "provider_margin": provider_margin, "decided_change": change, "takes_effect_year": year + p.lag_years}
        )

    def due(self, year: int) -> float | None:
        """The level that takes effect at the start of ``year``, if a decision falls due."""
        level = None
        while self.pending and self.pending[0][0] <= year:
            level = self.pending.pop(0)[1]
        if level is not None:
            self.level = level
        return level
