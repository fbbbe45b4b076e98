"""Listing across a region's border (sim.border, sim.nation.BorderExchange): residents near a neighbour may list with its
clinics; they stay the home region's residents; every krona the home region pays reaches the host's clinics; the same
tables on two workers; border listing asked where it cannot be given is refused in a sentence."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from sim.border import BorderMonth, BorderSite, HostClinic
from conftest import assert_same_national_tables
from sim.cli import main
from sim.nation import BORDER_ITEM, BorderExchange, MonthReport, load_national, run_nation

PAIR = ["region-06-jonkoping", "region-07-kronoberg"]


def pair_file(folder: Path, **fields) -> Path:
    """Jönköping and Kronoberg, neighbours, with the open national listing service: a fiftieth of their residents,
    half a year after a warm-up year."""
    spec = {"name": "pair", "seed": 11, "regions": PAIR, "sample_share": 0.02, "months": 6, "warmup_months": 12,
            "common": {"rulebook.listing.national_service": True}} | fields
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


@functools.cache
def pair(tmp: str, capacity: float | None = None):
    fields = {"name": f"pair-{capacity}", "digital": {"host": PAIR[0]} | ({"capacity_episodes_per_1000_per_month": capacity} if capacity else {})}
    national, scenarios = load_national(pair_file(Path(tmp), **fields))
    return national, scenarios, run_nation(national, scenarios)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp("border"))


def test_residents_near_the_border_list_with_the_neighbours_clinics_and_stay_the_home_regions(folder):
    """Some choosing residents list across the border, both ways; none who never chose; the home region reports them
    (its residents are all listed with a clinic it pays for), and its table says what share they are."""
    national, scenarios, result = pair(folder)
    months = result.border_months.query("reporting")
    assert set(months["home"]) == set(PAIR) and (months["listed"] > 0).all()
    table = result.by_region().set_index("scenario")
    for name, region in zip(PAIR, result.regions):
        mine = months[months["home"] == name]
        resident_months = region.by_group.query("group_by == 'total'")["resident_months"].iloc[0]
        assert table.loc[name, "listed_across_border_share"] == pytest.approx(mine["listed"].sum() / resident_months)
        assert 0 < table.loc[name, "listed_across_border_share"] < 0.05
        border = region.clinic_years[region.clinic_years["owner"] == "border"]
        assert len(border) and border["clinic"].str.endswith(f"({PAIR[1 - PAIR.index(name)]})").all()
    assert table.loc["total", "residents"] == sum(r.summary["residents_final"] for r in result.regions)


def test_what_the_home_region_pays_reaches_the_hosts_clinics_to_the_krona(folder):
    """The flows table's payments are what the home region paid its border providers in reported months; the host's
    clinics book their net (pay less the costs the home books charged) a month later, and the last month's is in
    transit when the run ends."""
    national, scenarios, result = pair(folder)
    months = result.border_months
    flows = result.flows[result.flows["item"] == BORDER_ITEM]
    for home in PAIR:
        reported = months[(months["home"] == home) & months["reporting"]]
        paid = flows.loc[flows["payer"] == home, "sek"].sum()
        assert paid == pytest.approx(reported["region_sek"].sum(), abs=0.01) and paid > 0
    warmup, last = scenarios[0].warmup_months, months["month"].max()
    for host, region in zip(PAIR, result.regions):
        booked = region.clinic_years.get("income_other_regions_sek", pd.Series(dtype=float)).fillna(0).sum()
        sent = months[(months["host"] == host) & (months["month"] >= warmup - 1) & (months["month"] < last)]["net_sek"].sum()
        assert booked == pytest.approx(sent, abs=0.01) and booked > 0


def test_a_closed_border_lists_nobody_across_it(folder):
    national, scenarios = load_national(pair_file(Path(folder), name="closed", common={}))
    result = run_nation(national, scenarios)
    assert result.border_months.empty
    assert (result.by_region()["listed_across_border_share"] == 0).all()
    assert not (result.flows["item"] == BORDER_ITEM).any()
    for region in result.regions:
        assert not (region.clinic_years["owner"] == "border").any()


def test_the_distributed_run_with_open_borders_gives_the_same_tables(folder, shared_ray):
    """Two Ray workers, one region each, with both exchanges binding (the digital provider's capacity and the border)."""
    national, scenarios, single = pair(folder, capacity=2.0)
    distributed = run_nation(national, scenarios, workers=2)
    assert_same_national_tables(single, distributed)


def test_vardval_run_with_an_open_border_writes_its_months_its_table_and_maps(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(pair_file(tmp_path, months=2, warmup_months=0, sample_share=0.01)), "--out", str(out), "--quiet"]) == 0
    assert "listed elsewhere" in capsys.readouterr().out
    assert set(pd.read_csv(out / "border_months.csv")["home"]) <= set(PAIR)
    assert "listed_across_border_share" in (out / "by-region.md").read_text(encoding="utf-8")
    assert (out / "figures" / "map_listed_across_border_share.png").is_file()


@pytest.mark.parametrize(
    "common, words",
    [
        ({"rulebook.listing.border_regions": ["region-01-stockholm"]}, "rulebook.listing.border_regions: 'region-01-stockholm' is not another region of the run"),
        ({"rulebook.listing.border_regions": [PAIR[0]]}, f"'{PAIR[0]}' is not another region of the run"),
        ({"rulebook.listing.national_service": True, "market.physiotherapy.enabled": True}, "physiotherapy is not modelled with listing across the border"),
    ],
)
def test_border_listing_that_cannot_be_given_is_one_sentence_and_writes_nothing(tmp_path, capsys, common, words):
    path = pair_file(tmp_path, common=common)
    out = tmp_path / "never"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1
    assert not out.exists()


def test_a_border_region_set_on_the_command_line_is_blamed_on_the_option(tmp_path, capsys):
    path = pair_file(tmp_path, common={})
    assert main(["run", str(path), "--set", "rulebook.listing.border_regions=[region-01-stockholm]", "--out", str(tmp_path / "never"), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("vardval: --set rulebook.listing.border_regions=[region-01-stockholm]: 'region-01-stockholm' is not another region")


def test_border_listing_in_a_regions_own_run_is_refused(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", "region-07-kronoberg", "--set", "rulebook.listing.border_regions=[region-06-jonkoping]", "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "needs a national run that holds both regions" in error and error.count("\n") == 1
    assert not out.exists()


HOST = HostClinic(True, 2.0, 0.8, 1.0, 700.0, 0.9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 3), st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 50)), min_size=0, max_size=6), min_size=3, max_size=3))
def test_the_exchange_sends_every_krona_and_visit_to_its_host_clinic(homes):
    """Whatever the home regions' border months, each host clinic gets the visits and net pay of exactly the border
    providers that stand for it, and the sums are conserved."""
    names = ["a", "b", "c"]
    sites = [[BorderSite(names[(i + 1 + c % 2) % 3], c, f"clinic {c}", 0.0, 0.0, "town") for c, *_ in home] for i, home in enumerate(homes)]
    hosted = [sorted({s.clinic for own in sites for s in own if s.host == name}) for name in names]
    exchange = BorderExchange(names, sites, hosted)
    reports = []
    for name, home, own in zip(names, homes, sites):
        values = np.array([[paid, cost, visits] for _, paid, cost, visits in home]).reshape(-1, 3)
        books = BorderMonth(np.ones(len(home)), values[:, 2], values[:, 0], np.zeros(len(home)), values[:, 1]) if own else None
        reports.append(MonthReport(name, True, 0, 0, 0.0, 0.0, 0.0, 100, books, [HOST] * len(hosted[names.index(name)])))
    inbound = exchange.exchange(0, reports)
    total_net = sum(r.border.net_sek.sum() for r in reports if r.border is not None)
    total_visits = sum(r.border.visits.sum() for r in reports if r.border is not None)
    assert sum(i.income_sek.sum() for i in inbound) == pytest.approx(total_net, abs=1e-6)
    assert sum(i.visits.sum() for i in inbound) == pytest.approx(total_visits, abs=1e-9)
    for h, name in enumerate(names):
        for k, clinic in enumerate(hosted[h]):
            mine = [(r.border.net_sek[j]) for r, own in zip(reports, sites) for j, s in enumerate(own) if s.host == name and s.clinic == clinic]
            assert inbound[h].income_sek[k] == pytest.approx(sum(mine), abs=1e-6)
    assert [len(i.mirrors) for i in inbound] == [len(own) for own in sites]
