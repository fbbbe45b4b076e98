"""Scenario discovery: where among the uncertain parameters a comparison's answer holds.

A sweep that runs rulebooks at the same sampled points of the parameters no source pins down
(a robustness design) asks, at every point, one question of a variant's paired difference from
its baseline there, e.g. ``cost_per_capita_sek > 0`` ("the blend costs more than capitation")
or ``health_loss_per_1000 > 1`` ("step 6 raises health loss by more than 1 per 1,000").
PRIM (Friedman & Fisher 1999, as ema_workbench implements it) peels the box of parameter
values in which the answer holds most often: its **coverage** is the share of the points
where it holds that lie in the box, its **density** the share of the box's points where it
holds. A box that restricts few parameters at high coverage and density names the
assumptions the answer hangs on; the robustness study's ranking question ("does the order
hold everywhere?") is the case where the answer holds at every point and no box is needed.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.errors import UserError
from sim.ranking import paired_differences, rules_at_points

FEW = 10  # points where a question holds below which PRIM's box is not worth reading
ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Compare, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Name, ast.Load, ast.Constant)


def question(where: str, outcomes: list[str]) -> None:
    """Check ``where``: comparisons of outcomes and numbers, joined by and, or, not (pandas then evaluates it)."""
    allowed = f"a comparison of outcomes and numbers (e.g. \"cost_per_capita_sek > 0\"), with and, or, not; the outcomes are: {', '.join(outcomes)}"
    try:
        tree = ast.parse(where.strip(), mode="eval")
    except SyntaxError:
        raise UserError(f"--where {where!r}: is not an expression; give {allowed}.") from None
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED) or (isinstance(node, ast.Constant) and not isinstance(node.value, (int, float))):
            raise UserError(f"--where {where!r}: {ast.unparse(node) if not isinstance(node, ast.Expression) else where!r} is not allowed; give {allowed}.")
        if isinstance(node, ast.Name) and node.id not in outcomes:
            raise UserError(f"--where {where!r}: {node.id!r} is not an outcome of this sweep; give {allowed}.")

    def is_test(node: ast.AST) -> bool:
        if isinstance(node, ast.BoolOp):
            return all(is_test(v) for v in node.values)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return is_test(node.operand)
        return isinstance(node, ast.Compare)

    if not is_test(tree.body):
        raise UserError(f"--where {where!r}: is not a comparison; give {allowed}.")


@dataclass(frozen=True)
class Discovery:
    """A question's answer over the design: where it holds, and PRIM's boxes."""

    variant: str
    baseline: str
    where: str
    held: pd.Series  # per point
    trajectory: pd.DataFrame  # PRIM's peeling trajectory: coverage, density, mass, res_dim per box (empty without PRIM)
    chosen: int | None  # the box reported
    limits: pd.DataFrame  # the chosen box: min, max and PRIM's quasi-p value of each parameter it restricts
    ranges: pd.DataFrame  # each sampled parameter's range in the design: low, high


def discover(folder: Path, variant: str, where: str, baseline: str | None = None, min_coverage: float = 0.8) -> Discovery:
    """Answer ``where`` (a condition on ``variant``'s paired differences from ``baseline``) at every design point of the
    sweep in ``folder``, and find with PRIM the box of parameters where it holds: the densest box on the peeling
    trajectory that still covers ``min_coverage`` of the points where it holds. Writes discovery-*.csv, .md and a figure."""
    folder = Path(folder)
    experiment, points, ok = rules_at_points(folder, "discover")
    rules = list(dict.fromkeys(ok.sort_values("variant_index")["rule"]))
    baseline = baseline or rules[0]
    for flag, name in (("--variant", variant), ("--baseline", baseline)):
        if name not in rules:
            raise UserError(f"{flag} {name!r}: is not a rulebook of this sweep; the rulebooks are: {', '.join(repr(r) for r in rules)}.")
    if variant == baseline:
        raise UserError(f"--variant {variant!r}: is the baseline itself; give another rulebook or another --baseline.")
    differences = paired_differences(ok, list(experiment.outcomes), variant, baseline)
    question(where, list(differences.columns))
    held = differences.eval(where.strip(), engine="python").astype(bool).rename("holds")  # checked by question() first
    x = pd.DataFrame(points.values[differences.index.astype(int)], columns=points.names)
    ranges = pd.DataFrame({"low": [points.low[f] for f in points.names], "high": [points.high[f] for f in points.names]}, index=points.names)
    trajectory, chosen, limits = pd.DataFrame(), None, pd.DataFrame(columns=["min", "max", "qp"])
    if 0 < held.sum() < len(held):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ema_workbench warns of evaluators it does not need here
            from ema_workbench.analysis import prim

            box = prim.Prim(x, held.to_numpy()).find_box()
            trajectory = box.peeling_trajectory.reset_index(drop=True)
            covering = trajectory[trajectory["coverage"] >= min_coverage]
            chosen = int(covering["density"].idxmax())
            stats, lims = box.inspect(chosen, style="data")[0]
        qp = lims.xs("qp value", axis=1, level=1).max(axis=1) if isinstance(lims.columns, pd.MultiIndex) else lims["qp value"].max(axis=1)
        mins, maxs = lims.iloc[:, 0], lims.iloc[:, 1]
        limits = pd.DataFrame({"min": mins.astype(float), "max": maxs.astype(float), "qp": qp.astype(float)})
    found = Discovery(variant, baseline, where, held, trajectory, chosen, limits, ranges)
    _write(folder, found, x)
    return found


def slug(where: str, variant: str) -> str:
    """A file name for a question: the variant and the condition in letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", f"{variant} {where}".lower()).strip("-")[:80]


def markdown(found: Discovery) -> str:
    share = found.held.mean()
    lines = [
        f"Where `{found.where}` holds for `{found.variant}` against `{found.baseline}` (each outcome its paired difference at a design point):",
        f"at {found.held.sum()} of {len(found.held)} points ({100 * share:.0f} %).",
        "",
    ]
    if found.chosen is None:
        lines.append("It holds at every point or at none: there is no box to find, the answer does not hang on these parameters' ranges.")
        return "\n".join(lines) + "\n"
    if found.held.sum() < FEW:
        lines += [f"It holds at only {found.held.sum()} points: too few for PRIM to tell a box from chance; read the points file instead.", ""]
    box = found.trajectory.loc[found.chosen]
    lines += [
        f"PRIM's box {found.chosen} (the densest covering at least the share asked): coverage {100 * box['coverage']:.0f} % (of the points where it holds, the share in the box), "
        f"density {100 * box['density']:.0f} % (of the box's points, the share where it holds), mass {100 * box['mass']:.0f} % of the points, {int(box['res_dim'])} parameters restricted.",
        "",
        "| parameter | box | its range in the design | quasi-p |",
        "|---|---|---|---:|",
    ]
    for name, row in found.limits.iterrows():
        low, high = found.ranges.loc[name, "low"], found.ranges.loc[name, "high"]
        lines.append(f"| `{name}` | {row['min']:.4g} to {row['max']:.4g} | {low:g} to {high:g} | {row['qp']:.2g} |")
    lines += ["", "A restriction whose quasi-p value (PRIM's test that the box's density would fall without it) is above 0.05 may be chance."]
    return "\n".join(lines) + "\n"


def _write(folder: Path, found: Discovery, x: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    name = slug(found.where, found.variant)
    x.assign(holds=found.held.to_numpy()).to_csv(folder / f"discovery-{name}-points.csv", index=False)
    found.trajectory.to_csv(folder / f"discovery-{name}-boxes.csv", index=False)
    (folder / f"discovery-{name}.md").write_text(markdown(found), encoding="utf-8")
    if found.chosen is None:
        return
    restricted = list(found.limits.index)
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * max(len(restricted), 4) + 2), gridspec_kw={"width_ratios": [1, 1.3]})
    t = found.trajectory
    points = axes[0].scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis")
    axes[0].scatter([t.loc[found.chosen, "coverage"]], [t.loc[found.chosen, "density"]], s=160, facecolors="none", edgecolors="red", label=f"box {found.chosen}")
    axes[0].set(xlabel="coverage", ylabel="density", title="PRIM's peeling trajectory")
    axes[0].legend(loc="lower left")
    fig.colorbar(points, ax=axes[0], label="parameters restricted")
    for i, p in enumerate(restricted):
        low, high = found.ranges.loc[p, "low"], found.ranges.loc[p, "high"]
        span = (high - low) or 1.0
        a, b = (found.limits.loc[p, "min"] - low) / span, (found.limits.loc[p, "max"] - low) / span
        axes[1].plot([0, 1], [i, i], color="lightgrey", lw=6)
        axes[1].plot([a, b], [i, i], color="tab:blue", lw=6)
        axes[1].text(a, i + 0.25, f"{found.limits.loc[p, 'min']:.3g}", ha="center", fontsize=8)
        axes[1].text(b, i + 0.25, f"{found.limits.loc[p, 'max']:.3g}", ha="center", fontsize=8)
    axes[1].set(yticks=range(len(restricted)), yticklabels=restricted, xlim=(-0.05, 1.05), ylim=(-0.7, len(restricted) - 0.3), xlabel="share of the design's range", title=f"box {found.chosen}: where it holds")
    fig.suptitle(f"{found.variant} against {found.baseline}: {found.where}")
    fig.tight_layout()
    (folder / "figures").mkdir(exist_ok=True)
    fig.savefig(folder / "figures" / f"discovery-{name}.png", dpi=110)
    plt.close(fig)
