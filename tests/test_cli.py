"""The command line as a user meets it: files written, errors as one sentence, nothing written on a mistake."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from sim.cli import main


def test_run_writes_the_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "jamtland-2020", "--months", "12", "--set", "population.residents=10000", "--out", str(out), "--follow", "3", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Under-treatment" in printed and "Assessed within 3 days" in printed
    for name in ("manifest.json", "summary.json", "monthly.parquet", "yearly.parquet", "clinic_years.parquet", "followed.parquet"):
        assert (out / name).is_file(), name
    figures = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert figures == ["access_continuity.png", "clinic_finances.png", "cost_per_capita.png", "treatment_by_group.png"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 1 and manifest["resolved_scenario"]["population"]["residents"] == 10000
    assert manifest["package_version"] and manifest["started"] <= manifest["finished"]
    summary = json.loads((out / "summary.json").read_text())
    assert 0 <= summary["outcomes"]["undertreatment_rate"] <= 1
    assert set(summary["by_group"]) == {"cni_quintile", "age_group", "area_type"}
    monthly = pd.read_parquet(out / "monthly.parquet")
    assert monthly["month"].max() == 12
    followed = pd.read_parquet(out / "followed.parquet")
    assert followed["pid"].nunique() == 3 and followed.groupby("pid")["month"].count().max() == 12


def test_a_mistake_is_one_line_exit_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrulebook:\n  capitation:\n    cni_share: 2\n")
    out = tmp_path / "never"
    result = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(bad), "--out", str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "rulebook.capitation.cni_share" in result.stderr and "bad.yaml" in result.stderr
    assert not out.exists() and not (tmp_path / "results").exists()


def test_bad_set_and_missing_scenario(tmp_path):
    for argv, words in (
        (["run", "jamtland-2020", "--set", "months"], "field.path=value"),
        (["run", "no-such-scenario"], "not found"),
        (["run", "jamtland-2020", "--set", "market.access.min_wait_days=-1"], "market.access.min_wait_days"),
    ):
        result = subprocess.run([sys.executable, "-m", "sim.cli", *argv], capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


def test_scenarios_lists_the_builtins(capsys):
    assert main(["scenarios"]) == 0
    printed = capsys.readouterr().out
    for name in ("jamtland-2020", "fee-for-service", "pay-for-performance", "blend-capitation-ffs"):
        assert name in printed
