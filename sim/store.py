"""Writing a run directory: manifest, summary, Parquet tables and figures (docs/outputs.md).

    manifest.json       the scenario as resolved, seed, package version, git commit, times
    summary.json        headline outcomes over the whole run, in total and by group
    monthly.parquet     outcomes per month and group (sums and rates)
    yearly.parquet      outcomes per year and group
    clinic_years.parquet one row per clinic and year: list, staff, access, revenue, result
    followed.parquet    the monthly story of followed residents (with --follow)
    figures/*.png
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from importlib.metadata import PackageNotFoundError, version
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sim.errors import UserError
from sim.runner import HEADLINE, RunResult


def package_version() -> str:
    try:
        return version("vardval")
    except PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    """The commit of the source tree the package runs from, with '-dirty' if it has changes; None outside git."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True, text=True, timeout=5)
        return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict[str, Any]:
    from sim.scenario import CALIBRATED, ensemble_version

    return {
        "package_version": package_version(), "git_commit": git_commit(), "calibration_version": CALIBRATED.get("version"), "ensemble_version": ensemble_version(),
        "python": platform.python_version(),
    }


def manifest(result: RunResult) -> dict[str, Any]:
    s = result.scenario
    return {
        "scenario": s.name,
        "source": result.source,
        "seed": s.seed,
        "months": s.months,
        "warmup_months": s.warmup_months,
        "overrides": result.overrides,
        **provenance(),
        "started": result.started,
        "finished": result.finished,
        "wall_s": round(result.wall_s, 3),
        "resolved_scenario": s.model_dump(mode="json"),
    }


def summary_document(result: RunResult) -> dict[str, Any]:
    by_group: dict[str, dict[str, dict[str, float | None]]] = {}
    for _, row in result.by_group.iterrows():
        if row["group_by"] == "total":
            continue
        values = {name: (None if row[name] != row[name] else float(row[name])) for name in HEADLINE}
        by_group.setdefault(row["group_by"], {})[row["group"]] = values
    return {
        "scenario": result.scenario.name,
        "seed": result.scenario.seed,
        "months": result.scenario.months,
        "outcomes": result.summary,
        "by_group": by_group,
    }


RUN_MARKER = "manifest.json"  # a folder with this file holds a run and may be replaced by another


def check_writable(out: Path, marker: str = RUN_MARKER) -> None:
    """Refuse, before any work, a results folder that cannot be written or holds something other than an earlier
    result of the same command: one with ``marker`` (a run's manifest.json, a sweep's sweep.json), which that
    command replaces or refuses in its own words."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file; give a folder for the run's results.")
    if out.is_dir() and any(out.iterdir()) and not (out / marker).is_file():
        raise UserError(f"--out {out}: holds files that are not a vardval run; give an empty or new folder.")
    try:  # a probe where the run will be staged
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as error:
        raise UserError(f"--out {out}: cannot be written ({error.strerror}).") from None


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A folder to write a result into, all at once: a temporary sibling of ``out``, renamed into place (replacing an
    earlier result there) when the block ends, removed if it fails, so a reader never sees a half-written or mixed one."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as error:
        raise UserError(f"--out {out}: cannot be written ({error.strerror}).") from None
    try:
        yield staging
        if out.exists():
            retired = staging.with_name(staging.name + ".old")
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_run(result: RunResult, out: Path, figures: bool = True) -> Path:
    """Write a run directory, all at once (``staged``)."""
    from sim.plots import run_figures

    with staged(out) as staging:
        (staging / "summary.json").write_text(json.dumps(summary_document(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        result.monthly.to_parquet(staging / "monthly.parquet", index=False)
        result.yearly.to_parquet(staging / "yearly.parquet", index=False)
        result.clinic_years.to_parquet(staging / "clinic_years.parquet", index=False)
        if result.followed is not None:
            result.followed.to_parquet(staging / "followed.parquet", index=False)
        if figures:
            run_figures(result, staging / "figures")
        (staging / RUN_MARKER).write_text(json.dumps(manifest(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return Path(out)
