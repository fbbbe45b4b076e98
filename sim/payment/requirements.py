"""Volume requirements [prestationskrav] of the physiotherapy care choice (rulebooks.md 6).

A clinic must give at least a number of visits, and see at least a number of unique
patients, per clinical FTE and year; short of either, it loses a share of the year's
capitation in proportion to the larger shortfall. While a clinic is on course to miss the
visit requirement, each extra visit saves part of the deduction, so below the requirement
the rule acts like a fee per visit (pushing quantity up); the unique-patient requirement
rewards seeing a resident once, not treating them more, so it gives no marginal reason to
add visits to an episode.
"""

from __future__ import annotations

import numpy as np

from sim.needs import EMERGENCY
from sim.payment import Payment, PaymentRule
from sim.scenario import Requirements as Params


class VolumeRequirements(PaymentRule):
    item = "requirements"
    label = "volume requirements"
    income = "requirement deductions"
    rulebook_field = "requirements"

    def __init__(self, params: Params):
        self.params = params
        self.active = params.min_visits_per_gp_fte is not None or params.min_unique_patients_per_gp_fte is not None
        self.year = None

    def _start(self, market) -> None:
        """Counters for the year: visits, capitation paid, and who has been seen, per provider."""
        self.year = market.year
        self.months = 0
        self.visits = np.zeros(market.n_providers)
        self.capitation = np.zeros(market.n_providers)
        self.seen = np.zeros(len(market.population), dtype=bool)
        self.unique = np.zeros(market.n_providers)

    def _required(self, market, per_fte: float | None) -> np.ndarray:
        table = market.providers_table
        fte = np.where(table.is_owner("digital") | table.is_owner("border"), 0.0, table.gp_fte)  # a border provider's requirements are its host's
        return np.full(market.n_providers, np.inf) if per_fte is None else per_fte * fte

    def unit_revenue(self, market, ep):
        if not self.active or self.year != market.year or self.params.min_visits_per_gp_fte is None or self.months == 0:
            return 0.0
        required = self._required(market, self.params.min_visits_per_gp_fte)
        on_course = self.visits * 12 / self.months
        per_visit = np.where(on_course < required, self.params.deduction_share * self.capitation * 12 / self.months / np.maximum(required, 1e-9), 0.0)
        return np.where(ep.channel != EMERGENCY, per_visit[np.maximum(ep.provider, 0)], 0.0)

    def monthly(self, market, ep):
        if not self.active:
            return None
        if self.year != market.year:
            self._start(market)
        n = market.n_providers
        pop = market.population
        self.months += 1
        capitation = market.region.listing_payment()
        self.capitation += np.bincount(pop.clinic, weights=capitation.sek_per_month(pop), minlength=n)
        given = (ep.channel != EMERGENCY) & (ep.provider >= 0) & (ep.q_delivered > 0)
        self.visits += np.bincount(ep.provider[given], weights=ep.q_delivered[given], minlength=n)
        rows = np.unique(ep.row[given])
        new = rows[~self.seen[rows]]
        self.seen[new] = True
        self.unique += np.bincount(pop.clinic[new], minlength=n)
        return None

    def yearly(self, market):
        if not self.active or self.year != market.year:
            return None
        p = self.params
        short = np.zeros(market.n_providers)
        for achieved, per_fte in ((self.visits, p.min_visits_per_gp_fte), (self.unique, p.min_unique_patients_per_gp_fte)):
            required = self._required(market, per_fte)
            short = np.maximum(short, np.where(np.isfinite(required) & (required > 0), np.clip(1 - achieved / np.maximum(required, 1e-9), 0, 1), 0.0))
        self.shortfall = short
        return Payment(provider_sek=-p.deduction_share * self.capitation * short)
