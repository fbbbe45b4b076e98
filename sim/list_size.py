"""The list-size experiment's table: a fundholder's risk by list size, each variant's mean over its replications.

Each run measures the risk itself (``sim.risk``, the ``...[list_size=N]`` outcomes); this batch step gathers a sweep's
runs into ``list-size.csv``, ``list-size.md`` and ``figures/list_size.png``, and finds the smallest safe list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.plots import list_size_figure
from sim.risk import LIST_SIZES, MEASURES


def list_size_table(plan, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per list size and variant (stop-loss and risk adjustment): the mean over replications."""
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    rows = []
    for variant in plan.variants:
        fundholding = plan.scenarios[variant.index].rulebook.fundholding
        mine = ok[ok["variant_index"] == variant.index] if len(ok) else ok
        for size in LIST_SIZES:
            row = {"list_size": size, "stop_loss_sek": fundholding.stop_loss_sek, "risk_adjustment": fundholding.risk_adjustment, "variant": variant.label}
            for name in MEASURES:
                column = f"{name}[list_size={size}]"
                row[name] = float(mine[column].mean()) if len(mine) and column in mine else np.nan
            row["replications"] = len(mine)
            rows.append(row)
    return pd.DataFrame(rows)


def smallest_safe_list(table: pd.DataFrame, threshold: float, column: str = "p_deficit_over_5pct") -> pd.DataFrame:
    """For each variant, the smallest list size whose probability of a deficit stays under ``threshold``."""
    safe = table[table[column] < threshold]
    first = safe.groupby("variant", sort=False)["list_size"].min()
    return pd.DataFrame({"variant": list(dict.fromkeys(table["variant"]))}).assign(smallest_list_size=lambda d: d["variant"].map(first))


def _sek(value) -> str:
    return "none" if value is None or value != value else f"{value:,.0f}"


def write_list_size_table(plan, runs: pd.DataFrame, out) -> pd.DataFrame:
    """list-size.csv and list-size.md beside runs.parquet, and figures/list_size.png."""
    from sim.sweep import table_files

    csv, markdown, figure = table_files(out, "list_size")
    table = list_size_table(plan, runs)
    table.to_csv(csv, index=False)
    lines = [
        "Fundholders' yearly result by list size (mean over replications): `result_cv` is the standard deviation of the result",
        "per listed resident over the budget per listed resident; `p_deficit_over_5pct` (`10pct`) the probability of a deficit",
        "larger than 5 % (10 %) of the budget in a year. Stop-loss: the reinsurance threshold per resident and year, SEK.",
        "",
        "| list_size | stop_loss_sek | risk_adjustment | result_cv | p_deficit_over_5pct | p_deficit_over_10pct |",
        "|---:|---:|---|---:|---:|---:|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.list_size:,} | {_sek(row.stop_loss_sek)} | {row.risk_adjustment} | {row.result_cv:.4f} | {row.p_deficit_over_5pct:.4f} | {row.p_deficit_over_10pct:.4f} |"
        )
    thresholds = (0.10, 0.05, 0.01)
    lines += [
        "",
        "The smallest list at which a deficit over 5 % of the budget comes in fewer than 10 %, 5 % and 1 % of years:",
        "",
        "| stop_loss_sek | risk_adjustment | " + " | ".join(f"P < {t:.0%}" for t in thresholds) + " |",
        "|---:|---|" + "---:|" * len(thresholds),
    ]
    smallest = {t: smallest_safe_list(table, t).set_index("variant")["smallest_list_size"] for t in thresholds}
    for variant, rows in table.groupby("variant", sort=False):
        first = rows.iloc[0]
        cells = [f"{smallest[t][variant]:,.0f}" if smallest[t][variant] == smallest[t][variant] else f"over {max(LIST_SIZES):,}" for t in thresholds]
        lines.append(f"| {_sek(first.stop_loss_sek)} | {first.risk_adjustment} | " + " | ".join(cells) + " |")
    markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    list_size_figure(table, plan.experiment.name, figure)
    return table
