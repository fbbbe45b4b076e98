"""Scenario files: inheritance, overrides, and one clear sentence for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import UserError
from sim.scenario import builtin_scenarios, load_scenario


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_builtin_scenario_loads_with_a_description():
    found = dict(builtin_scenarios())
    assert {"jamtland-2020", "fee-for-service", "pay-for-performance", "blend-capitation-ffs"} <= set(found)
    assert all(len(description) > 40 for description in found.values())


def test_extends_merges_the_parent_key_by_key():
    ffs = load_scenario("fee-for-service")
    assert ffs.rulebook.capitation.scale == 0 and ffs.rulebook.fee_for_service.scale == 1
    # inherited from jamtland-2020
    assert ffs.rulebook.drug_budget.sek_per_weight == 1272
    assert ffs.rulebook.patient_fees.ceiling_sek_per_year == 1400
    assert ffs.name == "fee-for-service"


def test_override_by_field_path():
    scenario = load_scenario("jamtland-2020", {"rulebook.capitation.cni_share": 0.4, "months": 6})
    assert scenario.rulebook.capitation.cni_share == 0.4 and scenario.months == 6
    again = scenario.with_values({"seed": 7})
    assert again.seed == 7 and again.rulebook.capitation.cni_share == 0.4


@pytest.mark.parametrize(
    "text, expected",
    [
        ("name: x\nrulebook:\n  capitation:\n    cni_shar: 0.3\n", ["bad.yaml", "rulebook.capitation.cni_shar", "unknown field", "did you mean 'cni_share'?"]),
        ("name: x\nrulebook:\n  capitation:\n    cni_share: 1.5\n", ["bad.yaml", "rulebook.capitation.cni_share", "less than or equal to 1", "1.5"]),
        ("name: x\nmonths: many\n", ["bad.yaml", "'months'", "integer", "many"]),
        ("name: x\nwarmup_months: 5\n", ["bad.yaml", "warmup_months", "multiple of 12"]),
        ("name: x\nbehaviour:\n  altruism:\n    a_values: [1, 2]\n    shares: [1]\n", ["bad.yaml", "behaviour.altruism", "same length"]),
        ("- a list\n", ["bad.yaml", "must be a mapping"]),
        ("name: x\n  bad: indentation\n", ["bad.yaml", "not valid YAML", "line"]),
    ],
)
def test_a_bad_file_is_one_sentence_naming_file_field_and_rule(tmp_path, text, expected):
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(UserError) as error:
        load_scenario(path)
    message = str(error.value)
    assert "\n" not in message
    for part in expected:
        assert part in message


def test_a_bad_override_is_blamed_on_the_override_not_the_file():
    with pytest.raises(UserError, match=r"^--set months\.x=3: field 'months' is a value, not a section"):
        load_scenario("jamtland-2020", {"months.x": 3})
    with pytest.raises(UserError, match=r"^--set rulebook\.capitation\.cni_share=high: field 'rulebook\.capitation\.cni_share'.*number.*'high'"):
        load_scenario("jamtland-2020", {"rulebook.capitation.cni_share": "high"})
    with pytest.raises(UserError, match=r"^--months -5: field 'months'.*greater than or equal to 1"):
        load_scenario("jamtland-2020", {"months": -5}, {"months": "--months -5"})
    with pytest.raises(UserError, match=r"^--set rulebook\.capitation\.cni_shar=0\.4: unknown field"):
        load_scenario("jamtland-2020", {"rulebook.capitation.cni_shar": 0.4})


def test_an_empty_file_is_refused_and_a_child_is_named_after_itself(tmp_path):
    with pytest.raises(UserError, match="empty.yaml: is empty"):
        load_scenario(write(tmp_path, "empty.yaml", "# nothing here\n"))
    child = write(tmp_path, "cheaper.yaml", f"extends: {Path(__file__).resolve().parents[1] / 'scenarios' / 'jamtland-2020.yaml'}\nrulebook:\n  capitation:\n    scale: 0.9\n")
    assert load_scenario(child).name == "cheaper"


def test_extends_cycle_and_missing_parent(tmp_path):
    write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\n")
    write(tmp_path, "b.yaml", "name: b\nextends: a.yaml\n")
    with pytest.raises(UserError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")
    write(tmp_path, "c.yaml", "name: c\nextends: nowhere.yaml\n")
    with pytest.raises(UserError, match="nowhere.yaml.*not found"):
        load_scenario(tmp_path / "c.yaml")


def test_unknown_region_is_a_user_error(tmp_path):
    from sim.model import CareMarket

    with pytest.raises(UserError, match="population.region"):
        CareMarket(load_scenario("jamtland-2020", {"population.region": "atlantis"}))


def test_a_sample_of_the_region_keeps_the_clinics_economics():
    """population.residents below the preset keeps every clinic at the sampling fraction of its fixed costs."""
    from conftest import small_run

    from sim import run

    def margin(result):
        clinics = result.clinic_years[result.clinic_years["owner"] != "digital"]
        return clinics["result_sek"].sum() / clinics["revenue_sek"].sum()

    full = run(load_scenario("jamtland-2020", {"months": 24}))
    sample = small_run("jamtland-2020")
    assert abs(margin(sample) - margin(full)) < 0.025
    assert sample.summary["visits_per_capita"] == pytest.approx(full.summary["visits_per_capita"], rel=0.05)
