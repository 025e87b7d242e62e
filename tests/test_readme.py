"""The README's Python example runs as written (on the shared data)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_example_runs(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has a Python example"
    code = blocks[0].replace("../shared/data", str(shared_data))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {})  # our own README, run as a user would
    assert (tmp_path / "assay.duckdb").exists()
    assert os.path.getsize(tmp_path / "assay.duckdb") > 0
