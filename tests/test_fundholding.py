"""Fundholding: shadow accounts move no money, referrals fall, safeguards and size lower the risk, money is conserved."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import run
from sim.model import CareMarket
from sim.risk import list_size_risk
from sim.risk_adjustment import fit

from conftest import small

STEP7 = {"rulebook.fundholding.step": "7", "months": 24}


@pytest.fixture(scope="module")
def step7():
    return run(small("jamtland-2020", **STEP7))


def test_shadow_accounts_move_no_money_but_are_reported():
    plain = run(small("jamtland-2020", months=24))
    shadow = run(small("jamtland-2020", months=24, **{"rulebook.fundholding.step": "2"}))
    pd.testing.assert_frame_equal(plain.monthly, shadow.monthly)
    assert plain.summary["cost_per_capita_sek"] == shadow.summary["cost_per_capita_sek"]
    for column in ("revenue_sek", "result_sek", "deficit_cover_sek"):
        assert np.array_equal(plain.clinic_years[column], shadow.clinic_years[column])
    clinics = shadow.clinic_years[shadow.clinic_years["owner"] != "digital"]
    assert (clinics["fundholding_budget_sek"] > 0).all() and (clinics["fundholding_billed_sek"] > 0).all()
    assert plain.clinic_years["fundholding_budget_sek"].isna().all()


def test_full_fundholding_cuts_referrals_and_raises_under_referral(step7):
    capitation = run(small("jamtland-2020", months=24)).summary
    assert step7.summary["referrals_per_1000"] < 0.95 * capitation["referrals_per_1000"]
    assert step7.summary["underreferral_rate"] > capitation["underreferral_rate"]
    assert step7.summary["hospital_cost_per_case_sek"] > capitation["hospital_cost_per_case_sek"]  # fixed costs over fewer cases


def test_budgets_pay_for_the_reference_year_and_results_are_booked(step7):
    clinics = step7.clinic_years[(step7.clinic_years["owner"] != "digital") & (step7.clinic_years["months"] == 12)]
    budget = clinics["fundholding_budget_sek"].sum()
    assert budget == pytest.approx(clinics["fundholding_billed_sek"].sum(), rel=0.25)
    assert np.allclose(clinics["fundholding_result_sek"], clinics["fundholding_budget_sek"] - clinics["fundholding_billed_sek"] + clinics["fundholding_settlement_sek"])


class HospitalAuditor:
    """Every month: the hospital's prices are paid in full, by the region and the fundholders."""

    def __init__(self):
        self.months = 0

    def observe(self, model, ep, fees, cases):
        ledger = model.ledger
        paid_by_clinics = ledger.cost["hospital_bills"].sum() if "hospital_bills" in ledger.cost else 0.0
        assert ledger.region["hospital"] + paid_by_clinics == pytest.approx(cases.cost.sum(), rel=1e-9)
        assert ledger.hospital_revenue == pytest.approx(cases.cost.sum(), rel=1e-9)
        for item, revenue in ledger.revenue.items():
            if item != "patient_fees":
                assert ledger.region[item] == pytest.approx(revenue.sum(), rel=1e-9, abs=1e-6)
        self.months += 1


@pytest.mark.parametrize("safeguards", [{}, {"rulebook.fundholding.stop_loss_sek": 100000, "rulebook.fundholding.carve_out_rare": True, "rulebook.fundholding.pool_min_list": 6000}])
def test_money_is_conserved_between_region_clinics_pools_and_hospital(safeguards):
    auditor = HospitalAuditor()
    model = CareMarket(small("jamtland-2020", **STEP7, **safeguards), observers=(auditor,))
    model.run()
    assert auditor.months == 24
    rows = pd.DataFrame(model.clinic_years)
    full = rows[rows["months"] == 12]
    # pooling and a full-keep corridor only move money between the members of a pool: settlements sum to zero
    assert full.groupby("year")["fundholding_settlement_sek"].sum().abs().max() < 1e-3 * full["fundholding_budget_sek"].sum()


def test_reinsurance_and_pooling_lower_the_variance_of_a_fundholders_result():
    alone = run(small("jamtland-2020", **STEP7)).summary
    reinsured = run(small("jamtland-2020", **STEP7, **{"rulebook.fundholding.stop_loss_sek": 100000})).summary
    pooled = run(small("jamtland-2020", **STEP7, **{"rulebook.fundholding.pool_min_list": 8000})).summary
    assert reinsured["result_cv[list_size=1000]"] < alone["result_cv[list_size=1000]"]
    assert reinsured["fundholder_result_cv"] < alone["fundholder_result_cv"]
    assert pooled["fundholder_result_cv"] < alone["fundholder_result_cv"]


def test_sharing_the_risk_softens_the_price_of_a_referral(step7):
    """A corridor (the clinic bears half) or a pool (it bears its list's share) halves or splits the marginal price."""
    corridor = run(small("jamtland-2020", **STEP7, **{"rulebook.fundholding.surplus_kept": 0.5, "rulebook.fundholding.deficit_borne": 0.5})).summary
    pooled = run(small("jamtland-2020", **STEP7, **{"rulebook.fundholding.pool_min_list": 8000})).summary
    for shared in (corridor, pooled):
        assert shared["referrals_per_1000"] > step7.summary["referrals_per_1000"]
        assert shared["underreferral_rate"] < step7.summary["underreferral_rate"]


def test_without_deficit_cover_a_public_clinic_that_keeps_losing_closes():
    harsh = {"months": 36, "rulebook.capitation.fixed_sek_per_resident": 2800}  # many clinics lose money
    covered = run(small("jamtland-2020", **harsh)).clinic_years
    uncovered = run(small("jamtland-2020", **harsh, **{"rulebook.public_deficits_covered": False})).clinic_years
    public = lambda rows: rows[(rows["owner"] == "public") & ~rows["last_resort"]]  # noqa: E731  (the duty's units: tests/test_last_resort.py)
    assert public(covered)["deficit_cover_sek"].gt(0).any() and public(covered)["open"].all()
    assert public(uncovered)["deficit_cover_sek"].eq(0).all() and not public(uncovered)["open"].all()


def test_the_risk_of_a_deficit_falls_with_list_size(step7):
    sizes = (1000, 2000, 5000, 10000, 20000, 50000, 100000)
    cv = [step7.summary[f"result_cv[list_size={n}]"] for n in sizes]
    large = [step7.summary[f"p_deficit_over_10pct[list_size={n}]"] for n in sizes]
    five = {n: step7.summary[f"p_deficit_over_5pct[list_size={n}]"] for n in sizes}
    assert all(a > b for a, b in zip(cv, cv[1:]))
    assert all(a >= b for a, b in zip(large, large[1:])) and large[0] > large[-1]
    assert five[1000] > five[10000] > five[100000]  # between neighbouring sizes a small region's sample may turn it


def test_list_size_risk_follows_the_square_root_law():
    """Independent residents: the spread of a list's result falls as one over the root of its size."""
    rng = np.random.default_rng(0)
    cost = rng.lognormal(8, 1.5, 200_000)
    table = list_size_risk(np.full(len(cost), cost.mean()), cost, rng.integers(0, 20, len(cost)), rng.random((20, 20)), np.random.default_rng(1))
    ratio = table.set_index("list_size")["result_cv"]
    assert ratio[1000] / ratio[100000] == pytest.approx(10, rel=0.15)


def test_risk_adjustment_recovers_known_relative_costs():
    rng = np.random.default_rng(3)
    n = 300_000
    cls = {"age_sex": rng.integers(0, 42, n), "cni": rng.integers(0, 3, n), "morbidity": rng.integers(0, 4, n)}
    truth = 1000 * np.exp(0.04 * cls["age_sex"]) * np.array([1.0, 1.3, 1.8])[cls["cni"]] * np.array([1.0, 2.0, 3.0, 5.0])[cls["morbidity"]]
    cost = rng.exponential(truth)
    model = fit("age_sex_cni_morbidity", cls, cost)
    assert np.exp(model.coefficients["morbidity"]) == pytest.approx([1.0, 2.0, 3.0, 5.0], rel=0.05)
    assert np.exp(model.coefficients["cni"]) == pytest.approx([1.0, 1.3, 1.8], rel=0.05)
    assert model.expected(cls).sum() == pytest.approx(cost.sum(), rel=1e-6)  # a Poisson fit returns the total


def test_lists_keep_their_clinics_mix_so_risk_adjustment_matters():
    """Two distant clinics of 50,000 whose residents cost 1,000 and 3,000 on average: a flat budget leaves
    each list of 20,000 far off; a budget that knows the difference does not."""
    rng = np.random.default_rng(5)
    clinic = np.repeat([0, 1], 50_000)
    cost = rng.exponential(np.where(clinic == 0, 1000.0, 3000.0))
    far_apart = np.array([[0.0, 100.0], [100.0, 0.0]])
    flat = list_size_risk(np.full(len(cost), cost.mean()), cost, clinic, far_apart, np.random.default_rng(6)).set_index("list_size")
    adjusted = list_size_risk(np.where(clinic == 0, 1000.0, 3000.0), cost, clinic, far_apart, np.random.default_rng(6)).set_index("list_size")
    assert flat.loc[20000, "result_cv"] > 0.3 and adjusted.loc[20000, "result_cv"] < 0.03


def test_a_hospital_bill_moves_referrals_only_as_far_as_it_reaches_the_physician():
    """Full fundholding, the share of a bill reaching every centre's referral decision at nothing, half and all."""
    shares = {}
    for weight in (0.0, 0.5, 1.0):
        weights = {f"behaviour.referral.result_weight.{owner}": weight for owner in ("private", "public_covered", "public_uncovered")}
        shares[weight] = run(small("jamtland-2020", **STEP7, **weights)).summary["referrals_per_1000"]
    capitation = run(small("jamtland-2020", months=24)).summary["referrals_per_1000"]
    assert shares[0.0] == pytest.approx(capitation, rel=0.01)  # no price reaches anyone: referrals as today
    assert shares[1.0] < shares[0.5] < shares[0.0]


def test_historic_budgets_raise_referrals_in_the_preparatory_year_and_a_formula_does_not():
    """With entry in reported year 2, the UK rule's year 1 is its preparatory year: with budgets from each centre's own spending in it, a
    referral adds its price to next year's budget; with the region's formula, the year is today's rule to the referral."""
    def year(name, **values):
        yearly = run(small(name, months=24, **values)).yearly
        return yearly[(yearly["group_by"] == "total")].set_index("year")

    preparatory = {"rulebook.fundholding.entry_year": 2}
    today, historic = year("jamtland-2020"), year("fundholding-uk-1991", **preparatory)
    formula = year("fundholding-uk-1991", **preparatory, **{"rulebook.fundholding.budget_basis": "formula"})
    assert formula.loc[1, "referrals"] == today.loc[1, "referrals"]
    assert historic.loc[1, "referrals"] > 1.02 * today.loc[1, "referrals"]
    assert historic.loc[2, "referrals"] < historic.loc[1, "referrals"]  # from entry the referral is a cost
