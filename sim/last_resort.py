"""The region's last-resort duty [sistahandsansvar]: primary care within reach of every resident, whoever leaves.

Under the Health and Medical Services Act the region must offer primary care to its residents, and under LOV it
offers a care choice; where no provider stays, the region runs the care itself (the Jämtland review, 002 section
5.8). Jämtland keeps a region-run unit in every local care area [närvårdsområde], and when a private centre closed,
its region-run neighbour took over the list. The duty is decided at the year's end, after the clinics' own decisions
to close (``rulebook.last_resort``): the region keeps a closing unit of its own open where that suffices, or opens a
unit in the area on a potential provider's site, and bears the deficits of the units it runs under the duty. What it
costs and where it binds are outputs (``LAST_RESORT_OUTCOMES``; docs/outputs.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: the run summary's outcomes of the duty
LAST_RESORT_OUTCOMES = ("last_resort_units", "last_resort_cost_per_capita_sek", "areas_beyond_reach")


@dataclass(frozen=True)
class Duty:
    """What the duty asks at a year's end: the closing clinics the region keeps open, and the units it opens (each
    an area and the visits a year it staffs for: those of the clinics closing there)."""

    kept: list
    new_units: list[tuple[int, float]]


def duty_at_year_end(model, closing: list) -> Duty:
    """The duty at a year's end, given the clinics that would close (``closing``)."""
    rules = model.params.rulebook.last_resort
    geo, table = model.geography, model.providers_table
    staying = table.open_clinics()
    staying[[c.index for c in closing]] = False
    public = table.is_owner("public")
    local_area = np.where(table.area >= 0, geo.local_area[np.maximum(table.area, 0)], -1)
    left = list(closing)
    kept: list = []
    new_units: list[tuple[int, float]] = []

    def keep(clinic) -> None:
        kept.append(clinic)
        left.remove(clinic)
        staying[clinic.index] = True

    def open_unit(area: int) -> None:
        new_units.append((area, sum(c.demand_year for c in left if c.area == area)))

    if rules.own_unit_per_local_area:  # a region-run unit in every local care area the preset names
        for la in range(len(geo.local_area_names)):
            if (staying & public & (local_area == la)).any() or any(geo.local_area[a] == la for a, _ in new_units):
                continue
            own = [c for c in left if c.owner == "public" and local_area[c.index] == la]
            if own:
                keep(max(own, key=lambda c: model.list_sizes[c.index]))
            else:
                areas = np.flatnonzero(geo.local_area == la)
                open_unit(int(areas[np.argmax(geo.residents[areas])]))
    if rules.max_km is not None:  # no area farther from care than the region accepts
        while len(beyond := areas_beyond(geo, np.concatenate([table.area[staying], [a for a, _ in new_units]]), rules.max_km)):
            area = int(beyond[np.argmax(geo.residents[beyond])])
            own = [c for c in left if c.owner == "public" and geo.road_km[area, c.area] <= rules.max_km]
            if own:
                keep(min(own, key=lambda c: geo.road_km[area, c.area]))
            else:
                open_unit(area)
    if left and not staying.any() and not new_units:  # never the last clinic: the region takes over the largest
        keep(max(left, key=lambda c: model.list_sizes[c.index]))
    return Duty(kept, new_units)


def areas_beyond(geo, sites: np.ndarray, max_km: float) -> np.ndarray:
    """The areas with residents whose centre is farther than ``max_km`` by road from every clinic site (areas)."""
    sites = np.asarray(sites, dtype=np.int64)
    nearest = geo.road_km[:, sites].min(axis=1) if len(sites) else np.full(len(geo.area_names), np.inf)
    return np.flatnonzero((geo.residents > 0) & (nearest > max_km))


def outcomes(model, clinic_years: pd.DataFrame) -> dict[str, float | None]:
    """``last_resort_units``: the units the region ran under the duty at some time in the reported years;
    ``last_resort_cost_per_capita_sek``: its cover of their deficits, SEK per resident and year;
    ``areas_beyond_reach``: areas with residents farther than ``max_km`` from an open clinic at the end (None
    without a distance rule)."""
    rows = clinic_years[clinic_years["last_resort"]] if len(clinic_years) else clinic_years
    resident_years = float((clinic_years["listed"] * clinic_years["months"] / 12).sum()) if len(clinic_years) else 0.0
    max_km = model.params.rulebook.last_resort.max_km
    table = model.providers_table
    sites = table.area[table.open_clinics()]
    return {
        "last_resort_units": int(rows["index"].nunique()) if len(rows) else 0,
        "last_resort_cost_per_capita_sek": float(rows["deficit_cover_sek"].sum() / resident_years) if resident_years else None,
        "areas_beyond_reach": int(len(areas_beyond(model.geography, sites, max_km))) if max_km is not None else None,
    }
