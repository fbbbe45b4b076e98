"""Scenario files: the schema, its documented and sourced defaults, and loading.

A scenario is immutable once loaded. Its YAML file may ``extends:`` another file (or a
built-in scenario by name); the child's keys replace the parent's, mappings merge key by
key. ``--set field.path=value`` overrides apply after merging; an error names the file,
or the override it comes from, and the field. Loading never executes code
(``yaml.safe_load``). Every field below states its unit and source ("sweden.md 7" is
section 7 of ``docs/domain/sweden.md``); "assumption" marks a figure the domain files do
not give.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import UserError, describe_validation

#: five-year age bands 0-4, 5-9, ..., 95-99, 100+
N_AGE_BANDS = 21
AGE_BANDS = [f"{5 * i}-{5 * i + 4}" for i in range(N_AGE_BANDS - 1)] + ["100+"]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
BandList = Annotated[list[NonNeg], Field(min_length=N_AGE_BANDS, max_length=N_AGE_BANDS)]


class Section(BaseModel):
    """A strict, frozen section: unknown keys are errors, values cannot change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------------- population


class Demography(Section):
    """Births, deaths and migration, once a year."""

    birth_rate_per_1000: float = Field(
        9.5, ge=0, le=40, description="Births per 1,000 residents per year; Jämtland about 9-10 (RECALLED, SCB)."
    )
    mortality_at_birth: float = Field(
        1.5e-5, gt=0, le=0.1, description="Gompertz mortality at age 0 for a resident at baseline health, per year (assumption; with the growth below it gives about 5 % at 80 and 15 % at 92, Swedish life tables, RECALLED)."
    )
    mortality_growth: float = Field(
        0.1, gt=0, le=0.2, description="Gompertz growth of mortality per year of age (assumption, as above)."
    )
    mortality_per_health_deficit: float = Field(
        3.0, ge=0, le=20, description="Log relative risk of death per unit of health below the resident's baseline (assumption)."
    )
    migration_in_per_1000: float = Field(
        30.0, ge=0, le=200, description="Residents moving in per 1,000 per year; they choose a clinic actively and carry the CNI factor 'moved into the area' (assumption)."
    )
    migration_out_per_1000: float = Field(
        28.0, ge=0, le=200, description="Residents moving out per 1,000 per year (assumption)."
    )


class Morbidity(Section):
    """Chronic conditions (an ACG-like morbidity class 0-3): rising with age and the Care Need Index."""

    conditions_at_birth: float = Field(
        0.08, ge=0, le=5, description="Mean number of chronic conditions at age 0 (assumption)."
    )
    conditions_at_100: float = Field(
        2.2, ge=0, le=10, description="Mean number of chronic conditions added by age 100 (assumption; gives about 30 % without any condition at 75)."
    )
    age_exponent: float = Field(
        2.2, gt=0, le=6, description="Shape of the rise of chronic conditions with age (assumption)."
    )
    cni_effect_per_point: float = Field(
        0.02, ge=0, le=0.5, description="Relative rise of chronic conditions per point of personal Care Need Index score (assumption)."
    )


class Needs(Section):
    """Care episodes and their patient-optimal quantity of care q* (service units, i.e. visits)."""

    episodes_per_year_by_age: BandList = Field(
        [1.6, 0.7, 0.5, 0.7, 0.9, 0.95, 1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.15, 1.25, 1.35, 1.5, 1.65, 1.75, 1.75, 1.7, 1.7],
        description="Care episodes per year of a resident without chronic conditions, by five-year age band (assumption; shaped like the Jämtland visit-based age weights, lowest at 10-14, rulebooks.md 1).",
    )
    episodes_by_morbidity: Annotated[list[NonNeg], Field(min_length=4, max_length=4)] = Field(
        [1.0, 1.7, 2.5, 3.5], description="Episode-rate multiplier for 0, 1, 2 and 3+ chronic conditions (assumption)."
    )
    cni_effect_per_point: float = Field(
        0.03, ge=0, le=0.5, description="Relative rise of the episode rate per point of personal Care Need Index score; CNI weights are GPs' ratings of workload (sweden.md 6)."
    )
    health_effect: float = Field(
        2.0, ge=0, le=20, description="Relative rise of the episode rate per unit of health below baseline (assumption)."
    )
    q_star_median: float = Field(
        1.6, gt=0, le=20, description="Median patient-optimal quantity of care per episode, in visits, before rounding, without chronic conditions (assumption; calibrated toward 3.4 primary-care visits per resident per year, sweden.md 2, DERIVED)."
    )
    q_star_per_condition: float = Field(
        0.12, ge=0, le=2, description="Relative rise of q* per chronic condition (assumption)."
    )
    q_star_dispersion: float = Field(
        0.6, gt=0, le=2, description="Log-normal dispersion of q* between episodes (assumption)."
    )
    specialist_need_intercept: float = Field(
        -3.4, ge=-10, le=5, description="Logit of the probability that an episode with q* = 1 and no chronic condition truly needs specialist care (assumption)."
    )
    specialist_need_per_unit: float = Field(
        0.5, ge=0, le=5, description="Logit rise of that probability per visit of q* above 1 (assumption)."
    )
    specialist_need_per_condition: float = Field(
        0.3, ge=0, le=5, description="Logit rise of that probability per chronic condition (assumption)."
    )


class Health(Section):
    """Health: an index in [0, 1]; each resident drifts back toward an age- and morbidity-specific baseline."""

    baseline_at_30: float = Field(0.97, gt=0, le=1, description="Baseline health at age 30 without chronic conditions (assumption).")
    decline_per_year_of_age: float = Field(
        0.0035, ge=0, le=0.05, description="Fall of baseline health per year of age after 30 (assumption)."
    )
    decline_per_condition: float = Field(0.06, ge=0, le=0.5, description="Fall of baseline health per chronic condition (assumption).")
    recovery_per_month: float = Field(
        0.08, ge=0, le=1, description="Share of the gap to baseline health closed each month (assumption)."
    )
    loss_per_unit_shortfall: float = Field(
        0.02, ge=0, le=1, description="Health lost per visit of benefit shortfall, i.e. per q* x (1 - B(q)/B(q*)) (assumption)."
    )
    loss_unreferred: float = Field(
        0.08, ge=0, le=1, description="Health lost when an episode that needs specialist care is not referred (assumption)."
    )
    emergency_admissions_per_year: float = Field(
        0.02, ge=0, le=1, description="Emergency admissions per resident per year at age 0 without chronic conditions (assumption; about 0.08 per resident overall, RECALLED)."
    )
    emergency_at_100: float = Field(0.35, ge=0, le=5, description="Emergency admissions per year added by age 100 (assumption).")
    emergency_per_condition: float = Field(0.05, ge=0, le=2, description="Emergency admissions per year added per chronic condition (assumption).")
    emergency_per_health_deficit: float = Field(
        6.0, ge=0, le=30, description="Log relative risk of emergency admission per unit of health below baseline: the route by which untreated need returns as hospital care (assumption)."
    )


class Population(Section):
    """The residents: which region, how many, and their demography, morbidity, needs and health."""

    region: str = Field("jamtland", description="Built-in region preset (see sim/regions/) or the path of a region file.")
    residents: int | None = Field(
        None, ge=1000, le=20_000_000, description="Scale the region to this many residents; empty keeps the preset's own. Above the preset, areas get copies of their clinics; below it, the run is a sample: every clinic stays, its fixed cost, minimum staffing and fines scaled by the sampling fraction."
    )
    sample_share: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Run a sample of this share of the preset's residents instead of a number (as residents does below the preset), so that "
        "regions of different sizes keep lists of the same relative size (e.g. 0.1 of every region); empty: residents decides.",
    )
    demography: Demography = Demography()
    morbidity: Morbidity = Morbidity()
    needs: Needs = Needs()
    health: Health = Health()

    @model_validator(mode="after")
    def _one_size(self) -> Population:
        if self.residents is not None and self.sample_share is not None:
            raise ValueError("give residents or sample_share, not both")
        return self


# ---------------------------------------------------------------------------- market


class VacancyShare(Section):
    """GP vacancy rate by area type (Vårdanalys 2018: 57 % in sparse areas, 35 % in towns and suburbs, 16 % in cities; sweden.md 3, READ)."""

    town: Share = Field(0.35, description="Towns and suburbs (READ).")
    rural: Share = Field(0.57, description="Rural areas near a town (the sparse-area figure, READ, applied as an assumption).")
    sparse: Share = Field(0.57, description="Sparsely populated areas [glesbygd] (READ).")


class SeekersPerArea(Section):
    """GPs seeking a permanent post in a labour area, FTE per month per 10,000 of its residents, by the type of its
    areas (FIT: ``python -m sim.validation.labour_fit`` sets them so that, on the default region under today's
    rulebook, about 20 % of GP posts are without a permanent GP region-wide, RJH about 2018 'around 20 %' hired, and
    sparse areas have 57/35 the towns' share, Vårdanalys 2018; gp-labour-market.md 0 and 2, READ (secondary))."""

    town: NonNeg = Field(0.0706, description="Town areas (FIT).")
    rural: NonNeg = Field(0.0637, description="Rural areas near a town (FIT, one rate with sparse areas: nothing tells the two apart).")
    sparse: NonNeg = Field(0.0637, description="Sparsely populated areas [glesbygd] (FIT, with rural).")


class Recruitment(Section):
    """Doctors as a labour market [läkarförsörjning] (sim/labour.py): clinics recruit permanent GPs from their labour
    area's flow of job seekers, competing for them, over months and years; hired doctors [stafettläkare] fill the posts
    recruitment leaves, at ``hired_gp_cost_factor``. Off: each kind of area has the fixed ``vacancy_share``."""

    enabled: bool = Field(False, description="Clinics recruit from a labour market; false keeps the fixed vacancy shares by area type.")
    seekers_per_10k_per_month: SeekersPerArea = SeekersPerArea()
    turnover_per_year: Share = Field(
        0.175,
        description="Share of permanent GPs who leave each year at a public clinic at normal workload, off the border (READ: 15-20 % a year for permanent district GPs, "
        "Blekinge and Västmanland, and 20-40 % a practice counting temporary doctors, Ellegård, Anell & Kjellsson 2025; gp-labour-market.md 3.4). A new GP brings a new altruism draw.",
    )
    private_turnover_factor: float = Field(
        0.8, ge=0, le=2, description="Turnover at a private clinic relative to a public one (the direction READ: lower in private practices, Ellegård et al. 2025; the size an assumption)."
    )
    workload_turnover: float = Field(
        2.0,
        ge=0,
        le=10,
        description="Relative rise of turnover per unit of the queue's load above 1 (the direction READ: turnover higher with high workload, Ellegård et al. 2025; "
        "about ten GPs quit Jämtland's 2013 stop on hired doctors; the size an assumption).",
    )
    border_turnover_factor: float = Field(
        1.5,
        ge=1,
        le=5,
        description="Turnover in areas where a labour market across the border competes for GPs (Norway, whose GPs earn about 1.8-2 times a Swedish GP's salary, "
        "DERIVED, gp-labour-market.md 4; no Jämtland flows found: the size an assumption).",
    )
    small_clinic_fte: float = Field(2.0, ge=0, le=20, description="A clinic with fewer GP posts than this recruits as a small one (assumption).")
    small_clinic_attraction: Share = Field(
        0.5, description="A small clinic's attraction to a job seeker relative to a larger one (the direction READ: sparse centres find it harder to recruit, Vårdanalys 2018; the size an assumption)."
    )
    loss_attraction: Share = Field(
        0.5,
        description="A clinic that lost money last year attracts job seekers at this share (the direction READ: centres struggling with hired-staff costs recruit worse, KKV 2015; the size an assumption).",
    )


class Staffing(Section):
    """Clinics staff in GP teams: one GP FTE with its nurses."""

    units_per_team_per_year: float = Field(
        6500, gt=0, le=50_000, description="Visits one GP team (1 GP FTE and its nurses) delivers per year; 1,950 listed per GP FTE (sweden.md 3, READ) times 3.4 visits per resident (DERIVED)."
    )
    doctor_share_of_visits: Share = Field(
        0.41, description="Share of primary-care visits that are doctor visits; the rest are nurses and other professions (DERIVED: 1.4 doctor visits of 3.4 visits per resident, sweden.md 2)."
    )
    gp_salary_sek_per_year: float = Field(
        1_400_000, ge=0, description="Fully loaded cost of one permanent GP FTE, SEK per year (RECALLED)."
    )
    nurses_per_gp: float = Field(1.3, ge=0, le=10, description="Nurse and other clinical FTE per GP FTE (assumption).")
    nurse_salary_sek_per_year: float = Field(
        750_000, ge=0, description="Fully loaded cost of one nurse FTE, SEK per year (RECALLED)."
    )
    hired_gp_cost_factor: float = Field(
        2.0, ge=1, le=5, description="Cost of a hired (agency) GP relative to a permanent one (RECALLED)."
    )
    vacancy_share: VacancyShare = Field(
        VacancyShare(),
        description="Share of GP posts a clinic cannot fill with permanent staff, by area type; filled with hired GPs.",
    )
    target_utilisation: float = Field(
        0.955, gt=0.3, le=1.2, description="Expected demand over capacity that a clinic staffs for each year (assumption; calibrated with the wait scale to 81 % assessed within 3 days, sweden.md 8: the one target identifies the pair only together)."
    )
    margin_response: float = Field(
        0.5,
        ge=0,
        le=5,
        description="How staffing follows a clinic's finances: the utilisation it staffs for falls by this share of last year's surplus and rises by this share of its loss (margins relative to revenue), within 0.70-1.00; surpluses buy staff and shorter waits, losses shed them (assumption).",
    )
    max_change_per_year: float = Field(
        0.15, ge=0, le=1, description="Largest relative change of a clinic's staff from one year to the next (assumption)."
    )
    team_turnover_per_year: float = Field(
        0.1, ge=0, le=1, description="Share of permanent GPs replaced each year under the fixed vacancy shares; a new GP brings a new altruism draw (assumption; recruitment.turnover_per_year replaces it when clinics recruit)."
    )
    min_gp_fte: float = Field(
        1.0, ge=0, le=10, description="Smallest GP staffing of a clinic, FTE (a specialist in general medicine on staff, rulebooks.md 1)."
    )
    recruitment: Recruitment = Recruitment()


class Costs(Section):
    """What running a clinic and giving a visit cost, SEK."""

    fixed_sek_per_year: float = Field(
        1_500_000, ge=0, description="Fixed cost of running a clinic (premises, management), SEK per year (assumption)."
    )
    overhead_sek_per_listed: float = Field(
        1_500, ge=0, description="Other staff and running cost per listed resident, SEK per year (assumption: no Swedish source gives centres' costs beside GPs; with it the default region's centres together about break even under today's rulebook)."
    )
    lab_sek_per_unit: float = Field(
        120, ge=0, description="Laboratory and radiology cost per visit, SEK (assumption)."
    )
    drugs_sek_per_unit: float = Field(
        100, ge=0, description="Drug cost prescribed per visit, SEK (assumption)."
    )
    chronic_drugs_sek_per_condition: float = Field(
        1_450, ge=0, description="Yearly drug cost per chronic condition, SEK per year (assumption; with the per-visit cost it brings drug cost near the drug budget of 1,272 SEK at weight 1.0, rulebooks.md 1)."
    )
    foot_care_sek_per_eligible_per_year: float = Field(
        0,
        ge=0,
        le=20_000,
        description="Medical foot care per resident aged 65 or more with a chronic condition (a proxy for diabetes and feet at risk), SEK per year "
        "(0: left out, as in the default scenarios; physiotherapy-2024 prices it at 400, an assumption: no Swedish figure found).",
    )
    transport_sek_per_km: float = Field(
        2.0, ge=0, description="Patient transport cost per visit and km of the patient's distance to the clinic, averaged over all visits (assumption)."
    )


class Access(Section):
    """Waiting: mean wait = min_wait + wait_scale x rho / (1 - rho) days at utilisation rho (an M/M/1-like queue)."""

    min_wait_days: float = Field(1.0, ge=0, le=30, description="Mean wait for a medical assessment at low utilisation, days (assumption).")
    wait_scale_days: float = Field(
        0.04, ge=0, le=30, description="Scale of the queueing term, days (assumption, calibrated toward 81 % within 3 days, sweden.md 8, READ)."
    )


class Exit(Section):
    """When a clinic closes: a private one, or a public one whose deficits the region does not cover."""

    loss_years: int = Field(
        2, ge=1, le=10, description="Consecutive loss-making years after which a clinic without deficit cover closes (assumption)."
    )
    loss_share: float = Field(
        0.05, ge=0, le=1, description="A year counts as loss-making when the result is below minus this share of revenue (assumption)."
    )


class Digital(Section):
    """The national digital-first provider."""

    enabled: bool = Field(True, description="A national digital-first provider [nätläkare] is available.")
    cost_sek_per_visit: float = Field(300, ge=0, description="The provider's cost per visit, SEK (assumption).")
    max_units_per_episode: int = Field(
        2, ge=1, le=20, description="Most visits a digital provider gives per episode: no physical examination (assumption)."
    )
    added_share: Share = Field(
        0.3,
        description="Share of digital contacts that add to physical care rather than replace it: the episode is then treated at the listed clinic as well, and the digital visit is an extra contact (assumption; digital visits were 4.6 % of GP visits but 1 % of costs, sweden.md 7, READ).",
    )
    listing_required: bool = Field(
        False,
        description="Digital care only from a provider one is listed with, which must also offer physical care (SOU 2019:42, rulebooks.md 5): the national provider's visits end and each listing clinic offers its own digital visits, paid by the ordinary rulebook.",
    )


class Entry(Section):
    """Potential providers: each year they evaluate every area and open where expected profit clears a threshold.

    An entrant's expected list comes from residents' choice model (the logit shares of the
    active choosers nearby, with the entrant among their options); its expected revenue from
    the rulebook applied to those residents; its expected cost from fixed cost, overhead and
    staff per visit at the area's mix of permanent and hired GPs (hired staff cost a premium
    where recruiting is hard, and at least its minimum staff). Entrants fill their lists
    only as residents reconsider or move in, so an entrant weighs its margin over a horizon
    in which its list grows from nothing.
    """

    potential_entrants: int = Field(
        8, ge=0, le=1000, description="Potential private providers that may open over the run, per copy of the region preset (assumption)."
    )
    max_per_year: int = Field(2, ge=0, le=100, description="Most entries per year, per copy of the region preset (assumption).")
    profit_threshold: float = Field(
        0.0,
        ge=-1,
        le=1,
        description="Expected margin over the horizon (result over revenue, while the list fills) an entrant requires (assumption).",
    )
    horizon_years: int = Field(
        8, ge=1, le=30, description="Years over which an entrant weighs its expected result; its list fills only as residents reconsider (assumption)."
    )
    grace_years: int = Field(
        5, ge=0, le=30, description="Years after opening in which an entrant's losses do not count toward exit, while its list fills (assumption)."
    )


class Selection(Section):
    """Risk selection: clinics shape services (opening hours, digital offers, home visits) to attract residents who are profitable under the rulebook.

    Each year a clinic chooses an effort e in [0, 1] that maximises what it gains against
    what it costs: the gain per listed is proportional to the spread of expected profit
    among the residents near it and to how contestable they are (one minus its own logit
    share of their choice), the cost is quadratic (cost_sek_per_listed x e^2 / 2 per
    listed), so e = min(1, contestable x spread / cost_sek_per_listed). Effort adds
    ``attraction_per_1000_sek x e x (resident's expected profit, thousand SEK)`` to the
    clinic's utility in each resident's choice: profitable residents are drawn, unprofitable
    ones deterred. Better risk adjustment narrows the spread and so the effort.
    """

    enabled: bool = Field(True, description="Clinics may select by risk.")
    attraction_per_1000_sek: float = Field(
        1.0, ge=0, le=10, description="Choice utility per 1,000 SEK of a resident's expected yearly profit at full effort (assumption)."
    )
    cost_sek_per_listed: float = Field(
        20_000, gt=0, description="Cost of full selection effort, SEK per listed resident per year at e = 1, doubled (the quadratic cost is this x e^2 / 2) (assumption)."
    )
    public: bool = Field(False, description="The region's own clinics select too (by default they serve all comers).")


class SpecialtyShares(Section):
    """Shares of a kind of hospital care by specialty, for an adult woman without chronic conditions (the hospital
    tilts them by age, sex and conditions: sim.hospital.specialty_weights); they must sum to 1."""

    medicine: Share
    surgery: Share
    psychiatry: Share
    obstetrics: Share = Field(description="Obstetrics and gynaecology.")
    other: Share

    @model_validator(mode="after")
    def _sum_to_one(self) -> SpecialtyShares:
        if abs(self.medicine + self.surgery + self.psychiatry + self.obstetrics + self.other - 1) > 1e-6:
            raise ValueError("the specialty shares must sum to 1")
        return self


class Hospital(Section):
    """The region's hospital: what its cases cost (SEK per case, log-normal with the given mean and dispersion), and the
    cases that do not come through primary care (emergencies, hospital-planned care, injuries, deliveries).
    Sources: docs/field-evidence.md, section H."""

    referral_outpatient_sek: float = Field(6_000, ge=0, description="Outpatient specialist care after a needed referral, mean SEK per case (assumption).")
    unneeded_referral_sek: float = Field(2_500, ge=0, description="A specialist consultation that finds no need, mean SEK (assumption).")
    referral_admission_share: float = Field(0.2, ge=0, le=1, description="Share of needed referrals admitted as inpatients: elective admissions (assumption).")
    inpatient_sek: float = Field(
        65_000, ge=0, description="Mean cost of an inpatient admission, SEK (60-70 kSEK, RECALLED, sweden.md 4)."
    )
    inpatient_dispersion: float = Field(
        0.8, gt=0, le=3, description="Log-normal dispersion of admission costs; 0.8 puts about 20 % of inpatient cost in the costliest 5 % of admissions (SKR KPP 2022, sweden.md 4, READ)."
    )
    outpatient_dispersion: float = Field(0.7, gt=0, le=3, description="Log-normal dispersion of outpatient case costs (assumption).")
    emergency_visit_sek: float = Field(3_500, ge=0, description="An emergency-department visit, SEK (assumption; 3,000-5,000 RECALLED, field-evidence.md H8).")
    emergency_admission_share: float = Field(
        0.6, ge=0, le=1, description="Share of emergency presentations from deteriorated health that are admitted (assumption; of all emergency-department visits about one in three is admitted, field-evidence.md H5, READ)."
    )
    direct_cases_per_year: float = Field(
        0.10, ge=0, le=5, description="Direct (hospital-planned) cases per resident per year: follow-up, tests, rehabilitation the hospital initiates (route elective), at age 0-4 without conditions (assumption)."
    )
    direct_admission_share: float = Field(
        0.05, ge=0, le=1, description="Share of hospital-planned cases that are admissions (assumption; with the other routes about 150 admissions per 1,000 residents a year in the older Jämtland, against 131 nationally in 2022, field-evidence.md H1, READ: a check, not a fit)."
    )
    direct_cases_at_100: float = Field(0.6, ge=0, le=10, description="Hospital-planned cases per year added by age 100 (assumption).")
    direct_cases_per_condition: float = Field(0.25, ge=0, le=5, description="Hospital-planned cases per year added per chronic condition (assumption).")
    direct_case_sek: float = Field(
        30_000, ge=0, description="Mean cost of a hospital-planned case, SEK (assumption, calibrated: with the rest it brings spending on care beside primary care, all of which the model books as hospital, near 21,900 SEK per resident per year, sweden.md 4, DERIVED: 27,300 less 5,400 of primary care, both without benefit-scheme drugs)."
    )
    direct_case_dispersion: float = Field(
        0.8,
        gt=0,
        le=3,
        description="Log-normal dispersion of a hospital-planned case's cost (assumption: the admissions' 0.8, which puts 20 % of cost in the costliest 5 % of cases as KPP finds for inpatient episodes, field-evidence.md H8, READ; fitted to the concentration of cost alone, calibration 7 put it at 1.87, which puts 59 % there, DERIVED: 1 - Phi(1.645 - 1.87)).",
    )
    direct_frailty_dispersion: float = Field(
        1.0,
        ge=0,
        le=3,
        description="Log-normal dispersion across residents of their rate of hospital-planned care, fixed for life (mean one): how much hospital care a resident's health needs beyond what their age, sex and chronic conditions tell, unseen by any risk adjustment (an unobserved frailty; assumption, calibrated to the concentration of cost in the costliest 10 % of residents).",
    )
    injuries_per_year: float = Field(
        0.028, ge=0, le=2, description="Injuries treated at the emergency department per resident per year, before old age (DERIVED on the Jämtland preset: with the terms below, 6.4 % of adults a year, as 614-669 per 10,000 in Umeå, and 9 % of residents aged 85+ admitted a year, over 8 % for falls alone; field-evidence.md H3, READ)."
    )
    injury_young_male_excess: float = Field(
        0.75, ge=0, le=5, description="Relative excess of injuries among men aged 15-44 (RECALLED: 1.5-2 times women's rate; the male peak at 15-24 in Finland, READ; field-evidence.md H3)."
    )
    injuries_at_100: float = Field(
        0.21, ge=0, le=5, description="Injuries per year added by age 100, rising with the fourth power of age: falls of the old (DERIVED with injuries_per_year)."
    )
    injury_admission_share: float = Field(0.05, ge=0, le=1, description="Share of injuries admitted in the young (assumption; with the rest about 15 injury admissions per 1,000 residents a year, as the national 14-15, field-evidence.md H3, READ: a check, not a fit).")
    injury_admission_share_at_100: float = Field(0.6, ge=0, le=1, description="The same at age 100, rising with the square of age: fractures of the old, three quarters of injury bed-days (assumption; field-evidence.md H3, READ).")
    injury_inpatient_sek: float = Field(80_000, ge=0, description="Mean cost of an injury admission, SEK (RECALLED: hip fracture 90-130 kSEK, an average somatic stay 60-80 kSEK; field-evidence.md H8).")
    mothers_mean_age: float = Field(31.6, ge=15, le=50, description="Mean age of women giving birth (31.6 in 2024, Socialstyrelsen, field-evidence.md H2, READ).")
    mothers_age_spread: float = Field(
        5.5, gt=0, le=15, description="Standard deviation of mothers' age at delivery, years (DERIVED: with the mean it puts 6 % of mothers at 40 or older; 'more than 5 %' in 2024, field-evidence.md H2, READ)."
    )
    delivery_sek: float = Field(
        36_000, ge=0, description="Mean cost of a delivery, SEK (DERIVED from RECALLED costs: 25-35 kSEK a vaginal delivery, 50-70 kSEK a caesarean, 20 % caesareans in 2024, READ; field-evidence.md H2, H8)."
    )
    delivery_dispersion: float = Field(0.4, gt=0, le=3, description="Log-normal dispersion of delivery costs (assumption).")
    elective_specialties: SpecialtyShares = Field(
        SpecialtyShares(medicine=0.35, surgery=0.30, psychiatry=0.08, obstetrics=0.12, other=0.15),
        description="Specialty of a referral, a self-referral and hospital-planned care (assumption near the national inpatient mix, RECALLED; field-evidence.md H6: no Swedish shares by specialty found).",
    )
    emergency_specialties: SpecialtyShares = Field(
        SpecialtyShares(medicine=0.70, surgery=0.12, psychiatry=0.08, obstetrics=0.03, other=0.07),
        description="Specialty of an emergency presentation (assumption; field-evidence.md H6).",
    )
    psychiatry_at_15_44: float = Field(
        2.0, ge=0, le=10, description="Relative weight of psychiatry at ages 15-44, where psychiatric illness is the commonest cause of inpatient care (2018, field-evidence.md H1, READ; the factor is an assumption)."
    )
    medicine_per_condition: float = Field(0.3, ge=0, le=5, description="Relative rise of the weight of medicine per chronic condition (assumption).")
    out_of_region_share: float = Field(
        0.03, ge=0, le=1, description="Share of emergency, injury, delivery and hospital-planned cases treated in another region's hospital (tourism, travel; assumption)."
    )
    rare_share: float = Field(
        0.01, ge=0, le=1, description="Share of elective cases that are rare diseases (route rare: highly specialised care; RECALLED 1-3 %, field-evidence.md H7)."
    )
    fixed_cost_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of the hospital's cost that is fixed at the volume of the warm-up year (buildings, staff on duty, emergency readiness); the rest varies with each case (assumption).",
    )

    @model_validator(mode="after")
    def _admission_shares_rise(self) -> Hospital:
        if self.injury_admission_share > self.injury_admission_share_at_100:
            raise ValueError("injury_admission_share must not exceed injury_admission_share_at_100")
        return self


class PhysiotherapyMarket(Section):
    """Physiotherapy providers beside the health centres (sim/physiotherapy.py): residents choose one per episode of
    care, not by listing; care-choice providers are paid by the region's physiotherapy rulebook, those under the
    national tariff [LOF] per visit. Most figures are assumptions: the sources (004, rulebooks.md 6) give the rules, not
    the volumes, and docs/market.md's physiotherapy experiment varies the behavioural ones."""

    enabled: bool = Field(False, description="Residents' physiotherapy episodes are simulated with their own providers.")
    episodes_per_resident_per_year: float = Field(
        0.12, ge=0, le=2, description="Episodes of physiotherapy need per resident per year, twice that from age 65 (assumption: about 1 in 8 residents a year, RECALLED)."
    )
    visits_needed_per_episode: float = Field(4.0, gt=0, le=50, description="Visits an episode needs on average (assumption); each episode's need is lognormal around it (spread 0.5).")
    visits_per_fte_per_year: float = Field(1_400, gt=0, le=10_000, description="Visits one physiotherapist FTE gives a year at full load (assumption: about 7 a day).")
    salary_sek_per_fte_per_year: float = Field(700_000, ge=0, description="Fully loaded cost of a physiotherapist FTE, SEK per year (assumption).")
    fixed_sek_per_year: float = Field(250_000, ge=0, description="A provider's premises and running cost, SEK per year at the full region's scale (assumption).")
    tariff_fte_per_10000: float = Field(
        2.3,
        ge=0,
        le=50,
        description="Physiotherapists under the national tariff [LOF] per 10,000 residents, one provider in each local care area sized by its residents; they neither enter "
        "nor exit (DERIVED: 'nearly 30 physiotherapists' with agreements with Region Jämtland Härjedalen, 000, READ, over 131,155 residents, one FTE each, an assumption).",
    )
    distance_per_10km: float = Field(0.4, ge=0, le=5, description="Disutility per 10 km to a provider in the choice of one for an episode (assumption).")
    wait_per_day: float = Field(0.03, ge=0, le=5, description="Disutility per day of expected wait in that choice (assumption).")
    no_show_share: Share = Field(0.08, description="Share of booked visits missed or cancelled late without a fee (assumption).")
    no_show_share_with_fee: Share = Field(0.05, description="The same where the rulebook charges a fee for them (assumption: a fee cuts missed visits by about a third).")
    volume_response: float = Field(
        0.25,
        ge=0,
        le=2,
        description="Relative rise of the visits a provider gives per episode when all its pay is per visit (borrowed from GPs: 15-31 % fewer visits without fee-for-service, "
        "evidence.md E8, READ, applied to physiotherapists as an assumption); in proportion to the share of its pay per visit.",
    )
    requirement_response: Share = Field(
        0.1, description="How far a provider short of a volume requirement moves its visits per episode in a year: up for a visits requirement, down for a unique-patients one (assumption)."
    )


class Market(Section):
    """The providers: clinics' staffing, costs, queues, entry, exit and risk selection; the digital provider; the hospital."""

    staffing: Staffing = Staffing()
    costs: Costs = Costs()
    access: Access = Access()
    exit: Exit = Exit()
    entry: Entry = Entry()
    selection: Selection = Selection()
    digital: Digital = Digital()
    hospital: Hospital = Hospital()
    physiotherapy: PhysiotherapyMarket = PhysiotherapyMarket()


# ---------------------------------------------------------------------------- rulebook


class Rule(Section):
    """A payment rule of the rulebook, with a scale on all its tariffs."""

    scale: float = Field(
        1.0, ge=0, le=10, description="Multiplies every tariff of this rule: 0 switches it off, 0.5 pays half as in a mixed system."
    )


class Capitation(Rule):
    """Fixed capitation [vårdpeng] per listed resident and year: an age part and a Care Need Index part."""

    fixed_sek_per_resident: float = Field(
        3_273, ge=0, le=100_000, description="Fixed capitation per listed resident of average age weight and average CNI, SEK per year: 2,453 at age weight 1.0 plus 820 CNI on average (Jämtland 2020, rulebooks.md 1, READ; sum DERIVED)."
    )
    cni_share: float = Field(
        0.25, ge=0, le=1, description="Share of the fixed capitation paid by the list's Care Need Index, budget-neutral (Jämtland 2020 about 25 %, rulebooks.md 1, READ)."
    )
    morbidity_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of the fixed capitation paid by diagnosed morbidity (the ACG-like class, weights 1 : 1.7 : 2.5 : 3.5 for 0-3+ conditions), budget-neutral; Stockholm pays by age, ACG and CNI (sweden.md 5, READ); 0 in Jämtland.",
    )
    town_cni_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="A separate care-choice system for the town: the CNI share paid for residents of town areas (the 2021 opposition's proposal, rulebooks.md 3); empty: one system.",
    )
    age_weights: BandList = Field(
        [1.05, 0.45, 0.33, 0.45, 0.6, 0.65, 0.7, 0.72, 0.74, 0.78, 0.85, 0.95, 1.05, 1.22, 1.45, 1.75, 2.05, 2.21, 2.15, 2.05, 1.95],
        description="Capitation weight by five-year age band (Jämtland 2020: lowest 0.33 at 10-14, highest 2.21 at 85-89, rulebooks.md 1, READ; the bands between are interpolated, assumption).",
    )

    @model_validator(mode="after")
    def _shares_fit(self) -> Capitation:
        for cni in (self.cni_share, self.town_cni_share if self.town_cni_share is not None else 0.0):
            if cni + self.morbidity_share > 1 + 1e-9:
                raise ValueError("cni_share (and town_cni_share) plus morbidity_share must not exceed 1")
        return self


class DrugBudget(Rule):
    """A separate capitation for drugs by age; the clinic pays its listed residents' general drugs."""

    sek_per_weight: float = Field(1_272, ge=0, description="Drug capitation at weight 1.0, SEK per listed resident per year (Jämtland 2020, READ).")
    age_weights: BandList = Field(
        [0.35, 0.3, 0.32, 0.35, 0.28, 0.23, 0.3, 0.38, 0.48, 0.6, 0.78, 1.0, 1.25, 1.55, 1.9, 2.3, 2.7, 3.0, 3.15, 3.2, 3.22],
        description="Drug weight by five-year age band (lowest 0.23 at 25-29, highest 3.22 at 100-104, rulebooks.md 1, READ; between interpolated, assumption).",
    )


class Sparsity(Rule):
    """Sparsity supplement [glesbygdsersättning]: by the listed residents' distance to the hospital (Jämtland 2020), or
    by the size of each centre's catchment (the 2021 majority's proposal), from the same pot."""

    basis: Literal["distance", "catchment"] = Field(
        "distance",
        description="distance: per listed resident by their road distance to the hospital (Jämtland 2020, READ); catchment: per centre, by the "
        "residents of its geographic catchment [upptagningsområde], to carry small centres' fixed costs (the 2021 majority's proposal, 002 "
        "section 6.1, READ), paying out what the distance rule would pay that year (budget neutral, assumption).",
    )
    bands_km: list[NonNeg] = Field([40.0, 100.0], description="Lower bounds, km of road to the hospital, of the supplement's bands (assumption; NOT FOUND in the domain files).")
    sek_per_listed: list[NonNeg] = Field(
        [300.0, 700.0], description="Supplement per listed resident per year in each band, SEK (assumption; NOT FOUND)."
    )
    catchment_below: list[Annotated[int, Field(gt=0)]] = Field(
        [2500, 5000], description="Under basis catchment: upper bounds of the catchment bands, residents of the full region (assumption; NOT FOUND: above 5,000 are the town's centres, which carry their fixed costs on their lists)."
    )
    catchment_weights: list[NonNeg] = Field(
        [2.0, 1.0], description="Under basis catchment: each band's share of the pot per centre, relative (a centre above the last bound gets none; assumption)."
    )

    @model_validator(mode="after")
    def _bands_match(self) -> Sparsity:
        if len(self.bands_km) != len(self.sek_per_listed):
            raise ValueError("bands_km and sek_per_listed must have the same length")
        if list(self.bands_km) != sorted(self.bands_km):
            raise ValueError("bands_km must be increasing")
        if len(self.catchment_below) != len(self.catchment_weights):
            raise ValueError("catchment_below and catchment_weights must have the same length")
        if list(self.catchment_below) != sorted(self.catchment_below):
            raise ValueError("catchment_below must be increasing")
        return self


class FeeForService(Rule):
    """Fee-for-service [besöksersättning] per visit, by profession; paid to the clinic by the region."""

    scale: float = Field(0.0, ge=0, le=10, description="Multiplies the fees; 0 (the Jämtland default) switches them off.")
    doctor_visit_sek: float = Field(
        1_300, ge=0, description="Fee per doctor visit, SEK (assumption within the 900-2,200 SEK paid for out-of-county visits, SKL 2019, sweden.md 5.1, READ)."
    )
    nurse_visit_sek: float = Field(700, ge=0, description="Fee per nurse or other-profession visit, SEK (assumption).")


class Indicator(Section):
    """A pay-for-performance indicator: its share of the pool, and the achievement from which and up to which it pays."""

    weight: float = Field(ge=0, le=1, description="Share of the performance pool paid on this indicator.")
    floor: float = Field(ge=0, le=1, description="Achievement at or below which nothing is paid.")
    target: float = Field(ge=0, le=1, description="Achievement at or above which the whole share is paid; linear between.")

    @model_validator(mode="after")
    def _floor_below_target(self) -> Indicator:
        if self.floor >= self.target:
            raise ValueError("floor must be below target")
        return self


class ExceptionReporting(Section):
    """Exception reporting: a clinic may exclude patients from the chronic follow-up indicator's denominator."""

    enabled: bool = Field(
        False, description="Clinics may except patients from the indicator (the UK QOF allowed it, evidence.md E17; Swedish indicators do not)."
    )
    legitimate_share: float = Field(
        0.04, ge=0, le=1, description="Share of measured episodes with a valid reason to be excepted (declined, contraindicated), at random (assumption)."
    )
    cost_sek: float = Field(
        1500,
        ge=0,
        description="What excepting an unmet patient without reason costs the physician, SEK, weighed by their altruism a: they do it when the indicator money it brings exceeds a x this (assumption, calibrated toward the UK median of 5-6 % excepted).",
    )


class PayForPerformance(Rule):
    """Goal-related payment [målrelaterad ersättning], settled at year end on indicators."""

    scale: float = Field(0.0, ge=0, le=10, description="Multiplies the pool; 0 (the Jämtland default: indicators followed, not paid) switches it off.")
    pool_sek_per_listed: float = Field(
        100, ge=0, description="Pool per listed resident per year, SEK; about 3 % of the vårdpeng (Gävleborg 2017, sweden.md 5.2, READ)."
    )
    access_3day: Indicator = Field(
        Indicator(weight=0.4, floor=0.7, target=0.9), description="Share of contacts medically assessed within 3 days (care guarantee, rulebooks.md 1)."
    )
    continuity: Indicator = Field(
        Indicator(weight=0.3, floor=0.2, target=0.5), description="Mean Bice-Boxerman continuity of listed residents with 3+ visits in 18 months."
    )
    chronic_followup: Indicator = Field(
        Indicator(weight=0.3, floor=0.5, target=0.9),
        description="Share of chronic residents' episodes given at least guideline care (q >= q*): a measured service, the only episodes this rule rewards at the margin.",
    )
    exceptions: ExceptionReporting = Field(ExceptionReporting(), description="Exception reporting from the chronic follow-up indicator (evidence.md E17, E18).")


class PatientFees(Section):
    """Patient fees per visit with a yearly ceiling [högkostnadsskydd]."""

    doctor_visit_sek: float = Field(200, ge=0, le=2000, description="Fee per doctor visit, SEK (commonly 200, sweden.md 7, READ).")
    nurse_visit_sek: float = Field(100, ge=0, le=2000, description="Fee per nurse visit, SEK (assumption).")
    free_under_age: int = Field(20, ge=0, le=120, description="Residents younger than this pay nothing (0-19 free in many regions, sweden.md 7, READ).")
    free_from_age: int = Field(85, ge=0, le=120, description="Residents this old or older pay nothing (85+ free in many regions, READ).")
    ceiling_sek_per_year: float = Field(1_400, ge=0, description="Yearly ceiling on a resident's fees, SEK (national maximum 1,400, sweden.md 7, READ).")
    kept_by_clinic: bool = Field(True, description="The clinic keeps the fees (Jämtland 2020); if false they go to the region's capitation pool.")


class CostResponsibility(Section):
    """Costs a clinic carries for its listed residents [kostnadsansvar]; the rest the region pays directly."""

    drugs: bool = Field(True, description="General drugs for listed residents (Jämtland 2020, READ).")
    lab_radiology: bool = Field(True, description="Laboratory and radiology (Jämtland 2020, READ).")
    patient_transport: bool = Field(True, description="Patient transport to and from the centre (Jämtland 2020, READ).")
    foot_care: bool = Field(True, description="Medical foot care [medicinsk fotvård] for listed residents (Jämtland 2020, READ; the 2021 majority moves it to a central budget, rulebooks.md 2); costs only where market.costs prices it.")


class Fines(Section):
    """Fines [vite] for breaking a requirement: here a clinic staffed below the GP floor (open hours not met)."""

    sek_per_week: float = Field(10_000, ge=0, description="Fine per week while the requirement is not met, SEK (Jämtland 2020, READ).")
    max_sek_per_occasion: float = Field(100_000, ge=0, description="Most per occasion, SEK (Jämtland 2020, READ).")


FUNDHOLDING_STEPS = ("0", "1", "2", "3a", "3b", "4", "5", "6", "7")


class WhoPays(Section):
    """Who pays for a listed resident's hospital care that the listing clinic did not refer (rulebooks.md 4, open questions)."""

    referral_by_other_provider: Literal["listing", "referring", "region"] = Field(
        "listing", description="A referral made by another provider (here: the digital provider): the listing clinic, the referring provider, or the region."
    )
    self_referral: Literal["listing", "region"] = Field(
        "listing", description="Specialist care the resident sought without a referral (the Patient Act allows it for outpatient care): the listing clinic or the region."
    )
    hospital_planned: Literal["listing", "region"] = Field(
        "listing", description="Care the hospital plans itself for a listed resident (follow-up, tests, rehabilitation; an open question of rulebooks.md 4): the listing clinic or the region."
    )
    out_of_region: Literal["listing", "region"] = Field("listing", description="Care in another region's hospital: the listing clinic or the region.")


class Fundholding(Section):
    """Fundholding: a budget per listed resident from which the clinic pays its residents' hospital care in scope.

    Steps (rulebooks.md 4): 0 not in use; 1 the rulebook's text only (no money moves);
    2 shadow accounts for full fundholding (budgets and bills computed and reported, nothing
    paid); 3a the medical clinic's planned outpatient care; 3b its planned outpatient and
    inpatient care; 4 medicine and psychiatry, planned; 5 all planned outpatient care; 6 all
    planned care (route elective: not emergencies, injuries, deliveries or rare diseases);
    7 everything, emergency, trauma, maternity and rare included. Budgets come from the region's spending on the
    services in scope in the warm-up year (run as shadow accounts), risk-adjusted.
    """

    step: Literal["0", "1", "2", "3a", "3b", "4", "5", "6", "7"] = Field("0", description="Step of the stepwise path; 0 = not in use.")
    risk_adjustment: Literal["age_sex", "age_sex_cni", "age_sex_cni_morbidity"] = Field(
        "age_sex_cni",
        description="What the budget per listed resident is adjusted by: age and sex; plus Care Need Index; plus diagnosed morbidity (the ACG-like class). Fitted as a Poisson log-linear model of the warm-up year's costs in scope.",
    )
    budget_update: Literal["fixed", "yearly"] = Field(
        "fixed", description="fixed: budgets from the reference year, for good; yearly: refitted each year on last year's costs."
    )
    budget_basis: Literal["formula", "historic"] = Field(
        "formula",
        description="formula: a resident's budget is the region's risk-adjusted expected cost in scope for residents like them, fitted on the reference year (a capitation formula: a centre's own spending moves it by next to nothing); historic: the formula scaled, for each centre, by its own spending in scope in the reference year against the formula's, as UK fundholders' budgets were set from their own past activity (field-evidence.md S4, READ): a referral in the reference year then adds its price to the centre's budget, which invites inflated activity before entry (evidence.md E15).",
    )
    entry_year: int = Field(
        1,
        ge=1,
        le=50,
        description="Reported year from which fundholding pays; the year before it is the reference year its budgets come from, run as shadow accounts: the warm-up year for 1, a reported (preparatory) year from 2 on, where activity before entry shows (E15, E26).",
    )
    who_pays: WhoPays = WhoPays()
    stop_loss_sek: float | None = Field(None, ge=0, description="Stop-loss reinsurance: a resident's costs to the clinic above this many SEK a year are reinsured by the region (empty: none).")
    stop_loss_share: float = Field(1.0, ge=0, le=1, description="Share of the costs above the stop-loss that the reinsurance pays.")
    carve_out_case_sek: float | None = Field(None, ge=0, description="Cases priced above this many SEK are paid by the region, not the clinic (an extreme-case carve-out; empty: none).")
    carve_out_rare: bool = Field(False, description="Rare diseases are paid by the region.")
    surplus_kept: float = Field(1.0, ge=0, le=1, description="Risk corridor: share of a year's surplus the clinic keeps (the rest returns to the region).")
    deficit_borne: float = Field(1.0, ge=0, le=1, description="Risk corridor: share of a year's deficit the clinic bears (the region covers the rest).")
    corridor_limit: float | None = Field(
        None, ge=0, le=1, description="The most a clinic keeps or bears in a year, as a share of its budget (empty: no limit)."
    )
    pool_min_list: int = Field(
        0, ge=0, le=10_000_000, description="Pooling: clinics are grouped with their nearest neighbours into networks of at least this many listed residents that share one budget (0: each clinic alone)."
    )

    @field_validator("step", mode="before")
    @classmethod
    def _step_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class Establishment(Section):
    """Where providers may open [etableringsfrihet]: free establishment under LOV, or limits the region sets."""

    free: bool = Field(True, description="Any provider that meets the rulebook may open a clinic (LOV; Jämtland 2020, READ); false: no new clinics (geographic responsibility, the Dala model, rulebooks.md 7).")
    min_list: int = Field(0, ge=0, le=100_000, description="Smallest list an entrant must expect to be allowed to open (0: none).")
    max_clinics_per_10000: float | None = Field(
        None,
        ge=0,
        le=100,
        description="No new clinic where open clinics within 10 km already exceed this many per 10,000 residents within 10 km (limiting establishment where supply is high, rulebooks.md 6); empty: no limit.",
    )


class Listing(Section):
    """Listing rules [listningsregler]: caps on list size, a limit on re-listing, geographic sub-areas."""

    cap_per_clinic: int | None = Field(None, ge=100, le=1_000_000, description="Most residents listed with one clinic (empty: no cap; SOU 2019:42 lets regions cap lists, rulebooks.md 5).")
    cap_per_gp_fte: float | None = Field(
        None,
        ge=100,
        le=10_000,
        description="Most listed per GP FTE on staff (e.g. 1,100, the national guideline per specialist, or 1,250, a region's; empty: no cap). A full clinic takes no new residents by choice; when every clinic near a resident is full, the region's last-resort duty lists them with the nearest open clinic regardless.",
    )
    max_switches_per_year: int | None = Field(
        None, ge=0, le=12, description="Most re-listings a resident may make in a calendar year (SOU 2019:42 proposes 2; empty: no limit)."
    )
    sub_areas: Literal["none", "town_and_rest"] = Field(
        "none",
        description="Geographic sub-areas of the care-choice system: town_and_rest splits the region into the town (town areas) and the rest, and residents list only within their own (SOU 2019:42 allows regions to divide the system; the 2021 opposition's separate town system, rulebooks.md 3 and 5).",
    )
    border_regions: list[str] = Field(
        [],
        max_length=20,
        description="Neighbouring regions (their scenario names, e.g. region-07-kronoberg) whose clinics near the border the region's residents may list with "
        "(the Patient Act of 2015 gives the right; which regions' residents use it is NOT FOUND); only in a national run that holds them (sim.border).",
    )
    national_service: bool = Field(
        False,
        description="SOU 2019:42's open national listing service [listningstjänst]: the region's residents may list with clinics near home in every other region of "
        "the national run, as easily as at home (rulebooks.md 5); in a region's own run it changes nothing.",
    )


class LastResort(Section):
    """The region's last-resort duty [sistahandsansvar]: it must offer primary care to its residents (HSL), so where no
    provider stays it keeps or opens a unit of its own and bears its deficits (the Jämtland review, 002 section 5.8)."""

    max_km: float | None = Field(
        None,
        gt=0,
        le=500,
        description="Longest road distance from an area's centre to an open clinic the region accepts, km: where clinics closing would leave an area "
        "farther, the region keeps the nearest closing clinic of its own open, or opens a unit of its own in the area (empty: no distance rule, "
        "the region only keeps one clinic open).",
    )
    own_unit_per_local_area: bool = Field(
        False,
        description="A region-run unit in every local care area [närvårdsområde] the region preset names (Jämtland's political decision, 002 section 5.8, READ): "
        "the last one of a local area is kept open, or a new one opened, whatever its deficits.",
    )
    non_choosers: Literal["nearest", "own_units"] = Field(
        "nearest",
        description="Residents who choose no clinic are listed with the nearest open clinic [närhetsprincipen], or only with the region's own "
        "(own_units: the Competition Authority's reading that the non-choice alternative may go to the region's own units only, 002 section 5.5, READ).",
    )


class Requirements(Section):
    """Volume requirements of the physiotherapy care choice (rulebooks.md 6): a clinic short of them loses part of its list-based payment at year end."""

    min_visits_per_gp_fte: float | None = Field(
        None, ge=0, le=50_000, description="Performance requirement: visits per clinical FTE per year below which the deduction applies (empty: none)."
    )
    min_unique_patients_per_gp_fte: float | None = Field(
        None, ge=0, le=20_000, description="Unique patients seen per clinical FTE per year below which the deduction applies (empty: none)."
    )
    deduction_share: Share = Field(
        0.1, description="Share of the year's list-based payment (capitation) withheld at full shortfall; linear in the shortfall (assumption)."
    )


#: the steps a proposal passes before a revised rulebook is decided (004: the physiotherapy care choice's revision process, READ)
REVISION_STEPS = ("compilation", "preparation", "unions", "management", "health_board", "regional_board", "assembly")


class Revision(Section):
    """The rulebook revision (rulebooks.md 8): the region moves the capitation level toward its targets, through its decision steps, heeding providers.

    At each year's end the region compares the 3-day access share with its target and its
    spending per resident with its budget; providers report their mean margin in the
    dialogue forum. A proposal (a relative change of capitation, within a step limit) then
    passes the decision steps (``steps_months``) and takes effect at the start of the first
    year after they end.
    """

    enabled: bool = Field(False, description="The region revises its rulebook.")
    trigger: Literal["yearly", "when_needed"] = Field(
        "yearly",
        description="yearly: a revision every year; when_needed: only when the indicators call for a change of at least need_threshold "
        "(004: 'revision when needed, not a yearly rulebook', READ).",
    )
    need_threshold: Share = Field(0.02, description="Under trigger when_needed, the smallest relative change of capitation the indicators must call for before the region revises (assumption).")
    steps_months: dict[Literal[REVISION_STEPS], Annotated[int, Field(ge=0, le=24)]] = Field(
        {"compilation": 2, "preparation": 3, "unions": 1, "management": 1, "health_board": 1, "regional_board": 1, "assembly": 1},
        description="Months each decision step takes: compilation of the proposals, preparation with experts and stakeholders (providers among them), "
        "consultation with the unions, the health-care management, the health board (HSN), the regional board (RS), the assembly (RF) (the steps READ "
        "from 004; the months an assumption). A decision takes effect at the start of the first year after its last step.",
    )
    providers_consulted: bool = Field(
        True,
        description="Providers' voice enters the proposal: their mean loss margin, heard in the dialogue forum, pushes capitation up (provider_weight). "
        "False: they are informed once the region has decided (providers ask to be in early, 001, READ).",
    )
    payment_known_before_planning: bool = Field(
        False,
        description="The coming year's payment is decided before clinics plan the year's staff (an earlier budget decision, 'a return to June', 004, READ): "
        "a clinic then plans for the margin the new level gives it; otherwise it plans on last year's margin and meets the new level when it is paid.",
    )
    access_target: Share = Field(0.85, description="Target share assessed within 3 days (the national queue bonus threshold, rulebooks.md 1, READ).")
    access_weight: float = Field(1.0, ge=0, le=10, description="Relative change of capitation per unit of access shortfall (assumption).")
    budget_sek_per_resident: float | None = Field(
        None, ge=0, description="Primary-care budget per resident per year the region steers toward (empty: the first reported year's spending)."
    )
    budget_weight: float = Field(0.5, ge=0, le=10, description="Relative change of capitation per unit of relative overspending (assumption).")
    provider_weight: float = Field(0.3, ge=0, le=10, description="Relative change of capitation per unit of the providers' mean loss margin, as heard in the dialogue (assumption).")
    max_step: Share = Field(0.05, description="Largest relative change of capitation in one revision (assumption).")


class PhysiotherapyRules(Section):
    """The physiotherapy care choice's rulebook [vårdval fysioterapi] (004, rulebooks.md 6): how the region pays
    physiotherapy providers, the volume requirements, the fee for missed visits and where new providers may open."""

    fixed_sek_per_fte_per_year: float = Field(
        900_000, ge=0, description="Fixed payment per physiotherapist FTE a provider staffs, SEK per year (004's 2024 payment: 'a very high degree of predictability', no goal-related pay, READ; the level an assumption)."
    )
    per_visit_sek: float = Field(0, ge=0, le=5_000, description="Variable payment per visit given, SEK (004's revision: 'a fixed payment complemented by a variable one', READ; empty in 2024).")
    tariff_sek_per_visit: float = Field(
        450, ge=0, le=5_000, description="What a provider under the national tariff [LOF] is paid per visit, SEK (assumption: the national tariff's level is not in the sources)."
    )
    tariff_paid_by: Literal["centres", "centres_outside_town", "region"] = Field(
        "region",
        description="Who pays for residents' visits to providers under the national tariff [LOF]: centres, the health centre the resident lists with "
        "(Jämtland 2020's cost responsibility, rulebooks.md 1, READ); centres_outside_town, as centres but a central budget pays for residents of the town areas "
        "(the 2021 opposition's town system without physiotherapy cost responsibility, rulebooks.md 3); region, a central budget (the 2021 majority, rulebooks.md 2).",
    )
    min_visits_per_fte: float | None = Field(
        1_100, ge=0, le=10_000, description="Performance requirement [prestationskrav]: visits per FTE per year below which the deduction applies (004, READ; the level an assumption; empty: none)."
    )
    min_unique_patients_per_fte: float | None = Field(
        None, ge=0, le=5_000, description="Unique patients per FTE per year below which the deduction applies (004's revision, READ; empty: none)."
    )
    deduction_share: Share = Field(0.1, description="Share of the year's fixed payment withheld at full shortfall of a requirement, linear in the shortfall (assumption).")
    no_show_fee_sek: float = Field(0, ge=0, le=2_000, description="Fee a patient pays for a missed or late-cancelled visit, SEK, kept by the provider (004's revision, READ; 0: none).")
    max_fte_per_10000: float | None = Field(
        None, ge=0, le=100, description="No new provider where physiotherapist FTE within 10 km already exceed this many per 10,000 residents within 10 km (004's revision: limit establishment where supply is relatively high, READ; empty: no limit)."
    )


class Rulebook(Section):
    """The region's rulebook [förfrågningsunderlag]: how it pays clinics, what patients pay, who carries which costs."""

    capitation: Capitation = Capitation()
    drug_budget: DrugBudget = DrugBudget()
    sparsity: Sparsity = Sparsity()
    fee_for_service: FeeForService = FeeForService()
    pay_for_performance: PayForPerformance = PayForPerformance()
    patient_fees: PatientFees = PatientFees()
    cost_responsibility: CostResponsibility = CostResponsibility()
    fines: Fines = Fines()
    fundholding: Fundholding = Fundholding()
    digital_visit_fee_sek: float = Field(
        500, ge=0, le=5000, description="Out-of-region fee the home region pays a digital provider per visit, SEK (500 from 2019, sweden.md 7, READ)."
    )
    public_deficits_covered: bool = Field(
        True,
        description="The region covers its own clinics' yearly deficits (Jämtland 2020, READ); if not, a public clinic that keeps losing money closes like a private one.",
    )
    hired_doctors_cap_share: Share | None = Field(
        None,
        description="Largest share of a region-run centre's GP posts it may fill with hired doctors; posts beyond it stay empty, and its capacity with them "
        "(0: a stop on hired doctors, as Jämtland's from 1 June 2013, gp-labour-market.md 3.5, READ (secondary); empty: no cap).",
    )
    establishment: Establishment = Establishment()
    listing: Listing = Listing()
    last_resort: LastResort = LastResort()
    requirements: Requirements = Requirements()
    revision: Revision = Revision()
    physiotherapy: PhysiotherapyRules = PhysiotherapyRules()


# ---------------------------------------------------------------------------- behaviour


class Altruism(Section):
    """Physicians maximise alpha x benefit + (1 - alpha) x profit, alpha = a / (1 + a)."""

    a_values: list[Annotated[float, Field(gt=0, le=100)]] = Field(
        [2.0, 1.0, 0.5], min_length=1, description="Weights a on patient benefit relative to profit (evidence.md E4: Godager & Wiesen 2013 via the Jämtland review, READ)."
    )
    shares: list[NonNeg] = Field(
        [0.44, 0.29, 0.26], min_length=1, description="Share of physicians at each a: 44 % benefit first, 29 % equal, 26 % profit first (E4, READ; normalised to sum 1)."
    )
    scale: float = Field(
        1.0,
        gt=0,
        le=10,
        description="Multiplies every a: the altruism distribution's scale, which no Swedish source pins down (1: the experimental estimates of E4; in the calibrated posterior with a prior log-uniform over 0.5-2, docs/uncertainty.md; varied in the robustness analysis, docs/validation.md).",
    )

    @model_validator(mode="after")
    def _same_length(self) -> Altruism:
        if len(self.a_values) != len(self.shares):
            raise ValueError("a_values and shares must have the same length")
        if sum(self.shares) <= 0:
            raise ValueError("shares must not all be zero")
        return self


class Treatment(Section):
    """How physicians value care: the benefit function B(q) = V q* (2x - x^2), x = q / q*."""

    value_sek_per_unit: float = Field(
        2_500, gt=0, description="Money-metric value of one needed visit to the patient, SEK: B(q*) = this x q* (assumption; calibrated to the visits physicians give up when not paid per visit, evidence.md E7-E8)."
    )
    judgement_noise: float = Field(
        0.3, ge=0, le=3, description="Log-normal spread of a physician's valuation between episodes (assumption)."
    )
    min_units_at_clinic: int = Field(1, ge=0, le=5, description="A contact at a clinic is at least this many visits (the assessment itself).")
    max_units: int = Field(30, ge=1, le=200, description="Most visits per episode.")


class ResultWeight(Section):
    """The share of a centre's result that reaches its physicians' referral decisions, by owner [huvudman].

    A hospital bill a centre pays is money only, and reaches a physician only as far as the
    centre's result does: fully for the owners of a practice, less for salaried physicians
    whose employer covers the deficits. (A visit's cost is the physician's and the team's
    own time, felt whoever owns the centre, so the per-visit margin is weighed in full.)
    """

    private: Share = Field(
        1.0, description="Private centres: the owners keep the surplus and bear the deficit (the normalisation under which the value of a needed referral is fitted to UK practices, partnerships that kept their savings, field-evidence.md S5)."
    )
    public_covered: Share = Field(
        0.5,
        description="The region's own centres whose deficits it covers: salaried physicians, answering to a budget follow-up whose deficits are erased (assumption: no source measures it; within capitated US groups the individual physician's pay made no difference, field-evidence.md U3; in the calibrated posterior with a prior uniform over 0-1, docs/uncertainty.md; varied over 0-1 in the fundholding robustness study).",
    )
    public_uncovered: Share = Field(
        1.0, description="The region's own centres that bear their deficits and close after loss-making years, as private ones (assumption: the same as private)."
    )

    def of(self, owner: str, deficits_covered: bool) -> float:
        """The weight for a provider of this owner ('private', 'public' or 'digital') under the rulebook's deficit cover."""
        if owner != "public":
            return self.private
        return self.public_covered if deficits_covered else self.public_uncovered


class Referral(Section):
    """How physicians refer: a noisy signal of specialist need weighed against what the referral does to profit;
    clear-cut needs are referred whatever the price; some needs left unreferred the resident refers themselves."""

    value_sek: float = Field(
        40_000, gt=0, description="Value to the patient of a needed referral, SEK, as physicians weigh it against what a referral costs the centre (calibrated to UK fundholders' referral growth against other practices, evidence.md E26; E27 and field-evidence.md F1-F3 kept out of the fit; docs/validation.md)."
    )
    clear_cut_belief: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Clinical norm: a physician who believes a specialist need this likely refers whatever the referral costs the centre (assumption: field-evidence.md C1-C2 show that emergencies and urgent referrals did not answer the budget, not where the line lies; E26 does not identify it beside the value of a referral; in the calibrated posterior with a prior uniform over 0.6-1, docs/uncertainty.md; varied over 0.6-1 in the fundholding robustness study; 1 switches the norm off).",
    )
    result_weight: ResultWeight = Field(ResultWeight(), description="Share of the centre's result from a hospital bill that reaches the referral decision, by owner.")
    unneeded_cost_share: float = Field(
        0.3, ge=0, le=1, description="Believed probability of need below which a referral harms the patient more than it helps (assumption)."
    )
    diagnostic_accuracy: float = Field(
        2.5, ge=0, le=10, description="Separation d' of the physician's signal of specialist need (assumption; AUC about 0.96)."
    )
    offload_visits: int = Field(1, ge=0, le=10, description="Primary-care visits a referral saves the clinic (assumption).")
    substitute_visits: int = Field(
        2, ge=0, le=20, description="Extra primary-care visits a physician may give instead of a referral they believe needed but do not make (assumption)."
    )
    substitute_effect: float = Field(
        0.4, ge=0, le=1, description="Share of the health an unreferred specialist need would cost that substitute visits save (assumption)."
    )
    self_referral_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Share of needed referrals a physician does not make that the resident makes themselves [egenremiss, which the Patient Act allows for outpatient care where the region accepts it], getting the specialist care the referral would have given (assumption: no Swedish share found; self-referrals about 10-15 % of first specialist visits, RECALLED, field-evidence.md H4; in the calibrated posterior with a prior uniform over 0-0.3, docs/uncertainty.md; varied in the fundholding robustness study).",
    )


class Continuity(Section):
    """Who a resident sees at their clinic."""

    usual_team_share: float = Field(
        0.75, ge=0, le=1, description="Share of episodes at the listed clinic handled by the resident's usual GP when no hired GPs work there (assumption)."
    )


class Seeking(Section):
    """Where an episode seeks care: multinomial logit over listed clinic, digital provider and emergency department."""

    wait_per_day: float = Field(0.15, ge=0, le=5, description="Disutility of a day's expected wait at the listed clinic.")
    clinic_distance_per_10km: float = Field(0.15, ge=0, le=5, description="Disutility per 10 km to the listed clinic.")
    digital_constant: float = Field(-3.8, ge=-20, le=20, description="Constant of the digital option (assumption, calibrated toward about 3 % digital visits in a northern region, sweden.md 7, READ: Norrbotten 104 contacts per 1,000).")
    digital_per_unit_of_need: float = Field(1.2, ge=0, le=10, description="Disutility of digital care per visit of q* above 1.")
    digital_affinity_spread: float = Field(0.8, ge=0, le=5, description="Spread of residents' digital affinity (assumption).")
    digital_young: float = Field(1.0, ge=-5, le=5, description="Affinity added below age 40 (CHESS 2020:3: the young use most digital care, READ).")
    digital_old: float = Field(-1.0, ge=-5, le=5, description="Affinity added from age 70 (CHESS 2020:3, READ).")
    digital_town: float = Field(0.5, ge=-5, le=5, description="Affinity added in towns (assumption).")
    emergency_constant: float = Field(-5.0, ge=-20, le=20, description="Constant of the emergency department (assumption).")
    emergency_per_unit_of_need: float = Field(0.5, ge=0, le=10, description="Attraction of the emergency department per visit of q* above 1.")
    emergency_distance_per_10km: float = Field(0.3, ge=0, le=5, description="Disutility per 10 km to the hospital.")


class Choice(Section):
    """Listing: who chooses, how often residents reconsider, and a logit over clinics with inertia."""

    active_share: float = Field(
        0.75, ge=0, le=1, description="Residents who make an active choice; the rest are listed with the nearest clinic (Konkurrensverket 2012: 3 in 4, sweden.md 7, READ)."
    )
    reconsider_per_month: float = Field(
        0.02, ge=0, le=1, description="Share of residents who reconsider their clinic each month (assumption, calibrated toward about 5 % re-listing per year: sweden.md 7 marks that figure NOT FOUND; E22 implies about 6 %)."
    )
    distance_per_km: float = Field(0.12, ge=0, le=10, description="Disutility per km to a clinic.")
    wait_per_day: float = Field(0.3, ge=0, le=10, description="Disutility per day of a clinic's expected wait.")
    continuity: float = Field(1.5, ge=0, le=10, description="Utility of staying with the current clinic's usual GP (scaled by the resident's share of visits with them).")
    inertia: float = Field(2.0, ge=0, le=20, description="Utility of staying listed where one is (switching cost).")


class Behaviour(Section):
    """How physicians and residents decide."""

    altruism: Altruism = Altruism()
    treatment: Treatment = Treatment()
    referral: Referral = Referral()
    continuity: Continuity = Continuity()
    seeking: Seeking = Seeking()
    choice: Choice = Choice()


# ---------------------------------------------------------------------------- scenario


class Scenario(Section):
    """A scenario: one region under one rulebook, for a number of months, from one seed."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Short name, used for output folders.")
    description: str = Field("", description="What the scenario represents and where its figures come from.")
    seed: int = Field(1, ge=0, le=2**63 - 1, description="Seed of all random streams.")
    months: int = Field(120, ge=1, le=1200, description="Months simulated and reported.")
    warmup_months: int = Field(
        12,
        ge=0,
        le=120,
        multiple_of=12,
        description="Months (whole years: 0, 12, 24, ...) simulated under the scenario's own rules before reporting starts, so that staffing, lists and health have adapted to the rulebook (a burn-in; nothing of it is reported).",
    )
    start_year: int | None = Field(
        None, ge=1900, le=2200, description="Calendar year of the first reported month (the warm-up comes before it): figures and the dashboard then show calendar years (empty: reported years 1, 2, ...)."
    )
    population: Population = Population()
    market: Market = Market()
    rulebook: Rulebook = Rulebook()
    behaviour: Behaviour = Behaviour()

    @model_validator(mode="after")
    def _fundholding_has_a_reference_year(self) -> Scenario:
        f = self.rulebook.fundholding
        if f.step not in ("0", "1") and f.entry_year == 1 and self.warmup_months < 12:
            raise ValueError("fundholding sets its budgets from the warm-up year: warmup_months must be at least 12 (or rulebook.fundholding.entry_year at least 2)")
        if f.step not in ("0", "1") and self.months <= 12 * (f.entry_year - 1):
            raise ValueError(f"fundholding starts in reported year {f.entry_year}: months must exceed {12 * (f.entry_year - 1)}")
        return self

    def with_values(self, values: dict[str, Any], source: str = "override") -> Scenario:
        """A new scenario with dotted field paths replaced, validated like a file."""
        raw = self.model_dump(mode="json")
        for path, value in values.items():
            set_path(raw, path, value, source)
        return _validate(raw, source)


# ---------------------------------------------------------------------------- loading

_PACKAGE = Path(__file__).resolve().parent


#: the calibrated parameter set every scenario starts from (``vardval calibrate --adopt`` writes it)
CALIBRATED_PATH = _PACKAGE / "calibrated.yaml"


def _calibrated() -> dict[str, Any]:
    if not CALIBRATED_PATH.exists():
        return {}
    return yaml.safe_load(CALIBRATED_PATH.read_text(encoding="utf-8")) or {}


CALIBRATED = _calibrated()
#: the posterior's ensemble experiments with ``uncertainty: parameters`` draw from (``vardval calibrate --adopt``), and its record
POSTERIOR_PATH = _PACKAGE / "posterior.parquet"


def ensemble_version() -> int | None:
    """The adopted ensemble's version (None before one is adopted)."""
    record = POSTERIOR_PATH.with_suffix(".yaml")
    return (yaml.safe_load(record.read_text(encoding="utf-8")) or {}).get("version") if record.exists() else None


def calibrated_values() -> dict[str, Any]:
    """The calibrated values by field path (empty before any calibration is adopted)."""
    return dict(CALIBRATED.get("parameters", {}))


def _nested(values: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for path, value in values.items():
        set_path(raw, path, value, str(CALIBRATED_PATH))
    return raw


def builtin_dir(kind: str) -> Path:
    """Where the built-in scenarios or experiments are: in the wheel, or the source checkout."""
    installed = _PACKAGE / "builtin" / kind
    return installed if installed.is_dir() else _PACKAGE.parent / kind


def resolve_scenario_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """A scenario file's path from a path (absolute, relative to a file, or to the working directory) or a built-in name."""
    candidate = Path(name_or_path)
    tries = [candidate] if candidate.is_absolute() else []
    if not candidate.is_absolute():
        if relative_to is not None:
            tries.append(relative_to.parent / candidate)
        tries.append(Path.cwd() / candidate)
        stem = candidate.name if candidate.suffix in (".yaml", ".yml") else f"{candidate.name}.yaml"
        tries.append(builtin_dir("scenarios") / stem)
    for path in tries:
        if path.is_file():
            return path.resolve()
    folder = next((p for p in tries if p.is_dir()), None)
    if folder is not None:
        inside = sorted(folder.glob("*.yaml"))
        example = f" (e.g. {inside[0]})" if inside else ""
        raise UserError(f"Scenario '{name_or_path}' is a folder; give a scenario file{example} or a built-in name (see 'vardval scenarios').")
    where = f" (named in {relative_to})" if relative_to else ""
    raise UserError(f"Scenario '{name_or_path}'{where} not found: give a path to a YAML file or a built-in name (see 'vardval scenarios').")


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML file of fields; a file that is not UTF-8, or not YAML, is refused in one sentence that says where and why."""
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder; give a YAML file.") from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        line = exc.object[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path}: is not UTF-8 text (byte 0x{byte:02x} on line {line}, as an older editor's Latin-1 writes 'ä', 'å' or 'ö'); save the file as UTF-8."
        ) from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror}).") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = str(getattr(exc, "problem", "") or "")
        if "\\t" in problem or "\t" in problem:  # PyYAML writes the tab it found escaped
            why = ": a tab, where YAML indents with spaces only"
        elif "constructor for the tag" in problem:
            tag = problem.split("tag", 1)[1].strip(" '").rstrip("'")
            why = f": a tag ({tag}); write plain values, without '!'"
        else:
            why = f": {problem}" if problem else ""
        raise UserError(f"{path}: is not valid YAML{where}{why}.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: must be a mapping of fields (name, description, seed, ...), not a {type(data).__name__}.")
    return data


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _raw_scenario(path: Path, chain: tuple[Path, ...] = (), calibrated: bool = True) -> dict[str, Any]:
    """The file's fields merged over its parents' (the root's over the calibrated set, unless ``calibrated`` is
    false); its name and description are its own."""
    if path in chain:
        raise UserError(f"{path}: 'extends' makes a cycle ({' -> '.join(p.name for p in chain + (path,))}).")
    data = read_yaml(path)
    if not data:
        raise UserError(f"{path}: is empty; a scenario needs at least a name and a description, or 'extends' and the fields it changes.")
    parent_name = data.pop("extends", None)
    if parent_name is None and "name" not in data:
        raise UserError(f"{path}: has neither name nor extends; give name: SHORT-NAME (and the fields it sets), or extends: a scenario and the fields it changes.")
    data.setdefault("name", path.stem)
    if parent_name is None:  # a root scenario starts from the calibrated parameters; its own fields win
        return _merge(_nested(calibrated_values()), data) if calibrated else data
    if not isinstance(parent_name, str):
        raise UserError(f"{path}: field 'extends' must be the path or name of another scenario.")
    parent = _raw_scenario(resolve_scenario_path(parent_name, relative_to=path), chain + (path,), calibrated)
    parent.pop("description", None)
    return _merge(parent, data)


def set_path(raw: dict[str, Any], path: str, value: Any, source: str) -> None:
    """Set a dotted field path in a raw scenario (``source``: how the value was given, for the error)."""
    keys = path.split(".")
    node = raw
    for i, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            raise UserError(f"{source}: field '{'.'.join(keys[: i + 1])}' is a value, not a section, so '{path}' does not exist.")
        node = child
    node[keys[-1]] = value


def _validate(raw: dict[str, Any], source: str, blame: dict[str, str] | None = None) -> Scenario:
    """Validate; an error names ``source``, or the override in ``blame`` (field path -> how it was given) it comes from."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        loc = ".".join(str(p) for p in exc.errors()[0]["loc"])
        culprit = next((label for path, label in (blame or {}).items() if loc == path or loc.startswith(path + ".") or path.startswith(loc + ".")), None)
        raise UserError(describe_validation(culprit or source, exc, model=Scenario)) from None


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``field.path=value``; the value is read as YAML (numbers, booleans, lists)."""
    if "=" not in text:
        raise UserError(f"--set {text}: write it as field.path=value, e.g. rulebook.capitation.cni_share=0.4.")
    path, _, value = text.partition("=")
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        raise UserError(f"--set {text}: the value is not valid YAML.") from None
    return path.strip(), parsed


def load_scenario(
    name_or_path: str | Path, overrides: dict[str, Any] | None = None, labels: dict[str, str] | None = None, calibrated: bool = True
) -> Scenario:
    """Load, merge along ``extends``, apply dotted overrides and validate a scenario file; ``calibrated``: start
    from the adopted calibrated set (false: the schema's defaults, as the calibration itself does).

    The file is validated on its own first, so an error names the file when the file is
    wrong and the override (as ``labels`` says it was given, e.g. ``--months``) when that is.
    """
    path = resolve_scenario_path(name_or_path)
    raw = _raw_scenario(path, calibrated=calibrated)
    scenario = _validate(raw, str(path))
    if not overrides:
        return scenario
    labels = {path_: (labels or {}).get(path_, f"--set {path_}={value}") for path_, value in overrides.items()}
    for field_path, value in overrides.items():
        set_path(raw, field_path, value, labels[field_path])
    return _validate(raw, str(path), blame=labels)


def builtin_scenarios() -> list[tuple[str, str]]:
    """(name, description) of every built-in scenario."""
    found = []
    for path in sorted(builtin_dir("scenarios").glob("*.yaml")):
        raw = read_yaml(path)
        description = raw.get("description", "") if "regions" in raw else load_scenario(path).description  # a national run (sim.nation)
        found.append((path.stem, " ".join(description.split())))
    return found
