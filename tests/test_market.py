"""The market: entry follows expected profit, selection follows the rulebook, listing rules hold, closures relist everyone."""

from __future__ import annotations

import numpy as np
import pytest

from sim.market import entry_prospects
from sim.model import CareMarket

from conftest import small
from test_conservation import Auditor

#: a scenario in which entry is likely: generous capitation on the urban region
GENEROUS = {"population.region": "stockholm", "rulebook.capitation.scale": 1.3}


def entries(**values) -> int:
    model = CareMarket(small("jamtland-2020", months=36, **values))
    model.run()
    return sum(c.opened_month is not None for c in model.clinics)


def test_entry_rises_with_the_capitation_level():
    counts = [entries(**{"population.region": "stockholm", "rulebook.capitation.scale": scale}) for scale in (0.8, 1.0, 1.3)]
    assert counts == sorted(counts) and counts[-1] > counts[0]


def best_entry_area_cni(cni_share: float) -> float:
    """Mean CNI score of the area an entrant would choose, over the region's mean."""
    model = CareMarket(small("jamtland-2020", **{"population.region": "stockholm", "rulebook.capitation.cni_share": cni_share}))
    model.run(12)
    pop = model.population
    score = pop.cni_score.astype(np.float64)
    by_area = np.bincount(pop.area, weights=score) / np.bincount(pop.area)
    margin = entry_prospects(model)["margin"]
    best = np.argsort(-margin)[:3]  # the three best sites
    return float(by_area[best].mean() / score.mean())


def test_age_only_capitation_draws_entrants_to_low_need_areas_and_cni_weighting_to_high_need():
    age_only, cni_weighted = best_entry_area_cni(0.0), best_entry_area_cni(0.5)
    assert age_only < 1.0 < cni_weighted


class ListingWatch:
    """Checks the listing rules every month."""

    def __init__(self):
        self.months = 0
        self.most_switches = 0
        self.most_over_cap = -np.inf
        self.largest_list = 0

    def observe(self, model, ep, fees, cases):
        pop = model.population
        caps = model.region.list_caps()
        lists = np.bincount(pop.clinic, minlength=model.n_providers)
        self.largest_list = max(self.largest_list, int(lists.max()))
        if caps is not None:
            self.most_over_cap = max(self.most_over_cap, float(np.max(lists - np.floor(caps))))
        self.most_switches = max(self.most_switches, int(pop.switches_this_year.max()))
        self.months += 1


def test_a_list_cap_is_never_exceeded():
    # a cap near the town clinics' lists (about 7,000-8,500 at the start): room for everyone nearby, binding in town
    values = {"rulebook.listing.cap_per_clinic": 7_600, "behaviour.choice.reconsider_per_month": 0.1}
    capped, free = CareMarket(small("jamtland-2020", **values)), CareMarket(small("jamtland-2020", **{**values, "rulebook.listing.cap_per_clinic": None}))
    watch, free_watch = ListingWatch(), ListingWatch()
    capped.observers.append(watch)
    free.observers.append(free_watch)
    capped.run()
    free.run()
    assert watch.months == 24
    assert watch.most_over_cap <= 0
    assert free_watch.largest_list > np.floor(capped.region.list_caps()).min()  # without it, a list would pass the cap: it binds


def test_nobody_relists_more_often_than_allowed():
    model = CareMarket(small("jamtland-2020", **{"rulebook.listing.max_switches_per_year": 2, "behaviour.choice.reconsider_per_month": 0.5, "behaviour.choice.inertia": 0.0}))
    watch = ListingWatch()
    model.observers.append(watch)
    model.run()
    assert watch.most_switches == 2  # the limit is reached, and never passed


def test_a_closing_clinics_patients_all_end_up_listed():
    model = CareMarket(small("jamtland-2020"))
    model.run(12)
    pop = model.population
    closing = max((c for c in model.clinics if c.open), key=lambda c: model.list_sizes[c.index])
    before = len(pop)
    model.region.close_clinic(closing, model.month)
    assert len(pop) == before
    assert (pop.clinic >= 0).all()
    assert not (pop.clinic == closing.index).any()
    assert all(model.providers[c].open for c in np.unique(pop.clinic))


def test_geographic_sub_areas_keep_town_residents_in_town():
    model = CareMarket(small("jamtland-2020", **{"rulebook.listing.sub_areas": "town_and_rest", "behaviour.choice.reconsider_per_month": 0.2}))
    model.run()
    pop = model.population
    town = np.array([c.area_type == "town" for c in model.providers])
    assert (town[pop.clinic] == (pop.area_type == 0)).all()


def test_money_and_patients_are_conserved_through_entry_and_exit():
    model = CareMarket(small("jamtland-2020", months=48, **GENEROUS, **{"market.exit.loss_share": 0.0, "market.exit.loss_years": 1}))
    auditor = Auditor(model)
    model.observers.append(auditor)
    model.run(model.warmup)
    start = len(model.population)
    model.run()
    f = model.flows
    assert len(model.entries) > 0, "the scenario should see entry"
    assert auditor.months == 48
    assert len(model.population) == start + f["born"] + f["moved_in"] - f["died"] - f["moved_out"]


def test_risk_adjustment_weakens_selection():
    """Efforts follow the spread of profit between residents: capitation by morbidity narrows it."""
    def effort(**values):
        model = CareMarket(small("jamtland-2020", **{"population.region": "stockholm", **values}))
        return np.mean([c.selection_effort for c in model.clinics if c.open and c.owner == "private"])

    assert effort(**{"rulebook.capitation.morbidity_share": 0.5}) < effort()


@pytest.mark.parametrize("name", ["majority-2021", "opposition-2021", "digi-physical-2019", "centre-volume-requirements", "dala-model", "stockholm-urban", "yearly-revision", "digital-fee-2016"])
def test_every_rulebook_runs(name):
    model = CareMarket(small(name, months=12))
    model.run()
    assert (model.population.clinic >= 0).all()
