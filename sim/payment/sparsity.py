"""Sparsity supplement [glesbygdsersättning]: money for the care small, remote centres give and their fixed costs.

Jämtland 2020 pays it per listed resident by the resident's road distance to the hospital: it pays for the care a
centre far from the hospital gives that a town centre would leave to the hospital. The 2021 majority proposed paying
it instead by the number of residents in each centre's catchment [upptagningsområde], because distance does not
reflect how hard a small centre finds its fixed costs (002 section 6.1). Under ``basis: catchment`` the pot stays
what the distance rule would pay that year (budget neutral), shared among the centres with small catchments in
proportion to their band's weight: a grant per centre, whatever its list.
"""

from __future__ import annotations

import numpy as np

from sim.payment import Payment, PerListedRule
from sim.scenario import Sparsity as Params


class SparsitySupplement(PerListedRule):
    item = "sparsity"
    label = "sparsity supplement"
    income = "sparsity supplement"
    rulebook_field = "sparsity"

    def __init__(self, params: Params):
        super().__init__(params)
        self.scale = params.scale if params.bands_km else 0.0
        self.rates = np.concatenate([[0.0], np.asarray(params.sek_per_listed, dtype=np.float64)])
        self.bands = np.asarray(params.bands_km, dtype=np.float64)

    def annual_sek(self, pop) -> np.ndarray:
        """The distance rule: what each resident brings their clinic per year, SEK."""
        band = np.searchsorted(self.bands, pop.hospital_km(), side="right")
        return self.params.scale * self.rates[band]

    def sek_per_year(self, pop) -> np.ndarray | None:
        """Per listed resident under the distance rule; None under the catchment rule, which pays centres, not lists."""
        return super().sek_per_year(pop) if self.params.basis == "distance" else None

    def monthly(self, market, ep) -> Payment | None:
        if self.scale == 0 or self.params.basis == "distance":
            return super().monthly(market, ep)
        pot = float(self.sek_per_month(market.population).sum(dtype=np.float64))  # what the distance rule would pay this month
        weights = self._weights(market)
        return Payment(provider_sek=pot * weights / weights.sum() if weights.sum() > 0 else np.zeros(market.n_providers))

    def _weights(self, market) -> np.ndarray:
        """Each provider's weight in the pot: its catchment band's (none above the last band, nor for the digital
        provider and closed clinics, which have no catchment)."""
        catchment = catchments(market)
        band = np.searchsorted(self.params.catchment_below, catchment, side="right")
        return np.where(catchment > 0, np.asarray([*self.params.catchment_weights, 0.0])[band], 0.0)


def catchments(market) -> np.ndarray:
    """Residents of each provider's geographic catchment [upptagningsområde], of the full region (0: none): the
    residents of the areas whose nearest open clinic stands in its area. Clinics in one area share its catchment as a
    market, not as a grant: a second centre in a town does not make either small."""
    geo, table = market.geography, market.providers_table
    clinics = np.flatnonzero(table.open_clinics())
    out = np.zeros(market.n_providers)
    if not len(clinics):
        return out
    nearest_area = table.area[clinics][np.argmin(geo.road_km[:, table.area[clinics]], axis=1)]  # per area: the nearest clinics' area
    residents = np.bincount(nearest_area, weights=geo.residents, minlength=len(geo.area_names))  # served by the clinics of each area
    out[clinics] = residents[table.area[clinics]] / geo.clinic_scale
    return out
