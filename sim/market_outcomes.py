"""What the market did over a run: entries and exits by area type, supply per resident, who is listed where.

All figures describe the end of the run unless named otherwise; entries and exits count
those since reporting started.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.geography import AREA_TYPES

MARKET_OUTCOMES = (
    "clinic_entries",
    *(f"entries_{t}" for t in AREA_TYPES),
    *(f"exits_{t}" for t in AREA_TYPES),
    *(f"clinics_per_10000_{t}" for t in AREA_TYPES),
    "areas_without_clinic",
    "private_share_listed",
    "mean_list_size",
    "risk_selection_index",
    "selection_effort_mean",
    "entrant_area_cni_index",
    "private_share_top_income",
    "private_share_bottom_income",
    "private_listing_income_gap",
    "capitation_level_final",
    "income_change_sd",
)


def area_cni_index(model) -> np.ndarray:
    """Each area's mean Care Need Index score over the region's mean (above 1: more need than the region)."""
    pop = model.population
    score = pop.cni_score.astype(np.float64)
    areas = len(model.geography.area_names)
    return np.bincount(pop.area, weights=score, minlength=areas) / np.maximum(np.bincount(pop.area, minlength=areas), 1) / score.mean()


def market_outcomes(model, clinic_years: pd.DataFrame) -> dict[str, float | None]:
    """The market outcomes of a finished run (MARKET_OUTCOMES); docs/outputs.md defines each."""
    pop, geo = model.population, model.geography
    clinics = [c for c in model.clinics if c.open]
    private = model.providers_table.is_owner("private")
    area_residents = np.bincount(pop.area, minlength=len(geo.area_names))
    out: dict[str, float | None] = {"clinic_entries": len(model.entries)}
    for name, events in (("entries", model.entries), ("exits", model.exits)):
        for t in AREA_TYPES:
            out[f"{name}_{t}"] = sum(model.providers[i].area_type == t for _, i in events)
    for k, t in enumerate(AREA_TYPES):
        residents = area_residents[geo.area_type == k].sum()
        count = sum(c.area_type == t for c in clinics)  # each stands for 1 / clinic_scale of the sampled residents
        out[f"clinics_per_10000_{t}"] = float(count * geo.clinic_scale / residents * 10_000) if residents else None
    with_clinic = set(int(c.area) for c in clinics)
    out["areas_without_clinic"] = int(sum(1 for a in range(len(geo.area_names)) if area_residents[a] > 0 and a not in with_clinic))
    listed = pop.clinic >= 0
    at_private = listed & private[np.maximum(pop.clinic, 0)]
    out["private_share_listed"] = float(at_private.mean())
    out["mean_list_size"] = float(np.mean([model.list_sizes[c.index] for c in clinics]) / geo.clinic_scale) if clinics else None
    last = clinic_years[(clinic_years["owner"] == "private") & clinic_years["open"]] if len(clinic_years) else clinic_years
    if len(last):
        last = last[last["year"] == last["year"].max()]
        out["risk_selection_index"] = float(np.average(last["list_cost_index"], weights=last["listed"])) if last["listed"].sum() > 0 else None
        out["selection_effort_mean"] = float(last["selection_effort"].mean())
    else:
        out["risk_selection_index"] = out["selection_effort_mean"] = None
    entrants = [c for c in model.clinics if c.entrant]
    if entrants:
        index = area_cni_index(model)
        out["entrant_area_cni_index"] = float(np.mean([index[c.area] for c in entrants]))
    else:
        out["entrant_area_cni_index"] = None
    top, bottom = pop.income_quintile == 4, pop.income_quintile == 0
    out["private_share_top_income"] = float(at_private[top].mean()) if top.any() else None
    out["private_share_bottom_income"] = float(at_private[bottom].mean()) if bottom.any() else None
    gap = None if out["private_share_top_income"] is None or out["private_share_bottom_income"] is None else out["private_share_top_income"] - out["private_share_bottom_income"]
    out["private_listing_income_gap"] = gap
    out["capitation_level_final"] = model.region.revision.level
    out["income_change_sd"] = income_change_sd(clinic_years)
    return out


def income_change_sd(clinic_years: pd.DataFrame) -> float | None:
    """How predictable a clinic's income is: the standard deviation over clinic-years of the relative change of its
    revenue per listed resident from its previous full year (clinics, not the digital provider, listing in both)."""
    if not len(clinic_years):
        return None
    full = clinic_years[(clinic_years["owner"] != "digital") & (clinic_years["months"] == 12) & (clinic_years["listed"] > 0)]
    per_listed = full.assign(sek=full["revenue_sek"] / full["listed"]).pivot_table(index="index", columns="year", values="sek")
    change = (per_listed / per_listed.shift(1, axis=1) - 1).to_numpy().ravel()
    change = change[np.isfinite(change)]
    return float(np.std(change, ddof=1)) if len(change) > 1 else None
