"""docs/domain/ holds exact copies of the project's shared domain files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VARDVAL_SHARED", ROOT.parent / "shared")) / "domain"


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared domain files are not beside this checkout")
def test_domain_files_are_copies_of_the_shared_ones():
    for original in sorted(SHARED.glob("*.md")):
        copy = ROOT / "docs" / "domain" / original.name
        assert copy.is_file(), f"docs/domain/{original.name} is missing: copy it from {original}"
        assert copy.read_bytes() == original.read_bytes(), f"docs/domain/{original.name} differs from {original}"
