"""Mistakes a careless user makes, each refused in one sentence that says where and what is allowed, with a non-zero
exit and nothing written: a file an old editor saved in Latin-1, a folder given as a scenario, a tab or a tag in YAML,
a scenario with neither name nor extends, a field given twice, a cluster address where nothing listens."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from sim.cli import main

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def refused(capsys, argv: list[str], out: Path) -> str:
    assert main([*argv, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert not out.exists()
    return error


@pytest.mark.parametrize(
    "text, words",
    [
        (b'name: latin\ndescription: "J\xe4mtland"\n', ["is not UTF-8 text (byte 0xe4 on line 2", "save the file as UTF-8"]),
        (b"name: tabbed\nmonths:\t12\n", ["is not valid YAML at line 2: a tab, where YAML indents with spaces only"]),
        (b"name: tagged\nmonths: !!python/int 12\n", ["is not valid YAML at line 2: a tag (tag:yaml.org,2002:python/int)"]),
        (b"description: a scenario without a name\nmonths: 12\n", ["has neither name nor extends; give name: SHORT-NAME"]),
    ],
)
def test_a_scenario_file_a_careless_editor_wrote_is_one_sentence(tmp_path, capsys, text, words):
    path = tmp_path / "careless.yaml"
    path.write_bytes(text)
    error = refused(capsys, ["run", str(path)], tmp_path / "never")
    assert str(path) in error and all(w in error for w in words)


def test_an_experiment_in_latin1_is_one_sentence(tmp_path, capsys):
    path = tmp_path / "latin.yaml"
    path.write_bytes(f"name: latin\ndescription: J\xe4mtland\nbase: {SCENARIOS / 'jamtland-2020.yaml'}\n".encode("latin-1"))
    assert "is not UTF-8 text" in refused(capsys, ["sweep", str(path)], tmp_path / "never")


def test_a_folder_given_as_a_scenario_is_called_a_folder(tmp_path, capsys):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text("name: mine\n", encoding="utf-8")
    error = refused(capsys, ["run", str(tmp_path / "scenarios")], tmp_path / "never")
    assert "is a folder; give a scenario file" in error and "mine.yaml" in error


def test_a_field_given_twice_is_refused_not_ignored(tmp_path, capsys):
    error = refused(capsys, ["run", "jamtland-2020", "--months", "1", "--set", "months=abc"], tmp_path / "never")
    assert "--months 1 and --set months=abc: give months once" in error


def test_a_cluster_address_where_nothing_listens_fails_at_once_and_writes_nothing(tmp_path, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    path = tmp_path / "tiny.yaml"
    path.write_text(f"name: tiny\nbase: {SCENARIOS / 'jamtland-2020.yaml'}\nfixed: {{months: 1, population.residents: 1000}}\n", encoding="utf-8")
    clock = time.perf_counter()
    error = refused(capsys, ["sweep", str(path), "--address", f"127.0.0.1:{port}", "--quiet"], tmp_path / "never")
    assert f"--address 127.0.0.1:{port}: nothing answered" in error and time.perf_counter() - clock < 10
