"""The command line as a user meets it: files written, errors as one sentence, nothing written on a mistake."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import main


def test_run_writes_the_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "jamtland-2020", "--months", "12", "--set", "population.residents=10000", "--out", str(out), "--follow", "3", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Under-treatment" in printed and "Assessed within 3 days" in printed
    assert "Clinic revenue from capitation" in printed and "fundholding budget" not in printed  # only the items the rulebook pays
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


def test_bad_set_and_missing_scenario(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for argv, words in (
        (["run", "jamtland-2020", "--set", "months"], "field.path=value"),
        (["run", "no-such-scenario"], "not found"),
        (["run", "jamtland-2020", "--set", "market.access.min_wait_days=-1"], "--set market.access.min_wait_days=-1: field 'market.access.min_wait_days'"),
        (["run", "jamtland-2020", "--months", "-5"], "--months -5"),
    ):
        assert main(argv) == 2 and words in capsys.readouterr().err  # a mistake is a sentence: any exception would fail here
    assert not (tmp_path / "results").exists()


def test_scenarios_lists_the_builtins(capsys):
    assert main(["scenarios"]) == 0
    printed = capsys.readouterr().out
    for name in ("jamtland-2020", "fee-for-service", "pay-for-performance", "blend-capitation-ffs"):
        assert name in printed


def test_runs_shorter_than_a_year_report_the_clinics_year_so_far(tmp_path):
    out = tmp_path / "short"
    assert main(["run", "jamtland-2020", "--months", "3", "--set", "population.residents=10000", "--out", str(out), "--quiet"]) == 0
    clinics = pd.read_parquet(out / "clinic_years.parquet")
    assert set(clinics["months"]) == {3} and (clinics["revenue_sek"] > 0).all()
    assert len(list((out / "figures").glob("*.png"))) == 4


def test_a_rerun_replaces_the_whole_run_and_variants_get_their_own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small = ["--set", "population.residents=3000", "--set", "warmup_months=0", "--quiet"]
    assert main(["run", "jamtland-2020", "--months", "12", "--follow", "2", *small]) == 0
    first = sorted((tmp_path / "results").iterdir())
    assert len(first) == 1 and (first[0] / "followed.parquet").is_file()
    # the same variant again, without --follow: replaced whole, no stale file left
    assert main(["run", "jamtland-2020", "--months", "12", *small]) == 0
    assert sorted((tmp_path / "results").iterdir()) == first and not (first[0] / "followed.parquet").exists()
    manifest = json.loads((first[0] / "manifest.json").read_text())
    assert manifest["overrides"] == {"population.residents": 3000, "warmup_months": 0, "months": 12}
    # another variant gets another folder
    assert main(["run", "jamtland-2020", "--months", "12", "--set", "rulebook.capitation.cni_share=0.4", *small]) == 0
    assert len(list((tmp_path / "results").iterdir())) == 2


def test_results_never_go_into_a_folder_that_is_not_a_run(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = subprocess.run([sys.executable, "-m", "sim.cli", "run", "jamtland-2020", "--out", str(folder)], capture_output=True, text=True)
    assert result.returncode == 2 and "not a vardval run" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_argument_mistakes_are_one_sentence_too():
    result = subprocess.run([sys.executable, "-m", "sim.cli", "run", "jamtland-2020", "--seed", "abc"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--seed" in result.stderr


def test_help_prints_for_every_command(capsys):
    result = subprocess.run([sys.executable, "-m", "sim.cli", "--help"], capture_output=True, text=True)  # the installed entry point's module
    assert result.returncode == 0 and "usage: vardval" in result.stdout and not result.stderr
    for command in (["run"], ["sweep"], ["compare"], ["sensitivity"], ["ranking"], ["discover"], ["report"], ["validate"], ["calibrate"], ["scenarios"], ["parameters"]):
        with pytest.raises(SystemExit) as done:
            main([*command, "--help"])
        printed = capsys.readouterr()
        assert done.value.code == 0 and "usage: vardval" in printed.out and not printed.err, command
