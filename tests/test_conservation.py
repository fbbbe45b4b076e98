"""Money and residents are conserved, month by month, and everybody is listed once with an open clinic."""

from __future__ import annotations

import numpy as np
import pytest

from sim.ledger import CATEGORIES, income_items
from sim.payment import rule_classes
from sim.model import CareMarket
from sim.payment.capitation import Capitation
from sim.runner import run

from conftest import small


class Auditor:
    """Checks the books of every month against independent tallies."""

    def __init__(self, model):
        self.months = 0
        self.fees_by_residents = 0.0
        self.fee_revenue = 0.0
        pay_month = model.region.pay_month

        def snapshot_and_pay(ep):
            self.listed_when_paid = model.population.clinic.copy()  # residents may re-list later in the month
            pay_month(ep)

        model.region.pay_month = snapshot_and_pay

    def observe(self, model, ep, fees, cases):
        ledger = model.ledger
        pop = model.population
        rulebook = model.params.rulebook
        # the region's spending by category and cell adds up to its spending by item: what each rule pays by cell
        # (computed apart from what it pays each provider) is the same money
        assert sum(ledger.region_cells[c].sum() for c in CATEGORIES) == pytest.approx(sum(ledger.region.values()), rel=1e-9)
        # hospital spending is the cost of the month's cases
        assert ledger.region["hospital"] == pytest.approx(cases.cost.sum(), rel=1e-9)
        # capitation, recomputed from its definition: budget-neutral, so it sums to scale x fixed x residents, plus the
        # patient fees the region pooled this month, which raise it by exactly what they brought in
        pooled = -ledger.region.get("patient_fees", 0.0)
        if rulebook.capitation.scale > 0:
            cap = rulebook.capitation
            expected = cap.scale * cap.fixed_sek_per_resident * len(pop) / 12
            assert ledger.region["capitation"] - pooled == pytest.approx(expected, rel=1e-5)
            assert ledger.revenue["capitation"].sum() - pooled == pytest.approx(ledger.region["capitation"] - pooled, rel=1e-9)
            per_resident = Capitation(cap).annual_sek(pop) / 12
            by_clinic = np.bincount(self.listed_when_paid, weights=per_resident, minlength=model.n_providers)
            assert np.allclose(ledger.revenue["capitation"], by_clinic * (1 + pooled / by_clinic.sum()), rtol=1e-5, atol=1e-3)
        # fees: what residents paid this month is what providers kept plus what the region pooled
        self.fees_by_residents += fees.sum()
        self.fee_revenue += ledger.revenue["patient_fees"].sum() + pooled
        assert self.fees_by_residents == pytest.approx(self.fee_revenue, rel=1e-9)
        # at the month's visits, pooling leaves the centres' income from capitation and fees as keeping the fees would:
        # the pool pays back to the krona what the centres' residents paid
        if pooled:
            digital = model.digital.index if model.digital is not None else -1
            at_centres = fees[(ep.provider >= 0) & (ep.provider != digital)].sum()
            assert pooled == pytest.approx(at_centres, rel=1e-12, abs=1e-6)
        # nobody pays more than the yearly ceiling
        assert pop.fees_paid.max() <= rulebook.patient_fees.ceiling_sek_per_year + 1e-3
        # everybody is listed once, with an open clinic
        assert (pop.clinic >= 0).all()
        assert np.array([model.providers[c].open for c in np.unique(pop.clinic)]).all()
        assert len(np.unique(pop.pid)) == len(pop)
        self.months += 1


@pytest.mark.parametrize("name", ["jamtland-2020", "fee-for-service", "pay-for-performance", "opposition-2021"])
def test_money_and_listing_every_month(name):
    model = CareMarket(small(name, months=24))
    auditor = Auditor(model)
    model.observers.append(auditor)
    model.run()
    assert auditor.months == 24


def test_residents_are_conserved_through_births_deaths_and_moves():
    model = CareMarket(small("jamtland-2020", months=36))
    model.run(model.warmup)
    start = len(model.population)
    model.run()
    f = model.flows
    assert f["born"] > 0 and f["died"] > 0 and f["moved_in"] > 0 and f["moved_out"] > 0
    assert len(model.population) == start + f["born"] + f["moved_in"] - f["died"] - f["moved_out"]
    assert (model.population.clinic >= 0).all()


class MonthlyResults:
    """Sums each provider's monthly result (revenue minus cost) by reported year."""

    def __init__(self):
        self.by_year = {}

    def observe(self, model, ep, fees, cases):
        year = model.reported_month // 12 + 1
        self.by_year[year] = self.by_year.get(year, 0) + model.ledger.result()


@pytest.mark.parametrize("name", ["jamtland-2020", "pay-for-performance"])
def test_a_clinic_year_is_the_sum_of_its_months(name):
    months = MonthlyResults()
    model = CareMarket(small(name, months=24), observers=(months,))
    model.run()
    for row in model.clinic_years:
        total = months.by_year[row["year"]][row["index"]]
        # the December books hold the year-end settlement and the deficit cover too
        assert total == pytest.approx(row["result_sek"] + row["deficit_cover_sek"], rel=1e-9, abs=1e-3)
        if row["owner"] == "public" and model.params.rulebook.public_deficits_covered:
            assert row["result_sek"] + row["deficit_cover_sek"] >= -1e-6


@pytest.mark.parametrize("name", ["stockholm-urban", "pay-for-performance", "fundholding-step-7"])
def test_a_clinic_years_income_by_item_adds_up_to_its_revenue(name):
    result = run(small(name, months=24))
    years = result.clinic_years
    items = income_items(rule_classes())
    by_item = sum(years[f"income_{item}_sek"] for item in items)
    assert np.allclose(by_item, years["revenue_sek"], rtol=1e-9, atol=1e-3)
    shares = [result.summary[f"clinic_income_share_{item}"] for item in items]
    assert sum(shares) == pytest.approx(1.0)
    paid = {item for item, share in zip(items, shares) if share > 0}
    expected = {"stockholm-urban": {"capitation", "fee_for_service"}, "pay-for-performance": {"capitation", "performance"}, "fundholding-step-7": {"capitation", "fundholding"}}[name]
    assert expected <= paid and "digital_fee" not in paid  # the digital provider is left out of clinics' shares
