"""Listing across a region's border [listning i annan region]: residents near a border may list with a clinic of a
neighbouring region (the Patient Act of 2015 gives them the right; SOU 2019:42 proposes an open national listing
service, rulebooks.md 5). Only in a national run (sim.nation), which holds both regions.

In the home region's market a neighbour's clinic is a border provider (``BorderClinic``): a row of the provider table
standing on a site of its own (an area without residents, ``Geography.foreign``), which the home region's choosing
residents weigh as any clinic near them, by distance and wait; residents who never choose stay with the home region's
own clinics [ickevalsalternativ]. A neighbour's clinic is offered where it would enter some home area's choice set in
place of an own clinic (``border_sites``), so no reach needs choosing.

Its care is the host clinic's: each month it copies the host's last wait, share of demand met, staff cost per visit
and share of permanent GPs (``HostClinic``), and the host queues the home residents' visits the next month as outside
demand. Its pay is the home region's rulebook (ASSUMPTION: the home region pays for its residents' choice by its own
rules; the national agreement on out-of-region care [riksavtalet] is not modelled): what it earns, less the costs the
home books charge it (the visit items it carries, overhead, hospital bills under fundholding), passes to the host clinic
the next month (``BorderMonth``). Its GPs' altruism is drawn as any clinic's (the host's are not exchanged). A border
provider closes when its host clinic does; the host's entrants are not offered, and a host's list cap does not count
the home residents.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.behaviour.choice import CHOICE_SET
from sim.behaviour.treatment import draw_a
from sim.clinic import Clinic
from sim.geography import RegionSpec, great_circle_km
from sim.scenario import Behaviour, Market

POSTS = 4  # permanent GP posts a border provider's residents are spread over, for their usual GP's altruism


@dataclass(frozen=True)
class BorderSite:
    """A neighbouring region's clinic offered to a home region's residents: its host region (scenario name), its index
    among the host's clinics, name, site (degrees) and the type of its area."""

    host: str
    clinic: int
    name: str
    lat: float
    lon: float
    area_type: str

    @property
    def area(self) -> tuple[str, float, float, str]:
        """The site as the home geography's extra area (``Geography.from_spec``)."""
        return (f"{self.name} (site)", self.lat, self.lon, self.area_type)


def host_regions(listing, region: str, regions: list[str]) -> list[str]:
    """The regions of the run whose clinics near the border ``region``'s residents may list with: those its rulebook
    names (``listing.border_regions``) and, with the open national listing service, every other region in the run."""
    return [r for r in regions if r != region and (listing.national_service or r in listing.border_regions)]


def border_sites(home: RegionSpec, host: RegionSpec, host_name: str) -> list[BorderSite]:
    """The host's clinics nearer some home area's centre than the ``CHOICE_SET``-th nearest of the home region's own (at
    the home region's road factor): those that would enter a home resident's choice set in place of an own clinic
    (where the home region has fewer, nearer than its farthest, so that an island takes none across the sea). In
    the host's order."""
    areas = {a.name: a for a in host.areas}
    lat = np.radians([a.lat for a in home.areas] + [areas[c.area].lat for c in host.clinics])
    lon = np.radians([a.lon for a in home.areas] + [areas[c.area].lon for c in host.clinics])
    n = len(home.areas)
    km = home.road_factor * great_circle_km(lat, lon)[:n, n:]  # home area x host clinic
    index = {a.name: i for i, a in enumerate(home.areas)}
    own = home.road_factor * great_circle_km(lat[:n], lon[:n])[:, [index[c.area] for c in home.clinics]]  # home area x home clinic
    k = min(CHOICE_SET, own.shape[1])
    reach = np.sort(own, axis=1)[:, k - 1 : k]  # per home area: its k-th nearest own clinic
    offered = np.flatnonzero((km < reach).any(axis=0))
    return [
        BorderSite(host_name, int(c), host.clinics[c].name, areas[host.clinics[c].area].lat, areas[host.clinics[c].area].lon, areas[host.clinics[c].area].type)
        for c in offered
    ]


@dataclass(frozen=True)
class HostClinic:
    """A host clinic's month as its border providers copy it: open, wait (days), share assessed within 3 days, share
    of demand met, staff cost per visit (SEK) and share of its GPs who are permanent."""

    open: bool
    wait_days: float
    access_3day: float
    served_share: float
    cost_per_visit: float
    permanent_share: float


def host_state(model, clinics: list[int]) -> list[HostClinic]:
    """The month just ended at the host's ``clinics`` (indices), for their border providers in other regions."""
    t = model.providers_table
    cost = t.staff_cost_per_visit(model.params.market)
    return [
        HostClinic(bool(t.open[c]), float(t.wait_days[c]), float(t.access_3day[c]), float(t.served_share[c]), float(cost[c]), float(t.permanent_fte[c] / max(t.gp_fte[c], 1e-9)))
        for c in clinics
    ]


class BorderClinic(Clinic):
    """A neighbouring region's clinic as the home region's market sees it: listable, paid by the home rulebook, its
    care copied from its host clinic each month (``mirror``); it plans no staff and never decides to close."""

    def __init__(self, model: mesa.Model, index: int, site: BorderSite, area: int, market: Market, behaviour: Behaviour):
        super().__init__(model, index, f"{site.name} ({site.host})", area, "border", market, behaviour, min_gp_fte=0.0)
        self.site = site
        self.gp_fte = self.permanent_fte = 1.0
        self.a_usual = draw_a(model.streams.uniform("physicians", index * 1024 + np.arange(POSTS), 0), behaviour.altruism)

    def mirror(self, host: HostClinic, month: int) -> None:
        """Take up the host clinic's last month; when it has closed, the home region lists its residents elsewhere."""
        if not self.open:
            return
        if not host.open:
            self.model.region.close_clinic(self, month)
            return
        self.wait_days, self.access_3day, self.served_share = host.wait_days, host.access_3day, host.served_share
        self.host_cost_per_visit = host.cost_per_visit
        self.permanent_fte = host.permanent_share  # of gp_fte = 1: the share of episodes its usual GPs can take

    def close_year(self, result: float, revenue: float, covered: bool, month: int) -> bool:
        """Its host clinic decides; it closes when that one does (``mirror``)."""
        return False


@dataclass(frozen=True)
class BorderMonth:
    """The home region's month at its border providers, one entry per provider in the order of its sites: residents
    listed, visits demanded (queued at the host next month), what the region paid by its rules and the patient fees
    kept (SEK), the costs the home books charged them (SEK), and the net that passes to the host clinics."""

    listed: np.ndarray
    visits: np.ndarray
    region_sek: np.ndarray
    patient_fees_sek: np.ndarray
    cost_sek: np.ndarray

    @property
    def net_sek(self) -> np.ndarray:
        return self.region_sek + self.patient_fees_sek - self.cost_sek


def border_month(model) -> BorderMonth:
    """Read the month's books at the market's border providers, before they close."""
    rows = np.array([b.index for b in model.border], dtype=np.int64)
    books = model.ledger
    paid = sum((v[rows] for item, v in books.revenue.items() if item != "patient_fees"), np.zeros(len(rows)))
    fees = books.revenue["patient_fees"][rows] if "patient_fees" in books.revenue else np.zeros(len(rows))
    cost = sum((v[rows] for v in books.cost.values()), np.zeros(len(rows)))
    return BorderMonth(model.list_sizes[rows].copy(), model.providers_table.demand_month[rows].copy(), paid, fees, cost)
