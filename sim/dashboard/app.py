"""The dashboard's page (Shiny for Python): pick a sweep, its variants, an outcome and a grouping; see the paired
differences as a forest plot and a table, the outcome over the years, a national sweep's map of Sweden, a run's
clinics and a followed resident's months; download the table behind each view as CSV.

Shiny for Python serves its page and scripts from the installed package, so the dashboard needs no network; it reads
the folders it is given (sim.dashboard.data) and never runs a model.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from shiny import App, reactive, render, req, ui  # noqa: E402

from sim.dashboard.data import CLINIC_COLUMNS, FOLLOWED_COLUMNS, Run, Sweep, shown  # noqa: E402
from sim.labels import GROUP_WORDS, GROUPINGS, kind, label, number  # noqa: E402

GROUPING_WORDS = {"total": "in total", "cni_quintile": "by Care Need Index quintile (Q5: highest need)", "age_group": "by age group",
                  "area_type": "by area type (town, rural, sparse)", "region": "by region"}


def _csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue()


def forest(table: pd.DataFrame, raw: pd.DataFrame, outcome: str, baseline: str) -> plt.Figure:
    """Each variant's (and group's) paired difference from the baseline with its 95 % interval, in the outcome's units."""
    k = kind(outcome)
    scale = 100.0 if k == "pct" else 1.0
    rows = raw[raw["variant"] != baseline].reset_index(drop=True)
    names = [f"{v}" + (f", {g}" if g != "all" else "") for v, g in zip(table.loc[raw["variant"] != baseline, "variant"], table.loc[raw["variant"] != baseline, "group"])]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * max(len(rows), 2) + 1.4))
    y = list(range(len(rows)))[::-1]
    ax.errorbar(rows["diff"] * scale, y, xerr=[(rows["diff"] - rows["ci_low"]) * scale, (rows["ci_high"] - rows["diff"]) * scale], fmt="o", color="#1f4e79", capsize=3)
    if "ci_low_seeds" in rows:  # the interval over the seeds alone, inside the one over seeds and parameters
        ax.hlines(y, rows["ci_low_seeds"] * scale, rows["ci_high_seeds"] * scale, lw=5, alpha=0.4, color="#1f4e79")
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(y, names)
    unit = "points" if k == "pct" else ("SEK" if k == "sek" else "")
    ax.set_xlabel(f"difference from {baseline}" + (f", {unit}" if unit else ""))
    ax.set_title(label(outcome), fontsize=10)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:+,.1f}" if k == "pct" else f"{x:+,.0f}" if k == "sek" else f"{x:+,.3g}"))
    fig.tight_layout()
    return fig


def build_app(sweeps: list[Sweep], runs: list[Run]) -> App:
    """The dashboard over these sweeps and runs."""
    by_name = {s.name: s for s in sweeps}
    run_dirs = {str(r.path): f"{r.name}" for r in runs}
    for s in sweeps:
        for d in s.run_dirs():
            run_dirs[str(d)] = s.run_label(d)
    first = sweeps[0] if sweeps else None

    sidebar = ui.sidebar(
        ui.input_select("sweep", "Sweep", {s.name: s.name for s in sweeps}, selected=first.name if first else None),
        ui.input_select("outcome", "Outcome", {}),
        ui.input_select("grouping", "Groups", {}),
        ui.input_checkbox_group("variants", "Variants", []),
        width=360,
    )
    app_ui = ui.page_sidebar(
        sidebar,
        ui.navset_card_tab(
            ui.nav_panel(
                "Comparison",
                ui.output_text("comparison_note"),
                ui.output_plot("forest_plot", height="520px"),
                ui.output_table("comparison"),
                ui.download_button("download_comparison", "Download this table (CSV)"),
            ),
            ui.nav_panel("Over time", ui.output_plot("time_plot"), ui.output_table("time_table"), ui.download_button("download_time", "Download this table (CSV)")),
            ui.nav_panel(
                "Map",
                ui.input_select("map_variant", "Variant on the map", {}),
                ui.output_text("map_note"),
                ui.output_image("map_image", height="900px"),
                ui.download_button("download_map", "Download the map's table (CSV)"),
            ),
            ui.nav_panel(
                "Clinics",
                ui.input_select("run", "Run", run_dirs),
                ui.output_plot("region_map", height="520px"),
                ui.output_table("clinics"),
                ui.download_button("download_clinics", "Download this table (CSV)"),
            ),
            ui.nav_panel(
                "Followed resident",
                ui.output_text("followed_note"),
                ui.output_table("followed"),
                ui.download_button("download_followed", "Download this table (CSV)"),
            ),
            id="view",
        ),
        title="vardval: finished runs and sweeps",
    )

    def server(input, output, session):
        @reactive.calc
        def sweep() -> Sweep:
            req(input.sweep())
            return by_name[input.sweep()]

        @reactive.effect
        def _choices():
            s = sweep()
            ui.update_select("outcome", choices={o: label(o) for o in s.outcomes}, selected=s.outcomes[0])
            ui.update_select("grouping", choices={g: GROUPING_WORDS.get(g, f"by {GROUPINGS.get(g, g)}") for g in s.groupings}, selected="total")
            ui.update_checkbox_group("variants", choices=s.variants, selected=s.variants)
            ui.update_select("map_variant", choices=s.variants, selected=s.variants[-1])

        @reactive.calc
        def comparison_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
            s = sweep()
            req(input.outcome() in s.outcomes, input.grouping() in s.groupings)
            return s.table(input.outcome(), input.grouping(), list(input.variants()) or None)

        @render.text
        def comparison_note():
            s = sweep()
            parameters = "ci_low_seeds" in s.comparison
            return (f"Each variant against {s.baseline} on the same seeds: its level, the paired difference and its 95 % interval"
                    + (" over seeds and parameters (and over the seeds alone), with the probability that it is better." if parameters else " over the seeds."))

        @render.plot
        def forest_plot():
            table, raw = comparison_rows()
            req(len(raw[raw["variant"] != sweep().baseline]))
            return forest(table, raw, input.outcome(), sweep().baseline)

        @render.table
        def comparison():
            return comparison_rows()[0]

        @render.download_button(filename=lambda: f"{sweep().name}-{input.outcome()}-{input.grouping()}.csv")
        def download_comparison():
            yield _csv(comparison_rows()[1])

        @reactive.calc
        def over_time() -> pd.DataFrame:
            req(input.outcome())
            grouping = input.grouping() if input.grouping() in ("cni_quintile", "age_group", "area_type") else "total"
            table = sweep().yearly(input.outcome(), grouping)
            return table[table["variant"].isin(list(input.variants()) or sweep().variants)]

        @render.plot
        def time_plot():
            table = over_time()
            req(len(table))
            k = kind(input.outcome())
            fig, ax = plt.subplots(figsize=(7.5, 4.5))
            for (variant, group), rows in table.groupby(["variant", "group"], sort=False):
                ax.plot(rows["year"], rows[input.outcome()] * (100 if k == "pct" else 1), marker="o", label=variant if group == "all" else f"{variant}, {GROUP_WORDS.get(group, group)}")
            ax.set_xlabel("year" if sweep().start_year else "reported year")
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:,.1f}" if abs(y) < 100 else f"{y:,.0f}"))
            ax.set_ylabel(label(input.outcome()) + (" (%)" if k == "pct" else ""), fontsize=8)
            ax.legend(fontsize=7, ncol=2)
            fig.tight_layout()
            return fig

        @render.table
        def time_table():
            table = over_time()
            if (table["group"] == "all").all():
                table = table.drop(columns="group")
            k = kind(input.outcome())
            return table.assign(**{input.outcome(): [number(v, k) for v in table[input.outcome()]]}).rename(columns={input.outcome(): label(input.outcome())})

        @render.download_button(filename=lambda: f"{sweep().name}-{input.outcome()}-by-year.csv")
        def download_time():
            yield _csv(over_time())

        @render.text
        def map_note():
            if not (sweep().path / "by-region.csv").is_file():
                return "No map: this sweep has no by-region.csv (a national sweep's, or the regions' sweep's, after 'vardval regions')."
            return f"{label(input.outcome())} by region under {input.map_variant()}, the mean over its replications."

        @reactive.calc
        def map_rows() -> pd.DataFrame:
            path = sweep().path / "by-region.csv"
            req(path.is_file())
            table = pd.read_csv(path, dtype={"code": str})
            if "variant" in table:
                table = table[table["variant"] == input.map_variant()]
            req(input.outcome() in table, len(table))
            return table[[c for c in ("variant", "code", "region", "replications", input.outcome()) if c in table]]

        @render.download_button(filename=lambda: f"{sweep().name}-{input.map_variant()}-{input.outcome()}-by-region.csv")
        def download_map():
            yield _csv(map_rows())

        @render.image
        def map_image():
            table = map_rows()
            from sim.plots import sweden_map
            from sim.regions.generate import read_csv

            names = pd.DataFrame(read_csv("sweden-regions.csv")).set_index("code")["region"]
            out = Path(tempfile.mkdtemp()) / "map.png"
            sweden_map(table.set_index("code")[input.outcome()], names, label(input.outcome()), f"{sweep().name}: {input.map_variant()}", out, percent=kind(input.outcome()) == "pct")
            return {"src": str(out), "width": "520px"}

        @reactive.calc
        def chosen_run() -> Run:
            req(input.run())
            return Run(Path(input.run()))

        @reactive.calc
        def clinic_rows() -> pd.DataFrame:
            return chosen_run().clinics()

        @render.plot
        def region_map():
            areas, clinics = chosen_run().sites()
            fig, ax = plt.subplots(figsize=(7.5, 5.5))
            colours = {"town": "#4c72b0", "rural": "#55a868", "sparse": "#c44e52"}
            for kind_, rows in areas.groupby("type"):
                ax.scatter(rows["lon"], rows["lat"], s=12 + 400 * rows["residents"] / areas["residents"].max(), alpha=0.35, color=colours.get(kind_, "grey"), label=f"{kind_} areas (size: residents)")
            if len(clinics):
                shut = clinics[~clinics["open"].astype(bool)]
                live = clinics[clinics["open"].astype(bool)]
                ax.scatter(live["lon"], live["lat"], marker="P", s=40, color="black", label="clinic open at the year's end")
                ax.scatter(shut["lon"], shut["lat"], marker="X", s=40, color="#dd8452", label="clinic closed in the year")
            ax.set_xlabel("longitude")
            ax.set_ylabel("latitude")
            ax.set_aspect(1 / max(np.cos(np.radians(areas["lat"].mean())), 0.2))
            ax.legend(fontsize=7, loc="best")
            ax.set_title("The region's areas and its clinics in the last reported year", fontsize=10)
            fig.tight_layout()
            return fig

        @render.table
        def clinics():
            return shown(clinic_rows(), CLINIC_COLUMNS)

        @render.download_button(filename=lambda: f"{Path(input.run()).name}-clinics.csv")
        def download_clinics():
            yield _csv(clinic_rows())

        @reactive.calc
        def followed_rows() -> pd.DataFrame | None:
            return chosen_run().followed()

        @render.text
        def followed_note():
            return "" if followed_rows() is not None else "No resident was followed in this run (vardval run ... --follow N)."

        @render.table
        def followed():
            table = followed_rows()
            req(table is not None)
            return shown(table, FOLLOWED_COLUMNS)

        @render.download_button(filename=lambda: f"{Path(input.run()).name}-followed.csv")
        def download_followed():
            table = followed_rows()
            req(table is not None)
            yield _csv(table)

    return App(app_ui, server)
