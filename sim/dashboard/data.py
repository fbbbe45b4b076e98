"""What the dashboard shows, read from the folders finished runs and sweeps wrote (docs/outputs.md); no model is run.

A sweep's folder (``sweep.json``) gives its variants, the paired comparison (``comparison.csv`` as ``vardval compare``
wrote it, or the same comparison computed from ``runs.parquet`` when it has not been run) and each run's own folder
(``runs/RUN_ID/``) with its yearly outcomes, clinics and followed residents; a national sweep's runs hold its regions.
A run's folder (``summary.json``) is one run; a national run's (``by-region.csv``) its regions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from sim.compare import default_baseline, readable, sweep_comparison
from sim.errors import UserError
from sim.labels import label, number, split
from sim.plots import calendar_years


@dataclass
class Sweep:
    """A finished (or partly finished) sweep: its manifest, runs and comparison."""

    path: Path
    manifest: dict = field(repr=False)
    runs: pd.DataFrame = field(repr=False)

    @property
    def name(self) -> str:
        return self.manifest.get("name", self.path.name)

    @property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(self.runs["variant"]))

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """Paired differences from the baseline with their intervals (``comparison.csv``, or computed as ``vardval
        compare`` would, without writing it)."""
        written = self.path / "comparison.csv"
        if written.is_file():
            return pd.read_csv(written)
        return sweep_comparison(self.path, self.manifest, self.runs, default_baseline(self.manifest))

    @property
    def baseline(self) -> str:
        """The variant every other is compared with: the one whose differences are all zero."""
        table = self.comparison
        zero = table.groupby("variant")["diff"].apply(lambda d: bool((d.fillna(0) == 0).all()))
        return next((v for v in self.variants if zero.get(v, False)), self.variants[0])

    @property
    def outcomes(self) -> list[str]:
        """The outcomes compared, in the experiment's order (their totals)."""
        return list(dict.fromkeys(split(o)[0] for o in self.comparison["outcome"]))

    @property
    def groupings(self) -> list[str]:
        """The groupings the outcomes are kept by (``total`` first)."""
        return ["total", *dict.fromkeys(g for g in (split(o)[1] for o in self.comparison["outcome"]) if g)]

    def table(self, outcome: str, grouping: str = "total", variants: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One outcome's comparison, a row per variant (and group): in words and units, and the numbers behind them
        (``comparison.csv``'s rows, which the download gives)."""
        rows = self.comparison
        names = rows["outcome"].map(split)
        chosen = (names.str[0] == outcome) & (names.str[1].isna() if grouping == "total" else names.str[1] == grouping)
        rows = rows[chosen & rows["variant"].isin(variants or self.variants)].reset_index(drop=True)
        shown = readable(rows, self.baseline)
        shown["outcome"] = label(outcome)
        raw = rows[[c for c in ("outcome", "variant", "mean", "diff", "ci_low", "ci_high", "ci_low_seeds", "ci_high_seeds", "p_better", "n") if c in rows]]
        return shown, raw

    def run_dirs(self) -> list[Path]:
        """The run folders the sweep kept, in the runs table's order."""
        ok = self.runs[self.runs["status"] == "ok"]
        return [d for d in (self.path / "runs" / r for r in ok["run_id"]) if d.is_dir()]

    def yearly(self, outcome: str, grouping: str = "total") -> pd.DataFrame:
        """An outcome by year, variant and group (``grouping``: total, cni_quintile, age_group or area_type), the mean
        over the runs (a region's sweep; a national sweep's runs keep their regions' years instead, and give none)."""
        years = self._yearly
        if outcome not in years:
            return pd.DataFrame(columns=["variant", "group", "year", outcome])
        rows = years[years["group_by"] == grouping]
        means = rows.groupby(["variant", "group", "year"], sort=False)[outcome].mean().reset_index()
        return calendar_years(means, self.start_year)

    @cached_property
    def _yearly(self) -> pd.DataFrame:
        """Every kept run's yearly outcomes with its variant, read once."""
        ok = self.runs[self.runs["status"] == "ok"]
        frames = [
            pd.read_parquet(path).assign(variant=variant)
            for path, variant in ((self.path / "runs" / r / "yearly.parquet", v) for r, v in zip(ok["run_id"], ok["variant"]))
            if path.is_file()
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["variant", "group_by", "group", "year"])

    def run_label(self, run_dir: Path) -> str:
        """A kept run named by its variant and replication."""
        row = self.runs[self.runs["run_id"] == run_dir.name]
        return f"{self.name}: {row['variant'].iloc[0]}, replication {int(row['replication'].iloc[0]) + 1}" if len(row) else f"{self.name} / {run_dir.name}"

    @cached_property
    def start_year(self) -> int | None:
        """The calendar year of the runs' first reported month, where their scenario gives one (``start_year``)."""
        for run in self.run_dirs()[:1]:
            manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
            return manifest.get("resolved_scenario", {}).get("start_year")
        return None


#: a run's tables as the dashboard shows them: (column, heading, kind); sim.labels writes the values
CLINIC_COLUMNS = (
    ("clinic", "clinic", "text"), ("owner", "owner", "text"), ("area_type", "area", "text"), ("open", "open at the year's end", "yes"),
    ("listed", "residents listed", "int"), ("gp_fte", "GP full-time equivalents", "num"), ("access_3day", "assessed within 3 days", "pct"),
    ("revenue_sek", "revenue in the year, SEK", "sek"), ("result_sek", "result in the year, SEK", "sek"), ("margin", "margin", "pct"),
)
FOLLOWED_COLUMNS = (
    ("month", "month", "int"), ("pid", "resident", "int"), ("age", "age", "int"), ("area", "home area", "text"), ("clinic", "listed with", "text"),
    ("conditions", "chronic conditions", "int"), ("health", "health (0-1)", "num"), ("episodes", "care episodes", "int"), ("q_star", "visits needed", "int"),
    ("q_delivered", "visits given", "int"), ("channels", "where care was sought", "text"), ("referred", "referrals", "int"),
    ("hospital_cost_sek", "hospital care, SEK", "sek"), ("patient_fees_sek", "patient fees, SEK", "sek"),
    ("region_list_payments_sek", "the region paid for the listing, SEK", "sek"), ("region_visit_payments_sek", "the region paid for visits, SEK", "sek"),
)


def shown(table: pd.DataFrame, columns) -> pd.DataFrame:
    """A table in words and units: the ``columns`` it has, headed in words, each value written as its kind asks."""
    def write(value, kind_: str) -> str:
        if kind_ == "text":
            return str(value)
        if kind_ == "yes":
            return "yes" if bool(value) else "no"
        return number(float(value), kind_)

    present = [(c, heading, k) for c, heading, k in columns if c in table]
    return pd.DataFrame({heading: [write(v, k) for v in table[c]] for c, heading, k in present})


@dataclass
class Run:
    """A finished run's folder: its summary, yearly outcomes, clinics and followed residents."""

    path: Path

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))

    @property
    def name(self) -> str:
        return self.path.name

    @cached_property
    def clinic_years(self) -> pd.DataFrame:
        return pd.read_parquet(self.path / "clinic_years.parquet")

    def clinics(self, year: int | None = None) -> pd.DataFrame:
        """The clinics' year (the last reported year by default): a row per clinic, its list, staff, access, result."""
        table = self.clinic_years
        if not len(table):
            return table
        year = int(table["year"].max()) if year is None else year
        columns = ["clinic", "owner", "area_type", "open", "listed", "gp_fte", "access_3day", "revenue_sek", "result_sek", "margin"]
        return table[table["year"] == year][[c for c in columns if c in table]].reset_index(drop=True)

    def sites(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The run's region as a map draws it: its areas (name, lat, lon, residents, type; from the region preset
        the run names) and its clinics in the last reported year where they stand (an entrant or a region unit in
        the area it names), open or not."""
        from sim.geography import load_region

        spec = load_region(self.manifest["resolved_scenario"]["population"]["region"])
        areas = pd.DataFrame([{"area": a.name, "lat": a.lat, "lon": a.lon, "residents": a.residents, "type": a.type} for a in spec.areas])
        where = {c.name: c.area for c in spec.clinics}
        clinics = self.clinics()
        if len(clinics):
            clinics = clinics[clinics["owner"].isin(["public", "private"])].copy()
            clinics["area"] = [where.get(name, name.split(" (")[0]) for name in clinics["clinic"]]
            clinics = clinics.merge(areas[["area", "lat", "lon"]], on="area", how="inner")
        return areas, clinics

    def followed(self) -> pd.DataFrame | None:
        path = self.path / "followed.parquet"
        return pd.read_parquet(path) if path.is_file() else None


def open_results(paths: list[str]) -> tuple[list[Sweep], list[Run]]:
    """The sweeps and runs in the folders given: a sweep's folder, a run's folder, or a folder holding them (e.g.
    results/). A path that is none of them is refused in one sentence."""
    from sim.sweep import read_sweep

    sweeps, runs = [], []
    for text in paths:
        path = Path(text)
        if not path.is_dir():
            raise UserError(f"{text}: not found; give a folder that 'vardval sweep' or 'vardval run' wrote (e.g. results/payment-comparison).")
        found = [path] if _kind(path) else sorted(p for p in path.iterdir() if p.is_dir() and _kind(p))
        if not found:
            raise UserError(f"{text}: holds no sweep (sweep.json) and no run (summary.json); give a folder that 'vardval sweep' or 'vardval run' wrote.")
        for folder in found:
            if _kind(folder) == "sweep":
                manifest, table = read_sweep(folder)
                if len(table):
                    sweeps.append(Sweep(folder, manifest, table))
            else:
                runs.append(Run(folder))
    if not sweeps and not runs:
        raise UserError(f"{', '.join(paths)}: no finished run yet.")
    return sweeps, runs


def _kind(path: Path) -> str | None:
    if (path / "sweep.json").is_file():
        return "sweep"
    if (path / "summary.json").is_file() and (path / "clinic_years.parquet").is_file():
        return "run"
    return None
