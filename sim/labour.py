"""Doctors as a labour market [läkarförsörjning]: clinics recruit permanent GPs over months and years, and hire
doctors [stafettläkare] at a premium for the posts recruitment leaves empty.

Each month, in every labour area (an area's local care area where the preset names one, else the area itself):

- permanent GPs leave at a yearly turnover that is lower at private clinics and higher where the queue's load is
  above capacity (workload) and where a labour market across the border (Norway) competes for them;
- GPs seeking a permanent post arrive, per 10,000 residents, more of them in towns; each applies to one of the
  area's vacancies with odds in proportion to the clinic's attraction (small clinics and clinics that lost money last
  year attract fewer), so the clinics of an area compete for the same seekers. A vacancy receives a Poisson number
  of applicants and is filled if it receives any (urn-ball matching), so an area never hires more GPs than arrive;
- hired doctors fill the posts left, up to the share of a region-run centre's posts its region allows
  (``rulebook.hired_doctors_cap_share``); posts beyond it stay empty, and the clinic's capacity with them.

The flows are expected values (full-time equivalents are continuous), so the market draws no random numbers. The
state is the provider table's ``posts_fte`` (the GP posts a clinic plans, ``Clinic.plan_staffing``),
``permanent_fte`` and ``gp_fte`` (permanent plus hired: the capacity staffed); the year's tallies in FTE-months
feed the clinic-year rows and the run's labour outcomes. With recruitment off, each kind of area has its fixed
vacancy share (``market.staffing.vacancy_share``) and only the hiring cap and the tallies apply.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.geography import AREA_TYPES

SETTLE_MONTHS = 240  # months of flows at the first staffing that bring the labour market to its steady state

#: the run's labour outcomes (``outcomes``), over the reported years, posts-weighted
LABOUR_OUTCOMES = (
    "vacancy_share",
    "unfilled_post_share",
    "months_to_fill_vacancy",
    "hired_gp_cost_per_capita_sek",
    *(f"hired_gp_share_{group}" for group in (*AREA_TYPES, "public", "private")),
)


def fixed_vacancy(staffing, area_type: str) -> float:
    """The share of posts that cannot be filled permanently in a kind of area when clinics do not recruit."""
    return getattr(staffing.vacancy_share, area_type)


def fixed_vacancies(staffing) -> np.ndarray:
    """``fixed_vacancy`` by area type (AREA_TYPES order)."""
    return np.array([fixed_vacancy(staffing, t) for t in AREA_TYPES])


def staffed_fte(posts, permanent, cap):
    """GP FTE at work: the permanent GPs plus hired doctors in the posts left, at most ``cap`` x posts of them."""
    return np.where(posts - permanent <= cap * posts, posts, permanent + cap * posts)


class LabourMarket:
    """The GP labour market of one region: its labour areas, their seekers, and each month's quits and hires."""

    def __init__(self, geography, staffing, rulebook):
        self.staffing = staffing
        self.recruitment = staffing.recruitment
        self.cap_share = rulebook.hired_doctors_cap_share
        rate = np.array([getattr(self.recruitment.seekers_per_10k_per_month, t) for t in AREA_TYPES])
        self.of_area = geography.local_or_own_area  # the labour area: doctors commute within a municipality
        self.n_areas = int(self.of_area.max()) + 1
        self.seekers_per_month = np.bincount(self.of_area, weights=rate[geography.area_type] * geography.residents / 10_000, minlength=self.n_areas)
        self.border = geography.labour_border
        self.area_type = geography.area_type
        self.small_posts = self.recruitment.small_clinic_fte * geography.clinic_scale  # a sample's clinics are scaled down

    @property
    def recruiting(self) -> bool:
        return self.recruitment.enabled

    def hire_cap(self, table) -> np.ndarray:
        """Largest share of each provider's posts it may fill with hired doctors (1: no cap)."""
        cap = 1.0 if self.cap_share is None else self.cap_share
        return np.where(table.owner == "public", cap, 1.0)

    def turnover_per_year(self, table) -> np.ndarray:
        """Share of each clinic's permanent GPs who leave in a year at this month's workload."""
        r = self.recruitment
        if not self.recruiting:
            return np.full(len(table.owner), self.staffing.team_turnover_per_year)
        border = self.border[np.maximum(table.area, 0)] & (table.area >= 0)
        rate = r.turnover_per_year * np.where(table.owner == "private", r.private_turnover_factor, 1.0) * np.where(border, r.border_turnover_factor, 1.0)
        return np.clip(rate * (1 + r.workload_turnover * np.maximum(table.load - 1, 0.0)), 0.0, 1.0)

    def attraction(self, table) -> np.ndarray:
        """Each clinic's pull on a job seeker, relative to a large clinic that made money."""
        r = self.recruitment
        small = np.where(table.posts_fte < self.small_posts, r.small_clinic_attraction, 1.0)
        return small * np.where(table.margin < 0, r.loss_attraction, 1.0)

    def flows(self, table, clinics: np.ndarray) -> np.ndarray:
        """One month's quits and hires at the open ``clinics`` (bool per provider); updates ``permanent_fte`` and
        returns the GP FTE hired into permanent posts this month, per provider."""
        quits = table.permanent_fte * (1 - np.exp(-self.turnover_per_year(table) / 12))
        permanent = np.where(clinics, table.permanent_fte - quits, table.permanent_fte)
        vacant = np.where(clinics, np.maximum(table.posts_fte - permanent, 0.0), 0.0)
        pull = self.attraction(table) * vacant
        area = self.of_area[np.maximum(table.area, 0)]
        demand = np.bincount(area, weights=pull, minlength=self.n_areas)
        per_vacancy = np.divide(self.seekers_per_month[area] * self.attraction(table), demand[area], out=np.zeros(len(vacant)), where=demand[area] > 0)
        hires = vacant * -np.expm1(-per_vacancy)
        table.permanent_fte = permanent + hires
        return hires

    def settle(self, table, clinics: np.ndarray) -> None:
        """Run the flows at the first staffing until the labour market is at its steady state (nothing tallied)."""
        if not self.recruiting:
            return
        for _ in range(SETTLE_MONTHS):
            self.flows(table, clinics)
        self.fill(table, clinics)

    def fill(self, table, clinics: np.ndarray) -> None:
        """Hired doctors fill the posts recruitment leaves, up to the cap."""
        table.gp_fte = np.where(clinics, staffed_fte(table.posts_fte, table.permanent_fte, self.hire_cap(table)), table.gp_fte)

    def step(self, table) -> None:
        """The month: quits and hires where clinics recruit, hired doctors into the posts left, and the year's tallies."""
        clinics = table.open_clinics()
        if self.recruiting:
            table.hires_year = table.hires_year + self.flows(table, clinics)
            self.fill(table, clinics)
        posts = np.where(clinics, table.posts_fte, 0.0)
        table.posts_year = table.posts_year + posts
        table.permanent_year = table.permanent_year + np.where(clinics, table.permanent_fte, 0.0)
        table.hired_year = table.hired_year + np.where(clinics, table.gp_fte - table.permanent_fte, 0.0)

    def expected_hired_share(self, table) -> np.ndarray:
        """Share of a clinic's posts an entrant expects to fill with hired doctors, by area type (AREA_TYPES order):
        the fixed shares, or, where clinics recruit, what the open clinics of that kind of area hire now."""
        fixed = fixed_vacancies(self.staffing)
        if not self.recruiting:
            return fixed
        clinics = table.open_clinics()
        kind = self.area_type[np.maximum(table.area, 0)]
        posts = np.bincount(kind[clinics], weights=table.posts_fte[clinics], minlength=len(AREA_TYPES))
        hired = np.bincount(kind[clinics], weights=(table.gp_fte - table.permanent_fte)[clinics], minlength=len(AREA_TYPES))
        return np.divide(hired, posts, out=fixed, where=posts > 0)


def clinic_year(table, index: int) -> dict:
    """A clinic's year in the labour market, posts-weighted over its months open: the share of its posts without a
    permanent GP (vacancies), filled by hired doctors or left empty, and the GP FTE it recruited."""
    posts = table.posts_year[index]
    if posts <= 0:
        return {"posts_fte": np.nan, "post_months": 0.0, "vacancy_share": np.nan, "unfilled_share": np.nan, "hires_fte": 0.0}
    return {
        "posts_fte": table.posts_fte[index],
        "post_months": posts,
        "vacancy_share": 1 - table.permanent_year[index] / posts,
        "unfilled_share": max(posts - table.permanent_year[index] - table.hired_year[index], 0.0) / posts,
        "hires_fte": table.hires_year[index],
    }


def outcomes(staffing, clinic_years: pd.DataFrame, resident_years: float) -> dict[str, float]:
    """The run's labour figures over the reported clinic-years (the digital provider left out): vacancies and empty
    posts as shares of posts, the mean months a vacancy waits for a permanent GP (vacant FTE-months over FTE hired),
    SEK a year per resident paid for hired GPs, and the hired share of GP posts by area type and owner."""
    none = {name: np.nan for name in LABOUR_OUTCOMES}
    if not len(clinic_years):
        return none
    c = clinic_years[(clinic_years["owner"] != "digital") & (clinic_years["posts_fte"] > 0)]
    if not len(c):
        return none
    post_months = c["post_months"]
    vacant = c["vacancy_share"] * post_months
    unfilled = c["unfilled_share"] * post_months
    hired = vacant - unfilled
    result = {
        "vacancy_share": vacant.sum() / post_months.sum(),
        "unfilled_post_share": unfilled.sum() / post_months.sum(),
        "months_to_fill_vacancy": vacant.sum() / c["hires_fte"].sum() if c["hires_fte"].sum() > 0 else np.nan,
        "hired_gp_cost_per_capita_sek": hired.sum() / 12 * staffing.gp_salary_sek_per_year * staffing.hired_gp_cost_factor / max(resident_years, 1e-9),
    }
    for column, groups in (("area_type", AREA_TYPES), ("owner", ("public", "private"))):
        for group in groups:
            g = c[column] == group
            result[f"hired_gp_share_{group}"] = hired[g].sum() / post_months[g].sum() if post_months[g].sum() > 0 else np.nan
    return result
