"""The documents in docs/ and experiments/ say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from sim.reference import markdown


def test_parameter_reference_is_up_to_date():
    document = Path(__file__).resolve().parents[1] / "docs" / "parameters.md"
    assert document.read_text(encoding="utf-8") == markdown(), "run: vardval parameters > docs/parameters.md"


def test_the_payment_rules_section_of_outputs_is_up_to_date():
    from sim.reference import RULES_END, RULES_START, rules_markdown

    text = (Path(__file__).resolve().parents[1] / "docs" / "outputs.md").read_text(encoding="utf-8")
    section = text[text.index(RULES_START) : text.index(RULES_END) + len(RULES_END)] + "\n"
    assert section == rules_markdown(), "run: vardval parameters --rules, and paste it over the section of docs/outputs.md"


def test_every_column_a_run_writes_is_documented(tmp_path):
    import json

    import pandas as pd

    from sim.cli import main

    out = tmp_path / "run"
    assert main(["run", "jamtland-2020", "--months", "12", "--set", "population.residents=10000", "--follow", "2", "--out", str(out), "--quiet"]) == 0
    document = (Path(__file__).resolve().parents[1] / "docs" / "outputs.md").read_text(encoding="utf-8")
    names = set()
    for table in ("monthly", "yearly", "clinic_years", "followed"):
        names |= set(pd.read_parquet(out / f"{table}.parquet").columns)
    names |= set(json.loads((out / "summary.json").read_text())["outcomes"])
    names |= set(json.loads((out / "manifest.json").read_text()))
    missing = sorted(name for name in names if f"`{re.sub(r'list_size=[0-9]+', 'list_size=N', name)}`" not in document)
    assert not missing, f"not described in docs/outputs.md: {missing}"


def test_every_column_a_national_run_writes_is_documented(tmp_path):
    import json

    import pandas as pd
    import yaml

    from sim.cli import main

    spec = {"name": "two", "regions": ["region-06-jonkoping", "region-07-kronoberg"], "sample_share": 0.01, "months": 2, "warmup_months": 0,
            "common": {"rulebook.listing.national_service": True}}
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(tmp_path / "two.yaml"), "--out", str(out), "--quiet"]) == 0
    document = (Path(__file__).resolve().parents[1] / "docs" / "outputs.md").read_text(encoding="utf-8")
    national = document[document.index("## A national run") :]
    names = set(json.loads((out / "manifest.json").read_text()))
    for table in ("flows", "digital_months", "border_months"):
        names |= set(pd.read_csv(out / f"{table}.csv").columns)
    names |= {c for c in pd.read_csv(out / "by-region.csv").columns if c not in json.loads((out / "regions" / "region-07-kronoberg" / "summary.json").read_text())["outcomes"]}
    names |= set(pd.read_parquet(out / "regions" / "region-07-kronoberg" / "clinic_years.parquet").columns)
    missing = sorted(name for name in names if f"`{name}`" not in national and f"`{name}`" not in document)
    assert not missing, f"not described in docs/outputs.md: {missing}"


def test_the_experiment_file_shown_in_experiments_readme_is_valid(tmp_path):
    from sim.experiment import load_experiment

    root = Path(__file__).resolve().parents[1]
    example = re.search(r"```yaml\n(.*?)```", (root / "experiments" / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    (tmp_path / "scenarios").symlink_to(root / "scenarios")  # so that its paths, relative to experiments/, resolve
    (tmp_path / "experiments").mkdir()
    path = tmp_path / "experiments" / "readme-example.yaml"
    path.write_text(example, encoding="utf-8")
    plan = load_experiment(path)
    assert len(plan.variants) == 8 and plan.runs == 80
