"""The command line: ``run``, ``sweep``, ``compare``, ``sensitivity``, ``ranking``, ``regions``, ``discover``, ``report``, ``validate``, ``calibrate``, ``scenarios``, ``parameters``.

A user's mistake (a bad file, field or value) is one sentence on stderr and exit code 2,
with nothing written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from sim.errors import UserError
from sim.labels import KINDS, printed

#: the printed summary: these lines, then each income item the rulebook pays (its rule's label, under one heading),
#: the clinics open at the end, and the rules' own outcomes that have a value (PaymentRule.outcomes with a label)
REVENUE_FROM = "Clinic revenue from"
#: the outcomes a run's printed summary shows, in order, labelled from sim.labels
SUMMARY_ROWS = tuple(
    (name, printed(name), KINDS[name])
    for name in ("undertreatment_rate", "undertreatment_rationing_rate", "overtreatment_rate", "underreferral_rate", "overreferral_rate", "visits_per_capita",
                 "cost_per_capita_sek", "cost_primary_per_capita_sek", "cost_drugs_per_capita_sek", "cost_hospital_per_capita_sek", "cost_digital_per_capita_sek",
                 "access_3day_share", "continuity_index", "mean_health", "avoidable_admissions_per_1000", "clinic_margin_mean", "clinic_result_per_listed_sek")
)
#: rows printed only where the run has them (the first outcome's present): clinics recruiting (sim.labour), physiotherapy (sim.physiotherapy)
OPTIONAL_ROWS = tuple(
    (present, printed(name), name, KINDS[name])
    for present, names in (("months_to_fill_vacancy", ("vacancy_share", "months_to_fill_vacancy", "hired_gp_cost_per_capita_sek")),
                           ("physio_visits_per_1000", ("physio_visits_per_1000", "physio_unmet_need_rate", "physio_overprovision_rate", "physio_cost_per_capita_sek")))
    for name in names
)
PATIENT_FEES_LABEL = "patients' fees"  # the ledger's own income item (sim.ledger.income_items)


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


def _summary_table(summary: dict, rules) -> str:
    """The printed summary of a run whose region applied the payment rule classes ``rules``."""
    revenue = [(f"clinic_income_share_{rule.item}", rule.label) for rule in rules] + [("clinic_income_share_patient_fees", PATIENT_FEES_LABEL)]
    own = [(o.name, o.label, o.kind) for rule in rules for o in rule.outcomes if o.label]
    width = max(len(label) for _, label, _ in (*SUMMARY_ROWS, *own, *((key, f"{REVENUE_FROM} {label}", "") for key, label in revenue), *((k, label, "") for k, label, _, _ in OPTIONAL_ROWS)))
    paid = [(key, label) for key, label in revenue if summary.get(key)]
    optional = [(key, label, kind) for present, label, key, kind in OPTIONAL_ROWS if summary.get(present) is not None]
    rows = [*SUMMARY_ROWS, *((key, f"{REVENUE_FROM if i == 0 else ' ' * len(REVENUE_FROM)} {label}", "pct") for i, (key, label) in enumerate(paid)),
            ("clinics_final", "Clinics open at the end", "int"), *((key, label, kind) for key, label, kind in own if summary.get(key) is not None), *optional]
    return "\n".join(f"{label:<{width}}  {_format(summary.get(key), kind):>10}" for key, label, kind in rows)


def _overrides(args: argparse.Namespace) -> tuple[dict, dict]:
    """Field overrides from --set, --seed and --months, and how each was given (for error messages)."""
    from sim.scenario import parse_override

    values, labels = {}, {}
    for text in args.set or []:
        path, value = parse_override(text)
        values[path], labels[path] = value, f"--set {text}"
    for option in ("seed", "months"):
        if getattr(args, option) is not None:
            if option in values:
                raise UserError(f"--{option} {getattr(args, option)} and {labels[option]}: give {option} once.")
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

    from sim.nation import is_national
    from sim.runner import run
    from sim.scenario import load_scenario, resolve_scenario_path
    from sim.store import check_writable, write_run

    overrides, labels = _overrides(args)
    if is_national(resolve_scenario_path(args.scenario)):
        return run_national(args, overrides, labels)
    if args.workers is not None or args.address:
        raise UserError(f"--workers/--address: only a national run (a scenario with regions, e.g. sweden-2024) steps on several workers; {args.scenario} is one region.")
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
    print(_summary_table(result.summary, result.rules))
    print(f"Results in {out}/")
    return 0


def run_national(args: argparse.Namespace, overrides: dict, labels: dict) -> int:
    """``vardval run`` of a national scenario: every region together, in this process or on ``--workers`` Ray actors."""
    from tqdm import tqdm

    from sim.nation import check_workers, load_national, run_nation, write_national
    from sim.store import check_writable

    if args.follow:
        raise UserError(f"--follow {args.follow}: a national run follows no residents; follow them in one region's run (e.g. vardval run region-23-jamtland --follow {args.follow}).")
    national, scenarios = load_national(args.scenario, overrides, labels)
    workers = args.workers or 1
    check_workers(workers, len(scenarios), args.address)
    if args.address:
        from sim.executor import check_address

        check_address(args.address)  # before anything is written
    out = Path(args.out) if args.out else default_out(national.name, national.seed, overrides)
    check_writable(out)
    months = national.warmup_months + national.months
    with tqdm(total=months * len(scenarios), desc=national.name, unit="region-month", file=sys.stderr, disable=args.quiet) as bar:
        def progress(region: str, month: int) -> None:
            bar.set_postfix_str(f"month {month + 1}/{months}, {region}", refresh=False)
            bar.update()

        result = run_nation(national, scenarios, workers=workers, address=args.address, progress=progress)
    table = write_national(result, out, source=args.scenario, overrides=overrides)
    residents = f"{int(table['residents'].iloc[-1]):,}"
    print(f"{national.name} (seed {national.seed}, {len(scenarios)} regions, {residents} residents, {national.months} months, {workers} worker{'s' * (workers > 1)}, {result.wall_s:.1f} s)")
    print(_national_table(table))
    border = ", border_months.csv" if len(result.border_months) else ""
    print(f"Results in {out}/ (by-region.csv and .md, flows.csv, digital_months.csv{border}, figures/map_*.png, regions/: docs/outputs.md)")
    return 0


def _national_table(table) -> str:
    """The printed by-region summary of a national run."""
    columns = (("access_3day_share", "assessed in 3 days", "pct"), ("visits_per_capita", "visits/resident", ""), ("cost_per_capita_sek", "cost SEK/resident", "sek"),
               ("digital_contacts_per_1000", "digital/1,000", "int"), ("out_of_region_fees_per_capita_sek", "out-of-region SEK", "sek"))
    note = ""
    if (table["listed_across_border_share"] > 0).any():
        columns += (("listed_across_border_share", "listed elsewhere", "pct"),)
        note = "; listed elsewhere: the share of residents listed with another region's clinic"
    lines = [f"Per resident and year, over the reported years; out-of-region: the fees a region paid others for its residents' digital contacts{note}.",
             f"{'region':<18}{'residents':>11}" + "".join(f"{label:>19}" for _, label, _ in columns)]
    for row in table.itertuples(index=False):
        values = row._asdict()
        lines.append(f"{values['region'][:18]:<18}{int(values['residents']):>11,}" + "".join(f"{_format(values[o], kind):>19}" for o, _, kind in columns))
    return "\n".join(lines)


def cmd_sweep(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.experiment import load_experiment
    from sim.store import check_writable
    from sim.sweep import MANIFEST, sweep

    plan = load_experiment(args.experiment)
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: give 1 or more.")
    if args.address:
        from sim.executor import check_address

        check_address(args.address)  # before anything is written
    out = Path(args.out) if args.out else Path("results") / plan.experiment.name
    if not args.resume:
        check_writable(out, marker=MANIFEST)
    print(f"{plan.experiment.name}: {len(plan.variants)} variants x {len(plan.seeds)} replications = {plan.runs} runs", file=sys.stderr)
    with tqdm(total=plan.runs, desc=plan.experiment.name, unit="run", file=sys.stderr, disable=args.quiet) as bar:

        def progress(finished: int, failed: int) -> None:
            if not started:  # runs of an earlier call count as done, not toward the rate
                bar.initial = bar.n = finished
                started.append(True)
            bar.set_postfix(failed=failed, refresh=False)
            bar.update(finished - bar.n)

        started: list[bool] = []

        try:
            report = sweep(plan, out, workers=args.workers, address=args.address, resume=args.resume, progress=progress)
        except KeyboardInterrupt:
            bar.close()
            print(f"vardval: interrupted; what finished is in {out}/runs.parquet. Continue with: vardval sweep {args.experiment} --out {out} --resume", file=sys.stderr)
            return 130
    done = report.done_before + report.finished - len(report.failed)
    if report.finished:
        print(f"{done} of {report.runs} runs finished ({report.done_before} before this call), {len(report.failed)} failed, in {report.wall_s:.0f} s on {report.workers} workers.")
    else:
        print(f"All {report.runs} runs had finished before this call; nothing was run, the tables were written again.")
    for failure in report.failed[:10]:
        print(f"  failed {failure['run_id']} ({failure['variant']}): {failure['error']}")
    print(f"Runs in {out}/runs.parquet; next: vardval compare {out}, vardval report {out}")
    return 0 if not report.failed else 1


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import compare
    from sim.labels import interval, kind, label, number

    table, baseline = compare(Path(args.results), args.baseline)
    headline = table[~table["outcome"].str.contains(r"\[", regex=True)]
    width = max(len(v) for v in headline["variant"])
    drawn = "p_better" in table
    what = "95 % CI over seeds and parameters; over seeds alone; P(better)" if drawn else "95 % CI over seeds"
    print(f"Paired difference from {baseline} (mean over replications, {what}):")
    for outcome, data in headline.groupby("outcome", sort=False):
        k = kind(outcome)
        print(f"\n{label(outcome)} ({outcome})")

        def signed(value: float) -> str:
            return number(value, k, sign=True, difference=True)

        for row in data.itertuples(index=False):
            if row.variant == baseline:
                bounds = ""
            elif row.diff != row.diff:
                bounds = "   diff n/a (no paired value: the outcome is empty for one of them)"
            else:
                bounds = f"   diff {signed(row.diff)}  {interval(row.ci_low, row.ci_high, k)}"
                if drawn:
                    chance = f"  P(better) {100 * row.p_better:.0f} %" if row.p_better == row.p_better else ""
                    bounds += f"  seeds alone {interval(row.ci_low_seeds, row.ci_high_seeds, k)}{chance}"
            print(f"  {row.variant:<{width}}  mean {number(row.mean, k)}{bounds}")
    print(f"\nWritten: {args.results}/comparison.csv, comparison.md, figures/forest*.png")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.sensitivity import sensitivity

    table = sensitivity(Path(args.results))
    if "delta" in table.columns:
        print("Each rulebook's paired difference from the baseline over the posterior's draws: Borgonovo's delta and the first-order S1 of each\n"
              "free parameter, with their 95 % confidence half-widths (an index within its half-width of 0 cannot be told from 0):\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"\nWritten: {args.results}/sensitivity.csv, sensitivity.md, figures/sensitivity_*.png")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ema_workbench warns of evaluators it does not need here
            import ema_workbench  # noqa: F401
    except ImportError:
        raise UserError("discover: needs ema_workbench's PRIM; install it with: pip install -e \".[discovery]\".") from None
    from sim.discovery import discover, markdown, slug

    found = discover(Path(args.results), args.variant, args.where, args.baseline, args.min_coverage)
    print(markdown(found))
    name = slug(args.where, args.variant)
    figure = f", figures/discovery-{name}.png" if found.chosen is not None else ""
    print(f"Written: {args.results}/discovery-{name}.md, discovery-{name}-points.csv, discovery-{name}-boxes.csv{figure}")
    return 0


def cmd_ranking(args: argparse.Namespace) -> int:
    from sim.ranking import ranking

    rankings, _ = ranking(Path(args.results))
    print(rankings.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"\nWritten: {args.results}/ranking.md, ranking.csv, ranking-pairs.csv")
    return 0


def cmd_regions(args: argparse.Namespace) -> int:
    from sim.regional import by_region

    table, maps = by_region(Path(args.results))
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"\nWritten: {args.results}/by-region.csv, by-region.md, figures/map_*.png ({len(maps)} maps)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.report import report

    print(f"Written: {report(Path(args.results), args.baseline)}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.validation.report import validate

    out = Path(args.out)
    for sweep in args.robustness or ():
        if not (Path(sweep) / "ranking.md").exists():
            raise UserError(f"--robustness {sweep}: has no ranking.md; sweep a robustness experiment there (experiments/robustness.yaml, experiments/fundholding-robustness.yaml) and run 'vardval ranking {sweep}' first.")
    table = validate(out, quick=args.quick, workers=args.workers or 1)
    for r in table.itertuples(index=False):
        print(f"{r.id:<4} {r.result:<22} {r.claim}\n     literature: {r.literature}\n     model:      {r.model}")
    counts = ", ".join(f"{n} {k}" for k, n in table["result"].value_counts().items())
    if table["result"].str.endswith("(full run only)").any():
        counts += (" (a figure is judged against its tolerance only at the full size and length: these quick runs show it without a verdict;"
                   " 'vardval validate' without --quick gives the verdicts)")
    print(f"\n{counts}. Written: {out}/validation.md, validation.csv, spending.md, standard-patients.csv, figures/standard_patients.png")
    if args.docs:
        from sim.validation.page import write_page

        print(f"Written: {write_page(Path(args.docs), out, [Path(sweep) for sweep in args.robustness or ()])}")
    return 1 if (table["result"] == "fail").any() else 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.validation.calibration import calibrate
    from sim.validation.posterior import adopt, posterior

    out = Path(args.out)
    if not args.adopt_only:
        if args.point:
            record = calibrate(out, workers=args.workers or 1, max_evaluations=args.max_evaluations, resume=args.resume)
            written = "calibrated.yaml, fit.csv, fit.md, evaluations.csv, figures/calibration_fit.png"
        else:
            record = posterior(out, workers=args.workers or 1, rounds=args.rounds, per_round=args.per_round, resume=args.resume)
            written = "calibrated.yaml (the central set), posterior.yaml, ensemble.parquet, ensemble-targets.parquet, draws.csv, draws-weighted.csv, laplace.csv, fit.md, figures/posterior_marginals.png, posterior_pairs.png, posterior_fit.png, calibration_fit.png"
        print((out / "fit.md").read_text(encoding="utf-8"))
        print(f"Written (version {record['version']}): {out}/{written}")
    if args.adopt or args.adopt_only:
        installed = adopt(out, ensemble_only=args.ensemble_only)
        print("Adopted: " + "; ".join(f"{path} {what}" for path, what in installed) + ".")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    """``vardval dashboard``: serve the finished runs and sweeps given, on this machine, until Ctrl-C."""
    import socket

    from sim.dashboard.data import open_results

    if not 1 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: give a port from 1 to 65535.")
    sweeps, runs = open_results(args.results)
    with socket.socket() as probe:
        if probe.connect_ex((args.host, args.port)) == 0:
            raise UserError(f"--port {args.port}: something already listens there; give another port (e.g. --port {args.port + 1}).")
    import uvicorn

    from sim.dashboard.app import build_app

    kept = sum(len(s.run_dirs()) for s in sweeps)
    shown = f"{len(sweeps)} sweep{'s' * (len(sweeps) != 1)} ({kept} runs kept)" + (f" and {len(runs)} run{'s' * (len(runs) != 1)} of their own" if runs else "")
    print(f"Dashboard of {shown} at http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    uvicorn.run(build_app(sweeps, runs), host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from sim.scenario import builtin_scenarios

    for name, description in builtin_scenarios():
        print(f"{name}\n    {description}\n")
    return 0


def cmd_parameters(args: argparse.Namespace) -> int:
    from sim.reference import markdown, rules_markdown

    print(rules_markdown() if args.rules else markdown(), end="")
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
    run.add_argument("--workers", type=int, help="a national run (e.g. sweden-2024): Ray workers stepping its regions, 1 to the number of regions (default 1: this process)")
    run.add_argument("--address", help="a national run: join a running Ray cluster at this address instead of starting Ray here")
    run.set_defaults(handler=cmd_run)

    sweep = commands.add_parser("sweep", help="run an experiment: variants x replications, on Ray")
    sweep.add_argument("experiment", help="an experiment file, or the name of a built-in one")
    sweep.add_argument("--workers", type=int, help="runs at a time (default: all cores here, or all CPUs of the cluster)")
    sweep.add_argument("--address", help="join a running Ray cluster at this address (e.g. ray://head:10001) instead of starting Ray here")
    sweep.add_argument("--resume", action="store_true", help="continue an interrupted sweep in --out: finished runs are not run again")
    sweep.add_argument("--out", help="folder for the sweep (default: results/EXPERIMENT-NAME)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=cmd_sweep)

    for name, handler, text in (
        ("compare", cmd_compare, "paired differences of a sweep's variants from a baseline, with 95 %% confidence intervals"),
        ("sensitivity", cmd_sensitivity, "Sobol or Morris sensitivity indices of a sweep (SALib)"),
        ("ranking", cmd_ranking, "whether the ranking of a sweep's scenarios holds at every point of its sampled design"),
        ("regions", cmd_regions, "a sweep over Sweden's region presets, or a national sweep, by region: a table and a tile map per outcome"),
        ("report", cmd_report, "one self-contained HTML page of a sweep: experiment, comparison, figures, failures, provenance"),
    ):
        verb = commands.add_parser(name, help=text)
        verb.add_argument("results", help="the sweep's folder (its --out)")
        if name not in ("sensitivity", "ranking", "regions"):
            verb.add_argument(
                "--baseline",
                help="the variant to compare with (default: where the experiment varies 'scenario', the base scenario's variant; else its first variant). comparison.csv, .md and the forest plots are written for this baseline, replacing an earlier comparison",
            )
        verb.set_defaults(handler=handler)

    discover = commands.add_parser("discover", help="the boxes of a sweep's sampled parameters where a question about one variant's paired differences holds (PRIM)")
    discover.add_argument("results", help="the sweep's folder (its --out): rulebooks run at the same sampled points")
    discover.add_argument("--variant", required=True, help="the rulebook the question is about, as 'vardval ranking' names it (e.g. 'step 6')")
    discover.add_argument("--where", required=True, help="a comparison of outcomes, each the variant's paired difference from the baseline at a point, e.g. \"cost_per_capita_sek > 0\" or \"health_loss_per_1000 > 1 and underreferral_rate > 0.02\"")
    discover.add_argument("--baseline", help="the rulebook compared with (default: the sweep's first)")
    discover.add_argument("--min-coverage", type=float, default=0.8, help="the box reported is the densest covering at least this share of the points where the question holds (default: 0.8)")
    discover.set_defaults(handler=cmd_discover)

    validate = commands.add_parser("validate", help="run every target of the literature the model can express and print model vs literature, pass or fail")
    validate.add_argument("--quick", action="store_true", help="scaled-down runs (under a minute): directions are tested, figures shown without a verdict")
    validate.add_argument("--out", default="results/validation", help="folder for validation.md, validation.csv, spending.md, standard-patients.csv and figures (default: results/validation)")
    validate.add_argument("--workers", type=int, help="runs at a time on Ray (default: 1, one after another)")
    validate.add_argument("--docs", metavar="PAGE", help="also write the documentation page (e.g. docs/validation.md) with the calibration fit and, given --robustness, the ranking's robustness")
    validate.add_argument("--robustness", metavar="SWEEP", nargs="+", help="finished sweeps of the robustness experiments (experiments/robustness.yaml, experiments/fundholding-robustness.yaml; after 'vardval ranking' and, for Sobol indices, 'vardval sensitivity') for the page")
    validate.set_defaults(handler=cmd_validate)

    calibrate = commands.add_parser("calibrate", help="sample the posterior of the free parameters given Swedish and field figures (an ensemble of draws, its central set and its fit)")
    calibrate.add_argument("--out", default="results/calibration", help="folder for calibrated.yaml, posterior.yaml, ensemble.parquet, fit.md and figures (default: results/calibration)")
    calibrate.add_argument("--workers", type=int, help="simulations at a time on Ray (default: 1)")
    calibrate.add_argument("--rounds", type=int, help="rounds of adaptive importance sampling; with --resume, the rounds in all (default: 4, sim.validation.posterior.ROUNDS)")
    calibrate.add_argument("--per-round", type=int, default=100, help="simulations per round (at least 100, the ensemble's draws; default: 100)")
    calibrate.add_argument("--resume", action="store_true", help="continue a calibration in --out, reusing its stored simulations")
    calibrate.add_argument("--point", action="store_true", help="fit one point by least squares instead (SciPy; each step runs two seeds): the fitted parameters only, no ensemble")
    calibrate.add_argument("--max-evaluations", type=int, default=40, help="with --point: most steps of the optimiser (default: 40)")
    calibrate.add_argument("--adopt", action="store_true", help="install the result: calibrated.yaml as sim/calibrated.yaml, the set every scenario starts from, and the ensemble as sim/posterior.parquet")
    calibrate.add_argument("--adopt-only", action="store_true", help="install the calibration already in --out without sampling again")
    calibrate.add_argument("--ensemble-only", action="store_true", help="with --adopt or --adopt-only: install the ensemble alone; single runs keep sim/calibrated.yaml")
    calibrate.set_defaults(handler=cmd_calibrate)

    dashboard = commands.add_parser("dashboard", help="serve finished runs and sweeps in the browser: comparisons, outcomes over time, clinics, maps, CSV downloads")
    dashboard.add_argument("results", nargs="+", help="a sweep's or a run's folder, or a folder holding them (e.g. results/payment-comparison, or results)")
    dashboard.add_argument("--port", type=int, default=8050, help="the port on this machine (default: 8050)")
    dashboard.add_argument("--host", default="127.0.0.1", help="the address to serve on (default: 127.0.0.1, this machine only)")
    dashboard.set_defaults(handler=cmd_dashboard)

    scenarios = commands.add_parser("scenarios", help="list the built-in scenarios")
    scenarios.set_defaults(handler=cmd_scenarios)

    parameters = commands.add_parser("parameters", help="print every scenario field with its default, unit and source (Markdown)")
    parameters.add_argument("--rules", action="store_true", help="print instead what each payment rule adds to a run's outputs (the section of docs/outputs.md)")
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
    except BrokenPipeError:  # output piped into a reader that stopped (e.g. head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
