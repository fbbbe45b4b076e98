"""The parameter reference in docs/ is the one the code generates."""

from __future__ import annotations

from pathlib import Path

from sim.reference import markdown


def test_parameter_reference_is_up_to_date():
    document = Path(__file__).resolve().parents[1] / "docs" / "parameters.md"
    assert document.read_text(encoding="utf-8") == markdown(), "run: vardval parameters > docs/parameters.md"
