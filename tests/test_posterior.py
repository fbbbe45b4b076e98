"""The posterior's machinery on a simulator whose answer is known: ABC-SMC keeps the sets that land on the targets,
writes an ensemble of at least 100 draws with its report, resumes from its database, and refuses what it cannot use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.errors import UserError
from sim.validation import posterior as abc
from sim.validation.calibration import TARGETS

pytestmark = pytest.mark.filterwarnings("ignore:covariance is not symmetric positive-semidefinite")  # pyabc, on the parameters nothing informs

IDENTIFIED = "behaviour.treatment.value_sek_per_unit"  # the one parameter the fake simulator's targets depend on
TRUE_VALUE = 2_000.0


def fake_evaluate(task):
    """Every target on its value when the identified parameter is at TRUE_VALUE, off by a tolerance per 1,000 SEK away,
    with a little noise from the seed; the other parameters do not matter."""
    values, seed = task
    noise = np.random.default_rng(seed).normal(0, 0.1, len(TARGETS))
    gap = (values[IDENTIFIED] - TRUE_VALUE) / 1_000
    return {t.name: t.value + (gap + n) * t.tolerance for t, n in zip(TARGETS, noise)}


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(abc, "_evaluate", fake_evaluate)
    monkeypatch.setattr(abc, "MIN_DRAWS", 20)  # a smaller ensemble than the shipped one's 100, to keep the test short


def test_the_posterior_resumes_and_finds_the_identified_parameter_and_leaves_the_others_wide(tmp_path, fake):
    first = abc.posterior(tmp_path, population=20, generations=2, min_distance=0.05)
    with pytest.raises(UserError, match="--resume"):
        abc.posterior(tmp_path, population=20, generations=2)
    record = abc.posterior(tmp_path, population=20, generations=3, min_distance=0.05, resume=True)
    assert len(record["generations"]) == 3 and record["generations"][:2] == first["generations"]  # resumed, not restarted
    draws = pd.read_parquet(tmp_path / "ensemble.parquet")
    assert len(draws) == 20 and record["draws"] == 20
    identified = draws[IDENTIFIED]
    assert abs(identified.median() - TRUE_VALUE) < 300 and identified.std() < 600  # the prior is 1,000-5,000
    unidentified = draws["behaviour.referral.self_referral_share"]
    assert unidentified.max() - unidentified.min() > 0.15  # of its prior's 0-0.3
    written = yaml.safe_load((tmp_path / "posterior.yaml").read_text())
    assert set(written["priors"]) == {p.path for p in abc.PRIORS} and all(p["reason"] for p in written["priors"].values())
    assert written["generations"][-1]["distance"] < written["generations"][0]["distance"]
    assert {t["target"] for t in written["targets"]} == {t.name for t in TARGETS}
    assert all((tmp_path / "figures" / f"posterior_{name}.png").exists() for name in ("marginals", "pairs", "fit"))
    assert sorted(draws.columns) == sorted(p.path for p in abc.PRIORS)  # what experiments read: the parameters alone


def test_adopting_installs_the_ensemble_experiments_draw_from(tmp_path, monkeypatch, capsys):
    adopted = tmp_path / "sim" / "posterior.parquet"
    adopted.parent.mkdir()
    monkeypatch.setattr(abc, "ADOPTED", adopted)
    assert main(["calibrate", "--posterior", "--adopt-only", "--out", str(tmp_path / "none")]) == 2
    assert "no finished posterior" in capsys.readouterr().err and not adopted.exists()
    out = tmp_path / "done"
    out.mkdir()
    pd.DataFrame({p.path: [0.5 * (p.low + p.high)] for p in abc.PRIORS}).to_parquet(out / "ensemble.parquet")
    (out / "posterior.yaml").write_text("version: 9\n")
    assert main(["calibrate", "--posterior", "--adopt-only", "--out", str(out)]) == 0
    assert adopted.read_bytes() == (out / "ensemble.parquet").read_bytes() and adopted.with_suffix(".yaml").read_text() == "version: 9\n"


def test_too_few_draws_or_nothing_to_resume_is_one_sentence_and_writes_nothing(tmp_path, capsys):
    assert main(["calibrate", "--posterior", "--population", "20", "--out", str(tmp_path / "a")]) == 2
    assert "at least 100" in capsys.readouterr().err and not (tmp_path / "a").exists()
    assert main(["calibrate", "--posterior", "--resume", "--out", str(tmp_path / "b")]) == 2
    assert "no posterior to resume" in capsys.readouterr().err and not (tmp_path / "b").exists()
