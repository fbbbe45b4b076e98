"""Generate the Swedish region presets (``sim/regions/se-CC-name.yaml``) from the data files shipped beside them.

    python -m sim.regions.generate            # writes the presets; prints what stands in for figures not found

``data/sweden-regions.csv`` gives each region's residents, share aged 65+, land area, municipalities, largest
municipality, health centres, private share and acute hospitals, each with its source and confidence label
(``docs/domain/sweden-regions.md``); ``data/seats.csv`` the coordinates of each region's seat (RECALLED). No source
gives every region's municipalities with their residents and positions, so each preset is a stand-in geography built
from the region's own totals, and says so in its header:

- **the seat's municipality** (the largest) is town areas of about 10,000 residents each, around the seat;
- **every other municipality** is one area with an equal share of the rest of the region's residents, placed on a
  golden-angle spiral around the seat so that the areas fill a disc of the region's land area; outside the largest
  municipality a region with fewer than 10 residents per km² has sparse areas, with 100 or more town areas (suburbs),
  else rural ones;
- **health centres** go to areas in proportion to their residents, at least one in each municipality while centres
  last; the region's private share of them stands in the largest areas first (private centres open in towns: E19);
- **the hospital** stands in the seat; age shares follow the region's share aged 65 and over, split as the nation's.

The Jämtland preset (``jamtland.yaml``) keeps its own detail and is not generated.

It also writes **each region's own rulebook** as a scenario (``scenarios/region-CC-name.yaml``) from
``data/payment-models.csv`` (``docs/domain/payment-models.md``): Jämtland 2020's rulebook (``jamtland-2020``) with the
region's own figures where they are found, each labelled in the file, and Jämtland's where not:

- **the patient fee** per doctor visit (found for all 21);
- **the blend**: a capitation share c and a visit-fee share v of the centres' income move that share from capitation
  to fees per visit, budget-neutral at the model's volumes (capitation scaled by c / 0.9, Jämtland's own share; the
  fees at 400 : 250 SEK per doctor : nurse visit times v / 0.9 x 3,205 / 920, the fees that paid 920 SEK per resident
  and year against a capitation of 3,205 on the Stockholm preset, ``scenarios/stockholm-urban.yaml``: DERIVED);
  Stockholm's own fee of 115 SEK per visit where it is READ;
- **the CNI share** of capitation, and **the morbidity (ACG) share** where the region pays by ACG (its share where
  READ, else the 25 % that ``stockholm-urban`` assumes);
- **goal-related pay** where its share is READ (Gävleborg's 3 %: the pay-for-performance pool at its default).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import yaml

from sim.geography import largest_remainder

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SCENARIOS = HERE.parents[1] / "scenarios"
DETAILED = {"23": "jamtland"}  # regions with a hand-made preset of their own
TOWN_AREA_RESIDENTS = 10_000  # residents per town area of the seat's municipality (assumption)
SPARSE_DENSITY = 10.0  # residents per km² outside the largest municipality below which its areas are sparse (assumption)
SUBURBAN_DENSITY = 100.0  # ... and from which they are town areas, suburbs (assumption)
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
#: stand-ins where a region's figure is not found (docs/domain/sweden.md)
NATIONAL_SHARE_65PLUS = 0.205  # 2021, READ (secondary), sweden.md 1.2
NATIONAL_PRIVATE_SHARE = 0.45  # 2021, READ, sweden.md 1.3
LISTED_PER_CENTRE = 8_800  # DERIVED, sweden.md 3
SHARE_0_17 = 0.21  # RECALLED (sweden.md 1.2 gives 0-19 about 22.5 %)
SHARE_80PLUS_OF_65PLUS = 5.3 / 20.3  # RECALLED national split of 65+ into 65-79 and 80+ (sweden.md 1.2)
ROAD_FACTOR = 1.3  # road over straight-line distance (assumption, as the presets' default)
KM_PER_DEGREE_LAT = 111.0


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def slug(region: str) -> str:
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "Å": "a", "Ä": "a", "Ö": "o", " ": "-"})
    return region.translate(table).lower()


def number(row: dict, field: str) -> float | None:
    value = row.get(field, "").strip()
    return float(value) if value else None


def preset(row: dict, seat: dict) -> tuple[dict, list[str]]:
    """One region's preset (a RegionSpec mapping) and the stand-ins it needed."""
    stand_ins = []
    residents = int(number(row, "residents"))
    land = number(row, "land_km2")
    municipalities = int(number(row, "municipalities"))
    largest = number(row, "largest_municipality_residents")
    if largest is None:
        largest = residents / municipalities * 3
        stand_ins.append("largest municipality's residents: three times the mean municipality's")
    share65 = number(row, "share_65plus")
    if share65 is None:
        share65 = NATIONAL_SHARE_65PLUS
        stand_ins.append("share aged 65+: the nation's 20.5 %")
    centres = number(row, "centres")
    if centres is None:
        centres = round(residents / LISTED_PER_CENTRE)
        stand_ins.append(f"health centres: residents / {LISTED_PER_CENTRE:,} listed per centre")
    private = number(row, "private_share")
    if private is None:
        private = NATIONAL_PRIVATE_SHARE
        stand_ins.append("private share: the nation's 45 %")
    lat0, lon0 = float(seat["lat"]), float(seat["lon"])
    km_per_degree_lon = KM_PER_DEGREE_LAT * math.cos(math.radians(lat0))
    areas = []
    n_town = max(1, round(largest / TOWN_AREA_RESIDENTS))
    town_residents = _split(int(round(largest)), n_town)
    seat_name = row.get("largest_municipality") or seat["seat"]
    for k, people in enumerate(town_residents):
        angle, radius = k * GOLDEN_ANGLE, 2.0 * math.sqrt(k)  # town areas within a few km of the seat
        areas.append(_area(f"{seat_name} {k + 1}" if n_town > 1 else seat_name, lat0, lon0, radius, angle, km_per_degree_lon, people, "town", 1.5, seat_name))
    rest_people = residents - int(round(largest))
    others = municipalities - 1
    if others > 0 and rest_people > 0:
        rest_land = max(land - land / municipalities, 1.0)
        density = rest_people / rest_land
        kind = "sparse" if density < SPARSE_DENSITY else "town" if density >= SUBURBAN_DENSITY else "rural"
        disc = math.sqrt(land / math.pi)
        spread = math.sqrt(rest_land / others / math.pi) / 2
        for k, people in enumerate(_split(rest_people, others)):
            radius = disc * math.sqrt((k + 0.5) / others)
            name = f"{row['region']} municipality {k + 2}"
            areas.append(_area(name, lat0, lon0, radius, (k + 1) * GOLDEN_ANGLE, km_per_degree_lon, people, kind, round(spread, 1), name))
    clinics = _clinics(areas, int(centres), private)
    older = share65
    spec = {
        "name": f"se-{row['code']}-{slug(row['region'])}",
        "description": f"Region {row['region']} ({row['code']}) as a stand-in geography from the region's own totals: {residents:,} residents, "
        f"{len(areas)} areas, {len(clinics)} health centres ({private:.0%} private); generated by python -m sim.regions.generate.",
        "residents": residents,
        "hospital_area": areas[0]["name"],
        "road_factor": ROAD_FACTOR,
        "age_shares": {"0-17": SHARE_0_17, "18-64": round(1 - SHARE_0_17 - older, 4), "65-79": round(older * (1 - SHARE_80PLUS_OF_65PLUS), 4), "80+": round(older * SHARE_80PLUS_OF_65PLUS, 4)},
        "areas": areas,
        "clinics": clinics,
    }
    return spec, stand_ins


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if k < extra else 0) for k in range(parts)]


def _area(name, lat0, lon0, radius_km, angle, km_per_degree_lon, people, kind, spread_km, local_area) -> dict:
    return {
        "name": name,
        "lat": round(lat0 + radius_km * math.sin(angle) / KM_PER_DEGREE_LAT, 4),
        "lon": round(lon0 + radius_km * math.cos(angle) / km_per_degree_lon, 4),
        "residents": int(people),
        "type": kind,
        "spread_km": float(spread_km),
        "local_area": local_area,
    }


def _clinics(areas: list[dict], centres: int, private_share: float) -> list[dict]:
    """Centres in proportion to residents, at least one per municipality while they last; the private ones in the
    largest areas first."""
    people = np.array([a["residents"] for a in areas], float)
    municipalities = list(dict.fromkeys(a["local_area"] for a in areas))
    count = np.zeros(len(areas), int)
    for m in municipalities[:centres]:  # one in each municipality's largest area, the seat's first
        members = [i for i, a in enumerate(areas) if a["local_area"] == m]
        count[max(members, key=lambda i: people[i])] += 1
    left = centres - count.sum()
    quota = np.maximum(people / people.sum() * centres - count, 0)
    if left > 0 and quota.sum() > 0:
        count += largest_remainder(quota, left)
    order = np.argsort(-people)  # the largest areas first
    names = []
    for i in order:
        names += [(areas[i]["name"], k) for k in range(count[i])]
    n_private = int(round(private_share * centres))
    return [{"name": f"{area} vårdcentral {k + 1}", "area": area, "owner": "private" if j < n_private else "public"} for j, (area, k) in enumerate(names)]


JAMTLAND_CAPITATION_SHARE = 0.9  # of a centre's income (RECALLED, payment-models.csv)
ACG_SHARE = 0.25  # morbidity share of capitation where a region pays by ACG and its share is not found (stockholm-urban's assumption)
FEES_PAID_SEK = 920.0  # per resident-year by 400 : 250 SEK per doctor : nurse visit on the Stockholm preset (stockholm-urban, measured)
CAPITATION_PAID_SEK = 3205.0  # per resident-year by Jämtland's capitation on the same run (measured)


def rulebook(row: dict, preset_name: str) -> tuple[dict, list[str]]:
    """A region's own rulebook as a scenario over Jämtland 2020's, from its row of ``payment-models.csv``; and the
    figures it could not find (Jämtland's stand in)."""
    code, region = row["code"], row["region"]
    stand_ins, notes = [], []
    rules: dict = {"capitation": {}, "patient_fees": {"doctor_visit_sek": number(row, "patient_fee_sek")}}
    notes.append(f"patient fee {row['patient_fee_sek']} SEK per doctor visit ({row['patient_fee_conf']})")
    capitation, fees = number(row, "capitation_share"), number(row, "visit_fee_share")
    if code == "01" and capitation is not None:  # Stockholm: listing about 80 % of income, base fee 115 SEK per visit (sweden.md 5.2, READ)
        rules["capitation"]["scale"] = 0.85
        rules["fee_for_service"] = {"scale": 1.0, "doctor_visit_sek": 115, "nurse_visit_sek": 115}
        notes.append("capitation cut to 85 % beside a base fee of 115 SEK per visit (READ; as blend-stockholm)")
    elif capitation is not None and fees is not None and fees > 0:
        fee_scale = fees / JAMTLAND_CAPITATION_SHARE * CAPITATION_PAID_SEK / FEES_PAID_SEK
        rules["capitation"]["scale"] = round(capitation / JAMTLAND_CAPITATION_SHARE, 3)
        rules["fee_for_service"] = {"scale": 1.0, "doctor_visit_sek": round(400 * fee_scale), "nurse_visit_sek": round(250 * fee_scale)}
        notes.append(f"capitation {capitation:.0%} and visit fees {fees:.0%} of income ({row['capitation_share_conf']}, {row['visit_fee_share_conf']}; fees DERIVED budget-neutral)")
    elif fees == 0:
        notes.append(f"no visit fees ({row['visit_fee_share_conf']})")
    else:
        stand_ins.append("the blend (Jämtland's: capitation only)")
    cni = number(row, "cni_share_of_capitation")
    if cni is not None:
        rules["capitation"]["cni_share"] = cni
        notes.append(f"CNI {cni:.0%} of capitation ({row['cni_share_conf']})")
    else:
        stand_ins.append("the CNI share (Jämtland's 25 %)")
    adjustment = row["morbidity_adjustment"]
    if adjustment.startswith("ACG"):
        share = 0.20 if "20 %" in adjustment else ACG_SHARE
        rules["capitation"]["morbidity_share"] = share
        notes.append(f"ACG {share:.0%} of capitation ({'READ' if '20 %' in adjustment else 'ACG READ, its share the assumed 25 %'})")
    elif not adjustment:
        stand_ins.append("the morbidity adjustment (Jämtland's: none)")
    goal = number(row, "goal_related_share")
    if goal:
        rules["pay_for_performance"] = {"scale": 1.0}
        notes.append(f"goal-related pay {goal:.0%} of income, the pool at its default 100 SEK per listed resident ({row['goal_related_share_conf']})")
    elif goal is None:
        stand_ins.append("goal-related pay (Jämtland's: none)")
    rules = {k: v for k, v in rules.items() if v}
    scenario = {
        "name": f"region-{code}-{slug(region)}",
        "extends": "jamtland-2020.yaml",
        "description": f"{region}'s own care-choice rulebook (its figures from {row['year']}) on its preset {preset_name}: Jämtland 2020's rulebook with "
        + "; ".join(notes) + (f". Jämtland's stands in for {', '.join(stand_ins)}" if stand_ins else "") + f". Sources: {row['source']}",
        "population": {"region": preset_name},
        "rulebook": rules,
    }
    return scenario, stand_ins


def region_code(preset: str) -> str | None:
    """The county code of a region preset (``se-12-skane`` -> ``12``; ``jamtland`` -> ``23``), None for another region."""
    stem = Path(str(preset)).stem
    if stem.startswith("se-") and stem[3:5].isdigit():
        return stem[3:5]
    return next((code for code, name in DETAILED.items() if name == stem), None)


def preset_name(row: dict) -> str:
    return DETAILED.get(row["code"], f"se-{row['code']}-{slug(row['region'])}")


def write_rulebooks(out: Path = SCENARIOS) -> None:
    """Write each region's own rulebook scenario into ``out`` (the built-in scenarios by default)."""
    for row in read_csv("payment-models.csv"):
        scenario, stand_ins = rulebook(row, preset_name(row))
        header = (f"# Generated by python -m sim.regions.generate from sim/regions/data/payment-models.csv (docs/domain/payment-models.md); do not edit by hand.\n"
                  f"# Jämtland 2020's rulebook stands in for: {'; '.join(stand_ins) or 'nothing'}.\n")
        path = Path(out) / f"{scenario['name']}.yaml"
        path.write_text(header + yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
        print(f"{row['code']} {row['region']}: scenarios/{path.name}" + (f" (Jämtland's {', '.join(s.split(' (')[0] for s in stand_ins)})" if stand_ins else ""))


def main(out: Path = HERE, scenarios: Path = SCENARIOS) -> None:
    """Write every generated preset into ``out`` (the presets' own folder by default) and each region's rulebook into
    ``scenarios``."""
    seats = {r["code"]: r for r in read_csv("seats.csv")}
    for row in read_csv("sweden-regions.csv"):
        if row["code"] in DETAILED:
            print(f"{row['code']} {row['region']}: the hand-made preset {DETAILED[row['code']]}.yaml")
            continue
        spec, stand_ins = preset(row, seats[row["code"]])
        path = Path(out) / f"{spec['name']}.yaml"
        header = (f"# Generated by python -m sim.regions.generate from sim/regions/data/ (docs/domain/sweden-regions.md); do not edit by hand.\n"
                  f"# A stand-in geography built from the region's totals (see the generator's docstring).\n"
                  f"# Stand-ins for figures not found: {'; '.join(stand_ins) or 'none'}.\n")
        path.write_text(header + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
        print(f"{row['code']} {row['region']}: {path.name}, {spec['residents']:,} residents, {len(spec['areas'])} areas, {len(spec['clinics'])} centres"
              + (f" (stand-ins: {'; '.join(stand_ins)})" if stand_ins else ""))
    write_rulebooks(scenarios)


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
