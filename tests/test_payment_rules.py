"""A payment rule describes itself: a rule defined in this file alone is paid, booked, reported and printed."""

from __future__ import annotations

import numpy as np
import pytest

from sim.cli import _summary_table
from sim.ledger import CATEGORIES
from sim.model import CareMarket
from sim.payment import Outcome, Payment, PaymentRule, rule_classes
from sim.reference import rules_markdown
from sim.runner import run

from conftest import small


class ClinicGrant(PaymentRule):
    """A toy rule: every open clinic gets a flat grant each month, booked as digital spending to tell it apart."""

    item = "grant"
    category = "digital"
    label = "a toy grant"
    income = "a flat monthly grant per open clinic (a test's toy rule)"
    columns = {"grant_months": "months of the year the clinic was paid the grant"}
    outcomes = (Outcome("grant_per_clinic_year_sek", "the grant per clinic-year, SEK", "Toy grant per clinic-year, SEK", "sek"),)
    SEK_PER_MONTH = 10_000.0

    @classmethod
    def from_rulebook(cls, rulebook, hospital) -> ClinicGrant:
        return cls()

    def __init__(self):
        self.months = np.zeros(0)

    def monthly(self, market, ep) -> Payment:
        paid = market.open_clinics.astype(float)
        self.months = (self.months if len(self.months) == len(paid) else np.zeros(len(paid))) + paid
        return Payment(provider_sek=self.SEK_PER_MONTH * paid)

    def start_year(self, market) -> None:
        self.months = np.zeros(market.n_providers)

    def clinic_year(self, market, settled: bool) -> dict[str, np.ndarray]:
        return {"grant_months": self.months.copy()}

    def summary(self, clinic_years) -> dict[str, float | None]:
        clinics = clinic_years[clinic_years["owner"] != "digital"]
        return {"grant_per_clinic_year_sek": float(clinics["income_grant_sek"].sum() / (clinics["months"].sum() / 12))}


RULES = (*rule_classes(), ClinicGrant)


class Books:
    """Each month: the region's grant spending is what the open clinics booked, and it counts as digital spending."""

    def __init__(self):
        self.months = 0

    def observe(self, model, ep, fees, cases) -> None:
        ledger = model.ledger
        granted = ClinicGrant.SEK_PER_MONTH * model.open_clinics.sum()
        assert ledger.region["grant"] == pytest.approx(granted) and ledger.revenue["grant"].sum() == pytest.approx(granted)
        assert ledger.region_cells["digital"].sum() == pytest.approx(ledger.region.get("digital_fee", 0.0) + granted)
        assert sum(ledger.region_cells[c].sum() for c in CATEGORIES) == pytest.approx(sum(ledger.region.values()))
        self.months += 1


def test_a_new_rule_is_paid_and_booked_every_month():
    books = Books()
    model = CareMarket(small("jamtland-2020", months=12), observers=(books,), rules=RULES)
    model.run()
    assert books.months == 12  # observers watch the reported months


def test_a_new_rule_is_reported_and_printed():
    result = run(small("jamtland-2020", months=12), rules=RULES)
    years = result.clinic_years
    clinics = years[years["owner"] != "digital"]
    assert np.allclose(clinics["income_grant_sek"], ClinicGrant.SEK_PER_MONTH * clinics["grant_months"])
    assert (clinics.loc[clinics["open"], "grant_months"] == 12).all()
    by_item = sum(years[f"income_{item}_sek"] for item in (*(rule.item for rule in result.rules), "patient_fees"))
    assert np.allclose(by_item, years["revenue_sek"], rtol=1e-9, atol=1e-3)  # the grant is revenue, item by item
    summary = result.summary
    assert summary["clinic_income_share_grant"] > 0
    assert summary["grant_per_clinic_year_sek"] == pytest.approx(12 * ClinicGrant.SEK_PER_MONTH)
    printed = _summary_table(summary, result.rules)
    assert "a toy grant" in printed and "Toy grant per clinic-year, SEK" in printed and "120,000" in printed
    documented = rules_markdown(RULES)
    assert "`income_grant_sek`" in documented and "`grant_months`" in documented and "`grant_per_clinic_year_sek`" in documented


def test_without_the_rule_nothing_of_it_appears():
    result = run(small("jamtland-2020", months=12))
    assert "clinic_income_share_grant" not in result.summary and "income_grant_sek" not in result.clinic_years
    assert "a toy grant" not in _summary_table(result.summary, result.rules)


def test_sparsity_by_catchment_pays_the_same_pot_to_the_small_centres():
    """The 2021 majority's sparsity supplement: by each centre's catchment, from what the distance rule would pay."""
    by_distance = run(small("jamtland-2020", months=12)).clinic_years
    by_catchment = run(small("jamtland-2020", months=12, **{"rulebook.sparsity.basis": "catchment"})).clinic_years
    total = lambda years: years["income_sparsity_sek"].sum()  # noqa: E731
    assert total(by_catchment) == pytest.approx(total(by_distance), rel=0.02)  # budget neutral
    paid = by_catchment.set_index("clinic")["income_sparsity_sek"]
    assert paid["Gäddede hälsocentral"] > paid["Svenstavik hälsocentral"] > 0  # the smallest catchments get most
    assert paid["Z-gränd hälsocentral"] == 0 and paid["Frösö hälsocentral"] == 0  # the town's centres none
    per_listed = by_distance.set_index("clinic")["income_sparsity_sek"] / by_distance.set_index("clinic")["listed"]
    assert per_listed["Z-gränd hälsocentral"] < 10 < per_listed["Gäddede hälsocentral"]  # the distance rule: by the listed residents' homes
