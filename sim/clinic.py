"""Clinics [vårdcentraler, hälsocentraler] as Mesa agents: staff, capacity, queue, physicians, purse.

A clinic staffs in GP teams (a GP FTE with its nurses) for the demand it expects, filling
posts it cannot recruit to with hired GPs at a premium. When demand exceeds capacity its
queue grows and care is rationed. Its physicians differ in altruism. It books revenue and
cost each month; a private clinic that keeps losing money closes.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from sim.behaviour.treatment import draw_a
from sim.geography import AREA_TYPES
from sim.labour import fixed_vacancy, staffed_fte
from sim.providers import GUARANTEE_DAYS, Column, assessed_within_guarantee, expected_wait_days
from sim.scenario import Behaviour, Market

UTILISATION_RANGE = (0.70, 1.00)  # a clinic staffs for a utilisation within these bounds


def team_cost_per_year(staffing, hired_share):
    """SEK per year of one GP team (a GP FTE and its nurses) whose GP posts are filled by hired doctors at
    ``hired_share``, at a premium."""
    gp = staffing.gp_salary_sek_per_year * (1 - hired_share + hired_share * staffing.hired_gp_cost_factor)
    return gp + staffing.nurses_per_gp * staffing.nurse_salary_sek_per_year


class Clinic(mesa.Agent):
    """A health centre with a list of residents.

    ``index`` is the clinic's position in every per-provider array of the model; the attributes declared as
    ``Column`` live in its row of the model's provider table (sim.providers).
    """

    area = Column()
    owner = Column()
    open = Column()
    last_resort = Column()
    wait_days = Column()
    access_3day = Column()
    selection_effort = Column()
    listing_share = Column()
    margin = Column()  # last year's result over revenue
    posts_fte = Column()  # GP posts planned (sim.labour)
    gp_fte = Column()  # GPs at work: permanent and hired
    permanent_fte = Column()
    result_weight = Column()
    load = Column()  # utilisation the queue remembers
    served_share = Column()
    demand_year = Column()  # visits demanded this year
    waited_year = Column()  # visits demanded x the expected wait they met, days
    assessed_year = Column()  # visits demanded x the share assessed within 3 days
    posts_year = Column()  # FTE-months of GP posts this year (sim.labour)
    permanent_year = Column()  # FTE-months of permanent GPs
    hired_year = Column()  # FTE-months of hired doctors
    hires_year = Column()  # GP FTE recruited this year

    @property
    def a_usual(self) -> np.ndarray | None:
        """The altruism of the permanent GPs, one per post (None before any are drawn); kept in the provider table."""
        return self._a_usual

    @a_usual.setter
    def a_usual(self, a: np.ndarray | None) -> None:
        self._a_usual = a
        self.model.providers_table.set_altruism(self.index, a)

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        name: str,
        area: int,
        owner: str,
        market: Market,
        behaviour: Behaviour,
        min_gp_fte: float | None = None,
        potential: bool = False,
    ):
        super().__init__(model)
        self.index = index
        self.name = name
        self.area = area
        self.area_type = AREA_TYPES[model.geography.area_type[area]] if area >= 0 else "none"
        self.owner = owner
        self.market = market
        self.behaviour = behaviour
        self.result_weight = behaviour.referral.result_weight.of(owner, model.params.rulebook.public_deficits_covered)  # of a hospital bill, in a referral
        self.min_gp_fte = (market.staffing.min_gp_fte if min_gp_fte is None else min_gp_fte) * model.geography.clinic_scale
        self.open = not potential  # a potential provider [etablerare] is not open until it enters
        self.opened_month: int | None = None  # when an entrant opened (None: open from the start, or never opened)
        self.last_resort = False  # the region runs it under its last-resort duty (sim.last_resort)
        self.selection_effort = 0.0  # risk-selection effort in [0, 1] (sim.market)
        self.posts_fte = self.gp_fte = self.min_gp_fte
        self.permanent_fte = self.min_gp_fte
        self.a_usual = None  # altruism of the permanent GPs, one per post
        self.wait_days = market.access.min_wait_days
        self.access_3day = 1 - math.exp(-GUARANTEE_DAYS / max(self.wait_days, 1e-9))
        self.load = market.staffing.target_utilisation  # utilisation the queue remembers
        self.served_share = 1.0
        self.start_year()
        self.equity = 0.0  # accumulated result, SEK
        self.margin = 0.0  # last year's result over revenue
        self.listing_share = 0.0  # last year's revenue from the payment per listed resident [vårdpeng], over all its revenue
        self.loss_years = 0
        self.closed_month: int | None = None

    def enter(self, area: int, name: str, month: int) -> None:
        """A potential provider opens a clinic in ``area``: empty list, minimum staff, no history."""
        self.area = area
        self.area_type = AREA_TYPES[self.model.geography.area_type[area]]
        self.name = name
        self.open = True
        self.opened_month = month
        self.posts_fte = self.gp_fte = self.min_gp_fte
        self.permanent_fte = 0.0  # a new clinic recruits its permanent GPs (sim.labour)
        self.a_usual = None

    def take_over(self) -> None:
        """The region runs this clinic under its last-resort duty: as its own, whatever its deficits."""
        self.owner = "public"
        self.last_resort = True
        self.result_weight = self.behaviour.referral.result_weight.of("public", True)

    @property
    def entrant(self) -> bool:
        """A provider that entered the market during the run (not a unit the region opened under its duty)."""
        return self.opened_month is not None and not self.last_resort

    @property
    def ever_open(self) -> bool:
        return self.open or self.closed_month is not None

    def filling(self, month: int) -> bool:
        """An entrant within its grace years, still filling its list: its losses do not count toward exit."""
        return self.opened_month is not None and month - self.opened_month < 12 * self.market.entry.grace_years

    def start_year(self) -> None:
        """The year's tallies of demand and of the waits it met start afresh."""
        self.demand_year = 0.0  # visits demanded this year
        self.waited_year = 0.0  # visits demanded x the expected wait they met, days
        self.assessed_year = 0.0  # visits demanded x the share assessed within 3 days
        self.posts_year = self.permanent_year = self.hired_year = self.hires_year = 0.0  # the labour market's tallies (sim.labour)

    @property
    def mean_wait_days(self) -> float:
        """This year's expected wait for an assessment, weighted by the visits demanded, days."""
        return self.waited_year / self.demand_year if self.demand_year > 0 else self.wait_days

    @property
    def mean_access_3day(self) -> float:
        """This year's share assessed within 3 days, weighted by the visits demanded."""
        return self.assessed_year / self.demand_year if self.demand_year > 0 else self.access_3day

    # ------------------------------------------------------------------ staff and capacity

    @property
    def hired_fte(self) -> float:
        return self.gp_fte - self.permanent_fte

    def cost_per_fte(self) -> float:
        """SEK per year of one GP team here: permanent and hired GPs in this area's fixed mix or, where clinics recruit,
        in the clinic's own, with nurses."""
        s = self.market.staffing
        own = self.model.labour.recruiting or self.model.labour.cap_share is not None
        hired = self.hired_fte / self.gp_fte if own and self.gp_fte > 0 else fixed_vacancy(s, self.area_type)
        return team_cost_per_year(s, hired)

    def expected_access(self, utilisation: np.ndarray) -> np.ndarray:
        """Share assessed within 3 days at steady utilisations."""
        return assessed_within_guarantee(expected_wait_days(self.market.access, utilisation))

    def target_utilisation(self, visits_per_year: float, weigh_access_pay: bool) -> float:
        """The utilisation to staff for: the norm moved by last year's margin, or less where buying access pays.

        A surplus buys staff (a lower utilisation, shorter waits), a loss sheds them; a change of the capitation level
        the clinic knows is coming (``Region.revision.planned_change``) moves the margin it plans on by that change of
        its listing payment. With ``weigh_access_pay`` the clinic asks its region what the rulebook pays it for a
        3-day share (SEK per year, ``Region.access_reward``) and adds slack while the pay for the access bought
        exceeds its staff cost.
        """
        s = self.market.staffing
        margin = self.margin + self.model.region.revision.planned_change() * self.listing_share  # a known change of the payment counts
        norm = float(np.clip(s.target_utilisation * (1 - s.margin_response * margin), UTILISATION_RANGE[0], UTILISATION_RANGE[1]))
        grid = np.linspace(UTILISATION_RANGE[0], norm, 31)
        fte = visits_per_year / (self.market.staffing.units_per_team_per_year * grid)
        pay = self.model.region.access_reward(self.index, self.expected_access(grid)) if weigh_access_pay else 0.0
        value = pay - fte * self.cost_per_fte()
        return float(grid[np.argmax(value)])

    def plan_year(self, months_observed: int, listed: np.ndarray) -> None:
        """Staff for next year from this year's demand so far (``months_observed`` months of it), adapting fully in
        the warm-up and while filling a new list, and for at least the residents it lists (``listed``, per provider)
        where the rulebook caps the list per GP."""
        model = self.model
        per_gp = model.params.rulebook.listing.cap_per_gp_fte
        expected = self.demand_year * 12 / months_observed
        adapt = not model.reporting or self.filling(model.month)
        floor = listed[self.index] / per_gp if per_gp else 0.0
        self.plan_staffing(expected, model.streams, model.year + 1, adapt_fully=adapt, weigh_access_pay=True, floor_fte=floor)

    def plan_staffing(
        self, visits_per_year: float, streams, year: int, adapt_fully: bool = False, weigh_access_pay: bool = False, floor_fte: float = 0.0
    ) -> None:
        """Staff for the visits expected next year at the chosen utilisation, and at least ``floor_fte`` (a list cap per
        GP obliges a clinic to staff for the residents it already lists).

        Posts move at most ``max_change_per_year`` a year unless ``adapt_fully`` (a new clinic,
        or the warm-up). Where clinics recruit (sim.labour) the permanent GPs are those it has
        recruited, fewer if the posts shrink; otherwise this kind of area's fixed share of posts
        cannot be filled permanently. Hired doctors fill the rest, up to the region's cap.
        Permanent GPs turn over; each new one brings their own altruism.
        """
        s = self.market.staffing
        labour = self.model.labour
        utilisation = self.target_utilisation(visits_per_year, weigh_access_pay)
        wanted = max(self.min_gp_fte, floor_fte, visits_per_year / (s.units_per_team_per_year * utilisation))
        if not adapt_fully:
            wanted = min(max(wanted, self.posts_fte * (1 - s.max_change_per_year)), self.posts_fte * (1 + s.max_change_per_year))
            wanted = max(wanted, self.min_gp_fte)
        self.posts_fte = wanted
        self.permanent_fte = min(self.permanent_fte, wanted) if labour.recruiting else wanted * (1 - fixed_vacancy(s, self.area_type))
        self.gp_fte = float(staffed_fte(wanted, self.permanent_fte, labour.hire_cap(self.model.providers_table)[self.index]))
        slots = max(1, math.ceil(self.permanent_fte))
        ids = self.index * 1024 + np.arange(slots)
        fresh = draw_a(streams.uniform("physicians", ids, year), self.behaviour.altruism)
        if self.a_usual is None:
            self.a_usual = fresh
            return
        kept = np.resize(self.a_usual, slots)
        replaced = streams.uniform("turnover", ids, year) < labour.turnover_per_year(self.model.providers_table)[self.index]
        replaced[len(self.a_usual):] = True
        self.a_usual = np.where(replaced, fresh, kept)

    # ------------------------------------------------------------------ year end

    def close_year(self, result: float, revenue: float, covered: bool, month: int) -> bool:
        """Count loss-making years; a clinic closes after ``loss_years`` of them unless its deficits are ``covered``
        (a public clinic whose region pays its deficits has a soft budget constraint) or it is an entrant still
        filling its list. Returns True on exit."""
        e = self.market.exit
        self.margin = result / revenue if revenue > 0 else 0.0
        losing = result < -e.loss_share * max(revenue, 1.0) and not self.filling(month)
        self.loss_years = self.loss_years + 1 if losing else 0
        return not covered and self.loss_years >= e.loss_years


class DigitalProvider(Clinic):
    """A national digital-first provider [nätläkare]: no list, no physical care, next to no wait.

    It meets the demand that comes (ProviderTable.serve), so it plans no staff; the home region pays it per visit. In a
    national run (sim.nation) its capacity is shared by every region: ``capacity_share`` is the share of this month's
    digital episodes it can take (the rest turn to the listed clinic), and ``sought`` and ``served`` count the month's
    episodes that asked for it and that it took.
    """

    def __init__(self, model: mesa.Model, index: int, market: Market, behaviour: Behaviour):
        super().__init__(model, index, "Digital provider", -1, "digital", market, behaviour, min_gp_fte=0.0)
        self.gp_fte = self.permanent_fte = 1.0
        self.a_usual = np.ones(1)
        self.wait_days = 0.0
        self.access_3day = 1.0
        self.capacity_share = 1.0
        self.sought = self.served = 0

    def close_year(self, result: float, revenue: float, covered: bool, month: int) -> bool:
        """It serves the whole country: one region's losses do not close it."""
        return False
