"""Pay-for-performance [målrelaterad ersättning]: a yearly pool per listed resident paid on indicators.

Each indicator pays its share of the pool in proportion to achievement between a floor
and a target. Only what is measured is rewarded: the chronic follow-up indicator counts
episodes of residents with chronic conditions that got at least guideline care (q >= q*),
so the physician earns the indicator's marginal value on exactly those episodes and
nothing on the others. Access (3-day assessment) and continuity are measured for the
clinic as a whole.
"""

from __future__ import annotations

import numpy as np

from sim.needs import CLINIC, episode_rate_per_month
from sim.payment import Payment, PaymentRule
from sim.scenario import Indicator, PayForPerformance as Params


def achievement_share(achieved: np.ndarray, indicator: Indicator) -> np.ndarray:
    """Share of an indicator's money earned: 0 at or below the floor, 1 at or above the target."""
    return np.clip((achieved - indicator.floor) / (indicator.target - indicator.floor), 0.0, 1.0)


class PayForPerformance(PaymentRule):
    item = "performance"

    def __init__(self, params: Params):
        self.params = params
        self.planned_year = -1
        self._reset(0)

    def _reset(self, n: int) -> None:
        self.contacts = np.zeros(n)
        self.assessed_3day = np.zeros(n)
        self.measured = np.zeros(n)
        self.compliant = np.zeros(n)
        self.listed_months = np.zeros(n)

    def _grow(self, n: int) -> None:
        if len(self.contacts) < n:
            pad = n - len(self.contacts)
            for name in ("contacts", "assessed_3day", "measured", "compliant", "listed_months"):
                setattr(self, name, np.concatenate([getattr(self, name), np.zeros(pad)]))

    def _bonus_per_episode(self, market) -> np.ndarray:
        """The chronic indicator's marginal value of one more compliant episode, SEK, per clinic.

        Set at the start of each year from the episodes the clinic's chronic residents are
        expected to have, as a clinic would read its own list.
        """
        if self.planned_year != market.year:
            pop = market.population
            chronic = pop.conditions > 0
            rate = episode_rate_per_month(pop, market.params.population.needs)[chronic] * 12
            expected = np.bincount(pop.clinic[chronic], weights=rate, minlength=market.n_providers)
            p = self.params
            ind = p.chronic_followup
            self.per_episode = p.scale * p.pool_sek_per_listed * ind.weight * market.list_sizes / np.maximum(expected, 1) / (ind.target - ind.floor)
            self.planned_year = market.year
        return self.per_episode

    def _measured(self, market, ep) -> np.ndarray:
        return (ep.channel == CLINIC) & (market.population.conditions[ep.row] > 0)

    def bonus(self, market, ep):
        if self.params.scale == 0:
            return None
        per_episode = self._bonus_per_episode(market)
        measured = self._measured(market, ep)
        return np.where(measured, per_episode[np.where(measured, ep.provider, 0)], 0.0), ep.q_star

    def access_reward(self, market, clinic: int, share: float) -> float:
        """The access indicator's yearly pay to a clinic at a given 3-day share, SEK."""
        p = self.params
        if p.scale == 0:
            return 0.0
        return float(p.scale * p.pool_sek_per_listed * p.access_3day.weight * market.list_sizes[clinic] * achievement_share(share, p.access_3day))

    def monthly(self, market, ep):
        if self.params.scale == 0:
            return None
        n = market.n_providers
        self._grow(n)
        at_clinic = ep.channel == CLINIC
        access = np.array([c.access_3day for c in market.providers])
        self.contacts += np.bincount(ep.provider[at_clinic], minlength=n)
        self.assessed_3day += np.bincount(ep.provider[at_clinic], weights=access[ep.provider[at_clinic]], minlength=n)
        measured = self._measured(market, ep)
        self.measured += np.bincount(ep.provider[measured], minlength=n)
        self.compliant += np.bincount(ep.provider[measured], weights=ep.care[measured] >= ep.q_star[measured], minlength=n)
        self.listed_months += market.list_sizes
        return None

    def yearly(self, market):
        if self.params.scale == 0:
            return None
        n = market.n_providers
        self._grow(n)
        p = self.params
        pop = market.population
        eligible, coc = pop.continuity()
        continuity = np.bincount(pop.clinic[eligible], weights=coc[eligible], minlength=n) / np.maximum(
            np.bincount(pop.clinic[eligible], minlength=n), 1
        )
        access = self.assessed_3day / np.maximum(self.contacts, 1)
        followup = self.compliant / np.maximum(self.measured, 1)
        share = (
            p.access_3day.weight * achievement_share(access, p.access_3day)
            + p.continuity.weight * achievement_share(continuity, p.continuity)
            + p.chronic_followup.weight * achievement_share(followup, p.chronic_followup)
        )
        listed_years = self.listed_months / 12
        paid = p.scale * p.pool_sek_per_listed * listed_years * share
        self.indicators = {"access_3day": access, "continuity": continuity, "chronic_followup": followup}
        self._reset(n)
        return Payment(provider_sek=paid)
