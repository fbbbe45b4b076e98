"""Scale benchmark: the default region scaled to N residents, M months; or Sweden, every region in one process.

    python benchmarks/bench_scale.py --patients 1000000 --months 12
    python benchmarks/bench_scale.py --preset sweden                 # all 21 regions, 10.5 million residents (sweden-2024), ten years

Prints one JSON line: patients, months, clinics, build_s, s_per_month, bytes_per_patient
(peak resident memory of the process beyond what it held after imports, over N) and
baseline_mb (what the interpreter and libraries held after imports). No warm-up: the
months timed are the months run. With --preset sweden it also gives the median month, the
mean year-end month (settlement, demography, entry) and the memory peak of the first year.

Timings on a shared machine drift, so the same process also times a minimal vectorised
model of the same monthly loop (episodes drawn, a quantity chosen, visits summed by
clinic, health updated: a handful of NumPy operations per resident), just after the build
and again after the run, and reports ``ratio_to_minimal``, our month over the mean of the
two minimal months: comparable between runs and machines. The memory peak is read before
the second minimal loop.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np


def rss_mb_now() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kB


def minimal_s_per_month(n: int, clinics: int, months: int) -> float:
    """Seconds per month of the minimal vectorised loop over ``n`` residents."""
    rng = np.random.default_rng(0)
    clinic = rng.integers(0, clinics, n)
    health = np.ones(n, dtype=np.float32)
    clock = time.perf_counter()
    for _ in range(months):
        ill = np.flatnonzero(rng.random(n, dtype=np.float32) < 0.15)
        q_star = 1 + rng.poisson(0.6, len(ill))
        q = np.rint(q_star * 0.9)
        np.bincount(clinic[ill], weights=q, minlength=clinics)
        health[ill] -= np.float32(0.01) * (q_star - q)
        health += np.float32(0.05) * (1 - health)
    return (time.perf_counter() - clock) / months


def minimal_months(months: int) -> int:
    """Months of the minimal loop timed before and after the run (12 to 60)."""
    return min(max(months, 12), 60)


def report(build_s: float, run_s: float, months: int, minimal: tuple[float, float], patients: int, clinics: int, peak_bytes: float, baseline: float, **extra) -> None:
    """Print the benchmark's JSON line. ``run_s``: seconds of the ``months`` run; ``minimal``: the minimal loop's
    month timed just after the build and just after the run (the ratio is to their mean, so that the machine's
    drift during a long run moves both sides alike); ``peak_bytes``: the peak beyond the baseline, read before the
    minimal loop ran after the run."""
    print(
        json.dumps(
            {
                **extra,
                "patients": patients,
                "months": months,
                "clinics": clinics,
                "build_s": round(build_s, 3),
                "s_per_month": round(run_s / months, 5),
                "run_s": round(run_s, 3),
                "minimal_s_per_month_before": round(minimal[0], 5),
                "minimal_s_per_month_after": round(minimal[1], 5),
                "ratio_to_minimal": round(run_s / months / (sum(minimal) / 2), 1),
                "bytes_per_patient": round(peak_bytes / patients, 1),
                "baseline_mb": round(baseline, 1),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=131_155)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--scenario", default="jamtland-2020")
    parser.add_argument("--preset", choices=["sweden"], help="sweden: the national run sweden-2024 (every region's own rulebook) in this process")
    parser.add_argument("--share", type=float, default=1.0, help="with --preset sweden: the share of every region's residents (default 1: all)")
    args = parser.parse_args()
    if args.preset:
        return national(args)

    from sim import load_scenario
    from sim.model import CareMarket

    baseline = rss_mb_now()
    scenario = load_scenario(args.scenario, {"population.residents": args.patients, "months": args.months, "warmup_months": 0})
    clock = time.perf_counter()
    model = CareMarket(scenario)
    build_s = time.perf_counter() - clock
    clinics = len(model.clinics)
    before = minimal_s_per_month(len(model.population), clinics, minimal_months(args.months))
    clock = time.perf_counter()
    model.run()
    run_s = time.perf_counter() - clock
    peak_bytes = (peak_mb() - baseline) * 2**20
    after = minimal_s_per_month(len(model.population), clinics, minimal_months(args.months))
    report(build_s, run_s, args.months, (before, after), len(model.population), clinics, peak_bytes, baseline)
    return 0


def national(args) -> int:
    """Every region of sweden-2024 built and stepped in this process (sim.nation.Regions), no warm-up."""
    from sim.nation import Regions, load_national

    baseline = rss_mb_now()
    national_run, scenarios = load_national("sweden-2024", {"months": args.months, "warmup_months": 0, "sample_share": args.share})
    clock = time.perf_counter()
    regions = Regions(scenarios, national_run.regions)
    build_s = time.perf_counter() - clock
    residents = lambda: sum(len(r.model.population) for r in regions.runs)  # noqa: E731
    clinics = sum(len(r.model.clinics) for r in regions.runs)
    before = minimal_s_per_month(residents(), clinics, minimal_months(args.months))
    month_s, first_year_bytes = [], None
    for month in range(args.months):
        clock = time.perf_counter()
        regions.step(1.0)
        month_s.append(time.perf_counter() - clock)
        if month == 11:
            first_year_bytes = (peak_mb() - baseline) * 2**20 / residents()
    peak_bytes = (peak_mb() - baseline) * 2**20
    after = minimal_s_per_month(residents(), clinics, minimal_months(args.months))
    report(
        build_s, sum(month_s), args.months, (before, after), residents(), clinics, peak_bytes, baseline,
        preset="sweden", regions=len(regions.runs),
        median_month_s=round(float(np.median(month_s)), 3),
        year_end_month_s=round(float(np.mean(month_s[11::12])), 3) if args.months >= 12 else None,
        bytes_per_patient_first_year=round(first_year_bytes, 1) if first_year_bytes is not None else None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
