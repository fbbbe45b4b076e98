"""Do a refactor's outputs stay the same? Runs a set of scenarios at this tree and at a git commit, and compares
every output table cell by cell.

    python benchmarks/same_outputs.py --reference e872b33        # against that commit (a temporary worktree)
    python benchmarks/same_outputs.py --reference e872b33 --keep results/same-outputs   # and keep both runs' tables

Each case is a built-in scenario on a scaled-down region (6,000 residents, 30 months, so that the first year's
settlement, a second year's entry and exit, and a partial year all happen; one case on three copies of the region) covering each payment rule, fundholding
with and without its safeguards, the digital provider, and a followed resident. For each case it writes the run's
summary (``summary.json``'s outcomes and groups) and its monthly, yearly, clinic-year and followed tables, from this
tree and from the reference commit (its ``sim`` package first on the path, this environment's libraries), then
compares them: the reference's columns all there, and every value in them equal (NaN equal to NaN); a table whose
columns only come in another order, or that adds columns (a new output), says so. Prints one line per table, and exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

#: (case, built-in scenario, fields changed, residents followed)
CASES = (
    ("default", "jamtland-2020", {}, 3),
    ("fee-for-service", "fee-for-service", {}, 0),
    ("pay-for-performance", "pay-for-performance", {}, 0),
    ("blend-stockholm", "blend-stockholm", {}, 0),
    ("fundholding-step-6", "fundholding-step-6", {}, 0),
    ("fundholding-step-7-safeguards", "fundholding-step-7", {
        "rulebook.fundholding.stop_loss_sek": 100000, "rulebook.fundholding.carve_out_rare": True,
        "rulebook.fundholding.surplus_kept": 0.5, "rulebook.fundholding.deficit_borne": 0.5,
        "rulebook.fundholding.corridor_limit": 0.05, "rulebook.fundholding.pool_min_list": 20000,
    }, 0),
    ("fundholding-uk-1991", "fundholding-uk-1991", {}, 0),
    ("digital-fee-2016", "digital-fee-2016", {}, 0),
    ("yearly-revision", "yearly-revision", {}, 0),
    # three copies of the region (three times the areas and clinics), with entry and the pay for access weighed
    ("three-copies", "pay-for-performance", {"population.residents": 400_000, "months": 14}, 0),
)
SCALE = {"population.residents": 6000, "months": 30}
TABLES = ("summary", "monthly", "yearly", "clinic_years", "followed")

#: run in a fresh interpreter, with the tree to test first on the path: writes each case's tables to OUT
WRITER = r'''
import json, sys
from pathlib import Path
import pandas as pd
import sim
from sim.runner import run
from sim.scenario import load_scenario

cases, scale, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3])
print(sim.__file__, file=sys.stderr)
for name, builtin, fields, follow in cases:
    scenario = load_scenario(builtin).with_values(scale | fields)
    result = run(scenario, follow=follow)
    folder = out / name
    folder.mkdir(parents=True)
    rows = [{"group_by": "total", "group": "total", **result.summary}]
    pd.DataFrame(rows).to_parquet(folder / "summary.parquet", index=False)
    result.monthly.to_parquet(folder / "monthly.parquet", index=False)
    result.yearly.to_parquet(folder / "yearly.parquet", index=False)
    result.clinic_years.to_parquet(folder / "clinic_years.parquet", index=False)
    if result.followed is not None:
        result.followed.to_parquet(folder / "followed.parquet", index=False)
'''


def write_outputs(tree: Path, out: Path) -> None:
    """Run every case with ``tree``'s ``sim`` package and write its tables under ``out``."""
    command = [sys.executable, "-c", WRITER, json.dumps(CASES), json.dumps(SCALE), str(out)]
    subprocess.run(command, cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, check=True)


def reordered(mine: pd.DataFrame, theirs: pd.DataFrame) -> bool:
    """The reference's columns in another order (the values are then compared by name)."""
    return [c for c in mine.columns if c in set(theirs.columns)] != list(theirs.columns)


def added(mine: pd.DataFrame, theirs: pd.DataFrame) -> list[str]:
    """Columns this tree writes that the reference does not (a new output: the reference's own are still compared)."""
    return sorted(set(mine.columns) - set(theirs.columns))


def differences(mine: pd.DataFrame, theirs: pd.DataFrame) -> list[str]:
    """What differs between two tables in the reference's columns: a column it lacks, rows, then the columns whose
    values differ (NaN equals NaN); a column order alone is not a difference of values (``reordered`` tells it),
    nor is a column only this tree writes (``added``)."""
    if dropped := sorted(set(theirs.columns) - set(mine.columns)):
        return [f"columns dropped: {dropped}"]
    mine = mine[list(theirs.columns)]
    if len(mine) != len(theirs):
        return [f"{len(mine)} rows against {len(theirs)}"]
    found = []
    for column in mine.columns:
        a, b = mine[column].to_numpy(), theirs[column].to_numpy()
        same = (a == b) | (pd.isna(a) & pd.isna(b)) if a.dtype.kind in "fc" or b.dtype.kind in "fc" else (a == b)
        if not np.all(same):
            found.append(f"{column}: {int(np.sum(~same))} of {len(a)} values")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True, help="the git commit to compare with (e.g. the last before a refactor)")
    parser.add_argument("--keep", type=Path, help="a folder to keep both runs' tables in (mine/, reference/)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        keep = args.keep or scratch
        worktree = scratch / "reference-tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.reference], cwd=ROOT, check=True, capture_output=True)
        try:
            write_outputs(worktree, keep / "reference")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=True)
        write_outputs(ROOT, keep / "mine")
        differing = moved = 0
        for name, *_ in CASES:
            for table in TABLES:
                mine, theirs = keep / "mine" / name / f"{table}.parquet", keep / "reference" / name / f"{table}.parquet"
                if not mine.exists() and not theirs.exists():
                    continue
                order, new = False, []
                if mine.exists() != theirs.exists():
                    found = ["present on one side only"]
                else:
                    a, b = pd.read_parquet(mine), pd.read_parquet(theirs)
                    found, order, new = differences(a, b), reordered(a, b), added(a, b)
                differing += bool(found)
                moved += order and not found
                verdict = "DIFFERS: " + "; ".join(found) if found else "identical values, columns in another order" if order else "identical"
                print(f"{name}/{table}: {verdict}" + (f" (and new columns {new})" if new and not found else ""))
    print(f"{differing} tables differ" if differing else "every table identical" + (f" ({moved} with their columns in another order)" if moved else ""))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
