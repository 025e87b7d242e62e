"""Shared fixtures: the public evaluation data beside the repo, and fresh stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.store import Store

#: ../shared/data relative to the repository root: present in CI, absent in a user's clone
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SKIP_REASON = "needs ../shared/data (public evaluation data, present in CI)"


@pytest.fixture
def shared_data() -> Path:
    """The shared data directory, or a skip with the reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(SKIP_REASON)
    return SHARED_DATA


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store file in the test's temporary directory."""
    with Store(tmp_path / "assay.duckdb") as st:
        yield st
