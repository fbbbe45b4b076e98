"""The rulebook revision [regelboksrevision]: the purchaser and providers in dialogue (rulebooks.md 8; 000, 001, 004).

At a year's end the region reads its indicators (the share assessed within 3 days, its
spending on clinics per resident) and, if it consults them, hears the providers (their mean
margin). It proposes a relative change of the capitation level: up when access falls short of
its target or providers lose money, down when it overspends its budget, by at most
``max_step``; every year, or only when the change called for is large enough. The proposal
passes the decision steps (compilation, preparation with experts and stakeholders, the
unions, the management, the health board, the regional board, the assembly: 004) and takes
effect at the start of the first year after the last, so the region steers on old news.
Where the coming year's payment is decided before clinics plan their staff (an earlier budget
decision), they plan for it; otherwise they meet it when it is paid.
"""

from __future__ import annotations

import math

import numpy as np

from sim.scenario import Revision as Params


class RulebookRevision:
    def __init__(self, params: Params):
        self.params = params
        self.level = 1.0  # capitation level relative to the rulebook's own, in force now
        self.paid_level = 1.0  # the level of the year before the one in force (what last year's margins were earned at)
        self.budget: float | None = params.budget_sek_per_resident
        self.pending: list[tuple[int, float]] = []  # (year it takes effect, level)
        self.history: list[dict] = []

    @property
    def lag_years(self) -> int:
        """Years from a year's end to the start of the year its revision takes effect: the decision steps' months, rounded up to whole years."""
        return max(1, math.ceil(sum(self.params.steps_months.values()) / 12))

    def decide(self, year: int, access: float, spending_per_resident: float, provider_margin: float) -> None:
        """At the end of ``year``: weigh the indicators and, if a revision is due, queue a new level for ``year + lag_years``."""
        p = self.params
        if self.budget is None:
            self.budget = spending_per_resident
        voice = p.provider_weight * max(-provider_margin, 0.0) if p.providers_consulted else 0.0
        push = p.access_weight * (p.access_target - access) - p.budget_weight * (spending_per_resident / max(self.budget, 1e-9) - 1) + voice
        if p.trigger == "when_needed" and abs(push) < p.need_threshold:
            return
        change = float(np.clip(push, -p.max_step, p.max_step))
        latest = self.pending[-1][1] if self.pending else self.level
        self.pending.append((year + self.lag_years, latest * (1 + change)))
        self.history.append(
            {"year": year, "access_3day": access, "spending_per_resident_sek": spending_per_resident, "provider_margin": provider_margin, "decided_change": change, "takes_effect_year": year + self.lag_years}
        )

    def planned_change(self) -> float:
        """The relative change of capitation from the year just paid to the coming one that clinics plan their staff
        for: the change itself where the payment is decided before they plan, none where they meet it when paid."""
        return self.level / self.paid_level - 1 if self.params.payment_known_before_planning else 0.0

    def due(self, year: int) -> float | None:
        """The level that takes effect at the start of ``year``, if a decision falls due."""
        level = None
        while self.pending and self.pending[0][0] <= year:
            level = self.pending.pop(0)[1]
        self.paid_level = self.level
        if level is not None:
            self.level = level
        return level
