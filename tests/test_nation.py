"""Sweden in one run (sim.nation): regions stepped together, meeting in the national digital market; money and residents
conserved across regions; the same tables on any number of workers; national mistakes refused in a sentence."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import assert_same_national_tables
from sim.cli import main
from sim.nation import ITEM, PROVIDER, RESIDENTS, load_national, region_seed, run_nation
from sim.runner import run
from sim.scenario import load_scenario

REGIONS = ["region-06-jonkoping", "region-25-norrbotten", "region-23-jamtland"]
HOST = "region-06-jonkoping"


def national_file(folder, **fields):
    """A small national scenario: three regions, a hundredth of their residents, half a year after a warm-up year."""
    spec = {"name": "three-regions", "seed": 5, "regions": REGIONS, "sample_share": 0.01, "months": 6, "warmup_months": 12} | fields
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


@functools.cache
def three(tmp, capacity=None):
    from pathlib import Path

    digital = {"host": HOST} | ({"capacity_episodes_per_1000_per_month": capacity} if capacity else {})
    national, scenarios = load_national(national_file(Path(tmp), name=f"three-{capacity}", digital=digital))
    return national, scenarios, run_nation(national, scenarios)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp("nation"))


def test_money_is_conserved_across_regions_to_the_krona(folder):
    """Each home region's spending on digital care is what it paid for its residents' contacts; what the others paid
    the host, the host passed on; the provider received every region's spending and nothing else."""
    national, _, result = three(folder)
    flows = result.flows
    to_provider = flows[(flows["payee"] == PROVIDER) & (flows["item"] == ITEM)]
    assert (to_provider["payer"] == HOST).all()
    for name, region in zip(national.regions, result.regions):
        spent = region.monthly.loc[region.monthly["group_by"] == "total", "cost_digital_sek"].sum()
        assert spent > 0
        assert to_provider.loc[to_provider["residents_of"] == name, "sek"].sum() == pytest.approx(spent, abs=0.5)
        if name != HOST:
            paid_host = flows[(flows["payer"] == name) & (flows["payee"] == HOST)]["sek"].sum()
            assert paid_host == pytest.approx(spent, abs=0.5)
        provider_revenue = region.clinic_years.loc[region.clinic_years["owner"] == "digital", "revenue_sek"].sum()
        paid_by_residents = flows[(flows["payer"] == RESIDENTS) & (flows["residents_of"] == name)]["sek"].sum()
        assert provider_revenue == pytest.approx(spent + paid_by_residents, abs=0.5)
    assert not (flows["payee"] == HOST).any() or (flows.loc[flows["payee"] == HOST, "payer"] != HOST).all()


def test_residents_are_conserved_and_the_total_is_computed_from_counts(folder):
    national, scenarios, result = three(folder)
    table = result.by_region()
    regions, total = table.iloc[:-1], table.iloc[-1]
    assert total["residents"] == sum(r.summary["residents_final"] for r in result.regions) == regions["residents"].sum()
    years = [r.by_group.query("group_by == 'total'")["resident_months"].iloc[0] for r in result.regions]
    weighted = np.average(regions["cost_per_capita_sek"], weights=years)
    assert total["cost_per_capita_sek"] == pytest.approx(weighted, rel=1e-9)
    assert regions["access_3day_share"].min() <= total["access_3day_share"] <= regions["access_3day_share"].max()


def test_a_region_in_the_national_run_is_the_region_run_alone_when_the_provider_takes_every_contact(folder):
    """The regions meet only in the digital market: without a capacity limit a region's tables are its own run's, on its
    national seed."""
    national, scenarios, result = three(folder)
    alone = run(load_scenario(REGIONS[1], {"seed": region_seed(national.seed, REGIONS[1]), "months": 6, "population.sample_share": 0.01}))
    pd.testing.assert_frame_equal(alone.monthly, result.regions[1].monthly)
    assert scenarios[1].seed != scenarios[2].seed


def test_a_provider_at_capacity_turns_contacts_to_the_clinics_in_every_region(folder):
    _, _, free = three(folder)
    _, _, capped = three(folder, capacity=2.0)
    months = capped.digital_months
    assert (months["capacity_share"] < 1).all()
    taken = months["episodes_served"].sum() / months["episodes_sought"].sum()
    assert taken == pytest.approx(months["capacity_share"].mean(), abs=0.05)
    for a, b in zip(free.by_region().itertuples(), capped.by_region().itertuples()):
        assert b.digital_contacts_per_1000 < a.digital_contacts_per_1000


def test_the_distributed_run_gives_the_same_tables(folder, shared_ray):
    """Two Ray workers (each an actor holding some regions) against one process, with the capacity binding so that the
    regions' months depend on each other."""
    national, scenarios, single = three(folder, capacity=2.0)
    distributed = run_nation(national, scenarios, workers=2)
    assert_same_national_tables(single, distributed)


def test_vardval_run_writes_the_national_tables_the_flows_and_the_map(tmp_path, capsys):
    path = national_file(tmp_path, months=3)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "Sweden (the run)" in printed and "Norrbotten" in printed
    table = pd.read_csv(out / "by-region.csv")
    assert list(table["scenario"]) == [*REGIONS, "total"]
    assert {"year", "payer", "payee", "residents_of", "sek"} <= set(pd.read_csv(out / "flows.csv").columns)
    assert (out / "figures" / "map_access_3day_share.png").stat().st_size > 10_000
    assert all((out / "regions" / name / "summary.json").is_file() for name in REGIONS)


@pytest.mark.parametrize(
    "fields, argv, words",
    [
        ({"regions": [*REGIONS, "region-99-atlantis"]}, [], "regions: 'region-99-atlantis' is not a scenario"),
        ({"digital": {"host": "region-01-stockholm"}}, [], "host region region-01-stockholm is not in the run's regions"),
        ({"regions": [*REGIONS, REGIONS[0]]}, [], "a region appears twice"),
        ({"common": {"rulebook.capitation.morbidity_share": 0.9}}, [], "common.rulebook.capitation.morbidity_share"),
        ({}, ["--workers", "4"], "--workers 4: a national run steps each region on one worker; give 1 to 3"),
        ({}, ["--set", "sample_share=2"], "--set sample_share=2"),
        ({}, ["--set", "population.sample_share=0.05"], "give --set sample_share=... instead"),
        ({"common": {"months": 3}}, [], "common sets months"),
    ],
)
def test_national_mistakes_are_one_sentence_and_write_nothing(tmp_path, capsys, fields, argv, words):
    path = national_file(tmp_path, **fields)
    out = tmp_path / "never"
    assert main(["run", str(path), "--out", str(out), "--quiet", *argv]) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1
    assert not out.exists()


def test_workers_are_for_national_runs_only(tmp_path, capsys):
    assert main(["run", "jamtland-2020", "--workers", "2", "--out", str(tmp_path / "never")]) == 2
    assert "only a national run" in capsys.readouterr().err


def test_a_national_experiment_sweeps_compares_and_maps_by_region(tmp_path, capsys):
    """An experiment on a national base: each run is a national run; its outcomes kept by region are compared with
    paired intervals and tabled and mapped by region and variant."""
    base = national_file(tmp_path, regions=REGIONS[:2], months=2, warmup_months=0, sample_share=0.005)
    experiment = tmp_path / "digital.yaml"
    experiment.write_text(yaml.safe_dump({
        "name": "digital", "base": str(base), "variants": {"fee-500": {}, "fee-1800": {"rulebook.digital_visit_fee_sek": 1800}},
        "replications": 2, "outcomes": ["out_of_region_fees_per_capita_sek", "access_3day_share"], "by_group": ["region"],
    }), encoding="utf-8")
    out = tmp_path / "sweep"
    assert main(["sweep", str(experiment), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs["status"] == "ok").all()
    fees = runs.pivot(index="replication", columns="variant", values="out_of_region_fees_per_capita_sek[region=Norrbotten]")
    assert (fees["fee-1800"] > 3 * fees["fee-500"]).all()  # 3.6 times the fee, on the same seeds
    assert runs["out_of_region_fees_per_capita_sek[region=Jönköping]"].eq(0).all()  # the host pays no one
    assert main(["compare", str(out), "--baseline", "fee-500"]) == 0
    comparison = pd.read_csv(out / "comparison.csv")
    assert "out_of_region_fees_per_capita_sek[region=Norrbotten]" in set(comparison["outcome"])
    assert main(["regions", str(out)]) == 0
    table = pd.read_csv(out / "by-region.csv")
    assert set(table["region"]) == {"Jönköping", "Norrbotten"} and set(table["variant"]) == {"fee-500", "fee-1800"}
    assert (out / "figures" / "map_out_of_region_fees_per_capita_sek_fee-1800.png").is_file()


def test_a_national_outcome_needs_a_national_base(tmp_path, capsys):
    experiment = tmp_path / "wrong.yaml"
    experiment.write_text(yaml.safe_dump({"name": "wrong", "base": "jamtland-2020", "outcomes": ["out_of_region_fees_per_capita_sek"]}), encoding="utf-8")
    assert main(["sweep", str(experiment), "--out", str(tmp_path / "never")]) == 2
    assert "needs a national base" in capsys.readouterr().err


from hypothesis import given, settings, strategies as st  # noqa: E402

from sim.nation import DigitalMarket, MonthReport, balanced_groups  # noqa: E402

reports = st.lists(
    st.tuples(st.integers(0, 5_000), st.integers(0, 5_000), st.floats(0, 1e6), st.floats(0, 1e5), st.integers(1, 10**6)), min_size=2, max_size=6
)


@settings(max_examples=60, deadline=None)
@given(months=st.lists(reports, min_size=1, max_size=4), capacity=st.one_of(st.none(), st.floats(0.01, 50)))
def test_the_exchange_conserves_every_krona_and_never_takes_more_than_its_capacity(months, capacity):
    """Whatever the regions report: each home region's fees reach the host and the host passes exactly those on; the
    share the provider takes is at most 1 and, where demand exceeds capacity, capacity over demand."""
    market = DigitalMarket("r0", capacity)
    for month, month_reports in enumerate(months):
        rows = [MonthReport(f"r{i}", True, sought, min(served, sought), fee, fees, 0.0, residents) for i, (sought, served, fee, fees, residents) in enumerate(month_reports)]
        share = market.exchange(month, rows)
        sought, residents = sum(r.sought for r in rows), sum(r.residents for r in rows)
        assert 0 < share <= 1
        if capacity is not None and sought:
            assert share == pytest.approx(min(1.0, capacity * residents / 1000 / sought))
    flows = market.flows(reporting_from=0)
    paid = sum(fee for month_reports in months for _, _, fee, _, _ in month_reports)
    assert flows.loc[flows["item"] == ITEM].query("payee == @PROVIDER")["sek"].sum() == pytest.approx(paid)
    to_host = flows[(flows["payee"] == "r0")].groupby("residents_of")["sek"].sum()
    passed = flows[(flows["payee"] == PROVIDER) & (flows["item"] == ITEM) & (flows["residents_of"] != "r0")].groupby("residents_of")["sek"].sum()
    pd.testing.assert_series_equal(to_host, passed, check_names=False)


@given(sizes=st.lists(st.integers(1, 3_000_000), min_size=1, max_size=21), workers=st.integers(1, 21))
def test_regions_are_dealt_to_workers_once_each_and_evenly(sizes, workers):
    groups = balanced_groups(sizes, workers)
    assert sorted(i for g in groups for i in g) == list(range(len(sizes)))
    loads = [sum(sizes[i] for i in g) for g in groups]
    assert max(loads) <= sum(sizes) / workers + max(sizes)  # greedy largest-first: within one region of an even split


def test_the_national_validation_tells_a_sweep_by_posterior_draw():
    """Each draw's regions averaged over its seeds: the spread is the highest region less the lowest."""
    from sim.validation.national import by_draw

    runs = pd.DataFrame({
        "variant": ["today"] * 4, "status": ["ok"] * 4, "draw": [0, 0, 1, 1], "access_3day_share": [0.8, 0.8, 0.7, 0.7],
        "access_3day_share[region=Stockholm]": [0.70, 0.72, 0.6, 0.6], "access_3day_share[region=Norrbotten]": [0.90, 0.88, 0.8, 0.8],
        "digital_contacts_per_1000[region=Stockholm]": [90, 90, 80, 80], "digital_contacts_per_1000[region=Norrbotten]": [30, 30, 40, 40],
    })
    table = by_draw(runs, "today")
    assert "| 1 | 80.0 % | 71.0 % (Stockholm) | 89.0 % (Norrbotten) | 18 | 3.00 |" in table
    assert "| 2 | 70.0 % | 60.0 % (Stockholm) | 80.0 % (Norrbotten) | 20 | 2.00 |" in table
