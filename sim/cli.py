"""The command line: ``vardval run``, ``vardval scenarios``, ``vardval parameters``.

A user's mistake (a bad file, field or value) is one sentence on stderr and exit code 2,
with nothing written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from sim.errors import UserError

SUMMARY_ROWS = (
    ("undertreatment_rate", "Under-treatment (share of needed visits not given)", "pct"),
    ("undertreatment_rationing_rate", "  of which caused by rationing", "pct"),
    ("overtreatment_rate", "Over-treatment (visits beyond need, share of need)", "pct"),
    ("underreferral_rate", "Under-referral (needed referrals not made)", "pct"),
    ("overreferral_rate", "Over-referral (referrals not needed)", "pct"),
    ("visits_per_capita", "Primary-care visits per resident per year", "num"),
    ("cost_per_capita_sek", "Region spending per resident per year, SEK", "sek"),
    ("cost_primary_per_capita_sek", "  primary care", "sek"),
    ("cost_drugs_per_capita_sek", "  drugs", "sek"),
    ("cost_hospital_per_capita_sek", "  hospital", "sek"),
    ("cost_digital_per_capita_sek", "  digital providers", "sek"),
    ("access_3day_share", "Assessed within 3 days", "pct"),
    ("continuity_index", "Continuity of care (Bice-Boxerman)", "num"),
    ("mean_health", "Mean health (index 0-1)", "num"),
    ("avoidable_admissions_per_1000", "Avoidable emergency admissions per 1,000 per year", "num"),
    ("clinic_margin_mean", "Clinic margin, mean over clinic-years", "pct"),
    ("clinics_final", "Clinics open at the end", "int"),
)


def _format(value, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "pct":
        return f"{100 * value:.1f} %"
    if kind == "sek":
        return f"{value:,.0f}"
    if kind == "int":
        return f"{int(value)}"
    return f"{value:.3f}"


def _summary_table(summary: dict) -> str:
    width = max(len(label) for _, label, _ in SUMMARY_ROWS)
    return "\n".join(f"{label:<{width}}  {_format(summary.get(key), kind):>10}" for key, label, kind in SUMMARY_ROWS)


def _overrides(args: argparse.Namespace) -> tuple[dict, dict]:
    """Field overrides from --set, --seed and --months, and how each was given (for error messages)."""
    from sim.scenario import parse_override

    values, labels = {}, {}
    for text in args.set or []:
        path, value = parse_override(text)
        values[path], labels[path] = value, f"--set {text}"
    for option in ("seed", "months"):
        if getattr(args, option) is not None:
            values[option], labels[option] = getattr(args, option), f"--{option} {getattr(args, option)}"
    return values, labels


def default_out(name: str, seed: int, overrides: dict) -> Path:
    """results/NAME-seedSEED, with a short fingerprint of any other overrides so variants never overwrite each other."""
    changed = {k: v for k, v in overrides.items() if k != "seed"}
    if not changed:
        return Path("results") / f"{name}-seed{seed}"
    fingerprint = hashlib.sha256(json.dumps(changed, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return Path("results") / f"{name}-seed{seed}-{fingerprint}"


def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.runner import run
    from sim.scenario import load_scenario
    from sim.store import check_writable, write_run

    overrides, labels = _overrides(args)
    scenario = load_scenario(args.scenario, overrides, labels)
    if args.follow < 0:
        raise UserError(f"--follow {args.follow}: give the number of residents to follow, 0 or more.")
    out = Path(args.out) if args.out else default_out(scenario.name, scenario.seed, overrides)
    check_writable(out)
    if not args.quiet and scenario.warmup_months:
        print(f"{scenario.name}: {scenario.warmup_months} months of warm-up under the same rules, then {scenario.months} months reported", file=sys.stderr)
    with tqdm(total=scenario.warmup_months + scenario.months, desc=scenario.name, unit="month", file=sys.stderr, disable=args.quiet) as bar:
        result = run(scenario, follow=args.follow, progress=bar.update)
    result.source = args.scenario
    result.overrides = overrides
    write_run(result, out)
    print(f"{scenario.name} (seed {scenario.seed}, {scenario.months} months, {result.wall_s:.1f} s)")
    print(_summary_table(result.summary))
    print(f"Results in {out}/")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.scenario import builtin_scenarios

    for name, description in builtin_scenarios():
        print(f"{name}\n    {description}\n")
    return 0


def cmd_parameters(args: argparse.Namespace) -> int:
    from sim.reference import markdown

    print(markdown(), end="")
    return 0


class Parser(argparse.ArgumentParser):
    """Argument errors as one sentence, like every other mistake."""

    def error(self, message: str):
        self.exit(2, f"vardval: {message} (see 'vardval {self.prog.split()[-1]} --help').\n" if " " in self.prog else f"vardval: {message} (see 'vardval --help').\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="vardval", description="Simulate a care-choice primary-care market under alternative payment rules.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one scenario and write its results")
    run.add_argument("scenario", help="a scenario file, or the name of a built-in scenario (see 'vardval scenarios')")
    run.add_argument("--seed", type=int, help="seed of the random streams (default: the scenario's)")
    run.add_argument("--months", type=int, help="months to simulate (default: the scenario's)")
    run.add_argument("--out", help="folder for the results, replaced if it holds an earlier run (default: results/NAME-seedSEED, with a fingerprint of any --set)")
    run.add_argument("--set", action="append", metavar="FIELD.PATH=VALUE", help="override a scenario field, e.g. rulebook.capitation.cni_share=0.4 (repeatable)")
    run.add_argument("--follow", type=int, default=0, metavar="K", help="also write followed.parquet: the monthly story of K sampled residents")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=cmd_run)

    scenarios = commands.add_parser("scenarios", help="list the built-in scenarios")
    scenarios.set_defaults(handler=cmd_scenarios)

    parameters = commands.add_parser("parameters", help="print every scenario field with its default, unit and source (Markdown)")
    parameters.set_defaults(handler=cmd_parameters)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UserError as error:
        print(f"vardval: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vardval: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
