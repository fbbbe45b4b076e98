"""Figures of a run, as PNG files an analyst can put in a report."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from sim import labels as analyst  # noqa: E402  (outcomes in words and units)
from sim.runner import RunResult  # noqa: E402

GROUPINGS = (("cni_quintile", "Care Need Index quintile"), ("age_group", "age group"), ("area_type", "area type"))
COST_PARTS = (
    ("cost_primary_per_capita_sek", "Primary care"),
    ("cost_drugs_per_capita_sek", "Drugs"),
    ("cost_digital_per_capita_sek", "Digital providers"),
    ("cost_hospital_per_capita_sek", "Hospital"),
)
OWNER_COLOURS = {"public": "tab:blue", "private": "tab:orange", "digital": "tab:grey"}
NEGLIGIBLE = 0.001  # a rate below 0.1 % is drawn as "none to speak of"
ACCESS_REFERENCE = 0.81  # share assessed within 3 days nationally, January 2019 (sweden.md 8, READ)
thousands = FuncFormatter(lambda x, _: f"{x:,.0f}")
leading_125 = FuncFormatter(lambda x, _: f"{x:,.0f}" if f"{x:.0f}"[0] in "125" else "")  # 1,000, 2,000, 5,000 ...


def _save(fig: plt.Figure, path: Path, legend_inches: float = 0.0) -> Path:
    """Lay out (keeping room for the suptitle and a figure legend below the panels) and write a PNG."""
    height = fig.get_figheight()
    title_inches = 0.5 if fig._suptitle is not None else 0.0
    if fig._suptitle is not None:  # the title's place in inches from the top, however tall the figure
        fig._suptitle.set_y(1 - 0.1 / height)
        fig._suptitle.set_va("top")
    fig.tight_layout(rect=(0, legend_inches / height, 1, 1 - title_inches / height))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def treatment_by_group(yearly: pd.DataFrame, title: str, path: Path) -> Path:
    """Under- and over-treatment rates by year, for each equity grouping, on common axes from zero."""
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), sharex=True)
    rates = (("undertreatment_rate", "Under-treatment"), ("overtreatment_rate", "Over-treatment"))
    for row, (rate, name) in enumerate(rates):
        groups = yearly[yearly["group_by"].isin([g for g, _ in GROUPINGS])]
        top = float(np.nanmax(groups[rate])) if len(groups) else 0.0
        for col, (grouping, label) in enumerate(GROUPINGS):
            ax = axes[row, col]
            for group, data in yearly[yearly["group_by"] == grouping].groupby("group", sort=False):
                ax.plot(data["year"], 100 * data[rate], marker="o", ms=3, label=group)
            ax.set_ylim(0, max(100 * top * 1.15, 1.0))
            ax.set_title(f"{name} by {label}")
            ax.set_ylabel("% of needed visits")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            if top < NEGLIGIBLE:
                ax.text(0.5, 0.5, f"none to speak of\n(at most {100 * top:.2f} %)", transform=ax.transAxes, ha="center", va="center", color="grey")
            if row == 1:
                ax.set_xlabel("Year")
            if row == 0:
                ax.legend(fontsize=8, loc="lower left", ncol=2)
    fig.suptitle(f"{title}: visits short of and beyond the patient-optimal quantity q*, by year")
    return _save(fig, path)


def _stacked(ax, x, data: pd.DataFrame, parts) -> None:
    bottom = np.zeros(len(data))
    for column, label in parts:
        values = data[column].to_numpy()
        ax.bar(x, values, bottom=bottom, label=label)
        bottom += values
    ax.yaxis.set_major_formatter(thousands)
    ax.set_ylabel("SEK per resident per year")
    ax.grid(axis="y", alpha=0.3)


def cost_split(yearly: pd.DataFrame, whole: pd.DataFrame, title: str, path: Path) -> Path:
    """Region spending per resident and year, by category: by year, primary care alone, and by CNI quintile."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2), gridspec_kw={"width_ratios": [1.2, 1.2, 1]})
    total = yearly[yearly["group_by"] == "total"]
    years = total["year"].astype(str)
    _stacked(axes[0], years, total, COST_PARTS)
    axes[0].set_title("All region spending, by year")
    _stacked(axes[1], years, total, COST_PARTS[:3])
    axes[1].set_title("Primary care, drugs and digital providers, by year")
    quintiles = whole[whole["group_by"] == "cni_quintile"]
    _stacked(axes[2], [g.split(" ")[0] for g in quintiles["group"]], quintiles, COST_PARTS)
    axes[2].set_title("All spending, whole run, by CNI quintile")
    axes[2].set_xlabel("Q1 least need ... Q5 most need")
    axes[0].set_xlabel(axes[1].set_xlabel("Year").get_text())
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9)
    fig.suptitle(f"{title}: region spending per resident and year")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def access_and_continuity(monthly: pd.DataFrame, title: str, path: Path) -> Path:
    """Share assessed within 3 days and continuity of care by area type: three-month rolling means."""
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    panels = (
        ("access_3day_share", "Medically assessed within 3 days", "% of contacts", 100),
        ("continuity_index", "Continuity of care (Bice-Boxerman index, residents with 3+ visits in 18 months)", "index, 0-1", 1),
    )
    rows = monthly[monthly["group_by"].isin(["total", "area_type"])]
    for ax, (column, label, unit, scale) in zip(axes, panels):
        for group, data in rows.groupby("group", sort=False):
            smooth = data[column].rolling(3, min_periods=1).mean()
            ax.plot(data["month"], scale * smooth, label="all residents" if group == "all" else group, lw=2.2 if group == "all" else 1)
        ax.set_title(label, fontsize=10)
        ax.set_ylabel(unit)
        ax.set_xlabel("Month (3-month rolling mean)")
        ax.grid(alpha=0.3)
    axes[0].axhline(100 * ACCESS_REFERENCE, color="grey", ls="--", lw=1, label="81 % nationally, Jan 2019")
    axes[0].set_ylim(0, 100)
    axes[1].set_ylim(0, max(0.5, float(np.nanmax(rows["continuity_index"])) * 1.2) if len(rows) else 1)
    for ax in axes:
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"{title}: access and continuity")
    return _save(fig, path)


def clinic_finances(clinic_years: pd.DataFrame, title: str, path: Path) -> Path:
    """Each clinic's margin in the last year reported, and margin against list size over all years."""
    fig, axes = plt.subplots(1, 2, figsize=(15, 6))
    clinics = clinic_years[clinic_years["owner"] != "digital"] if len(clinic_years) else clinic_years
    if not len(clinics):
        for ax in axes:
            ax.text(0.5, 0.5, "no clinic-year reported", ha="center", va="center", transform=ax.transAxes)
        return _save(fig, path)
    last_year = clinics["year"].max()
    last = clinics[clinics["year"] == last_year].sort_values("margin")
    months = int(last["months"].max())
    labels = [f"{c} (closed)" if not is_open else c for c, is_open in zip(last["clinic"], last["open"])]
    axes[0].barh(
        labels,
        100 * last["margin"].fillna(0),
        color=[OWNER_COLOURS.get(o, "grey") for o in last["owner"]],
        hatch=["//" if not is_open else "" for is_open in last["open"]],
    )
    axes[0].axvline(0, color="black", lw=0.8)
    axes[0].set_xlabel("Result as % of revenue, before any deficit cover")
    span = "" if months == 12 else f", first {months} months"
    axes[0].set_title(f"Clinic margins, year {int(last_year)}{span}")
    axes[0].tick_params(axis="y", labelsize=7)
    for owner, data in clinics[clinics["revenue_sek"] > 0].groupby("owner"):
        axes[1].scatter(data["listed"], 100 * data["margin"], s=14, alpha=0.6, color=OWNER_COLOURS.get(owner, "grey"))
    axes[1].axhline(0, color="black", lw=0.8)
    axes[1].set_xscale("log")
    axes[1].xaxis.set_major_formatter(thousands)
    axes[1].xaxis.set_minor_formatter(leading_125)
    axes[1].tick_params(axis="x", which="minor", labelsize=7)
    axes[1].set_xlabel("Listed residents (log scale)")
    axes[1].set_ylabel("Margin, %")
    axes[1].set_title("Margin by list size, every clinic-year")
    axes[1].grid(alpha=0.3)
    legend = [Patch(color=OWNER_COLOURS[o], label=o) for o in ("public", "private")] + [Patch(facecolor="white", edgecolor="black", hatch="//", label="closed during the year")]
    fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=9)
    fig.suptitle(f"{title}: clinic finances")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def calendar_years(table: pd.DataFrame, start_year: int | None) -> pd.DataFrame:
    """A table's reported years as calendar years where the scenario has a start year (``Scenario.start_year``)."""
    return table.assign(year=table["year"] + start_year - 1) if start_year is not None and "year" in table else table


def run_figures(result: RunResult, folder: Path) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = result.scenario.name

    def calendar(table: pd.DataFrame) -> pd.DataFrame:
        return calendar_years(table, result.scenario.start_year)

    yearly = calendar(result.yearly)
    return [
        treatment_by_group(yearly, name, folder / "treatment_by_group.png"),
        cost_split(yearly, result.by_group, name, folder / "cost_per_capita.png"),
        access_and_continuity(result.monthly, name, folder / "access_continuity.png"),
        clinic_finances(calendar(result.clinic_years), name, folder / "clinic_finances.png"),
    ]


def _forest_panel(ax, data: pd.DataFrame, outcome: str, rows: list[str], variants: list[str], grouping: str | None) -> None:
    """One outcome: a row per variant (or per group, the variants side by side), the paired difference and its interval.

    An outcome the baseline does not have (e.g. a fundholder's risk against capitation) has
    no paired difference: the panel shows each variant's mean instead, and says so.
    """
    levels = data["diff"].isna().all()
    value, low, high = ("mean", "mean", "mean") if levels else ("diff", "ci_low", "ci_high")
    share = analyst.kind(outcome) == "pct"  # shares are drawn in per cent, their differences in points
    if share:
        data = data.assign(**{c: data[c] * 100 for c in ("mean", "diff", "ci_low", "ci_high", "ci_low_seeds", "ci_high_seeds") if c in data})
    step = 0.8 / len(variants) if grouping else 0.0
    for i, variant in enumerate(variants):
        mine = data[data["variant"] == variant]
        at = mine["row"].map({r: len(rows) - 1 - k for k, r in enumerate(rows)}) - (i - (len(variants) - 1) / 2) * step
        err = np.vstack([mine[value] - mine[low], mine[high] - mine[value]])
        look = {"color": f"C{i % 10}", "label": variant} if grouping else {"color": "tab:blue"}
        ax.errorbar(mine[value], at, xerr=np.nan_to_num(err), fmt="o", ms=3.5, capsize=2.5, **look)
        if not levels and "ci_low_seeds" in mine:  # the interval over the seeds alone, inside the one over seeds and parameters
            ax.hlines(at, mine["ci_low_seeds"], mine["ci_high_seeds"], lw=4, alpha=0.45, color=look["color"])
    if not levels:
        ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.{1 if abs(x) < 10 else 0}f}" if abs(x) >= 1 or x == 0 else f"{x:.2g}"))
    ax.tick_params(axis="x", labelsize=8)
    words = [analyst.GROUP_WORDS.get(r, r) if grouping == "cni_quintile" else r for r in rows]
    ax.set_yticks(np.arange(len(rows))[::-1], [textwrap.fill(r, 30, break_long_words=False) for r in words], fontsize=8)
    unit = ("%" if levels else "points") if share else ("SEK" if analyst.kind(outcome) == "sek" else "")
    ax.set_xlabel(("level" if levels else "difference") + (f", {unit}" if unit else ""), fontsize=8)
    title = textwrap.fill(analyst.label(outcome), 48, break_long_words=False)
    ax.set_title(f"{title} (mean; no paired difference)" if levels else title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)


def forest_plots(table: pd.DataFrame, baseline: str, title: str, folder: Path) -> list[Path]:
    """Paired differences from the baseline with 95 % intervals: one panel per outcome, a row per variant;
    by group in a figure per grouping, a row per group with the variants side by side in colour."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    others = table[table["variant"] != baseline].copy()
    others["base_outcome"] = others["outcome"].str.split("[").str[0]
    others["grouping"] = others["outcome"].str.extract(r"\[(\w+)=", expand=False)
    others["row"] = np.where(others["grouping"].isna(), others["variant"], others["outcome"].str.extract(r"=(.*)\]$", expand=False))
    variants = list(dict.fromkeys(others["variant"]))
    figures = []
    for grouping in [None, *sorted(others["grouping"].dropna().unique())]:
        data = others[others["grouping"].isna()] if grouping is None else others[others["grouping"] == grouping]
        if not len(data):
            continue
        outcomes = list(dict.fromkeys(data["base_outcome"]))
        rows = list(dict.fromkeys(data["row"]))
        cols = min(3, len(outcomes))
        rows_n = -(-len(outcomes) // cols)
        per_row = 0.32 * len(rows) * (1 if grouping is None else max(1.0, 0.25 * len(variants)))
        fig, axes = plt.subplots(rows_n, cols, figsize=(5.2 * cols, 0.9 + (per_row + 1.2) * rows_n), squeeze=False)
        for ax, outcome in zip(axes.flat, outcomes):
            _forest_panel(ax, data[data["base_outcome"] == outcome], outcome, rows, variants, grouping)
        for ax in list(axes.flat)[len(outcomes) :]:
            ax.axis("off")
        scope, legend_inches = "", 0.0
        if grouping is not None:
            scope = f" by {analyst.GROUPINGS.get(grouping, grouping.replace('_', ' '))}" + (" quintile (Q5: highest need)" if grouping == "cni_quintile" else "")
            legend_inches = 0.3 * (1 + (len(variants) - 1) // 4)
            fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="lower center", ncol=min(4, len(variants)), fontsize=8)
        intervals = "95 % CI over seeds and parameters (whiskers) and over seeds alone (bar)" if "ci_low_seeds" in table else "95 % CI over seeds"
        fig.suptitle(f"{title}: difference from {baseline}{scope} (mean of paired differences, {intervals})")
        name = "forest.png" if grouping is None else f"forest_{grouping}.png"
        figures.append(_save(fig, folder / name, legend_inches))
    return figures


def sensitivity_plots(table: pd.DataFrame, method: str, title: str, folder: Path) -> list[Path]:
    """Bars of each factor's sensitivity index, one panel per outcome, a figure per scenario."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    main, spread = {"sobol": ("ST", "S1"), "morris": ("mu_star", "sigma"), "delta": ("delta", "S1")}[method]
    figures = []
    for scenario, data in table.groupby("scenario", sort=False):
        outcomes = list(dict.fromkeys(data["outcome"]))
        cols = min(3, len(outcomes))
        rows_n = -(-len(outcomes) // cols)
        factors = list(dict.fromkeys(data["factor"]))
        fig, axes = plt.subplots(rows_n, cols, figsize=(5.2 * cols, (1.2 + 0.35 * len(factors)) * rows_n), squeeze=False)
        for ax, outcome in zip(axes.flat, outcomes):
            mine = data[data["outcome"] == outcome].set_index("factor").loc[factors]
            y = np.arange(len(factors))
            ax.barh(y + 0.2, mine[main], height=0.4, label=main, color="tab:blue")
            ax.barh(y - 0.2, mine[spread], height=0.4, label=spread, color="tab:orange")
            ax.set_yticks(y, [textwrap.fill(f, 34, break_long_words=True) for f in factors], fontsize=7)
            ax.invert_yaxis()
            ax.set_title(textwrap.fill(analyst.label(outcome), 48, break_long_words=False), fontsize=9)
            ax.grid(axis="x", alpha=0.3)
        for ax in list(axes.flat)[len(outcomes) :]:
            ax.axis("off")
        axes.flat[0].legend(fontsize=8)
        what = {"sobol": "Sobol total (ST) and first-order (S1) indices", "morris": "Morris mu* and sigma", "delta": "the paired difference's delta and S1 over the posterior"}[method]
        fig.suptitle(f"{title}, {scenario}: {what}")
        figures.append(_save(fig, folder / f"sensitivity_{re.sub(r'[^A-Za-z0-9.-]+', '-', scenario)}.png"))
    return figures


def list_size_figure(table: pd.DataFrame, title: str, path: Path) -> Path:
    """A fundholder's risk by list size: the spread of its result and its probability of a deficit over 5 %."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.2))
    stop_losses = list(dict.fromkeys(table["stop_loss_sek"].fillna(-1)))
    adjustments = list(dict.fromkeys(table["risk_adjustment"]))
    styles = ("-", "--", ":", "-.")
    for variant, data in table.groupby("variant", sort=False):
        stop = data["stop_loss_sek"].fillna(-1).iloc[0]
        adjustment = data["risk_adjustment"].iloc[0]
        look = {"color": f"C{stop_losses.index(stop)}", "ls": styles[adjustments.index(adjustment) % len(styles)], "marker": "o", "ms": 3}
        adjusted = {"age_sex": "age and sex", "age_sex_cni": "age, sex and CNI", "age_sex_cni_morbidity": "age, sex, CNI and morbidity"}.get(adjustment, adjustment)
        label = f"{'no stop-loss' if stop < 0 else f'stop-loss {stop:,.0f} SEK'}; budget by {adjusted}"
        if len(stop_losses) == 1 and len(adjustments) == 1:
            label = variant
        axes[0].plot(data["list_size"], 100 * data["result_cv"], label=label, **look)
        axes[1].plot(data["list_size"], 100 * data["p_deficit_over_5pct"], label=label, **look)
    for ax, label in zip(axes, ("Standard deviation of the result, % of the budget", "Probability of a deficit over 5 % of the budget, %")):
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(thousands)
        ax.set_xlabel("Listed residents (log scale)")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[1].axvline(10_000, color="grey", ls="--", lw=1)
    axes[1].axvline(100_000, color="grey", ls=":", lw=1)
    axes[1].annotate("UK fundholding entry: 10,000", (10_000, 0.97), xycoords=("data", "axes fraction"), fontsize=8, color="grey", ha="right", rotation=90, va="top")
    axes[1].annotate("US IPAs: about 100,000", (100_000, 0.97), xycoords=("data", "axes fraction"), fontsize=8, color="grey", ha="right", rotation=90, va="top")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.suptitle(f"{title}: a fundholder's yearly result by list size")
    fig.tight_layout(rect=(0, 0.12 if len(labels) > 3 else 0.07, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def standard_patients_plot(patients: pd.DataFrame, path: Path) -> Path:
    """Standard patients: mean services by patient type under each payment against the patient optimum q*,
    and the mean benefit each type gets (evidence.md E1-E3, E10, E11)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for payment, data in patients.groupby("payment", sort=False):
        axes[0].plot(data["q_star"], data["mean_q"] - data["q_star"], marker="o", label=payment)
        axes[1].plot(data["q_star"], data["mean_benefit"] / data["q_star"], marker="o", label=payment)
    axes[0].axhline(0, color="grey", lw=1)
    axes[0].set_ylabel("Mean services minus the patient optimum q*")
    axes[1].set_ylabel("Mean benefit per service needed, SEK (most: V at q = q*)")
    axes[1].yaxis.set_major_formatter(thousands)
    for ax in axes:
        ax.set_xlabel("Patient type: optimal services q*")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Standard patients through the simulator's treatment decision: fee-for-service, mixed, capitation")
    return _save(fig, path)


def calibration_plot(misses: pd.DataFrame, path: Path) -> Path:
    """Each calibration target's miss before and after the fit (columns ``before`` and ``model``), in units of its
    tolerance, labelled by ``label``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(misses) + 1.6))
    y = np.arange(len(misses))[::-1]
    ax.axvspan(-1, 1, color="tab:green", alpha=0.12, label="within tolerance")
    ax.axvline(0, color="grey", lw=1)
    for column, look in (("before", {"marker": "o", "mfc": "none", "color": "grey"}), ("model", {"marker": "o", "color": "tab:blue"})):
        ax.plot(misses[column], y, ls="none", label="before the fit" if column == "before" else "calibrated", **look)
    ax.set_yticks(y, misses["label"])
    ax.set_xlabel("Model minus Swedish figure, in tolerances")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Calibration to Swedish figures (sweden.md)")
    return _save(fig, path)


#: a tile cartogram of Sweden's 21 regions: county code -> (column, row), north at the top
SWEDEN_TILES = {
    "25": (3, 0), "24": (2, 1), "23": (1, 2), "22": (2, 2), "20": (1, 3), "21": (2, 3),
    "17": (0, 4), "18": (1, 4), "19": (2, 4), "03": (3, 4),
    "14": (0, 5), "05": (1, 5), "04": (2, 5), "01": (3, 5),
    "13": (0, 6), "06": (1, 6), "08": (2, 6), "09": (3, 6),
    "12": (0, 7), "07": (1, 7), "10": (2, 7),
}


def format_value(value: float, percent: bool) -> str:
    """A figure as an analyst reads it: a share in per cent, SEK and counts from 100 with thousands separators, small
    numbers to three significant digits; empty for a missing value."""
    if value is None or not np.isfinite(value):
        return ""
    if percent:
        return f"{100 * value:.1f} %"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def sweden_map(values: pd.Series, names: pd.Series, label: str, title: str, path: Path, percent: bool = False) -> Path:
    """A tile map of Sweden, one square per region (county code, ``SWEDEN_TILES``), coloured by ``values`` (by code);
    regions without a value are grey. No boundary data is shipped, so the tiles keep the regions' places, not shapes."""
    fig, ax = plt.subplots(figsize=(5.2, 8.2))
    finite = values.dropna()
    low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
    cmap = plt.get_cmap("viridis")
    for code, (col, row) in SWEDEN_TILES.items():
        value = values.get(code, np.nan)
        shade = cmap((value - low) / (high - low) if high > low else 0.5) if np.isfinite(value) else "lightgrey"
        ax.add_patch(plt.Rectangle((col, -row), 0.95, 0.95, color=shade))
        text = "white" if np.isfinite(value) and (value - low) / max(high - low, 1e-12) < 0.6 else "black"
        ax.text(col + 0.475, -row + 0.62, textwrap.fill(str(names.get(code, code)), 12, break_long_words=False), ha="center", va="center", fontsize=7, color=text)
        ax.text(col + 0.475, -row + 0.25, format_value(value, percent) or "none", ha="center", va="center", fontsize=8, weight="bold", color=text)
    ax.set_xlim(-0.1, 4.05)
    ax.set_ylim(-7.1, 1.05)
    ax.set_aspect("equal")
    ax.axis("off")
    scale = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(low, high))
    bar = fig.colorbar(scale, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(label)
    if percent:
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{100 * x:.1f} %"))
    ax.set_title(textwrap.fill(title, 48), fontsize=10)
    return _save(fig, path)
