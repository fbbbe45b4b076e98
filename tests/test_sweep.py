"""Scenario batches on embedded Ray: complete, resumable, deterministic, paired, and strict about bad files."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.compare import paired_comparison
from sim.errors import UserError
from sim.experiment import load_experiment, replication_seeds
from sim.sweep import PARTS, sweep

pytestmark = pytest.mark.usefixtures("shared_ray")  # one Ray for the module's sweeps (conftest.py)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TINY = "fixed: {months: 6, warmup_months: 0, population.residents: 3000}\n"


def experiment(tmp_path: Path, body: str, name: str = "tiny") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nbase: {SCENARIOS / 'jamtland-2020.yaml'}\n{TINY}{body}", encoding="utf-8")
    return path


def comparable(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.drop(columns=["wall_s"]).reset_index(drop=True)


def test_a_sweep_records_one_row_per_run_with_its_factors_and_outcomes(tmp_path):
    path = experiment(tmp_path, f"factors:\n  scenario: [{SCENARIOS / 'jamtland-2020.yaml'}, {SCENARIOS / 'fee-for-service.yaml'}]\n  rulebook.capitation.cni_share: [0.25, 0.4]\nreplications: 2\nby_group: [area_type]\n")
    plan = load_experiment(path)
    report = sweep(plan, tmp_path / "out", workers=2)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert report.finished == 8 and not report.failed and len(runs) == 8
    assert list(runs["run_id"]) == sorted(runs["run_id"]) and runs["run_id"].is_unique
    assert set(runs["variant"]) == {"jamtland-2020, cni_share=0.25", "jamtland-2020, cni_share=0.4", "fee-for-service, cni_share=0.25", "fee-for-service, cni_share=0.4"}
    for column in ("scenario", "rulebook.capitation.cni_share", "undertreatment_rate", "undertreatment_rate[area_type=sparse]", "status", "wall_s", "seed", "replication"):
        assert column in runs.columns, column
    assert (runs["status"] == "ok").all() and runs["undertreatment_rate"].notna().all()
    # replication r has the same seed in every variant (common random numbers)
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    assert sorted(runs["seed"].unique()) == sorted(replication_seeds(plan.experiment.seed, 2))
    assert (tmp_path / "out" / "runs" / "v0000-r0000" / "summary.json").is_file()


def test_the_table_is_the_same_with_one_or_two_workers(tmp_path):
    path = experiment(tmp_path, f"factors:\n  scenario: [{SCENARIOS / 'jamtland-2020.yaml'}, {SCENARIOS / 'blend-capitation-ffs.yaml'}]\nreplications: 3\n")
    sweep(load_experiment(path), tmp_path / "one", workers=1)
    sweep(load_experiment(path), tmp_path / "two", workers=2)
    pd.testing.assert_frame_equal(comparable(pd.read_parquet(tmp_path / "one" / "runs.parquet")), comparable(pd.read_parquet(tmp_path / "two" / "runs.parquet")))


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(tmp_path):
    same = SCENARIOS / "jamtland-2020.yaml"
    copy = tmp_path / "jamtland-copy.yaml"
    copy.write_text(f"name: jamtland-copy\ndescription: the same rulebook under another name\nextends: {same}\n")
    path = experiment(tmp_path, f"factors:\n  scenario: [{same}, {copy}]\nreplications: 3\n")
    sweep(load_experiment(path), tmp_path / "out", workers=2)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    table = paired_comparison(runs, ["undertreatment_rate", "cost_per_capita_sek", "access_3day_share"], "jamtland-2020")
    other = table[table["variant"] == "jamtland-copy"]
    assert len(other) == 3 and (other["diff"] == 0).all() and (other["ci_low"] == 0).all() and (other["ci_high"] == 0).all()


def test_a_run_that_fails_is_recorded_and_the_sweep_goes_on(tmp_path):
    path = experiment(tmp_path, "factors:\n  population.region: [jamtland, no-such-region]\nreplications: 1\n")
    report = sweep(load_experiment(path), tmp_path / "out", workers=2)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert list(runs["status"]) == ["ok", "failed"]
    assert "no-such-region" in runs.loc[1, "error"] and np.isnan(runs.loc[1, "undertreatment_rate"])
    assert len(report.failed) == 1 and report.failed[0]["run_id"] == "v0001-r0000"


def test_ctrl_c_stops_a_sweep_with_exit_130_and_says_how_to_resume(tmp_path):
    path = experiment(tmp_path, "replications: 200\n")  # about 40 s of runs: the sweep cannot finish before the signal lands
    out = tmp_path / "out"
    driver = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    parts = out / PARTS
    deadline = time.time() + 120
    while time.time() < deadline and not (parts.exists() and list(parts.glob("*.parquet"))):
        time.sleep(0.2)
    driver.send_signal(signal.SIGINT)
    _, stderr = driver.communicate(timeout=60)
    assert driver.returncode == 130 and "Traceback" not in stderr
    assert "--resume" in stderr.strip().splitlines()[-1]
    assert 1 <= len(pd.read_parquet(out / "runs.parquet")) < 200


def test_resuming_after_the_driver_is_killed_runs_every_run_exactly_once(tmp_path):
    path = experiment(tmp_path, f"factors:\n  scenario: [{SCENARIOS / 'jamtland-2020.yaml'}, {SCENARIOS / 'fee-for-service.yaml'}]\nreplications: 6\n")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sim.cli", "sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]
    driver = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = out / PARTS
    deadline = time.time() + 120
    while time.time() < deadline and len(list(parts.glob("*.parquet")) if parts.exists() else []) < 3:
        time.sleep(0.2)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    before = {p.stem: pd.read_parquet(p) for p in parts.glob("*.parquet")}
    assert 3 <= len(before) < 12, "the driver was not killed mid-sweep"
    written = pd.read_parquet(out / "runs.parquet")  # the table holds the runs that finished (the last, killed between its part and the table, aside)
    assert set(written["run_id"]) <= set(before) and len(written) >= len(before) - 1
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 12 and runs["run_id"].is_unique and (runs["status"] == "ok").all()
    for run_id, row in before.items():  # finished before the kill: not run again (same row, same wall time)
        pd.testing.assert_frame_equal(runs[runs["run_id"] == run_id].reset_index(drop=True), row)
    again = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert again.returncode == 0 and "All 12 runs had finished before this call; nothing was run" in again.stdout


@pytest.mark.parametrize(
    "body, words",
    [
        ("factors:\n  rulebook.capitation.cni_shar: [0.2]\n", ["tiny.yaml", "factor 'rulebook.capitation.cni_shar'", "unknown field"]),
        ("factors:\n  rulebook.capitation.cni_share: [0.2, 3]\n", ["tiny.yaml", "factor 'rulebook.capitation.cni_share' = 3", "less than or equal to 1"]),
        ("replications: 0\n", ["tiny.yaml", "'replications'", "greater than or equal to 1"]),
        ("outcomes: [happiness]\n", ["tiny.yaml", "field 'outcomes': unknown outcome 'happiness'", "docs/outputs.md"]),
        ("outcomes: [undertreatment_ratee]\n", ["field 'outcomes'", "did you mean 'undertreatment_rate'"]),
        ("factors:\n  rulebook.capitation.cni_share: []\n", ["field 'factors.rulebook.capitation.cni_share': has no values"]),
        ("factors:\n  rulebook.capitation.cni_share: {low: 0.1, high: 0.4}\n", ["field 'factors.rulebook.capitation.cni_share': is a range, and a grid needs its steps"]),
        ("design: sobol\nfactors:\n  rulebook.capitation.cni_share: {low: 0.1, high: 0.5}\n  rulebook.capitation.scale: {low: 0.8, high: 1.2}\n", ["field 'design.n': a sobol design needs n"]),
        ("design: {method: sobol, n: 6}\nfactors:\n  rulebook.capitation.cni_share: {low: 0.1, high: 0.5}\n  rulebook.capitation.scale: {low: 0.8, high: 1.2}\n", ["tiny.yaml", "power of 2"]),
        ("factors:\n  scenario: [nowhere.yaml]\n", ["nowhere.yaml", "not found"]),
    ],
)
def test_a_malformed_experiment_is_one_sentence_and_writes_nothing(tmp_path, body, words, capsys):
    from sim.cli import main

    path = experiment(tmp_path, body)
    with pytest.raises(UserError) as error:
        load_experiment(path)
    assert "\n" not in str(error.value)
    for word in words:
        assert word in str(error.value)
    assert main(["sweep", str(path), "--out", str(tmp_path / "never")]) == 2  # any exception but the sentence would fail here
    assert str(error.value) in capsys.readouterr().err and not (tmp_path / "never").exists()


def test_sensitivity_ranks_a_strong_factor_above_a_weak_one(tmp_path):
    from sim.sensitivity import sensitivity

    body = (
        "design: {method: morris, n: 3, levels: 4}\n"
        "factors:\n  rulebook.fee_for_service.scale: {low: 0.0, high: 1.0}\n  market.digital.cost_sek_per_visit: {low: 250, high: 350}\n"
        "outcomes: [overtreatment_rate, visits_per_capita]\n"
    )
    sweep(load_experiment(experiment(tmp_path, body)), tmp_path / "out", workers=2)
    indices = sensitivity(tmp_path / "out").set_index(["outcome", "factor"])
    fee = indices.loc[("overtreatment_rate", "rulebook.fee_for_service.scale"), "mu_star"]
    digital = indices.loc[("overtreatment_rate", "market.digital.cost_sek_per_visit"), "mu_star"]
    assert fee > 10 * max(digital, 1e-9)
    assert (tmp_path / "out" / "sensitivity.csv").is_file() and list((tmp_path / "out" / "figures").glob("sensitivity_*.png"))


def test_sweep_compare_and_report_from_the_command_line(tmp_path, capsys):
    from sim.cli import main

    path = experiment(tmp_path, f"factors:\n  scenario: [{SCENARIOS / 'jamtland-2020.yaml'}, {SCENARIOS / 'fee-for-service.yaml'}]\nreplications: 2\nby_group: [cni_quintile]\n")
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--quiet", "--workers", "1"]) == 0  # Ray's own path: test_the_table_is_the_same_with_one_or_two_workers
    capsys.readouterr()
    assert main(["compare", str(out)]) == 0
    compared = capsys.readouterr().out
    assert "fee-for-service" in compared and "diff" in compared
    assert "Region spending per resident per year, SEK (cost_per_capita_sek)" in compared and " points" in compared  # the analyst's units
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == ["outcome", "variant", "mean", "diff", "ci_low", "ci_high", "n"]
    assert "undertreatment_rate[cni_quintile=Q5]" in set(table["outcome"])
    assert (out / "comparison.md").read_text().count("| undertreatment_rate |") == 2
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text()
    for part in ("<h2>Comparison</h2>", "data:image/png;base64,", "<h2>Failures</h2>", "<h2>Provenance</h2>", "fee-for-service",
                 "Under-treatment (share of needed visits not given)", "Q5 (highest need)", " points"):
        assert part in page
    assert not re.search(r"\d\.?\d*e[+-]\d\d", page.split("<h2>Provenance</h2>")[0].split("base64,")[0]), "scientific notation in the report's tables"
    capsys.readouterr()
    assert main(["compare", str(out), "--baseline", "nothing"]) == 2 and "--baseline 'nothing'" in capsys.readouterr().err
    # the same sweep again into its own folder, now holding the comparison and the report too: told how to go on
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    assert "already holds a sweep; continue it with --resume" in capsys.readouterr().err


def test_each_variant_is_compared_with_the_baseline_rulebook_on_its_own_region():
    from sim.compare import references

    labels = {
        ("jamtland-2020", "jamtland"): "a",
        ("jamtland-2020", "stockholm"): "b",
        ("dala-model", "jamtland"): "c",
        ("dala-model", "stockholm"): "d",
    }
    manifest = {"plan": {"variants": [{"label": label, "values": {"scenario": s, "population.region": r}} for (s, r), label in labels.items()]}}
    assert references(manifest, "a") == {"a": "a", "b": "b", "c": "a", "d": "b"}


def test_an_experiment_of_rule_fields_only_compares_every_variant_with_the_baseline():
    from sim.compare import references

    values = [{"rulebook.fundholding.stop_loss_sek": s, "rulebook.fundholding.risk_adjustment": r} for r in ("age_sex_cni", "age_sex") for s in (None, 100_000)]
    manifest = {"plan": {"variants": [{"label": str(i), "values": v} for i, v in enumerate(values)]}}
    assert references(manifest, "0") == {"0": "0", "1": "0", "2": "0", "3": "0"}
