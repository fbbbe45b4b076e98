"""Same scenario and seed give the same results; scenarios with one seed face the same illnesses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import run
from sim.model import CareMarket
from sim.needs import arrive

from conftest import small


def test_same_seed_same_results():
    a = run(small("jamtland-2020", months=12))
    b = run(small("jamtland-2020", months=12))
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    pd.testing.assert_frame_equal(a.clinic_years, b.clinic_years)
    assert a.summary == b.summary


def test_another_seed_gives_other_results():
    a = run(small("jamtland-2020", months=12, seed=1))
    b = run(small("jamtland-2020", months=12, seed=2))
    assert a.summary["undertreatment_rate"] != b.summary["undertreatment_rate"]


def first_month_needs(name):
    model = CareMarket(small(name, warmup_months=0))
    pop = model.population
    u_needs, _, _ = model.streams.uniforms("resident month", pop.pid, 0, parts=3)
    ep = arrive(pop, model.params.population.needs, model.streams, 0, u_needs)
    return pop, ep


def test_payment_rules_face_the_same_residents_and_illnesses():
    pop_a, ep_a = first_month_needs("jamtland-2020")
    pop_b, ep_b = first_month_needs("fee-for-service")
    assert np.array_equal(pop_a.pid, pop_b.pid) and np.array_equal(pop_a.age, pop_b.age)
    assert np.array_equal(pop_a.conditions, pop_b.conditions)
    assert np.array_equal(ep_a.pid, ep_b.pid)
    assert np.array_equal(ep_a.q_star, ep_b.q_star)
    assert np.array_equal(ep_a.needs_specialist, ep_b.needs_specialist)


def test_an_illness_belongs_to_a_resident_not_to_a_row():
    """A resident's draws depend on their id and the month, not on who else is in the population."""
    model = CareMarket(small("jamtland-2020", warmup_months=0))
    pop = model.population
    everyone = model.streams.uniform("needs", pop.pid, 5)
    some = pop.pid[::7]
    assert np.array_equal(model.streams.uniform("needs", some, 5), everyone[::7])
