"""Payment rules. Each is a small object with one contract: the incentives it gives a
treating physician, and what the region pays at settlement.

- ``unit_revenue(market, ep)``: SEK the treating provider earns per extra visit of each
  episode (its marginal revenue);
- ``bonus(market, ep)``: a reward (SEK, visits from which it is earned) for reaching a
  measured level of care, or ``None``;
- ``referral_price(market, ep)``: SEK the clinic pays when it refers the episode;
- ``sek_per_year(pop)``: for rules paid per listed resident, what each resident brings
  their clinic per year (``None`` for the others);
- ``access_reward(market, clinic, shares)``: SEK per year a clinic would earn at each given
  share of contacts assessed within 3 days (what staffing for access is worth to it);
- ``hospital_bills(market, cases)``: which provider pays how much of each hospital case
  (fundholding), or ``None`` when the region pays them all;
- ``open_books(market)``: once, when the region is set up, for its providers and residents;
- ``start_year(market)``: after a year is settled and recorded, before the next begins;
- ``monthly(market, ep)`` and ``yearly(market)``: what the region pays each provider
  (negative: what it takes back), as a ``Payment``.

A rule also describes itself, and everything downstream is built from these descriptions:
``item`` (the income item the ledger books its money under, the ``income_<item>_sek`` column
of ``clinic_years`` and the ``clinic_income_share_<item>`` outcome), ``category`` (the
region's spending category the money counts in), ``label`` (the run summary's revenue line),
``income`` (what the item is, for ``docs/outputs.md``), ``columns`` and ``clinic_year(market,
settled)`` (the rule's own ``clinic_years`` columns) and ``outcomes`` and ``summary(clinic_years)``
(its own whole-run outcomes). The region sums its rules; the model loop, the ledger, the
runner and the command line never name one, so adding a rule is a module and a line in
``RULES``.
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


@dataclass(frozen=True)
class Outcome:
    """A whole-run outcome a rule adds to the summary: its name, what it means (``docs/outputs.md``) and, if the
    run's printed summary shows it when it has a value, the line's label and format (``pct``, ``sek``, ``num``)."""

    name: str
    means: str
    label: str | None = None
    kind: str = "num"


class PaymentRule:
    """A rule that neither rewards nor charges anything; rules override what they use."""

    item = "none"
    category = "primary"  # the region's spending category (sim.ledger.CATEGORIES) its money counts in
    label = ""  # the run summary's line "Clinic revenue from <label>"
    income = ""  # what the income item is, for docs/outputs.md
    columns: dict[str, str] = {}  # its own clinic_years columns: name -> what it means (for docs/outputs.md)
    outcomes: tuple[Outcome, ...] = ()  # its own whole-run outcomes
    listing_payment = False  # the payment per listed resident [vårdpeng] that pooled patient fees return through and volume requirements deduct from
    for_clinic_costs = True  # what it pays per listed resident is the clinic's to cover its own costs (not a budget for bills, as fundholding's)

    rulebook_field = ""  # the field of the rulebook (sim.scenario.Rulebook) that holds its parameters

    @classmethod
    def from_rulebook(cls, rulebook, hospital) -> PaymentRule:
        """The rule as a rulebook (sim.scenario.Rulebook) and the hospital's prices set it: by default, from its field."""
        return cls(getattr(rulebook, cls.rulebook_field))

    def clinic_year(self, market, settled: bool) -> dict[str, np.ndarray]:
        """Its ``columns`` for the year so far, one value per provider (NaN where it has none); ``settled``: the
        year's rules were settled."""
        return {}

    def summary(self, clinic_years) -> dict[str, float | None]:
        """Its ``outcomes`` over the run, from the clinic-year table."""
        return {}

    def unit_revenue(self, market, ep: Episodes) -> np.ndarray | float:
        return 0.0

    def bonus(self, market, ep: Episodes) -> tuple[np.ndarray, np.ndarray] | None:
        return None

    def referral_price(self, market, ep: Episodes) -> np.ndarray | float:
        return 0.0

    def sek_per_year(self, pop) -> np.ndarray | None:
        return None

    def access_reward(self, market, clinic: int, shares: np.ndarray) -> np.ndarray | float:
        """SEK per year it would pay ``clinic`` at each of the ``shares`` assessed within 3 days (0: it pays nothing for access)."""
        return 0.0

    def expected_fee_per_visit(self, market) -> float:
        """SEK it pays a clinic per visit, as an entrant expects it (0 for rules that pay otherwise)."""
        return 0.0

    def hospital_bills(self, market, cases):
        return None

    def open_books(self, market) -> None:
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
    factors, home), so the sums are kept until the population changes.
    """

    def __init__(self, params):
        self.params = params
        self.scale = params.scale

    @abstractmethod
    def annual_sek(self, pop) -> np.ndarray:
        """What each resident brings their clinic per year under this rule, SEK."""

    def _month(self, pop) -> tuple[np.ndarray, np.ndarray]:
        """A twelfth of ``annual_sek`` per resident (float32) and its sum by equity cell, kept until the population
        changes (``Population.derived``, under the rule's item)."""

        def compute():
            monthly = (self.annual_sek(pop) / 12).astype(np.float32)
            return monthly, np.bincount(pop.cell, weights=monthly, minlength=N_CELLS)

        return pop.derived(self.item, compute)

    def sek_per_month(self, pop) -> np.ndarray:
        return self._month(pop)[0]

    def sek_per_year(self, pop) -> np.ndarray:
        return self.sek_per_month(pop) * 12.0

    def monthly(self, market, ep):
        if self.scale == 0:
            return None
        pop = market.population
        monthly, cells = self._month(pop)
        return Payment(provider_sek=np.bincount(pop.clinic, weights=monthly, minlength=market.n_providers), cell_sek=cells)


def per_visit(market, ep: Episodes, sek_per_visit: np.ndarray) -> Payment:
    """Pay each episode's delivered visits at ``sek_per_visit`` to its provider."""
    sek = ep.q_delivered * sek_per_visit
    paid = ep.provider >= 0
    return Payment(
        provider_sek=np.bincount(ep.provider[paid], weights=sek[paid], minlength=market.n_providers),
        cell_sek=np.bincount(market.population.cell[ep.row[paid]], weights=sek[paid], minlength=N_CELLS),
    )


def rule_classes() -> tuple[type[PaymentRule], ...]:
    """Every payment rule, in the order the region applies them and the ledger reports their items."""
    from sim.payment.capitation import Capitation
    from sim.payment.drug_budget import DrugBudget
    from sim.payment.fee_for_service import FeeForService
    from sim.payment.fines import Fines
    from sim.payment.fundholding import Fundholding
    from sim.payment.out_of_region import OutOfRegionFee
    from sim.payment.performance import PayForPerformance
    from sim.payment.requirements import VolumeRequirements
    from sim.payment.sparsity import SparsitySupplement

    return (Capitation, SparsitySupplement, FeeForService, PayForPerformance, VolumeRequirements, Fines, DrugBudget, Fundholding, OutOfRegionFee)


def build_rules(rulebook, hospital, rules: tuple[type[PaymentRule], ...] | None = None) -> list[PaymentRule]:
    """The payment rules of a rulebook (by default every rule of ``rule_classes``), in the order the region applies them."""
    return [rule.from_rulebook(rulebook, hospital) for rule in (rule_classes() if rules is None else rules)]
