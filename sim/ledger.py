"""The money: every SEK of a month booked once, from a payer to a payee, for an item.

Payers and payees are the region, the providers (clinics and the digital provider),
residents (patient fees) and the hospital and suppliers (costs). A provider's revenue is
what the region pays it plus the patient fees it keeps, to the krona, item by item
(``income_items``), and in a national run what other regions pay for their residents listed with it (sim.border); every provider's result is its revenue minus its costs. The region's spending is also split by category (primary care, drugs,
hospital, digital) and by residents' equity cell, for cost per capita by group.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sim.payment import Payment
from sim.population import N_CELLS

#: the region's cost category of each item that is not a payment rule's (each rule names its own: PaymentRule.category)
OTHER_CATEGORY = {
    "deficit_cover": "primary",
    "lab_radiology": "primary",
    "patient_transport": "primary",
    "patient_fees": "primary",
    "physiotherapy": "primary",
    "foot_care": "primary",
    "drugs": "drugs",
    "hospital": "hospital",
    "hospital_result": "hospital",
}
CATEGORIES = ("primary", "hospital", "digital", "drugs")


def income_items(rules) -> tuple[str, ...]:
    """The items a provider's revenue is made of, before any deficit cover: what each of the region's ``rules`` (or
    rule classes) pays it, in their order, and the patient fees it keeps (a negative amount: it pays the region)."""
    return tuple(rule.item for rule in rules) + ("patient_fees",)


class Ledger:
    """A month's and a year's money, by item and provider."""

    def __init__(self, n_providers: int, rules):
        self.income_items = income_items(rules)
        self.category = OTHER_CATEGORY | {rule.item: rule.category for rule in rules}
        self.n = n_providers  # fixed for the run: potential entrants are providers from the start
        self.year_revenue: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(self.n))
        self.year_cost: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(self.n))
        self.start_month(lambda: np.zeros((n_providers, N_CELLS)))

    def start_month(self, list_cells) -> None:
        """Open a month's books; ``list_cells()`` gives each provider's list by equity cell when a lump sum needs spreading."""
        self._list_cells = list_cells
        self.revenue: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(self.n))  # provider income by item
        self.cost: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(self.n))  # provider costs by item
        self.region: dict[str, float] = defaultdict(float)  # region's net spending by item, SEK
        self.region_cells = {c: np.zeros(N_CELLS) for c in CATEGORIES}
        self.hospital_revenue = 0.0  # prices the hospital is paid this month, by the region and fundholders

    # ------------------------------------------------------------------ booking

    def pay(self, item: str, payment: Payment | None) -> None:
        """The region pays providers (a negative amount: a provider pays the region)."""
        if payment is None or not payment.provider_sek.any():
            return
        self.revenue[item] += payment.provider_sek
        self.region[item] += float(payment.provider_sek.sum())
        cells = payment.cell_sek if payment.cell_sek is not None else payment.provider_sek @ self._list_cells()
        self.region_cells[self.category[item]] += cells

    def patient_fees(self, kept_sek: np.ndarray, pooled_cell_sek: np.ndarray) -> None:
        """Residents pay fees: what each provider keeps is its revenue; what the region pools (by residents' cell)
        lowers its net spending, and the region pays it back out through the capitation (sim.payment.capitation)."""
        self.revenue["patient_fees"] += kept_sek
        if pooled_cell_sek.any():
            self.region["patient_fees"] -= float(pooled_cell_sek.sum())
            self.region_cells["primary"] -= pooled_cell_sek

    def from_other_regions(self, provider_sek: np.ndarray) -> None:
        """Clinics are paid for other regions' residents listed with them (sim.border): revenue the region does not pay."""
        self.revenue["other_regions"] += provider_sek

    def provider_cost(self, item: str, provider_sek: np.ndarray) -> None:
        """Providers pay suppliers and staff."""
        self.cost[item] += provider_sek

    def region_cost(self, item: str, cell_sek: np.ndarray) -> None:
        """The region pays a supplier or its hospital directly, for residents in each cell."""
        self.region[item] += float(cell_sek.sum())
        self.region_cells[self.category[item]] += cell_sek

    # ------------------------------------------------------------------ results

    def result(self) -> np.ndarray:
        """This month's result of each provider, SEK."""
        return _total(self.revenue, self.n) - _total(self.cost, self.n)

    def year_to_date(self) -> tuple[np.ndarray, np.ndarray]:
        """Revenue and result of each provider so far this year, this month included, SEK."""
        revenue = _total(self.year_revenue, self.n) + _total(self.revenue, self.n)
        return revenue, revenue - _total(self.year_cost, self.n) - _total(self.cost, self.n)

    def year_income(self) -> dict[str, np.ndarray]:
        """Each provider's revenue so far this year by income item, this month included, and what other regions paid
        for their residents listed with it where they did (sim.border), SEK."""
        items = self.income_items + (("other_regions",) if "other_regions" in self.year_revenue or "other_regions" in self.revenue else ())
        return {item: self.year_revenue.get(item, np.zeros(self.n)) + self.revenue.get(item, np.zeros(self.n)) for item in items}

    def close_month(self) -> None:
        """Carry the month's provider books into the year's, and empty them."""
        for item, values in self.revenue.items():
            self.year_revenue[item] += values
        for item, values in self.cost.items():
            self.year_cost[item] += values
        self.revenue.clear()
        self.cost.clear()

    def close_year(self) -> None:
        """The year's books are settled: they start afresh."""
        self.year_revenue.clear()
        self.year_cost.clear()


def _total(book: dict[str, np.ndarray], n: int) -> np.ndarray:
    return sum(book.values(), np.zeros(n))
