"""The region's last-resort duty [sistahandsansvar]: care within reach wherever providers leave, at the region's cost."""

from __future__ import annotations

import numpy as np

from conftest import small
from sim.model import CareMarket
from sim.runner import run

#: public centres lose money and their deficits are not covered: without the duty, sparse areas empty
HARSH = {"months": 36, "rulebook.capitation.fixed_sek_per_resident": 2800, "rulebook.public_deficits_covered": False}


def test_every_local_care_area_keeps_a_region_run_unit_and_the_region_pays_for_it():
    result = run(small("jamtland-2020", **HARSH))
    without = run(small("jamtland-2020", **HARSH, **{"rulebook.last_resort.own_unit_per_local_area": False}))
    last = lambda r: r.clinic_years[r.clinic_years["year"] == r.clinic_years["year"].max()]  # noqa: E731
    local_areas = {"Östersund": "Östersund centrum", "Bräcke": "Bräcke", "Ragunda": "Hammarstrand"}
    assert (without.clinic_years["deficit_cover_sek"] == 0).all() and without.summary["last_resort_units"] == 0
    assert result.summary["last_resort_units"] > 0 and result.summary["last_resort_cost_per_capita_sek"] > 0
    kept = result.clinic_years[result.clinic_years["last_resort"]]
    assert (kept["owner"] == "public").all() and (kept["deficit_cover_sek"] >= 0).all()
    public_open = last(result)[(last(result)["owner"] == "public") & last(result)["open"]]
    assert len(public_open) >= len(local_areas)  # Bräcke and Ragunda each have one centre only: the duty keeps it
    names = set(public_open["clinic"])
    assert {"Bräcke hälsocentral", "Hammarstrand hälsocentral"} <= names
    assert not {"Bräcke hälsocentral", "Hammarstrand hälsocentral"} <= set(last(without)[(last(without)["owner"] == "public") & last(without)["open"]]["clinic"])


def test_no_area_is_left_farther_than_the_region_accepts():
    values = {**HARSH, "rulebook.last_resort.own_unit_per_local_area": False, "rulebook.last_resort.max_km": 40}
    with_duty = run(small("jamtland-2020", **values))
    without = run(small("jamtland-2020", **{**values, "rulebook.last_resort.max_km": 500}))
    assert with_duty.summary["areas_beyond_reach"] == 0
    assert with_duty.summary["last_resort_units"] > without.summary["last_resort_units"]
    assert with_duty.summary["share_over_30km_from_clinic"] <= without.summary["share_over_30km_from_clinic"]


def test_non_choosers_go_to_the_regions_own_units_under_the_competition_authoritys_reading():
    model = CareMarket(small("jamtland-2020", **{"rulebook.last_resort.non_choosers": "own_units"}))
    pop, public = model.population, model.providers_table.is_owner("public")
    assert public[pop.clinic[~pop.active_chooser]].all()
    nearest = CareMarket(small("jamtland-2020"))
    assert not nearest.providers_table.is_owner("public")[nearest.population.clinic[~nearest.population.active_chooser]].all()
    assert np.mean(public[pop.clinic]) > np.mean(nearest.providers_table.is_owner("public")[nearest.population.clinic])
