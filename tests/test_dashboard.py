"""The dashboard (vardval dashboard, sim/dashboard/) in a real browser: Debian's Chromium driven by Playwright, over a
small finished sweep and run. It shows what the sweep's files say, in the analyst's units, and downloads the table
behind a view; a folder it cannot show is refused in a sentence.

With VARDVAL_SCREENSHOTS=docs/figures the tests also save the screenshots docs/dashboard.md shows."""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.dashboard.data import open_results
from sim.errors import UserError

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), shutil.which("chromium"))
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium: install Debian's with 'apt-get install chromium' (Playwright's own download is not used) to run the browser tests"
)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A finished sweep (two rulebooks, three replications, by CNI quintile, compared) and a run with followed residents."""
    root = tmp_path_factory.mktemp("dashboard")
    experiment = root / "tiny.yaml"
    experiment.write_text(
        f"name: tiny\nbase: {SCENARIOS / 'jamtland-2020.yaml'}\nfixed: {{months: 6, warmup_months: 0, population.residents: 3000}}\n"
        f"factors:\n  scenario: [{SCENARIOS / 'jamtland-2020.yaml'}, {SCENARIOS / 'fee-for-service.yaml'}]\nreplications: 3\nby_group: [cni_quintile]\n"
        "outcomes: [undertreatment_rate, cost_per_capita_sek, access_3day_share, visits_per_capita]\n",
        encoding="utf-8",
    )
    assert main(["sweep", str(experiment), "--out", str(root / "tiny"), "--workers", "1", "--quiet"]) == 0
    assert main(["compare", str(root / "tiny")]) == 0
    assert main(["run", "jamtland-2020", "--set", "population.residents=2000", "--months", "6", "--follow", "2", "--out", str(root / "run"), "--quiet"]) == 0
    # a by-region table as 'vardval regions' writes one for a national sweep (its figures made up: the map view reads the file)
    pd.DataFrame({"variant": ["jamtland-2020"] * 2 + ["fee-for-service"] * 2, "code": ["23", "25"] * 2, "region": ["Jämtland", "Norrbotten"] * 2,
                  "replications": 3, "undertreatment_rate": [0.18, 0.19, 0.11, 0.12]}).to_csv(root / "tiny" / "by-region.csv", index=False)
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(results):
    """The dashboard of the sweep and the run, served on this machine for the module's tests."""
    import uvicorn

    from sim.dashboard.app import build_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(*open_results([str(results / "tiny"), str(results / "run")])), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, dashboard):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(dashboard)
    page.wait_for_selector("#comparison table tbody tr", timeout=30_000)
    yield page
    page.close()


def screenshot(page, name: str) -> None:
    folder = os.environ.get("VARDVAL_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"dashboard-{name}.png"), full_page=True)


def rows(page, selector: str) -> list[list[str]]:
    return [[cell.strip() for cell in row.split("\t")] for row in page.locator(f"{selector} table tbody tr").all_inner_texts()]


def wait_for_rows(page, selector: str, count: int, text: str = "") -> list[list[str]]:
    """The rows of a view's table once it has ``count`` of them (and its first row says ``text``): Shiny redraws it
    after an input changes."""
    page.wait_for_function(
        "([selector, count, text]) => { const rows = document.querySelectorAll(selector + ' table tbody tr');"
        " return rows.length == count && rows[0].innerText.includes(text); }",
        arg=[selector, count, text],
        timeout=20_000,
    )
    return rows(page, selector)


@needs_browser
def test_a_variant_and_a_group_show_the_comparisons_figures_in_the_analysts_units(page, results):
    """Pick under-treatment by CNI quintile and the fee-for-service variant alone: one row per quintile whose level,
    difference and interval are comparison.csv's, in per cent and points."""
    page.select_option("#outcome", "undertreatment_rate")
    page.select_option("#grouping", "cni_quintile")
    page.uncheck("input[name=variants][value='jamtland-2020']")
    shown = wait_for_rows(page, "#comparison", 5, "Q1 (lowest need)")
    written = pd.read_csv(results / "tiny" / "comparison.csv").set_index(["outcome", "variant"])
    for quintile, row in zip(("Q1", "Q2", "Q3", "Q4", "Q5"), shown):
        expected = written.loc[(f"undertreatment_rate[cni_quintile={quintile}]", "fee-for-service")]
        assert row[1].startswith(quintile) and row[2] == "fee-for-service"
        assert row[3] == f"{100 * expected['mean']:.1f} %"
        assert row[4] == f"{100 * expected['diff']:+.1f} points"
        assert row[5] == f"{100 * expected['ci_low']:+.1f} to {100 * expected['ci_high']:+.1f} points"
    assert page.locator("#forest_plot img").count() == 1
    assert "Under-treatment (share of needed visits not given)" in page.locator("#outcome").inner_text()
    screenshot(page, "comparison")


@needs_browser
def test_the_download_is_the_table_behind_the_view(page, results):
    page.select_option("#outcome", "cost_per_capita_sek")
    shown = wait_for_rows(page, "#comparison", 2, "Region spending per resident per year, SEK")
    assert "," in shown[1][3] and "e+" not in shown[1][3]  # SEK with thousands separators, never scientific notation
    with page.expect_download() as download:
        page.click("#download_comparison")
    table = pd.read_csv(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8")))
    written = pd.read_csv(results / "tiny" / "comparison.csv")
    expected = written[written["outcome"] == "cost_per_capita_sek"].reset_index(drop=True)
    pd.testing.assert_frame_equal(table[expected.columns], expected, check_dtype=False)


@needs_browser
def test_outcomes_over_time_a_runs_clinics_and_a_followed_resident(page, results):
    page.click("text=Over time")
    page.wait_for_selector("#time_plot img", timeout=20_000)
    years = rows(page, "#time_table")
    assert len(years) == 2 and {row[1] for row in years} == {"2020"}  # one reported year, two variants; jamtland-2020 starts in 2020
    page.select_option("#grouping", "cni_quintile")  # the groups chosen in the sidebar: a line per variant and quintile
    assert len(wait_for_rows(page, "#time_table", 10)) == 10
    page.click("text=Clinics")
    page.select_option("#run", str(results / "run"))
    clinics = pd.read_parquet(results / "run" / "clinic_years.parquet")
    wait_for_rows(page, "#clinics", int((clinics["year"] == clinics["year"].max()).sum()))
    page.wait_for_selector("#region_map img", timeout=20_000)  # the region's areas and clinics
    screenshot(page, "clinics")
    page.click("text=Followed resident")
    followed = pd.read_parquet(results / "run" / "followed.parquet")
    assert len(wait_for_rows(page, "#followed", len(followed))) == len(followed)


@needs_browser
def test_the_map_shows_a_variant_by_region_and_downloads_its_rows(page, results):
    page.click("text=Map")
    page.select_option("#map_variant", "fee-for-service")
    page.wait_for_selector("#map_image img", timeout=20_000)
    assert "under fee-for-service" in page.locator("#map_note").inner_text()
    with page.expect_download() as download:
        page.click("#download_map")
    rows = pd.read_csv(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8")))
    assert list(rows["region"]) == ["Jämtland", "Norrbotten"] and list(rows["undertreatment_rate"]) == [0.11, 0.12]


def test_a_folder_the_dashboard_cannot_show_is_one_sentence(tmp_path, capsys):
    assert main(["dashboard", str(tmp_path / "missing")]) == 2
    assert "not found" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="holds no sweep"):
        open_results([str(tmp_path / "empty")])


def test_a_port_in_use_is_refused_before_serving(results, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", str(results / "tiny"), "--port", str(port)]) == 2
    error = capsys.readouterr().err
    assert f"--port {port}: something already listens there" in error and error.count("\n") == 1
