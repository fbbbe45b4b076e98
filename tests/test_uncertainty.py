"""Comparisons that carry the parameters' uncertainty: replications draw the free parameters from a posterior ensemble
(two seeds per draw), and the comparison gives the interval over seeds and parameters beside the one over seeds alone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.compare import HIGHER_IS_BETTER, LOWER_IS_BETTER, compare
from sim.experiment import OUTCOMES, load_experiment
from sim.scenario import load_scenario
from sim.sweep import run_specs, sweep
from sim.validation.posterior import PRIORS

pytestmark = pytest.mark.usefixtures("shared_ray")  # one Ray for the module's sweeps (conftest.py)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TINY = "fixed: {months: 6, warmup_months: 0, population.residents: 3000}\n"


def current(path: str) -> float:
    node = load_scenario("jamtland-2020")
    for key in path.split("."):
        node = getattr(node, key)
    return float(node)


def ensemble(folder: Path, draws: int, altruism: tuple[float, float] = (0.5, 2.0), columns: list[str] | None = None) -> Path:
    """An ensemble at the calibrated values, each moved by a thousandth at random (nothing a run notices), but for
    the altruism scale, spread over ``altruism`` in random order."""
    rng = np.random.default_rng(3)
    table = pd.DataFrame({p.path: current(p.path) * (1 + rng.uniform(-1e-3, 1e-3, draws)) for p in PRIORS})
    table["behaviour.altruism.scale"] = rng.permutation(np.linspace(*altruism, draws))
    path = folder / "ensemble.parquet"
    table[columns or list(table.columns)].to_parquet(path, index=False)
    return path


def experiment(folder: Path, body: str, replications: int = 8) -> Path:
    path = folder / "drawn.yaml"
    path.write_text(
        f"name: drawn\nbase: {SCENARIOS / 'jamtland-2020.yaml'}\n{TINY}uncertainty: parameters\nposterior: ensemble.parquet\nreplications: {replications}\n{body}",
        encoding="utf-8",
    )
    return path


def test_replications_share_a_draw_in_pairs_and_an_experiments_own_values_win(tmp_path):
    ensemble(tmp_path, 4)
    plan = load_experiment(experiment(tmp_path, "variants:\n  drawn: {}\n  own altruism: {behaviour.altruism.scale: 1.25}\n"))
    specs = run_specs(plan)
    scale = {(s.variant, s.replication): s.scenario["behaviour"]["altruism"]["scale"] for s in specs}
    drawn = pd.read_parquet(tmp_path / "ensemble.parquet")["behaviour.altruism.scale"]
    assert [scale[("drawn", r)] for r in range(8)] == [drawn[r // 2] for r in range(8)]
    assert {scale[("own altruism", r)] for r in range(8)} == {1.25}
    assert [s.values["draw"] for s in specs if s.variant == "drawn"] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert len({s.seed for s in specs if s.variant == "drawn"}) == 8  # a seed of its own in each replication


def test_the_comparison_tells_the_parameters_uncertainty_from_the_seeds(tmp_path, capsys):
    """Fee-for-service over-treats by as much more as physicians weigh profit (a lower altruism scale): with the scale
    drawn over 0.5-2, the interval over seeds and parameters is wider than the one over seeds alone."""
    ensemble(tmp_path, 10)
    path = experiment(tmp_path, f"factors:\n  scenario: [{SCENARIOS / 'jamtland-2020.yaml'}, {SCENARIOS / 'fee-for-service.yaml'}]\noutcomes: [overtreatment_rate, visits_per_capita]\n", 20)
    sweep(load_experiment(path), tmp_path / "out", workers=1)
    table, _ = compare(tmp_path / "out")
    ffs = table[(table["variant"] == "fee-for-service") & (table["outcome"] == "overtreatment_rate")].iloc[0]
    assert ffs["diff"] > 0 and ffs["ci_low_seeds"] <= ffs["diff"] <= ffs["ci_high_seeds"]
    assert ffs["ci_high"] - ffs["ci_low"] > ffs["ci_high_seeds"] - ffs["ci_low_seeds"]
    assert ffs["p_better"] < 0.5  # over-treatment: less is better, and fee-for-service gives more
    assert np.isnan(table[(table["variant"] == "fee-for-service") & (table["outcome"] == "visits_per_capita")]["p_better"]).all()  # no better side
    text = (tmp_path / "out" / "comparison.md").read_text()
    assert "over seeds and parameters" in text and "over seeds alone" in text and "P(better)" in text
    assert main(["ranking", str(tmp_path / "out")]) == 0  # the posterior's draws are the points a ranking is held at
    assert "`behaviour.altruism.scale` 0.5 to 2" in (tmp_path / "out" / "ranking.md").read_text()
    assert main(["sensitivity", str(tmp_path / "out")]) == 2  # ten draws are too few to say what the difference hangs on
    assert "fewer than 30 posterior draws" in capsys.readouterr().err and not (tmp_path / "out" / "sensitivity.csv").exists()
    assert main(["report", str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "report.html").read_text()
    assert "over seeds and parameters" in page and "ci_low_seeds" in page and "posterior draw" in page


@pytest.mark.parametrize(
    "draws, columns, replications, words",
    [
        (2, None, 8, "fewer than the 4 that 8 replications need"),
        (4, [p.path for p in PRIORS][:-1], 8, f"another model version's free parameters (it lacks {PRIORS[-1].path})"),
        (4, None, 5, "an even number, at least 4"),
    ],
)
def test_an_ensemble_that_cannot_serve_is_one_sentence_and_writes_nothing(tmp_path, capsys, draws, columns, replications, words):
    ensemble(tmp_path, draws, columns=columns)
    path = experiment(tmp_path, "", replications)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_a_missing_posterior_says_how_to_make_one(tmp_path, capsys):
    path = experiment(tmp_path, "")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "vardval calibrate --adopt" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_every_outcome_with_a_better_side_is_an_outcome():
    assert set(LOWER_IS_BETTER) <= set(OUTCOMES) and set(HIGHER_IS_BETTER) <= set(OUTCOMES)
    assert not set(LOWER_IS_BETTER) & set(HIGHER_IS_BETTER)


def test_the_analysis_of_variance_recovers_the_seeds_noise_and_the_parameters_spread():
    """Paired differences d = theta_j + noise, two seeds per draw: the interval over seeds alone is as wide as the
    noise alone allows for the mean, the one over seeds and parameters as wide as the parameters' spread."""
    from sim.compare import _over_parameters

    rng = np.random.default_rng(3)
    draws, theta_sd, noise_sd = 4000, 2.0, 0.5
    theta = rng.normal(1.0, theta_sd, draws)
    draw = pd.Series(np.repeat(np.arange(draws), 2))
    paired = pd.Series(np.repeat(theta, 2) + rng.normal(0, noise_sd, 2 * draws))
    diff, low, high, low_seeds, high_seeds, p = _over_parameters(paired, draw, direction=1)
    assert abs(diff - 1.0) < 0.1
    assert abs((high - low) / 2 - 1.96 * theta_sd) < 0.1 * 1.96 * theta_sd
    assert abs((high_seeds - low_seeds) / 2 - 1.96 * noise_sd / np.sqrt(2 * draws)) < 0.1 * 1.96 * noise_sd / np.sqrt(2 * draws)
    assert abs(p - 0.6915) < 0.03  # P(theta > 0) for N(1, 2)
    same = pd.Series(1.0 + rng.normal(0, noise_sd, 20))  # ten draws the parameters do not move: never the narrower interval
    diff, low, high, low_seeds, high_seeds, p = _over_parameters(same, pd.Series(np.repeat(np.arange(10), 2)), direction=1)
    assert high - low >= high_seeds - low_seeds


def test_the_posterior_sensitivity_names_the_parameter_a_difference_hangs_on(tmp_path, monkeypatch):
    """Sixty draws at which fee-for-service's extra over-treatment falls with the altruism scale and nothing else:
    the delta and S1 of the altruism scale lead, and every other parameter's S1 is within its interval of zero."""
    from sim import ranking, sensitivity

    rng = np.random.default_rng(5)
    names = [p.path for p in PRIORS]
    values = np.column_stack([rng.uniform(p.low, p.high, 60) for p in PRIORS])
    points = ranking.Points(names, values, {p.path: p.low for p in PRIORS}, {p.path: p.high for p in PRIORS})
    altruism = values[:, names.index("behaviour.altruism.scale")]
    ok = pd.DataFrame(
        [{"point": j, "rule": rule, "variant_index": v, "overtreatment_rate": (0.05 / altruism[j] if rule == "ffs" else 0.0) + rng.normal(0, 0.002)} for j in range(60) for v, rule in enumerate(("cap", "ffs"))]
    )
    experiment = SimpleNamespace(outcomes=["overtreatment_rate"], seed=1)
    monkeypatch.setattr(ranking, "rules_at_points", lambda folder, command: (experiment, points, ok))
    monkeypatch.setattr(sensitivity, "RESAMPLES", 10)  # the indices themselves come from all sixty draws; the resamples only size their intervals
    table = sensitivity.posterior_sensitivity(tmp_path).set_index("factor")
    assert set(table["scenario"]) == {"ffs - cap"}
    assert table["delta"].idxmax() == table["S1"].idxmax() == "behaviour.altruism.scale" and table.loc["behaviour.altruism.scale", "S1"] > 0.5
