"""The posterior's machinery on a simulator whose answer is known: adaptive importance sampling finds the parameter
the targets identify and leaves the others as wide as their priors, writes an ensemble with its report and central
set, resumes without running a simulation twice, samples the same draws again, and refuses what it cannot use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.validation import calibration
from sim.validation import posterior as post
from sim.validation.calibration import OUT_OF_SAMPLE, TARGETS

IDENTIFIED = "behaviour.treatment.value_sek_per_unit"  # the one parameter the fake simulator's targets depend on
TRUE_VALUE = 2_000.0
CALLS: list[int] = []


#: each target also informs one other parameter (as the model's targets inform most of theirs), all but the last two
ALSO = [p.path for p in post.PRIORS if p.path != IDENTIFIED][: len(TARGETS)]


def fake_evaluate(task):
    """Every target on its value when the identified parameter is at TRUE_VALUE and its other parameter mid-range, off
    by a tolerance per 300 SEK and per twelfth of the range away, with noise of a third of a tolerance from the seed;
    self-referral and the altruism scale do not matter."""
    values, seed = task
    CALLS.append(seed)
    noise = np.random.default_rng(seed).normal(0, 0.3, len(TARGETS))
    gap = (values[IDENTIFIED] - TRUE_VALUE) / 300
    other = {p.path: p for p in post.PRIORS}
    return {t.name: t.value + (gap + 6 * (other[a].unit(values[a]) - 0.5) + n) * t.tolerance for t, a, n in zip(TARGETS, ALSO, noise)} | {c.name: 0.01 * gap for c in OUT_OF_SAMPLE}


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(calibration, "_evaluate", fake_evaluate)
    monkeypatch.setattr(post, "MIN_DRAWS", 40)  # a smaller ensemble than the shipped one's 100, to keep the test short
    CALLS.clear()


def test_the_posterior_finds_the_identified_parameter_leaves_the_others_wide_and_checks_out_of_sample(tmp_path, fake):
    record = post.posterior(tmp_path, rounds=3, per_round=40)
    draws = pd.read_parquet(tmp_path / "ensemble.parquet")
    assert len(draws) == 40 and record["draws"] == 40 and record["simulations"] == 120
    identified = draws[IDENTIFIED]
    assert abs(identified.median() - TRUE_VALUE) < 150 and identified.std() < 300  # the prior is 1,000-5,000
    unidentified = draws["behaviour.referral.self_referral_share"]
    assert unidentified.quantile(0.9) - unidentified.quantile(0.1) > 0.12  # of its prior's 0-0.3
    assert sorted(draws.columns) == sorted(p.path for p in post.PRIORS)  # what experiments read: the parameters alone
    written = yaml.safe_load((tmp_path / "posterior.yaml").read_text())
    assert set(written["priors"]) == {p.path for p in post.PRIORS} and all(p["reason"] for p in written["priors"].values())
    assert written["priors"]["behaviour.altruism.scale"]["scale"] == "log"
    assert {t["target"] for t in written["targets"]} == {t.name for t in TARGETS} and record["effective_draws"] > 10
    central = yaml.safe_load((tmp_path / "calibrated.yaml").read_text())
    assert central["version"] == written["version"] and central["parameters"][IDENTIFIED] == pytest.approx(record["central"][IDENTIFIED], abs=1e-5)
    assert abs(central["parameters"][IDENTIFIED] - TRUE_VALUE) < 150
    assert all((tmp_path / "figures" / f"{name}.png").exists() for name in ("posterior_marginals", "posterior_pairs", "posterior_fit", "calibration_fit"))
    assert len(pd.read_csv(tmp_path / "draws.csv")) == 120  # every simulation, stored as it finished
    assert [c["check"] for c in record["out_of_sample"]] == [c.name for c in OUT_OF_SAMPLE]  # reported across the ensemble
    assert all(c["q05"] <= c["median"] <= c["q95"] for c in record["out_of_sample"]) and "Out of sample" in (tmp_path / "fit.md").read_text()


def test_a_resumed_posterior_runs_no_simulation_twice_and_the_same_seed_samples_the_same_draws(tmp_path, fake, monkeypatch):
    monkeypatch.setattr(post, "_figures", lambda out, ensemble: None)  # five posteriors: their figures are another test's
    monkeypatch.setattr(post, "fit_plot", lambda fit, path: None)
    post.posterior(tmp_path / "a", rounds=1, per_round=40)
    first_round = pd.read_csv(tmp_path / "a" / "draws.csv")
    with pytest.raises(post.UserError, match="--resume"):
        post.posterior(tmp_path / "a", rounds=2, per_round=40)
    CALLS.clear()
    post.posterior(tmp_path / "a", rounds=2, per_round=40, resume=True)
    assert 40 <= len(CALLS) <= 42  # the second round, and the new central set on two seeds: nothing of the first again
    stored = pd.read_csv(tmp_path / "a" / "draws.csv")
    pd.testing.assert_frame_equal(stored[stored["round"] == 0].reset_index(drop=True), first_round)
    post.posterior(tmp_path / "b", rounds=2, per_round=40)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "ensemble.parquet"), pd.read_parquet(tmp_path / "b" / "ensemble.parquet"))


def test_adopting_installs_the_central_set_and_the_ensemble(tmp_path, monkeypatch, capsys):
    from sim import scenario

    installed = tmp_path / "sim"
    installed.mkdir()
    monkeypatch.setattr(post, "ADOPTED", installed / "posterior.parquet")
    monkeypatch.setattr(scenario, "CALIBRATED_PATH", installed / "calibrated.yaml")
    assert main(["calibrate", "--adopt-only", "--out", str(tmp_path / "none")]) == 2
    assert "no finished calibration" in capsys.readouterr().err and not any(installed.iterdir())
    out = tmp_path / "done"
    out.mkdir()
    pd.DataFrame({p.path: [0.5 * (p.low + p.high)] for p in post.PRIORS}).to_parquet(out / "ensemble.parquet")
    (out / "posterior.yaml").write_text("version: 9\n")
    (out / "calibrated.yaml").write_text("version: 9\nparameters: {}\n")
    assert main(["calibrate", "--adopt-only", "--ensemble-only", "--out", str(out)]) == 0  # the ensemble alone: single runs keep their set
    assert (installed / "posterior.parquet").read_bytes() == (out / "ensemble.parquet").read_bytes() and not (installed / "calibrated.yaml").exists()
    assert main(["calibrate", "--adopt-only", "--out", str(out)]) == 0
    assert (installed / "posterior.parquet").read_bytes() == (out / "ensemble.parquet").read_bytes()
    assert (installed / "posterior.yaml").read_text() == "version: 9\n" and (installed / "calibrated.yaml").read_text() == "version: 9\nparameters: {}\n"


def test_too_few_draws_or_nothing_to_resume_is_one_sentence_and_writes_nothing(tmp_path, capsys):
    assert main(["calibrate", "--per-round", "20", "--out", str(tmp_path / "a")]) == 2
    assert "at least 100" in capsys.readouterr().err and not (tmp_path / "a").exists()
    assert main(["calibrate", "--resume", "--out", str(tmp_path / "b")]) == 2
    assert "no posterior to resume" in capsys.readouterr().err and not (tmp_path / "b").exists()

