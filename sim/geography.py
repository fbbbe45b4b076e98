"""A region's geography: its areas, where its clinics stand, and the road distances between them.

A region file (``sim/regions/*.yaml``) lists areas (localities or town neighbourhoods) with
their residents, type and socioeconomic profile, and the clinics with their areas. Road
distance is the great-circle distance times a road factor; a resident's distance to a
clinic adds their own distance to their area's centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.chunks import chunks
from sim.errors import UserError, describe_validation
from sim.scenario import read_yaml

AREA_TYPES = ("town", "rural", "sparse")
EARTH_RADIUS_KM = 6371.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AreaSpec(_Strict):
    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    residents: int = Field(gt=0)
    type: Literal["town", "rural", "sparse"]
    spread_km: float = Field(ge=0, le=200)
    deprivation: float = Field(1.0, gt=0, le=5)
    elderly: float = Field(1.0, gt=0, le=5)
    local_area: str | None = None  # the local care area [närvårdsområde] it belongs to, where the preset names them
    labour_border: bool = False  # a labour market across the border competes for its GPs (Norway, for western Jämtland)


class ClinicSpec(_Strict):
    name: str
    area: str
    owner: Literal["public", "private"]
    min_gp_fte: float | None = Field(None, ge=0, le=10)


class RegionSpec(_Strict):
    name: str
    description: str = ""
    residents: int = Field(gt=0)
    hospital_area: str
    road_factor: float = Field(1.3, ge=1, le=3)
    age_shares: dict[Literal["0-17", "18-64", "65-79", "80+"], Annotated[float, Field(ge=0, le=1)]]
    areas: list[AreaSpec] = Field(min_length=1)
    clinics: list[ClinicSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RegionSpec:
        names = [a.name for a in self.areas]
        if len(set(names)) != len(names):
            raise ValueError("area names must be unique")
        for clinic in self.clinics:
            if clinic.area not in names:
                raise ValueError(f"clinic {clinic.name!r} stands in unknown area {clinic.area!r}")
        if self.hospital_area not in names:
            raise ValueError(f"hospital_area {self.hospital_area!r} is not an area")
        if abs(sum(self.age_shares.values()) - 1.0) > 0.01:
            raise ValueError("age_shares must sum to 1")
        return self


def region_path(name_or_path: str) -> Path:
    builtin = Path(__file__).resolve().parent / "regions" / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    if builtin.is_file():
        return builtin
    known = ", ".join(sorted(p.stem for p in builtin.parent.glob("*.yaml")))
    raise UserError(f"population.region: '{name_or_path}' is neither a built-in region ({known}) nor a region file.")


def load_region(name_or_path: str) -> RegionSpec:
    path = region_path(name_or_path)
    try:
        return RegionSpec.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise UserError(describe_validation(str(path), exc, model=RegionSpec)) from None


@dataclass(frozen=True)
class Geography:
    """Areas and clinic sites of one region, scaled to the simulated number of residents.

    Arrays are indexed by area; ``road_km[i, j]`` is the road distance between area
    centres, km. ``clinic_area[c]`` is the area of clinic ``c``.
    """

    name: str
    area_names: list[str]
    area_type: np.ndarray  # int8 index into AREA_TYPES
    residents: np.ndarray  # residents per area (scaled)
    spread_km: np.ndarray
    deprivation: np.ndarray
    elderly: np.ndarray
    road_km: np.ndarray
    hospital_area: int
    age_shares: dict[str, float]
    clinic_names: list[str]
    clinic_area: np.ndarray
    clinic_owner: list[str]
    clinic_min_gp_fte: list[float | None]
    clinic_scale: float  # each clinic stands for this fraction of the preset's clinic (a sample of the region)
    copies: int  # copies of the preset's clinics (1 unless the region is scaled above its preset)
    local_area: np.ndarray  # each area's local care area [närvårdsområde], an index into local_area_names; -1 where the preset names none
    local_area_names: list[str]
    labour_border: np.ndarray  # bool per area: a labour market across the border competes for its GPs
    foreign: np.ndarray  # bool per area: a neighbouring region's clinic site, with no residents of this region (sim.border)

    @property
    def local_or_own_area(self) -> np.ndarray:
        """Each area's local care area where the preset names one, else the area itself, as indices 0 .. n - 1 (the
        local care areas first): where clinics recruit GPs (sim.labour) and where physiotherapy providers stand at the
        start (sim.physiotherapy)."""
        own = len(self.local_area_names) + np.arange(len(self.area_names))
        return np.where(self.local_area >= 0, self.local_area, own)

    def road_km_to(self, clinic_area: np.ndarray, area: np.ndarray, providers: np.ndarray) -> np.ndarray:
        """Road km between area centres ``area`` and the areas of ``providers`` (``clinic_area[providers]``; the two
        broadcast together), gathered from the areas x providers distances a chunk of pairs at a time (sim.chunks)."""
        n = len(clinic_area)
        between = self.road_km[:, clinic_area].ravel()
        area, providers = np.broadcast_arrays(area, providers)
        shape = area.shape
        area, providers = area.reshape(-1), providers.reshape(-1)
        km = np.empty(len(area), between.dtype)
        for part in chunks(len(area)):
            index = area[part].astype(np.intp)
            index *= n
            index += providers[part]
            np.take(between, index, out=km[part])
        return km.reshape(shape)

    @property
    def hospital_km(self) -> np.ndarray:
        """Road distance from each area's centre to the hospital, km."""
        return self.road_km[:, self.hospital_area]

    @classmethod
    def from_spec(cls, spec: RegionSpec, residents: int | None = None, sites: tuple = ()) -> Geography:
        """Scale a region to ``residents``: area populations in proportion, clinics replicated; ``sites`` (name, lat,
        lon, area type) are neighbouring regions' clinic sites its residents may list with (sim.border), added after
        its own areas as areas without residents, at road distance by the region's own road factor.

        A larger population gets proportionally more clinics in each area (one copy of each
        of the area's clinics per ``scale`` rounded), so list sizes stay as in the preset. A
        smaller one is a sample of the region: it keeps every clinic, and ``clinic_scale``
        shrinks each clinic's fixed cost, minimum staffing and fines by the sampling fraction,
        so that a clinic's finances per listed resident are those of the full region.
        """
        total = sum(a.residents for a in spec.areas)
        target = residents or spec.residents
        scale = target / total
        counts = largest_remainder(np.array([a.residents for a in spec.areas], float) * scale, target)
        copies = max(1, round(target / spec.residents))
        lat = np.radians([a.lat for a in spec.areas] + [site[1] for site in sites])
        lon = np.radians([a.lon for a in spec.areas] + [site[2] for site in sites])
        road = spec.road_factor * great_circle_km(lat, lon)
        none = np.zeros(len(sites))
        area_index = {a.name: i for i, a in enumerate(spec.areas)}
        local_names = list(dict.fromkeys(a.local_area for a in spec.areas if a.local_area is not None))
        names, areas, owners, floors = [], [], [], []
        for k in range(copies):
            for clinic in spec.clinics:
                names.append(clinic.name if copies == 1 else f"{clinic.name} {k + 1}")
                areas.append(area_index[clinic.area])
                owners.append(clinic.owner)
                floors.append(clinic.min_gp_fte)
        return cls(
            name=spec.name,
            area_names=[a.name for a in spec.areas] + [site[0] for site in sites],
            area_type=np.array([AREA_TYPES.index(a.type) for a in spec.areas] + [AREA_TYPES.index(site[3]) for site in sites], dtype=np.int8),
            residents=np.concatenate([counts, none.astype(counts.dtype)]),
            spread_km=np.concatenate([[a.spread_km for a in spec.areas], none]),
            deprivation=np.concatenate([[a.deprivation for a in spec.areas], none + 1]),
            elderly=np.concatenate([[a.elderly for a in spec.areas], none + 1]),
            road_km=road,
            hospital_area=area_index[spec.hospital_area],
            age_shares=dict(spec.age_shares),
            clinic_names=names,
            clinic_area=np.array(areas, dtype=np.int32),
            clinic_owner=owners,
            clinic_min_gp_fte=floors,
            clinic_scale=target / (copies * spec.residents),
            copies=copies,
            local_area=np.array([local_names.index(a.local_area) if a.local_area is not None else -1 for a in spec.areas] + [-1] * len(sites), dtype=np.int16),
            local_area_names=local_names,
            labour_border=np.array([a.labour_border for a in spec.areas] + [False] * len(sites)),
            foreign=np.arange(len(spec.areas) + len(sites)) >= len(spec.areas),
        )


def great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def largest_remainder(quotas: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``quotas`` that sum exactly to ``total``."""
    quotas = quotas * total / quotas.sum()
    counts = np.floor(quotas).astype(np.int64)
    short = total - counts.sum()
    counts[np.argsort(counts - quotas)[:short]] += 1
    return counts
