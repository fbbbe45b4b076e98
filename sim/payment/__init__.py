"""Payment rules. Each is a small object with one contract: the incentives it gives a
treating physician, and what the region pays at settlement.

- ``unit_revenue(market, ep)``: SEK the treating provider earns per extra visit of each
  episode (its marginal revenue);
- ``bonus(market, ep)``: a reward (SEK, visits from which it is earned) for reaching a
  measured level of care, or ``None``;
- ``referral_price(market, ep)``: SEK the clinic pays when it refers the episode;
- ``sek_per_year(pop)``: for rules paid per listed resident, what each resident brings
  their clinic per year (``None`` for the others);
- ``access_reward(market, clinic, share)``: SEK per year a clinic would earn at a given
  share of contacts assessed within 3 days (what staffing for access is worth to it);
- ``hospital_bills(market, cases)``: which provider pays how much of each hospital case
  (fundholding), or ``None`` when the region pays them all;
- ``start_year(market)``: after a year is settled and recorded, before the next begins;
- ``monthly(market, ep)`` and ``yearly(market)``: what the region pays each provider
  (negative: what it takes back), as a ``Payment``.

The region sums its rules; the model loop never names a rule, so adding one touches only
``build_rules``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from sim.needs import Episodes
from sim.population import N_CELLS


@dataclass
class Payment:
    """SEK the region pays each provider this period, and the same money by residents' equity cell.

    ``cell_sek`` is None when the money is not for identifiable residents; the ledger then
    spreads it over the provider's list.
    """

    provider_sek: np.ndarray
    cell_sek: np.ndarray | None = None


class PaymentRule:
    """A rule that neither rewards nor charges anything; rules override what they use."""

    item = "none"

    def unit_revenue(self, market, ep: Episodes) -> np.ndarray | float:
        return 0.0

    def bonus(self, market, ep: Episodes) -> tuple[np.ndarray, np.ndarray] | None:
        return None

    def referral_price(self, market, ep: Episodes) -> np.ndarray | float:
        return 0.0

    def sek_per_year(self, pop) -> np.ndarray | None:
        return None

    def access_reward(self, market, clinic: int, share: float) -> float:
        return 0.0

    def hospital_bills(self, market, cases):
        return None

    def start_year(self, market) -> None:
        return None

    def monthly(self, market, ep: Episodes) -> Payment | None:
        return None

    def yearly(self, market) -> Payment | None:
        return None


class PerListedRule(PaymentRule, ABC):
    """A rule that pays a yearly sum per listed resident, a twelfth each month, to their clinic.

    What a resident brings depends on attributes that change once a year (age, CNI
    factors, home), so the sums are computed once per population version.
    """

    def __init__(self, params):
        self.params = params
        self.scale = params.scale

    @abstractmethod
    def annual_sek(self, pop) -> np.ndarray:
        """What each resident brings their clinic per year under this rule, SEK."""

    def sek_per_month(self, pop) -> np.ndarray:
        """A twelfth of ``annual_sek``, kept (as float32) until the population changes."""
        if getattr(self, "_version", None) != pop.version:
            self._monthly = (self.annual_sek(pop) / 12).astype(np.float32)
            self._cells = np.bincount(pop.cell, weights=self._monthly, minlength=N_CELLS)
            self._version = pop.version
        return self._monthly

    def sek_per_year(self, pop) -> np.ndarray:
        return self.sek_per_month(pop) * 12.0

    def monthly(self, market, ep):
        if self.scale == 0:
            return None
        pop = market.population
        monthly = self.sek_per_month(pop)
        return Payment(provider_sek=np.bincount(pop.clinic, weights=monthly, minlength=market.n_providers), cell_sek=self._cells)


def per_visit(market, ep: Episodes, sek_per_visit: np.ndarray) -> Payment:
    """Pay each episode's delivered visits at ``sek_per_visit`` to its provider."""
    sek = ep.q_delivered * sek_per_visit
    paid = ep.provider >= 0
    return Payment(
        provider_sek=np.bincount(ep.provider[paid], weights=sek[paid], minlength=market.n_providers),
        cell_sek=np.bincount(market.population.cell[ep.row[paid]], weights=sek[paid], minlength=N_CELLS),
    )


def build_rules(rulebook, hospital) -> list[PaymentRule]:
    """The payment rules of a rulebook, in the order the region applies them."""
    from sim.payment.capitation import Capitation
    from sim.payment.drug_budget import DrugBudget
    from sim.payment.fee_for_service import FeeForService
    from sim.payment.fines import Fines
    from sim.payment.fundholding import Fundholding
    from sim.payment.out_of_region import OutOfRegionFee
    from sim.payment.performance import PayForPerformance
    from sim.payment.requirements import VolumeRequirements
    from sim.payment.sparsity import SparsitySupplement

    return [
        Capitation(rulebook.capitation),
        DrugBudget(rulebook.drug_budget),
        SparsitySupplement(rulebook.sparsity),
        FeeForService(rulebook.fee_for_service),
        PayForPerformance(rulebook.pay_for_performance),
        VolumeRequirements(rulebook.requirements),
        Fines(rulebook.fines),
        OutOfRegionFee(rulebook.digital_visit_fee_sek),
        Fundholding(rulebook.fundholding, hospital),
    ]
