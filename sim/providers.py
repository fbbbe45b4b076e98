"""The providers as columns: one array per attribute the month reads, a row per provider (the region's clinics,
its potential entrants and the digital provider, ``Clinic.index``), so that a month reads each attribute at once.

A ``Clinic`` agent keeps these attributes in its row (``Column``): ``clinic.wait_days`` reads and writes
``model.providers_table.wait_days[clinic.index]``, so one clinic can still be followed as an agent, and its yearly
decisions (staffing, entry, exit, selection effort) stay per-agent code.
"""

from __future__ import annotations

import numpy as np

MAX_UTILISATION_IN_QUEUE = 0.995  # beyond this the queue model saturates and care is rationed instead
GUARANTEE_DAYS = 3  # care guarantee: medical assessment within 3 days [vårdgaranti]
QUEUE_MEMORY = 1 / 3  # weight of the current month in the queue's load (assumption)


def expected_wait_days(access, load):
    """Mean wait for a medical assessment at a queue's load, days: ``min_wait + wait_scale x rho / (1 - rho)`` with
    rho the load up to the queue's saturation (``market.access``)."""
    busy = np.minimum(load, MAX_UTILISATION_IN_QUEUE)
    return access.min_wait_days + access.wait_scale_days * busy / (1 - busy)


def assessed_within_guarantee(wait_days):
    """Share assessed within the guarantee's 3 days at a mean wait (exponentially distributed waits)."""
    return 1 - np.exp(-GUARANTEE_DAYS / wait_days)


class ProviderTable:
    """One array per provider attribute (SEK, days, full-time equivalents, shares), a row per provider.

    ``posts_fte`` are the GP posts a clinic plans, ``permanent_fte`` those held by its own GPs, ``gp_fte`` the GPs at
    work (permanent plus hired, sim.labour); ``margin`` is last year's result over revenue; ``posts_year``,
    ``permanent_year`` and ``hired_year`` add up this year's FTE-months, ``hires_year`` the GP FTE recruited.
    Across a border (sim.border): ``outside_demand`` are the visits a month other regions' residents listed with a
    clinic ask of it (last month's), and a border provider's ``host_cost_per_visit`` is its host clinic's staff cost
    per visit, SEK.
    """

    FLOATS = ("wait_days", "access_3day", "selection_effort", "posts_fte", "gp_fte", "permanent_fte", "result_weight", "load", "served_share",
              "demand_year", "waited_year", "assessed_year", "listing_share", "margin", "posts_year", "permanent_year", "hired_year", "hires_year",
              "demand_month", "outside_demand", "host_cost_per_visit")

    def __init__(self, n: int):
        for name in self.FLOATS:
            setattr(self, name, np.zeros(n))
        self.area = np.full(n, -1, dtype=np.int64)  # the area a clinic stands in (-1: none yet, or digital)
        self.open = np.zeros(n, dtype=bool)
        self.last_resort = np.zeros(n, dtype=bool)  # the region runs it under its last-resort duty (sim.last_resort)
        self.owner = np.full(n, "", dtype=object)  # public, private, digital or border (a neighbouring region's clinic, sim.border)
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

    def serve(self, market, demand: np.ndarray) -> np.ndarray:
        """Meet a month's demanded visits at every provider; returns the share of them given.

        A clinic's expected wait for a medical assessment follows an M/M/1-like curve in its queue's load, an
        exponentially weighted mean of monthly utilisation (a queue carries over about three months); a month's demand
        beyond capacity is rationed, not queued. Other regions' residents listed with a clinic add their demand to its
        queue. The digital provider meets all demand at once, with no wait; a border provider's queue is its host
        clinic's, whose wait and rationing it copies (sim.border). The month's demand, and the wait and access it met,
        add to the year's tallies."""
        digital = self.is_owner("digital")
        clinic = ~digital & ~self.is_owner("border")
        self.demand_month = demand
        demand = demand + self.outside_demand
        capacity = self.gp_fte * market.staffing.units_per_team_per_year / 12
        rho = np.where(clinic, demand / np.maximum(capacity, 1e-9), 0.0)
        self.load = np.where(clinic, self.load + QUEUE_MEMORY * (rho - self.load), self.load)
        with np.errstate(divide="ignore"):
            served = np.where(rho > 0, np.minimum(1.0, 1.0 / rho), 1.0)
        self.served_share = np.where(clinic, served, self.served_share)
        wait = expected_wait_days(market.access, self.load)
        self.wait_days = np.where(clinic, wait, self.wait_days)
        self.access_3day = np.where(clinic, assessed_within_guarantee(wait), self.access_3day)
        self.demand_year = self.demand_year + demand
        self.waited_year = self.waited_year + demand * self.wait_days
        self.assessed_year = self.assessed_year + demand * self.access_3day
        return np.where(digital, 1.0, self.served_share)

    def usual_altruism(self, provider: np.ndarray, pid: np.ndarray) -> np.ndarray:
        """The altruism of each resident's usual GP at ``provider``: the post the resident's id falls on."""
        return self.altruism[provider, pid % self.physicians[provider]]

    def is_owner(self, owner: str) -> np.ndarray:
        """Which providers ``owner`` runs (``public``, ``private``, ``digital``)."""
        return self.owner == owner

    def open_clinics(self) -> np.ndarray:
        """The region's own open physical clinics (the digital provider and other regions' clinics left out)."""
        return self.open & ~self.is_owner("digital") & ~self.is_owner("border")

    def listable(self) -> np.ndarray:
        """Open physical clinics a resident may list with: the region's own and, where residents may list across the
        border, its neighbours' near it (sim.border)."""
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
        digital provider's is its price per visit (``market.digital``), a border provider's its host clinic's."""
        clinic = self.staff_cost_per_year(market.staffing) / (self.gp_fte * market.staffing.units_per_team_per_year)
        clinic = np.where(self.is_owner("border"), self.host_cost_per_visit, clinic)
        return np.where(self.is_owner("digital"), market.digital.cost_sek_per_visit, clinic)

    def staff_cost(self, market, visits: np.ndarray) -> np.ndarray:
        """SEK of staff cost this month: salaried staff cost the same whatever the visits, and nothing once closed;
        the digital provider is paid per visit it gives; a border provider's staff are its host region's."""
        clinic = np.where(self.open & ~self.is_owner("border"), self.staff_cost_per_year(market.staffing) / 12, 0.0)
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
