"""Sweep scaling: the payment comparison with 1 worker and with more, on embedded Ray.

    python benchmarks/bench_sweep.py                      # 1 worker and all cores, 4 replications
    python benchmarks/bench_sweep.py --workers 1 8 16 --replications 8

Prints one JSON line: tasks, ray_start_s, and per worker count the sweep's wall time,
speed-up over one worker and parallel efficiency (speed-up / workers); and Ray's per-task
overhead: the worker-seconds per task not spent inside a run, at one worker (where no run
waits for a core), and the round trip of an empty task. Ray's start-up is timed apart and
not counted in the sweep's time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default=str(ROOT / "experiments" / "payment-comparison.yaml"))
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, os.cpu_count() or 1])
    args = parser.parse_args()

    import pandas as pd
    import ray

    from sim.experiment import load_experiment
    from sim.sweep import sweep

    plan = load_experiment(args.experiment)
    plan = dataclasses.replace(plan, seeds=plan.seeds[: args.replications])  # spawned seeds: the first k are those of k replications
    with tempfile.TemporaryDirectory() as scratch:
        results = {}
        for workers in args.workers:
            clock = time.perf_counter()
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
            ray_start = time.perf_counter() - clock
            clock = time.perf_counter()
            report = sweep(plan, Path(scratch) / f"w{workers}", workers=workers)
            wall = time.perf_counter() - clock
            runs = pd.read_parquet(Path(scratch) / f"w{workers}" / "runs.parquet")
            results[workers] = {"wall_s": round(wall, 2), "ray_start_s": round(ray_start, 2), "run_s_median": round(float(runs["wall_s"].median()), 2), "run_s_total": float(runs["wall_s"].sum()), "failed": len(report.failed)}
            if workers == args.workers[0]:
                empty = ray.remote(lambda: None)
                ray.get([empty.remote() for _ in range(50)])
                clock = time.perf_counter()
                ray.get([empty.remote() for _ in range(500)])
                empty_task_s = (time.perf_counter() - clock) / 500
            ray.shutdown()
    one = results[args.workers[0]]["wall_s"] * args.workers[0]
    tasks = plan.runs
    single = results.get(1)
    print(
        json.dumps(
            {
                "tasks": tasks,
                "runs_each": f"{len(plan.variants)} variants x {args.replications} replications",
                "cores": os.cpu_count(),
                "by_workers": {
                    w: {"wall_s": r["wall_s"], "speedup": round(one / r["wall_s"], 2), "efficiency": round(one / r["wall_s"] / w, 3), "ray_start_s": r["ray_start_s"], "run_s_median": r["run_s_median"], "failed": r["failed"]}
                    for w, r in results.items()
                },
                "per_task_overhead_s": round((single["wall_s"] - single["run_s_total"]) / tasks, 3) if single else None,
                "empty_task_round_trip_s": round(empty_task_s, 5),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
