"""The hospital's cases: routes drawn from need, age and sex; each fundholding step pays exactly the routes it names."""

from __future__ import annotations

import numpy as np
import pytest

from sim.hospital import ELECTIVE, MATERNITY, ROUTES, TRAUMA
from sim.model import CareMarket
from sim.payment.fundholding import Fundholding
from sim.runner import run

from conftest import small


class ScopeAuditor:
    """Every month: the routes of the cases whose price falls within the step's scope, and of all cases."""

    def __init__(self):
        self.in_scope, self.all = set(), set()

    def observe(self, model, ep, fees, cases):
        fundholding = next(rule for rule in model.region.rules if isinstance(rule, Fundholding))
        covered = fundholding.in_scope_sek(cases) > 0
        self.in_scope |= {ROUTES[r] for r in np.unique(cases.route[covered])}
        self.all |= {ROUTES[r] for r in np.unique(cases.route)}


@pytest.mark.parametrize("step, routes", [("6", {"elective"}), ("3b", {"elective"}), ("7", set(ROUTES))])
def test_planned_care_leaves_emergencies_injuries_deliveries_and_rare_diseases_with_the_region(step, routes):
    auditor = ScopeAuditor()
    CareMarket(small("jamtland-2020", months=12, **{"rulebook.fundholding.step": step}), observers=(auditor,)).run()
    assert auditor.all == set(ROUTES)  # every kind of care happens
    assert auditor.in_scope == routes


def test_deliveries_follow_the_birth_rate_and_injuries_rise_with_age():
    result = run(small("jamtland-2020", months=24))
    births = result.scenario.population.demography.birth_rate_per_1000
    assert result.summary["deliveries_per_1000"] == pytest.approx(births, rel=0.2)
    by_age = result.by_group[result.by_group["group_by"] == "age_group"].set_index("group")
    assert by_age.loc["80+", "injury_admissions_per_1000"] > 3 * by_age.loc["20-64", "injury_admissions_per_1000"]
    assert by_age.loc["20-64", "deliveries_per_1000"] > 0 and by_age.loc["80+", "deliveries_per_1000"] == 0


class CaseAuditor:
    def __init__(self):
        self.cases = []

    def observe(self, model, ep, fees, cases):
        pop = model.population
        self.cases.append((cases.route, pop.male[cases.row], cases.inpatient))


def test_only_women_deliver_and_every_delivery_and_injury_admission_is_an_inpatient_stay():
    auditor = CaseAuditor()
    CareMarket(small("jamtland-2020", months=12), observers=(auditor,)).run()
    route, male, inpatient = (np.concatenate(x) for x in zip(*auditor.cases))
    assert not male[route == MATERNITY].any() and inpatient[route == MATERNITY].all()
    assert 0 < inpatient[route == TRAUMA].mean() < 0.5  # most injuries are treated and sent home
    assert (route == ELECTIVE).sum() > (route == TRAUMA).sum()
