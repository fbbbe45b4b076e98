"""Calibration scaling: the posterior sampler's simulations with 1 worker and with more, on embedded Ray.

    python benchmarks/bench_calibration.py                       # 1 worker and all cores, 4 simulations per worker
    python benchmarks/bench_calibration.py --workers 1 8 16 --per-worker 2

Each simulation is one evaluation of the posterior's sampler (sim/validation/posterior.py): the
targets' four settings at the calibration's scale, on a seed of its own, at draws from the
posterior's first proposal. Prints one JSON line: per worker count the wall time, simulations
per hour, speed-up over one worker and parallel efficiency, and the projected wall time of a
default `vardval calibrate` (the Laplace step's 15 points on two seeds, three rounds of 100,
the central set on two seeds) at that rate. Ray's start-up is timed apart and not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    parser.add_argument("--per-worker", type=int, default=4, help="simulations per worker at each worker count (default: 4)")
    args = parser.parse_args()

    import ray

    from sim.executor import map_tasks, start_ray
    from sim.validation import calibration
    from sim.validation.calibration import current_values, to_unit, to_values
    from sim.validation.posterior import PER_ROUND, PRIORS, ROUNDS, _seed

    rng = np.random.default_rng(1)
    centre = to_unit(current_values(PRIORS), PRIORS)
    default_simulations = 2 * (len(PRIORS) + 1) + ROUNDS * PER_ROUND + 2
    results = {}
    for workers in args.workers:
        n = workers * args.per_worker
        points = np.clip(centre + rng.normal(0, 0.02, (n, len(PRIORS))), 0, 1)
        tasks = [(v, _seed(v)) for v in (to_values(p, PRIORS) for p in points)]
        clock = time.perf_counter()
        if workers > 1:
            start_ray(workers, None)
        ray_start = time.perf_counter() - clock
        clock = time.perf_counter()
        map_tasks(calibration._evaluate, tasks, workers)
        wall = time.perf_counter() - clock
        if ray.is_initialized():
            ray.shutdown()
        rate = n / wall * 3600
        results[workers] = {"simulations": n, "wall_s": round(wall, 1), "ray_start_s": round(ray_start, 1), "simulations_per_hour": round(rate), "default_calibration_min": round(default_simulations / rate * 60, 1)}
    one = results[args.workers[0]]["simulations_per_hour"] / args.workers[0]
    for workers, r in results.items():
        r["speedup"] = round(r["simulations_per_hour"] / one, 2)
        r["efficiency"] = round(r["speedup"] / workers, 2)
    print(json.dumps({"default_simulations": default_simulations, "by_workers": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
