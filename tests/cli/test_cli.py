"""The `assay` command as a user runs it: a real process, exit codes, stdout vs stderr."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assay.schema import Run, Score
from assay.store import Store

ASSAY = [sys.executable, "-m", "assay.cli"]


def _assay(
    *args: str, store: Path | None = None, check_code: int | None = 0
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    if store is not None:
        env["ASSAY_STORE"] = str(store)
    proc = subprocess.run([*ASSAY, *args], capture_output=True, text=True, env=env, timeout=300)
    if check_code is not None:
        assert proc.returncode == check_code, proc.stderr + proc.stdout
    return proc


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with Store(path) as st:
        st.write(
            {
                "runs": [Run("r1", "test")],
                "scores": [
                    Score("r1", m, t, str(i), "acc", float((i * (j + 1)) % 3 == 0))
                    for j, m in enumerate(("alpha", "beta"))
                    for t in ("t1", "t2")
                    for i in range(60)
                ],
            }
        )
    return path


def test_version_and_usage_errors() -> None:
    assert _assay("--version").stdout.startswith("assay ")
    bad = _assay("scores", "--bogus", check_code=2)
    assert "No such option" in bad.stderr


def test_help_texts_read_as_sentences() -> None:
    # docstrings are wrapped at the source's width; --help must not break lines there
    # (typer keeps a docstring's line breaks): "the same command\n again" must not appear
    import typer.main

    from assay.cli._app import app

    group = typer.main.get_command(app)
    commands = list(group.commands.values())  # type: ignore[attr-defined]
    for sub in list(commands):
        commands.extend(getattr(sub, "commands", {}).values())
    assert len(commands) > 20
    for cmd in commands:
        for paragraph in (cmd.help or "").split("\n\n"):
            assert "\n" not in paragraph, (cmd.name, paragraph)
    run_help = _assay("run", "--help").stdout
    assert "so the same command again resumes" in " ".join(run_help.split())


def test_scores_formats(filled: Path) -> None:
    table = _assay("scores", store=filled)
    assert "alpha" in table.stdout
    assert "95% CI" in table.stdout
    rows = list(csv.DictReader(io.StringIO(_assay("scores", "-o", "csv", store=filled).stdout)))
    assert len(rows) == 4
    assert {"mean", "ci_low", "ci_high", "n_items"} <= set(rows[0])
    doc = json.loads(_assay("scores", "-o", "json", "--task", "t1", store=filled).stdout)
    assert {c["task"] for c in doc["cells"]} == {"t1"}
    assert doc["signature"]["resamples"] == 1000
    assert "model" in _assay("scores", "-o", "wide", store=filled).stdout


def test_ls_show_and_missing_things(filled: Path, tmp_path: Path) -> None:
    assert "r1" in _assay("ls", "runs", store=filled).stdout
    tasks = json.loads(_assay("ls", "tasks", "-o", "json", store=filled).stdout)
    assert [t["task"] for t in tasks] == ["t1", "t2"]
    assert "r1" in _assay("show", "r1", store=filled).stdout
    missing = _assay("show", "nope", store=filled, check_code=1)
    assert "no run 'nope'" in missing.stderr
    nostore = _assay("scores", store=tmp_path / "absent.duckdb", check_code=1)
    assert "no store" in nostore.stderr
    # the file system refusing (an output path under a file) is one line, no traceback
    (tmp_path / "a_file").write_text("x")
    blocked = tmp_path / "a_file" / "out"
    for args in (["report", "--out", str(blocked)], ["export", "--parquet", str(blocked)]):
        refused = _assay(*args, store=filled, check_code=1)
        assert refused.stderr.startswith("error: "), refused.stderr
        assert "Traceback" not in refused.stderr
        assert "a_file" in refused.stderr


def test_export_and_import_round_trip(filled: Path, tmp_path: Path) -> None:
    _assay("export", "--parquet", str(tmp_path / "ds"), store=filled)
    other = tmp_path / "other.duckdb"
    _assay("import", str(tmp_path / "ds"), store=other)
    assert (
        _assay("scores", "-o", "json", store=other).stdout
        == _assay("scores", "-o", "json", store=filled).stdout
    )
    again = _assay("import", str(tmp_path / "ds"), store=other)
    assert "0 stored, 1 unchanged" in again.stderr


def test_import_reports_failures_with_exit_code_1(tmp_path: Path) -> None:
    bad = tmp_path / "scores.csv"
    bad.write_text("model,task,item,score\nm,t,1,1\nm,t,2,banana\n")
    proc = _assay("import", str(bad), store=tmp_path / "s.duckdb", check_code=1)
    assert "line 3" in proc.stderr
    assert "score" in proc.stderr
    with Store(tmp_path / "s.duckdb", read_only=True) as st:
        assert st.count("scores") == 0
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello")
    proc = _assay("import", str(unknown), store=tmp_path / "s.duckdb", check_code=1)
    assert "not a format assay recognises" in proc.stderr


def test_run_with_the_mock_model(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text(
        "".join(
            json.dumps(
                {
                    "id": str(i),
                    "input": f"{i}+1",
                    "target": str(i + 1),
                    "choices": [str(i), str(i + 1)],
                }
            )
            + "\n"
            for i in range(12)
        )
    )
    store = tmp_path / "s.duckdb"
    first = _assay("run", "--task", str(items), "--model", "mock", store=store)
    assert "items" in first.stdout  # the scores table of the run
    second = _assay("run", "--task", str(items), "--model", "mock", store=store)
    assert "already stored" in second.stderr
    with Store(store, read_only=True) as st:
        assert st.count("responses") == 12
    # a model that cannot be reached: every unit fails, is stored as failed, and the
    # command exits 1 saying so (a script must tell such a run from a clean one)
    import socket

    with socket.socket() as sock:  # a port on 127.0.0.1 that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = f"openai:x@http://127.0.0.1:{port}/v1"
    down = _assay(
        "run", "--task", str(items), "--model", spec, "--limit", "2", store=store, check_code=1
    )
    assert "2 of the 2 units done now failed" in " ".join(down.stderr.split())
    assert "connection failed" in down.stderr
    with Store(store, read_only=True) as st:
        failed = st.query("SELECT count(*) AS n FROM responses WHERE status != 'ok'").to_pylist()
        assert failed[0]["n"] == 2
    # a URL where the model name belongs is named, not sent to the default server
    typo = _assay(
        "run",
        "--task",
        str(items),
        "--model",
        f"openai:http://127.0.0.1:{port}/v1",
        store=store,
        check_code=1,
    )
    assert "is a URL, not a model name" in " ".join(typo.stderr.split())


def test_tour_on_shared_data(shared_data: Path, tmp_path: Path) -> None:
    """The README's tour: import lm-eval and Inspect outputs, list, score, re-import."""
    store = tmp_path / "tour.duckdb"
    paths = [str(shared_data / "lm_eval_harness_outputs"), str(shared_data / "inspect_ai_logs")]
    first = _assay("import", *paths, store=store, check_code=1)  # one file is malformed on purpose
    assert "samples_ko_winogrande_2024-11-19T14-19-15.115705.jsonl.gz, line 1" in first.stderr
    malformed_dir = (
        shared_data / "lm_eval_harness_outputs/kt_lm_eval_v0.4/llama3.1-pro16-0827-Inst_241016"
    )
    date_ids = {
        re.search(r"\d{4}-\d\d-\d\dT[\d.-]+\d", p.name).group(0)
        for p in malformed_dir.glob("*_20*")
    }  # type: ignore[union-attr]
    with Store(store, read_only=True) as st:
        counts = st.counts()
        from_dir = (
            st.query("SELECT count(*) AS n FROM runs WHERE source_path = ?", [str(malformed_dir)])
            .column("n")[0]
            .as_py()
        )
    assert counts["scores"] > 1000
    assert counts["aggregates"] > 1000
    assert from_dir == len(date_ids) - 1  # every run of that directory but the malformed one
    second = _assay("import", *paths, store=store, check_code=1)
    assert "0 stored" in second.stderr
    with Store(store, read_only=True) as st:
        assert st.counts() == counts
    for what in ("runs", "models", "tasks"):
        assert _assay("ls", what, store=store).stdout.strip()
    doc = json.loads(_assay("scores", "-o", "json", store=store).stdout)
    assert any(c["task"] == "inspect_evals/math" for c in doc["cells"])


def test_demo_runs_the_bundled_model(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (`make test` installs it)")
    store = tmp_path / "demo.duckdb"
    proc = _assay("demo", "--limit", "4", store=store)
    for task in ("arithmetic", "string_ops", "logic"):
        assert task in proc.stdout
    with Store(store, read_only=True) as st:
        assert st.count("responses") == 12
        assert st.query("SELECT DISTINCT status FROM runs").column("status").to_pylist() == [
            "complete"
        ]
