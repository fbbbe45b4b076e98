"""The providers as columns: one array per attribute the month reads, a row per provider (the region's clinics,
its potential entrants and the digital provider, ``Clinic.index``), so that a month reads each attribute at once.

A ``Clinic`` agent keeps these attributes in its row (``Column``): ``clinic.wait_days`` reads and writes
``model.providers_table.wait_days[clinic.index]``, so one clinic can still be followed as an agent, and its yearly
decisions (staffing, entry, exit, selection effort) stay per-agent code.
"""

from __future__ import annotations

import numpy as np


class ProviderTable:
    """One array per provider attribute (SEK, days, full-time equivalents, shares), a row per provider."""

    FLOATS = ("wait_days", "access_3day", "selection_effort", "gp_fte", "permanent_fte", "result_weight")

    def __init__(self, n: int):
        for name in self.FLOATS:
            setattr(self, name, np.zeros(n))
        self.area = np.full(n, -1, dtype=np.int64)  # the area a clinic stands in (-1: none yet, or digital)
        self.open = np.zeros(n, dtype=bool)
        self.owner = np.full(n, "", dtype=object)  # public, private or digital
        self.physicians = np.ones(n, dtype=np.int64)  # permanent GP posts (at least one slot)
        self.altruism = np.zeros((n, 1))  # each post's physician's altruism a, in the first ``physicians`` columns

    def set_altruism(self, row: int, a: np.ndarray | None) -> None:
        """A provider's permanent GPs' altruism, one per post (None: none drawn yet)."""
        posts = 1 if a is None else len(a)
        if posts > self.altruism.shape[1]:
            self.altruism = np.pad(self.altruism, ((0, 0), (0, posts - self.altruism.shape[1])))
        self.physicians[row] = posts
        self.altruism[row] = 0.0
        if a is not None:
            self.altruism[row, :posts] = a

    def usual_altruism(self, provider: np.ndarray, pid: np.ndarray) -> np.ndarray:
        """The altruism of each resident's usual GP at ``provider``: the post the resident's id falls on."""
        return self.altruism[provider, pid % self.physicians[provider]]

    def is_owner(self, owner: str) -> np.ndarray:
        """Which providers ``owner`` runs (``public``, ``private``, ``digital``)."""
        return self.owner == owner

    def open_clinics(self) -> np.ndarray:
        """Open physical clinics (the digital provider left out)."""
        return self.open & ~self.is_owner("digital")

    def hired_fte(self) -> np.ndarray:
        """GP full-time equivalents hired (agency GPs) at each provider."""
        return self.gp_fte - self.permanent_fte

    def staff_cost_per_year(self, staffing) -> np.ndarray:
        """SEK per year of each clinic's staff: permanent and hired GPs and the teams' nurses (``market.staffing``)."""
        s = staffing
        gps = s.gp_salary_sek_per_year * (self.permanent_fte + s.hired_gp_cost_factor * self.hired_fte())
        return gps + self.gp_fte * s.nurses_per_gp * s.nurse_salary_sek_per_year

    def staff_cost_per_visit(self, market) -> np.ndarray:
        """SEK per visit at full staffing, the long-run marginal cost of a visit since staff follows demand; the
        digital provider's is its price per visit (``market.digital``)."""
        clinic = self.staff_cost_per_year(market.staffing) / (self.gp_fte * market.staffing.units_per_team_per_year)
        return np.where(self.is_owner("digital"), market.digital.cost_sek_per_visit, clinic)

    def staff_cost(self, market, visits: np.ndarray) -> np.ndarray:
        """SEK of staff cost this month: salaried staff cost the same whatever the visits, and nothing once closed;
        the digital provider is paid per visit it gives."""
        clinic = np.where(self.open, self.staff_cost_per_year(market.staffing) / 12, 0.0)
        return np.where(self.is_owner("digital"), visits * market.digital.cost_sek_per_visit, clinic)

    def usual_share(self, continuity) -> np.ndarray:
        """Probability that an episode is handled by the resident's usual GP: hired GPs break continuity; none at the
        digital provider (``behaviour.continuity``)."""
        return np.where(self.is_owner("digital"), 0.0, continuity.usual_team_share * self.permanent_fte / self.gp_fte)


class Column:
    """An agent attribute kept in its row of the model's provider table: reads give a Python scalar, as the attribute
    itself would."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        value = getattr(agent.model.providers_table, self.name)[agent.index]
        return value.item() if isinstance(value, np.generic) else value

    def __set__(self, agent, value) -> None:
        getattr(agent.model.providers_table, self.name)[agent.index] = value
