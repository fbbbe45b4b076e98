"""Seconds per phase of the month: where a run spends its time.

    python benchmarks/bench_phases.py --patients 131155 --months 24
    python benchmarks/bench_phases.py --preset sweden --share 0.1 --months 12   # every region of sweden-2024, no warm-up

Wraps each phase ``CareMarket.step`` calls (the methods below, and the region's and the hospital's) with a timer,
runs the scenario, and prints one JSON line: the seconds each phase took in all, its share of the month, and the
month's seconds. The model is not changed: the timers are put on the class for this process only.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections import defaultdict

#: (owner, method) of each phase, in the order step() calls them
PHASES = (
    ("population", "recover"), ("streams", "uniforms"), ("needs", "arrive"), ("hospital", "episode_specialty"),
    ("model", "_seek"), ("model", "_visit_costs"), ("model", "_treat"), ("model", "_serve"), ("fees", "charge"),
    ("hospital", "admit"), ("region", "pay_month"), ("model", "_book_costs"), ("model", "_pay_hospital"),
    ("model", "_use_of_care"), ("model", "_health_and_visits"), ("region", "reconsider"), ("model", "_settle_year"),
    ("model", "_record"), ("model", "_demography"), ("model", "_plan_staffing"),
)


def timed(seconds: dict, name: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        clock = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[name] += time.perf_counter() - clock

    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=131_155)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--scenario", default="jamtland-2020")
    parser.add_argument("--preset", choices=["sweden"], help="sweden: the national run sweden-2024, every region in this process")
    parser.add_argument("--share", type=float, default=0.1, help="with --preset sweden: the share of every region's residents")
    args = parser.parse_args()

    import sim.model as model_module
    from sim import load_scenario
    from sim.hospital import Hospital
    from sim.model import CareMarket
    from sim.payment.patient_fees import PatientFees
    from sim.population import Population
    from sim.region import Region
    from sim.streams import Streams

    owners = {"model": CareMarket, "population": Population, "streams": Streams, "hospital": Hospital, "region": Region, "fees": PatientFees}
    seconds: dict[str, float] = defaultdict(float)
    for owner, method in PHASES:
        if owner == "needs":
            model_module.arrive = timed(seconds, "arrive", model_module.arrive)
        else:
            setattr(owners[owner], method, timed(seconds, method, getattr(owners[owner], method)))
    if args.preset:
        from sim.nation import Regions, load_national

        national, scenarios = load_national("sweden-2024", {"months": args.months, "warmup_months": 0, "sample_share": args.share})
        regions = Regions(scenarios, national.regions)
        step, patients = lambda: regions.step(1.0), sum(len(r.model.population) for r in regions.runs)
    else:
        market = CareMarket(load_scenario(args.scenario, {"population.residents": args.patients, "months": args.months, "warmup_months": 0}))
        step, patients = market.step, len(market.population)
    seconds.clear()  # building the model is not a month
    clock = time.perf_counter()
    for _ in range(args.months):
        step()
    total = time.perf_counter() - clock
    phases = {name: {"s": round(s, 3), "share": round(s / total, 3)} for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])}
    print(json.dumps({"patients": patients, "months": args.months, "s_per_month": round(total / args.months, 4), "phases": phases}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
