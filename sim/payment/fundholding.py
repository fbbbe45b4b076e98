"""Fundholding: each clinic gets a budget per listed resident and pays its residents' hospital care in scope.

The budget per resident is the expected yearly cost in scope of residents like them
(age and sex, and optionally the Care Need Index and morbidity: ``risk_adjustment``),
fitted on the reference year, the year before fundholding pays (the warm-up year, or a
reported preparatory year: ``entry_year``), which runs as shadow accounts so that it
shows spending before fundholding. With ``budget_basis: historic`` each centre's budgets
are scaled by its own spending in that year against the formula's, as UK fundholders'
were. Each month the clinic is paid a twelfth of its residents' budgets and billed the
in-scope price of their cases (the scope of the step; who pays for care the clinic did
not refer follows ``who_pays``), less what the safeguards take over:

- stop-loss reinsurance: above a threshold per resident and year, the region pays a share;
- carve-outs: rare diseases and cases above a price are the region's;
- a risk corridor: at year end the clinic keeps only a share of its surplus and bears only
  a share of its deficit, within a limit, the region settling the rest;
- pooling: clinics grouped into networks of a minimum list size share one result, split by
  budget.

A referral now costs the clinic its expected in-scope price (less reinsurance, shared with
its pool): the physician weighs the share of it that reaches their decision against the
referral's benefit by their altruism, as every other incentive (``sim/behaviour/treatment.py``).
Under historic budgets a referral in the reference year instead adds its price to next
year's budget, a gain, and historic budgets refitted yearly (``budget_update: yearly``)
give every year's price back the next, so a referral costs the centre nothing; a formula
refitted yearly gives a centre back only its share of the region's spending. Step 2 computes all of this
and moves no money; step 1 is the rulebook's text alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.hospital import HOSPITAL_PLANNED, RARE, REFERRAL, ROUTES, SELF_REFERRAL, SPECIALTIES, Cases
from sim.needs import CLINIC, DIGITAL, Episodes
from sim.payment import Outcome, Payment, PaymentRule
from sim.population import N_CELLS
from sim.risk_adjustment import RiskModel, classes, fit
from sim.scenario import Fundholding as Params, Hospital as HospitalParams


@dataclass(frozen=True)
class Scope:
    """The hospital care a fundholder pays for: its specialties, settings and routes (sim.hospital.ROUTES)."""

    specialties: tuple[str, ...]
    outpatient: bool
    inpatient: bool
    routes: tuple[str, ...]


PLANNED = ("elective",)  # planned care: not emergencies, injuries, deliveries or rare diseases
EVERYTHING = Scope(SPECIALTIES, True, True, ROUTES)
SCOPES = {
    "2": EVERYTHING,  # shadow accounts of full fundholding
    "3a": Scope(("medicine",), True, False, PLANNED),
    "3b": Scope(("medicine",), True, True, PLANNED),
    "4": Scope(("medicine", "psychiatry"), True, True, PLANNED),
    "5": Scope(SPECIALTIES, True, False, PLANNED),
    "6": Scope(SPECIALTIES, True, True, PLANNED),
    "7": EVERYTHING,
}
ACCOUNTS = ("budget", "billed", "reinsured", "settlement")


@dataclass(frozen=True)
class SettledYear:
    """A fundholding year as it was settled: each resident's budget and the in-scope cost their clinic kept, SEK per
    year, and their clinic; the areas of the providers; the model month of the settlement."""

    month: int
    budget: np.ndarray
    cost: np.ndarray
    clinic: np.ndarray
    clinic_area: np.ndarray


@dataclass
class HospitalBills:
    """Who pays each case's price: ``billed_sek`` by ``provider`` (-1: nobody), the rest by the region."""

    provider: np.ndarray
    billed_sek: np.ndarray


class Fundholding(PaymentRule):
    item = "fundholding"
    category = "hospital"
    label = "fundholding budget"
    income = "fundholding budget"
    for_clinic_costs = False
    columns = {
        "fundholding_budget_sek": "under fundholding (also in shadow, step 2): the year's budget for the clinic's listed residents, SEK; empty when fundholding is not in use and for the digital provider",
        "fundholding_billed_sek": "the hospital bills it paid (after reinsurance and carve-outs), SEK",
        "fundholding_reinsured_sek": "of the bills, what the stop-loss reinsurance paid, SEK",
        "fundholding_settlement_sek": "the year-end settlement of the risk corridor and the pool (region to clinic; negative: clinic to region), SEK",
        "fundholding_result_sek": "budget minus bills plus settlement: the clinic's fundholding result, SEK",
    }
    outcomes = (
        Outcome("fundholder_result_cv", "under fundholding (step 2 and up): standard deviation over clinic-years of the fundholding result per listed resident, over the mean budget per listed resident",
                "Fundholders' result, spread (share of budget)", "pct"),
        Outcome("p_fundholder_deficit_over_5pct", "share of clinic-years whose fundholding result is a deficit larger than 5 % of the budget",
                "  deficit over 5 % of the budget, share of years", "pct"),
        Outcome("p_fundholder_deficit_over_10pct", "the same beyond 10 % of the budget"),
    )

    @classmethod
    def from_rulebook(cls, rulebook, hospital) -> Fundholding:
        return cls(rulebook.fundholding, hospital)

    def __init__(self, params: Params, hospital: HospitalParams):
        self.params = params
        self.hospital = hospital
        self.scope = SCOPES.get(params.step)
        self.model: RiskModel | None = None
        self.history = np.ones(0)  # historic basis: each provider's reference-year spending over the formula's (1: none)
        self.retained_share = 1.0  # of in-scope prices the clinics pay after the safeguards, in the reference year
        self.pool: np.ndarray | None = None  # pool of each provider
        self.settled: SettledYear | None = None  # the last year settled, per resident (for sim.risk.ListSizeRisk)

    # ------------------------------------------------------------------ state

    @property
    def accounting(self) -> bool:
        """Budgets and bills are computed (shadow accounts or real money)."""
        return self.scope is not None

    def _entry_month(self, market) -> int:
        """The model month fundholding starts paying: the first of reported year ``entry_year``."""
        return market.warmup + 12 * (self.params.entry_year - 1)

    def paying(self, market) -> bool:
        """Money moves: a step from 3a, from the entry year on (the year before it is the shadow reference)."""
        return self.accounting and self.params.step != "2" and market.month >= self._entry_month(market) and self.model is not None

    def _reference_year(self, market) -> bool:
        """This month lies in the reference year of a step that will pay: the year its budgets come from."""
        entry = self._entry_month(market)
        return self.accounting and self.params.step != "2" and entry - 12 <= market.month < entry

    def carry(self) -> float:
        """What a krona of a centre's spending in scope adds to its own next budget: one under historic
        budgets, next to nothing under a formula fitted on the whole region."""
        return 1.0 if self.params.budget_basis == "historic" else 0.0

    def _reset_year(self, n_residents: int, n_providers: int = 0) -> None:
        self.resident_cost = np.zeros(n_residents)  # in-scope prices the listing clinic keeps, this year, SEK
        self.resident_billed = np.zeros(n_residents)  # before reinsurance, for the stop-loss
        self.books = {name: np.zeros(n_providers) for name in ACCOUNTS}
        self.in_scope_total = 0.0
        self.retained_total = 0.0

    def open_books(self, market) -> None:
        self._reset_year(len(market.population), market.n_providers)

    def _follow_residents(self, market) -> None:
        """The residents' tallies start each year empty, but the population changes after that (births, deaths,
        moves at the year's end): they take its new size."""
        if len(self.resident_cost) != len(market.population):
            self.resident_cost = np.zeros(len(market.population))
            self.resident_billed = np.zeros(len(market.population))

    # ------------------------------------------------------------------ scope and bills

    def in_scope_sek(self, cases: Cases) -> np.ndarray:
        """The part of each case's price within the step's scope, SEK."""
        s = self.scope
        covered = np.isin(cases.specialty, [SPECIALTIES.index(x) for x in s.specialties]) & np.isin(cases.route, [ROUTES.index(r) for r in s.routes])
        return np.where(covered, cases.outpatient_sek * s.outpatient + cases.inpatient_sek * s.inpatient, 0.0)

    def _payer(self, market, cases: Cases) -> np.ndarray:
        """The provider that pays each case (-1: the region): by default the listing clinic."""
        w = self.params.who_pays
        listing = market.population.clinic[cases.row]
        payer = listing.copy()
        by_other = (cases.origin == REFERRAL) & (cases.referrer != listing)
        payer[by_other] = {"listing": listing[by_other], "referring": cases.referrer[by_other], "region": -1}[w.referral_by_other_provider]
        if w.self_referral == "region":
            payer[cases.origin == SELF_REFERRAL] = -1
        if w.hospital_planned == "region":
            payer[cases.origin == HOSPITAL_PLANNED] = -1
        if w.out_of_region == "region":
            payer[cases.out_of_region] = -1
        carved = np.zeros(len(cases), bool)
        if self.params.carve_out_rare:
            carved |= cases.route == RARE
        if self.params.carve_out_case_sek is not None:
            carved |= cases.cost > self.params.carve_out_case_sek
        payer[carved] = -1
        return payer

    def _bills(self, market, cases: Cases) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(payer, the payer's bill after reinsurance, the in-scope amount) for each case; keeps the year's books."""
        self._follow_residents(market)
        amount = self.in_scope_sek(cases)
        payer = self._payer(market, cases)
        amount_paid = np.where(payer >= 0, amount, 0.0)
        reinsured = self._reinsure(cases.row, amount_paid)
        billed = amount_paid - reinsured
        n = market.n_providers
        paid = payer >= 0
        self.books["billed"] += np.bincount(payer[paid], weights=billed[paid], minlength=n)
        self.books["reinsured"] += np.bincount(payer[paid], weights=reinsured[paid], minlength=n)
        listing = paid & (payer == market.population.clinic[cases.row])
        np.add.at(self.resident_cost, cases.row[listing], billed[listing])
        self.in_scope_total += amount.sum()
        self.retained_total += billed.sum()
        return payer, billed, amount

    def _reinsure(self, rows: np.ndarray, amount: np.ndarray) -> np.ndarray:
        """The stop-loss: the part of each case's bill above the resident's yearly threshold the region pays."""
        p = self.params
        before = self.resident_billed[rows].copy()
        order = np.lexsort((np.arange(len(rows)), rows))  # a resident's cases of the month, in order
        sorted_rows, sorted_amount = rows[order], amount[order]
        running = np.cumsum(sorted_amount)
        first = np.r_[True, sorted_rows[1:] != sorted_rows[:-1]]
        start = np.maximum.accumulate(np.where(first, running - sorted_amount, 0))
        earlier = np.empty_like(amount)
        earlier[order] = running - sorted_amount - start  # this month's bills before this case
        np.add.at(self.resident_billed, rows, amount)
        if p.stop_loss_sek is None:
            return np.zeros_like(amount)
        so_far = before + earlier
        above = np.maximum(so_far + amount - p.stop_loss_sek, 0) - np.maximum(so_far - p.stop_loss_sek, 0)
        return p.stop_loss_share * above

    def hospital_bills(self, market, cases: Cases) -> HospitalBills | None:
        if not self.accounting:
            return None
        payer, billed, _ = self._bills(market, cases)
        if not self.paying(market):
            return None
        return HospitalBills(provider=payer, billed_sek=np.where(payer >= 0, billed, 0.0))

    # ------------------------------------------------------------------ budgets

    def _formula(self, pop) -> np.ndarray:
        """Each resident's budget by the formula, SEK per year (kept until the population or the formula changes)."""
        return pop.derived("fundholding formula", lambda: self.model.expected(classes(pop)))

    def sek_per_year(self, pop) -> np.ndarray | None:
        """Each resident's budget, SEK per year: the formula's, scaled by their centre's history on a historic
        basis (None before the budgets are set)."""
        if self.model is None:
            return None
        formula = self._formula(pop)
        if self.params.budget_basis == "formula":
            return formula
        history = np.ones(int(pop.clinic.max()) + 1)
        known = min(len(history), len(self.history))
        history[:known] = self.history[:known]
        return formula * history[pop.clinic]

    def monthly(self, market, ep: Episodes) -> Payment | None:
        pop = market.population
        budget = self.sek_per_year(pop)
        if budget is None or not market.reporting:
            return None
        if self.pool is None:
            self.pool = self._form_pools(market)
        to_clinics = np.bincount(pop.clinic, weights=budget / 12, minlength=market.n_providers)
        self.books["budget"] += to_clinics
        if not self.paying(market):
            return None
        return Payment(provider_sek=to_clinics, cell_sek=np.bincount(pop.cell, weights=budget / 12, minlength=N_CELLS))

    # ------------------------------------------------------------------ the physician's price of a referral

    def referral_price(self, market, ep: Episodes) -> np.ndarray | float:
        """What referring each episode does to the provider that would pay for it, SEK: its expected in-scope price
        while fundholding pays, less what the referral adds to the provider's next budget (historic budgets:
        in the reference year the price is a gain; historic budgets refitted yearly leave no price)."""
        if self._reference_year(market):
            return -self.carry() * self._expected_price(ep)
        if not self.paying(market):
            return 0.0
        refit = self.carry() if self.params.budget_update == "yearly" else 0.0
        return (1 - refit) * self._expected_price(ep) * self._borne_share(market, ep)

    def _expected_price(self, ep: Episodes) -> np.ndarray:
        """Expected in-scope price of referring each episode, SEK, given the physician's belief in its need."""
        h, s = self.hospital, self.scope
        specialty = np.isin(ep.specialty, [SPECIALTIES.index(x) for x in s.specialties])
        route = (1 - h.rare_share) * ("elective" in s.routes) + h.rare_share * ("rare" in s.routes)  # a referral is elective or rare
        in_scope = specialty * route
        needed = in_scope * (s.outpatient * h.referral_outpatient_sek + s.inpatient * h.referral_admission_share * h.inpatient_sek)
        unneeded = in_scope * s.outpatient * h.unneeded_referral_sek
        who = self.params.who_pays.referral_by_other_provider
        pays = (ep.channel == CLINIC) | ((ep.channel == DIGITAL) & (who == "referring"))
        return np.where(pays, ep.p_hat * needed + (1 - ep.p_hat) * unneeded, 0.0)

    def _borne_share(self, market, ep: Episodes) -> np.ndarray | float:
        """The share of a referral's price its provider bears: after reinsurance, its pool's and the corridor's shares."""
        share = self._marginal_share(market)[np.maximum(ep.provider, 0)] if self.pool is not None else 1.0
        return self.retained_share * share

    def _marginal_share(self, market) -> np.ndarray:
        """The share of one more krona of bills that each provider itself bears, at its year-to-date position.

        In a pool it bears its list's share of the pool's bill; inside the risk corridor the
        share of a deficit (or of a surplus forgone) it keeps; past the corridor's limit none.
        """
        p = self.params
        lists = market.list_sizes
        pool = self._pools(len(lists))
        pooled_list = np.bincount(pool, weights=lists)[pool]
        share = np.divide(lists, pooled_list, out=np.ones_like(lists), where=pooled_list > 0)
        result = np.bincount(pool, weights=self.books["budget"] - self.books["billed"], minlength=len(lists))[pool]
        kept = np.where(result > 0, p.surplus_kept, p.deficit_borne)
        if p.corridor_limit is not None:
            budget = np.bincount(pool, weights=self.books["budget"], minlength=len(lists))[pool]
            kept = np.where((budget > 0) & (np.abs(kept * result) >= p.corridor_limit * budget), 0.0, kept)
        return share * kept

    # ------------------------------------------------------------------ year end

    def yearly(self, market) -> Payment | None:
        """Settle the year: corridor and pooling; set (or reset) the budgets; measure the risk by list size."""
        if not self.accounting:
            return None
        pop = market.population
        if market.month + 1 <= self._entry_month(market):  # a year before entry; the one just before it is the reference
            if market.month + 1 == self._entry_month(market):
                self._fit(market)
            return None
        self.books["settlement"] = self._settle(self.books["budget"] - self.books["billed"])
        self.settled = SettledYear(market.month, self.sek_per_year(pop), self.resident_cost, pop.clinic.copy(), np.maximum(market.clinic_area, 0))
        if self.params.budget_update == "yearly":
            self._fit(market)
        return Payment(provider_sek=self.books["settlement"].copy()) if self.paying(market) else None

    def start_year(self, market) -> None:
        """The year is settled and recorded: the books start afresh."""
        if self.accounting:
            self._reset_year(len(market.population), market.n_providers)

    def clinic_year(self, market, settled: bool) -> dict[str, np.ndarray]:
        """The year's accounts so far per provider (SEK): budget, billed, reinsured, settlement and the result; NaN
        for the digital provider, for a provider the books do not reach yet, and when fundholding is not in use."""
        n = market.n_providers
        accounts = dict(self.books) if self.accounting else {}
        if accounts:
            accounts["result"] = accounts["budget"] - accounts["billed"] + accounts["settlement"]
        digital = market.providers_table.is_owner("digital")
        columns = {}
        for name in (*ACCOUNTS, "result"):
            values = np.full(n, np.nan)
            if name in accounts:
                values[: len(accounts[name])] = accounts[name][:n]
            values[digital] = np.nan
            columns[f"fundholding_{name}_sek"] = values
        return columns

    def summary(self, clinic_years) -> dict[str, float | None]:
        """Spread of fundholders' yearly results over full clinic-years (the standard deviation of the result per
        listed resident over the mean budget per listed resident, and the shares of years in deficit beyond 5 % and
        10 %)."""
        return self._spread(clinic_years)

    def _spread(self, clinic_years) -> dict[str, float | None]:
        keys = ("fundholder_result_cv", "p_fundholder_deficit_over_5pct", "p_fundholder_deficit_over_10pct")
        if not len(clinic_years) or clinic_years["fundholding_budget_sek"].isna().all():
            return dict.fromkeys(keys)
        rows = clinic_years[(clinic_years["owner"] != "digital") & (clinic_years["fundholding_budget_sek"] > 0) & (clinic_years["months"] == 12)]
        if not len(rows):
            return dict.fromkeys(keys)
        result = rows["fundholding_result_sek"] / rows["listed"]
        budget = rows["fundholding_budget_sek"] / rows["listed"]
        share = rows["fundholding_result_sek"] / rows["fundholding_budget_sek"]
        values = (result.std(ddof=1) / budget.mean() if len(rows) > 1 else np.nan, np.mean(share < -0.05), np.mean(share < -0.10))
        return {key: None if np.isnan(value) else float(value) for key, value in zip(keys, values)}

    def _fit(self, market) -> None:
        """Budgets from the year just ended: the formula on its costs in scope, and each centre's history against it."""
        pop = market.population
        self.model = fit(self.params.risk_adjustment, classes(pop), self.resident_cost)
        pop.forget("fundholding formula")
        expected = np.bincount(pop.clinic, weights=self._formula(pop), minlength=market.n_providers)
        spent = np.bincount(pop.clinic, weights=self.resident_cost, minlength=market.n_providers)
        self.history = np.divide(spent, expected, out=np.ones(market.n_providers), where=expected > 0)
        self.retained_share = self.retained_total / self.in_scope_total if self.in_scope_total > 0 else 1.0

    def _settle(self, result: np.ndarray) -> np.ndarray:
        """Corridor and pooling: each provider's settlement (region to clinic; negative: clinic to region), SEK."""
        p = self.params
        budget = self.books["budget"]
        pool = self._pools(len(result))
        pooled_result = np.bincount(pool, weights=result)[pool]
        pooled_budget = np.bincount(pool, weights=budget)[pool]
        kept = np.where(pooled_result > 0, p.surplus_kept * pooled_result, p.deficit_borne * pooled_result)
        if p.corridor_limit is not None:
            kept = np.clip(kept, -p.corridor_limit * pooled_budget, p.corridor_limit * pooled_budget)
        share = np.divide(budget, pooled_budget, out=np.zeros_like(budget), where=pooled_budget > 0)
        return kept * share - result

    def _pools(self, n: int) -> np.ndarray:
        """Each of ``n`` providers' pool; a provider that came after the pools were formed is alone."""
        return self.pool if len(self.pool) == n else np.arange(n)

    def _form_pools(self, market) -> np.ndarray:
        """Group clinics with their nearest neighbours until every pool lists at least ``pool_min_list`` residents."""
        n = market.n_providers
        pool = np.arange(n)
        if self.params.pool_min_list <= 0:
            return pool
        lists = market.list_sizes
        road = market.geography.road_km
        area = market.clinic_area
        clinics = [c.index for c in market.clinics if c.open]
        unpooled = sorted(clinics, key=lambda c: lists[c])
        while unpooled:
            seed = unpooled.pop(0)
            members, total = [seed], lists[seed]
            for other in sorted(unpooled, key=lambda c: road[area[seed], area[c]]):
                if total >= self.params.pool_min_list:
                    break
                members.append(other)
                total += lists[other]
                unpooled.remove(other)
            pool[members] = seed
        return pool
