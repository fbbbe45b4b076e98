"""Pay-for-performance [målrelaterad ersättning]: a yearly pool per listed resident paid on indicators.

Each indicator pays its share of the pool in proportion to achievement between a floor
and a target. Only what is measured is rewarded: the chronic follow-up indicator counts
episodes of residents with chronic conditions that got at least guideline care (q >= q*),
so the physician earns the indicator's marginal value on exactly those episodes and
nothing on the others. The money stops at the target: a clinic reads its achievement so far
this year (as practices follow their indicator dashboards) and one more compliant episode
is worth nothing once it has reached the target. Access (3-day assessment) and continuity
are measured for the clinic as a whole.

Exception reporting (the UK QOF, evidence.md E17, E18): where allowed, a clinic removes
patients from the follow-up indicator's denominator. Some exceptions are legitimate and
fall at random; the others are gamed: a physician excepts an unmet patient when the
indicator money it brings (one fewer failure in the ratio) exceeds their altruism a times
the cost of an unjustified exception, so gaming grows with the money at stake. Reported
achievement, which is paid, then exceeds true achievement.
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
    label = "pay for performance"
    income = "pay-for-performance"
    rulebook_field = "pay_for_performance"
    #: clinic_years columns from the indicators of the year just settled: column -> (indicator, what it means)
    INDICATOR_COLUMNS = {
        "followup_reported": ("chronic_followup", "the chronic follow-up indicator as reported (after exceptions; what is paid); empty for the digital provider and where no pay-for-performance is paid"),
        "followup_true": ("chronic_followup_true", "the chronic follow-up indicator as it truly was (all measured episodes); empty as `followup_reported`"),
        "followup_excepted_share": ("excepted_share", "share of measured episodes the clinic excepted from the indicator (`exceptions`; evidence.md E17)"),
    }
    columns = {column: means for column, (_, means) in INDICATOR_COLUMNS.items()}

    def __init__(self, params: Params):
        self.params = params
        self.planned_year = -1

    def open_books(self, market) -> None:
        self._reset(market.n_providers)
        self.reported = np.full(market.n_providers, self.params.chronic_followup.floor)  # each clinic's last reported follow-up achievement

    def clinic_year(self, market, settled: bool) -> dict[str, np.ndarray]:
        """The indicators the year was settled on, per clinic (NaN for the digital provider, or before a settlement)."""
        indicators = getattr(self, "indicators", {}) if settled else {}
        digital = market.providers_table.is_owner("digital")
        empty = np.full(market.n_providers, np.nan)
        return {column: np.where(digital, np.nan, indicators[name]) if name in indicators else empty for column, (name, _) in self.INDICATOR_COLUMNS.items()}

    COUNTS = ("contacts", "assessed_3day", "measured", "compliant", "excepted", "compliant_excepted", "listed_months")

    def _reset(self, n: int) -> None:
        for name in self.COUNTS:
            setattr(self, name, np.zeros(n))

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

    def _so_far(self) -> np.ndarray:
        """Each clinic's reported follow-up achievement this year so far (last year's before any episode)."""
        counted = self.measured - self.excepted
        met = self.compliant - self.compliant_excepted
        return np.where(counted > 0, met / np.maximum(counted, 1), self.reported)

    def _marginal_value(self, market, so_far: np.ndarray) -> np.ndarray:
        """SEK per compliant episode, per clinic: the indicator's marginal value while the clinic is below its target."""
        return np.where(so_far < self.params.chronic_followup.target, self._bonus_per_episode(market), 0.0)

    def _measured(self, market, ep) -> np.ndarray:
        return (ep.channel == CLINIC) & (market.population.conditions[ep.row] > 0)

    def _excepted(self, market, ep, measured: np.ndarray, compliant: np.ndarray) -> np.ndarray:
        """Measured episodes the clinic excepts: the legitimate ones, and unmet ones where gaming pays the physician."""
        x = self.params.exceptions
        if not x.enabled:
            return np.zeros(len(ep), dtype=bool)
        provider = np.where(measured, ep.provider, 0)
        so_far = self._so_far()
        gain = self._marginal_value(market, so_far)[provider] * so_far[provider]  # SEK: one failure fewer in the ratio
        gamed = ~compliant & (gain > ep.a * x.cost_sek)
        return measured & ((ep.u["exception"] < x.legitimate_share) | gamed)

    def bonus(self, market, ep):
        if self.params.scale == 0:
            return None
        per_episode = self._marginal_value(market, self._so_far())
        measured = self._measured(market, ep)
        return np.where(measured, per_episode[np.where(measured, ep.provider, 0)], 0.0), ep.q_star

    def access_reward(self, market, clinic: int, shares: np.ndarray) -> np.ndarray | float:
        """The access indicator's yearly pay to a clinic at each of the 3-day ``shares``, SEK."""
        p = self.params
        if p.scale == 0:
            return 0.0
        return p.scale * p.pool_sek_per_listed * p.access_3day.weight * market.list_sizes[clinic] * achievement_share(shares, p.access_3day)

    def monthly(self, market, ep):
        if self.params.scale == 0:
            return None
        n = market.n_providers
        at_clinic = ep.channel == CLINIC
        access = market.providers_table.access_3day.copy()
        self.contacts += np.bincount(ep.provider[at_clinic], minlength=n)
        self.assessed_3day += np.bincount(ep.provider[at_clinic], weights=access[ep.provider[at_clinic]], minlength=n)
        measured = self._measured(market, ep)
        compliant = ep.care >= ep.q_star
        excepted = self._excepted(market, ep, measured, compliant)
        self.measured += np.bincount(ep.provider[measured], minlength=n)
        self.compliant += np.bincount(ep.provider[measured], weights=compliant[measured], minlength=n)
        self.excepted += np.bincount(ep.provider[excepted], minlength=n)
        self.compliant_excepted += np.bincount(ep.provider[excepted], weights=compliant[excepted], minlength=n)
        self.listed_months += market.list_sizes
        return None

    def yearly(self, market):
        if self.params.scale == 0:
            return None
        n = market.n_providers
        p = self.params
        pop = market.population
        eligible, coc = pop.continuity()
        continuity = np.bincount(pop.clinic[eligible], weights=coc[eligible], minlength=n) / np.maximum(
            np.bincount(pop.clinic[eligible], minlength=n), 1
        )
        access = self.assessed_3day / np.maximum(self.contacts, 1)
        followup = (self.compliant - self.compliant_excepted) / np.maximum(self.measured - self.excepted, 1)  # as reported
        self.reported = np.where(self.measured > self.excepted, followup, self.reported)
        share = (
            p.access_3day.weight * achievement_share(access, p.access_3day)
            + p.continuity.weight * achievement_share(continuity, p.continuity)
            + p.chronic_followup.weight * achievement_share(followup, p.chronic_followup)
        )
        listed_years = self.listed_months / 12
        paid = p.scale * p.pool_sek_per_listed * listed_years * share
        self.indicators = {
            "access_3day": access,
            "continuity": continuity,
            "chronic_followup": followup,
            "chronic_followup_true": self.compliant / np.maximum(self.measured, 1),
            "excepted_share": self.excepted / np.maximum(self.measured, 1),
        }
        self._reset(n)
        return Payment(provider_sek=paid)
