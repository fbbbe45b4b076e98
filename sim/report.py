"""One self-contained HTML page for a sweep: the experiment, the comparison, the figures, failures, provenance."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from sim.errors import UserError
from sim.sweep import read_sweep, table_files

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; } th { background: #f4f4f4; }
td:first-child, td:nth-child(2), th:first-child, th:nth-child(2) { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.note { color: #555; font-size: 0.9em; } code { background: #f4f4f4; padding: 0 3px; }
"""


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">'


def _plain(value: float) -> str:
    """A number as a table shows it: thousands separated, never in scientific notation."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3f}" if abs(value) >= 1 else f"{value:.4f}"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=_plain, na_rep="", border=0, escape=True)


def _factors(experiment: dict) -> pd.DataFrame:
    rows = []
    for path, values in experiment["factors"].items():
        shown = ", ".join("none" if v is None else str(v) for v in values) if isinstance(values, list) else f"{values['low']} to {values['high']}" + (f" in {values['steps']} steps" if values.get("steps") else "")
        rows.append({"factor (field path)": path, "values": shown})
    return pd.DataFrame(rows) if rows else pd.DataFrame({"factor (field path)": ["(none: the base scenario only)"], "values": [""]})


def report(folder: Path, baseline: str | None = None) -> Path:
    """Write report.html in the sweep's folder (running the comparison, and the sensitivity analysis for a Sobol or Morris design)."""
    from sim.compare import compare, readable
    from sim.sensitivity import sensitivity

    folder = Path(folder)
    manifest, runs = read_sweep(folder)
    if not len(runs):
        raise UserError(f"{folder}: the sweep has no recorded run yet.")
    e = manifest["plan"]["experiment"]
    parts = [f"<h1>{html.escape(e['name'])}</h1>", f"<p>{html.escape(' '.join(e.get('description', '').split()))}</p>"]

    parts.append("<h2>Experiment</h2>")
    design = e["design"]
    size = "" if design["method"] == "grid" else f", n = {design['n']}"
    parts.append(
        f"<p>Base scenario <code>{html.escape(e['base'])}</code>; design <b>{design['method']}</b>{size}; "
        f"{len(manifest['plan']['variants'])} variants x {e['replications']} replications; replication seeds spawned from seed {e['seed']} "
        f"(the same seeds in every variant: differences are paired)"
        + ("; replications 2j and 2j+1 run posterior draw j of the free parameters" if e.get("uncertainty") == "parameters" else "")
        + ".</p>"
    )
    if e["fixed"]:
        parts.append("<p>Fixed in every run: " + ", ".join(f"<code>{html.escape(k)} = {html.escape(str(v))}</code>" for k, v in e["fixed"].items()) + "</p>")
    parts.append(_table(_factors(e)))

    ok = runs["status"] == "ok"
    failed = runs[~ok]
    parts.append("<h2>Runs</h2>")
    parts.append(f"<p>{len(runs)} of {len(manifest['plan']['variants']) * e['replications']} runs recorded: {int(ok.sum())} finished, {len(failed)} failed; median run {runs.loc[ok, 'wall_s'].median():.1f} s.</p>")

    if ok.any():
        table, baseline = compare(folder, baseline)
        parts.append("<h2>Comparison</h2>")
        if "p_better" in table:
            note = (
                "with two 95 % intervals: <b>ci_low, ci_high over seeds and parameters</b> (how sure we are of the difference, given what the "
                "targets leave open about the free parameters: the replications draw them from their posterior, two seeds per draw) and "
                "<b>ci_low_seeds, ci_high_seeds over the seeds alone</b> (how sure we would be, were the parameters known); p_better is the "
                "probability that the variant is better than its reference, where an outcome has a better side."
            )
        else:
            note = "with a 95 % confidence interval over the seeds alone (t over replications; the parameters fixed at the calibrated set)."
        parts.append(f"<p class='note'>Mean over replications of each variant, and its paired difference from <b>{html.escape(baseline)}</b> {note}</p>")
        parts.append(_table(readable(table, baseline)))
        parts.append("<p class='note'>The same figures unrounded are in comparison.csv beside this page.</p>")
        for figure in sorted((folder / "figures").glob("forest*.png")):
            parts.append(_image(figure))
        for name in e.get("tables", []):  # e.g. list_size: list-size.csv and figures/list_size.png
            parts.append(f"<h2>{html.escape(name.replace('_', ' ').capitalize())}</h2>")
            csv, _, figure = table_files(folder, name)
            if csv.is_file():
                parts.append(_table(pd.read_csv(csv)))
            if figure.is_file():
                parts.append(_image(figure))
        if design["method"] in ("sobol", "morris") and not len(failed):
            indices = sensitivity(folder)
            parts.append("<h2>Sensitivity</h2>")
            parts.append(_table(indices))
            for figure in sorted((folder / "figures").glob("sensitivity_*.png")):
                parts.append(_image(figure))

    parts.append("<h2>Failures</h2>")
    parts.append(_table(failed[["run_id", "variant", "replication", "seed", "error"]]) if len(failed) else "<p>None.</p>")

    parts.append("<h2>Provenance</h2>")
    provenance = {
        "experiment file": manifest["plan"]["source"],
        "package version": manifest.get("package_version"),
        "git commit": manifest.get("git_commit"),
        "python": manifest.get("python"),
        "started": manifest.get("started"),
        "last updated": manifest.get("updated"),
        "replication seeds": ", ".join(map(str, manifest["plan"]["seeds"])),
    }
    parts.append(_table(pd.DataFrame({"": list(provenance), "value": [str(v) for v in provenance.values()]})))

    page = f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(e['name'])}</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
