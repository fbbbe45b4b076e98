"""Figures of a run, as PNG files an analyst can put in a report."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.runner import RunResult  # noqa: E402

GROUPINGS = (("cni_quintile", "Care Need Index quintile"), ("age_group", "Age group"), ("area_type", "Area type"))
COST_PARTS = (
    ("cost_primary_per_capita_sek", "Primary care"),
    ("cost_drugs_per_capita_sek", "Drugs"),
    ("cost_digital_per_capita_sek", "Digital providers"),
    ("cost_hospital_per_capita_sek", "Hospital"),
)


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def treatment_by_group(yearly: pd.DataFrame, title: str, path: Path) -> Path:
    """Under- and over-treatment rates by year, for each equity grouping."""
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), sharex=True)
    for col, (grouping, label) in enumerate(GROUPINGS):
        rows = yearly[yearly["group_by"] == grouping]
        for row, (rate, name) in enumerate((("undertreatment_rate", "Under-treatment"), ("overtreatment_rate", "Over-treatment"))):
            ax = axes[row, col]
            for group, data in rows.groupby("group", sort=False):
                ax.plot(data["year"], 100 * data[rate], marker="o", ms=3, label=group)
            ax.set_title(f"{name} by {label.lower()}")
            ax.set_ylabel("% of needed visits")
            ax.grid(alpha=0.3)
            if row == 1:
                ax.set_xlabel("Year")
            if row == 0:
                ax.legend(fontsize=8)
    fig.suptitle(f"{title}: visits short of and beyond the patient-optimal quantity q*")
    return _save(fig, path)


def cost_split(yearly: pd.DataFrame, whole: pd.DataFrame, title: str, path: Path) -> Path:
    """Region spending per resident and year, split by category: by year, and by CNI quintile."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    total = yearly[yearly["group_by"] == "total"]
    quintiles = whole[whole["group_by"] == "cni_quintile"]
    for ax, data, x, xlabel in ((axes[0], total, total["year"].astype(str), "Year"), (axes[1], quintiles, quintiles["group"], "Care Need Index quintile")):
        bottom = np.zeros(len(data))
        for column, label in COST_PARTS:
            values = data[column].to_numpy() / 1000
            ax.bar(x, values, bottom=bottom, label=label)
            bottom += values
        ax.set_ylabel("kSEK per resident per year")
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title("Region spending per resident")
    axes[1].set_title("Region spending per resident, whole run")
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)


def access_and_continuity(monthly: pd.DataFrame, title: str, path: Path) -> Path:
    """Share assessed within 3 days and continuity of care, monthly, by area type."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    for ax, (column, label) in zip(axes, (("access_3day_share", "Medically assessed within 3 days"), ("continuity_index", "Continuity (Bice-Boxerman, 3+ visits in 18 months)"))):
        for group, data in monthly[monthly["group_by"].isin(["total", "area_type"])].groupby("group", sort=False):
            ax.plot(data["month"], 100 * data[column], label="all" if group == "all" else group, lw=2 if group == "all" else 1)
        ax.set_title(label)
        ax.set_ylabel("%")
        ax.set_xlabel("Month")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].axhline(81, color="grey", ls="--", lw=1)
    axes[0].annotate("81 % nationally, Jan 2019", (0.02, 0.03), xycoords="axes fraction", fontsize=8, color="grey")
    fig.suptitle(title)
    return _save(fig, path)


def clinic_finances(clinic_years: pd.DataFrame, title: str, path: Path) -> Path:
    """Each clinic's margin in the last year, and margin against list size over all years."""
    clinics = clinic_years[(clinic_years["owner"] != "digital") & (clinic_years["revenue_sek"] > 0)]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5))
    last = clinics[clinics["year"] == clinics["year"].max()].sort_values("margin")
    colors = {"public": "tab:blue", "private": "tab:orange"}
    axes[0].barh(last["clinic"], 100 * last["margin"], color=[colors.get(o, "grey") for o in last["owner"]])
    axes[0].axvline(0, color="black", lw=0.8)
    axes[0].set_xlabel("Result as % of revenue (before any deficit cover)")
    axes[0].set_title(f"Clinic margins, year {int(last['year'].max()) if len(last) else ''} (blue public, orange private)")
    axes[0].tick_params(axis="y", labelsize=7)
    for owner, data in clinics.groupby("owner"):
        axes[1].scatter(data["listed"], 100 * data["margin"], s=12, alpha=0.6, label=owner, color=colors.get(owner, "grey"))
    axes[1].axhline(0, color="black", lw=0.8)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("Listed residents")
    axes[1].set_ylabel("Margin, %")
    axes[1].set_title("Margin by list size, every clinic-year")
    axes[1].legend(fontsize=8)
    axes[1].grid(alpha=0.3)
    fig.suptitle(title)
    return _save(fig, path)


def run_figures(result: RunResult, folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = result.scenario.name
    return [
        treatment_by_group(result.yearly, name, folder / "treatment_by_group.png"),
        cost_split(result.yearly, result.by_group, name, folder / "cost_per_capita.png"),
        access_and_continuity(result.monthly, name, folder / "access_continuity.png"),
        clinic_finances(result.clinic_years, name, folder / "clinic_finances.png"),
    ]
