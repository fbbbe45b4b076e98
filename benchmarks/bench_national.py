"""Speed-up of the distributed national run by worker count: sweden-2024 stepped in this process and on N Ray workers.

    python benchmarks/bench_national.py --workers 1 2 --share 0.1 --months 12

Prints one JSON line per worker count: workers, residents, months, wall_s (building and stepping every region,
Ray's start included), speedup (the one-worker time over this one) and same_tables (flows, digital months and every
region's monthly table identical to the one-worker run's). On a machine with fewer cores than workers the speed-up
says so; run it where the cores are (e.g. a 16-core machine with --workers 1 2 4 8 16).
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--share", type=float, default=0.1, help="share of every region's residents (default 0.1: about a million)")
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()

    from sim.nation import load_national, run_nation

    national, scenarios = load_national("sweden-2024", {"months": args.months, "warmup_months": 0, "sample_share": args.share})
    first = None
    for workers in args.workers:
        clock = time.perf_counter()
        result = run_nation(national, scenarios, workers=workers)
        wall = time.perf_counter() - clock
        if first is None:
            first = (wall, result)
        same = result.flows.equals(first[1].flows) and result.digital_months.equals(first[1].digital_months) and all(
            a.monthly.equals(b.monthly) for a, b in zip(result.regions, first[1].regions)
        )
        residents = int(result.by_region()["residents"].iloc[-1])
        print(json.dumps({"workers": workers, "residents": residents, "months": args.months, "wall_s": round(wall, 2), "speedup": round(first[0] / wall, 2), "same_tables": same}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
