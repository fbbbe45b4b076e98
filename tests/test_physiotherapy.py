"""The physiotherapy care choice (sim/physiotherapy.py): providers chosen per episode beside the health centres, paid
by the region's physiotherapy rulebook, the national tariff's providers by the centres or a central budget."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from conftest import small
from sim.runner import run

REVISION = {
    "rulebook.physiotherapy.fixed_sek_per_fte_per_year": 630000,
    "rulebook.physiotherapy.per_visit_sek": 215,
    "rulebook.physiotherapy.min_unique_patients_per_fte": 300,
    "rulebook.physiotherapy.no_show_fee_sek": 200,
}


@functools.cache
def physio(**values):
    return run(small("physiotherapy-2024", months=36, **values)).summary


def test_the_region_pays_for_physiotherapy_what_its_providers_are_paid_and_the_centres_are_left_alone():
    central = {"rulebook.physiotherapy.tariff_paid_by": "region", "market.costs.foot_care_sek_per_eligible_per_year": 0}
    with_physio = run(small("physiotherapy-2024", **central))
    without = run(small("physiotherapy-2024", **central, **{"market.physiotherapy.enabled": False}))
    s, w = with_physio.summary, without.summary
    assert s["physio_visits_per_1000"] > 100 and w["physio_visits_per_1000"] is None
    extra = s["cost_primary_per_capita_sek"] - w["cost_primary_per_capita_sek"]
    assert abs(extra - s["physio_cost_per_capita_sek"]) < 1e-6 * s["cost_primary_per_capita_sek"]
    pd.testing.assert_frame_equal(with_physio.clinic_years, without.clinic_years)  # choosing per episode lists nobody


def test_centres_cost_responsible_for_the_national_tariff_pay_their_residents_visits_there():
    responsible = physio()
    central = physio(**{"rulebook.physiotherapy.tariff_paid_by": "region"})
    town_apart = physio(**{"rulebook.physiotherapy.tariff_paid_by": "centres_outside_town"})
    paid = lambda s: s["physio_tariff_paid_by_centres_per_capita_sek"]  # noqa: E731
    assert paid(responsible) > paid(town_apart) > 0 and paid(central) == 0
    moved = central["cost_primary_per_capita_sek"] - responsible["cost_primary_per_capita_sek"]  # what the region pays itself instead
    assert abs(moved - paid(responsible)) < 0.2 * paid(responsible)
    assert responsible["physio_tariff_per_listed_cv"] > 0 and central["physio_tariff_per_listed_cv"] is None


def test_foot_care_is_paid_by_the_listing_centre_or_centrally_to_the_krona():
    from sim.market import foot_care_eligible
    from sim.model import CareMarket

    for responsible in (True, False):
        model = CareMarket(small("physiotherapy-2024", **{"rulebook.cost_responsibility.foot_care": responsible}))
        eligible = foot_care_eligible(model.population) & (model.population.clinic >= 0)
        model.ledger.close_month = lambda: None  # keep the month's books open to read them
        model.step()
        month = eligible.sum() * 400 / 12
        centres, region = model.ledger.cost["foot_care"].sum(), model.ledger.region.get("foot_care", 0.0)
        assert np.isclose(centres if responsible else region, month) and (region if responsible else centres) == 0


def test_pay_per_visit_raises_visits_per_episode_and_a_fee_cuts_missed_visits():
    base = physio(**{"rulebook.physiotherapy.min_visits_per_fte": None})
    per_visit = physio(**{"rulebook.physiotherapy.min_visits_per_fte": None, "rulebook.physiotherapy.fixed_sek_per_fte_per_year": 0, "rulebook.physiotherapy.per_visit_sek": 715})
    assert per_visit["physio_overprovision_rate"] > base["physio_overprovision_rate"]
    fee = physio(**{"rulebook.physiotherapy.no_show_fee_sek": 200})
    assert fee["physio_no_show_share"] < physio()["physio_no_show_share"]
    revised = physio(**REVISION)
    assert revised["physio_payment_components"] > physio()["physio_payment_components"]
    assert revised["physio_income_change_sd"] > physio()["physio_income_change_sd"]  # a variable payment is less predictable


def test_a_limit_on_establishment_sends_new_providers_where_supply_is_low():
    free = physio(**{"rulebook.physiotherapy.fixed_sek_per_fte_per_year": 1200000})
    limited = physio(**{"rulebook.physiotherapy.fixed_sek_per_fte_per_year": 1200000, "rulebook.physiotherapy.max_fte_per_10000": 0.5})
    assert free["physio_entries"] > 0
    assert limited["physio_fte_per_10000_town"] < free["physio_fte_per_10000_town"] and limited["physio_fte_per_10000_sparse"] > free["physio_fte_per_10000_sparse"]


def test_an_episode_chooses_among_providers_by_distance_and_wait():
    from sim.model import CareMarket

    model = CareMarket(small("physiotherapy-2024"))
    share = model.physiotherapy._choice()
    assert np.allclose(share.sum(axis=1), 1) and (share[:, ~model.physiotherapy.open] == 0).all()
    assert ((share > 0.05).sum(axis=1) > 1).any()  # not a list: more than one provider draws an area's episodes
    busiest = np.argmax(share[0])
    model.physiotherapy.wait_days[busiest] += 60
    assert model.physiotherapy._choice()[0, busiest] < share[0, busiest] / 2
