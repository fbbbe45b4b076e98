"""Scenario batches: every run of an experiment is an independent task of the executor (sim.executor).

With one worker the runs run one after another in this process; with more, Ray starts embedded on this machine
when no address is given, or joins a running cluster (``address``). The driver keeps a bounded number of tasks in
flight and writes each finished run, as it finishes, as its own part file (written to a temporary name, then
renamed, so a half-written row never exists); ``runs.parquet`` is assembled from the parts,
sorted by run id, whenever the driver stops, so its content does not depend on the number
of workers or the order of completion. A task that raises is retried by Ray; one that
still fails is recorded with its error and the sweep goes on. ``resume`` skips every run
already recorded as finished, so a sweep killed at any point continues where it was.

The sweep's folder:

    sweep.json      the experiment as resolved, its variants and seeds, provenance, counts, failures
    runs.parquet    one row per run: run_id, variant, variant_index, replication, seed, the
                    factors by field path, the kept outcomes, status, error, wall_s
    runs/RUN_ID/    each run's own summary, tables and manifest
"""

from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.executor import Executor
from sim.experiment import GROUPINGS, Plan
from sim.scenario import set_path

RUNS_TABLE = "runs.parquet"
PARTS = ".runs.parts"
RUN_DIRS = "runs"
MANIFEST = "sweep.json"


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    variant: str
    variant_index: int
    replication: int
    seed: int
    values: dict[str, Any]
    scenario: dict[str, Any]  # the run's scenario, resolved, as JSON


def run_specs(plan: Plan) -> list[RunSpec]:
    """Every run of the plan: each variant once per replication, with that replication's seed (and, with
    ``uncertainty: parameters``, its posterior draw, beneath the fields the experiment sets itself)."""
    e = plan.experiment
    specs = []
    for variant in plan.variants:
        base = plan.scenarios[variant.index]
        own = set(e.fixed) | set(e.sampled) | set(e.variants.get(variant.values.get("named_variant", ""), {}))
        for replication, seed in enumerate(plan.seeds):
            scenario = base.model_copy(update={"seed": seed}).model_dump(mode="json")
            values = dict(variant.values)
            if plan.draws:
                for path, value in plan.draws[replication].items():
                    if path in own:
                        continue
                    if "regions" in scenario:  # a national run: the draw holds in every region
                        scenario["common"][path] = value
                    else:
                        set_path(scenario, path, value, f"posterior draw {replication // 2}")
                values["draw"] = replication // 2
            specs.append(RunSpec(f"v{variant.index:04d}-r{replication:04d}", variant.label, variant.index, replication, seed, values, scenario))
    return specs


def outcome_columns(outcomes: list[str], by_group: list[str]) -> list[str]:
    """The kept outcome columns: each outcome in total, then each rate by every group of the chosen groupings
    (clinic and market figures exist only in total, but for a national run's regions: sim.nation.BY_REGION)."""
    from sim.runner import HEADLINE

    from sim.nation import BY_REGION

    columns = list(outcomes)
    for grouping in by_group:
        columns += [f"{o}[{grouping}={group}]" for o in outcomes if o in (BY_REGION if grouping == "region" else HEADLINE) for group in GROUPINGS[grouping]]
    return columns


def _row(spec: RunSpec, status: str, outcomes: dict[str, Any], error: str, wall_s: float, columns: list[str]) -> dict[str, Any]:
    row = {"run_id": spec.run_id, "variant": spec.variant, "variant_index": spec.variant_index, "replication": spec.replication, "seed": spec.seed}
    row |= spec.values
    row |= {column: outcomes.get(column, np.nan) for column in columns}
    return row | {"status": status, "error": error, "wall_s": wall_s}


def execute_item(item: tuple) -> dict[str, Any]:
    """``execute`` of a (spec, outcomes, by_group, run_dir) item: the executor's unit of work."""
    return execute(*item)


def execute(spec: RunSpec, outcomes: list[str], by_group: list[str], run_dir: str | None) -> dict[str, Any]:
    """One run: simulate, write the run's own folder, return its row."""
    if "regions" in spec.scenario:
        return execute_national(spec, outcomes, by_group, run_dir)
    from sim.runner import run
    from sim.scenario import Scenario
    from sim.store import write_run

    clock = time.perf_counter()
    result = run(Scenario.model_validate(spec.scenario))
    if run_dir is not None:
        write_run(result, Path(run_dir), figures=False)
    kept = {o: result.summary.get(o) for o in outcomes} | _by_group(result.by_group, outcomes, by_group)
    kept = {k: (np.nan if v is None else float(v)) for k, v in kept.items()}
    return _row(spec, "ok", kept, "", round(time.perf_counter() - clock, 3), outcome_columns(outcomes, by_group))


def _by_group(whole: pd.DataFrame, outcomes: list[str], by_group: list[str]) -> dict[str, Any]:
    """Each outcome in each group of the chosen groupings, from a run's whole-run table (the regions aside)."""
    kept = {}
    for grouping in by_group:
        rows = whole[whole["group_by"] == grouping]
        for label, (_, row) in zip(GROUPINGS[grouping], rows.iterrows()):
            kept |= {f"{o}[{grouping}={label}]": row[o] for o in outcomes if o in row}
    return kept


def execute_national(spec: RunSpec, outcomes: list[str], by_group: list[str], run_dir: str | None) -> dict[str, Any]:
    """One national run (sim.nation) in this task's process: every region stepped together; its row keeps each outcome
    for the run in total and, with ``by_group: [region]``, for each region."""
    from sim.nation import NationalScenario, region_scenarios, run_nation, write_national

    clock = time.perf_counter()
    national = NationalScenario.model_validate(spec.scenario)
    result = run_nation(national, region_scenarios(national))
    table = write_national(result, Path(run_dir)) if run_dir is not None else result.by_region()
    total = table.iloc[-1]
    kept = {o: total.get(o, np.nan) for o in outcomes} | _by_group(result.whole_run(), outcomes, [g for g in by_group if g != "region"])
    if "region" in by_group:
        for row in table.iloc[:-1].itertuples(index=False):
            values = row._asdict()
            kept |= {f"{o}[region={values['region']}]": values[o] for o in outcomes if o in values}
    kept = {k: (np.nan if v is None else float(v)) for k, v in kept.items()}
    return _row(spec, "ok", kept, "", round(time.perf_counter() - clock, 3), outcome_columns(outcomes, by_group))


class RunsTable:
    """The runs of a sweep on disk: a part file per finished run, and runs.parquet rewritten as each finishes (so a
    killed sweep's table holds every run that finished); the parts are dropped once the sweep ends."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.parts = self.folder / PARTS
        self.table = self.folder / RUNS_TABLE
        self._rows: list[dict[str, Any]] | None = None  # the table as this call has it

    def exists(self) -> bool:
        return self.table.exists() or self.parts.exists()

    def add(self, row: dict[str, Any]) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        staging = self.parts / f".{row['run_id']}.tmp"
        pd.DataFrame([row]).to_parquet(staging, index=False)
        os.replace(staging, self.parts / f"{row['run_id']}.parquet")
        if self._rows is None:
            self._rows = self.read().to_dict("records")
        else:
            self._rows.append(row)
        self._write(pd.DataFrame(self._rows).drop_duplicates("run_id", keep="last").sort_values("run_id", kind="stable"))

    def _write(self, runs: pd.DataFrame) -> None:
        staging = self.folder / f".{RUNS_TABLE}.tmp"
        runs.to_parquet(staging, index=False)
        os.replace(staging, self.table)

    def read(self) -> pd.DataFrame:
        """Every recorded run once (a part, newer, wins over the table), sorted by run id."""
        frames = [pd.read_parquet(self.table)] if self.table.exists() else []
        frames += [pd.read_parquet(p) for p in sorted(self.parts.glob("*.parquet"))] if self.parts.exists() else []
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame()
        runs = pd.concat(frames, ignore_index=True)
        return runs.drop_duplicates("run_id", keep="last").sort_values("run_id", kind="stable").reset_index(drop=True)

    def finished(self) -> set[str]:
        runs = self.read()
        return set(runs.loc[runs["status"] == "ok", "run_id"]) if len(runs) else set()

    def compact(self) -> pd.DataFrame:
        """Write runs.parquet from everything recorded, then drop the parts."""
        runs = self.read()
        self._write(runs)
        for part in self.parts.glob("*.parquet") if self.parts.exists() else []:
            part.unlink()
        if self.parts.exists():
            for leftover in self.parts.iterdir():
                leftover.unlink()
            self.parts.rmdir()
        return runs


@dataclass
class SweepReport:
    runs: int
    done_before: int
    finished: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    wall_s: float = 0.0
    workers: int = 0


def sweep(
    plan: Plan,
    out: Path,
    workers: int | None = None,
    address: str | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SweepReport:
    """Run every run of ``plan`` not yet finished in ``out``; returns what happened.

    ``progress(finished, failed)`` is called at the start and after each run, with the runs
    finished so far in ``out``, those of earlier calls included.
    """
    out = Path(out)
    table = RunsTable(out)
    if table.exists() and not resume:
        raise UserError(f"--out {out}: already holds a sweep; continue it with --resume, or give another --out.")
    if resume and not (out / MANIFEST).is_file():
        raise UserError(f"--out {out}: holds no sweep to resume.")
    if resume:
        _check_same_experiment(plan, out)
    specs = run_specs(plan)
    done = table.finished() if resume else set()
    todo = [spec for spec in specs if spec.run_id not in done]
    report = SweepReport(runs=len(specs), done_before=len(done))
    fresh = not out.exists()  # a sweep that cannot start (a cluster that does not answer) leaves no folder behind
    out.mkdir(parents=True, exist_ok=True)
    _write_manifest(plan, out, report, started=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    if progress:
        progress(report.done_before, 0)
    if not todo:
        write_tables(plan, table.compact(), out)
        return report
    clock = time.perf_counter()
    e = plan.experiment
    outcomes = e.kept_outcomes
    columns = outcome_columns(outcomes, e.by_group)
    with ExitStack() as stack:
        try:
            executor = stack.enter_context(Executor(workers, address))
        except UserError:
            if fresh:
                shutil.rmtree(out, ignore_errors=True)
            raise
        try:
            report.workers = executor.workers
            items = [(spec, outcomes, e.by_group, str(out / RUN_DIRS / spec.run_id)) for spec in todo]
            for i, row, error in executor.imap(execute_item, items):
                if error is not None:  # the run failed (on Ray, after its retries): recorded, and the sweep goes on
                    message = _first_line(error)
                    row = _row(todo[i], "failed", {}, message, np.nan, columns)
                    report.failed.append({"run_id": todo[i].run_id, "variant": todo[i].variant, "error": message})
                table.add(row)
                report.finished += 1
                if progress:
                    progress(report.done_before + report.finished, len(report.failed))
        finally:
            report.wall_s = time.perf_counter() - clock
            runs = table.compact()
            _write_manifest(plan, out, report)
    write_tables(plan, runs, out)
    return report


def table_files(out: Path, name: str) -> tuple[Path, Path, Path]:
    """Where an experiment's extra table ``name`` (e.g. list_size) is written: its CSV, Markdown and figure."""
    stem = name.replace("_", "-")
    return Path(out) / f"{stem}.csv", Path(out) / f"{stem}.md", Path(out) / "figures" / f"{name}.png"


def write_tables(plan: Plan, runs: pd.DataFrame, out: Path) -> None:
    """The tables the experiment asks for, beside runs.parquet."""
    from sim.list_size import write_list_size_table

    writers = {"list_size": write_list_size_table}
    for name in plan.experiment.tables:
        writers[name](plan, runs, out)


def _first_line(error: Exception) -> str:
    """The error a failed task raised, as one line (Ray wraps it in a traceback)."""
    cause = getattr(error, "cause", None) or error
    text = f"{type(cause).__name__}: {cause}"
    return text.strip().splitlines()[-1] if "Traceback" in text else text.strip().splitlines()[0]


def _manifest_plan(plan: Plan) -> dict[str, Any]:
    return {
        "experiment": plan.experiment.model_dump(mode="json"),
        "source": str(plan.source),
        "seeds": plan.seeds,
        "variants": [{"index": v.index, "label": v.label, "scenario": str(v.scenario_path), "values": v.values} for v in plan.variants],
        **({"draws": plan.draws} if plan.draws else {}),  # each replication's posterior draw
    }


def _check_same_experiment(plan: Plan, out: Path) -> None:
    recorded = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    if recorded.get("plan") != json.loads(json.dumps(_manifest_plan(plan), default=str)):
        raise UserError(f"--out {out}: holds a sweep of another experiment (or of this one changed since); give another --out.")


def _write_manifest(plan: Plan, out: Path, report: SweepReport, started: str | None = None) -> None:
    from sim.store import provenance

    path = out / MANIFEST
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    document = {
        "name": plan.experiment.name,
        "plan": _manifest_plan(plan),
        **provenance(),
        "started": started or previous.get("started"),
        "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "report": asdict(report),
    }
    staging = out / f".{MANIFEST}.tmp"
    staging.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(staging, path)


def read_sweep(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """A sweep's manifest and runs table."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        raise UserError(f"{folder}: is not a sweep's folder (no {MANIFEST}); give the --out of a 'vardval sweep'.")
    runs = RunsTable(folder).read()
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8")), runs
