"""Doctors as a labour market (sim/labour.py): clinics recruit from their area's job seekers, compete for them, and
hire doctors for what recruitment leaves, up to the region's cap."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import small
from sim.model import CareMarket
from sim.providers import ProviderTable
from sim.runner import run
from sim.scenario import load_scenario

RECRUIT = {"market.staffing.recruitment.enabled": True}


def market_and_table(posts, permanent, areas, owners=None, margins=None):
    """A labour market on the default region and a provider table of clinics in the given areas."""
    scenario = load_scenario("jamtland-2020", RECRUIT)
    model = CareMarket(scenario.model_copy(update={"population": scenario.population.model_copy(update={"residents": 2000})}))
    table = ProviderTable(len(posts))
    table.posts_fte[:] = posts
    table.gp_fte[:] = posts
    table.permanent_fte[:] = permanent
    table.area[:] = areas
    table.open[:] = True
    table.owner[:] = owners or ["public"] * len(posts)
    table.margin[:] = margins or [0.0] * len(posts)
    return model.labour, table


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.1, 20), st.floats(0, 1), st.integers(0, 25)), min_size=1, max_size=12))
def test_an_area_never_hires_more_gps_than_seek_a_post_there(clinics):
    posts = [p for p, _, _ in clinics]
    labour, table = market_and_table(posts, [p * f for p, f, _ in clinics], [a for _, _, a in clinics])
    before = table.permanent_fte.copy()
    hires = labour.flows(table, table.open_clinics())
    area = labour.of_area[table.area]
    hired_by_area = np.bincount(area, weights=hires, minlength=labour.n_areas)
    assert (hires >= 0).all() and (hired_by_area <= labour.seekers_per_month + 1e-12).all()
    assert (table.permanent_fte <= np.maximum(table.posts_fte, before) + 1e-12).all()


def test_clinics_of_one_area_compete_for_its_seekers_and_small_or_loss_making_ones_recruit_worse():
    town = 0  # Östersund centrum: the Östersund labour area
    alone_labour, alone = market_and_table([10.0], [5.0], [town])
    alone_hires = alone_labour.flows(alone, alone.open_clinics())[0]
    labour, table = market_and_table([10.0, 10.0], [5.0, 5.0], [town, 1])  # Odenslund, same labour area
    assert labour.flows(table, table.open_clinics())[0] < alone_hires
    labour, table = market_and_table([10.0, 1.0, 10.0], [5.0, 0.5, 5.0], [town, 1, 2], margins=[0.0, 0.0, -0.05])
    table.posts_fte[1], table.permanent_fte[1] = labour.small_posts / 2, labour.small_posts / 4  # a small clinic
    vacancies = table.posts_fte - table.permanent_fte
    per_vacancy = labour.flows(table, table.open_clinics()) / vacancies
    assert per_vacancy[1] < per_vacancy[0] and per_vacancy[2] < per_vacancy[0]


def test_gps_leave_more_near_the_border_more_under_workload_and_less_at_private_clinics():
    geography_areas = {"Östersund centrum": 0, "Åre": 16}
    labour, table = market_and_table([5.0, 5.0, 5.0], [5.0, 5.0, 5.0], [0, geography_areas["Åre"], 0], owners=["public", "public", "private"])
    base, border, private = labour.turnover_per_year(table)
    assert border > base > private
    table.load[:] = 1.2
    assert labour.turnover_per_year(table)[0] > base


def test_a_stop_on_hired_doctors_leaves_posts_empty_and_access_worse_and_recruiting_clinics_hire_less_than_the_fixed_shares():
    recruiting = run(small("jamtland-2020", **RECRUIT))
    stop = run(small("jamtland-2020", **RECRUIT, **{"rulebook.hired_doctors_cap_share": 0.0}))
    fixed = run(small("jamtland-2020"))
    s = recruiting.summary
    assert s["unfilled_post_share"] < 1e-9 and 0.1 < s["vacancy_share"] < 0.3
    assert stop.summary["unfilled_post_share"] > 0.1 and stop.summary["access_3day_share"] < s["access_3day_share"]
    assert s["hired_gp_share_sparse"] > s["hired_gp_share_town"]
    assert fixed.summary["vacancy_share"] > 0.4 and fixed.summary["months_to_fill_vacancy"] is None  # fixed shares: nobody is recruited
    cy = recruiting.clinic_years
    assert {"vacancy_share", "hires_fte", "usual_gp_share"} <= set(cy.columns)
    clinics = cy[cy["owner"] != "digital"]
    assert np.corrcoef(clinics["vacancy_share"], clinics["usual_gp_share"])[0, 1] < -0.9  # continuity follows who is employed


def test_an_entrant_opens_with_hired_doctors_and_recruits_its_own_over_the_years():
    result = run(small("jamtland-2020", **RECRUIT, months=48, **{"market.entry.profit_threshold": 0.0}))
    entrants = result.clinic_years[result.clinic_years["entrant"]]
    assert len(entrants)
    first = entrants.groupby("clinic")["year"].transform("min") == entrants["year"]
    assert entrants.loc[first, "vacancy_share"].min() > 0.5
    later = entrants.groupby("clinic")["vacancy_share"].last()
    assert (later < entrants.loc[first].set_index("clinic")["vacancy_share"].reindex(later.index)).all()
