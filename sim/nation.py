"""Sweden in one run: a set of regions stepped month by month together, meeting in the national digital market.

Each region is its own market (``sim.model.CareMarket``) under its own rulebook (``scenarios/region-CC-name.yaml``):
its residents, centres, hospital and money stay its own. The regions meet where care crosses a border: the national
digital-first provider [nätläkare] is registered in a host region, takes contacts from residents of every region up
to its capacity, and bills each home region at that region's out-of-region fee [utomlänsersättning], which the host
region passes on (SOU 2019:42: regions' purchases from each other doubled with digital care). Each month, in order:

1. every region steps under the share of its digital episodes the provider can take this month (``capacity_share``:
   its capacity over last month's national demand, the same share for every region);
2. the month's contacts, fees and costs are gathered, by region (``MonthReport``), into the flows table and next
   month's share (``DigitalMarket``).

Where a region's rulebook lets its residents list across the border (``rulebook.listing.border_regions``, or the open
national listing service, ``listing.national_service``), its residents near a neighbour may list with the neighbour's
clinics (sim.border): each month the home region copies the host clinics' last month, and the host queues the home
residents' visits and takes the home region's pay for them the month after (``BorderExchange``).

The regions share nothing else, so they may step on separate Ray workers (actors, ``workers`` > 1) with the same
results: each region's random streams are seeded from the national seed and the region's name, whatever worker holds
it, and the exchange sums the regions in the run's order.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.border import BorderMonth, BorderSite, HostClinic, border_sites, host_regions, host_state
from sim.errors import UserError, describe_validation
from sim.geography import load_region
from sim.outcomes import SUMS, add_rates
from sim.payment.out_of_region import OutOfRegionFee
from sim.runner import HEADLINE, RunResult, Simulation, finish, start
from sim.scenario import Scenario, load_scenario, read_yaml, resolve_scenario_path, set_path

#: outcomes a national run adds to every region's and the run's (``NationalResult.by_region``)
NATIONAL_OUTCOMES = ("digital_contacts_per_1000", "out_of_region_fees_per_capita_sek", "listed_across_border_share", "border_payments_per_capita_sek")
#: the outcomes a national run tells by region: every headline rate, the centres and its own
BY_REGION = (*HEADLINE, "clinics_initial", "clinics_final", *NATIONAL_OUTCOMES)
PROVIDER = "national digital provider"  # the payee of the host region's pass-through in the flows table
ITEM = "out-of-region fee for digital contacts"
FEES_ITEM = "patient fees for digital contacts"
RESIDENTS = "residents"  # the payer of patient fees in the flows table
BORDER_ITEM = "care-choice payments for residents listed across the border"
BORDER_FEES_ITEM = "patient fees at clinics across the border"


#: region fields a national run sets from its own (a region's seed is drawn from the national one)
NATIONAL_FIELDS = {"seed": "seed", "months": "months", "warmup_months": "warmup_months", "population.sample_share": "sample_share"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NationalDigital(_Strict):
    """The national digital-first providers, seen as one: where they are registered and what they can take."""

    host: str = Field(
        "region-06-jonkoping",
        description="The region scenario the national digital providers are registered in, which bills the others and passes their fees on "
        "(Jönköping: its out-of-region fee set the national level, sweden.md 7, READ; the providers' registration there is RECALLED).",
    )
    capacity_episodes_per_1000_per_month: float | None = Field(
        None,
        gt=0,
        le=1_000,
        description="Care episodes per 1,000 residents of the run that the national providers can take in a month (each gives one or two digital visits); "
        "the rest turn to their listed clinic (empty: every episode, as in one region's run; the providers' capacity is NOT FOUND: the 2019 volume, about "
        "127,000 visits a month or 12 per 1,000, sweden.md 7, READ, is what they gave, not what they could).",
    )


class NationalScenario(_Strict):
    """A national run: which regions, for how long, on how many of their residents, under which common fields."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Short name, used for output folders.")
    description: str = Field("", description="What the run represents.")
    seed: int = Field(1, ge=0, le=2**63 - 1, description="National seed; each region's streams are seeded from it and the region's name.")
    months: int = Field(120, ge=1, le=1200, description="Months simulated and reported in every region.")
    warmup_months: int = Field(12, ge=0, le=120, multiple_of=12, description="Months of warm-up in every region before reporting starts (whole years).")
    sample_share: float | None = Field(
        None, gt=0, le=1, description="Share of every region's residents simulated (every centre kept, its fixed costs scaled; empty: all 10.5 million)."
    )
    regions: list[str] = Field(min_length=1, description="The region scenarios in the run (each a scenario file or built-in name, e.g. region-01-stockholm).")
    common: dict[str, Any] = Field(
        {}, description="Scenario fields set in every region, by dotted path (national principles, e.g. rulebook.patient_fees.doctor_visit_sek: 100)."
    )
    digital: NationalDigital = NationalDigital()

    @model_validator(mode="after")
    def _host_in_run(self) -> NationalScenario:
        for path, own in NATIONAL_FIELDS.items():
            if path in self.common:
                raise ValueError(f"common sets {path}, which a national run sets in every region from its own field {own}: set {own} instead")
        if len(set(self.regions)) < len(self.regions):
            raise ValueError(f"a region appears twice: {next(r for r in self.regions if self.regions.count(r) > 1)}")
        if self.digital.host not in self.regions:
            raise ValueError(f"the host region {self.digital.host} is not in the run's regions")
        return self


def is_national(path: Path) -> bool:
    """A scenario file that holds regions (a national run) rather than one region."""
    return "regions" in read_yaml(path)


def load_national(name_or_path: str | Path, overrides: dict[str, Any] | None = None, labels: dict[str, str] | None = None) -> tuple[NationalScenario, list[Scenario]]:
    """A national scenario (``read_national``) and each region's scenario as the run steps it (``region_scenarios``)."""
    path = resolve_scenario_path(name_or_path)
    national = read_national(path, overrides, labels)
    return national, region_scenarios(national, path, labels)


def read_national(path: Path, overrides: dict[str, Any] | None = None, labels: dict[str, str] | None = None) -> NationalScenario:
    """A national scenario file with ``overrides``: fields of the national scenario by their path (``seed``,
    ``sample_share``, ``digital.host``), any other dotted path a region field set in every region (into ``common``)."""
    raw = read_yaml(path)
    own = {k: v for k, v in (overrides or {}).items() if k.split(".")[0] in NationalScenario.model_fields and k != "common"}
    labels = {k: (labels or {}).get(k, f"--set {k}") for k in overrides or {}}
    for key, value in own.items():
        set_path(raw, key, value, labels[key])
    try:
        national = NationalScenario.model_validate(raw)
    except ValidationError as exc:
        loc = tuple(str(p) for p in exc.errors()[0]["loc"])
        culprit = next((labels[k] for k in own if loc[: len(k.split("."))] == tuple(k.split("."))), None)
        raise UserError(describe_validation(culprit or str(path), exc, model=NationalScenario)) from None
    every_region = {k: v for k, v in (overrides or {}).items() if k not in own}
    for key in every_region:
        if key in NATIONAL_FIELDS:
            raise UserError(f"{labels[key]}: a national run sets {key} in every region from its own field {NATIONAL_FIELDS[key]}; give --set {NATIONAL_FIELDS[key]}=... instead.")
    if every_region:
        national = national.model_copy(update={"common": {**national.common, **every_region}})
    return national


def region_scenarios(national: NationalScenario, path: Path | None = None, labels: dict[str, str] | None = None) -> list[Scenario]:
    """Each region's scenario as the national run steps it: the region's file (a name resolved beside ``path``, the
    national file, or built in) with the national ``common`` fields, its own seed and the national months, warm-up
    and sample share. A mistake names the national file's field, or the override (``labels``) it came from."""
    source = path or national.name
    blame = {k: f"{source}: {k}" for k in ("months", "warmup_months", "population.sample_share")}
    blame |= {k: (labels or {}).get(k, f"{source}: common.{k}") for k in national.common}
    scenarios = []
    for region in national.regions:
        try:
            region_path = resolve_scenario_path(region, relative_to=path)
        except UserError:
            raise UserError(f"{source}: regions: '{region}' is not a scenario; allowed: a region scenario such as region-01-stockholm (see 'vardval scenarios').") from None
        if is_national(region_path):
            raise UserError(f"{source}: regions: '{region}' is itself a national run; name region scenarios (region-CC-name).")
        fields = {**national.common, "seed": region_seed(national.seed, region), "months": national.months, "warmup_months": national.warmup_months}
        if national.sample_share is not None:
            fields["population.sample_share"] = national.sample_share
        scenario = load_scenario(region_path, fields, blame)
        border = "rulebook.listing.border_regions"
        where = blame[border] if border in national.common else f"{source}: {region}: {border}"
        for other in scenario.rulebook.listing.border_regions:
            if other not in national.regions or other == region:
                raise UserError(
                    f"{where}: '{other}' is not another region of the run (for {region}); allowed: the run's other regions (regions:), such as "
                    f"{next(r for r in national.regions if r != region) if len(national.regions) > 1 else 'none in a run of one region'}."
                )
        if scenario.rulebook.listing.border_regions or scenario.rulebook.listing.national_service:
            if scenario.market.physiotherapy.enabled:
                raise UserError(f"{source}: {region}: market.physiotherapy.enabled: physiotherapy is not modelled with listing across the border; set it false or leave the border closed.")
        scenarios.append(scenario)
    return scenarios


def region_seed(seed: int, region: str) -> int:
    """The seed of a region's streams in a national run: from the national seed and the region's name, so that a region
    draws the same wherever it is stepped and whichever regions run beside it."""
    return int(np.random.SeedSequence([seed, zlib.crc32(region.encode())]).generate_state(1, np.uint64)[0] >> np.uint64(1))


# ---------------------------------------------------------------------------- the regions, stepped


@dataclass
class MonthReport:
    """What a region's month gave the national market: care episodes that sought the national provider and that it
    took (each gives one or two digital visits, the contacts its fee pays), and, once reporting, the out-of-region fees
    the region paid the provider, the patient fees its residents paid it and what its care for them cost, SEK."""

    region: str
    reporting: bool
    sought: int
    served: int
    fee_sek: float
    patient_fees_sek: float
    cost_sek: float
    residents: int
    border: BorderMonth | None = None  # at the region's border providers (sim.border)
    hosting: list[HostClinic] = field(default_factory=list)  # its clinics other regions' residents may list with, as they copy them


class DigitalAccount:
    """Observes a region's reported months: the out-of-region fees it paid the national provider this month, the
    patient fees its residents paid it and what the provider's care for them cost, SEK (read from the month's books
    before they close)."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.fee_sek = self.patient_fees_sek = self.cost_sek = 0.0

    def observe(self, model, ep, fees, cases) -> None:
        if model.digital is None:
            return
        i, books = model.digital.index, model.ledger
        self.fee_sek = float(books.revenue[OutOfRegionFee.item][i]) if OutOfRegionFee.item in books.revenue else 0.0
        self.patient_fees_sek = float(books.revenue["patient_fees"][i]) if "patient_fees" in books.revenue else 0.0
        self.cost_sek = float(sum(values[i] for values in books.cost.values()))


@dataclass(frozen=True)
class BorderIn:
    """What a region takes from its neighbours before a month: its border providers' host clinics as last month left
    them (in the order of its sites), and for its own clinics other regions' residents list with (``hosted``, in that
    order) the visits they ask this month and the pay that comes with them, SEK."""

    mirrors: list[HostClinic]
    visits: np.ndarray
    income_sek: np.ndarray


class Regions:
    """Some regions' markets, stepped together (one group per Ray actor, or all in this process); ``sites``: each
    region's border providers, ``hosted``: the indices of its clinics other regions' residents may list with."""

    def __init__(self, scenarios: list[Scenario], names: list[str], sites: list[list[BorderSite]] | None = None, hosted: list[list[int]] | None = None):
        self.names = names
        self.hosted = hosted or [[] for _ in names]
        self.accounts = [DigitalAccount() for _ in scenarios]
        self.runs: list[Simulation] = [start(s, observers=(account,), border_sites=tuple(own)) for s, account, own in zip(scenarios, self.accounts, sites or [[] for _ in names])]

    def hosting(self) -> list[list[HostClinic]]:
        """Each region's hosted clinics as they stand (before the first month)."""
        return [host_state(simulation.model, clinics) for simulation, clinics in zip(self.runs, self.hosted)]

    def step(self, capacity_share: float, border: list[BorderIn] | None = None) -> list[MonthReport]:
        """One month in every region, the national provider taking ``capacity_share`` of the episodes that seek it, and
        each region taking its neighbours' last month (``border``; None: every border closed)."""
        reports = []
        border = border or [BorderIn([], np.zeros(0), np.zeros(0)) for _ in self.names]
        for name, simulation, account, clinics, inbound in zip(self.names, self.runs, self.accounts, self.hosted, border):
            model = simulation.model
            digital = model.digital
            if digital is not None:
                digital.capacity_share = capacity_share
            for provider, host in zip(model.border, inbound.mirrors):
                provider.mirror(host, model.month)
            if clinics:
                model.providers_table.outside_demand[clinics] = inbound.visits
                model.border_income = np.zeros(model.n_providers)
                model.border_income[clinics] = inbound.income_sek
            reporting = model.reporting
            account.clear()
            model.step()
            reports.append(
                MonthReport(name, reporting, digital.sought if digital else 0, digital.served if digital else 0, account.fee_sek, account.patient_fees_sek, account.cost_sek,
                            len(model.population), model.border_month, host_state(model, clinics))
            )
        return reports

    def finish(self) -> list[RunResult]:
        return [finish(simulation) for simulation in self.runs]


# ---------------------------------------------------------------------------- the national digital market


@dataclass
class DigitalMarket:
    """The national digital provider's month: its capacity against every region's demand, and who paid whom."""

    host: str
    capacity_per_1000: float | None
    share: float = 1.0  # of the episodes seeking it the provider takes this month
    months: list[dict] = field(default_factory=list)  # one row per region and reported month

    def exchange(self, month: int, reports: list[MonthReport]) -> float:
        """Gather a month's reports (in the run's order of regions); return the share the provider can take next month:
        its capacity over this month's national demand, at most all."""
        for r in reports:
            if r.reporting:
                self.months.append({"month": month, "region": r.region, "episodes_sought": r.sought, "episodes_served": r.served, "capacity_share": self.share, "fee_sek": r.fee_sek, "patient_fees_sek": r.patient_fees_sek, "cost_sek": r.cost_sek})
        sought = sum(r.sought for r in reports)
        if self.capacity_per_1000 is None or sought == 0:
            self.share = 1.0
        else:
            self.share = min(1.0, self.capacity_per_1000 * sum(r.residents for r in reports) / 1000 / sought)
        return self.share

    def flows(self, reporting_from: int) -> pd.DataFrame:
        """Who paid whom for whose care, SEK by reported year: each home region pays the host region its residents'
        out-of-region fees, and the host passes every fee on to the provider (its own residents' too); residents pay
        the provider their patient fees."""
        columns = ["year", "payer", "payee", "residents_of", "item", "sek"]
        if not self.months:
            return pd.DataFrame(columns=columns)
        months = pd.DataFrame(self.months).assign(year=lambda m: (m["month"] - reporting_from) // 12 + 1)
        fees = months.groupby(["year", "region"], sort=False)[["fee_sek", "patient_fees_sek"]].sum().reset_index()
        rows = []
        for row in fees.itertuples(index=False):
            if row.region != self.host:
                rows.append((row.year, row.region, self.host, row.region, ITEM, row.fee_sek))
            rows.append((row.year, self.host, PROVIDER, row.region, ITEM, row.fee_sek))
            rows.append((row.year, RESIDENTS, PROVIDER, row.region, FEES_ITEM, row.patient_fees_sek))
        flows = pd.DataFrame(rows, columns=columns)
        return flows[flows["sek"] != 0].reset_index(drop=True)  # no national provider (digital care at the listing clinic): nothing flows


# ---------------------------------------------------------------------------- listing across borders


@dataclass
class BorderExchange:
    """Listing across borders between the run's regions (sim.border): which clinics each region offers its residents
    (``sites``, per region in the run's order) and hosts for others (``hosted``), and each month's exchange."""

    names: list[str]
    sites: list[list[BorderSite]]
    hosted: list[list[int]]
    months: list[dict] = field(default_factory=list)  # one row per home region, host region and month
    in_transit: np.ndarray | None = None  # SEK per region: the last month's pay, which the hosts would book next month

    def __post_init__(self) -> None:
        self._index = {name: i for i, name in enumerate(self.names)}  # a region's place in the run
        self._position = [{c: k for k, c in enumerate(h)} for h in self.hosted]  # a hosted clinic's place in its region's list

    @classmethod
    def between(cls, names: list[str], scenarios: list[Scenario]) -> BorderExchange:
        """The border providers of every region whose rulebook opens its border, from the regions' presets."""
        specs = {name: load_region(s.population.region) for name, s in zip(names, scenarios)}
        sites = [
            [site for host in host_regions(s.rulebook.listing, name, names) for site in border_sites(specs[name], specs[host], host)]
            for name, s in zip(names, scenarios)
        ]
        hosted = [sorted({site.clinic for own in sites for site in own if site.host == name}) for name in names]
        return cls(names, sites, hosted)

    @property
    def open(self) -> bool:
        return any(self.sites)

    def first(self, hosting: list[list[HostClinic]]) -> list[BorderIn]:
        """What each region takes before its first month: its hosts as they stand, no visits or pay yet."""
        return self._inbound(hosting, [np.zeros(len(h)) for h in self.hosted], [np.zeros(len(h)) for h in self.hosted])

    def exchange(self, month: int, reports: list[MonthReport]) -> list[BorderIn]:
        """Gather a month's reports (in the run's order of regions): each home region's visits and pay at its border
        providers go to their host clinics, and the host clinics' month to their border providers, next month."""
        visits = [np.zeros(len(h)) for h in self.hosted]
        income = [np.zeros(len(h)) for h in self.hosted]
        for home, report in zip(self.names, reports):
            books = report.border
            if books is None:
                continue
            sites = self.sites[self._index[home]]
            for j, site in enumerate(sites):
                h = self._index[site.host]
                k = self._position[h][site.clinic]
                visits[h][k] += books.visits[j]
                income[h][k] += books.net_sek[j]
            hosts = np.array([site.host for site in sites])
            for host in dict.fromkeys(hosts):
                at = hosts == host
                self.months.append({
                    "month": month, "reporting": report.reporting, "home": home, "host": host, "clinics": int(at.sum()), "listed": float(books.listed[at].sum()),
                    "visits": float(books.visits[at].sum()), "region_sek": float(books.region_sek[at].sum()), "patient_fees_sek": float(books.patient_fees_sek[at].sum()),
                    "cost_sek": float(books.cost_sek[at].sum()), "net_sek": float(books.net_sek[at].sum()),
                })
        self.in_transit = np.array([x.sum() for x in income])
        return self._inbound([r.hosting for r in reports], visits, income)

    def _inbound(self, hosting: list[list[HostClinic]], visits: list[np.ndarray], income: list[np.ndarray]) -> list[BorderIn]:
        def host(site: BorderSite) -> HostClinic:
            h = self._index[site.host]
            return hosting[h][self._position[h][site.clinic]]

        return [BorderIn([host(s) for s in sites], visits[i], income[i]) for i, sites in enumerate(self.sites)]

    def table(self) -> pd.DataFrame:
        """The border providers' months, by home region, host region and month (every month: the warm-up's too)."""
        columns = ["month", "reporting", "home", "host", "clinics", "listed", "visits", "region_sek", "patient_fees_sek", "cost_sek", "net_sek"]
        return pd.DataFrame(self.months, columns=columns)

    def flows(self, reporting_from: int) -> pd.DataFrame:
        """Who paid whom for residents listed across a border, SEK by reported year: the home region pays the host's
        clinics by its rulebook, and its residents pay them their patient fees."""
        months = self.table().query("reporting")
        rows = []
        if len(months):
            by = months.assign(year=(months["month"] - reporting_from) // 12 + 1).groupby(["year", "home", "host"], sort=False)[["region_sek", "patient_fees_sek"]].sum()
            for (year, home, host), row in by.iterrows():
                rows.append((year, home, f"{host} clinics", home, BORDER_ITEM, row["region_sek"]))
                rows.append((year, RESIDENTS, f"{host} clinics", home, BORDER_FEES_ITEM, row["patient_fees_sek"]))
        return pd.DataFrame(rows, columns=["year", "payer", "payee", "residents_of", "item", "sek"])


# ---------------------------------------------------------------------------- a national run


@dataclass
class NationalResult:
    """Every region's results, the flows between them and the national digital provider's months."""

    national: NationalScenario
    regions: list[RunResult]  # in the order of national.regions
    flows: pd.DataFrame
    digital_months: pd.DataFrame
    border_months: pd.DataFrame  # residents listed across a border: by home, host and month (BorderExchange.table)
    workers: int
    started: str
    finished: str
    wall_s: float

    def by_region(self) -> pd.DataFrame:
        """One row per region and one for the run in total: residents, every headline outcome (the total's computed from
        the regions' summed counts, not averaged), digital contacts per 1,000 residents and the out-of-region fees each
        region paid other regions per resident, SEK per year."""
        totals = [r.by_group[r.by_group["group_by"] == "total"].iloc[0] for r in self.regions]
        national = self.whole_run().query("group_by == 'total'").reset_index(drop=True)
        from sim.regions.generate import read_csv, region_code

        names = {r["code"]: r["region"] for r in read_csv("sweden-regions.csv")}
        paid = self.flows[self.flows["item"] == ITEM].query("payee != @PROVIDER").groupby("payer")["sek"].sum()
        border = self.border_months.query("reporting").groupby("home")[["listed", "region_sek"]].sum()
        rows = []
        for name, result, total in zip(self.national.regions, self.regions, totals):
            code = region_code(result.scenario.population.region) or ""
            crossing = border.loc[name] if name in border.index else pd.Series({"listed": 0.0, "region_sek": 0.0})
            rows.append(_row(code, names.get(code, name), name, total, result.summary, paid.get(name, 0.0), crossing))
        overall = {"clinics_initial": sum(r.summary["clinics_initial"] for r in self.regions), "clinics_final": sum(r.summary["clinics_final"] for r in self.regions),
                   "residents_final": sum(r.summary["residents_final"] for r in self.regions)}
        rows.append(_row("", "Sweden (the run)", "total", national.iloc[0], overall, paid.sum(), border.sum() if len(border) else pd.Series({"listed": 0.0, "region_sek": 0.0})))
        return pd.DataFrame(rows)

    def whole_run(self) -> pd.DataFrame:
        """The run's outcomes over its whole length by group (each grouping of a region's run: in total, by CNI
        quintile, age group, area type), computed from the regions' summed counts."""
        keys = ["group_by", "group"]
        summed = pd.concat([r.by_group[keys + list(SUMS)] for r in self.regions]).groupby(keys, sort=False).sum().reset_index()
        return add_rates(summed)



def _row(code: str, label: str, name: str, total: pd.Series, summary: dict, paid_sek: float, border: pd.Series) -> dict:
    """A row of the by-region table: a region's (or the run's) whole-run totals, its centres and the national outcomes
    (``border``: its resident-months listed across a border and what it paid for them, SEK)."""
    years = total["resident_months"] / 12
    return {
        "code": code,
        "region": label,
        "scenario": name,
        "residents": summary["residents_final"],
        **{o: float(total[o]) for o in HEADLINE if o in total},
        "clinics_initial": summary["clinics_initial"],
        "clinics_final": summary["clinics_final"],
        "digital_contacts_per_1000": 1000 * float(total["digital_visits"]) / max(years, 1e-9),
        "out_of_region_fees_per_capita_sek": paid_sek / max(years, 1e-9),
        "listed_across_border_share": float(border["listed"]) / max(float(total["resident_months"]), 1e-9),
        "border_payments_per_capita_sek": float(border["region_sek"]) / max(years, 1e-9),
    }


def run_nation(
    national: NationalScenario, scenarios: list[Scenario], workers: int = 1, address: str | None = None, progress: Callable[[str, int], None] | None = None
) -> NationalResult:
    """Step every region month by month, exchanging the national digital market's month between them; on ``workers``
    Ray actors (each a group of regions, joined to the cluster at ``address`` if given) or in this process.
    ``progress(region, month)`` after each region's month (on Ray: after each month, for every region)."""
    names = national.regions
    check_workers(workers, len(names), address)
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    groups = balanced_groups([load_region(s.population.region).residents for s in scenarios], workers)
    market = DigitalMarket(national.digital.host, national.digital.capacity_episodes_per_1000_per_month)
    border = BorderExchange.between(names, scenarios)
    total = scenarios[0].warmup_months + scenarios[0].months
    with _Steppers(groups, scenarios, names, border, address) as steppers:
        inbound = border.first(steppers.hosting())
        for month in range(total):
            reports = steppers.step(market.share, inbound, month, progress)
            market.exchange(month, reports)
            inbound = border.exchange(month, reports)
        results = steppers.finish()
    reporting_from = scenarios[0].warmup_months
    return NationalResult(
        national=national,
        regions=results,
        flows=pd.concat([market.flows(reporting_from), border.flows(reporting_from)], ignore_index=True) if border.open else market.flows(reporting_from),
        digital_months=pd.DataFrame(market.months),
        border_months=border.table(),
        workers=workers,
        started=started.isoformat(timespec="seconds"),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        wall_s=time.perf_counter() - clock,
    )


def check_workers(workers: int, regions: int, address: str | None) -> None:
    """Refuse a number of workers the run cannot use: one region steps on one worker."""
    if not 1 <= workers <= regions:
        raise UserError(f"--workers {workers}: a national run steps each region on one worker; give 1 to {regions} (the run's regions).")
    if address and workers == 1:
        raise UserError(f"--address {address}: a national run on a cluster needs --workers of 2 or more.")


def balanced_groups(sizes: list[int], workers: int) -> list[list[int]]:
    """The regions (by index) dealt to ``workers`` groups of about equal residents: the largest first, each to the
    group with the fewest so far (a month takes as long as its largest group). Each group keeps the run's order."""
    groups: list[list[int]] = [[] for _ in range(workers)]
    load = [0] * workers
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        k = load.index(min(load))
        groups[k].append(i)
        load[k] += sizes[i]
    return [sorted(g) for g in groups]


class _Steppers:
    """The groups of regions: one ``Regions`` in this process, or one Ray actor each (Ray started for the run, or
    joined at ``address``, and shut down after it if this run started it)."""

    def __init__(self, groups: list[list[int]], scenarios: list[Scenario], names: list[str], border: BorderExchange, address: str | None):
        self.groups, self.scenarios, self.names, self.border, self.address = groups, scenarios, names, border, address
        self.ray = len(groups) > 1
        self._started = False

    def __enter__(self) -> _Steppers:
        members = list(zip(*(self._by_group(v) for v in (self.scenarios, self.names, self.border.sites, self.border.hosted))))
        if not self.ray:
            self.local = Regions(*members[0])
            return self
        import ray

        from sim.executor import start_ray

        if not ray.is_initialized():
            start_ray(len(self.groups), self.address)
            self._started = True
        actor = ray.remote(num_cpus=1)(Regions)
        self.actors = [actor.remote(*m) for m in members]
        return self

    def __exit__(self, *exc) -> None:
        if self._started:
            import ray

            ray.shutdown()

    def _in_order(self, per_group: list[list]) -> list:
        ordered: list = [None] * len(self.names)
        for group, values in zip(self.groups, per_group):
            for i, value in zip(group, values):
                ordered[i] = value
        return ordered

    def _by_group(self, values: list) -> list[list]:
        return [[values[i] for i in g] for g in self.groups]

    def hosting(self) -> list[list[HostClinic]]:
        if not self.ray:
            return self.local.hosting()
        import ray

        return self._in_order(ray.get([a.hosting.remote() for a in self.actors]))

    def step(self, share: float, inbound: list[BorderIn], month: int, progress) -> list[MonthReport]:
        if self.ray:
            import ray

            reports = self._in_order(ray.get([a.step.remote(share, own) for a, own in zip(self.actors, self._by_group(inbound))]))
        else:
            reports = self.local.step(share, inbound)
        for name in self.names if progress else ():
            progress(name, month)
        return reports

    def finish(self) -> list[RunResult]:
        if not self.ray:
            return self.local.finish()
        import ray

        return self._in_order(ray.get([a.finish.remote() for a in self.actors]))


#: the outcomes the by-region Markdown table and the maps of a national run show
MAPPED = (
    "access_3day_share",
    "visits_per_capita",
    "cost_per_capita_sek",
    "continuity_index",
    "undertreatment_rate",
    "digital_contacts_per_1000",
    "out_of_region_fees_per_capita_sek",
)
#: and where a border is open, the listing across it
BORDER_MAPPED = ("listed_across_border_share", "border_payments_per_capita_sek")


def write_national(result: NationalResult, out: Path, source: str = "", overrides: dict | None = None) -> pd.DataFrame:
    """Write a national run's folder, all at once (staged beside it, then renamed into place): manifest.json,
    by-region.csv and .md (every region and the run's total), flows.csv (who paid whom for whose care, SEK a year),
    digital_months.csv (the national provider's months by region), border_months.csv (residents listed across a border,
    where any may), each region's own run folder in regions/, and a
    tile map of Sweden per outcome in figures/. Returns the by-region table."""
    import json

    from sim.regional import draw_maps, markdown
    from sim.store import RUN_MARKER, provenance, staged, write_run

    out = Path(out)
    with staged(out) as staging:
        for name, region in zip(result.national.regions, result.regions):
            write_run(region, staging / "regions" / name, figures=False)
        table = result.by_region()
        table.to_csv(staging / "by-region.csv", index=False)
        shown = [*MAPPED, *(BORDER_MAPPED if len(result.border_months) else ())]
        (staging / "by-region.md").write_text(markdown(table, shown, count="residents"), encoding="utf-8")
        result.flows.to_csv(staging / "flows.csv", index=False)
        result.digital_months.to_csv(staging / "digital_months.csv", index=False)
        if len(result.border_months):
            result.border_months.to_csv(staging / "border_months.csv", index=False)
        draw_maps(table, shown, f"{result.national.name}: {{}} by region", staging / "figures")
        manifest = {
            "national": result.national.name, "source": source, "overrides": overrides or {}, "seed": result.national.seed,
            "region_seeds": {name: r.scenario.seed for name, r in zip(result.national.regions, result.regions)},
            "workers": result.workers, **provenance(), "started": result.started, "finished": result.finished, "wall_s": round(result.wall_s, 3),
            "resolved_national": result.national.model_dump(mode="json"),
        }
        (staging / RUN_MARKER).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return table
