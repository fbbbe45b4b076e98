"""Scale benchmark: the default region scaled to N residents, M months.

    python benchmarks/bench_scale.py --patients 1000000 --months 12

Prints one JSON line: patients, months, clinics, build_s, s_per_month, bytes_per_patient
(peak resident memory of the process beyond what it held after imports, over N) and
baseline_mb (what the interpreter and libraries held after imports). No warm-up: the
months timed are the months run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def rss_mb_now() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=131_155)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--scenario", default="jamtland-2020")
    args = parser.parse_args()

    from sim import load_scenario
    from sim.model import CareMarket

    baseline = rss_mb_now()
    scenario = load_scenario(args.scenario, {"population.residents": args.patients, "months": args.months, "warmup_months": 0})
    clock = time.perf_counter()
    model = CareMarket(scenario)
    build_s = time.perf_counter() - clock
    clock = time.perf_counter()
    model.run()
    run_s = time.perf_counter() - clock
    print(
        json.dumps(
            {
                "patients": len(model.population),
                "months": args.months,
                "clinics": len(model.clinics),
                "build_s": round(build_s, 3),
                "s_per_month": round(run_s / args.months, 5),
                "run_s": round(run_s, 3),
                "bytes_per_patient": round((peak_mb() - baseline) * 2**20 / args.patients, 1),
                "baseline_mb": round(baseline, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
